"""`make bench`: a bounded, local-only benchmark of this assistant against a fresh `rasa init` bot.

Not a test: nothing here asserts a wall-clock figure. `bench.run` starts the servers on free
127.0.0.1 ports, `bench.load` sends a fixed number of messages under a hard time cap, and
`bench.report` writes the generated part of BENCHMARKS.md (the hand-written notes are kept).
"""

"""The benchmark harness's own logic (no Rasa; at most a stub webhook on 127.0.0.1; no timing:
`make bench` is not a test)."""

from __future__ import annotations

import asyncio
import math

import pytest

from bench import load, messages, profile, report


@pytest.mark.parametrize("values, q, expected", [
    ([1, 2, 3, 4], 50, 2.5),
    ([1, 2, 3, 4], 0, 1),
    ([1, 2, 3, 4], 100, 4),
    (list(range(1, 101)), 95, 95.05),
    (list(range(1, 101)), 99, 99.01),
    ([7], 99, 7),
    ([3, 1, 2], 50, 2),  # unsorted input
])
def test_percentile_interpolates_like_numpy(values, q, expected):
    assert load.percentile(values, q) == pytest.approx(expected)


def test_percentile_of_nothing_is_nan_and_q_is_checked():
    assert math.isnan(load.percentile([], 50))
    with pytest.raises(ValueError):
        load.percentile([1], 101)


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:5005/webhooks/rest/webhook",
    "http://localhost:1/",
    "http://127.0.0.1",
])
def test_local_urls_are_accepted(url):
    assert load.check_local(url) == url


@pytest.mark.parametrize("url", [
    "http://example.com/webhooks/rest/webhook",
    "https://127.0.0.1:5005/",            # only plain http on this machine
    "http://127.0.0.2:5005/",
    "http://10.0.0.1:5005/",
    "http://[::1]:5005/",
    "http://127.0.0.1.example.com/",
    "http://localhost.example.com/",
    "http://127.0.0.1@example.com/",      # user info, real host example.com
    "http://user:pw@127.0.0.1:5005/",
    "http://127.0.0.1:99999/",            # malformed port
    "ftp://127.0.0.1/",
    "127.0.0.1:5005",
])
def test_other_urls_are_refused(url):
    with pytest.raises(load.NotLocalError):
        load.check_local(url)


def test_the_load_generator_refuses_a_remote_url_before_sending():
    with pytest.raises(load.NotLocalError):
        asyncio.run(load.run_load("http://example.com", [["hello"]], time_cap=1))
    with pytest.raises(load.NotLocalError):
        asyncio.run(load.long_conversations("http://example.com", [["hello"]], time_cap=1))


def test_summary_counts_and_rates():
    s = load.summarize([0.1, 0.2, 0.3, 0.4], wall=2.0, errors=1, senders=2, planned=6, capped=True)
    assert s["answered"] == 4 and s["errors"] == 1 and s["planned"] == 6 and s["capped"]
    assert s["msg_per_s"] == 2.0
    assert s["p50_ms"] == 250.0 and s["max_ms"] == 400.0


def test_position_medians_skip_failed_messages():
    runs = [[0.1, 0.5, 0.2], [0.3, None, 0.4], [0.2, 0.1, None]]
    assert load.position_medians(runs, [1, 2, 3]) == {1: 200.0, 2: 300.0, 3: 300.0}
    assert load.window_median(runs, 1, 2) == 200.0


def test_scripts_are_fixed_and_long_conversations_start_and_end_alike():
    assert messages.scripts("ours", 20, 15) == messages.scripts("ours", 20, 15)
    assert [len(s) for s in messages.scripts("init", 3, 7)] == [7, 7, 7]
    for bot, anchor in (("ours", messages.OURS_ANCHOR), ("init", messages.INIT_ANCHOR)):
        for script in messages.long_scripts(bot, 3, 150):
            assert len(script) == 150 and script[0] == script[-1] == anchor


def test_profile_summary_counts_self_and_inclusive_time_and_leaves_out_waiting():
    raw = "\n".join([
        "<module> (/x/bin/rasa:8);serve (/v/lib/python3.10/site-packages/sanic/server/runners.py:155) 50",
        "<module> (/x/bin/rasa:8);run (/v/lib/python3.10/site-packages/rasa/core/actions/action.py:790);"
        "validate (/v/lib/python3.10/site-packages/jsonschema/validators.py:1100) 30",
        "<module> (/x/bin/rasa:8);run (/v/lib/python3.10/site-packages/rasa/core/actions/action.py:791) 10",
    ])
    stats = profile.analyse(raw)
    assert stats["samples"] == 40 and stats["waiting_samples"] == 50
    assert dict(stats["self_by_package"]) == {"jsonschema": 75.0, "rasa.core": 25.0}
    inclusive = dict(stats["inclusive_by_function"])
    assert inclusive["run (rasa/core/actions/action.py)"] == 100.0  # once per stack, not per line
    assert inclusive["validate (jsonschema/validators.py)"] == 75.0


def _results(ours_rate, init_rate, ours_p95, init_p95, first10, last10, startup, rss):
    def target(key, rate, p95):
        return {"key": key, "title": key, "description": key,
                "concurrent": {"msg_per_s": rate, "p95_ms": p95},
                "long": {"first_ms": 1.0, "last_ms": 99.0, "first10_ms": first10, "last10_ms": last10,
                         "length": 150, "conversations": 3},
                "startup_s": startup, "rss": {"rasa": {"VmHWM": rss}}}
    return {"machine": {"date": "d", "commit": "c", "commit_subject": "s", "cpu": "cpu", "cores": 2,
                        "ram_gb": 1, "os": "os", "python": "3.10", "rasa": "3.6", "rasa_sdk": "3.6",
                        "spacy": "3.4", "tensorflow": "2", "sqlalchemy": "1"},
            "settings": {"single": 1, "senders": 20, "per_sender": 1, "long": 3, "long_length": 150},
            "distinct_messages": {"ours": 244, "init": 15},
            "targets": [target("ours_sql", ours_rate, ours_p95), target("init", init_rate, init_p95)]}


def verdicts(results, level):
    return [row["ok"][level] for row in report.evaluate(results)]


@pytest.mark.parametrize("figures, step, goal", [
    # msg/s, init msg/s, p95, init p95, msgs 1-10, msgs 141-150, start-up s, RSS MB
    ((40, 20, 50, 100, 100, 120, 10, 1024), [True] * 5, [True] * 5),           # on every bound
    ((30, 20, 75, 100, 100, 150, 10, 1024), [True] * 5, [False, False, False, True, True]),
    ((29.9, 20, 75.1, 100, 100, 150.1, 10.1, 1025), [False] * 5, [False] * 5),  # just past them
])
def test_targets_are_judged_for_this_step_and_the_long_term_goal(figures, step, goal):
    results = _results(*figures)
    assert verdicts(results, report.STEP) == step
    assert verdicts(results, report.GOAL) == goal


def test_the_long_conversation_is_judged_on_its_first_and_last_ten_messages():
    """Message 1 alone (1 ms here) and message 150 alone (99 ms) do not decide it."""
    row = report.evaluate(_results(40, 20, 50, 100, 100, 130, 10, 800))[2]
    assert row["target"].startswith("long conversation: messages 141–150 against 1–10")
    assert row["value"] == "1.30×" and row["ok"] == {report.STEP: True, report.GOAL: False}


def test_the_targets_table_shows_both_levels_and_their_bounds():
    text = report.render(_results(30, 20, 75, 100, 100, 150, 9, 800))
    table = [line for line in text.splitlines() if line.startswith("| msg/s at 20 senders")]
    assert table == ["| msg/s at 20 senders, against the init bot's | 1.50× | ≥ 1.5× | **met** | ≥ 2× | **missed** |"]
    for bound in ("≤ 0.75×", "≤ 0.5×", "≤ 1.5×", "≤ 1.2×", "≤ 10 s", "≤ 1,024 MB"):
        assert bound in text
    assert "244 distinct ones" in text


def test_nothing_measured_is_neither_met_nor_missed():
    results = _results(None, 20, None, 100, None, None, None, None)
    assert all(row["ok"] == {report.STEP: None, report.GOAL: None} for row in report.evaluate(results))


def test_a_rerun_replaces_only_the_generated_part(tmp_path):
    path = tmp_path / "BENCHMARKS.md"
    report.write(path, _results(10, 20, 200, 100, 100, 150, 17, 800))
    text = path.read_text()
    assert report.BEGIN in text and report.END in text and "**missed**" in text
    path.write_text(text + "\nHand-written: what limits it.\n")
    report.write(path, _results(40, 20, 50, 100, 100, 110, 9, 800))
    again = path.read_text()
    assert "Hand-written: what limits it." in again
    assert again.count(report.BEGIN) == 1 and "**missed**" not in again


def test_the_load_uses_at_least_200_distinct_messages():
    """Issue 13: with the sizes `make bench` uses, our measured phases say 200 different things
    or more; nothing in them is cached by text either (tests elsewhere)."""
    from bench.run import parse_args

    args = parse_args(["--model", "m.tar.gz"])
    said = messages.distinct_in_load("ours", args.single, args.senders, args.per_sender,
                                     args.conversation_length, args.long, args.long_length)
    assert len(said) >= 200
    assert len(set(messages.OURS_QUESTIONS)) == len(messages.OURS_QUESTIONS) >= 200


def test_every_message_is_dealt_once_before_any_is_repeated():
    script = [m for s in messages.scripts("ours", 30, 15) for m in s if m in messages.OURS_QUESTIONS]
    first = script[:len(messages.OURS_QUESTIONS)]
    assert sorted(first) == sorted(messages.OURS_QUESTIONS)


def test_the_bench_messages_are_not_taken_from_the_evaluation_or_training_data():
    import glob

    from tests.support.servers import REPO

    corpus = "\n".join(open(path, errors="ignore").read().lower() for pattern in (
        "data/**/*.yml", "tests/eval/**/*.yml", "tests/triage/**/*.yml", "tests/triage/**/*.py")
        for path in glob.glob(str(REPO / pattern), recursive=True))
    written = messages.OURS_QUESTIONS[messages.OURS_QUESTIONS.index("where does kidney cancer usually travel to"):]
    assert [q for q in written if q.lower() in corpus] == []


def test_scripts_split_into_conversations_that_each_open_anew():
    for script in messages.scripts("ours", 4, 15, conversation_length=10):
        assert len(script) == 15
        assert script[0] in messages.OURS_OPENERS and script[10] in messages.OURS_OPENERS


async def test_empty_answers_are_errors_unless_the_bot_may_choose_silence():
    """The init bot may predict listening and return []; for ours that would be a defect."""
    from aiohttp import web

    async def webhook(request):
        body = await request.json()
        return web.json_response([] if body["message"] == "yes" else [{"text": "hello"}])

    app = web.Application()
    app.router.add_post(load.WEBHOOK, webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    try:
        scripts = [["hi", "yes", "hi"], ["yes", "hi", "hi"]]
        strict = (await load.run_load(f"http://127.0.0.1:{port}", scripts, 30)).summary()
        assert (strict["answered"], strict["errors"], strict["silent"]) == (4, 2, 0)
        assert strict["error_kinds"] == {"empty answer": 2}
        lenient = (await load.run_load(f"http://127.0.0.1:{port}", scripts, 30,
                                       silent_ok=True)).summary()
        assert (lenient["answered"], lenient["errors"], lenient["silent"]) == (6, 0, 2)
        runs = await load.long_conversations(f"http://127.0.0.1:{port}", [["yes", "hi"]], 30)
        assert runs[0][0] is None and runs[0][1] is not None
        ticks = iter(range(100))
        cpu: list = []
        runs = await load.long_conversations(f"http://127.0.0.1:{port}", [["yes", "hi"]], 30,
                                             silent_ok=True, cpu_probe=lambda: float(next(ticks)), cpu_out=cpu)
        assert None not in runs[0]
        assert cpu == [[1.0, 1.0]]  # what the probe counted across each message
    finally:
        await runner.cleanup()

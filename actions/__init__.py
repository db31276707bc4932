"""Custom actions of the metastatic-cancer assistant, and the knowledge base they answer from.

`actions.knowledge` has no Rasa imports, so the NLU components can use it too; the action
modules beside it are thin `rasa_sdk` wrappers around it.
"""

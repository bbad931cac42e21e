"""Evaluation of message understanding (``make eval``; not part of the default test run).

``python -m tests.eval`` reads our labelled messages (``messages.jsonl``) and the third-party sets
in ``tests/fixtures`` through ``understand_text`` and prints per-field accuracy, the issue's
targets, category confusions and failures. See ``README.md``.
"""

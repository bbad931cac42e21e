"""The edge outbox keeps captures on disk, in order, once per idempotency key, across restarts."""

from __future__ import annotations

from pathlib import Path

from financy.edge.outbox.store import EdgeOutbox


def test_captures_survive_reopening_and_duplicates_collapse(tmp_path: Path) -> None:
    path = tmp_path / "edge" / "outbox.sqlite3"
    box = EdgeOutbox(path)
    assert box.put("devchat:a:1", '{"n": 1}') is True
    assert box.put("devchat:a:2", '{"n": 2}') is True
    assert box.put("devchat:a:1", '{"n": "again"}') is False
    box.close()
    box = EdgeOutbox(path)
    pending = box.pending()
    assert [(p.idempotency_key, p.payload) for p in pending] == [
        ("devchat:a:1", '{"n": 1}'),
        ("devchat:a:2", '{"n": 2}'),
    ]
    box.mark_sent([pending[0].id])
    assert box.count_pending() == 1
    assert [p.idempotency_key for p in box.pending()] == ["devchat:a:2"]
    box.close()


def test_replies_are_sent_once(tmp_path: Path) -> None:
    box = EdgeOutbox(tmp_path / "o.sqlite3")
    assert box.was_sent("r1") is False
    assert box.mark_sent_reply("r1") is True
    assert box.was_sent("r1") is True
    assert box.mark_sent_reply("r1") is False
    box.close()

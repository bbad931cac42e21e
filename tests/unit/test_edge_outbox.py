"""The edge outbox keeps captures on disk, in order, once per idempotency key, across restarts."""

from __future__ import annotations

import json
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


def _capture_json(chat: str, sender: str, merchant: str, n: int) -> str:
    return json.dumps(
        {
            "platform": "devchat",
            "chat_id": chat,
            "sender": {"platform_user_id": sender},
            "n": n,
            "understanding": {"transactions": [{"merchant": merchant}]},
        }
    )


def test_a_chats_recent_captures_are_read_per_sender(tmp_path: Path) -> None:
    """GIVEN Ana and then Bob writing in Ana's chat WHEN the edge looks for what to complete or which
    merchants to expect THEN each sees only their own captures (Bob may not be in Ana's ledger)."""
    box = EdgeOutbox(tmp_path / "o.sqlite3")
    box.put("k1", _capture_json("ana", "ana", "padaria", 1))
    box.put("k2", _capture_json("ana", "bob", "bar do zé", 2))
    box.put("k3", _capture_json("other", "ana", "posto", 3))
    ana_last = box.last_capture_of("devchat", "ana", "ana")
    assert ana_last is not None
    assert json.loads(ana_last)["n"] == 1
    bob_last = box.last_capture_of("devchat", "ana", "bob")
    assert bob_last is not None
    assert json.loads(bob_last)["n"] == 2
    assert box.last_capture_of("devchat", "ana", "carla") is None
    assert box.recent_merchants("devchat", "ana", "ana") == ["padaria"]
    assert box.recent_merchants("devchat", "ana", "bob") == ["bar do zé"]
    box.close()


def test_the_same_file_is_a_duplicate_only_from_the_same_sender(tmp_path: Path) -> None:
    box = EdgeOutbox(tmp_path / "o.sqlite3")
    job = json.dumps({"chat_id": "ana", "sender_id": "bob"})
    assert box.claim_media("devchat:ana:m1", "c1", job, "f" * 64) is None
    assert box.media_sent_before("ana", "ana", "f" * 64) is None
    earlier = box.media_sent_before("ana", "bob", "f" * 64)
    assert earlier is not None
    assert earlier.idempotency_key == "devchat:ana:m1"
    assert box.media_sent_before("other", "bob", "f" * 64) is None
    box.close()

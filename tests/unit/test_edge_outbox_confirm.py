"""The edge outbox learns what the core committed: confirmations, resends, its bound, old files."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest
import structlog

from financy.bots.common.render import render_offline
from financy.edge.outbox.capacity import OutboxCapacity
from financy.edge.outbox.store import EdgeOutbox
from financy.edge.status import FULL_LINE, outbox_lines, stuck_line

#: The outbox table as edges made it before confirmations (no ``confirmed_at``).
OLD_SCHEMA = """
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    idempotency_key TEXT NOT NULL UNIQUE,
    payload TEXT NOT NULL,
    created_at REAL NOT NULL,
    sent_at REAL,
    attempts INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX outbox_unsent ON outbox (id) WHERE sent_at IS NULL;
CREATE TABLE replies_seen (reply_id TEXT PRIMARY KEY, seen_at REAL NOT NULL);
"""


def _backdate_sent(box: EdgeOutbox, seconds: float) -> None:
    with box._lock:
        box._db.execute("UPDATE outbox SET sent_at = sent_at - ? WHERE sent_at IS NOT NULL", (seconds,))


def test_confirmed_rows_are_never_resent_and_unconfirmed_ones_are_after_the_deadline(tmp_path: Path) -> None:
    box = EdgeOutbox(tmp_path / "o.sqlite3")
    for n in range(1, 5):
        box.put(f"k{n}", f'{{"n": {n}}}')
    box.mark_sent([r.id for r in box.pending(10, resend_after_s=60)])
    assert box.pending(10, resend_after_s=60) == []  # sent just now: not due yet
    assert box.confirm(["k1", "k3", "unknown"]) == 2
    assert box.confirm(["k1"]) == 0  # confirmed before
    _backdate_sent(box, 61)
    due = box.pending(10, resend_after_s=60)
    assert [(r.idempotency_key, r.payload, r.attempts) for r in due] == [
        ("k2", '{"n": 2}', 1),
        ("k4", '{"n": 4}', 1),
    ]
    box.mark_sent([r.id for r in due])
    with box._lock:
        attempts = dict(box._db.execute("SELECT idempotency_key, attempts FROM outbox").fetchall())
    assert attempts == {"k1": 1, "k2": 2, "k3": 1, "k4": 2}
    stats = box.stats(capacity=10)
    assert (stats.pending, stats.sent_unconfirmed, stats.confirmed, stats.resent) == (0, 2, 2, 2)
    assert stats.depth == 2
    assert stats.full is False
    box.close()


def test_a_resend_never_overtakes_an_older_unsent_capture(tmp_path: Path) -> None:
    box = EdgeOutbox(tmp_path / "o.sqlite3")
    box.put("a", "1")
    box.put("b", "2")
    first = box.pending(1)
    box.mark_sent([first[0].id])  # "a" sent, "b" not yet (the relay was cut off after one)
    box.put("c", "3")
    _backdate_sent(box, 120)
    assert [r.idempotency_key for r in box.pending(10, resend_after_s=60)] == ["a", "b", "c"]
    # Only the first two fit the batch: strictly by id, the resend first, then the older unsent.
    assert [r.idempotency_key for r in box.pending(2, resend_after_s=60)] == ["a", "b"]
    box.confirm(["a"])
    assert [r.idempotency_key for r in box.pending(1, resend_after_s=60)] == ["b"]
    box.close()


def test_confirmed_captures_are_purged_after_the_retention_in_small_batches(tmp_path: Path) -> None:
    box = EdgeOutbox(tmp_path / "o.sqlite3")
    for n in range(5):
        box.put(f"k{n}", "{}")
    box.mark_sent([r.id for r in box.pending(10)])
    box.confirm(["k0", "k1", "k2", "k3"])
    with box._lock:
        box._db.execute(
            "UPDATE outbox SET confirmed_at = confirmed_at - 8 * 86400 WHERE idempotency_key != 'k3'"
        )
    assert box.purge(7 * 86400, batch=2) == 2
    assert box.purge(7 * 86400, batch=2) == 1
    assert box.purge(7 * 86400, batch=2) == 0
    # k3 is confirmed but recent; k4 is unconfirmed: both kept.
    assert box.payload_of("k3") == "{}"
    assert box.payload_of("k4") == "{}"
    assert box.payload_of("k0") is None
    box.close()


def test_an_old_outbox_file_is_upgraded_in_place_and_its_sent_rows_count_as_confirmed(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    db = sqlite3.connect(path)
    db.executescript(OLD_SCHEMA)
    now = time.time()
    db.executemany(
        "INSERT INTO outbox (idempotency_key, payload, created_at, sent_at, attempts) VALUES (?, ?, ?, ?, ?)",
        [("sent", '"s"', now - 100, now - 90, 1), ("unsent", '"u"', now - 50, None, 0)],
    )
    db.commit()
    db.close()
    box = EdgeOutbox(path)
    stats = box.stats(capacity=100)
    assert (stats.pending, stats.sent_unconfirmed, stats.confirmed) == (1, 0, 1)
    assert [r.idempotency_key for r in box.pending(10, resend_after_s=0)] == ["unsent"]
    box.close()
    again = EdgeOutbox(path)  # a second open finds the column and changes nothing
    assert again.stats(capacity=100).confirmed == 1
    with again._lock:
        columns = [r[1] for r in again._db.execute("PRAGMA table_info(outbox)")]
    assert columns.count("confirmed_at") == 1
    again.close()


def test_the_outbox_fills_at_capacity_and_drains_below_ninety_percent(tmp_path: Path) -> None:
    box = EdgeOutbox(tmp_path / "o.sqlite3")
    capacity = OutboxCapacity(box, 10, refresh_s=3600)
    with structlog.testing.capture_logs() as logs:
        for n in range(9):
            box.put(f"k{n}", "{}")
            capacity.note_put()
            assert capacity.check() is False
        box.put("k9", "{}")
        capacity.note_put()
        assert capacity.check() is True
        assert box.stats(10).full is True
        assert FULL_LINE in outbox_lines(box.stats(10))
        box.confirm(["k0"])
        assert capacity.refresh() is True  # 9 of 10: not yet below 90 %
        box.confirm(["k1"])
        assert capacity.refresh() is False
        assert capacity.check() is False
    events = [e["event"] for e in logs if e["event"].startswith("edge.outbox_")]
    assert events == ["edge.outbox_full", "edge.outbox_drained"]
    assert FULL_LINE not in outbox_lines(box.stats(10))
    box.close()


def test_a_capacity_below_one_is_refused(tmp_path: Path) -> None:
    box = EdgeOutbox(tmp_path / "o.sqlite3")
    with pytest.raises(ValueError, match="at least 1"):
        OutboxCapacity(box, 0)
    box.close()


def test_the_offline_answer_is_said_in_both_languages() -> None:
    assert render_offline("pt").text == "Recebido — registro quando a conexão voltar."
    assert render_offline("en").text == "Received — I'll record it when the connection is back."
    assert render_offline("de").text == render_offline("pt").text


def test_each_resend_waits_twice_as_long_as_the_one_before_up_to_an_hour(tmp_path: Path) -> None:
    """GIVEN a capture the core never confirms WHEN it is resent THEN the waits are 60, 120, 240 s."""
    box = EdgeOutbox(tmp_path / "o.sqlite3")
    box.put("k1", '{"n": 1}')
    (row,) = box.pending(10, resend_after_s=60)
    box.mark_sent([row.id])  # first send: attempts 1
    for wait in (60, 120, 240):
        _backdate_sent(box, wait - 5)
        assert box.pending(10, resend_after_s=60) == []
        _backdate_sent(box, 10)
        (again,) = box.pending(10, resend_after_s=60)
        assert again.idempotency_key == "k1"
        box.mark_sent([again.id])
    with box._lock:
        box._db.execute("UPDATE outbox SET attempts = 30")
    _backdate_sent(box, 3595)
    assert box.pending(10, resend_after_s=60) == []
    _backdate_sent(box, 10)
    assert [r.idempotency_key for r in box.pending(10, resend_after_s=60)] == ["k1"]


def test_status_warns_of_captures_resent_and_never_confirmed(tmp_path: Path) -> None:
    """GIVEN a capture the core keeps refusing WHEN five deadlines pass THEN status says it is stuck."""
    box = EdgeOutbox(tmp_path / "o.sqlite3")
    box.put("k1", '{"n": 1}')
    (row,) = box.pending(10)
    box.mark_sent([row.id])
    box.mark_sent([row.id])  # resent once
    with box._lock:
        box._db.execute("UPDATE outbox SET created_at = created_at - 200")
    assert stuck_line(box.stats(10), resend_after_s=60) is None  # 200 s < 5 deadlines
    with box._lock:
        box._db.execute("UPDATE outbox SET created_at = created_at - 200")
    line = stuck_line(box.stats(10), resend_after_s=60)
    assert line is not None
    assert line.startswith("WARNING: 1 capture(s) resent and still not confirmed after 7 min")
    box.confirm(["k1"])
    assert stuck_line(box.stats(10), resend_after_s=60) is None

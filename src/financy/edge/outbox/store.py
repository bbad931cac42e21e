"""The edge outbox: captures kept on the edge's own disk (SQLite, WAL) until the core has them.

A capture is accepted once it is in this file, whatever the state of the core's Redis: the
relay sends it later. The idempotency key is unique here too, so a platform's duplicate
webhook delivery is collapsed before it leaves the edge.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    idempotency_key TEXT NOT NULL UNIQUE,
    payload TEXT NOT NULL,
    created_at REAL NOT NULL,
    sent_at REAL,
    attempts INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS outbox_unsent ON outbox (id) WHERE sent_at IS NULL;
CREATE TABLE IF NOT EXISTS replies_seen (
    reply_id TEXT PRIMARY KEY,
    seen_at REAL NOT NULL
);
"""


@dataclass(frozen=True, slots=True)
class PendingCapture:
    """One unsent outbox row: its row id, idempotency key and the CaptureV1 JSON."""

    id: int
    idempotency_key: str
    payload: str


class EdgeOutbox:
    """SQLite-backed outbox in ``<edge_dir>/outbox.sqlite3`` (thread-safe, one connection).

    Its calls take tens of microseconds and a commit does not fsync (WAL, ``synchronous=NORMAL``),
    so the edge makes them on its event loop: a hop to a thread would cost more than the call.
    """

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode: a committed capture survives a process crash; fsync at checkpoints.
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA busy_timeout=5000")
        self._db.executescript(_SCHEMA)

    def put(self, idempotency_key: str, payload: str) -> bool:
        """Store a capture; return ``False`` if that idempotency key was stored before."""
        with self._lock:
            cur = self._db.execute(
                "INSERT INTO outbox (idempotency_key, payload, created_at) VALUES (?, ?, ?)"
                " ON CONFLICT (idempotency_key) DO NOTHING",
                (idempotency_key, payload, time.time()),
            )
            return cur.rowcount == 1

    def payload_of(self, idempotency_key: str) -> str | None:
        """Return the stored CaptureV1 JSON for ``idempotency_key``, or ``None`` (never seen or purged)."""
        with self._lock:
            row = self._db.execute(
                "SELECT payload FROM outbox WHERE idempotency_key = ?", (idempotency_key,)
            ).fetchone()
        return None if row is None else str(row[0])

    def pending(self, limit: int = 100) -> list[PendingCapture]:
        """Return up to ``limit`` unsent captures, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, idempotency_key, payload FROM outbox WHERE sent_at IS NULL ORDER BY id LIMIT ?",
                (limit,),
            ).fetchall()
        return [PendingCapture(int(r[0]), str(r[1]), str(r[2])) for r in rows]

    def mark_sent(self, ids: list[int]) -> None:
        """Mark the rows ``ids`` as handed to the core's stream."""
        if not ids:
            return
        now = time.time()
        with self._lock:
            self._db.executemany(
                "UPDATE outbox SET sent_at = ?, attempts = attempts + 1 WHERE id = ?", [(now, i) for i in ids]
            )

    def count_pending(self) -> int:
        """Return how many captures wait for the core."""
        with self._lock:
            row = self._db.execute("SELECT count(*) FROM outbox WHERE sent_at IS NULL").fetchone()
        return int(row[0])

    def was_sent(self, reply_id: str) -> bool:
        """Return whether the reply ``reply_id`` was already delivered to its chat."""
        with self._lock:
            row = self._db.execute("SELECT 1 FROM replies_seen WHERE reply_id = ?", (reply_id,)).fetchone()
        return row is not None

    def mark_sent_reply(self, reply_id: str) -> bool:
        """Record that ``reply_id`` was delivered; return ``False`` if it was recorded before."""
        with self._lock:
            cur = self._db.execute(
                "INSERT INTO replies_seen (reply_id, seen_at) VALUES (?, ?) ON CONFLICT DO NOTHING",
                (reply_id, time.time()),
            )
            return cur.rowcount == 1

    def purge(self, older_than_s: float = 7 * 86400) -> None:
        """Delete sent captures and seen reply ids older than ``older_than_s`` seconds."""
        cutoff = time.time() - older_than_s
        with self._lock:
            self._db.execute("DELETE FROM outbox WHERE sent_at IS NOT NULL AND sent_at < ?", (cutoff,))
            self._db.execute("DELETE FROM replies_seen WHERE seen_at < ?", (cutoff,))

    def close(self) -> None:
        """Close the database file."""
        with self._lock:
            self._db.close()

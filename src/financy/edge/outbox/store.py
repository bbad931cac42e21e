"""The edge outbox: captures kept on the edge's own disk (SQLite, WAL) until the core has them.

A capture is accepted once it is in this file, whatever the state of the core's Redis: the
relay sends it later. The idempotency key is unique here too, so a platform's duplicate
webhook delivery is collapsed before it leaves the edge.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
-- Voice notes and photos between intake and their capture: the original is in the object store,
-- a worker reads it (receiving -> queued -> done), and the capture lands in the outbox.
CREATE TABLE IF NOT EXISTS media_jobs (
    capture_id TEXT PRIMARY KEY,
    idempotency_key TEXT NOT NULL UNIQUE,
    payload TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS media_jobs_open ON media_jobs (updated_at) WHERE state != 'done';
CREATE INDEX IF NOT EXISTS media_jobs_sha256 ON media_jobs (sha256);
"""

#: States of a media job.
RECEIVING, QUEUED, DONE = "receiving", "queued", "done"


@dataclass(frozen=True, slots=True)
class MediaJobRow:
    """One media job: its capture id, idempotency key, job JSON, original's sha256, state and starts."""

    capture_id: str
    idempotency_key: str
    payload: str
    sha256: str
    state: str
    attempts: int
    updated_at: float


@dataclass(frozen=True, slots=True)
class PendingCapture:
    """One unsent outbox row: its row id, idempotency key and the CaptureV1 JSON."""

    id: int
    idempotency_key: str
    payload: str


def open_database(path: Path, schema: str) -> sqlite3.Connection:
    """Open (creating its folder and ``schema``'s tables) the SQLite database at ``path`` for one process.

    Autocommit (``isolation_level=None``), usable from any thread behind the caller's lock, WAL with
    ``synchronous=NORMAL`` (a committed row survives a process crash; fsync at checkpoints) and a
    5 s busy timeout. Raises :class:`sqlite3.Error` where the file cannot be opened or is not SQLite.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA busy_timeout=5000")
    db.executescript(schema)
    return db


class EdgeOutbox:
    """SQLite-backed outbox in ``<edge_dir>/outbox.sqlite3`` (thread-safe, one connection).

    Its calls take tens of microseconds and a commit does not fsync (WAL, ``synchronous=NORMAL``),
    so the edge makes them on its event loop: a hop to a thread would cost more than the call.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._db = open_database(path, _SCHEMA)

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
            self._db.execute("DELETE FROM media_jobs WHERE state = ? AND updated_at < ?", (DONE, cutoff))

    # --- media jobs -----------------------------------------------------------------------------

    def claim_media(self, idempotency_key: str, capture_id: str, payload: str, sha256: str) -> str | None:
        """Claim ``idempotency_key`` for a new media job in state ``receiving``.

        Returns ``None`` when claimed, else the sha256 of the file first delivered under that key
        (``""`` when the key belongs to a text capture): the delivery is a duplicate.
        """
        now = time.time()
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                row = self._db.execute(
                    "SELECT sha256 FROM media_jobs WHERE idempotency_key = ?", (idempotency_key,)
                ).fetchone()
                if (
                    row is None
                    and self._db.execute(
                        "SELECT 1 FROM outbox WHERE idempotency_key = ?", (idempotency_key,)
                    ).fetchone()
                ):
                    row = ("",)
                if row is None:
                    self._db.execute(
                        "INSERT INTO media_jobs (capture_id, idempotency_key, payload, sha256, state,"
                        " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (capture_id, idempotency_key, payload, sha256, RECEIVING, now, now),
                    )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return None if row is None else str(row[0])

    def media_sent_before(self, chat_id: str, sender_id: str, sha256: str) -> MediaJobRow | None:
        """Return the job of the same file (``sha256``) this sender sent in this chat before (kept
        7 days), or ``None``. Another sender's copy never counts: it may not be in this chat's ledger."""
        with self._lock:
            rows = self._db.execute(
                "SELECT capture_id, idempotency_key, payload, sha256, state, attempts, updated_at"
                " FROM media_jobs WHERE sha256 = ? ORDER BY created_at",
                (sha256,),
            ).fetchall()
        for row in rows:
            try:
                job = json.loads(row[2])
                if job.get("chat_id") == chat_id and job.get("sender_id") == sender_id:
                    return MediaJobRow(*row)
            except ValueError:  # noqa: S112 - only our own JSON is here; a bad row is skipped
                continue
        return None

    def media_stored(self, capture_id: str) -> None:
        """Mark a claimed media job ``queued``: its original is in the object store."""
        with self._lock:
            self._db.execute(
                "UPDATE media_jobs SET state = ?, updated_at = ? WHERE capture_id = ? AND state = ?",
                (QUEUED, time.time(), capture_id, RECEIVING),
            )

    def release_media(self, capture_id: str) -> None:
        """Forget a claimed media job whose original could not be stored (the platform will resend)."""
        with self._lock:
            self._db.execute(
                "DELETE FROM media_jobs WHERE capture_id = ? AND state = ?", (capture_id, RECEIVING)
            )

    def media_job(self, capture_id: str) -> MediaJobRow | None:
        """Return the media job of ``capture_id``, or ``None``."""
        with self._lock:
            row = self._db.execute(
                "SELECT capture_id, idempotency_key, payload, sha256, state, attempts, updated_at"
                " FROM media_jobs WHERE capture_id = ?",
                (capture_id,),
            ).fetchone()
        return None if row is None else MediaJobRow(*row)

    def start_media(self, capture_id: str) -> int:
        """Count one more start of a media job; return how many starts it has had."""
        with self._lock:
            self._db.execute(
                "UPDATE media_jobs SET attempts = attempts + 1, updated_at = ? WHERE capture_id = ?",
                (time.time(), capture_id),
            )
            row = self._db.execute(
                "SELECT attempts FROM media_jobs WHERE capture_id = ?", (capture_id,)
            ).fetchone()
        return 0 if row is None else int(row[0])

    def finish_media(self, capture_id: str, idempotency_key: str, capture_payload: str) -> bool:
        """Store the finished capture in the outbox and close its media job, in one transaction.

        Returns ``False`` when the job was already done (a second run of the same job).
        """
        now = time.time()
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                cur = self._db.execute(
                    "UPDATE media_jobs SET state = ?, updated_at = ? WHERE capture_id = ? AND state != ?",
                    (DONE, now, capture_id, DONE),
                )
                if cur.rowcount == 1:
                    self._db.execute(
                        "INSERT INTO outbox (idempotency_key, payload, created_at) VALUES (?, ?, ?)"
                        " ON CONFLICT (idempotency_key) DO NOTHING",
                        (idempotency_key, capture_payload, now),
                    )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return cur.rowcount == 1

    def stale_media(self, older_than_s: float) -> list[MediaJobRow]:
        """Return unfinished media jobs untouched for ``older_than_s`` seconds (their worker may be gone)."""
        cutoff = time.time() - older_than_s
        with self._lock:
            rows = self._db.execute(
                "SELECT capture_id, idempotency_key, payload, sha256, state, attempts, updated_at"
                " FROM media_jobs WHERE state != ? AND updated_at < ? ORDER BY updated_at LIMIT 100",
                (DONE, cutoff),
            ).fetchall()
        return [MediaJobRow(*row) for row in rows]

    def touch_media(self, capture_id: str) -> None:
        """Note that a media job was queued again now."""
        with self._lock:
            self._db.execute(
                "UPDATE media_jobs SET updated_at = ? WHERE capture_id = ?", (time.time(), capture_id)
            )

    def count_open_media(self) -> int:
        """Return how many voice notes and photos wait for a worker."""
        with self._lock:
            row = self._db.execute("SELECT count(*) FROM media_jobs WHERE state != ?", (DONE,)).fetchone()
        return int(row[0])

    def _recent_of(
        self, platform: str, chat_id: str, scan: int, sender_id: str | None = None
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        """Yield ``(payload, parsed)`` of ``chat_id``'s captures among the last ``scan`` ones, newest
        first (only ``sender_id``'s when given)."""
        with self._lock:
            rows = self._db.execute("SELECT payload FROM outbox ORDER BY id DESC LIMIT ?", (scan,)).fetchall()
        for (payload,) in rows:
            try:
                data = json.loads(payload)
            except ValueError:  # noqa: S112 - only our own JSON is here; a bad row is skipped
                continue
            if data.get("chat_id") != chat_id or data.get("platform") != platform:
                continue
            if sender_id is None or (data.get("sender") or {}).get("platform_user_id") == sender_id:
                yield str(payload), data

    def last_capture_of(self, platform: str, chat_id: str, sender_id: str, scan: int = 500) -> str | None:
        """Return the CaptureV1 JSON of ``sender_id``'s most recent capture in ``chat_id`` (``None`` if
        not among the last ``scan`` captures). Only the sender's own: an answer to the bot's "how
        much?" completes the question it was asked, never someone else's in the same chat."""
        return next((payload for payload, _ in self._recent_of(platform, chat_id, scan, sender_id)), None)

    def recent_captures_of(
        self, platform: str, chat_id: str, sender_id: str, limit: int = 2, scan: int = 500
    ) -> list[str]:
        """Return the CaptureV1 JSON of ``sender_id``'s ``limit`` most recent captures in ``chat_id``,
        newest first (fewer when fewer are among the last ``scan`` captures). Only the sender's own."""
        found: list[str] = []
        for payload, _ in self._recent_of(platform, chat_id, scan, sender_id):
            found.append(payload)
            if len(found) >= limit:
                break
        return found

    def recent_merchants(self, platform: str, chat_id: str, sender_id: str, limit: int = 30) -> list[str]:
        """Return merchants of the sender's recent captures in this chat still in the outbox, most
        recent first.

        The speech model gets them as vocabulary: people say the same shop names again. Only the
        sender's own: what another sender in the chat bought is not theirs to read.
        """
        merchants: list[str] = []
        for _, data in self._recent_of(platform, chat_id, 500, sender_id):
            for tx in (data.get("understanding") or {}).get("transactions") or ():
                name = tx.get("merchant")
                if isinstance(name, str) and name and name not in merchants:
                    merchants.append(name)
            if len(merchants) >= limit:
                break
        return merchants[:limit]

    def close(self) -> None:
        """Close the database file."""
        with self._lock:
            self._db.close()

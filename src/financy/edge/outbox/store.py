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
from collections.abc import Iterable, Iterator
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
    attempts INTEGER NOT NULL DEFAULT 0,
    confirmed_at REAL
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

#: Indexes over ``outbox.confirmed_at``: made after :func:`_upgrade` gave an older file the column.
_CONFIRM_INDEXES = """
CREATE INDEX IF NOT EXISTS outbox_unconfirmed ON outbox (id) WHERE confirmed_at IS NULL;
CREATE INDEX IF NOT EXISTS outbox_awaiting ON outbox (sent_at)
    WHERE confirmed_at IS NULL AND sent_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS outbox_confirmed ON outbox (confirmed_at) WHERE confirmed_at IS NOT NULL;
"""

#: Longest wait (seconds) between two resends of a capture the core has not confirmed.
RESEND_BACKOFF_MAX_S = 3600.0

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
    """One outbox row to send: its row id, idempotency key, the CaptureV1 JSON and how many times it
    was sent before (``attempts`` > 0: a resend of a capture the core has not confirmed)."""

    id: int
    idempotency_key: str
    payload: str
    attempts: int = 0


@dataclass(frozen=True, slots=True)
class OutboxStats:
    """What the outbox holds (``financy edge status``, the gauges).

    * ``pending``: captures never sent; ``sent_unconfirmed``: sent, the core has not confirmed them;
    * ``confirmed``: confirmed and kept until the retention purges them;
    * ``oldest_unconfirmed_age_s``: seconds since the oldest unconfirmed capture was stored
      (``None`` when there is none);
    * ``resent``: unconfirmed captures sent more than once;
    * ``capacity``: the most unconfirmed captures the edge keeps before it refuses new ones.
    """

    pending: int
    sent_unconfirmed: int
    confirmed: int
    oldest_unconfirmed_age_s: float | None
    resent: int
    capacity: int

    @property
    def depth(self) -> int:
        """Return the unconfirmed captures (pending plus sent-unconfirmed)."""
        return self.pending + self.sent_unconfirmed

    @property
    def full(self) -> bool:
        """Return whether the outbox holds ``capacity`` unconfirmed captures or more."""
        return self.depth >= self.capacity


def _upgrade(db: sqlite3.Connection) -> None:
    """Give an outbox file made before confirmations its ``confirmed_at`` column, in place.

    Rows already sent then count as confirmed (the edge of that time never learnt otherwise and
    did not resend; the core's idempotency key would collapse a resend anyway). Runs in one
    ``BEGIN IMMEDIATE`` transaction, so two processes opening the file at once upgrade it once.
    """
    db.execute("BEGIN IMMEDIATE")
    try:
        columns = {str(row[1]) for row in db.execute("PRAGMA table_info(outbox)")}
        if "confirmed_at" not in columns:
            db.execute("ALTER TABLE outbox ADD COLUMN confirmed_at REAL")
            db.execute("UPDATE outbox SET confirmed_at = sent_at WHERE sent_at IS NOT NULL")
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.executescript(_CONFIRM_INDEXES)


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
        _upgrade(self._db)

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

    def pending(self, limit: int = 100, *, resend_after_s: float | None = None) -> list[PendingCapture]:
        """Return up to ``limit`` captures to send, strictly in outbox id order.

        Those never sent, and with ``resend_after_s`` those sent at least that many seconds ago
        and still not confirmed by the core (a resend; after the n-th send the wait is
        ``resend_after_s * 2**(n-1)``, at most :data:`RESEND_BACKOFF_MAX_S`). One id order over both, so a resend never
        overtakes an older unsent capture and a new capture never overtakes an older resend.
        """
        with self._lock:
            rows = self._db.execute(
                "SELECT id, idempotency_key, payload, attempts FROM outbox"
                " WHERE sent_at IS NULL AND confirmed_at IS NULL ORDER BY id LIMIT ?",
                (limit,),
            ).fetchall()
            if resend_after_s is not None:
                rows += self._db.execute(
                    "SELECT id, idempotency_key, payload, attempts FROM outbox"
                    " WHERE confirmed_at IS NULL AND sent_at IS NOT NULL"
                    # Backoff: the n-th resend waits resend_after_s * 2^(n-1), at most an hour, so a
                    # capture the core keeps refusing (a wrong key: dead-lettered each time) is not
                    # sent every minute forever; a confirmation still ends it at any time.
                    " AND sent_at <= ? - min(? * (1 << (min(max(attempts, 1), 7) - 1)), ?)"
                    " ORDER BY id LIMIT ?",
                    (time.time(), resend_after_s, max(resend_after_s, RESEND_BACKOFF_MAX_S), limit),
                ).fetchall()
                rows.sort(key=lambda r: int(r[0]))
                rows = rows[:limit]
        return [PendingCapture(int(r[0]), str(r[1]), str(r[2]), int(r[3])) for r in rows]

    def mark_sent(self, ids: list[int]) -> None:
        """Mark the rows ``ids`` as handed to the core's stream now (a resend counts another attempt)."""
        if not ids:
            return
        now = time.time()
        with self._lock:
            self._db.executemany(
                "UPDATE outbox SET sent_at = ?, attempts = attempts + 1 WHERE id = ?", [(now, i) for i in ids]
            )

    def confirm(self, keys: Iterable[str]) -> int:
        """Mark the captures of idempotency ``keys`` committed by the core; return how many rows
        changed (a key confirmed before, or unknown here, changes none)."""
        now = time.time()
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                cur = self._db.executemany(
                    "UPDATE outbox SET confirmed_at = ? WHERE idempotency_key = ? AND confirmed_at IS NULL",
                    [(now, key) for key in keys],
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return max(cur.rowcount, 0)

    def depth(self) -> int:
        """Return how many captures the core has not confirmed (unsent or sent-unconfirmed)."""
        with self._lock:
            row = self._db.execute("SELECT count(*) FROM outbox WHERE confirmed_at IS NULL").fetchone()
        return int(row[0])

    def stats(self, capacity: int) -> OutboxStats:
        """Return the outbox's counts (see :class:`OutboxStats`) against ``capacity``."""
        with self._lock:
            pending, unconfirmed, oldest, resent = self._db.execute(
                "SELECT count(*) FILTER (WHERE sent_at IS NULL), count(*), min(created_at),"
                " count(*) FILTER (WHERE attempts > 1) FROM outbox WHERE confirmed_at IS NULL"
            ).fetchone()
            confirmed = self._db.execute(
                "SELECT count(*) FROM outbox WHERE confirmed_at IS NOT NULL"
            ).fetchone()[0]
        return OutboxStats(
            pending=int(pending),
            sent_unconfirmed=int(unconfirmed) - int(pending),
            confirmed=int(confirmed),
            oldest_unconfirmed_age_s=None if oldest is None else max(0.0, time.time() - float(oldest)),
            resent=int(resent),
            capacity=capacity,
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

    def purge(self, older_than_s: float = 7 * 86400, *, batch: int = 500) -> int:
        """Delete up to ``batch`` captures confirmed more than ``older_than_s`` seconds ago (oldest
        first: small batches keep the file's lock short), and old seen reply ids and done media
        jobs. Unconfirmed captures are never deleted. Returns how many captures went."""
        cutoff = time.time() - older_than_s
        with self._lock:
            cur = self._db.execute(
                "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE confirmed_at IS NOT NULL"
                " AND confirmed_at < ? ORDER BY confirmed_at LIMIT ?)",
                (cutoff, batch),
            )
            self._db.execute("DELETE FROM replies_seen WHERE seen_at < ?", (cutoff,))
            self._db.execute("DELETE FROM media_jobs WHERE state = ? AND updated_at < ?", (DONE, cutoff))
        return max(cur.rowcount, 0)

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

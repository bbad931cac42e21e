"""What the edge keeps for its chat adapters on its own disk (SQLite, WAL): ``<edge_dir>/bots.sqlite3``.

* ``updates``: raw platform updates (webhook bodies, polled updates), stored before the webhook is
  answered and unique by the platform's update id, so a redelivery is answered and not processed
  twice. :class:`~financy.edge.sync.updates.UpdateDrain` hands each to its adapter.
* ``deliveries``: replies that could not be sent at once (the platform throttled or was away, or
  WhatsApp's 24-hour window was closed), kept until sent; never dropped silently.
* ``sent_messages``: the bot's messages and the transactions each showed (a reply to one acts on them).
* ``chats``: when each chat last wrote.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from financy.bots.common.message import SentMessage
from financy.edge.outbox.store import open_database

_SCHEMA = """
CREATE TABLE IF NOT EXISTS updates (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    platform TEXT NOT NULL,
    update_key TEXT NOT NULL,
    body BLOB NOT NULL,
    received_at REAL NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at REAL NOT NULL DEFAULT 0,
    error TEXT,
    UNIQUE (platform, update_key)
);
CREATE INDEX IF NOT EXISTS updates_pending ON updates (next_at) WHERE state = 'pending';
CREATE TABLE IF NOT EXISTS deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    reply_id TEXT NOT NULL UNIQUE,
    platform TEXT NOT NULL,
    chat_id TEXT NOT NULL,
    payload TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at REAL NOT NULL DEFAULT 0,
    error TEXT,
    created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS deliveries_pending ON deliveries (next_at) WHERE state = 'pending';
CREATE INDEX IF NOT EXISTS deliveries_held ON deliveries (platform, chat_id) WHERE state = 'held';
CREATE TABLE IF NOT EXISTS sent_messages (
    platform TEXT NOT NULL,
    chat_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    reply_id TEXT NOT NULL,
    transaction_ids TEXT NOT NULL,
    sent_at REAL NOT NULL,
    PRIMARY KEY (platform, chat_id, message_id)
);
CREATE TABLE IF NOT EXISTS chats (
    platform TEXT NOT NULL,
    chat_id TEXT NOT NULL,
    last_inbound_at REAL NOT NULL,
    PRIMARY KEY (platform, chat_id)
);
"""

#: States of an update and of a delivery.
PENDING, DONE, FAILED, HELD = "pending", "done", "failed", "held"


@dataclass(frozen=True, slots=True)
class StoredUpdate:
    """One stored platform update: row id, platform, its update id, raw bytes and tries so far."""

    id: int
    platform: str
    update_key: str
    body: bytes
    attempts: int


@dataclass(frozen=True, slots=True)
class Delivery:
    """One reply waiting to be sent again: row id, reply id, platform, chat, ReplyV1 JSON, tries."""

    id: int
    reply_id: str
    platform: str
    chat_id: str
    payload: str
    attempts: int


class EdgeBotState:
    """Implements :class:`~financy.bots.common.message.BotState` and the edge's own queues over SQLite.

    One connection guarded by a lock; calls take tens of microseconds (WAL, ``synchronous=NORMAL``:
    a committed row survives a process crash), so they are made on the event loop.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._db = open_database(path, _SCHEMA)

    # --- updates --------------------------------------------------------------------------------

    def accept_update(self, platform: str, update_key: str, body: bytes) -> bool:
        """Store an update; return ``False`` if this platform's ``update_key`` was stored before."""
        with self._lock:
            cur = self._db.execute(
                "INSERT INTO updates (platform, update_key, body, received_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (platform, update_key) DO NOTHING",
                (platform, update_key, body, time.time()),
            )
            return cur.rowcount == 1

    def due_updates(self, limit: int = 50, now: float | None = None) -> list[StoredUpdate]:
        """Return pending updates whose next try is due, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, platform, update_key, body, attempts FROM updates"
                " WHERE state = 'pending' AND next_at <= ? ORDER BY id LIMIT ?",
                (time.time() if now is None else now, limit),
            ).fetchall()
        return [StoredUpdate(r[0], r[1], r[2], bytes(r[3]), r[4]) for r in rows]

    def update_done(self, update_id: int) -> None:
        """Mark an update processed (its body is dropped by :meth:`purge` later)."""
        with self._lock:
            self._db.execute("UPDATE updates SET state = 'done', error = NULL WHERE id = ?", (update_id,))

    def update_failed(self, update_id: int, error: str, *, retry_in_s: float | None) -> None:
        """Count a failed try: try again in ``retry_in_s`` seconds, or give up (``None``: kept as failed)."""
        with self._lock:
            if retry_in_s is None:
                self._db.execute(
                    "UPDATE updates SET state = 'failed', attempts = attempts + 1, error = ? WHERE id = ?",
                    (error[:500], update_id),
                )
            else:
                self._db.execute(
                    "UPDATE updates SET attempts = attempts + 1, next_at = ?, error = ? WHERE id = ?",
                    (time.time() + retry_in_s, error[:500], update_id),
                )

    def count_updates(self, state: str = PENDING) -> int:
        """Return how many updates are in ``state``."""
        with self._lock:
            return int(
                self._db.execute("SELECT count(*) FROM updates WHERE state = ?", (state,)).fetchone()[0]
            )

    # --- deliveries -----------------------------------------------------------------------------

    def defer_reply(
        self, reply_id: str, platform: str, chat_id: str, payload: str, *, retry_in_s: float, error: str
    ) -> bool:
        """Keep a reply that could not be sent, to try again in ``retry_in_s`` s; ``False`` if kept already."""
        with self._lock:
            cur = self._db.execute(
                "INSERT INTO deliveries (reply_id, platform, chat_id, payload, attempts, next_at, error, created_at)"
                " VALUES (?, ?, ?, ?, 1, ?, ?, ?) ON CONFLICT (reply_id) DO NOTHING",
                (reply_id, platform, chat_id, payload, time.time() + retry_in_s, error[:500], time.time()),
            )
            return cur.rowcount == 1

    def hold_reply(self, reply_id: str, platform: str, chat_id: str, payload: str, *, error: str) -> None:
        """Keep a reply until the chat's user writes again (a closed WhatsApp window)."""
        with self._lock:
            self._db.execute(
                "INSERT INTO deliveries (reply_id, platform, chat_id, payload, state, error, created_at)"
                " VALUES (?, ?, ?, ?, 'held', ?, ?) ON CONFLICT (reply_id) DO UPDATE SET state = 'held',"
                " error = excluded.error",
                (reply_id, platform, chat_id, payload, error[:500], time.time()),
            )

    def requeue_reply(
        self, reply_id: str, platform: str, chat_id: str, payload: str, *, retry_in_s: float, error: str
    ) -> None:
        """Send a reply again in ``retry_in_s`` seconds, even one sent before (the platform later
        reported that its message failed); a held or pending one is rescheduled."""
        with self._lock:
            self._db.execute(
                "INSERT INTO deliveries (reply_id, platform, chat_id, payload, attempts, next_at, error, created_at)"
                " VALUES (?, ?, ?, ?, 1, ?, ?, ?) ON CONFLICT (reply_id) DO UPDATE SET state = 'pending',"
                " attempts = deliveries.attempts + 1, next_at = excluded.next_at, error = excluded.error",
                (reply_id, platform, chat_id, payload, time.time() + retry_in_s, error[:500], time.time()),
            )

    def due_deliveries(self, limit: int = 50, now: float | None = None) -> list[Delivery]:
        """Return pending deliveries whose next try is due, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, reply_id, platform, chat_id, payload, attempts FROM deliveries"
                " WHERE state = 'pending' AND next_at <= ? ORDER BY id LIMIT ?",
                (time.time() if now is None else now, limit),
            ).fetchall()
        return [Delivery(*r) for r in rows]

    def delivery_sent(self, delivery_id: int) -> None:
        """Mark a delivery sent."""
        with self._lock:
            self._db.execute(
                "UPDATE deliveries SET state = 'done', error = NULL WHERE id = ?", (delivery_id,)
            )

    def delivery_retry(self, delivery_id: int, *, retry_in_s: float, error: str) -> None:
        """Count a failed try and schedule the next in ``retry_in_s`` seconds."""
        with self._lock:
            self._db.execute(
                "UPDATE deliveries SET attempts = attempts + 1, next_at = ?, error = ? WHERE id = ?",
                (time.time() + retry_in_s, error[:500], delivery_id),
            )

    def delivery_held(self, delivery_id: int, error: str) -> None:
        """Hold a delivery until its chat's user writes again."""
        with self._lock:
            self._db.execute(
                "UPDATE deliveries SET state = 'held', error = ? WHERE id = ?", (error[:500], delivery_id)
            )

    def delivery_failed(self, delivery_id: int, error: str) -> None:
        """Give a delivery up for good (the platform refuses it); it stays in the file, logged."""
        with self._lock:
            self._db.execute(
                "UPDATE deliveries SET state = 'failed', attempts = attempts + 1, error = ? WHERE id = ?",
                (error[:500], delivery_id),
            )

    def count_deliveries(self, state: str = PENDING) -> int:
        """Return how many deliveries are in ``state``."""
        with self._lock:
            return int(
                self._db.execute("SELECT count(*) FROM deliveries WHERE state = ?", (state,)).fetchone()[0]
            )

    # --- sent messages and chats ----------------------------------------------------------------

    def remember_sent(self, sent: SentMessage) -> None:
        """Record a message the bot sent (the last reply wins for a message id)."""
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO sent_messages VALUES (?, ?, ?, ?, ?, ?)",
                (
                    sent.platform,
                    sent.chat_id,
                    sent.message_id,
                    sent.reply_id,
                    json.dumps(list(sent.transaction_ids)),
                    time.time(),
                ),
            )

    def sent_message(self, platform: str, chat_id: str, message_id: str) -> SentMessage | None:
        """Return the bot's message ``message_id`` in ``chat_id``, or ``None``."""
        with self._lock:
            row = self._db.execute(
                "SELECT reply_id, transaction_ids FROM sent_messages"
                " WHERE platform = ? AND chat_id = ? AND message_id = ?",
                (platform, chat_id, message_id),
            ).fetchone()
        if row is None:
            return None
        return SentMessage(platform, chat_id, message_id, row[0], tuple(json.loads(row[1])))

    def touch_chat(self, platform: str, chat_id: str, at: dt.datetime) -> None:
        """Note the chat's user wrote at ``at``; replies held for the chat become due now."""
        with self._lock:
            self._db.execute(
                "INSERT INTO chats VALUES (?, ?, ?) ON CONFLICT (platform, chat_id) DO UPDATE"
                " SET last_inbound_at = max(last_inbound_at, excluded.last_inbound_at)",
                (platform, chat_id, at.timestamp()),
            )
            self._db.execute(
                "UPDATE deliveries SET state = 'pending', next_at = 0"
                " WHERE state = 'held' AND platform = ? AND chat_id = ?",
                (platform, chat_id),
            )

    def last_inbound(self, platform: str, chat_id: str) -> dt.datetime | None:
        """Return when the user of ``chat_id`` last wrote (UTC), or ``None``."""
        with self._lock:
            row = self._db.execute(
                "SELECT last_inbound_at FROM chats WHERE platform = ? AND chat_id = ?", (platform, chat_id)
            ).fetchone()
        return None if row is None else dt.datetime.fromtimestamp(row[0], dt.UTC)

    def purge(self, older_than_s: float = 7 * 86400) -> None:
        """Drop processed updates, sent deliveries and sent-message ids older than ``older_than_s``."""
        cutoff = time.time() - older_than_s
        with self._lock:
            self._db.execute("DELETE FROM updates WHERE state = 'done' AND received_at < ?", (cutoff,))
            self._db.execute("DELETE FROM deliveries WHERE state = 'done' AND created_at < ?", (cutoff,))
            # A reply to the bot's message may come weeks later: its ids are kept for 30 days.
            self._db.execute("DELETE FROM sent_messages WHERE sent_at < ?", (time.time() - 30 * 86400,))

    def close(self) -> None:
        """Close the file."""
        with self._lock:
            self._db.close()

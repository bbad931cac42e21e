"""Who may write captures: the enrolled edges' origin keys (table ``edges``), cached, and the ingest rule.

The ingest rule (fleet interfaces): a signed entry is believed only if its edge row exists, is
enrolled, not revoked, the signature verifies, ``capture.edge_id == origin`` and every media key
is under ``captures/{origin}/``. An unsigned entry is accepted only while NO edge row has an
origin key and is unrevoked, and ``require_signed`` is off.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import Engine, select

from financy.core.adapters import orm
from financy.core.contracts.v1 import PAYLOAD_FIELD, CaptureV1
from financy.runtime.origin import ORIGIN_FIELD, SIGNATURE_FIELD, verify


@dataclass(frozen=True, slots=True)
class EdgeKey:
    """One ``edges`` row as ingest needs it: the hex origin key (or ``None``) and its state."""

    edge_id: str
    origin_key: str | None
    enrolled_at: dt.datetime | None
    revoked_at: dt.datetime | None


class OriginRefused(Exception):  # noqa: N818 - it names the verdict
    """A stream entry whose origin cannot be believed; ``kind`` is a short metric label."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason


class EdgeKeys:
    """A cache of the ``edges`` table, refreshed every ``ttl_s`` seconds and on an unknown edge id.

    A refresh on an unknown id happens at most once per ``miss_refresh_s`` seconds, so a flood of
    made-up ids does not hammer the database. Thread safe. :meth:`get` and :meth:`any_signing`
    may raise ``sqlalchemy.exc.OperationalError`` when a refresh is due and the database is away
    and nothing was ever loaded (a loaded cache is kept and used).
    """

    def __init__(self, engine: Engine, *, ttl_s: float = 5.0, miss_refresh_s: float = 1.0) -> None:
        self.engine = engine
        self.ttl_s = ttl_s
        self.miss_refresh_s = miss_refresh_s
        self._rows: dict[str, EdgeKey] | None = None
        self._loaded_at = 0.0
        self._lock = threading.Lock()

    def refresh(self) -> None:
        """Reload every ``edges`` row now."""
        t = orm.edges
        with self.engine.connect() as conn:
            rows = conn.execute(select(t.c.id, t.c.origin_key, t.c.enrolled_at, t.c.revoked_at)).all()
        with self._lock:
            self._rows = {r.id: EdgeKey(r.id, r.origin_key, r.enrolled_at, r.revoked_at) for r in rows}
            self._loaded_at = time.monotonic()

    def _current(self) -> dict[str, EdgeKey]:
        if self._rows is None or time.monotonic() - self._loaded_at >= self.ttl_s:
            try:
                self.refresh()
            except Exception:
                if self._rows is None:
                    raise
        assert self._rows is not None
        return self._rows

    def get(self, edge_id: str) -> EdgeKey | None:
        """Return the row of ``edge_id`` (refreshing once if it is not known yet), or ``None``."""
        row = self._current().get(edge_id)
        if row is None and time.monotonic() - self._loaded_at >= self.miss_refresh_s:
            self.refresh()
            row = self._current().get(edge_id)
        return row

    def any_signing(self) -> bool:
        """Return whether some unrevoked edge has an origin key (then unsigned entries are refused)."""
        return any(r.origin_key and r.revoked_at is None for r in self._current().values())


def check_signature(keys: EdgeKeys, fields: Mapping[str, str], *, require_signed: bool) -> str | None:
    """Check the entry's ``origin``/``sig`` against the edge's key; return the origin (``None``: unsigned).

    Raises:
        OriginRefused: unsigned while signing edges exist (or ``require_signed``), unknown,
            unenrolled or revoked edge, or a signature that does not match.
    """
    origin = fields.get(ORIGIN_FIELD)
    sig = fields.get(SIGNATURE_FIELD)
    if origin is None and sig is None:
        if require_signed:
            raise OriginRefused("unsigned", "unsigned capture while signed captures are required")
        if keys.any_signing():
            raise OriginRefused("unsigned", "unsigned capture while edges are enrolled")
        return None
    if not origin or not sig:
        raise OriginRefused("bad_signature", f"incomplete signature for edge {origin or '?'}")
    row = keys.get(origin)
    if row is None:
        raise OriginRefused("unknown_edge", f"unknown edge {origin}")
    if row.revoked_at is not None:
        raise OriginRefused("revoked", f"edge {origin} revoked")
    if row.enrolled_at is None or not row.origin_key:
        raise OriginRefused("not_enrolled", f"edge {origin} not enrolled")
    if not verify(row.origin_key, origin, fields.get(PAYLOAD_FIELD, ""), sig):
        raise OriginRefused("bad_signature", f"signature does not match edge {origin}")
    return origin


def check_capture(capture: CaptureV1, origin: str | None) -> None:
    """Check a decoded capture against its verified ``origin`` (no-op for an accepted unsigned entry).

    Raises:
        OriginRefused: the capture names another edge, or a media key is outside ``captures/{origin}/``.
    """
    if origin is None:
        return
    if capture.edge_id != origin:
        raise OriginRefused("edge_mismatch", f"capture says edge {capture.edge_id}, signed by {origin}")
    if capture.media is not None:
        key = capture.media.key
        prefix = f"captures/{origin}/"
        if not key.startswith(prefix) or ".." in key.split("/") or "//" in key or "\\" in key:
            raise OriginRefused("media_key", f"media key outside captures/{origin}/: {key[:200]}")


class ChatOwners:
    """Which edge each chat is bound to (``chat_bindings.edge_id``), cached for ``ttl_s`` seconds
    (a chat not bound yet is not cached).

    Thread-safe; at most ``max_entries`` chats are remembered (the oldest forgotten first).
    """

    def __init__(self, engine: Engine, *, ttl_s: float = 30.0, max_entries: int = 10_000) -> None:
        self.engine = engine
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, str], tuple[float, str | None]] = {}

    def owner(self, platform: str, chat_id: str) -> str | None:
        """Return the edge id ``platform``/``chat_id`` is bound to, or ``None`` (a chat not seen yet)."""
        key = (platform, chat_id)
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(key)
        if hit is not None and now - hit[0] < self.ttl_s:
            return hit[1]
        cb = orm.chat_bindings
        with self.engine.connect() as conn:
            edge: str | None = conn.execute(
                select(cb.c.edge_id).where(cb.c.platform == platform, cb.c.chat_id == chat_id).limit(1)
            ).scalar_one_or_none()
        if edge is None:
            return None  # not bound yet: asked again next time (its first capture binds it)
        with self._lock:
            if len(self._cache) >= self.max_entries:
                self._cache.pop(next(iter(self._cache)))
            self._cache[key] = (now, edge)
        return edge


def check_chat_owner(keys: EdgeKeys, owners: ChatOwners, capture: CaptureV1, origin: str | None) -> None:
    """Refuse a signed capture for a chat another live edge serves (no-op for an unsigned entry).

    Chats and people are found by platform and chat id, which any edge can write into a capture:
    without this check one edge could record into, or ask about, a ledger of a chat another edge
    serves. A chat bound to an edge that is revoked (or was never enrolled) may move to a new one.

    Raises:
        OriginRefused: kind ``chat_of_other_edge``.
    """
    if origin is None:
        return
    bound = owners.owner(capture.platform, capture.chat_id)
    if bound is None or bound == origin:
        return
    row = keys.get(bound)
    if row is not None and row.revoked_at is None and row.enrolled_at is not None and row.origin_key:
        raise OriginRefused(
            "chat_of_other_edge",
            f"chat {capture.platform}:{capture.chat_id[:64]} is served by edge {bound}, not {origin}",
        )

"""Edge enrolment (issue 11): one-time tokens, credentials confined by Redis and the object store,
the fleet's state from heartbeats, and revocation.

``add`` makes a pending edge with a one-time token (only its sha256 is stored; it expires after
``settings.edges.token_ttl_s``). ``exchange`` uses it once for the edge's own credentials: a Redis
ACL user (Redis >= 7.0, :mod:`~financy.core.adapters.redis_acl`), object-store credentials
(:mod:`~financy.core.adapters.object_credentials`) and the HMAC key that signs its stream entries.
``revoke`` deletes the credentials at once and keeps the row (and its ``origin_key``) revoked.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from pydantic import ValidationError
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import Engine

from financy.core.adapters import edges as repo
from financy.core.adapters.object_credentials import EdgeS3Credentials, issue_credentials, revoke_credentials
from financy.core.adapters.redis_acl import (
    EdgeCredentialsError,
    create_edge_user,
    delete_edge_user,
    require_acl_support,
)
from financy.core.contracts.v1 import SCHEMA_VERSION, HeartbeatV1, decode_heartbeat, heartbeat_stream
from financy.core.settings import CoreSettings
from financy.runtime.logging import get_logger
from financy.runtime.origin import new_origin_key

log = get_logger(__name__)

__all__ = [
    "CONTRACT_VERSIONS",
    "ContractVersionSkewError",
    "EdgeCredentialsError",
    "EdgeError",
    "EdgeExistsError",
    "EdgeNotFoundError",
    "EdgeService",
    "EdgeStatus",
    "Enrolment",
    "InvalidEdgeNameError",
    "InvalidEnrolmentTokenError",
    "IssuedEnrolment",
]

#: Wire contract versions the core reads.
CONTRACT_VERSIONS: frozenset[int] = frozenset({SCHEMA_VERSION})
#: Edge ids: what CaptureV1.edge_id allows.
EDGE_ID_PATTERN = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
#: Seconds a heartbeat may be dated ahead of the core's clock and still count (clock skew).
CLOCK_SKEW_S = 30.0
#: An edge is online when its last heartbeat is at most this old (3 heartbeats of 15 s).
ONLINE_WITHIN_S = 45.0
#: The category model whose version an edge must run to be up to date.
CATEGORY_MODEL = "categories"


class EdgeError(Exception):
    """Base of the enrolment errors (each has a clear message for the CLI and the API)."""


class InvalidEdgeNameError(EdgeError, ValueError):
    """The name is not 1-64 of ``A-Z a-z 0-9 _ . -``."""


class EdgeExistsError(EdgeError):
    """An edge of this name exists (pending, enrolled or revoked: a revoked name is not reused)."""


class EdgeNotFoundError(EdgeError):
    """No edge has this name."""


class InvalidEnrolmentTokenError(EdgeError):
    """The token is unknown, used or expired (one message for all three)."""

    def __init__(self) -> None:
        super().__init__("invalid, used or expired enrolment token")


class ContractVersionSkewError(EdgeError):
    """None of the contract versions the edge speaks is one the core reads (recorded on the row)."""


@dataclass(frozen=True, slots=True)
class IssuedEnrolment:
    """A pending edge's one-time token (plain text, shown once) and its expiry (aware UTC)."""

    edge_id: str
    token: str
    expires_at: dt.datetime


@dataclass(frozen=True, slots=True)
class Enrolment:
    """What an enrolled edge gets (the body of ``POST /api/v1/edges/enroll``)."""

    edge_id: str
    redis_url: str
    origin_key: str
    s3: EdgeS3Credentials | None
    core_url: str

    def to_json(self) -> dict[str, object]:
        """Return ``{"edge_id","redis_url","origin_key","s3","core_url"}``."""
        return {
            "edge_id": self.edge_id,
            "redis_url": self.redis_url,
            "origin_key": self.origin_key,
            "s3": self.s3.to_json() if self.s3 is not None else None,
            "core_url": self.core_url,
        }


State = Literal["pending", "enrolled", "revoked", "version skew"]
Liveness = Literal["online", "offline", "behind", "-"]


@dataclass(frozen=True, slots=True)
class EdgeStatus:
    """One line of ``financy core edges list`` / ``GET /api/v1/edges``.

    ``liveness``: ``online`` (a heartbeat within 45 s and up to date), ``behind`` (online but its
    category model differs from the newest trained, or it does not speak contract 1), ``offline``
    (no recent heartbeat), ``-`` (not enrolled or revoked). ``last_seen`` is the last heartbeat's
    ``sent_at``. Depths come from the last heartbeat.
    """

    edge_id: str
    state: State
    liveness: Liveness
    last_seen: dt.datetime | None
    software_version: str | None
    contract_versions: tuple[int, ...] | None
    models: tuple[str, ...]
    queue_depth: int | None
    outbox_depth: int | None
    created_at: dt.datetime
    enrolled_at: dt.datetime | None
    revoked_at: dt.datetime | None
    token_expires_at: dt.datetime | None

    def to_json(self) -> dict[str, object]:
        """Return the status as JSON types (times ISO 8601)."""

        def iso(value: dt.datetime | None) -> str | None:
            return value.isoformat() if value is not None else None

        return {
            "edge_id": self.edge_id,
            "state": self.state,
            "liveness": self.liveness,
            "last_seen": iso(self.last_seen),
            "software_version": self.software_version,
            "contract_versions": list(self.contract_versions) if self.contract_versions is not None else None,
            "models": list(self.models),
            "queue_depth": self.queue_depth,
            "outbox_depth": self.outbox_depth,
            "created_at": iso(self.created_at),
            "enrolled_at": iso(self.enrolled_at),
            "revoked_at": iso(self.revoked_at),
            "token_expires_at": iso(self.token_expires_at),
        }


def token_hash(token: str) -> str:
    """Return the sha256 hex of an enrolment token (what ``edges.token_hash`` stores)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


#: Prefix of every enrolment token: recognisable in a leak scan, and never a leading ``-`` that
#: a command line would take for an option (``--token -abc``).
TOKEN_PREFIX = "fen1_"  # noqa: S105 - a public prefix, not a secret


def new_enrolment_token() -> str:
    """Return a new one-time enrolment token: :data:`TOKEN_PREFIX` and 256 random bits (URL-safe)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def check_name(name: str) -> str:
    """Return ``name`` if it is a valid edge id.

    Raises:
        InvalidEdgeNameError: empty, longer than 64, only dots (``.``, ``..``: they would be path
            steps in ``captures/{id}/``) or with characters outside ``A-Za-z0-9_.-``.
    """
    if not EDGE_ID_PATTERN.fullmatch(name) or set(name) <= {"."}:
        raise InvalidEdgeNameError(
            f"edge name {name[:80]!r} is not valid: use 1 to 64 of the letters A-Z a-z, digits 0-9 and _ . -"
        )
    return name


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class EdgeService:
    """Enrolment on ``engine`` (the ``edges`` table) and ``redis`` (the core's, as an admin user).

    ``clock`` gives aware UTC times (tests move it).
    """

    def __init__(
        self,
        engine: Engine,
        redis: Redis,
        settings: CoreSettings,
        clock: Callable[[], dt.datetime] = _now,
    ) -> None:
        self.engine = engine
        self.redis = redis
        self.settings = settings
        self.clock = clock

    def add(self, name: str, created_by: uuid.UUID | None = None) -> IssuedEnrolment:
        """Make a pending edge ``name`` and return its one-time token.

        Raises:
            InvalidEdgeNameError: see :func:`check_name`.
            EdgeExistsError: the name is taken (a revoked edge's name too).
        """
        check_name(name)
        token = new_enrolment_token()
        expires_at = self.clock() + dt.timedelta(seconds=self.settings.edges.token_ttl_s)
        with self.engine.begin() as conn:
            existing = repo.get_edge(conn, name, for_update=True)
            if existing is not None:
                if existing.revoked_at is not None:
                    raise EdgeExistsError(
                        f"edge {name!r} was revoked on {existing.revoked_at:%Y-%m-%d %H:%M} UTC; a revoked "
                        "name is not reused (its captures keep it): choose another name"
                    )
                raise EdgeExistsError(f"an edge named {name!r} already exists: choose another name")
            repo.add_pending(conn, name, token_hash(token), expires_at, created_by)
        log.info("edges.added", edge_id=name, expires_at=expires_at.isoformat())
        return IssuedEnrolment(name, token, expires_at)

    def exchange(self, token: str, software_version: str, contract_versions: list[int]) -> Enrolment:
        """Use ``token`` once for the edge's credentials.

        Raises:
            InvalidEnrolmentTokenError: unknown, used or expired token.
            ContractVersionSkewError: no version in ``contract_versions`` is one the core reads
                (recorded: ``list`` shows "version skew"; the token stays usable).
            EdgeCredentialsError: the core's Redis is < 7.0, or Redis or the object store refused
                (nothing is used up: the token still works once that is fixed).
        """
        digest = token_hash(token)
        now = self.clock()
        if not CONTRACT_VERSIONS.intersection(contract_versions):
            with self.engine.begin() as conn:
                edge_id = repo.record_refused_versions(conn, digest, now, contract_versions, software_version)
            if edge_id is None:
                raise InvalidEnrolmentTokenError()
            log.warning("edges.version_skew", edge_id=edge_id, contract_versions=contract_versions)
            raise ContractVersionSkewError(
                f"edge {edge_id!r} speaks contract versions {sorted(contract_versions)}; this core reads "
                f"{sorted(CONTRACT_VERSIONS)}: update the edge's software"
            )
        require_acl_support(self.redis)
        with self.engine.begin() as conn:
            edge_id = repo.claim_token(conn, digest, now, contract_versions, software_version)
            if edge_id is None:
                raise InvalidEnrolmentTokenError()
            user = create_edge_user(self.redis, edge_id)
            try:
                s3 = issue_credentials(self.settings.edges.s3_credentials, self.settings.s3, edge_id)
                origin_key = new_origin_key()
                repo.set_credentials(
                    conn, edge_id, user.username, s3.access_key if s3 is not None else None, origin_key
                )
            except BaseException:
                delete_edge_user(self.redis, user.username)
                raise
        log.info("edges.enrolled", edge_id=edge_id, software_version=software_version)
        return Enrolment(
            edge_id=edge_id,
            redis_url=user.url(self.settings.edge_redis_url()),
            origin_key=origin_key,
            s3=s3,
            core_url=self.settings.core_public_url(),
        )

    def revoke(self, name: str) -> None:
        """Delete the ACL user and object credentials of ``name`` at once (its connections are
        killed) and mark it revoked; its ``origin_key`` stays so its old captures still verify.

        Raises:
            EdgeNotFoundError: no such edge. EdgeExistsError: already revoked.
            EdgeCredentialsError: Redis or the object store refused (the row stays unrevoked).
        """
        with self.engine.begin() as conn:
            row = repo.get_edge(conn, name, for_update=True)
            if row is None:
                raise EdgeNotFoundError(f"no edge named {name[:80]!r} (see `financy core edges list`)")
            if row.revoked_at is not None:
                raise EdgeExistsError(
                    f"edge {name!r} is already revoked (on {row.revoked_at:%Y-%m-%d %H:%M} UTC)"
                )
            if row.redis_user is not None:
                delete_edge_user(self.redis, row.redis_user)
            revoke_credentials(self.settings.edges.s3_credentials, self.settings.s3, name, row.s3_access_key)
            repo.mark_revoked(conn, name, self.clock())
        log.info("edges.revoked", edge_id=name)

    def list(self) -> list[EdgeStatus]:
        """Return every edge's state, with the last heartbeat of each enrolled one (by id)."""
        now = self.clock()
        with self.engine.connect() as conn:
            rows = repo.list_edges(conn)
            newest = repo.newest_model_version(conn, CATEGORY_MODEL)
        return [self._status(row, now, newest) for row in rows]

    def _last_heartbeat(self, edge_id: str) -> HeartbeatV1 | None:
        try:
            entries = self.redis.xrevrange(heartbeat_stream(edge_id), count=1)
        except RedisError as exc:
            log.warning("edges.heartbeat_unreadable", edge_id=edge_id, error=str(exc))
            return None
        if not entries:
            return None
        try:
            return decode_heartbeat(entries[0][1])  # type: ignore[arg-type]
        except (ValidationError, ValueError, KeyError) as exc:
            log.warning("edges.heartbeat_invalid", edge_id=edge_id, error=str(exc)[:200])
            return None

    def _status(self, row: repo.EdgeRow, now: dt.datetime, newest: str | None) -> EdgeStatus:
        state: State
        if row.revoked_at is not None:
            state = "revoked"
        elif row.enrolled_at is not None:
            state = "enrolled"
        elif row.contract_versions is not None and not CONTRACT_VERSIONS.intersection(row.contract_versions):
            state = "version skew"
        else:
            state = "pending"
        beat = self._last_heartbeat(row.id) if state == "enrolled" else None
        liveness: Liveness = "-"
        if state == "enrolled":
            liveness = "offline"
            # A heartbeat dated in the future (a wrong clock, or an edge lying) does not count.
            age_s = None if beat is None else (now - beat.sent_at).total_seconds()
            if beat is not None and age_s is not None and -CLOCK_SKEW_S <= age_s <= ONLINE_WITHIN_S:
                liveness = "online"
                category = next((m.version for m in beat.models if m.name == CATEGORY_MODEL), None)
                if (newest is not None and category != newest) or not CONTRACT_VERSIONS.intersection(
                    beat.contract_versions
                ):
                    liveness = "behind"
        return EdgeStatus(
            edge_id=row.id,
            state=state,
            liveness=liveness,
            last_seen=beat.sent_at if beat is not None else None,
            software_version=beat.software_version if beat is not None else row.software_version,
            contract_versions=beat.contract_versions if beat is not None else row.contract_versions,
            models=tuple(f"{m.name}={m.version}" for m in beat.models) if beat is not None else (),
            queue_depth=beat.queue_depth if beat is not None else None,
            outbox_depth=beat.outbox_depth if beat is not None else None,
            created_at=row.created_at,
            enrolled_at=row.enrolled_at,
            revoked_at=row.revoked_at,
            token_expires_at=row.token_expires_at if row.has_token else None,
        )

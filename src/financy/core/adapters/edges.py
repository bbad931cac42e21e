"""SQL on the ``edges`` table (migration 0014): enrolment tokens, credentials, revocation."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Connection, insert, select, update

from financy.core.adapters import orm

_E = orm.edges


@dataclass(frozen=True, slots=True)
class EdgeRow:
    """One ``edges`` row (times aware UTC; ``contract_versions`` as the edge last said them)."""

    id: str
    token_expires_at: dt.datetime | None
    created_at: dt.datetime
    enrolled_at: dt.datetime | None
    revoked_at: dt.datetime | None
    redis_user: str | None
    s3_access_key: str | None
    has_origin_key: bool
    has_token: bool
    contract_versions: tuple[int, ...] | None
    software_version: str | None


_COLUMNS = (
    _E.c.id,
    _E.c.token_expires_at,
    _E.c.created_at,
    _E.c.enrolled_at,
    _E.c.revoked_at,
    _E.c.redis_user,
    _E.c.s3_access_key,
    _E.c.origin_key,
    _E.c.token_hash,
    _E.c.contract_versions,
    _E.c.software_version,
)


def _row(r: Sequence[object]) -> EdgeRow:
    versions = r[9]
    return EdgeRow(
        id=str(r[0]),
        token_expires_at=r[1],  # type: ignore[arg-type]
        created_at=r[2],  # type: ignore[arg-type]
        enrolled_at=r[3],  # type: ignore[arg-type]
        revoked_at=r[4],  # type: ignore[arg-type]
        redis_user=r[5],  # type: ignore[arg-type]
        s3_access_key=r[6],  # type: ignore[arg-type]
        has_origin_key=r[7] is not None,
        has_token=r[8] is not None,
        contract_versions=tuple(int(v) for v in versions) if isinstance(versions, list) else None,
        software_version=r[10],  # type: ignore[arg-type]
    )


def get_edge(conn: Connection, edge_id: str, *, for_update: bool = False) -> EdgeRow | None:
    """Return the row of ``edge_id`` (locked ``FOR UPDATE`` if asked), or ``None``."""
    query = select(*_COLUMNS).where(_E.c.id == edge_id)
    if for_update:
        query = query.with_for_update()
    found = conn.execute(query).first()
    return _row(found) if found is not None else None


def list_edges(conn: Connection) -> list[EdgeRow]:
    """Return every edge row, by id."""
    return [_row(r) for r in conn.execute(select(*_COLUMNS).order_by(_E.c.id))]


def add_pending(
    conn: Connection, edge_id: str, token_hash: str, expires_at: dt.datetime, created_by: uuid.UUID | None
) -> None:
    """Insert a pending edge with its enrolment token hash (IntegrityError if ``edge_id`` exists)."""
    conn.execute(
        insert(_E).values(
            id=edge_id, token_hash=token_hash, token_expires_at=expires_at, created_by=created_by
        )
    )


def _valid_token(token_hash: str, now: dt.datetime) -> tuple[ColumnElement[bool], ...]:
    """Return the conditions of a row whose enrolment token ``token_hash`` may still be used at ``now``."""
    return (
        _E.c.token_hash == token_hash,
        _E.c.token_expires_at > now,
        _E.c.enrolled_at.is_(None),
        _E.c.revoked_at.is_(None),
    )


def record_refused_versions(
    conn: Connection, token_hash: str, now: dt.datetime, contract_versions: list[int], software_version: str
) -> str | None:
    """Store what an edge whose contract the core cannot read said it speaks, on the row of a
    valid token (the token stays usable); return the edge id, or ``None`` for no valid token."""
    done = conn.execute(
        update(_E)
        .where(*_valid_token(token_hash, now))
        .values(contract_versions=contract_versions, software_version=software_version)
        .returning(_E.c.id)
    ).first()
    return str(done[0]) if done is not None else None


def claim_token(
    conn: Connection, token_hash: str, now: dt.datetime, contract_versions: list[int], software_version: str
) -> str | None:
    """Use the enrolment token ``token_hash`` once: clear it and mark the edge enrolled at ``now``.

    One UPDATE ... RETURNING, so of two racing uses only one gets the row. Returns the edge id, or
    ``None`` when no row has this unexpired, unused token.
    """
    done = conn.execute(
        update(_E)
        .where(*_valid_token(token_hash, now))
        .values(
            token_hash=None,
            enrolled_at=now,
            contract_versions=contract_versions,
            software_version=software_version,
        )
        .returning(_E.c.id)
    ).first()
    return str(done[0]) if done is not None else None


def set_credentials(
    conn: Connection, edge_id: str, redis_user: str, s3_access_key: str | None, origin_key: str
) -> None:
    """Record the credentials made for ``edge_id`` at enrolment."""
    conn.execute(
        update(_E)
        .where(_E.c.id == edge_id)
        .values(redis_user=redis_user, s3_access_key=s3_access_key, origin_key=origin_key)
    )


def mark_revoked(conn: Connection, edge_id: str, now: dt.datetime) -> None:
    """Mark ``edge_id`` revoked at ``now`` and forget any unused token (``origin_key`` is kept)."""
    conn.execute(update(_E).where(_E.c.id == edge_id).values(revoked_at=now, token_hash=None))


def newest_model_version(conn: Connection, name: str) -> str | None:
    """Return the version of the newest ``model_artifacts`` row named ``name``, or ``None``."""
    m = orm.model_artifacts
    found = conn.execute(
        select(m.c.version)
        .where(m.c.name == name)
        .order_by(m.c.created_at.desc(), m.c.version.desc())
        .limit(1)
    ).first()
    return str(found[0]) if found is not None else None

"""Read models of editing by hand: a ledger's categories, a transaction's audit trail and its splits.

* :func:`categories_of` — the stable taxonomy in the ledger's language, with this ledger's own
  display names (renames) and sub-categories;
* :func:`audit_of` — every event of one transaction, oldest first: who did what, when, before/after;
* :func:`edit_details` — what a transaction's detail adds: its sub-category, its split lines and
  its value in the base currency.

Membership is the caller's check.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, func, select

from financy.core.adapters import orm
from financy.core.domain.model import CATEGORY_BY_SLUG, TAXONOMY
from financy.core.views.transactions import format_amount


def ledger_category_names(conn: Connection, context_id: uuid.UUID) -> dict[str, str]:
    """Return the ledger's own display names of taxonomy slugs, ``{slug: name}``."""
    names = orm.category_names
    rows = conn.execute(select(names.c.slug, names.c.name).where(names.c.context_id == context_id))
    return {r.slug: r.name for r in rows}


def category_name(slug: str | None, language: str, renames: dict[str, str]) -> str | None:
    """Return the display name of ``slug`` in this ledger: its rename, else the taxonomy's in ``language``."""
    if slug is None:
        return None
    if slug in renames:
        return renames[slug]
    category = CATEGORY_BY_SLUG.get(slug)
    return category.name(language) if category else None


def categories_of(conn: Connection, context_id: uuid.UUID, *, language: str) -> list[dict[str, Any]]:
    """Return the ledger's categories in the taxonomy's order.

    Each: ``{"key": slug, "slug", "kind", "name", "default_name", "renamed": bool,
    "subcategories": [{"key": id, "id", "parent", "name"}]}``; ``name`` is the ledger's own
    name when renamed, else the taxonomy's in ``language`` (``default_name``).
    """
    renames = ledger_category_names(conn, context_id)
    sub = orm.subcategories
    subs: dict[str, list[dict[str, Any]]] = {}
    for r in conn.execute(
        select(sub.c.id, sub.c.parent, sub.c.name)
        .where(sub.c.context_id == context_id)
        .order_by(func.lower(sub.c.name), sub.c.id)
    ):
        subs.setdefault(r.parent, []).append(
            {"key": str(r.id), "id": str(r.id), "parent": r.parent, "name": r.name}
        )
    return [
        {
            "key": c.slug,
            "slug": c.slug,
            "kind": c.kind,
            "name": renames.get(c.slug, c.name(language)),
            "default_name": c.name(language),
            "renamed": c.slug in renames,
            "subcategories": subs.get(c.slug, []),
        }
        for c in TAXONOMY
    ]


def category_item(
    conn: Connection, context_id: uuid.UUID, key: str, *, language: str
) -> dict[str, Any] | None:
    """Return the item of :func:`categories_of` (or the sub-category in one) whose key is ``key``."""
    for item in categories_of(conn, context_id, language=language):
        if item["key"] == key:
            return item
        for sub in item["subcategories"]:
            if sub["key"] == key:
                return dict(sub)
    return None


def transaction_exists(conn: Connection, context_id: uuid.UUID, transaction_id: uuid.UUID) -> bool:
    """Return whether ``context_id`` has transaction ``transaction_id`` (any status)."""
    tx = orm.transactions
    found = conn.execute(
        select(tx.c.id).where(tx.c.context_id == context_id, tx.c.id == transaction_id)
    ).first()
    return found is not None


def audit_of(
    conn: Connection, context_id: uuid.UUID, transaction_id: uuid.UUID
) -> list[dict[str, Any]] | None:
    """Return the events of one transaction of ``context_id``, oldest first; ``None`` if there is no
    such transaction in the context.

    Each: ``{"id", "name", "occurred_at", "actor": {"id", "name"} | null, "capture_id",
    "before", "after", "extra"}`` (``name`` e.g. ``transaction.recorded``, ``transaction.edited``;
    ``actor.name`` the user's display name, else username).
    """
    if not transaction_exists(conn, context_id, transaction_id):
        return None
    ev, users = orm.events, orm.users
    rows = conn.execute(
        select(
            ev.c.event_id,
            ev.c.name,
            ev.c.occurred_at,
            ev.c.actor_id,
            ev.c.capture_id,
            ev.c.before,
            ev.c.after,
            ev.c.extra,
            func.coalesce(users.c.display_name, users.c.username).label("actor_name"),
        )
        .outerjoin(users, users.c.id == ev.c.actor_id)
        .where(ev.c.entity == "transaction", ev.c.entity_id == transaction_id, ev.c.context_id == context_id)
        .order_by(ev.c.id)
    ).all()
    return [
        {
            "id": str(r.event_id),
            "name": r.name,
            "occurred_at": r.occurred_at.isoformat(),
            "actor": None if r.actor_id is None else {"id": str(r.actor_id), "name": r.actor_name},
            "capture_id": None if r.capture_id is None else str(r.capture_id),
            "before": r.before,
            "after": r.after,
            "extra": r.extra or {},
        }
        for r in rows
    ]


def _money(value: Decimal | None, currency: str | None) -> str | None:
    return None if value is None or currency is None else format_amount(value, currency)


def edit_details(
    conn: Connection, context_id: uuid.UUID, transaction_id: uuid.UUID, *, language: str
) -> dict[str, Any] | None:
    """Return what editing adds to a transaction's detail, or ``None`` if there is no such one.

    ``{"category_name": the ledger's name, "subcategory": {"id", "name"} | null, "splits":
    [{"category", "category_name", "subcategory": {...} | null, "amount", "base_amount", "note"}]}``
    (the value in the base currency is in :func:`~financy.core.views.transactions.transaction_detail`);
    amounts are decimal strings.
    """
    tx, sub, sp = orm.transactions, orm.subcategories, orm.transaction_splits
    row = conn.execute(
        select(
            tx.c.category,
            tx.c.currency,
            tx.c.subcategory_id,
            tx.c.base_amount,
            tx.c.base_currency,
            tx.c.fx_rate,
            tx.c.fx_date,
            tx.c.fx_source,
        ).where(tx.c.context_id == context_id, tx.c.id == transaction_id)
    ).first()
    if row is None:
        return None
    renames = ledger_category_names(conn, context_id)
    subs = {
        r.id: {"id": str(r.id), "name": r.name}
        for r in conn.execute(select(sub.c.id, sub.c.name).where(sub.c.context_id == context_id))
    }
    splits = [
        {
            "category": line.category,
            "category_name": category_name(line.category, language, renames),
            "subcategory": subs.get(line.subcategory_id) if line.subcategory_id else None,
            "amount": format_amount(line.amount, row.currency),
            "base_amount": _money(line.base_amount, row.base_currency),
            "note": line.note,
        }
        for line in conn.execute(
            select(sp).where(sp.c.transaction_id == transaction_id).order_by(sp.c.position)
        )
    ]
    return {
        "category_name": category_name(row.category, language, renames),
        "subcategory": subs.get(row.subcategory_id) if row.subcategory_id else None,
        "splits": splits,
    }

"""The SQLAlchemy repository of editing by hand (:class:`~financy.core.service.unit_of_work.EditsRepository`)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import Connection, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from financy.core.adapters import orm
from financy.core.adapters.repositories import transaction_of_row
from financy.core.domain.editing import EDITED_COLUMNS, SplitLine, Subcategory
from financy.core.domain.model import Transaction
from financy.core.service.unit_of_work import EditsRepository

#: The columns :meth:`SqlEdits.save` overwrites.
_SAVED = EDITED_COLUMNS


class SqlEdits(EditsRepository):
    """Transactions of any status, split lines, sub-categories and category names in PostgreSQL."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get(self, context_id: uuid.UUID, transaction_id: uuid.UUID) -> Transaction | None:
        """See :meth:`EditsRepository.get` (``SELECT ... FOR UPDATE``)."""
        tx = orm.transactions
        row = self.conn.execute(
            select(tx).where(tx.c.id == transaction_id, tx.c.context_id == context_id).with_for_update()
        ).first()
        return None if row is None else transaction_of_row(row)

    def save(self, transaction: Transaction) -> None:
        """See :meth:`EditsRepository.save` (stamps ``updated_at``)."""
        tx = orm.transactions
        fields = transaction.fields()
        self.conn.execute(
            update(tx)
            .where(tx.c.id == transaction.id, tx.c.context_id == transaction.context_id)
            .values({name: fields[name] for name in _SAVED} | {"updated_at": func.now()})
        )

    def splits(self, transaction_id: uuid.UUID) -> list[SplitLine]:
        """See :meth:`EditsRepository.splits`."""
        sp = orm.transaction_splits
        rows = self.conn.execute(
            select(sp).where(sp.c.transaction_id == transaction_id).order_by(sp.c.position)
        ).all()
        return [
            SplitLine(
                category=r.category,
                amount=Decimal(r.amount),
                note=r.note,
                subcategory_id=r.subcategory_id,
                base_amount=None if r.base_amount is None else Decimal(r.base_amount),
            )
            for r in rows
        ]

    def set_splits(
        self, context_id: uuid.UUID, transaction_id: uuid.UUID, lines: Sequence[SplitLine]
    ) -> None:
        """See :meth:`EditsRepository.set_splits` (delete, then one multi-row insert)."""
        sp = orm.transaction_splits
        self.conn.execute(delete(sp).where(sp.c.transaction_id == transaction_id))
        if lines:
            self.conn.execute(
                insert(sp),
                [
                    {
                        "transaction_id": transaction_id,
                        "position": position,
                        "context_id": context_id,
                        "category": line.category,
                        "subcategory_id": line.subcategory_id,
                        "amount": line.amount,
                        "base_amount": line.base_amount,
                        "note": line.note,
                    }
                    for position, line in enumerate(lines, start=1)
                ],
            )

    def subcategories(self, context_id: uuid.UUID) -> list[Subcategory]:
        """See :meth:`EditsRepository.subcategories`."""
        sub = orm.subcategories
        rows = self.conn.execute(
            select(sub.c.id, sub.c.context_id, sub.c.parent, sub.c.name)
            .where(sub.c.context_id == context_id)
            .order_by(sub.c.parent, func.lower(sub.c.name), sub.c.id)
        ).all()
        return [Subcategory(r.id, r.context_id, r.parent, r.name) for r in rows]

    def add_subcategory(self, subcategory: Subcategory) -> None:
        """See :meth:`EditsRepository.add_subcategory`."""
        self.conn.execute(
            insert(orm.subcategories).values(
                id=subcategory.id,
                context_id=subcategory.context_id,
                parent=subcategory.parent,
                name=subcategory.name,
            )
        )

    def rename_subcategory(self, subcategory_id: uuid.UUID, name: str) -> None:
        """See :meth:`EditsRepository.rename_subcategory`."""
        sub = orm.subcategories
        self.conn.execute(update(sub).where(sub.c.id == subcategory_id).values(name=name))

    def delete_subcategory(self, subcategory_id: uuid.UUID) -> int:
        """See :meth:`EditsRepository.delete_subcategory` (the foreign keys set ``subcategory_id`` null)."""
        tx = orm.transactions
        count = self.conn.execute(
            select(func.count()).select_from(tx).where(tx.c.subcategory_id == subcategory_id)
        ).scalar_one()
        self.conn.execute(delete(orm.subcategories).where(orm.subcategories.c.id == subcategory_id))
        return int(count)

    def category_names(self, context_id: uuid.UUID) -> dict[str, str]:
        """See :meth:`EditsRepository.category_names`."""
        names = orm.category_names
        rows = self.conn.execute(select(names.c.slug, names.c.name).where(names.c.context_id == context_id))
        return {r.slug: r.name for r in rows}

    def set_category_name(self, context_id: uuid.UUID, slug: str, name: str | None) -> None:
        """See :meth:`EditsRepository.set_category_name` (an upsert, or a delete for ``None``)."""
        names = orm.category_names
        if name is None:
            self.conn.execute(delete(names).where(names.c.context_id == context_id, names.c.slug == slug))
            return
        statement = pg_insert(names).values(context_id=context_id, slug=slug, name=name)
        self.conn.execute(
            statement.on_conflict_do_update(
                index_elements=[names.c.context_id, names.c.slug],
                set_={"name": statement.excluded.name, "updated_at": func.now()},
            )
        )

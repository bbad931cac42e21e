"""Cost shares and settlements in PostgreSQL (``cost_shares``, ``settlements``)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence

from sqlalchemy import Connection, delete, insert, select

from financy.core.adapters import orm
from financy.core.domain.model import TransactionStatus
from financy.core.service.cost_sharing_port import (
    CostShare,
    CostSharingRepository,
    PersonName,
    SettlementRecord,
    SharedTransaction,
)


class SqlCostSharing(CostSharingRepository):
    """See :class:`CostSharingRepository`."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def shares_of(self, context_id: uuid.UUID, transaction_id: uuid.UUID) -> list[CostShare]:
        """See :meth:`CostSharingRepository.shares_of`."""
        cs = orm.cost_shares
        rows = self.conn.execute(
            select(cs.c.transaction_id, cs.c.user_id, cs.c.amount, cs.c.base_amount)
            .where(cs.c.context_id == context_id, cs.c.transaction_id == transaction_id)
            .order_by(cs.c.user_id)
        )
        return [CostShare(r.transaction_id, r.user_id, r.amount, r.base_amount) for r in rows]

    def replace_shares(
        self, context_id: uuid.UUID, transaction_id: uuid.UUID, shares: Sequence[CostShare]
    ) -> None:
        """See :meth:`CostSharingRepository.replace_shares`."""
        cs = orm.cost_shares
        self.conn.execute(
            delete(cs).where(cs.c.context_id == context_id, cs.c.transaction_id == transaction_id)
        )
        if shares:
            self.conn.execute(
                insert(cs),
                [
                    {
                        "transaction_id": transaction_id,
                        "user_id": s.user_id,
                        "context_id": context_id,
                        "amount": s.amount,
                        "base_amount": s.base_amount,
                    }
                    for s in shares
                ],
            )

    def shared_transactions(self, context_id: uuid.UUID) -> list[SharedTransaction]:
        """See :meth:`CostSharingRepository.shared_transactions`."""
        cs, tx = orm.cost_shares, orm.transactions
        rows = self.conn.execute(
            select(
                tx.c.id, tx.c.paid_by, tx.c.amount, tx.c.currency, tx.c.base_amount, cs.c.user_id, cs.c.amount
            )
            .join(tx, tx.c.id == cs.c.transaction_id)
            .where(
                cs.c.context_id == context_id,
                tx.c.context_id == context_id,
                tx.c.status == TransactionStatus.RECORDED.value,
            )
            .order_by(tx.c.occurred_on, tx.c.id, cs.c.user_id)
        ).all()
        found: dict[uuid.UUID, SharedTransaction] = {}
        for tx_id, paid_by, amount, currency, base_amount, user_id, part in rows:
            known = found.get(tx_id)
            parts = (*(known.parts if known else ()), (user_id, part))
            found[tx_id] = SharedTransaction(tx_id, paid_by, amount, currency, base_amount, parts)
        return list(found.values())

    def add_settlement(self, record: SettlementRecord) -> None:
        """See :meth:`CostSharingRepository.add_settlement`."""
        values = record.fields()
        self.conn.execute(insert(orm.settlements).values(**values))

    def settlements(self, context_id: uuid.UUID) -> list[SettlementRecord]:
        """See :meth:`CostSharingRepository.settlements`."""
        st = orm.settlements
        rows = self.conn.execute(
            select(st)
            .where(st.c.context_id == context_id)
            .order_by(st.c.occurred_on, st.c.created_at, st.c.id)
        )
        return [
            SettlementRecord(
                id=r.id,
                context_id=r.context_id,
                from_user=r.from_user,
                to_user=r.to_user,
                amount=r.amount,
                currency=r.currency,
                occurred_on=r.occurred_on,
                created_by=r.created_by,
                note=r.note,
                created_at=r.created_at,
            )
            for r in rows
        ]

    def names(self, user_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, PersonName]:
        """See :meth:`CostSharingRepository.names`."""
        wanted = set(user_ids)
        if not wanted:
            return {}
        u = orm.users
        rows = self.conn.execute(select(u.c.id, u.c.display_name, u.c.username).where(u.c.id.in_(wanted)))
        return {r.id: PersonName(r.id, r.display_name, r.username) for r in rows}

"""Read-ahead and write-behind for a batch of chat commands in one SQL unit of work.

A batch of captures (``MessageBus.handle_many``) used to cost about six round trips per capture:
the sender's look-up, the archived check, the merchant's and category's recent amounts, the
idempotency claim, the insert of its transactions and the budgets of its ledger. Told which
commands are coming (:meth:`ReadAhead.expect`), the unit of work instead reads what they will ask
for at once (one statement per kind of question for the whole batch) and keeps the claims and
transactions it is given until a statement needs them, then writes them with one multi-row
statement each.

Handlers see exactly what they saw before, because of one rule: **every other statement** a
repository runs on the unit of work's connection (:class:`BatchedConnection`) first writes what
was kept back, and afterwards forgets everything read ahead (it may have changed it). What is
kept between statements is only what the unit of work itself wrote or read:

* known senders (with their ledger's ``archived_at``), remembered merchant categories and
  budgets: changed only by other statements, so they are right until one runs;
* which idempotency keys are taken: a claim kept back answers as the database would (a key
  claimed earlier in the same unit of work is a duplicate). A concurrent transaction may claim a
  key between the look-up and the write: the multi-row ``INSERT .. ON CONFLICT DO NOTHING`` then
  inserts fewer rows and :class:`~financy.core.service.unit_of_work.ConcurrentClaimError` is
  raised (nothing is committed; the bus runs the batch again and finds the key taken);
* recent amounts: each transaction kept back is merged into the histories read, in the order
  the query gives (date, creation time — the transaction's ``now()`` for its own rows — and id,
  newest first), with the amount as ``NUMERIC(18, 4)`` stores it.

What the read-ahead could not guess is read when asked, as before.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, cast

from sqlalchemy import Connection, func, select

from financy.core.adapters.members import SqlMembers
from financy.core.adapters.repositories import (
    AmountRow,
    SqlBudgets,
    SqlCaptures,
    SqlCategories,
    SqlContexts,
    SqlTransactions,
)
from financy.core.domain.budgets import Budget
from financy.core.domain.commands import ChatMessage, ProposedEntry, RecordTransactions
from financy.core.domain.errors import UnknownCurrencyError
from financy.core.domain.model import (
    CATEGORY_BY_SLUG,
    Transaction,
    TransactionStatus,
    merchant_key,
    normalize_currency,
)
from financy.core.domain.unusual import HISTORY_LIMIT
from financy.core.service.unit_of_work import (
    AmountsQuery,
    CaptureClaim,
    ConcurrentClaimError,
    SenderScope,
)

SenderKey = tuple[str, str, str]
#: ``NUMERIC(18, 4)``: how PostgreSQL rounds a transaction's amount when it stores it.
_STORED_AMOUNT = Decimal("0.0001")


def stored_amount(amount: Decimal) -> Decimal:
    """Return ``amount`` as a ``NUMERIC(18, 4)`` column gives it back (4 places, half away from 0)."""
    return amount.quantize(_STORED_AMOUNT, rounding=ROUND_HALF_UP)


def amounts_query(
    context_id: uuid.UUID,
    *,
    kind: str,
    currency: str,
    merchant: str | None,
    category: str | None,
    limit: int,
) -> AmountsQuery:
    """Return the question ``recent_amounts`` asks, normalised: the merchant (lower case) wins
    over the category, as in the query."""
    if merchant:
        return AmountsQuery(context_id, kind, currency, merchant.lower(), None, limit)
    return AmountsQuery(context_id, kind, currency, None, category or None, limit)


def _matches(query: AmountsQuery, tx: Transaction) -> bool:
    """Whether ``tx`` (recorded) is one of the rows ``query`` selects (NULL never matches)."""
    if (tx.context_id, tx.kind, tx.money.currency) != (query.context_id, query.kind, query.currency):
        return False
    if query.merchant is not None:
        return tx.merchant is not None and tx.merchant.lower() == query.merchant
    return tx.category is not None and tx.category == query.category


class ReadAhead:
    """The batch's look-ups read at once and the claims and transactions kept back (see the module).

    Inactive until :meth:`expect`; inactive, every repository behaves as before. All methods run
    on the unit of work's own connection ``conn`` (never through :class:`BatchedConnection`).
    """

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.contexts = SqlContexts(conn)
        self.captures = SqlCaptures(conn)
        self.transactions = SqlTransactions(conn)
        self.categories = SqlCategories(conn)
        self.budgets = SqlBudgets(conn)
        self.members = SqlMembers(conn)
        self.reset()

    def reset(self) -> None:
        """Forget the batch: hints, caches and anything kept back (after commit or rollback)."""
        self.active = False
        self._senders: list[SenderKey] = []
        self._keys: list[str] = []
        self._entries: dict[SenderKey, list[ProposedEntry]] = {}
        self._claims: list[CaptureClaim] = []
        self._claimed: set[str] = set()
        self._transactions: list[Transaction] = []
        #: The transaction's ``now()``: ``created_at`` of the rows it inserts.
        self._now: dt.datetime | None = None
        self.invalidate()

    def invalidate(self) -> None:
        """Forget what was read ahead (another statement ran: it may have changed any of it)."""
        self._known: dict[SenderKey, tuple[SenderScope, dt.datetime | None] | None] = {}
        self._archived: dict[uuid.UUID, dt.datetime | None] = {}
        self._taken: dict[str, bool] = {}
        self._budgets: dict[uuid.UUID, list[Budget]] = {}
        self._remembered: dict[tuple[uuid.UUID, str], str | None] = {}
        self._amounts: dict[AmountsQuery, list[AmountRow]] = {}

    @property
    def pending(self) -> bool:
        """Whether claims or transactions are kept back."""
        return bool(self._claims or self._transactions)

    def expect(self, commands: Iterable[object]) -> None:
        """Note the chat commands coming (others are ignored) and start batching."""
        self.active = True
        for command in commands:
            message = getattr(command, "message", None)
            if not isinstance(message, ChatMessage):
                continue
            key = (message.platform, message.chat_id, message.sender_id)
            if message.sender_is_person:
                self._senders.append(key)
            self._keys.append(message.idempotency_key)
            if isinstance(command, RecordTransactions):
                self._entries.setdefault(key, []).extend(command.entries)

    def flush(self) -> None:
        """Write the claims, then the transactions, kept back (one statement each).

        Raises:
            ConcurrentClaimError: another transaction claimed one of the keys meanwhile.
        """
        if self._claims:
            claims, self._claims = self._claims, []
            claimed = self.captures.claim_many(claims)
            if len(claimed) != len(claims):
                lost = sorted({c.message.idempotency_key for c in claims} - claimed)
                raise ConcurrentClaimError(
                    f"captures claimed by another transaction: {', '.join(lost)[:300]}"
                )
        if self._transactions:
            transactions, self._transactions = self._transactions, []
            self.transactions.add(transactions)

    # -- reads ----------------------------------------------------------------------------------

    def known_sender(self, key: SenderKey) -> SenderScope | None:
        """:meth:`SqlContexts.known_sender`, read for every sender of the batch at once."""
        if key not in self._known:
            asked = list(dict.fromkeys([key, *self._senders]))
            found = self.contexts.known_senders_archived(asked)
            for k in asked:
                self._known[k] = found.get(k)
            for scope, archived in found.values():
                self._archived[scope.context.id] = archived
        if key in self._senders:
            self._senders.remove(key)
        hit = self._known[key]
        return None if hit is None else hit[0]

    def archived_at(self, context_id: uuid.UUID) -> dt.datetime | None:
        """:meth:`SqlMembers.archived_at`, from the senders read ahead when it was among them."""
        if context_id not in self._archived:
            self._archived[context_id] = self.members.archived_at(context_id)
        return self._archived[context_id]

    def _known_contexts(self) -> dict[SenderKey, uuid.UUID]:
        return {k: hit[0].context.id for k, hit in self._known.items() if hit is not None}

    def remembered(self, context_id: uuid.UUID, merchant_keys: Sequence[str]) -> dict[str, str]:
        """:meth:`SqlCategories.remembered`, read for every merchant of the batch at once."""
        keys = sorted(set(merchant_keys) - {""})
        if not keys:
            return {}
        if any((context_id, k) not in self._remembered for k in keys):
            wanted: dict[uuid.UUID, set[str]] = {context_id: set(keys)}
            for sender, ctx in self._known_contexts().items():
                for entry in self._entries.get(sender, ()):
                    if entry.merchant and merchant_key(entry.merchant):
                        wanted.setdefault(ctx, set()).add(merchant_key(entry.merchant))
            asked = {c: sorted(k for k in ks if (c, k) not in self._remembered) for c, ks in wanted.items()}
            found = self.categories.remembered_many({c: ks for c, ks in asked.items() if ks})
            for c, ks in asked.items():
                for k in ks:
                    self._remembered[(c, k)] = found.get(c, {}).get(k)
        return {k: v for k in keys if (v := self._remembered[(context_id, k)]) is not None}

    def of_context(self, context_id: uuid.UUID) -> list[Budget]:
        """:meth:`SqlBudgets.of_context`, read for every ledger of the batch at once."""
        if context_id not in self._budgets:
            asked = list(dict.fromkeys([context_id, *self._known_contexts().values()]))
            self._budgets.update(self.budgets.of_contexts([c for c in asked if c not in self._budgets]))
        return list(self._budgets[context_id])

    def _guesses(self, limit: int) -> list[AmountsQuery]:
        """The recent-amount questions the batch's expenses will likely ask (see ``unusual_amount``)."""
        out: list[AmountsQuery] = []
        for sender, hit in self._known.items():
            if hit is None:
                continue
            context = hit[0].context
            for entry in self._entries.get(sender, ()):
                if entry.kind != "expense":
                    continue
                try:
                    currency = normalize_currency(entry.currency) if entry.currency else context.base_currency
                except UnknownCurrencyError:  # noqa: S112 - the handler asks about it, not the amounts
                    continue
                category = entry.category if entry.category in CATEGORY_BY_SLUG else None
                if entry.merchant:
                    out.append(
                        amounts_query(
                            context.id,
                            kind="expense",
                            currency=currency,
                            merchant=entry.merchant,
                            category=None,
                            limit=limit,
                        )
                    )
                    category = self._remembered.get((context.id, merchant_key(entry.merchant))) or category
                if category:
                    out.append(
                        amounts_query(
                            context.id,
                            kind="expense",
                            currency=currency,
                            merchant=None,
                            category=category,
                            limit=limit,
                        )
                    )
        return out

    def recent_amounts(self, query: AmountsQuery) -> list[Decimal]:
        """:meth:`SqlTransactions.recent_amounts`, read for every expense of the batch at once,
        with the transactions kept back merged in."""
        if query.merchant is None and query.category is None:
            return []
        if query not in self._amounts:
            # Rows kept back are not in the database yet: write them first, then read.
            self.flush()
            asked = [q for q in dict.fromkeys([query, *self._guesses(query.limit)]) if q not in self._amounts]
            rows, now = self.transactions.recent_amount_rows(asked)
            self._now = self._now or now
            self._amounts.update(rows)
        return [row.amount for row in self._amounts[query]]

    def _transaction_now(self) -> dt.datetime:
        if self._now is None:
            self._now = self.conn.execute(select(func.now())).scalar_one()
        return self._now

    # -- writes kept back -------------------------------------------------------------------------

    def claim(self, claim: CaptureClaim) -> bool:
        """:meth:`SqlCaptures.claim`, kept back: whether the key was free (and now is this batch's)."""
        key = claim.message.idempotency_key
        if key in self._claimed:
            return False
        if key not in self._taken:
            asked = list(
                dict.fromkeys(
                    k for k in [key, *self._keys] if k not in self._taken and k not in self._claimed
                )
            )
            found = self.captures.taken(asked)
            for k in asked:
                self._taken[k] = k in found
        if self._taken[key]:
            return False
        self._claims.append(claim)
        self._claimed.add(key)
        return True

    def add_transactions(self, transactions: Sequence[Transaction]) -> None:
        """:meth:`SqlTransactions.add`, kept back; the recent amounts read so far learn of them."""
        self._transactions.extend(transactions)
        for tx in transactions:
            if tx.status is not TransactionStatus.RECORDED:
                continue
            for query, rows in self._amounts.items():
                if not _matches(query, tx):
                    continue
                rows.append(
                    AmountRow(stored_amount(tx.money.amount), tx.occurred_on, self._transaction_now(), tx.id)
                )
                rows.sort(key=AmountRow.order, reverse=True)
                del rows[query.limit :]


class BatchedConnection:
    """The connection the repositories of a batching unit of work are given: every statement
    first writes what the read-ahead kept back and then makes it forget what it read (see the
    module). Anything else is the real connection's."""

    def __init__(self, conn: Connection, ahead: ReadAhead) -> None:
        self._conn = conn
        self._ahead = ahead

    def execute(self, *args: Any, **kwargs: Any) -> Any:
        """Run a statement as ``Connection.execute`` does, after writing what was kept back.

        Raises:
            ConcurrentClaimError: see :meth:`ReadAhead.flush`.
        """
        ahead = self._ahead
        if not ahead.active:
            return self._conn.execute(*args, **kwargs)
        ahead.flush()
        try:
            return self._conn.execute(*args, **kwargs)
        finally:
            ahead.invalidate()

    def begin_nested(self) -> Any:
        """Open a savepoint, after writing what was kept back (it must not be rolled back with it)."""
        if self._ahead.active:
            self._ahead.flush()
            self._ahead.invalidate()
        return self._conn.begin_nested()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


def batched(conn: Connection, ahead: ReadAhead) -> Connection:
    """Return ``conn`` wrapped in a :class:`BatchedConnection`, typed as what repositories take."""
    return cast(Connection, BatchedConnection(conn, ahead))


class BatchedContexts(SqlContexts):
    """:class:`SqlContexts` whose ``known_sender`` reads ahead for the batch."""

    def __init__(self, conn: Connection, ahead: ReadAhead) -> None:
        super().__init__(conn)
        self.ahead = ahead

    def known_sender(self, platform: str, chat_id: str, platform_user_id: str) -> SenderScope | None:
        """See :meth:`SqlContexts.known_sender`."""
        if not self.ahead.active:
            return super().known_sender(platform, chat_id, platform_user_id)
        return self.ahead.known_sender((platform, chat_id, platform_user_id))


class BatchedMembers(SqlMembers):
    """:class:`SqlMembers` whose ``archived_at`` comes with the batch's senders."""

    def __init__(self, conn: Connection, ahead: ReadAhead) -> None:
        super().__init__(conn)
        self.ahead = ahead

    def archived_at(self, context_id: uuid.UUID) -> dt.datetime | None:
        """See :meth:`SqlMembers.archived_at`."""
        if not self.ahead.active:
            return super().archived_at(context_id)
        return self.ahead.archived_at(context_id)


class BatchedCaptures(SqlCaptures):
    """:class:`SqlCaptures` whose claims are kept back for one multi-row insert."""

    def __init__(self, conn: Connection, ahead: ReadAhead) -> None:
        super().__init__(conn)
        self.ahead = ahead

    def claim(
        self,
        message: ChatMessage,
        *,
        context_id: uuid.UUID,
        author_id: uuid.UUID | None,
        language: str,
        status: str,
        problem: str | None,
    ) -> bool:
        """See :meth:`SqlCaptures.claim`."""
        if not self.ahead.active:
            return super().claim(
                message,
                context_id=context_id,
                author_id=author_id,
                language=language,
                status=status,
                problem=problem,
            )
        return self.ahead.claim(CaptureClaim(message, context_id, author_id, language, status, problem))


class BatchedTransactions(SqlTransactions):
    """:class:`SqlTransactions` whose inserts are kept back and recent amounts read ahead."""

    def __init__(self, conn: Connection, ahead: ReadAhead) -> None:
        super().__init__(conn)
        self.ahead = ahead

    def add(self, transactions: Sequence[Transaction]) -> None:
        """See :meth:`SqlTransactions.add`."""
        if not self.ahead.active:
            super().add(transactions)
        elif transactions:
            self.ahead.add_transactions(transactions)

    def recent_amounts(
        self,
        context_id: uuid.UUID,
        *,
        kind: str,
        currency: str,
        merchant: str | None = None,
        category: str | None = None,
        limit: int = HISTORY_LIMIT,
    ) -> list[Decimal]:
        """See :meth:`SqlTransactions.recent_amounts`."""
        if not self.ahead.active:
            return super().recent_amounts(
                context_id, kind=kind, currency=currency, merchant=merchant, category=category, limit=limit
            )
        return self.ahead.recent_amounts(
            amounts_query(
                context_id, kind=kind, currency=currency, merchant=merchant, category=category, limit=limit
            )
        )


class BatchedCategories(SqlCategories):
    """:class:`SqlCategories` whose remembered merchants are read ahead for the batch."""

    def __init__(self, conn: Connection, ahead: ReadAhead) -> None:
        super().__init__(conn)
        self.ahead = ahead

    def remembered(self, context_id: uuid.UUID, merchant_keys: Sequence[str]) -> dict[str, str]:
        """See :meth:`SqlCategories.remembered`."""
        if not self.ahead.active:
            return super().remembered(context_id, merchant_keys)
        return self.ahead.remembered(context_id, merchant_keys)


class BatchedBudgets(SqlBudgets):
    """:class:`SqlBudgets` whose ``of_context`` is read ahead for the batch's ledgers."""

    def __init__(self, conn: Connection, ahead: ReadAhead) -> None:
        super().__init__(conn)
        self.ahead = ahead

    def of_context(self, context_id: uuid.UUID) -> list[Budget]:
        """See :meth:`SqlBudgets.of_context`."""
        if not self.ahead.active:
            return super().of_context(context_id)
        return self.ahead.of_context(context_id)

"""The abstract unit of work and the repositories handlers see (the SQLAlchemy ones are in ``adapters``).

A handler reads and writes only through a :class:`AbstractUnitOfWork`: its repositories, the
audit events it :meth:`~AbstractUnitOfWork.record`\\ s and the stream messages it
:meth:`~AbstractUnitOfWork.publish`\\ es. Committing makes all of them durable together, so a
reply is never published for a change that was rolled back (transactional outbox). Unit tests
give handlers an in-memory unit of work; production gives them one PostgreSQL transaction.
"""

from __future__ import annotations

import abc
import datetime as dt
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from types import TracebackType
from typing import Any, Self
from uuid import UUID

from financy.core.domain.budgets import Budget, Spent
from financy.core.domain.commands import ChatMessage, Command
from financy.core.domain.editing import SplitLine, Subcategory
from financy.core.domain.events import Event
from financy.core.domain.model import LedgerContext, Role, Transaction
from financy.core.service.cards_port import CardsRepository
from financy.core.service.cost_sharing_port import CostSharingRepository
from financy.core.service.recurring_port import RecurringRepository
from financy.core.service.search import SearchBackend
from financy.core.service.statements_port import StatementsRepository


@dataclass(frozen=True, slots=True)
class SenderScope:
    """Who sent a chat message and the ledger their chat is bound to.

    ``user_id`` is ``None`` when no person sent it (a channel, an anonymous group administrator);
    ``role`` is the sender's role in ``context`` (``None``: not a member);
    ``remembers_merchants`` says whether the context has learned any merchant's category;
    ``chat_type`` ("private" or "group") and ``active`` are the chat binding's.
    """

    user_id: uuid.UUID | None
    context: LedgerContext
    role: Role | None
    remembers_merchants: bool = True
    chat_type: str = "private"
    active: bool = True


@dataclass(frozen=True, slots=True)
class ChatBinding:
    """A chat bound to a ledger: ``chat_type`` "private" or "group", ``active`` False once the bot
    left the group, ``title`` the group's name as the platform last gave it."""

    id: uuid.UUID
    platform: str
    chat_id: str
    context: LedgerContext
    remembers_merchants: bool
    chat_type: str
    active: bool
    title: str | None = None


@dataclass(frozen=True, slots=True)
class BindingOrigin:
    """When a chat binding was made, when the ledger it points at was, and when that ledger's
    oldest transaction was written (``None``: it has none). All timezone-aware."""

    created_at: dt.datetime
    context_created_at: dt.datetime
    oldest_transaction_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class PendingCapture:
    """A capture the bot asked the user to confirm: when and where it came, and what was read."""

    id: uuid.UUID
    received_at: dt.datetime
    platform: str
    understanding: Mapping[str, Any] | None


@dataclass(frozen=True, slots=True)
class Totals:
    """The sum of a question's transactions in one currency, and how many there were.

    Valued transactions are summed by ``base_amount`` in their base currency (``currency`` is the
    ledger's base currency); ``unvalued`` ones (no FX rate known) by ``amount`` in their own
    ``currency``, apart, never added to the others.
    """

    currency: str
    total: Decimal
    count: int
    unvalued: bool = False


@dataclass(frozen=True, slots=True)
class LinkCode:
    """A stored link code: whose account it links to, until when, and whether it was used."""

    id: uuid.UUID
    user_id: uuid.UUID
    expires_at: dt.datetime
    used_at: dt.datetime | None
    used_by_platform: str | None = None
    used_by_platform_user_id: str | None = None


@dataclass(frozen=True, slots=True)
class CaptureRef:
    """An earlier capture found by its idempotency key: where it was kept, when it came, its
    status, and who sent it (``None``: not a person)."""

    id: uuid.UUID
    context_id: uuid.UUID
    received_at: dt.datetime
    status: str
    author_id: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class CaptureClaim:
    """A capture to keep unless its idempotency key is taken (what :meth:`CapturesRepository.claim`
    takes, as one value): kept in ``context_id`` by ``author_id`` (``None``: no person)."""

    message: ChatMessage
    context_id: uuid.UUID
    author_id: uuid.UUID | None
    language: str
    status: str
    problem: str | None


@dataclass(frozen=True, slots=True)
class AmountsQuery:
    """One :meth:`TransactionsRepository.recent_amounts` question, as a value (a dict key)."""

    context_id: uuid.UUID
    kind: str
    currency: str
    merchant: str | None = None
    category: str | None = None
    limit: int = 50


class ConcurrentClaimError(Exception):
    """A capture of the unit of work was claimed by another transaction after this one looked.

    Raised by a unit of work that writes its claims at once (the SQL one, on a batch): nothing
    was committed and the whole unit of work may simply run again, when the capture is found
    taken and answered as a duplicate.
    """


@dataclass(frozen=True, slots=True)
class SummaryLine:
    """Recorded transactions of one kind, category (``None``: uncategorised) and currency: their sum
    and how many."""

    kind: str
    category: str | None
    currency: str
    total: Decimal
    count: int
    #: No FX rate is known for these: ``total`` is in their own ``currency``, not the base one.
    unvalued: bool = False


@dataclass(frozen=True, slots=True)
class FxRate:
    """A published reference rate: ``rate`` units of ``currency`` per 1 EUR on ``rate_date`` (ECB style)."""

    source: str
    currency: str
    rate_date: dt.date
    rate: Decimal


class FxRatesRepository(abc.ABC):
    """Reference FX rates as published (``fx_rates``): units of a currency per 1 EUR, by day."""

    @abc.abstractmethod
    def rates_between(
        self, source: str, currencies: Sequence[str], date_from: dt.date, date_to: dt.date
    ) -> list[FxRate]:
        """Return the rates of ``source`` for ``currencies`` dated ``date_from``..``date_to``
        (inclusive), newest first (any order within a day)."""


class ContextsRepository(abc.ABC):
    """Ledger contexts, their members and the chats bound to them."""

    @abc.abstractmethod
    def known_sender(self, platform: str, chat_id: str, platform_user_id: str) -> SenderScope | None:
        """Return the sender and the chat's context when both exist (one look-up on the hot path)."""

    @abc.abstractmethod
    def known_senders(self, keys: Sequence[tuple[str, str, str]]) -> dict[tuple[str, str, str], SenderScope]:
        """Return :meth:`known_sender` of each ``(platform, chat_id, platform_user_id)`` in
        ``keys`` at once; a key whose sender or chat is not known is absent."""

    @abc.abstractmethod
    def user_of_identity(self, platform: str, platform_user_id: str) -> uuid.UUID | None:
        """Return the user a chat identity belongs to, or ``None``."""

    @abc.abstractmethod
    def bound_context(self, platform: str, chat_id: str) -> tuple[LedgerContext, bool] | None:
        """Return the context a chat is bound to and whether it remembers merchants, or ``None``."""

    @abc.abstractmethod
    def bind_chat(
        self,
        binding_id: uuid.UUID,
        platform: str,
        chat_id: str,
        context_id: uuid.UUID,
        edge_id: str,
        *,
        chat_type: str = "private",
        title: str | None = None,
    ) -> None:
        """Bind a chat to a context (the edge that serves the chat gets its replies)."""

    @abc.abstractmethod
    def binding(self, platform: str, chat_id: str) -> ChatBinding | None:
        """Return the chat's binding (active or not), or ``None``."""

    @abc.abstractmethod
    def binding_origin(self, binding_id: uuid.UUID) -> BindingOrigin | None:
        """Return when binding ``binding_id`` and its ledger were made and the ledger's oldest
        transaction was written, or ``None`` when there is no such binding."""

    @abc.abstractmethod
    def rebind(self, binding_id: uuid.UUID, context_id: uuid.UUID) -> None:
        """Point a chat binding at another context (a /contexto switch, a migrated group)."""

    @abc.abstractmethod
    def set_binding_active(self, binding_id: uuid.UUID, active: bool, *, title: str | None = None) -> None:
        """Make a binding active or inactive (the bot came back to or left the group); a
        ``title`` given replaces the stored one."""

    @abc.abstractmethod
    def has_owner(self, context_id: uuid.UUID) -> bool:
        """Return whether the context has an owner (a group ledger a channel started has none)."""

    @abc.abstractmethod
    def memberships(self, user_id: uuid.UUID) -> list[tuple[LedgerContext, Role]]:
        """Return every context ``user_id`` is a member of with their role there (any order)."""

    @abc.abstractmethod
    def add(self, context: LedgerContext, created_by: uuid.UUID | None) -> None:
        """Add a context (``created_by`` ``None``: no person started it)."""

    @abc.abstractmethod
    def add_member(self, context_id: uuid.UUID, user_id: uuid.UUID, role: Role) -> None:
        """Give ``user_id`` ``role`` in the context."""

    @abc.abstractmethod
    def get(self, context_id: uuid.UUID) -> LedgerContext | None:
        """Return a context by id, or ``None``."""

    @abc.abstractmethod
    def personal_context_of(self, user_id: uuid.UUID) -> uuid.UUID | None:
        """Return the oldest personal context ``user_id`` owns, or ``None``."""

    @abc.abstractmethod
    def role_of(self, context_id: uuid.UUID, user_id: uuid.UUID) -> Role | None:
        """Return the user's role in the context, or ``None`` when they are not a member."""

    @abc.abstractmethod
    def set_card_iof(self, context_id: uuid.UUID, enabled: bool) -> None:
        """Turn the context's card IOF fee lines on or off (``LedgerContext.card_iof``)."""


class UsersRepository(abc.ABC):
    """People: chat users and login users, and the chat identities that name them."""

    @abc.abstractmethod
    def add(
        self,
        user_id: uuid.UUID,
        *,
        display_name: str,
        locale: str,
        username: str | None = None,
        password_hash: str | None = None,
        is_admin: bool = False,
    ) -> None:
        """Add a user. Raises :class:`~financy.core.domain.errors.UsernameTakenError` on a taken name."""

    @abc.abstractmethod
    def id_of_username(self, username: str) -> uuid.UUID | None:
        """Return the id of the user with the (normalised) ``username``, or ``None``."""

    @abc.abstractmethod
    def password_hash_of(self, username: str) -> tuple[uuid.UUID, str | None] | None:
        """Return ``(user_id, password_hash)`` for ``username``, or ``None``."""

    @abc.abstractmethod
    def set_password_hash(self, user_id: uuid.UUID, password_hash: str) -> None:
        """Replace the user's password hash."""

    @abc.abstractmethod
    def link_identity(
        self, identity_id: uuid.UUID, platform: str, platform_user_id: str, user_id: uuid.UUID, name: str
    ) -> None:
        """Bind a chat identity (platform + platform user id) to a user."""

    @abc.abstractmethod
    def has_login(self, user_id: uuid.UUID) -> bool:
        """Return whether the user signs in with a username (``False``: a chat-only user, or none)."""

    @abc.abstractmethod
    def names_of(self, user_id: uuid.UUID) -> tuple[str | None, str | None] | None:
        """Return the user's ``(username, display_name)`` (``None`` for each they lack), or ``None``
        when there is no such user."""

    @abc.abstractmethod
    def move_identity(self, platform: str, platform_user_id: str, user_id: uuid.UUID) -> uuid.UUID | None:
        """Give an existing chat identity to ``user_id``; return its id (``None``: no such identity)."""

    @abc.abstractmethod
    def merge(self, source: uuid.UUID, target: uuid.UUID) -> None:
        """Fold user ``source`` into ``target``: ``source``'s memberships become ``target``'s (the
        stronger role where both have one), and its chat identities, captures, transactions
        (author and payer), merchant examples and created contexts move to ``target``. Audit events
        stay as they were written; the ``source`` row stays, owning nothing."""


class CapturesRepository(abc.ABC):
    """Everything users sent, recorded or not, claimed once by idempotency key."""

    @abc.abstractmethod
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
        """Insert the capture unless its idempotency key is taken; return whether it was new
        (``author_id`` ``None``: no person sent it)."""

    @abc.abstractmethod
    def claim_many(self, claims: Sequence[CaptureClaim]) -> set[str]:
        """Insert each capture of ``claims`` unless its idempotency key is taken (one statement);
        return the idempotency keys inserted. Keys must be distinct."""

    @abc.abstractmethod
    def taken(self, idempotency_keys: Sequence[str]) -> set[str]:
        """Return which of ``idempotency_keys`` belong to a capture already kept."""

    @abc.abstractmethod
    def pending_confirmation(
        self, context_id: uuid.UUID, author_id: uuid.UUID, problem: str, since: dt.datetime
    ) -> PendingCapture | None:
        """Return (and lock) the author's latest capture needing review for ``problem`` since ``since``."""

    @abc.abstractmethod
    def mark_recorded(self, capture_id: uuid.UUID) -> None:
        """Set a capture's status to recorded and clear its problem."""

    @abc.abstractmethod
    def complete(
        self, capture_id: uuid.UUID, *, context_id: uuid.UUID, author_id: uuid.UUID, chat_id: str
    ) -> bool:
        """Mark an earlier capture of the same chat, author and context that needs review as
        recorded; return whether one was."""

    @abc.abstractmethod
    def by_key(self, idempotency_key: str) -> CaptureRef | None:
        """Return the capture with ``idempotency_key`` (``{platform}:{chat_id}:{message_id}``), or ``None``."""


class LinksRepository(abc.ABC):
    """One-time link codes, stored by the sha256 of the normalised code."""

    @abc.abstractmethod
    def add(self, link_id: uuid.UUID, code_hash: str, user_id: uuid.UUID, expires_at: dt.datetime) -> None:
        """Store a new code of ``user_id`` (sha256 hex) valid until ``expires_at``."""

    @abc.abstractmethod
    def find(self, code_hash: str) -> LinkCode | None:
        """Return (and lock until the unit of work ends) the code with ``code_hash``, or ``None``."""

    @abc.abstractmethod
    def mark_used(self, link_id: uuid.UUID, *, at: dt.datetime, platform: str, platform_user_id: str) -> None:
        """Record that the chat identity ``platform``/``platform_user_id`` used the code ``at``."""

    @abc.abstractmethod
    def was_asked(self, link_id: uuid.UUID, platform: str, platform_user_id: str, *, chat_id: str) -> bool:
        """Return whether the chat identity ``platform``/``platform_user_id`` was asked to confirm
        the code ``link_id`` in chat ``chat_id`` (a ``link_code.asked`` event names all three)."""


class TransactionsRepository(abc.ABC):
    """Recorded transactions and their receipt lines."""

    @abc.abstractmethod
    def add(self, transactions: Sequence[Transaction]) -> None:
        """Insert transactions and their items."""

    @abc.abstractmethod
    def last_recorded(self, context_id: uuid.UUID, author_id: uuid.UUID) -> Transaction | None:
        """Return (and lock) the author's most recent transaction still recorded in the context."""

    @abc.abstractmethod
    def recorded(self, context_id: uuid.UUID, transaction_id: uuid.UUID) -> Transaction | None:
        """Return (and lock) transaction ``transaction_id`` if it is in the context and still
        recorded, else ``None`` (another ledger's transaction is never returned)."""

    @abc.abstractmethod
    def last_unpaid(self, context_id: uuid.UUID) -> Transaction | None:
        """Return (and lock) the context's most recent recorded transaction whose payer is unknown."""

    @abc.abstractmethod
    def set_paid_by(self, transaction_id: uuid.UUID, user_id: uuid.UUID) -> None:
        """Record who paid a transaction."""

    @abc.abstractmethod
    def reverse(self, transaction_id: uuid.UUID) -> None:
        """Mark a transaction reversed (it stays in the ledger for the audit)."""

    @abc.abstractmethod
    def set_category(self, transaction_id: uuid.UUID, category: str) -> None:
        """Change a transaction's category."""

    @abc.abstractmethod
    def totals(
        self,
        context_id: uuid.UUID,
        *,
        kind: str,
        date_from: dt.date | None,
        date_to: dt.date | None,
        category: str | None,
        merchant: str | None,
        categories: Sequence[str] = (),
    ) -> list[Totals]:
        """Sum recorded transactions per currency, largest first (``merchant``: case-insensitive part;
        ``categories``: any of these, a group's members; with a category asked, a split
        transaction counts by its lines in those categories)."""

    @abc.abstractmethod
    def summary(
        self, context_id: uuid.UUID, *, date_from: dt.date | None, date_to: dt.date | None
    ) -> list[SummaryLine]:
        """Sum the context's recorded transactions from ``date_from`` to ``date_to`` (inclusive;
        ``None``: unbounded) by kind, category and currency, largest sum first (one query; a split transaction: each
        line under its own category)."""

    @abc.abstractmethod
    def recent(
        self,
        context_id: uuid.UUID,
        *,
        limit: int,
        kind: str | None,
        date_from: dt.date | None,
        date_to: dt.date | None,
        categories: Sequence[str] = (),
        merchant: str | None = None,
    ) -> list[Transaction]:
        """Return the context's last ``limit`` recorded transactions, newest first (by date, then
        as recorded), without receipt lines and unlocked: of ``kind`` (``None``: every kind),
        dated within the bounds (``None``: unbounded), of one of ``categories`` (empty: any) and
        whose merchant holds ``merchant`` (case-insensitive)."""

    @abc.abstractmethod
    def of_capture(self, capture_id: uuid.UUID, context_id: uuid.UUID) -> list[Transaction]:
        """Return (and lock) the still-recorded transactions a capture made in the context, oldest first."""

    @abc.abstractmethod
    def recent_amounts(
        self,
        context_id: uuid.UUID,
        *,
        kind: str,
        currency: str,
        merchant: str | None = None,
        category: str | None = None,
        limit: int = 50,
    ) -> list[Decimal]:
        """Return the amounts of the context's most recent recorded ``kind`` transactions in
        ``currency`` (by date, then creation, newest first; at most ``limit``) at ``merchant``
        (the same name, ignoring case) or, without one, in ``category``. Neither: ``[]``."""

    @abc.abstractmethod
    def recent_amounts_many(self, queries: Sequence[AmountsQuery]) -> dict[AmountsQuery, list[Decimal]]:
        """Return :meth:`recent_amounts` of each of ``queries`` at once (every query is a key)."""

    @abc.abstractmethod
    def fees_of(self, context_id: uuid.UUID, transaction_id: uuid.UUID) -> list[Transaction]:
        """Return (and lock) the still-recorded fee lines (``fee_of``) of a transaction of the context."""

    @abc.abstractmethod
    def unvalued(self, limit: int) -> list[tuple[Transaction, str]]:
        """Return up to ``limit`` recorded transactions with no ``base_amount``, each with its
        context's base currency (oldest first; locked, skipping rows others hold)."""

    @abc.abstractmethod
    def amend(self, transaction: Transaction) -> None:
        """Overwrite what a message says of a stored transaction (kind, amount, currency, date,
        merchant, description, payment method, instalments, category, confidence) with
        ``transaction``'s, by its id; its receipt lines, author and payer stay."""


class CategoriesRepository(abc.ABC):
    """A context's merchant -> category memory and the labelled examples corrections leave."""

    @abc.abstractmethod
    def remembered(self, context_id: uuid.UUID, merchant_keys: Sequence[str]) -> dict[str, str]:
        """Return ``{merchant_key: category}`` the context remembers for ``merchant_keys``."""

    @abc.abstractmethod
    def remembered_many(self, wanted: Mapping[uuid.UUID, Sequence[str]]) -> dict[uuid.UUID, dict[str, str]]:
        """Return :meth:`remembered` of several contexts at once (``{context_id: merchant_keys}``);
        every context asked about is a key."""

    @abc.abstractmethod
    def remember(
        self, context_id: uuid.UUID, merchant_key: str, category: str, transaction_id: uuid.UUID | None
    ) -> None:
        """Make the merchant mean ``category`` in this context from now on (upsert)."""

    @abc.abstractmethod
    def add_example(
        self,
        context_id: uuid.UUID,
        *,
        text: str,
        category: str,
        language: str,
        transaction_id: uuid.UUID,
        author_id: uuid.UUID,
    ) -> None:
        """Keep a labelled example for the next training of the category model."""


class EditsRepository(abc.ABC):
    """What editing a ledger by hand reads and writes: any transaction of a context (recorded or
    reversed), its split lines, the context's sub-categories and its own category names."""

    @abc.abstractmethod
    def get(self, context_id: uuid.UUID, transaction_id: uuid.UUID) -> Transaction | None:
        """Return (and lock) transaction ``transaction_id`` of ``context_id`` whatever its status,
        without receipt lines; ``None`` when the context has no such transaction."""

    @abc.abstractmethod
    def save(self, transaction: Transaction) -> None:
        """Overwrite a stored transaction's editable fields (kind, amount, currency, date,
        merchant, description, category, sub-category, payment method, payer), its base-currency
        values and its status with ``transaction``'s, by id; author, source and items stay."""

    @abc.abstractmethod
    def splits(self, transaction_id: uuid.UUID) -> list[SplitLine]:
        """Return the transaction's split lines in order (``[]``: not split)."""

    @abc.abstractmethod
    def set_splits(
        self, context_id: uuid.UUID, transaction_id: uuid.UUID, lines: Sequence[SplitLine]
    ) -> None:
        """Replace the transaction's split lines with ``lines`` (empty: remove the split)."""

    @abc.abstractmethod
    def subcategories(self, context_id: uuid.UUID) -> list[Subcategory]:
        """Return the context's sub-categories (by parent, then name)."""

    @abc.abstractmethod
    def add_subcategory(self, subcategory: Subcategory) -> None:
        """Store a new sub-category."""

    @abc.abstractmethod
    def rename_subcategory(self, subcategory_id: uuid.UUID, name: str) -> None:
        """Change a sub-category's name."""

    @abc.abstractmethod
    def delete_subcategory(self, subcategory_id: uuid.UUID) -> int:
        """Delete a sub-category; transactions and split lines in it keep their parent slug (their
        ``subcategory_id`` becomes ``None``). Return how many transactions pointed at it."""

    @abc.abstractmethod
    def category_names(self, context_id: uuid.UUID) -> dict[str, str]:
        """Return the context's own display names ``{taxonomy slug: name}``."""

    @abc.abstractmethod
    def set_category_name(self, context_id: uuid.UUID, slug: str, name: str | None) -> None:
        """Give taxonomy slug ``slug`` the display name ``name`` in the context (``None``: back to
        the taxonomy's name)."""


@dataclass(frozen=True, slots=True)
class AlertChat:
    """An active chat bound to a ledger, where its budget alerts go: platform, chat id, the edge
    that serves it and the chat type ("private" or "group")."""

    platform: str
    chat_id: str
    edge_id: str
    chat_type: str


class BudgetsRepository(abc.ABC):
    """A context's budgets, their alerts, and the expenses they are measured against."""

    @abc.abstractmethod
    def of_context(self, context_id: uuid.UUID) -> list[Budget]:
        """Return the context's budgets (ledger first, then groups, then categories, by target)."""

    @abc.abstractmethod
    def of_contexts(self, context_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[Budget]]:
        """Return :meth:`of_context` of several contexts at once; every context asked about is a key."""

    @abc.abstractmethod
    def get(self, context_id: uuid.UUID, budget_id: uuid.UUID) -> Budget | None:
        """Return (and lock) budget ``budget_id`` if it is the context's, else ``None``."""

    @abc.abstractmethod
    def find(self, context_id: uuid.UUID, scope: str, target: str) -> Budget | None:
        """Return (and lock) the context's budget for ``scope``/``target``, or ``None``."""

    @abc.abstractmethod
    def add(self, budget: Budget, created_by: uuid.UUID | None) -> None:
        """Insert ``budget`` (one per context, scope and target)."""

    @abc.abstractmethod
    def update(self, budget: Budget) -> None:
        """Overwrite the stored budget of ``budget.id`` (amount, rollover, starts_on, scope)."""

    @abc.abstractmethod
    def delete(self, budget_id: uuid.UUID) -> None:
        """Delete a budget and its alerts."""

    @abc.abstractmethod
    def spent(
        self, context_id: uuid.UUID, *, date_from: dt.date, date_to: dt.date, currency: str
    ) -> list[Spent]:
        """Return the context's recorded expenses dated ``date_from``..``date_to`` (inclusive) by
        category: the sum of base amounts in ``currency``, how many, and how many have no base
        amount in ``currency`` (no FX rate known; never summed). A split transaction counts each
        line (its ``base_amount``) under the line's category. One query."""

    @abc.abstractmethod
    def claim_alert(
        self, budget_id: uuid.UUID, month: dt.date, threshold: int, capture_id: uuid.UUID | None
    ) -> bool:
        """Insert the alert of ``budget_id`` for ``month`` (first day) and ``threshold`` unless it
        exists (``INSERT .. ON CONFLICT DO NOTHING``); return whether it was new."""

    @abc.abstractmethod
    def clear_alerts(self, budget_id: uuid.UUID, month: dt.date) -> None:
        """Forget ``budget_id``'s alerts of ``month`` (its amount changed: they may be due again)."""

    @abc.abstractmethod
    def alert_chats(self, context_id: uuid.UUID) -> list[AlertChat]:
        """Return the active chats bound to the context (where its budget alerts go), oldest first."""


@dataclass(frozen=True, slots=True)
class MemberRow:
    """A member of a ledger as its member list shows them (``joined_at`` aware)."""

    user_id: uuid.UUID
    role: Role
    display_name: str | None
    username: str | None
    joined_at: dt.datetime


@dataclass(frozen=True, slots=True)
class Invitation:
    """A stored invitation into ledger ``context_id`` as ``role`` (only its code's sha256 is kept).

    All times aware; ``used_at``/``used_by`` are set once it was accepted, ``revoked_at`` once
    it was revoked."""

    id: uuid.UUID
    context_id: uuid.UUID
    role: Role
    created_by: uuid.UUID | None
    created_at: dt.datetime
    expires_at: dt.datetime
    used_at: dt.datetime | None = None
    used_by: uuid.UUID | None = None
    revoked_at: dt.datetime | None = None


class MembersRepository(abc.ABC):
    """Shared ledgers: the ledger's own settings, its members' roles, and its invitations."""

    @abc.abstractmethod
    def members(self, context_id: uuid.UUID) -> list[MemberRow]:
        """Return the ledger's members, strongest role first, then by when they joined."""

    @abc.abstractmethod
    def owners(self, context_id: uuid.UUID) -> int:
        """Return how many owners the ledger has (the caller holds ``members:{context_id}``)."""

    @abc.abstractmethod
    def set_role(self, context_id: uuid.UUID, user_id: uuid.UUID, role: Role) -> None:
        """Change the role of member ``user_id``."""

    @abc.abstractmethod
    def remove(self, context_id: uuid.UUID, user_id: uuid.UUID) -> None:
        """Remove member ``user_id`` from the ledger."""

    @abc.abstractmethod
    def rebind_private_chats(self, context_id: uuid.UUID, user_id: uuid.UUID, to_context: uuid.UUID) -> int:
        """Point the private chats of ``user_id``'s identities bound to ``context_id`` at
        ``to_context``; return how many there were."""

    @abc.abstractmethod
    def update_context(self, context_id: uuid.UUID, changes: Mapping[str, str]) -> None:
        """Set the ledger's ``name``, ``time_zone``, ``locale`` or ``base_currency`` (keys given only)."""

    @abc.abstractmethod
    def archived_at(self, context_id: uuid.UUID) -> dt.datetime | None:
        """Return when the ledger was archived, or ``None`` when it is not."""

    @abc.abstractmethod
    def set_archived(self, context_id: uuid.UUID, at: dt.datetime | None) -> None:
        """Archive the ledger ``at`` (aware), or unarchive it (``None``)."""

    @abc.abstractmethod
    def has_transactions(self, context_id: uuid.UUID) -> bool:
        """Return whether any transaction (recorded or reversed) was ever written in the ledger."""

    @abc.abstractmethod
    def add_invitation(self, invitation: Invitation, code_hash: str) -> None:
        """Store a new invitation by the sha256 hex of its code."""

    @abc.abstractmethod
    def invitation_by_code(self, code_hash: str) -> Invitation | None:
        """Return (and lock until the unit of work ends) the invitation with ``code_hash``, or ``None``."""

    @abc.abstractmethod
    def invitation(self, context_id: uuid.UUID, invitation_id: uuid.UUID) -> Invitation | None:
        """Return (and lock) invitation ``invitation_id`` of the ledger, or ``None``."""

    @abc.abstractmethod
    def pending_invitations(self, context_id: uuid.UUID, now: dt.datetime) -> list[Invitation]:
        """Return the ledger's invitations neither used, revoked nor expired at ``now``, newest first."""

    @abc.abstractmethod
    def mark_invitation_used(self, invitation_id: uuid.UUID, user_id: uuid.UUID, at: dt.datetime) -> None:
        """Record that ``user_id`` accepted the invitation ``at``."""

    @abc.abstractmethod
    def revoke_invitation(self, invitation_id: uuid.UUID, at: dt.datetime) -> None:
        """Record that the invitation was revoked ``at``."""


@dataclass(frozen=True, slots=True)
class UserSecurity:
    """What account security needs of a login user: names, password hash, admin flag, two-factor
    state (``totp_secret`` set while it is on) and the session version tokens must carry."""

    id: uuid.UUID
    username: str | None
    password_hash: str | None
    is_admin: bool
    totp_secret: str | None
    totp_pending_secret: str | None
    totp_last_step: int | None
    session_version: int


@dataclass(frozen=True, slots=True)
class ResetToken:
    """A stored password reset token: whose, until when, and whether it was used."""

    id: uuid.UUID
    user_id: uuid.UUID
    expires_at: dt.datetime
    used_at: dt.datetime | None


class AccountsRepository(abc.ABC):
    """Account security: two-factor state, recovery codes, API tokens, reset tokens, session versions."""

    @abc.abstractmethod
    def security_of(self, user_id: uuid.UUID) -> UserSecurity | None:
        """Return (and lock until the unit of work ends) the user's security state, or ``None``."""

    @abc.abstractmethod
    def security_of_username(self, username: str) -> UserSecurity | None:
        """The same by (normalised) username."""

    @abc.abstractmethod
    def set_totp(
        self,
        user_id: uuid.UUID,
        *,
        secret: str | None,
        pending: str | None,
        last_step: int | None,
        enabled_at: dt.datetime | None,
    ) -> None:
        """Replace the user's two-factor state (``secret`` ``None``: off)."""

    @abc.abstractmethod
    def set_totp_step(self, user_id: uuid.UUID, step: int) -> None:
        """Remember the last step a code was accepted for (codes of it or earlier are replays)."""

    @abc.abstractmethod
    def bump_session_version(self, user_id: uuid.UUID) -> int:
        """Add one to the user's session version and return the new one (older tokens stop working)."""

    @abc.abstractmethod
    def replace_recovery_codes(self, user_id: uuid.UUID, hashes: Sequence[str]) -> None:
        """Drop the user's recovery codes and store ``hashes`` (sha256 hex) as the new ones."""

    @abc.abstractmethod
    def use_recovery_code(self, user_id: uuid.UUID, code_hash: str, at: dt.datetime) -> bool:
        """Mark the user's unused code ``code_hash`` used ``at``; return whether there was one."""

    @abc.abstractmethod
    def recovery_codes_left(self, user_id: uuid.UUID) -> int:
        """Return how many unused recovery codes the user has."""

    @abc.abstractmethod
    def add_api_token(
        self,
        token_id: uuid.UUID,
        user_id: uuid.UUID,
        *,
        name: str,
        token_hash: str,
        prefix: str,
        scopes: Sequence[str],
        created_at: dt.datetime,
        expires_at: dt.datetime | None,
    ) -> None:
        """Store a new API token (sha256 hex of the secret)."""

    @abc.abstractmethod
    def revoke_api_token(self, user_id: uuid.UUID, token_id: uuid.UUID, at: dt.datetime) -> bool:
        """Revoke the user's token ``token_id`` ``at``; return whether the user has such a token
        (revoking one already revoked changes nothing and returns ``True``)."""

    @abc.abstractmethod
    def revoke_all_api_tokens(self, user_id: uuid.UUID, at: dt.datetime) -> int:
        """Revoke every live API token of the user; return how many."""

    @abc.abstractmethod
    def add_reset_token(
        self,
        token_id: uuid.UUID,
        user_id: uuid.UUID,
        *,
        token_hash: str,
        created_by: uuid.UUID,
        expires_at: dt.datetime,
    ) -> None:
        """Store a password reset token (sha256 hex); earlier unused ones of the user stop working."""

    @abc.abstractmethod
    def find_reset_token(self, token_hash: str) -> ResetToken | None:
        """Return (and lock) the reset token with ``token_hash``, or ``None``."""

    @abc.abstractmethod
    def mark_reset_used(self, token_id: uuid.UUID, at: dt.datetime) -> None:
        """Record that the reset token was used ``at``."""


class AbstractUnitOfWork(abc.ABC):
    """One atomic piece of work: repositories, audit events and outbox messages, committed together.

    Use as a context manager: leaving it without :meth:`commit` rolls back.
    """

    contexts: ContextsRepository
    users: UsersRepository
    captures: CapturesRepository
    transactions: TransactionsRepository
    categories: CategoriesRepository
    links: LinksRepository
    fx_rates: FxRatesRepository
    edits: EditsRepository
    budgets: BudgetsRepository
    members: MembersRepository
    accounts: AccountsRepository
    statements: StatementsRepository
    recurring: RecurringRepository
    cards: CardsRepository
    cost_sharing: CostSharingRepository
    #: The ledger search, on this unit of work's own transaction (the chat's "/buscar").
    search: SearchBackend

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._new_events: list[Event] = []
        #: Outbox row ids written by the last commit, in order (the caller may publish them at once).
        self.outbox_ids: list[int] = []
        #: ``(stream, payload)`` of those rows, in the same order.
        self.outbox_messages: list[tuple[str, str]] = []

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.rollback()

    def expect(self, commands: Sequence[Command]) -> None:
        """Say that ``commands`` are about to be handled here, in order (a batch of captures).

        A unit of work may read ahead for them and defer its writes until a statement needs
        them or :meth:`commit` (the SQL one does, so a batch costs a few round trips instead of
        a few per capture); handlers see the same results either way. The default does nothing.
        """
        del commands  # nothing to read ahead in a unit of work without round trips

    def record(self, event: Event) -> None:
        """Add ``event`` to the audit log in this unit of work; handlers of it run after commit."""
        self.events.append(event)
        self._new_events.append(event)
        self._record(event)

    def collect_new_events(self) -> list[Event]:
        """Return and forget the events recorded since the last call (the bus dispatches them)."""
        events, self._new_events = self._new_events, []
        return events

    @abc.abstractmethod
    def _record(self, event: Event) -> None: ...

    @abc.abstractmethod
    def lock(self, key: str) -> None:
        """Serialise with any other unit of work taking ``key`` until this one ends."""

    @abc.abstractmethod
    def publish(self, stream: str, payload: str) -> None:
        """Queue ``payload`` (a JSON string) for ``stream``; it is sent only after commit."""

    @abc.abstractmethod
    def mark_published(self, outbox_ids: Sequence[int]) -> None:
        """Mark earlier outbox rows as sent, in this unit of work."""

    @abc.abstractmethod
    def commit(self) -> None:
        """Make everything durable; sets :attr:`outbox_ids` and :attr:`outbox_messages`."""

    @abc.abstractmethod
    def rollback(self) -> None:
        """Forget everything not committed (a no-op after :meth:`commit`)."""


def jsonable(value: Any) -> Any:
    """Return ``value`` with Decimals, UUIDs and dates as strings, recursively (for JSON columns)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value


def dumps(value: Any) -> str:
    """Serialise ``value`` to JSON, writing Decimals, UUIDs and dates as strings."""
    return json.dumps(jsonable(value), ensure_ascii=False, sort_keys=True)

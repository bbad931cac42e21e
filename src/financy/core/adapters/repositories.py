"""SQLAlchemy repositories over one connection (the statements are compiled once, at import).

The hot path of a chat message from a known sender in a bound chat is one look-up
(:meth:`SqlContexts.known_sender`), one claim, one multi-row insert of transactions and the
flush of events and outbox rows.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    FromClause,
    Row,
    Subquery,
    Text,
    and_,
    bindparam,
    case,
    delete,
    exists,
    func,
    insert,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError

from financy.core.adapters import orm
from financy.core.adapters.cards_repository import card_spent_shift, merge_spent
from financy.core.adapters.copying import COPY_FROM_ROWS, can_copy, copy_rows
from financy.core.domain.budgets import Budget, Scope, Spent
from financy.core.domain.commands import ChatMessage
from financy.core.domain.errors import UsernameTakenError
from financy.core.domain.model import (
    ContextType,
    LedgerContext,
    Money,
    Role,
    Transaction,
    TransactionStatus,
)
from financy.core.service.unit_of_work import (
    AccountsRepository,
    AlertChat,
    AmountsQuery,
    BindingOrigin,
    BudgetsRepository,
    CaptureClaim,
    CaptureRef,
    CapturesRepository,
    CategoriesRepository,
    ChatBinding,
    ContextsRepository,
    FxRate,
    FxRatesRepository,
    LinkCode,
    LinksRepository,
    PendingCapture,
    ResetToken,
    SenderScope,
    SummaryLine,
    Totals,
    TransactionsRepository,
    UserSecurity,
    UsersRepository,
)
from financy.runtime.ids import uuid7

_IDENTITY = orm.channel_identities
_BINDING = orm.chat_bindings
_MEMBERS = orm.members
_REMEMBERS = (
    exists().where(orm.merchant_categories.c.context_id == orm.contexts.c.id).label("remembers_merchants")
)
_SELECT_IDENTITY = select(_IDENTITY.c.user_id).where(
    _IDENTITY.c.platform == bindparam("platform"),
    _IDENTITY.c.platform_user_id == bindparam("platform_user_id"),
)
_SELECT_BOUND_CONTEXT = (
    select(orm.contexts, _REMEMBERS)
    .join(_BINDING, _BINDING.c.context_id == orm.contexts.c.id)
    .where(_BINDING.c.platform == bindparam("platform"), _BINDING.c.chat_id == bindparam("chat_id"))
)
_SELECT_BINDING = (
    select(
        _BINDING.c.id.label("binding_id"),
        _BINDING.c.chat_type,
        _BINDING.c.active,
        _BINDING.c.title,
        orm.contexts,
        _REMEMBERS,
    )
    .join(orm.contexts, _BINDING.c.context_id == orm.contexts.c.id)
    .where(_BINDING.c.platform == bindparam("platform"), _BINDING.c.chat_id == bindparam("chat_id"))
)
# The common case in one round trip: a known sender in a bound chat, with their role there.
_SELECT_KNOWN = (
    select(
        _IDENTITY.c.user_id,
        orm.contexts,
        _REMEMBERS,
        _MEMBERS.c.role.label("member_role"),
        _BINDING.c.chat_type,
        _BINDING.c.active,
    )
    .select_from(_IDENTITY)
    .join(
        _BINDING,
        (_BINDING.c.platform == bindparam("platform")) & (_BINDING.c.chat_id == bindparam("chat_id")),
    )
    .join(orm.contexts, orm.contexts.c.id == _BINDING.c.context_id)
    .outerjoin(
        _MEMBERS,
        and_(_MEMBERS.c.context_id == orm.contexts.c.id, _MEMBERS.c.user_id == _IDENTITY.c.user_id),
    )
    .where(
        _IDENTITY.c.platform == bindparam("platform"),
        _IDENTITY.c.platform_user_id == bindparam("platform_user_id"),
    )
)
_SELECT_ROLE = select(_MEMBERS.c.role).where(
    _MEMBERS.c.context_id == bindparam("context_id"), _MEMBERS.c.user_id == bindparam("user_id")
)
_CLAIM_CAPTURE = (
    pg_insert(orm.captures)
    .on_conflict_do_nothing(index_elements=[orm.captures.c.idempotency_key])
    .returning(orm.captures.c.id)
)
_CLAIM_CAPTURES = (
    pg_insert(orm.captures)
    .on_conflict_do_nothing(index_elements=[orm.captures.c.idempotency_key])
    .returning(orm.captures.c.idempotency_key)
)
# Many senders at once: the same joins as _SELECT_KNOWN, for each (platform, chat, sender) given.
_ASKED = (
    func.unnest(
        bindparam("platforms", type_=ARRAY(Text)),
        bindparam("chat_ids", type_=ARRAY(Text)),
        bindparam("senders", type_=ARRAY(Text)),
    )
    .table_valued("platform", "chat_id", "sender")
    .render_derived(name="asked")
)
_SELECT_KNOWN_MANY = (
    select(
        _ASKED.c.platform.label("asked_platform"),
        _ASKED.c.chat_id.label("asked_chat_id"),
        _ASKED.c.sender.label("asked_sender"),
        _IDENTITY.c.user_id,
        orm.contexts,
        _REMEMBERS,
        _MEMBERS.c.role.label("member_role"),
        _BINDING.c.chat_type,
        _BINDING.c.active,
    )
    .select_from(_ASKED)
    .join(
        _IDENTITY,
        (_IDENTITY.c.platform == _ASKED.c.platform) & (_IDENTITY.c.platform_user_id == _ASKED.c.sender),
    )
    .join(_BINDING, (_BINDING.c.platform == _ASKED.c.platform) & (_BINDING.c.chat_id == _ASKED.c.chat_id))
    .join(orm.contexts, orm.contexts.c.id == _BINDING.c.context_id)
    .outerjoin(
        _MEMBERS,
        and_(_MEMBERS.c.context_id == orm.contexts.c.id, _MEMBERS.c.user_id == _IDENTITY.c.user_id),
    )
)
# Many recent_amounts questions at once: the n-th question's newest ``limit`` rows, and the
# transaction's now() (the created_at this transaction's own inserts get).
_SELECT_RECENT_AMOUNTS_MANY = text(
    "SELECT q.n, t.amount, t.occurred_on, t.created_at, t.id, now() AS now"
    " FROM unnest(CAST(:context_ids AS uuid[]), CAST(:kinds AS text[]), CAST(:currencies AS text[]),"
    " CAST(:merchants AS text[]), CAST(:categories AS text[])) WITH ORDINALITY"
    " AS q(context_id, kind, currency, merchant, category, n)"
    " CROSS JOIN LATERAL (SELECT tx.amount, tx.occurred_on, tx.created_at, tx.id FROM transactions tx"
    " WHERE tx.context_id = q.context_id AND tx.status = 'recorded' AND tx.kind = q.kind"
    " AND tx.currency = q.currency AND CASE WHEN q.merchant IS NOT NULL"
    " THEN lower(tx.merchant) = q.merchant ELSE tx.category = q.category END"
    " ORDER BY tx.occurred_on DESC, tx.created_at DESC, tx.id DESC LIMIT :lim) t"
)
_INSERT_TRANSACTIONS = insert(orm.transactions)
#: Roles strongest first, as a number for SQL (a merge keeps the stronger of two memberships).
_ROLE_RANK = {role.value: rank for rank, role in enumerate(Role)}
#: The columns :meth:`SqlTransactions.amend` overwrites.
_AMENDABLE = (
    "kind",
    "amount",
    "currency",
    "occurred_on",
    "merchant",
    "description",
    "payment_method",
    "installments",
    "category",
    "confidence",
    "base_amount",
    "base_currency",
    "fx_rate",
    "fx_date",
    "fx_source",
)
_INSERT_ITEMS = insert(orm.transaction_items)


@dataclass(frozen=True, slots=True)
class AmountRow:
    """One amount :meth:`SqlTransactions.recent_amount_rows` found, with the columns it is ordered
    by (newest first: ``occurred_on``, then ``created_at``, then ``id``)."""

    amount: Decimal
    occurred_on: dt.date
    created_at: dt.datetime
    id: uuid.UUID

    def order(self) -> tuple[dt.date, dt.datetime, uuid.UUID]:
        """Return the key ``recent_amounts`` sorts by (descending)."""
        return self.occurred_on, self.created_at, self.id


def ledger_context(row: Row[Any]) -> LedgerContext:
    """Return the domain context of a ``contexts`` row."""
    return LedgerContext(
        id=row.id,
        name=row.name,
        type=ContextType(row.type),
        base_currency=row.base_currency,
        time_zone=row.time_zone,
        locale=row.locale,
        card_iof=bool(getattr(row, "card_iof", False)),
    )


def _sender_scope(row: Row[Any]) -> SenderScope:
    return SenderScope(
        user_id=row.user_id,
        context=ledger_context(row),
        role=Role(row.member_role) if row.member_role else None,
        remembers_merchants=bool(row.remembers_merchants),
        chat_type=row.chat_type,
        active=bool(row.active),
    )


class SqlContexts(ContextsRepository):
    """Contexts, members and chat bindings in PostgreSQL."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def known_sender(self, platform: str, chat_id: str, platform_user_id: str) -> SenderScope | None:
        """See :meth:`ContextsRepository.known_sender`."""
        row = self.conn.execute(
            _SELECT_KNOWN, {"platform": platform, "chat_id": chat_id, "platform_user_id": platform_user_id}
        ).first()
        return None if row is None else _sender_scope(row)

    def known_senders(self, keys: Sequence[tuple[str, str, str]]) -> dict[tuple[str, str, str], SenderScope]:
        """See :meth:`ContextsRepository.known_senders` (one statement)."""
        return {key: scope for key, (scope, _) in self.known_senders_archived(keys).items()}

    def known_senders_archived(
        self, keys: Sequence[tuple[str, str, str]]
    ) -> dict[tuple[str, str, str], tuple[SenderScope, dt.datetime | None]]:
        """:meth:`known_senders`, each with its context's ``archived_at`` (``None``: not archived)."""
        asked = list(dict.fromkeys(keys))
        if not asked:
            return {}
        rows = self.conn.execute(
            _SELECT_KNOWN_MANY,
            {
                "platforms": [k[0] for k in asked],
                "chat_ids": [k[1] for k in asked],
                "senders": [k[2] for k in asked],
            },
        ).all()
        return {
            (r.asked_platform, r.asked_chat_id, r.asked_sender): (_sender_scope(r), r.archived_at)
            for r in rows
        }

    def user_of_identity(self, platform: str, platform_user_id: str) -> uuid.UUID | None:
        """See :meth:`ContextsRepository.user_of_identity`."""
        row = self.conn.execute(
            _SELECT_IDENTITY, {"platform": platform, "platform_user_id": platform_user_id}
        ).first()
        return None if row is None else uuid.UUID(str(row.user_id))

    def bound_context(self, platform: str, chat_id: str) -> tuple[LedgerContext, bool] | None:
        """See :meth:`ContextsRepository.bound_context`."""
        row = self.conn.execute(_SELECT_BOUND_CONTEXT, {"platform": platform, "chat_id": chat_id}).first()
        return None if row is None else (ledger_context(row), bool(row.remembers_merchants))

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
        """See :meth:`ContextsRepository.bind_chat`."""
        self.conn.execute(
            insert(_BINDING).values(
                id=binding_id,
                platform=platform,
                chat_id=chat_id,
                context_id=context_id,
                edge_id=edge_id,
                chat_type=chat_type,
                title=title,
            )
        )

    def binding(self, platform: str, chat_id: str) -> ChatBinding | None:
        """See :meth:`ContextsRepository.binding`."""
        row = self.conn.execute(_SELECT_BINDING, {"platform": platform, "chat_id": chat_id}).first()
        if row is None:
            return None
        return ChatBinding(
            id=row.binding_id,
            platform=platform,
            chat_id=chat_id,
            context=ledger_context(row),
            remembers_merchants=bool(row.remembers_merchants),
            chat_type=row.chat_type,
            active=bool(row.active),
            title=row.title,
        )

    def binding_origin(self, binding_id: uuid.UUID) -> BindingOrigin | None:
        """See :meth:`ContextsRepository.binding_origin`."""
        tx = orm.transactions
        oldest = (
            select(func.min(tx.c.created_at))
            .where(tx.c.context_id == _BINDING.c.context_id)
            .scalar_subquery()
        )
        row = self.conn.execute(
            select(
                _BINDING.c.created_at,
                orm.contexts.c.created_at.label("context_created_at"),
                oldest.label("oldest"),
            )
            .join(orm.contexts, orm.contexts.c.id == _BINDING.c.context_id)
            .where(_BINDING.c.id == binding_id)
        ).first()
        if row is None:
            return None
        return BindingOrigin(row.created_at, row.context_created_at, row.oldest)

    def rebind(self, binding_id: uuid.UUID, context_id: uuid.UUID) -> None:
        """See :meth:`ContextsRepository.rebind`."""
        self.conn.execute(update(_BINDING).where(_BINDING.c.id == binding_id).values(context_id=context_id))

    def set_binding_active(self, binding_id: uuid.UUID, active: bool, *, title: str | None = None) -> None:
        """See :meth:`ContextsRepository.set_binding_active`."""
        values: dict[str, Any] = {"active": active}
        if title is not None:
            values["title"] = title
        self.conn.execute(update(_BINDING).where(_BINDING.c.id == binding_id).values(**values))

    def has_owner(self, context_id: uuid.UUID) -> bool:
        """See :meth:`ContextsRepository.has_owner`."""
        found = self.conn.execute(
            select(_MEMBERS.c.user_id)
            .where(_MEMBERS.c.context_id == context_id, _MEMBERS.c.role == Role.OWNER.value)
            .limit(1)
        ).first()
        return found is not None

    def memberships(self, user_id: uuid.UUID) -> list[tuple[LedgerContext, Role]]:
        """See :meth:`ContextsRepository.memberships`."""
        rows = self.conn.execute(
            select(orm.contexts, _MEMBERS.c.role.label("member_role"))
            .join(_MEMBERS, _MEMBERS.c.context_id == orm.contexts.c.id)
            .where(_MEMBERS.c.user_id == user_id)
        ).all()
        return [(ledger_context(r), Role(r.member_role)) for r in rows]

    def add(self, context: LedgerContext, created_by: uuid.UUID | None) -> None:
        """See :meth:`ContextsRepository.add`."""
        self.conn.execute(
            insert(orm.contexts).values(
                id=context.id,
                name=context.name,
                type=context.type.value,
                base_currency=context.base_currency,
                time_zone=context.time_zone,
                locale=context.locale,
                created_by=created_by,
            )
        )

    def add_member(self, context_id: uuid.UUID, user_id: uuid.UUID, role: Role) -> None:
        """See :meth:`ContextsRepository.add_member`."""
        self.conn.execute(insert(_MEMBERS).values(context_id=context_id, user_id=user_id, role=role.value))

    def get(self, context_id: uuid.UUID) -> LedgerContext | None:
        """See :meth:`ContextsRepository.get`."""
        row = self.conn.execute(select(orm.contexts).where(orm.contexts.c.id == context_id)).first()
        return None if row is None else ledger_context(row)

    def personal_context_of(self, user_id: uuid.UUID) -> uuid.UUID | None:
        """See :meth:`ContextsRepository.personal_context_of`."""
        row = self.conn.execute(
            select(orm.contexts.c.id)
            .join(_MEMBERS, _MEMBERS.c.context_id == orm.contexts.c.id)
            .where(
                _MEMBERS.c.user_id == user_id,
                _MEMBERS.c.role == Role.OWNER.value,
                orm.contexts.c.type == ContextType.PERSONAL.value,
            )
            .order_by(orm.contexts.c.created_at, orm.contexts.c.id)
            .limit(1)
        ).first()
        return None if row is None else uuid.UUID(str(row.id))

    def role_of(self, context_id: uuid.UUID, user_id: uuid.UUID) -> Role | None:
        """See :meth:`ContextsRepository.role_of`."""
        role = self.conn.execute(_SELECT_ROLE, {"context_id": context_id, "user_id": user_id}).scalar()
        return None if role is None else Role(role)

    def set_card_iof(self, context_id: uuid.UUID, enabled: bool) -> None:
        """See :meth:`ContextsRepository.set_card_iof`."""
        self.conn.execute(
            update(orm.contexts).where(orm.contexts.c.id == context_id).values(card_iof=enabled)
        )


class SqlUsers(UsersRepository):
    """Users and chat identities in PostgreSQL."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

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
        """See :meth:`UsersRepository.add` (a savepoint keeps the transaction usable on a taken name)."""
        values = {
            "id": user_id,
            "username": username,
            "password_hash": password_hash,
            "display_name": display_name,
            "locale": locale,
            "is_admin": is_admin,
        }
        if username is None:
            self.conn.execute(insert(orm.users).values(**values))
            return
        try:
            with self.conn.begin_nested():
                self.conn.execute(insert(orm.users).values(**values))
        except IntegrityError as exc:
            raise UsernameTakenError(username) from exc

    def id_of_username(self, username: str) -> uuid.UUID | None:
        """See :meth:`UsersRepository.id_of_username`."""
        found = self.conn.execute(select(orm.users.c.id).where(orm.users.c.username == username)).scalar()
        return None if found is None else uuid.UUID(str(found))

    def password_hash_of(self, username: str) -> tuple[uuid.UUID, str | None] | None:
        """See :meth:`UsersRepository.password_hash_of`."""
        row = self.conn.execute(
            select(orm.users.c.id, orm.users.c.password_hash).where(orm.users.c.username == username)
        ).first()
        return None if row is None else (uuid.UUID(str(row.id)), row.password_hash)

    def set_password_hash(self, user_id: uuid.UUID, password_hash: str) -> None:
        """See :meth:`UsersRepository.set_password_hash`."""
        self.conn.execute(
            update(orm.users).where(orm.users.c.id == user_id).values(password_hash=password_hash)
        )

    def link_identity(
        self, identity_id: uuid.UUID, platform: str, platform_user_id: str, user_id: uuid.UUID, name: str
    ) -> None:
        """See :meth:`UsersRepository.link_identity`."""
        self.conn.execute(
            insert(_IDENTITY).values(
                id=identity_id,
                platform=platform,
                platform_user_id=platform_user_id,
                user_id=user_id,
                display_name=name,
            )
        )

    def has_login(self, user_id: uuid.UUID) -> bool:
        """See :meth:`UsersRepository.has_login`."""
        username = self.conn.execute(select(orm.users.c.username).where(orm.users.c.id == user_id)).scalar()
        return username is not None

    def names_of(self, user_id: uuid.UUID) -> tuple[str | None, str | None] | None:
        """See :meth:`UsersRepository.names_of`."""
        row = self.conn.execute(
            select(orm.users.c.username, orm.users.c.display_name).where(orm.users.c.id == user_id)
        ).first()
        return None if row is None else (row.username, row.display_name)

    def move_identity(self, platform: str, platform_user_id: str, user_id: uuid.UUID) -> uuid.UUID | None:
        """See :meth:`UsersRepository.move_identity`."""
        found = self.conn.execute(
            update(_IDENTITY)
            .where(_IDENTITY.c.platform == platform, _IDENTITY.c.platform_user_id == platform_user_id)
            .values(user_id=user_id)
            .returning(_IDENTITY.c.id)
        ).scalar()
        return None if found is None else uuid.UUID(str(found))

    def merge(self, source: uuid.UUID, target: uuid.UUID) -> None:
        """See :meth:`UsersRepository.merge` (one statement per table)."""
        conn = self.conn
        theirs = select(
            _MEMBERS.c.context_id, bindparam("target", target), _MEMBERS.c.role, _MEMBERS.c.joined_at
        )
        moved = pg_insert(_MEMBERS).from_select(
            ["context_id", "user_id", "role", "joined_at"], theirs.where(_MEMBERS.c.user_id == source)
        )
        conn.execute(
            moved.on_conflict_do_update(
                index_elements=[_MEMBERS.c.context_id, _MEMBERS.c.user_id],
                set_={
                    "role": case(
                        (
                            case(_ROLE_RANK, value=moved.excluded.role)
                            < case(_ROLE_RANK, value=_MEMBERS.c.role),
                            moved.excluded.role,
                        ),
                        else_=_MEMBERS.c.role,
                    )
                },
            )
        )
        conn.execute(delete(_MEMBERS).where(_MEMBERS.c.user_id == source))
        for column in (
            _IDENTITY.c.user_id,
            orm.captures.c.author_id,
            orm.transactions.c.author_id,
            orm.transactions.c.paid_by,
            orm.category_examples.c.author_id,
            orm.contexts.c.created_by,
        ):
            conn.execute(update(column.table).where(column == source).values({column.name: target}))


class SqlLinks(LinksRepository):
    """Link codes in PostgreSQL (``link_codes``)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, link_id: uuid.UUID, code_hash: str, user_id: uuid.UUID, expires_at: dt.datetime) -> None:
        """See :meth:`LinksRepository.add`."""
        self.conn.execute(
            insert(orm.link_codes).values(
                id=link_id, code_hash=code_hash, user_id=user_id, expires_at=expires_at
            )
        )

    def find(self, code_hash: str) -> LinkCode | None:
        """See :meth:`LinksRepository.find` (``SELECT .. FOR UPDATE``)."""
        lc = orm.link_codes
        row = self.conn.execute(select(lc).where(lc.c.code_hash == code_hash).with_for_update()).first()
        if row is None:
            return None
        return LinkCode(
            row.id,
            row.user_id,
            row.expires_at,
            row.used_at,
            row.used_by_platform,
            row.used_by_platform_user_id,
        )

    def mark_used(self, link_id: uuid.UUID, *, at: dt.datetime, platform: str, platform_user_id: str) -> None:
        """See :meth:`LinksRepository.mark_used`."""
        lc = orm.link_codes
        self.conn.execute(
            update(lc)
            .where(lc.c.id == link_id)
            .values(used_at=at, used_by_platform=platform, used_by_platform_user_id=platform_user_id)
        )

    def was_asked(self, link_id: uuid.UUID, platform: str, platform_user_id: str, *, chat_id: str) -> bool:
        """See :meth:`LinksRepository.was_asked` (the events' ``(entity, entity_id)`` index)."""
        ev = orm.events
        found = self.conn.execute(
            select(ev.c.id)
            .where(
                ev.c.entity == "link_code",
                ev.c.entity_id == link_id,
                ev.c.name == "link_code.asked",
                ev.c.after["platform"].astext == platform,
                ev.c.after["platform_user_id"].astext == platform_user_id,
                ev.c.after["chat_id"].astext == chat_id,
            )
            .limit(1)
        ).first()
        return found is not None


_SECURITY = select(
    orm.users.c.id,
    orm.users.c.username,
    orm.users.c.password_hash,
    orm.users.c.is_admin,
    orm.users.c.totp_secret,
    orm.users.c.totp_pending_secret,
    orm.users.c.totp_last_step,
    orm.users.c.session_version,
)


class SqlAccounts(AccountsRepository):
    """Account security in PostgreSQL (``users``' two-factor columns, ``recovery_codes``,
    ``api_tokens``, ``password_reset_tokens``)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def _security(self, *where: ColumnElement[bool]) -> UserSecurity | None:
        row = self.conn.execute(_SECURITY.where(*where).with_for_update()).first()
        if row is None:
            return None
        return UserSecurity(
            id=row.id,
            username=row.username,
            password_hash=row.password_hash,
            is_admin=row.is_admin,
            totp_secret=row.totp_secret,
            totp_pending_secret=row.totp_pending_secret,
            totp_last_step=row.totp_last_step,
            session_version=row.session_version,
        )

    def security_of(self, user_id: uuid.UUID) -> UserSecurity | None:
        """See :meth:`AccountsRepository.security_of` (``SELECT .. FOR UPDATE``)."""
        return self._security(orm.users.c.id == user_id)

    def security_of_username(self, username: str) -> UserSecurity | None:
        """See :meth:`AccountsRepository.security_of_username` (``SELECT .. FOR UPDATE``)."""
        return self._security(orm.users.c.username == username)

    def set_totp(
        self,
        user_id: uuid.UUID,
        *,
        secret: str | None,
        pending: str | None,
        last_step: int | None,
        enabled_at: dt.datetime | None,
    ) -> None:
        """See :meth:`AccountsRepository.set_totp`."""
        self.conn.execute(
            update(orm.users)
            .where(orm.users.c.id == user_id)
            .values(
                totp_secret=secret,
                totp_pending_secret=pending,
                totp_last_step=last_step,
                totp_enabled_at=enabled_at,
            )
        )

    def set_totp_step(self, user_id: uuid.UUID, step: int) -> None:
        """See :meth:`AccountsRepository.set_totp_step`."""
        self.conn.execute(update(orm.users).where(orm.users.c.id == user_id).values(totp_last_step=step))

    def bump_session_version(self, user_id: uuid.UUID) -> int:
        """See :meth:`AccountsRepository.bump_session_version`."""
        u = orm.users
        found = self.conn.execute(
            update(u)
            .where(u.c.id == user_id)
            .values(session_version=u.c.session_version + 1)
            .returning(u.c.session_version)
        ).scalar_one()
        return int(found)

    def replace_recovery_codes(self, user_id: uuid.UUID, hashes: Sequence[str]) -> None:
        """See :meth:`AccountsRepository.replace_recovery_codes`."""
        rc = orm.recovery_codes
        self.conn.execute(delete(rc).where(rc.c.user_id == user_id))
        if hashes:
            self.conn.execute(
                insert(rc), [{"id": uuid7(), "user_id": user_id, "code_hash": h} for h in hashes]
            )

    def use_recovery_code(self, user_id: uuid.UUID, code_hash: str, at: dt.datetime) -> bool:
        """See :meth:`AccountsRepository.use_recovery_code` (one conditional update)."""
        rc = orm.recovery_codes
        found = self.conn.execute(
            update(rc)
            .where(rc.c.user_id == user_id, rc.c.code_hash == code_hash, rc.c.used_at.is_(None))
            .values(used_at=at)
            .returning(rc.c.id)
        ).first()
        return found is not None

    def recovery_codes_left(self, user_id: uuid.UUID) -> int:
        """See :meth:`AccountsRepository.recovery_codes_left`."""
        rc = orm.recovery_codes
        return int(
            self.conn.execute(
                select(func.count()).where(rc.c.user_id == user_id, rc.c.used_at.is_(None))
            ).scalar_one()
        )

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
        """See :meth:`AccountsRepository.add_api_token`."""
        self.conn.execute(
            insert(orm.api_tokens).values(
                id=token_id,
                user_id=user_id,
                name=name,
                token_hash=token_hash,
                prefix=prefix,
                scopes=list(scopes),
                created_at=created_at,
                expires_at=expires_at,
            )
        )

    def revoke_api_token(self, user_id: uuid.UUID, token_id: uuid.UUID, at: dt.datetime) -> bool:
        """See :meth:`AccountsRepository.revoke_api_token`."""
        t = orm.api_tokens
        found = self.conn.execute(
            update(t)
            .where(t.c.id == token_id, t.c.user_id == user_id)
            .values(revoked_at=func.coalesce(t.c.revoked_at, at))
            .returning(t.c.id)
        ).first()
        return found is not None

    def revoke_all_api_tokens(self, user_id: uuid.UUID, at: dt.datetime) -> int:
        """See :meth:`AccountsRepository.revoke_all_api_tokens`."""
        t = orm.api_tokens
        rows = self.conn.execute(
            update(t)
            .where(t.c.user_id == user_id, t.c.revoked_at.is_(None))
            .values(revoked_at=at)
            .returning(t.c.id)
        ).all()
        return len(rows)

    def add_reset_token(
        self,
        token_id: uuid.UUID,
        user_id: uuid.UUID,
        *,
        token_hash: str,
        created_by: uuid.UUID,
        expires_at: dt.datetime,
    ) -> None:
        """See :meth:`AccountsRepository.add_reset_token` (earlier unused ones are deleted)."""
        r = orm.password_reset_tokens
        self.conn.execute(delete(r).where(r.c.user_id == user_id, r.c.used_at.is_(None)))
        self.conn.execute(
            insert(r).values(
                id=token_id,
                user_id=user_id,
                token_hash=token_hash,
                created_by=created_by,
                expires_at=expires_at,
            )
        )

    def find_reset_token(self, token_hash: str) -> ResetToken | None:
        """See :meth:`AccountsRepository.find_reset_token` (``SELECT .. FOR UPDATE``)."""
        r = orm.password_reset_tokens
        row = self.conn.execute(
            select(r.c.id, r.c.user_id, r.c.expires_at, r.c.used_at)
            .where(r.c.token_hash == token_hash)
            .with_for_update()
        ).first()
        return None if row is None else ResetToken(row.id, row.user_id, row.expires_at, row.used_at)

    def mark_reset_used(self, token_id: uuid.UUID, at: dt.datetime) -> None:
        """See :meth:`AccountsRepository.mark_reset_used`."""
        r = orm.password_reset_tokens
        self.conn.execute(update(r).where(r.c.id == token_id).values(used_at=at))


def capture_row(claim: CaptureClaim) -> dict[str, Any]:
    """Return the ``captures`` row a claim inserts."""
    message, stored = claim.message, claim.message.stored
    return {
        "id": message.capture_id,
        "idempotency_key": message.idempotency_key,
        "context_id": claim.context_id,
        "author_id": claim.author_id,
        "edge_id": message.edge_id,
        "platform": message.platform,
        "chat_id": message.chat_id,
        "message_id": message.message_id,
        "media_type": message.media_type,
        "text": message.text,
        "text_truncated": message.text_truncated,
        "understanding": stored.get("understanding"),
        "language": claim.language,
        "intent": message.intent,
        "status": claim.status,
        "problem": claim.problem,
        "received_at": message.received_at,
        "media": stored.get("media"),
        "provenance": stored.get("provenance"),
        "receipt": stored.get("receipt"),
    }


class SqlCaptures(CapturesRepository):
    """Captures in PostgreSQL, claimed with ``INSERT .. ON CONFLICT (idempotency_key) DO NOTHING``.

    A concurrent delivery of the same capture waits on the unique index and then finds it taken.
    """

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

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
        """See :meth:`CapturesRepository.claim`."""
        row = capture_row(CaptureClaim(message, context_id, author_id, language, status, problem))
        return self.conn.execute(_CLAIM_CAPTURE, row).first() is not None

    def claim_many(self, claims: Sequence[CaptureClaim]) -> set[str]:
        """See :meth:`CapturesRepository.claim_many` (one multi-row ``INSERT .. ON CONFLICT DO
        NOTHING``, in idempotency-key order so that two batches never wait on each other in turn).

        Raises:
            ValueError: two claims have the same idempotency key.
        """
        rows = sorted((capture_row(c) for c in claims), key=lambda r: str(r["idempotency_key"]))
        if len({r["idempotency_key"] for r in rows}) != len(rows):
            raise ValueError("claim_many takes distinct idempotency keys")
        if not rows:
            return set()
        return {str(k) for k in self.conn.execute(_CLAIM_CAPTURES, rows).scalars()}

    def taken(self, idempotency_keys: Sequence[str]) -> set[str]:
        """See :meth:`CapturesRepository.taken` (one statement)."""
        keys = sorted(set(idempotency_keys))
        if not keys:
            return set()
        cap = orm.captures
        found = self.conn.execute(select(cap.c.idempotency_key).where(cap.c.idempotency_key.in_(keys)))
        return {str(k) for k in found.scalars()}

    def pending_confirmation(
        self, context_id: uuid.UUID, author_id: uuid.UUID, problem: str, since: dt.datetime
    ) -> PendingCapture | None:
        """See :meth:`CapturesRepository.pending_confirmation`."""
        cap = orm.captures
        row = self.conn.execute(
            select(cap.c.id, cap.c.received_at, cap.c.platform, cap.c.understanding)
            .where(
                cap.c.context_id == context_id,
                cap.c.author_id == author_id,
                cap.c.status == "needs_review",
                cap.c.problem == problem,
                cap.c.received_at > since,
            )
            .order_by(cap.c.received_at.desc())
            .limit(1)
            .with_for_update()
        ).first()
        if row is None:
            return None
        return PendingCapture(row.id, row.received_at, row.platform, row.understanding)

    def mark_recorded(self, capture_id: uuid.UUID) -> None:
        """See :meth:`CapturesRepository.mark_recorded`."""
        self.conn.execute(
            update(orm.captures)
            .where(orm.captures.c.id == capture_id)
            .values(status="recorded", problem=None)
        )

    def complete(
        self, capture_id: uuid.UUID, *, context_id: uuid.UUID, author_id: uuid.UUID, chat_id: str
    ) -> bool:
        """See :meth:`CapturesRepository.complete`."""
        cap = orm.captures
        done = self.conn.execute(
            update(cap)
            .where(
                cap.c.id == capture_id,
                cap.c.context_id == context_id,
                cap.c.author_id == author_id,
                cap.c.chat_id == chat_id,
                cap.c.status == "needs_review",
            )
            .values(status="recorded", problem=None)
            .returning(cap.c.id)
        ).first()
        return done is not None

    def by_key(self, idempotency_key: str) -> CaptureRef | None:
        """See :meth:`CapturesRepository.by_key`."""
        cap = orm.captures
        row = self.conn.execute(
            select(cap.c.id, cap.c.context_id, cap.c.received_at, cap.c.status, cap.c.author_id).where(
                cap.c.idempotency_key == idempotency_key
            )
        ).first()
        if row is None:
            return None
        return CaptureRef(row.id, row.context_id, row.received_at, row.status, row.author_id)


def _transaction(row: Row[Any]) -> Transaction:
    return Transaction(
        id=row.id,
        context_id=row.context_id,
        kind=row.kind,
        money=Money(Decimal(row.amount), row.currency),
        occurred_on=row.occurred_on,
        merchant=row.merchant,
        description=row.description,
        payment_method=row.payment_method,
        installments=row.installments,
        category=row.category,
        source_channel=row.source_channel,
        capture_id=row.capture_id,
        author_id=row.author_id,
        confidence=row.confidence,
        status=TransactionStatus(row.status),
        paid_by=row.paid_by,
        base_amount=None if row.base_amount is None else Decimal(row.base_amount),
        base_currency=row.base_currency,
        fx_rate=None if row.fx_rate is None else Decimal(row.fx_rate),
        fx_date=row.fx_date,
        fx_source=row.fx_source,
        fee_of=row.fee_of,
        subcategory_id=row.subcategory_id,
    )


def _shares() -> Subquery:
    """The ``transactions`` rows as the sums BY CATEGORY see them: a split transaction once per
    split line, with the line's ``category``, ``amount`` and ``base_amount`` (and the
    transaction's other columns); a transaction without lines once, as it is."""
    tx, sp = orm.transactions, orm.transaction_splits
    split = sp.c.transaction_id.is_not(None)
    own = {"category", "amount", "base_amount"}
    return (
        select(
            *[column for column in tx.c if column.name not in own],
            case((split, sp.c.category), else_=tx.c.category).label("category"),
            case((split, sp.c.amount), else_=tx.c.amount).label("amount"),
            case((split, sp.c.base_amount), else_=tx.c.base_amount).label("base_amount"),
        )
        .select_from(tx.outerjoin(sp, sp.c.transaction_id == tx.c.id))
        .subquery("shares")
    )


def _valued(
    context_id: uuid.UUID, tx: FromClause = orm.transactions
) -> tuple[ColumnElement[Any], ColumnElement[Any], ColumnElement[Any]]:
    """The ``currency``, ``unvalued`` and ``total`` columns of a sum over base amounts (of ``tx``:
    ``transactions`` or :func:`_shares`).

    A transaction with a ``base_amount`` counts by it in its ``base_currency``; one without, in
    the context's base currency, by its ``amount`` (a row written before valuation); any other is
    ``unvalued`` (no FX rate) and summed apart, in its own currency."""
    base = select(orm.contexts.c.base_currency).where(orm.contexts.c.id == context_id).scalar_subquery()
    has_base = tx.c.base_amount.is_not(None)
    currency = case((has_base, tx.c.base_currency), else_=tx.c.currency).label("currency")
    unvalued = and_(~has_base, tx.c.currency != base).label("unvalued")
    total = func.sum(func.coalesce(tx.c.base_amount, tx.c.amount)).label("total")
    return currency, unvalued, total


#: The :class:`Transaction` of a ``transactions`` row, without receipt lines (for other repositories).
transaction_of_row = _transaction


def _question_filter(
    context_id: uuid.UUID,
    kind: str | None,
    date_from: dt.date | None,
    date_to: dt.date | None,
    categories: Sequence[str],
    merchant: str | None,
    tx: FromClause = orm.transactions,
) -> list[ColumnElement[bool]]:
    """The conditions a question puts on the context's recorded transactions (``None`` or empty:
    no condition on that field; ``merchant``: a case-insensitive part of the merchant; ``tx``:
    ``transactions`` or :func:`_shares`)."""
    conditions = [tx.c.context_id == context_id, tx.c.status == TransactionStatus.RECORDED.value]
    if kind is not None:
        conditions.append(tx.c.kind == kind)
    if date_from is not None:
        conditions.append(tx.c.occurred_on >= date_from)
    if date_to is not None:
        conditions.append(tx.c.occurred_on <= date_to)
    if len(categories) == 1:
        conditions.append(tx.c.category == categories[0])
    elif categories:
        conditions.append(tx.c.category.in_(list(categories)))
    if merchant:
        conditions.append(func.lower(tx.c.merchant).contains(merchant.lower(), autoescape=True))
    return conditions


class SqlTransactions(TransactionsRepository):
    """Transactions and receipt lines in PostgreSQL."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, transactions: Sequence[Transaction]) -> None:
        """See :meth:`TransactionsRepository.add`: the rows in one statement (``COPY`` from
        :data:`~financy.core.adapters.copying.COPY_FROM_ROWS` rows on, as a statement import
        writes them; else one multi-row ``INSERT``), then the items likewise."""
        if not transactions:
            return
        if len(transactions) >= COPY_FROM_ROWS and can_copy(self.conn):
            columns = list(transactions[0].fields())
            copy_rows(
                self.conn, "transactions", columns, (tuple(tx.fields().values()) for tx in transactions)
            )
        else:
            self.conn.execute(_INSERT_TRANSACTIONS.values([tx.fields() for tx in transactions]))
        items = [
            {
                "transaction_id": tx.id,
                "position": position,
                "context_id": tx.context_id,
                "description": item.description,
                "quantity": item.quantity,
                "unit_price": item.unit_price,
                "line_total": item.line_total,
            }
            for tx in transactions
            for position, item in enumerate(tx.items, start=1)
        ]
        if items:
            self.conn.execute(_INSERT_ITEMS, items)

    def _recorded_for_update(self, *where: ColumnElement[bool], newest: bool = False) -> Transaction | None:
        """The recorded transaction matching ``where``, locked (``newest``: the latest of several), or None."""
        tx = orm.transactions
        query = select(tx).where(*where, tx.c.status == TransactionStatus.RECORDED.value)
        if newest:
            query = query.order_by(tx.c.created_at.desc(), tx.c.id.desc()).limit(1)
        row = self.conn.execute(query.with_for_update()).first()
        return None if row is None else _transaction(row)

    def _set(self, transaction_id: uuid.UUID, **values: object) -> None:
        """Overwrite ``values`` (column: value) of one transaction and stamp its ``updated_at``."""
        tx = orm.transactions
        self.conn.execute(update(tx).where(tx.c.id == transaction_id).values(**values, updated_at=func.now()))

    def last_recorded(self, context_id: uuid.UUID, author_id: uuid.UUID) -> Transaction | None:
        """See :meth:`TransactionsRepository.last_recorded`."""
        tx = orm.transactions
        return self._recorded_for_update(
            tx.c.context_id == context_id, tx.c.author_id == author_id, newest=True
        )

    def recorded(self, context_id: uuid.UUID, transaction_id: uuid.UUID) -> Transaction | None:
        """See :meth:`TransactionsRepository.recorded`."""
        tx = orm.transactions
        return self._recorded_for_update(tx.c.id == transaction_id, tx.c.context_id == context_id)

    def last_unpaid(self, context_id: uuid.UUID) -> Transaction | None:
        """See :meth:`TransactionsRepository.last_unpaid`."""
        tx = orm.transactions
        return self._recorded_for_update(tx.c.context_id == context_id, tx.c.paid_by.is_(None), newest=True)

    def set_paid_by(self, transaction_id: uuid.UUID, user_id: uuid.UUID) -> None:
        """See :meth:`TransactionsRepository.set_paid_by`."""
        self._set(transaction_id, paid_by=user_id)

    def reverse(self, transaction_id: uuid.UUID) -> None:
        """See :meth:`TransactionsRepository.reverse`."""
        self._set(transaction_id, status=TransactionStatus.REVERSED.value)

    def set_category(self, transaction_id: uuid.UUID, category: str) -> None:
        """See :meth:`TransactionsRepository.set_category`."""
        self._set(transaction_id, category=category)

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
        """See :meth:`TransactionsRepository.totals`."""
        wanted = (category,) if category else categories
        # By category, a split transaction counts each line under its own category.
        rows_of = _shares() if wanted else orm.transactions
        conditions = _question_filter(context_id, kind, date_from, date_to, wanted, merchant, rows_of)
        currency, unvalued, total = _valued(context_id, rows_of)
        rows = self.conn.execute(
            select(currency, unvalued, total, func.count().label("n"))
            .select_from(rows_of)
            .where(*conditions)
            .group_by(text("1"), text("2"))
            .order_by(text("2"), total.desc(), text("1"))
        ).all()
        return [Totals(r.currency, Decimal(r.total), int(r.n), bool(r.unvalued)) for r in rows]

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
        """See :meth:`TransactionsRepository.recent_amounts`."""
        tx = orm.transactions
        conditions = [
            tx.c.context_id == context_id,
            tx.c.status == TransactionStatus.RECORDED.value,
            tx.c.kind == kind,
            tx.c.currency == currency,
        ]
        if merchant:
            conditions.append(func.lower(tx.c.merchant) == merchant.lower())
        elif category:
            conditions.append(tx.c.category == category)
        else:
            return []
        rows = self.conn.execute(
            select(tx.c.amount)
            .where(*conditions)
            .order_by(tx.c.occurred_on.desc(), tx.c.created_at.desc(), tx.c.id.desc())
            .limit(limit)
        ).all()
        return [Decimal(r.amount) for r in rows]

    def recent_amounts_many(self, queries: Sequence[AmountsQuery]) -> dict[AmountsQuery, list[Decimal]]:
        """See :meth:`TransactionsRepository.recent_amounts_many` (one statement per distinct limit)."""
        rows, _ = self.recent_amount_rows(queries)
        return {q: [r.amount for r in found] for q, found in rows.items()}

    def recent_amount_rows(
        self, queries: Sequence[AmountsQuery]
    ) -> tuple[dict[AmountsQuery, list[AmountRow]], dt.datetime | None]:
        """:meth:`recent_amounts_many` with each amount's order key, and the transaction's
        ``now()`` (the ``created_at`` its own inserts get; ``None`` when nothing was asked or found)."""
        out: dict[AmountsQuery, list[AmountRow]] = {q: [] for q in queries}
        now: dt.datetime | None = None
        by_limit: dict[int, list[AmountsQuery]] = {}
        for q in out:
            if q.merchant or q.category:
                by_limit.setdefault(q.limit, []).append(q)
        for limit, asked in by_limit.items():
            merchants = [q.merchant.lower() if q.merchant else None for q in asked]
            result = self.conn.execute(
                _SELECT_RECENT_AMOUNTS_MANY,
                {
                    "context_ids": [q.context_id for q in asked],
                    "kinds": [q.kind for q in asked],
                    "currencies": [q.currency for q in asked],
                    "merchants": merchants,
                    "categories": [None if m else q.category for q, m in zip(asked, merchants, strict=True)],
                    "lim": limit,
                },
            )
            for r in result:
                now = r.now
                out[asked[r.n - 1]].append(AmountRow(Decimal(r.amount), r.occurred_on, r.created_at, r.id))
        return out, now

    def summary(
        self, context_id: uuid.UUID, *, date_from: dt.date | None, date_to: dt.date | None
    ) -> list[SummaryLine]:
        """See :meth:`TransactionsRepository.summary`."""
        tx = _shares()  # by category: a split transaction counts each line under its own
        currency, unvalued, total = _valued(context_id, tx)
        rows = self.conn.execute(
            select(tx.c.kind, tx.c.category, currency, unvalued, total, func.count().label("n"))
            .where(*_question_filter(context_id, None, date_from, date_to, (), None, tx))
            .group_by(text("1"), text("2"), text("3"), text("4"))
            .order_by(total.desc(), tx.c.kind, tx.c.category, text("3"), text("4"))
        ).all()
        return [
            SummaryLine(r.kind, r.category, r.currency, Decimal(r.total), int(r.n), bool(r.unvalued))
            for r in rows
        ]

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
        """See :meth:`TransactionsRepository.recent` (the (context, date, id) index, newest first)."""
        tx = orm.transactions
        rows = self.conn.execute(
            select(tx)
            .where(*_question_filter(context_id, kind, date_from, date_to, categories, merchant))
            .order_by(tx.c.occurred_on.desc(), tx.c.id.desc())
            .limit(limit)
        ).all()
        return [_transaction(row) for row in rows]

    def of_capture(self, capture_id: uuid.UUID, context_id: uuid.UUID) -> list[Transaction]:
        """See :meth:`TransactionsRepository.of_capture`."""
        tx = orm.transactions
        rows = self.conn.execute(
            select(tx)
            .where(
                tx.c.capture_id == capture_id,
                tx.c.context_id == context_id,
                tx.c.status == TransactionStatus.RECORDED.value,
            )
            .order_by(tx.c.created_at, tx.c.id)
            .with_for_update()
        ).all()
        return [_transaction(row) for row in rows]

    def fees_of(self, context_id: uuid.UUID, transaction_id: uuid.UUID) -> list[Transaction]:
        """See :meth:`TransactionsRepository.fees_of`."""
        tx = orm.transactions
        rows = self.conn.execute(
            select(tx)
            .where(
                tx.c.fee_of == transaction_id,
                tx.c.context_id == context_id,
                tx.c.status == TransactionStatus.RECORDED.value,
            )
            .order_by(tx.c.id)
            .with_for_update()
        ).all()
        return [_transaction(row) for row in rows]

    def unvalued(self, limit: int) -> list[tuple[Transaction, str]]:
        """See :meth:`TransactionsRepository.unvalued`."""
        tx = orm.transactions
        rows = self.conn.execute(
            select(tx, orm.contexts.c.base_currency.label("context_base_currency"))
            .join(orm.contexts, orm.contexts.c.id == tx.c.context_id)
            .where(tx.c.base_amount.is_(None), tx.c.status == TransactionStatus.RECORDED.value)
            .order_by(tx.c.occurred_on, tx.c.id)
            .limit(limit)
            .with_for_update(of=tx, skip_locked=True)
        ).all()
        return [(_transaction(row), str(row.context_base_currency)) for row in rows]

    def amend(self, transaction: Transaction) -> None:
        """See :meth:`TransactionsRepository.amend`."""
        tx = orm.transactions
        fields = transaction.fields()
        self.conn.execute(
            update(tx)
            .where(tx.c.id == transaction.id)
            .values({name: fields[name] for name in _AMENDABLE} | {"updated_at": func.now()})
        )


class SqlFxRates(FxRatesRepository):
    """Reference FX rates (``fx_rates``) in PostgreSQL."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def rates_between(
        self, source: str, currencies: Sequence[str], date_from: dt.date, date_to: dt.date
    ) -> list[FxRate]:
        """See :meth:`FxRatesRepository.rates_between` (the primary key serves it)."""
        fx = orm.fx_rates
        rows = self.conn.execute(
            select(fx.c.source, fx.c.currency, fx.c.rate_date, fx.c.rate)
            .where(
                fx.c.source == source,
                fx.c.currency.in_(list(currencies)),
                fx.c.rate_date >= date_from,
                fx.c.rate_date <= date_to,
            )
            .order_by(fx.c.rate_date.desc(), fx.c.currency)
        ).all()
        return [FxRate(r.source, r.currency, r.rate_date, Decimal(r.rate)) for r in rows]


class SqlCategories(CategoriesRepository):
    """Merchant memory and labelled examples in PostgreSQL."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def remembered(self, context_id: uuid.UUID, merchant_keys: Sequence[str]) -> dict[str, str]:
        """See :meth:`CategoriesRepository.remembered`."""
        keys = sorted(set(merchant_keys) - {""})
        if not keys:
            return {}
        mc = orm.merchant_categories
        rows = self.conn.execute(
            select(mc.c.merchant_key, mc.c.category).where(
                mc.c.context_id == context_id, mc.c.merchant_key.in_(keys)
            )
        ).all()
        return {r.merchant_key: r.category for r in rows}

    def remembered_many(self, wanted: Mapping[uuid.UUID, Sequence[str]]) -> dict[uuid.UUID, dict[str, str]]:
        """See :meth:`CategoriesRepository.remembered_many` (one statement)."""
        out: dict[uuid.UUID, dict[str, str]] = {context_id: {} for context_id in wanted}
        pairs = sorted({(c, k) for c, keys in wanted.items() for k in keys if k})
        if not pairs:
            return out
        mc = orm.merchant_categories
        rows = self.conn.execute(
            select(mc.c.context_id, mc.c.merchant_key, mc.c.category).where(
                tuple_(mc.c.context_id, mc.c.merchant_key).in_(pairs)
            )
        ).all()
        for r in rows:
            out[r.context_id][r.merchant_key] = r.category
        return out

    def remember(
        self, context_id: uuid.UUID, merchant_key: str, category: str, transaction_id: uuid.UUID | None
    ) -> None:
        """See :meth:`CategoriesRepository.remember`."""
        stmt = pg_insert(orm.merchant_categories).values(
            context_id=context_id, merchant_key=merchant_key, category=category, learned_from=transaction_id
        )
        self.conn.execute(
            stmt.on_conflict_do_update(
                index_elements=[orm.merchant_categories.c.context_id, orm.merchant_categories.c.merchant_key],
                set_={"category": category, "learned_from": transaction_id, "updated_at": func.now()},
            )
        )

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
        """See :meth:`CategoriesRepository.add_example`."""
        self.conn.execute(
            orm.category_examples.insert().values(
                context_id=context_id,
                text=text[:500],
                category=category,
                language=language,
                transaction_id=transaction_id,
                author_id=author_id,
            )
        )


def _budget(row: Row[Any]) -> Budget:
    scope: Scope = row.scope
    return Budget(
        id=row.id,
        context_id=row.context_id,
        scope=scope,
        target=row.target,
        categories=tuple(row.categories or ()),
        amount=Decimal(row.amount),
        currency=row.currency,
        rollover=bool(row.rollover),
        starts_on=row.starts_on,
    )


_SCOPE_ORDER = case({"ledger": 0, "group": 1}, value=orm.budgets.c.scope, else_=2)


class SqlBudgets(BudgetsRepository):
    """Budgets and budget alerts in PostgreSQL; an alert is claimed with ``INSERT .. ON CONFLICT
    DO NOTHING`` on its (budget, month, threshold) key, so concurrent crossings alert once."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def of_context(self, context_id: uuid.UUID) -> list[Budget]:
        """See :meth:`BudgetsRepository.of_context`."""
        b = orm.budgets
        rows = self.conn.execute(
            select(b).where(b.c.context_id == context_id).order_by(_SCOPE_ORDER, b.c.target)
        ).all()
        return [_budget(r) for r in rows]

    def of_contexts(self, context_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[Budget]]:
        """See :meth:`BudgetsRepository.of_contexts` (one statement)."""
        out: dict[uuid.UUID, list[Budget]] = {context_id: [] for context_id in context_ids}
        if not out:
            return out
        b = orm.budgets
        rows = self.conn.execute(
            select(b).where(b.c.context_id.in_(list(out))).order_by(_SCOPE_ORDER, b.c.target)
        ).all()
        for r in rows:
            out[r.context_id].append(_budget(r))
        return out

    def get(self, context_id: uuid.UUID, budget_id: uuid.UUID) -> Budget | None:
        """See :meth:`BudgetsRepository.get`."""
        b = orm.budgets
        row = self.conn.execute(
            select(b).where(b.c.id == budget_id, b.c.context_id == context_id).with_for_update()
        ).first()
        return _budget(row) if row is not None else None

    def find(self, context_id: uuid.UUID, scope: str, target: str) -> Budget | None:
        """See :meth:`BudgetsRepository.find`."""
        b = orm.budgets
        row = self.conn.execute(
            select(b)
            .where(b.c.context_id == context_id, b.c.scope == scope, b.c.target == target)
            .with_for_update()
        ).first()
        return _budget(row) if row is not None else None

    def add(self, budget: Budget, created_by: uuid.UUID | None) -> None:
        """See :meth:`BudgetsRepository.add`."""
        self.conn.execute(
            insert(orm.budgets).values(
                id=budget.id,
                context_id=budget.context_id,
                scope=budget.scope,
                target=budget.target,
                categories=list(budget.categories),
                amount=budget.amount,
                currency=budget.currency,
                rollover=budget.rollover,
                starts_on=budget.starts_on,
                created_by=created_by,
            )
        )

    def update(self, budget: Budget) -> None:
        """See :meth:`BudgetsRepository.update`."""
        b = orm.budgets
        self.conn.execute(
            update(b)
            .where(b.c.id == budget.id)
            .values(
                scope=budget.scope,
                target=budget.target,
                categories=list(budget.categories),
                amount=budget.amount,
                currency=budget.currency,
                rollover=budget.rollover,
                starts_on=budget.starts_on,
                updated_at=func.now(),
            )
        )

    def delete(self, budget_id: uuid.UUID) -> None:
        """See :meth:`BudgetsRepository.delete`."""
        self.conn.execute(delete(orm.budgets).where(orm.budgets.c.id == budget_id))

    def spent(
        self, context_id: uuid.UUID, *, date_from: dt.date, date_to: dt.date, currency: str
    ) -> list[Spent]:
        """See :meth:`BudgetsRepository.spent`: :meth:`_spent_dated`, with card purchases that have
        postings counted by the months their bills are due in instead of their purchase date
        (:func:`~financy.core.adapters.cards_repository.card_spent_shift`)."""
        dated = self._spent_dated(context_id, date_from=date_from, date_to=date_to, currency=currency)
        shift = card_spent_shift(
            self.conn, context_id, date_from=date_from, date_to=date_to, currency=currency
        )
        return merge_spent(dated, shift) if shift else dated

    def _spent_dated(
        self, context_id: uuid.UUID, *, date_from: dt.date, date_to: dt.date, currency: str
    ) -> list[Spent]:
        """The expenses dated in the range (a split transaction: each line in its category).

        When the range holds two whole calendar months or more (a rolling budget's carry), those
        months are read from the ``monthly_totals`` rollup (one index range instead of every row);
        the partial months at either end from the transactions. The rollup counts a split
        transaction once (on its first line), the transactions once per line: ``n`` of a carry may
        differ by that, ``total`` and ``unvalued`` do not. (On TimescaleDB the rollup is a continuous
        aggregate: an edit to an old month shows after its refresh.)"""
        first_full = date_from if date_from.day == 1 else _next_month(date_from)
        after_full = (
            _next_month(date_to)
            if _next_month(date_to) - dt.timedelta(days=1) == date_to
            else (date_to.replace(day=1))
        )
        if after_full <= _next_month(first_full):
            # At most one whole month (a budget's own month, whose count is shown per line): rows.
            return self._spent_rows(context_id, date_from=date_from, date_to=date_to, currency=currency)
        parts = [self._spent_months(context_id, first_full, after_full, currency)]
        if date_from < first_full:
            parts.append(
                self._spent_rows(
                    context_id,
                    date_from=date_from,
                    date_to=first_full - dt.timedelta(days=1),
                    currency=currency,
                )
            )
        if after_full <= date_to:
            parts.append(
                self._spent_rows(context_id, date_from=after_full, date_to=date_to, currency=currency)
            )
        merged: dict[str | None, Spent] = {}
        for part in parts:
            for row in part:
                had = merged.get(row.category)
                merged[row.category] = (
                    row
                    if had is None
                    else Spent(
                        row.category,
                        had.total + row.total,
                        had.count + row.count,
                        had.unvalued + row.unvalued,
                    )
                )
        return list(merged.values())

    def _spent_months(
        self, context_id: uuid.UUID, first: dt.date, after: dt.date, currency: str
    ) -> list[Spent]:
        """Expenses by category of the whole months ``first`` (a 1st) up to ``after`` (excluded), from
        the rollup: priced rows in ``currency`` are spent, the others unvalued."""
        mt = orm.monthly_totals
        valued = and_(mt.c.priced.is_(True), mt.c.currency == currency)
        rows = self.conn.execute(
            select(
                mt.c.category,
                func.coalesce(func.sum(case((valued, mt.c.total))), 0).label("total"),
                func.coalesce(func.sum(case((valued, mt.c.n))), 0).label("n"),
                func.coalesce(func.sum(case((~valued, mt.c.n))), 0).label("unvalued"),
            )
            .where(
                mt.c.context_id == context_id,
                mt.c.kind == "expense",
                mt.c.month >= first,
                mt.c.month < after,
            )
            .group_by(mt.c.category)
        ).all()
        return [Spent(r.category or None, Decimal(r.total), int(r.n), int(r.unvalued)) for r in rows]

    def _spent_rows(
        self, context_id: uuid.UUID, *, date_from: dt.date, date_to: dt.date, currency: str
    ) -> list[Spent]:
        """Expenses by category from the transactions themselves (split lines where split)."""
        tx = _shares()
        # Valued: a base amount in the budget's currency (never NULL: a missing currency is unvalued).
        valued = and_(tx.c.base_amount.is_not(None), func.coalesce(tx.c.base_currency == currency, False))
        rows = self.conn.execute(
            select(
                tx.c.category,
                func.coalesce(func.sum(case((valued, tx.c.base_amount))), 0).label("total"),
                func.count().filter(valued).label("n"),
                func.count().filter(~valued).label("unvalued"),
            )
            .where(
                tx.c.context_id == context_id,
                tx.c.status == TransactionStatus.RECORDED.value,
                tx.c.kind == "expense",
                tx.c.occurred_on >= date_from,
                tx.c.occurred_on <= date_to,
            )
            .group_by(tx.c.category)
        ).all()
        return [Spent(r.category, Decimal(r.total), int(r.n), int(r.unvalued)) for r in rows]

    def claim_alert(
        self, budget_id: uuid.UUID, month: dt.date, threshold: int, capture_id: uuid.UUID | None
    ) -> bool:
        """See :meth:`BudgetsRepository.claim_alert`."""
        ba = orm.budget_alerts
        row = self.conn.execute(
            pg_insert(ba)
            .values(budget_id=budget_id, month=month, threshold=threshold, capture_id=capture_id)
            .on_conflict_do_nothing(index_elements=[ba.c.budget_id, ba.c.month, ba.c.threshold])
            .returning(ba.c.budget_id)
        ).first()
        return row is not None

    def clear_alerts(self, budget_id: uuid.UUID, month: dt.date) -> None:
        """See :meth:`BudgetsRepository.clear_alerts`."""
        ba = orm.budget_alerts
        self.conn.execute(delete(ba).where(ba.c.budget_id == budget_id, ba.c.month == month))

    def alert_chats(self, context_id: uuid.UUID) -> list[AlertChat]:
        """See :meth:`BudgetsRepository.alert_chats`."""
        cb = orm.chat_bindings
        rows = self.conn.execute(
            select(cb.c.platform, cb.c.chat_id, cb.c.edge_id, cb.c.chat_type)
            .where(cb.c.context_id == context_id, cb.c.active.is_(True))
            .order_by(cb.c.created_at, cb.c.id)
        ).all()
        return [AlertChat(r.platform, r.chat_id, r.edge_id, r.chat_type) for r in rows]


def _next_month(day: dt.date) -> dt.date:
    """The first day of the month after ``day``'s."""
    return (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)

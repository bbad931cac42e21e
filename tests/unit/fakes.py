"""An in-memory unit of work for driving the message bus without a database.

It keeps the same promises as the SQLAlchemy one where handlers rely on them: a capture's
idempotency key is claimed once, nothing is visible until commit, and events and outbox
messages are committed together with the state.
"""

from __future__ import annotations

import copy
import datetime as dt
import unicodedata
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from financy.core.domain.budgets import Budget, Spent
from financy.core.domain.cards import Card
from financy.core.domain.commands import ChatMessage
from financy.core.domain.editing import SplitLine, Subcategory
from financy.core.domain.errors import UsernameTakenError
from financy.core.domain.events import Event
from financy.core.domain.model import LedgerContext, Role, Transaction, TransactionStatus
from financy.core.service.cards_port import BillLine, CardsRepository, PostingRow
from financy.core.service.search import SearchBackend, SearchHit, SearchPage, SearchQuery
from financy.core.service.unit_of_work import (
    AbstractUnitOfWork,
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
    EditsRepository,
    FxRate,
    FxRatesRepository,
    Invitation,
    LinkCode,
    LinksRepository,
    MemberRow,
    MembersRepository,
    PendingCapture,
    ResetToken,
    SenderScope,
    SummaryLine,
    Totals,
    TransactionsRepository,
    UserSecurity,
    UsersRepository,
)
from tests.unit.fake_statements import FakeStatements


@dataclass
class Store:
    """What a fake database holds (copied on begin, swapped in on commit)."""

    contexts: dict[uuid.UUID, LedgerContext] = field(default_factory=dict)
    context_created: dict[uuid.UUID, int] = field(default_factory=dict)
    context_owner: dict[uuid.UUID, uuid.UUID | None] = field(default_factory=dict)
    members: dict[tuple[uuid.UUID, uuid.UUID], Role] = field(default_factory=dict)
    identities: dict[tuple[str, str], uuid.UUID] = field(default_factory=dict)
    identity_ids: dict[tuple[str, str], uuid.UUID] = field(default_factory=dict)
    link_codes: dict[str, LinkCode] = field(default_factory=dict)
    bindings: dict[tuple[str, str], uuid.UUID] = field(default_factory=dict)
    #: Per binding: ``{"id", "chat_type", "active", "title"}``.
    binding_meta: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    users: dict[uuid.UUID, dict[str, Any]] = field(default_factory=dict)
    captures: dict[str, dict[str, Any]] = field(default_factory=dict)
    transactions: list[Transaction] = field(default_factory=list)
    merchants: dict[tuple[uuid.UUID, str], str] = field(default_factory=dict)
    examples: list[dict[str, Any]] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    outbox: list[tuple[int, str, str]] = field(default_factory=list)
    published: set[int] = field(default_factory=set)
    #: When contexts, chat bindings and transactions were made, by id.
    created_at: dict[uuid.UUID, dt.datetime] = field(default_factory=dict)
    #: ``fx_rates``: ``{(source, currency, rate_date): rate}`` (units per 1 EUR for the ECB).
    fx_rates: dict[tuple[str, str, dt.date], Decimal] = field(default_factory=dict)
    #: Split lines by transaction id; sub-categories by id; ledger names by (context, slug).
    splits: dict[uuid.UUID, list[SplitLine]] = field(default_factory=dict)
    subcategories: dict[uuid.UUID, Subcategory] = field(default_factory=dict)
    category_names: dict[tuple[uuid.UUID, str], str] = field(default_factory=dict)
    budgets: dict[uuid.UUID, Budget] = field(default_factory=dict)
    #: ``(budget_id, month, threshold)`` of every alert sent.
    budget_alerts: set[tuple[uuid.UUID, dt.date, int]] = field(default_factory=set)
    #: When each archived context was archived.
    archived: dict[uuid.UUID, dt.datetime] = field(default_factory=dict)
    #: Invitations by the sha256 of their code.
    invitations: dict[str, Invitation] = field(default_factory=dict)
    #: When each membership was made (``(context_id, user_id)``), in order.
    joined: dict[tuple[uuid.UUID, uuid.UUID], int] = field(default_factory=dict)
    #: Recovery codes by sha256: ``{"user_id", "used_at"}``.
    recovery_codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: API tokens by id: the ``api_tokens`` row's fields.
    api_tokens: dict[uuid.UUID, dict[str, Any]] = field(default_factory=dict)
    #: Password reset tokens by sha256.
    reset_tokens: dict[str, ResetToken] = field(default_factory=dict)
    #: Statement imports by id, and their lines by import id (see ``tests/unit/fake_statements.py``).
    statement_imports: dict[uuid.UUID, Any] = field(default_factory=dict)
    statement_lines: dict[uuid.UUID, list[Any]] = field(default_factory=dict)
    #: Credit cards by id, and the postings of card purchases in the order written.
    cards: dict[uuid.UUID, Card] = field(default_factory=dict)
    postings: list[PostingRow] = field(default_factory=list)


class FakeContexts(ContextsRepository):
    def __init__(self, store: Store) -> None:
        self.s = store

    def known_sender(self, platform: str, chat_id: str, platform_user_id: str) -> SenderScope | None:
        user = self.s.identities.get((platform, platform_user_id))
        context_id = self.s.bindings.get((platform, chat_id))
        if user is None or context_id is None:
            return None
        remembers = any(c == context_id for c, _ in self.s.merchants)
        meta = self.s.binding_meta.get((platform, chat_id), {})
        return SenderScope(
            user,
            self.s.contexts[context_id],
            self.s.members.get((context_id, user)),
            remembers,
            meta.get("chat_type", "private"),
            meta.get("active", True),
        )

    def known_senders(self, keys: Sequence[tuple[str, str, str]]) -> dict[tuple[str, str, str], SenderScope]:
        found = {key: self.known_sender(*key) for key in keys}
        return {key: scope for key, scope in found.items() if scope is not None}

    def user_of_identity(self, platform: str, platform_user_id: str) -> uuid.UUID | None:
        return self.s.identities.get((platform, platform_user_id))

    def bound_context(self, platform: str, chat_id: str) -> tuple[LedgerContext, bool] | None:
        context_id = self.s.bindings.get((platform, chat_id))
        if context_id is None:
            return None
        return self.s.contexts[context_id], any(c == context_id for c, _ in self.s.merchants)

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
        assert (platform, chat_id) not in self.s.bindings
        assert context_id in self.s.contexts
        self.s.bindings[(platform, chat_id)] = context_id
        self.s.binding_meta[(platform, chat_id)] = {
            "id": binding_id,
            "chat_type": chat_type,
            "active": True,
            "title": title,
            "edge_id": edge_id,
        }
        self.s.created_at[binding_id] = dt.datetime.now(dt.UTC)

    def binding(self, platform: str, chat_id: str) -> ChatBinding | None:
        context_id = self.s.bindings.get((platform, chat_id))
        if context_id is None:
            return None
        meta = self.s.binding_meta.get((platform, chat_id)) or {
            "id": uuid.uuid5(uuid.NAMESPACE_URL, f"{platform}:{chat_id}"),
            "chat_type": "private",
            "active": True,
            "title": None,
        }
        self.s.binding_meta[(platform, chat_id)] = meta
        return ChatBinding(
            id=meta["id"],
            platform=platform,
            chat_id=chat_id,
            context=self.s.contexts[context_id],
            remembers_merchants=any(c == context_id for c, _ in self.s.merchants),
            chat_type=meta["chat_type"],
            active=meta["active"],
            title=meta["title"],
        )

    def binding_origin(self, binding_id: uuid.UUID) -> BindingOrigin | None:
        key = next((k for k, m in self.s.binding_meta.items() if m["id"] == binding_id), None)
        if key is None:
            return None
        context_id = self.s.bindings[key]
        long_ago = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)  # made outside the fakes: old
        written = [
            self.s.created_at.get(tx.id, long_ago)
            for tx in self.s.transactions
            if tx.context_id == context_id
        ]
        return BindingOrigin(
            self.s.created_at.get(binding_id, long_ago),
            self.s.created_at.get(context_id, long_ago),
            min(written, default=None),
        )

    def _key_of(self, binding_id: uuid.UUID) -> tuple[str, str]:
        return next(k for k, m in self.s.binding_meta.items() if m["id"] == binding_id)

    def rebind(self, binding_id: uuid.UUID, context_id: uuid.UUID) -> None:
        assert context_id in self.s.contexts
        self.s.bindings[self._key_of(binding_id)] = context_id

    def set_binding_active(self, binding_id: uuid.UUID, active: bool, *, title: str | None = None) -> None:
        meta = self.s.binding_meta[self._key_of(binding_id)]
        meta["active"] = active
        if title is not None:
            meta["title"] = title

    def has_owner(self, context_id: uuid.UUID) -> bool:
        return any(c == context_id and r is Role.OWNER for (c, _), r in self.s.members.items())

    def memberships(self, user_id: uuid.UUID) -> list[tuple[LedgerContext, Role]]:
        return [(self.s.contexts[c], r) for (c, u), r in self.s.members.items() if u == user_id]

    def add(self, context: LedgerContext, created_by: uuid.UUID | None) -> None:
        self.s.contexts[context.id] = context
        self.s.context_created[context.id] = len(self.s.context_created)
        self.s.created_at[context.id] = dt.datetime.now(dt.UTC)
        self.s.context_owner[context.id] = created_by

    def add_member(self, context_id: uuid.UUID, user_id: uuid.UUID, role: Role) -> None:
        self.s.members[(context_id, user_id)] = role
        self.s.joined.setdefault((context_id, user_id), len(self.s.joined))

    def get(self, context_id: uuid.UUID) -> LedgerContext | None:
        return self.s.contexts.get(context_id)

    def personal_context_of(self, user_id: uuid.UUID) -> uuid.UUID | None:
        owned = [
            c
            for (c, u), role in self.s.members.items()
            if u == user_id and role is Role.OWNER and self.s.contexts[c].type.value == "personal"
        ]
        return min(owned, key=self.s.context_created.__getitem__) if owned else None

    def role_of(self, context_id: uuid.UUID, user_id: uuid.UUID) -> Role | None:
        return self.s.members.get((context_id, user_id))

    def set_card_iof(self, context_id: uuid.UUID, enabled: bool) -> None:
        self.s.contexts[context_id] = replace(self.s.contexts[context_id], card_iof=enabled)


class FakeUsers(UsersRepository):
    def __init__(self, store: Store) -> None:
        self.s = store

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
        if username is not None and self.id_of_username(username) is not None:
            raise UsernameTakenError(username)
        self.s.users[user_id] = {
            "username": username,
            "password_hash": password_hash,
            "display_name": display_name,
            "locale": locale,
            "is_admin": is_admin,
        }

    def id_of_username(self, username: str) -> uuid.UUID | None:
        return next((i for i, u in self.s.users.items() if u["username"] == username), None)

    def password_hash_of(self, username: str) -> tuple[uuid.UUID, str | None] | None:
        user_id = self.id_of_username(username)
        return None if user_id is None else (user_id, self.s.users[user_id]["password_hash"])

    def set_password_hash(self, user_id: uuid.UUID, password_hash: str) -> None:
        self.s.users[user_id]["password_hash"] = password_hash

    def link_identity(
        self, identity_id: uuid.UUID, platform: str, platform_user_id: str, user_id: uuid.UUID, name: str
    ) -> None:
        assert (platform, platform_user_id) not in self.s.identities
        self.s.identities[(platform, platform_user_id)] = user_id
        self.s.identity_ids[(platform, platform_user_id)] = identity_id

    def has_login(self, user_id: uuid.UUID) -> bool:
        return self.s.users.get(user_id, {}).get("username") is not None

    def names_of(self, user_id: uuid.UUID) -> tuple[str | None, str | None] | None:
        user = self.s.users.get(user_id)
        return None if user is None else (user["username"], user["display_name"])

    def move_identity(self, platform: str, platform_user_id: str, user_id: uuid.UUID) -> uuid.UUID | None:
        if (platform, platform_user_id) not in self.s.identities:
            return None
        self.s.identities[(platform, platform_user_id)] = user_id
        return self.s.identity_ids[(platform, platform_user_id)]

    def merge(self, source: uuid.UUID, target: uuid.UUID) -> None:
        strength = list(Role)
        for (context_id, user_id), role in list(self.s.members.items()):
            if user_id != source:
                continue
            del self.s.members[(context_id, user_id)]
            held = self.s.members.get((context_id, target))
            if held is None or strength.index(role) < strength.index(held):
                self.s.members[(context_id, target)] = role
        for key, user_id in self.s.identities.items():
            if user_id == source:
                self.s.identities[key] = target
        for row in self.s.captures.values():
            if row["author_id"] == source:
                row["author_id"] = target
        self.s.transactions = [
            replace(tx, author_id=target) if tx.author_id == source else tx for tx in self.s.transactions
        ]


class FakeLinks(LinksRepository):
    def __init__(self, store: Store) -> None:
        self.s = store

    def add(self, link_id: uuid.UUID, code_hash: str, user_id: uuid.UUID, expires_at: dt.datetime) -> None:
        assert code_hash not in self.s.link_codes
        self.s.link_codes[code_hash] = LinkCode(link_id, user_id, expires_at, None)

    def find(self, code_hash: str) -> LinkCode | None:
        return self.s.link_codes.get(code_hash)

    def mark_used(self, link_id: uuid.UUID, *, at: dt.datetime, platform: str, platform_user_id: str) -> None:
        for key, code in self.s.link_codes.items():
            if code.id == link_id:
                self.s.link_codes[key] = replace(
                    code, used_at=at, used_by_platform=platform, used_by_platform_user_id=platform_user_id
                )

    def was_asked(self, link_id: uuid.UUID, platform: str, platform_user_id: str, *, chat_id: str) -> bool:
        return any(
            e.name == "link_code.asked"
            and e.entity_id == link_id
            and e.after is not None
            and (e.after.get("platform"), e.after.get("platform_user_id"), e.after.get("chat_id"))
            == (platform, platform_user_id, chat_id)
            for e in self.s.events
        )


class FakeAccounts(AccountsRepository):
    """Account security over the store's ``users`` rows (two-factor keys default to off)."""

    def __init__(self, store: Store) -> None:
        self.s = store

    def _security(self, user_id: uuid.UUID | None) -> UserSecurity | None:
        user = self.s.users.get(user_id) if user_id is not None else None
        if user is None or user_id is None:
            return None
        return UserSecurity(
            id=user_id,
            username=user["username"],
            password_hash=user["password_hash"],
            is_admin=user["is_admin"],
            totp_secret=user.get("totp_secret"),
            totp_pending_secret=user.get("totp_pending_secret"),
            totp_last_step=user.get("totp_last_step"),
            session_version=user.get("session_version", 0),
        )

    def security_of(self, user_id: uuid.UUID) -> UserSecurity | None:
        return self._security(user_id)

    def security_of_username(self, username: str) -> UserSecurity | None:
        return self._security(next((i for i, u in self.s.users.items() if u["username"] == username), None))

    def set_totp(
        self,
        user_id: uuid.UUID,
        *,
        secret: str | None,
        pending: str | None,
        last_step: int | None,
        enabled_at: dt.datetime | None,
    ) -> None:
        self.s.users[user_id].update(
            totp_secret=secret,
            totp_pending_secret=pending,
            totp_last_step=last_step,
            totp_enabled_at=enabled_at,
        )

    def set_totp_step(self, user_id: uuid.UUID, step: int) -> None:
        self.s.users[user_id]["totp_last_step"] = step

    def bump_session_version(self, user_id: uuid.UUID) -> int:
        user = self.s.users[user_id]
        user["session_version"] = user.get("session_version", 0) + 1
        return int(user["session_version"])

    def replace_recovery_codes(self, user_id: uuid.UUID, hashes: Sequence[str]) -> None:
        self.s.recovery_codes = {h: c for h, c in self.s.recovery_codes.items() if c["user_id"] != user_id}
        for h in hashes:
            self.s.recovery_codes[h] = {"user_id": user_id, "used_at": None}

    def use_recovery_code(self, user_id: uuid.UUID, code_hash: str, at: dt.datetime) -> bool:
        code = self.s.recovery_codes.get(code_hash)
        if code is None or code["user_id"] != user_id or code["used_at"] is not None:
            return False
        code["used_at"] = at
        return True

    def recovery_codes_left(self, user_id: uuid.UUID) -> int:
        return sum(
            1 for c in self.s.recovery_codes.values() if c["user_id"] == user_id and c["used_at"] is None
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
        self.s.api_tokens[token_id] = {
            "user_id": user_id,
            "name": name,
            "token_hash": token_hash,
            "prefix": prefix,
            "scopes": list(scopes),
            "created_at": created_at,
            "expires_at": expires_at,
            "revoked_at": None,
        }

    def revoke_api_token(self, user_id: uuid.UUID, token_id: uuid.UUID, at: dt.datetime) -> bool:
        token = self.s.api_tokens.get(token_id)
        if token is None or token["user_id"] != user_id:
            return False
        token["revoked_at"] = token["revoked_at"] or at
        return True

    def revoke_all_api_tokens(self, user_id: uuid.UUID, at: dt.datetime) -> int:
        live = [t for t in self.s.api_tokens.values() if t["user_id"] == user_id and t["revoked_at"] is None]
        for token in live:
            token["revoked_at"] = at
        return len(live)

    def add_reset_token(
        self,
        token_id: uuid.UUID,
        user_id: uuid.UUID,
        *,
        token_hash: str,
        created_by: uuid.UUID,
        expires_at: dt.datetime,
    ) -> None:
        self.s.reset_tokens = {
            h: r for h, r in self.s.reset_tokens.items() if r.user_id != user_id or r.used_at is not None
        }
        self.s.reset_tokens[token_hash] = ResetToken(token_id, user_id, expires_at, None)

    def find_reset_token(self, token_hash: str) -> ResetToken | None:
        return self.s.reset_tokens.get(token_hash)

    def mark_reset_used(self, token_id: uuid.UUID, at: dt.datetime) -> None:
        for h, r in self.s.reset_tokens.items():
            if r.id == token_id:
                self.s.reset_tokens[h] = replace(r, used_at=at)


class FakeCaptures(CapturesRepository):
    def __init__(self, store: Store) -> None:
        self.s = store

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
        if message.idempotency_key in self.s.captures:
            return False
        self.s.captures[message.idempotency_key] = {
            "id": message.capture_id,
            "context_id": context_id,
            "author_id": author_id,
            "chat_id": message.chat_id,
            "platform": message.platform,
            "status": status,
            "problem": problem,
            "received_at": message.received_at,
            "understanding": message.stored.get("understanding"),
            "text": message.text,
        }
        return True

    def claim_many(self, claims: Sequence[CaptureClaim]) -> set[str]:
        keys = [c.message.idempotency_key for c in claims]
        if len(set(keys)) != len(keys):
            raise ValueError("claim_many takes distinct idempotency keys")
        return {
            c.message.idempotency_key
            for c in claims
            if self.claim(
                c.message,
                context_id=c.context_id,
                author_id=c.author_id,
                language=c.language,
                status=c.status,
                problem=c.problem,
            )
        }

    def taken(self, idempotency_keys: Sequence[str]) -> set[str]:
        return {k for k in idempotency_keys if k in self.s.captures}

    def pending_confirmation(
        self, context_id: uuid.UUID, author_id: uuid.UUID, problem: str, since: dt.datetime
    ) -> PendingCapture | None:
        rows = [
            c
            for c in self.s.captures.values()
            if c["context_id"] == context_id
            and c["author_id"] == author_id
            and c["status"] == "needs_review"
            and c["problem"] == problem
            and c["received_at"] > since
        ]
        if not rows:
            return None
        row = max(rows, key=lambda c: c["received_at"])
        return PendingCapture(row["id"], row["received_at"], row["platform"], row["understanding"])

    def by_key(self, idempotency_key: str) -> CaptureRef | None:
        row = self.s.captures.get(idempotency_key)
        if row is None:
            return None
        return CaptureRef(
            row["id"], row["context_id"], row["received_at"], row["status"], row.get("author_id")
        )

    def _by_id(self, capture_id: uuid.UUID) -> dict[str, Any] | None:
        return next((c for c in self.s.captures.values() if c["id"] == capture_id), None)

    def mark_recorded(self, capture_id: uuid.UUID) -> None:
        row = self._by_id(capture_id)
        assert row is not None
        row.update(status="recorded", problem=None)

    def complete(
        self, capture_id: uuid.UUID, *, context_id: uuid.UUID, author_id: uuid.UUID, chat_id: str
    ) -> bool:
        row = self._by_id(capture_id)
        if row is None or (row["context_id"], row["author_id"], row["chat_id"], row["status"]) != (
            context_id,
            author_id,
            chat_id,
            "needs_review",
        ):
            return False
        row.update(status="recorded", problem=None)
        return True


def shares(store: Store, tx: Transaction) -> list[Transaction]:
    """``tx`` as the sums by category see it: one copy per split line (the line's category, amount
    and base amount), or ``[tx]`` when it is not split (as the SQL repositories join the lines)."""
    lines = store.splits.get(tx.id, [])
    return [
        replace(
            tx,
            category=line.category,
            money=replace(tx.money, amount=line.amount),
            base_amount=line.base_amount,
        )
        for line in lines
    ] or [tx]


class FakeTransactions(TransactionsRepository):
    def __init__(self, store: Store) -> None:
        self.s = store

    def add(self, transactions: Sequence[Transaction]) -> None:
        # Stored as the database keeps them: guesses are for the reply only.
        self.s.transactions.extend(replace(tx, category_guesses=()) for tx in transactions)
        now = dt.datetime.now(dt.UTC)
        self.s.created_at.update((tx.id, now) for tx in transactions)

    def last_recorded(self, context_id: uuid.UUID, author_id: uuid.UUID) -> Transaction | None:
        mine = [
            tx
            for tx in self.s.transactions
            if tx.context_id == context_id
            and tx.author_id == author_id
            and tx.status is TransactionStatus.RECORDED
        ]
        return replace(mine[-1], items=()) if mine else None

    def recorded(self, context_id: uuid.UUID, transaction_id: uuid.UUID) -> Transaction | None:
        found = [
            tx
            for tx in self.s.transactions
            if tx.id == transaction_id
            and tx.context_id == context_id
            and tx.status is TransactionStatus.RECORDED
        ]
        return replace(found[0], items=()) if found else None

    def last_unpaid(self, context_id: uuid.UUID) -> Transaction | None:
        unpaid = [
            tx
            for tx in self.s.transactions
            if tx.context_id == context_id and tx.paid_by is None and tx.status is TransactionStatus.RECORDED
        ]
        return replace(unpaid[-1], items=()) if unpaid else None

    def set_paid_by(self, transaction_id: uuid.UUID, user_id: uuid.UUID) -> None:
        self._replace(transaction_id, paid_by=user_id)

    def _replace(self, transaction_id: uuid.UUID, **changes: Any) -> None:
        for i, tx in enumerate(self.s.transactions):
            if tx.id == transaction_id:
                self.s.transactions[i] = replace(tx, **changes)

    def reverse(self, transaction_id: uuid.UUID) -> None:
        self._replace(transaction_id, status=TransactionStatus.REVERSED)

    def set_category(self, transaction_id: uuid.UUID, category: str) -> None:
        self._replace(transaction_id, category=category)

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
        sums: dict[tuple[str, bool], tuple[Decimal, int]] = {}
        wanted = (category,) if category else tuple(categories)
        for tx in self._asked(context_id, kind, date_from, date_to, (), merchant):
            # by category: a split transaction counts each line under its own category
            for share in shares(self.s, tx) if wanted else [tx]:
                if wanted and share.category not in wanted:
                    continue
                key, amount = self._valued(share)
                total, n = sums.get(key, (Decimal(0), 0))
                sums[key] = (total + amount, n + 1)
        found = [Totals(c, t, n, u) for (c, u), (t, n) in sums.items()]
        return sorted(found, key=lambda t: (t.unvalued, -t.total, t.currency))

    def _valued(self, tx: Transaction) -> tuple[tuple[str, bool], Decimal]:
        """``((currency, unvalued), amount)`` as the SQL sums it: by base amount when known, by
        amount in the ledger's own currency, else apart (no FX rate)."""
        if tx.base_amount is not None and tx.base_currency is not None:
            return (tx.base_currency, False), tx.base_amount
        base = self.s.contexts[tx.context_id].base_currency if tx.context_id in self.s.contexts else None
        return (tx.money.currency, tx.money.currency != base), tx.money.amount

    def _asked(
        self,
        context_id: uuid.UUID,
        kind: str | None,
        date_from: dt.date | None,
        date_to: dt.date | None,
        categories: Sequence[str],
        merchant: str | None,
    ) -> list[Transaction]:
        """The recorded transactions of the context a question's conditions keep, as stored."""
        return [
            tx
            for tx in self.s.transactions
            if tx.context_id == context_id
            and tx.status is TransactionStatus.RECORDED
            and (kind is None or tx.kind == kind)
            and (date_from is None or tx.occurred_on >= date_from)
            and (date_to is None or tx.occurred_on <= date_to)
            and (not categories or tx.category in categories)
            and (not merchant or merchant.lower() in (tx.merchant or "").lower())
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
        found = self._asked(context_id, kind, date_from, date_to, categories, merchant)
        order = {tx.id: n for n, tx in enumerate(self.s.transactions)}
        found.sort(key=lambda tx: (tx.occurred_on, order[tx.id]), reverse=True)
        return [replace(tx, items=()) for tx in found[:limit]]

    def summary(
        self, context_id: uuid.UUID, *, date_from: dt.date | None, date_to: dt.date | None
    ) -> list[SummaryLine]:
        sums: dict[tuple[str, str | None, str, bool], tuple[Decimal, int]] = {}
        asked = self._asked(context_id, None, date_from, date_to, (), None)
        for tx in [share for found in asked for share in shares(self.s, found)]:
            (currency, unvalued), amount = self._valued(tx)
            key = (tx.kind, tx.category, currency, unvalued)
            total, n = sums.get(key, (Decimal(0), 0))
            sums[key] = (total + amount, n + 1)
        lines = [SummaryLine(k, c, cur, t, n, u) for (k, c, cur, u), (t, n) in sums.items()]
        return sorted(lines, key=lambda line: -line.total)

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
        if not merchant and not category:
            return []
        found = [
            tx
            for tx in self.s.transactions
            if tx.context_id == context_id
            and tx.status is TransactionStatus.RECORDED
            and tx.kind == kind
            and tx.money.currency == currency
            and ((tx.merchant or "").lower() == merchant.lower() if merchant else tx.category == category)
        ]
        # newest first by date, then by when it was added (the list keeps that order)
        order = {tx.id: n for n, tx in enumerate(self.s.transactions)}
        found.sort(key=lambda tx: (tx.occurred_on, order[tx.id]), reverse=True)
        return [tx.money.amount for tx in found[:limit]]

    def recent_amounts_many(self, queries: Sequence[AmountsQuery]) -> dict[AmountsQuery, list[Decimal]]:
        return {
            q: self.recent_amounts(
                q.context_id,
                kind=q.kind,
                currency=q.currency,
                merchant=q.merchant,
                category=q.category,
                limit=q.limit,
            )
            for q in queries
        }

    def of_capture(self, capture_id: uuid.UUID, context_id: uuid.UUID) -> list[Transaction]:
        return [
            replace(tx, items=())
            for tx in self.s.transactions
            if tx.capture_id == capture_id
            and tx.context_id == context_id
            and tx.status is TransactionStatus.RECORDED
        ]

    def fees_of(self, context_id: uuid.UUID, transaction_id: uuid.UUID) -> list[Transaction]:
        return [
            replace(tx, items=())
            for tx in self.s.transactions
            if tx.fee_of == transaction_id
            and tx.context_id == context_id
            and tx.status is TransactionStatus.RECORDED
        ]

    def unvalued(self, limit: int) -> list[tuple[Transaction, str]]:
        found = [
            tx
            for tx in self.s.transactions
            if tx.base_amount is None and tx.status is TransactionStatus.RECORDED
        ]
        found.sort(key=lambda tx: (tx.occurred_on, tx.id))
        return [(replace(tx, items=()), self.s.contexts[tx.context_id].base_currency) for tx in found[:limit]]

    def amend(self, transaction: Transaction) -> None:
        for i, tx in enumerate(self.s.transactions):
            if tx.id == transaction.id:
                self.s.transactions[i] = replace(
                    transaction, author_id=tx.author_id, items=tx.items, category_guesses=()
                )


class FakeFxRates(FxRatesRepository):
    def __init__(self, store: Store) -> None:
        self.s = store

    def rates_between(
        self, source: str, currencies: Sequence[str], date_from: dt.date, date_to: dt.date
    ) -> list[FxRate]:
        found = [
            FxRate(src, currency, day, rate)
            for (src, currency, day), rate in self.s.fx_rates.items()
            if src == source and currency in currencies and date_from <= day <= date_to
        ]
        return sorted(found, key=lambda r: (r.rate_date, r.currency), reverse=True)


class FakeCategories(CategoriesRepository):
    def __init__(self, store: Store) -> None:
        self.s = store

    def remembered(self, context_id: uuid.UUID, merchant_keys: Sequence[str]) -> dict[str, str]:
        return {
            k: self.s.merchants[(context_id, k)] for k in merchant_keys if (context_id, k) in self.s.merchants
        }

    def remembered_many(self, wanted: Mapping[uuid.UUID, Sequence[str]]) -> dict[uuid.UUID, dict[str, str]]:
        return {context_id: self.remembered(context_id, keys) for context_id, keys in wanted.items()}

    def remember(
        self, context_id: uuid.UUID, merchant_key: str, category: str, transaction_id: uuid.UUID | None
    ) -> None:
        self.s.merchants[(context_id, merchant_key)] = category

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
        self.s.examples.append({"context_id": context_id, "text": text, "category": category})


class FakeEdits(EditsRepository):
    def __init__(self, store: Store) -> None:
        self.s = store

    def get(self, context_id: uuid.UUID, transaction_id: uuid.UUID) -> Transaction | None:
        found = [tx for tx in self.s.transactions if tx.id == transaction_id and tx.context_id == context_id]
        return replace(found[0], items=()) if found else None

    def save(self, transaction: Transaction) -> None:
        for i, tx in enumerate(self.s.transactions):
            if tx.id == transaction.id and tx.context_id == transaction.context_id:
                self.s.transactions[i] = replace(
                    transaction,
                    author_id=tx.author_id,
                    source_channel=tx.source_channel,
                    capture_id=tx.capture_id,
                    items=tx.items,
                    installments=tx.installments,
                    confidence=tx.confidence,
                    category_guesses=(),
                )

    def splits(self, transaction_id: uuid.UUID) -> list[SplitLine]:
        return list(self.s.splits.get(transaction_id, []))

    def set_splits(
        self, context_id: uuid.UUID, transaction_id: uuid.UUID, lines: Sequence[SplitLine]
    ) -> None:
        if lines:
            self.s.splits[transaction_id] = list(lines)
        else:
            self.s.splits.pop(transaction_id, None)

    def subcategories(self, context_id: uuid.UUID) -> list[Subcategory]:
        mine = [sub for sub in self.s.subcategories.values() if sub.context_id == context_id]
        return sorted(mine, key=lambda sub: (sub.parent, sub.name.lower(), sub.id))

    def add_subcategory(self, subcategory: Subcategory) -> None:
        assert subcategory.id not in self.s.subcategories
        self.s.subcategories[subcategory.id] = subcategory

    def rename_subcategory(self, subcategory_id: uuid.UUID, name: str) -> None:
        self.s.subcategories[subcategory_id] = replace(self.s.subcategories[subcategory_id], name=name)

    def delete_subcategory(self, subcategory_id: uuid.UUID) -> int:
        del self.s.subcategories[subcategory_id]
        moved = 0
        for i, tx in enumerate(self.s.transactions):
            if tx.subcategory_id == subcategory_id:
                self.s.transactions[i] = replace(tx, subcategory_id=None)
                moved += 1
        for tid, lines in self.s.splits.items():
            self.s.splits[tid] = [
                replace(line, subcategory_id=None) if line.subcategory_id == subcategory_id else line
                for line in lines
            ]
        return moved

    def category_names(self, context_id: uuid.UUID) -> dict[str, str]:
        return {slug: name for (c, slug), name in self.s.category_names.items() if c == context_id}

    def set_category_name(self, context_id: uuid.UUID, slug: str, name: str | None) -> None:
        if name is None:
            self.s.category_names.pop((context_id, slug), None)
        else:
            self.s.category_names[(context_id, slug)] = name


_SCOPE_ORDER = {"ledger": 0, "group": 1, "category": 2}


class FakeBudgets(BudgetsRepository):
    def __init__(self, store: Store) -> None:
        self.s = store

    def of_context(self, context_id: uuid.UUID) -> list[Budget]:
        found = [b for b in self.s.budgets.values() if b.context_id == context_id]
        return sorted(found, key=lambda b: (_SCOPE_ORDER[b.scope], b.target))

    def of_contexts(self, context_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[Budget]]:
        return {context_id: self.of_context(context_id) for context_id in context_ids}

    def get(self, context_id: uuid.UUID, budget_id: uuid.UUID) -> Budget | None:
        found = self.s.budgets.get(budget_id)
        return found if found is not None and found.context_id == context_id else None

    def find(self, context_id: uuid.UUID, scope: str, target: str) -> Budget | None:
        return next(
            (
                b
                for b in self.s.budgets.values()
                if b.context_id == context_id and b.scope == scope and b.target == target
            ),
            None,
        )

    def add(self, budget: Budget, created_by: uuid.UUID | None) -> None:
        assert self.find(budget.context_id, budget.scope, budget.target) is None, "unique scope"
        self.s.budgets[budget.id] = budget

    def update(self, budget: Budget) -> None:
        assert budget.id in self.s.budgets
        self.s.budgets[budget.id] = budget

    def delete(self, budget_id: uuid.UUID) -> None:
        self.s.budgets.pop(budget_id, None)
        self.s.budget_alerts = {a for a in self.s.budget_alerts if a[0] != budget_id}

    def spent(
        self, context_id: uuid.UUID, *, date_from: dt.date, date_to: dt.date, currency: str
    ) -> list[Spent]:
        sums: dict[str | None, tuple[Decimal, int, int]] = {}
        for tx in self.s.transactions:
            if (
                tx.context_id != context_id
                or tx.status is not TransactionStatus.RECORDED
                or tx.kind != "expense"
                or not date_from <= tx.occurred_on <= date_to
            ):
                continue
            for share in shares(self.s, tx):
                total, n, unvalued = sums.get(share.category, (Decimal(0), 0, 0))
                if share.base_amount is not None and share.base_currency == currency:
                    sums[share.category] = (total + share.base_amount, n + 1, unvalued)
                else:
                    sums[share.category] = (total, n, unvalued + 1)
        return [Spent(c, t, n, u) for c, (t, n, u) in sums.items()]

    def claim_alert(
        self, budget_id: uuid.UUID, month: dt.date, threshold: int, capture_id: uuid.UUID | None
    ) -> bool:
        key = (budget_id, month, threshold)
        if key in self.s.budget_alerts:
            return False
        self.s.budget_alerts.add(key)
        return True

    def clear_alerts(self, budget_id: uuid.UUID, month: dt.date) -> None:
        self.s.budget_alerts = {a for a in self.s.budget_alerts if a[:2] != (budget_id, month)}

    def alert_chats(self, context_id: uuid.UUID) -> list[AlertChat]:
        found = []
        for (platform, chat_id), bound in self.s.bindings.items():
            meta = self.s.binding_meta.get((platform, chat_id)) or {}
            if bound == context_id and meta.get("active", True):
                edge_id = meta.get("edge_id", "edge-1")
                found.append(AlertChat(platform, chat_id, edge_id, meta.get("chat_type", "private")))
        return found


_RANK = {Role.OWNER: 0, Role.ADMIN: 1, Role.EDITOR: 2, Role.VIEWER: 3}


class FakeMembers(MembersRepository):
    def __init__(self, store: Store) -> None:
        self.s = store

    def members(self, context_id: uuid.UUID) -> list[MemberRow]:
        rows = [
            MemberRow(
                u,
                r,
                self.s.users.get(u, {}).get("display_name"),
                self.s.users.get(u, {}).get("username"),
                dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(seconds=self.s.joined.get((c, u), 0)),
            )
            for (c, u), r in self.s.members.items()
            if c == context_id
        ]
        return sorted(rows, key=lambda m: (_RANK[m.role], m.joined_at, m.user_id))

    def owners(self, context_id: uuid.UUID) -> int:
        return sum(1 for (c, _), r in self.s.members.items() if c == context_id and r is Role.OWNER)

    def set_role(self, context_id: uuid.UUID, user_id: uuid.UUID, role: Role) -> None:
        assert (context_id, user_id) in self.s.members
        self.s.members[(context_id, user_id)] = role

    def remove(self, context_id: uuid.UUID, user_id: uuid.UUID) -> None:
        self.s.members.pop((context_id, user_id), None)
        self.s.joined.pop((context_id, user_id), None)

    def rebind_private_chats(self, context_id: uuid.UUID, user_id: uuid.UUID, to_context: uuid.UUID) -> int:
        own = {key for key, u in self.s.identities.items() if u == user_id}
        moved = 0
        for key, bound in list(self.s.bindings.items()):
            meta = self.s.binding_meta.get(key, {"chat_type": "private"})
            if bound == context_id and meta["chat_type"] == "private" and key in own:
                self.s.bindings[key] = to_context
                moved += 1
        return moved

    def update_context(self, context_id: uuid.UUID, changes: Mapping[str, str]) -> None:
        assert set(changes) <= {"name", "time_zone", "locale", "base_currency"}
        self.s.contexts[context_id] = replace(self.s.contexts[context_id], **changes)

    def archived_at(self, context_id: uuid.UUID) -> dt.datetime | None:
        return self.s.archived.get(context_id)

    def set_archived(self, context_id: uuid.UUID, at: dt.datetime | None) -> None:
        if at is None:
            self.s.archived.pop(context_id, None)
        else:
            self.s.archived[context_id] = at

    def has_transactions(self, context_id: uuid.UUID) -> bool:
        return any(tx.context_id == context_id for tx in self.s.transactions)

    def add_invitation(self, invitation: Invitation, code_hash: str) -> None:
        assert code_hash not in self.s.invitations
        self.s.invitations[code_hash] = invitation

    def invitation_by_code(self, code_hash: str) -> Invitation | None:
        return self.s.invitations.get(code_hash)

    def invitation(self, context_id: uuid.UUID, invitation_id: uuid.UUID) -> Invitation | None:
        return next(
            (i for i in self.s.invitations.values() if i.id == invitation_id and i.context_id == context_id),
            None,
        )

    def pending_invitations(self, context_id: uuid.UUID, now: dt.datetime) -> list[Invitation]:
        found = [
            i
            for i in self.s.invitations.values()
            if i.context_id == context_id
            and i.used_at is None
            and i.revoked_at is None
            and i.expires_at > now
        ]
        return sorted(found, key=lambda i: (i.created_at, i.id), reverse=True)

    def _replace(self, invitation_id: uuid.UUID, **changes: Any) -> None:
        key = next(k for k, i in self.s.invitations.items() if i.id == invitation_id)
        self.s.invitations[key] = replace(self.s.invitations[key], **changes)

    def mark_invitation_used(self, invitation_id: uuid.UUID, user_id: uuid.UUID, at: dt.datetime) -> None:
        self._replace(invitation_id, used_at=at, used_by=user_id)

    def revoke_invitation(self, invitation_id: uuid.UUID, at: dt.datetime) -> None:
        self._replace(invitation_id, revoked_at=at)


class FakeSearch(SearchBackend):
    """Every word of the text, case- and accent-insensitive, inside the merchant or description of
    a recorded transaction of the context; newest first. (The real ranking, typos and receipt
    lines are the PostgreSQL backend's, tested in tests/integration/test_search.py.)"""

    name = "fake"

    def __init__(self, store: Store) -> None:
        self.s = store

    def search(self, context_id: uuid.UUID, query: SearchQuery) -> SearchPage:
        def fold(text: str) -> str:
            return "".join(
                c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c)
            )

        words = fold(query.text).split()
        found = [
            tx
            for tx in self.s.transactions
            if tx.context_id == context_id
            and tx.status is TransactionStatus.RECORDED
            and all(w in fold(f"{tx.merchant or ''} {tx.description or ''}") for w in words)
        ]
        found.sort(key=lambda tx: (tx.occurred_on, str(tx.id)), reverse=True)
        hits = tuple(
            SearchHit(
                transaction_id=tx.id,
                score=1.0,
                matched=("merchant",),
                occurred_on=tx.occurred_on,
                kind=tx.kind,
                amount=tx.money.amount,
                currency=tx.money.currency,
                merchant=tx.merchant,
                description=tx.description,
                category=tx.category,
                payment_method=tx.payment_method,
                installments=tx.installments,
                status=tx.status,
                source_channel=tx.source_channel,
                author_id=tx.author_id,
                paid_by=tx.paid_by,
                created_at=self.s.created_at.get(tx.id, dt.datetime.now(dt.UTC)),
                base_amount=tx.base_amount,
                base_currency=tx.base_currency,
            )
            for tx in found[: query.limit]
        )
        return SearchPage(hits=hits, next_cursor="more" if len(found) > query.limit else None)


class FakeUnitOfWork(AbstractUnitOfWork):
    """A unit of work over a shared :class:`Store`: changes are made on a copy and swapped in on commit."""

    def __init__(self, store: Store) -> None:
        super().__init__()
        self.store = store
        self.committed = False
        self.locks: list[str] = []

    def __enter__(self) -> FakeUnitOfWork:
        self.work = copy.deepcopy(self.store)
        self.contexts = FakeContexts(self.work)
        self.users = FakeUsers(self.work)
        self.captures = FakeCaptures(self.work)
        self.transactions = FakeTransactions(self.work)
        self.categories = FakeCategories(self.work)
        self.links = FakeLinks(self.work)
        self.fx_rates = FakeFxRates(self.work)
        self.edits = FakeEdits(self.work)
        self.budgets = FakeBudgets(self.work)
        self.members = FakeMembers(self.work)
        self.accounts = FakeAccounts(self.work)
        self.statements = FakeStatements(self.work)
        self.cards = FakeCards(self.work)
        self.search = FakeSearch(self.work)
        self._outbox: list[tuple[str, str]] = []
        self.committed = False
        self.events, self._new_events, self.outbox_ids = [], [], []
        self.outbox_messages = []
        return self

    def _record(self, event: Event) -> None:
        self.work.events.append(event)

    def lock(self, key: str) -> None:
        self.locks.append(key)

    def publish(self, stream: str, payload: str) -> None:
        self._outbox.append((stream, payload))

    def mark_published(self, outbox_ids: Sequence[int]) -> None:
        self.work.published.update(outbox_ids)

    def commit(self) -> None:
        start = len(self.work.outbox)
        self.work.outbox.extend((start + i + 1, s, p) for i, (s, p) in enumerate(self._outbox))
        self.outbox_ids = [start + i + 1 for i in range(len(self._outbox))]
        self.outbox_messages = list(self._outbox)
        self._outbox = []
        for name in vars(self.store):
            setattr(self.store, name, getattr(self.work, name))
        self.committed = True

    def rollback(self) -> None:
        self._outbox = []


class FakeCards(CardsRepository):
    """Cards and postings in the :class:`Store` (bill lines join the store's transactions)."""

    def __init__(self, store: Store) -> None:
        self.s = store

    def of_context(self, context_id: uuid.UUID) -> list[Card]:
        found = [c for c in self.s.cards.values() if c.context == context_id]
        return sorted(found, key=lambda c: (not c.is_default, c.name.lower()))

    def get(self, context_id: uuid.UUID, card_id: uuid.UUID) -> Card | None:
        found = self.s.cards.get(card_id)
        return found if found is not None and found.context == context_id else None

    def named(self, context_id: uuid.UUID, name: str) -> Card | None:
        return next((c for c in self.of_context(context_id) if c.name.lower() == name.lower()), None)

    def default_of(self, context_id: uuid.UUID) -> Card | None:
        return next((c for c in self.of_context(context_id) if c.is_default), None)

    def save(self, card: Card) -> None:
        assert card.id is not None
        if card.is_default:
            for other in self.of_context(card.context) if card.context else []:
                if other.id != card.id and other.is_default:
                    assert other.id is not None
                    self.s.cards[other.id] = replace(other, is_default=False)
        self.s.cards[card.id] = card

    def add_postings(self, rows: Sequence[PostingRow]) -> None:
        self.s.postings.extend(rows)

    def card_of(self, transaction_id: uuid.UUID) -> uuid.UUID | None:
        return next((p.card_id for p in self.s.postings if p.transaction_id == transaction_id), None)

    def delete_postings(self, transaction_id: uuid.UUID) -> None:
        self.s.postings = [p for p in self.s.postings if p.transaction_id != transaction_id]

    def bill_months(self, transaction_id: uuid.UUID) -> list[dt.date]:
        return [p.bill_month for p in self.s.postings if p.transaction_id == transaction_id]

    def bill_lines(self, card_id: uuid.UUID, *, first: dt.date, last: dt.date) -> list[BillLine]:
        by_id = {tx.id: tx for tx in self.s.transactions}
        lines = []
        for p in self.s.postings:
            tx = by_id.get(p.transaction_id)
            if (
                p.card_id != card_id
                or not first <= p.bill_month <= last
                or tx is None
                or tx.status is not TransactionStatus.RECORDED
            ):
                continue
            lines.append(
                BillLine(
                    transaction_id=tx.id,
                    merchant=tx.merchant,
                    description=tx.description,
                    occurred_on=tx.occurred_on,
                    number=p.number,
                    of=p.of,
                    amount=p.amount,
                    currency=tx.money.currency,
                    base_amount=p.base_amount,
                    base_currency=tx.base_currency,
                    bill_month=p.bill_month,
                )
            )
        return sorted(lines, key=lambda line: (line.bill_month, line.occurred_on, line.number))

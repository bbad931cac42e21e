"""Ingest handler: a capture from an edge becomes ledger rows, events and a reply, exactly once.

The capture's idempotency key is claimed with ``INSERT .. ON CONFLICT DO NOTHING`` inside the
same transaction as every effect, so a redelivered or concurrently delivered capture changes
nothing the second time. Users, personal contexts and chat bindings are created on first
contact under transaction-scoped advisory locks.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Row, bindparam, exists, func, insert, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from financy.core.adapters import orm
from financy.core.contracts.v1 import (
    CaptureV1,
    Intent,
    ProposedTransaction,
    QueryAnswer,
    RecordedTransaction,
    ReplyKind,
    ReplyV1,
    Understanding,
    replies_stream,
)
from financy.core.domain.errors import UnknownCurrencyError
from financy.core.domain.events import Event
from financy.core.domain.model import (
    CATEGORY_BY_SLUG,
    CaptureStatus,
    ContextType,
    LedgerContext,
    Role,
    TransactionStatus,
    merchant_key,
    normalize_currency,
)
from financy.core.service.conversation import (
    CONFIRM_BELOW,
    LOW_CONFIDENCE,
    answer_query,
    last_recorded,
    pending_confirmation,
    recategorize_last,
    remembered_categories,
)
from financy.core.service.unit_of_work import UnitOfWork
from financy.runtime.ids import uuid7


@dataclass(frozen=True, slots=True)
class ContextDefaults:
    """Conventions of a personal context created on a user's first contact."""

    locale: str = "pt-BR"
    time_zone: str = "America/Sao_Paulo"
    base_currency: str = "BRL"


def _lock(conn: Connection, key: str) -> None:
    conn.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"), {"k": key})


def create_personal_context(
    uow: UnitOfWork, user_id: uuid.UUID, name: str, defaults: ContextDefaults
) -> uuid.UUID:
    """Create a personal context owned by ``user_id`` and return its id."""
    context_id = uuid7()
    values = {
        "id": context_id,
        "name": name,
        "type": ContextType.PERSONAL.value,
        "base_currency": defaults.base_currency,
        "time_zone": defaults.time_zone,
        "locale": defaults.locale,
        "created_by": user_id,
    }
    uow.conn.execute(insert(orm.contexts).values(**values))
    uow.conn.execute(
        insert(orm.members).values(context_id=context_id, user_id=user_id, role=Role.OWNER.value)
    )
    uow.record(Event("context.created", context_id, user_id, "context", context_id, after=values))
    return context_id


def personal_context_of(conn: Connection, user_id: uuid.UUID) -> uuid.UUID | None:
    """Return the oldest personal context ``user_id`` owns, or ``None``."""
    row = conn.execute(
        select(orm.contexts.c.id)
        .join(orm.members, orm.members.c.context_id == orm.contexts.c.id)
        .where(
            orm.members.c.user_id == user_id,
            orm.members.c.role == Role.OWNER.value,
            orm.contexts.c.type == ContextType.PERSONAL.value,
        )
        .order_by(orm.contexts.c.created_at, orm.contexts.c.id)
        .limit(1)
    ).first()
    return None if row is None else row.id


_IDENTITY = orm.channel_identities
_BINDING = orm.chat_bindings
_SELECT_IDENTITY = select(_IDENTITY.c.user_id).where(
    _IDENTITY.c.platform == bindparam("platform"),
    _IDENTITY.c.platform_user_id == bindparam("platform_user_id"),
)
_SELECT_BOUND_CONTEXT = (
    select(
        orm.contexts,
        # Whether this context has learned any merchant's category (saves a look-up when not).
        exists()
        .where(orm.merchant_categories.c.context_id == orm.contexts.c.id)
        .label("remembers_merchants"),
    )
    .join(_BINDING, _BINDING.c.context_id == orm.contexts.c.id)
    .where(_BINDING.c.platform == bindparam("platform"), _BINDING.c.chat_id == bindparam("chat_id"))
)
# The common case in one round trip: a known sender in a chat that is already bound.
_SELECT_KNOWN = (
    select(
        _IDENTITY.c.user_id,
        orm.contexts,
        exists()
        .where(orm.merchant_categories.c.context_id == orm.contexts.c.id)
        .label("remembers_merchants"),
    )
    .select_from(_IDENTITY)
    .join(
        _BINDING,
        (_BINDING.c.platform == bindparam("platform")) & (_BINDING.c.chat_id == bindparam("chat_id")),
    )
    .join(orm.contexts, orm.contexts.c.id == _BINDING.c.context_id)
    .where(
        _IDENTITY.c.platform == bindparam("platform"),
        _IDENTITY.c.platform_user_id == bindparam("platform_user_id"),
    )
)
_CLAIM_CAPTURE = (
    pg_insert(orm.captures)
    .on_conflict_do_nothing(index_elements=[orm.captures.c.idempotency_key])
    .returning(orm.captures.c.id)
)
_INSERT_TRANSACTIONS = insert(orm.transactions)


def _ledger_context(row: Row[Any]) -> LedgerContext:
    return LedgerContext(
        id=row.id,
        name=row.name,
        type=ContextType(row.type),
        base_currency=row.base_currency,
        time_zone=row.time_zone,
        locale=row.locale,
    )


def resolve_user(uow: UnitOfWork, capture: CaptureV1, defaults: ContextDefaults) -> uuid.UUID:
    """Return the user behind the capture's sender, creating user and personal context on first contact."""
    conn = uow.conn
    platform, platform_user_id = capture.platform, capture.sender.platform_user_id
    params = {"platform": platform, "platform_user_id": platform_user_id}
    found = conn.execute(_SELECT_IDENTITY, params).first()
    if found is None:
        # First contact: serialise with any concurrent first message of the same sender, then look again.
        _lock(conn, f"identity:{platform}:{platform_user_id}")
        found = conn.execute(_SELECT_IDENTITY, params).first()
    if found is not None:
        user_id: uuid.UUID = found.user_id
        return user_id
    user_id = uuid7()
    locale = defaults.locale
    if capture.sender.language_code:
        locale = "pt-BR" if capture.sender.language_code.lower().startswith("pt") else "en"
    name = capture.sender.display_name or f"{platform}:{platform_user_id}"
    conn.execute(insert(orm.users).values(id=user_id, display_name=name, locale=locale))
    conn.execute(
        insert(orm.channel_identities).values(
            id=uuid7(),
            platform=platform,
            platform_user_id=platform_user_id,
            user_id=user_id,
            display_name=name,
        )
    )
    uow.record(
        Event(
            "user.created", None, user_id, "user", user_id, after={"display_name": name, "platform": platform}
        )
    )
    create_personal_context(uow, user_id, name, defaults)
    return user_id


def resolve_context(
    uow: UnitOfWork, capture: CaptureV1, user_id: uuid.UUID, defaults: ContextDefaults
) -> tuple[LedgerContext, bool]:
    """Return the context the capture's chat is bound to (binding it to the user's personal one if
    new), and whether that context remembers any merchant's category."""
    conn = uow.conn
    params = {"platform": capture.platform, "chat_id": capture.chat_id}
    found = conn.execute(_SELECT_BOUND_CONTEXT, params).first()
    if found is None:
        _lock(conn, f"chat:{capture.platform}:{capture.chat_id}")
        found = conn.execute(_SELECT_BOUND_CONTEXT, params).first()
    if found is not None:
        return _ledger_context(found), bool(found.remembers_merchants)
    context_id = personal_context_of(conn, user_id) or create_personal_context(
        uow, user_id, "Personal", defaults
    )
    binding_id = uuid7()
    conn.execute(
        insert(_BINDING).values(
            id=binding_id,
            platform=capture.platform,
            chat_id=capture.chat_id,
            context_id=context_id,
            edge_id=capture.edge_id,
        )
    )
    uow.record(
        Event(
            "chat.bound",
            context_id,
            user_id,
            "chat_binding",
            binding_id,
            after={"platform": capture.platform, "chat_id": capture.chat_id},
        )
    )
    context = _ledger_context(conn.execute(select(orm.contexts).where(orm.contexts.c.id == context_id)).one())
    return context, True


def local_date(moment: dt.datetime, time_zone: str) -> dt.date:
    """Return the calendar date of aware ``moment`` in IANA ``time_zone``."""
    return moment.astimezone(ZoneInfo(time_zone)).date()


def _occurred_on(proposed: ProposedTransaction, received_on: dt.date) -> dt.date:
    if proposed.occurred_on is not None:
        return proposed.occurred_on
    if proposed.days_ago is not None:
        return received_on - dt.timedelta(days=proposed.days_ago)
    return received_on


def _plan_transactions(
    conn: Connection,
    *,
    received_at: dt.datetime,
    platform: str,
    capture_id: uuid.UUID,
    context: LedgerContext,
    user_id: uuid.UUID,
    proposed: Sequence[ProposedTransaction],
    confidence: float,
    remembers_merchants: bool = True,
) -> list[dict[str, Any]]:
    """Return the transaction rows for ``proposed``; raises :class:`UnknownCurrencyError` for any bad code.

    A merchant this context has a remembered category for gets that category, whatever the edge
    proposed: a correction applies to the very next transaction at that merchant.
    """
    received_on = local_date(received_at, context.time_zone)
    remembered = (
        remembered_categories(conn, context.id, [p.merchant for p in proposed if p.merchant])
        if remembers_merchants
        else {}
    )
    rows: list[dict[str, Any]] = []
    for p in proposed:
        category = p.category if p.category in CATEGORY_BY_SLUG else None
        if p.merchant:
            category = remembered.get(merchant_key(p.merchant), category)
        rows.append(
            {
                "id": uuid7(),
                "context_id": context.id,
                "kind": p.kind.value,
                "amount": Decimal(p.amount),
                "currency": normalize_currency(p.currency) if p.currency else context.base_currency,
                "occurred_on": _occurred_on(p, received_on),
                "merchant": p.merchant,
                "description": p.description,
                "payment_method": p.payment_method,
                "installments": p.installments,
                "category": category,
                "source_channel": platform,
                "capture_id": capture_id,
                "author_id": user_id,
                "confidence": confidence,
                "status": TransactionStatus.RECORDED.value,
                _ITEMS: [item.model_dump(mode="json") for item in p.items],
            }
        )
    return rows


#: Key of a planned row's receipt lines (inserted into ``transaction_items``, not ``transactions``).
_ITEMS = "items"
_INSERT_ITEMS = insert(orm.transaction_items)


def _insert_transactions(
    uow: UnitOfWork,
    rows: list[dict[str, Any]],
    context: LedgerContext,
    user_id: uuid.UUID,
    capture_id: uuid.UUID,
) -> None:
    uow.conn.execute(_INSERT_TRANSACTIONS, [{k: v for k, v in row.items() if k != _ITEMS} for row in rows])
    items = [
        {
            "transaction_id": row["id"],
            "position": position,
            "context_id": context.id,
            "description": item["description"],
            "quantity": item.get("quantity"),
            "unit_price": item.get("unit_price"),
            "line_total": item.get("line_total"),
        }
        for row in rows
        for position, item in enumerate(row.get(_ITEMS) or (), start=1)
    ]
    if items:
        uow.conn.execute(_INSERT_ITEMS, items)
    for row in rows:
        uow.record(
            Event(
                "transaction.recorded",
                context.id,
                user_id,
                "transaction",
                row["id"],
                after=row,
                capture_id=capture_id,
            )
        )


def _recorded(values: Mapping[str, object], language: str) -> RecordedTransaction:
    slug = values["category"]
    category = CATEGORY_BY_SLUG.get(slug) if isinstance(slug, str) else None
    return RecordedTransaction.model_validate(
        {
            "transaction_id": values["id"],
            "kind": values["kind"],
            "amount": values["amount"],
            "currency": values["currency"],
            "occurred_on": values["occurred_on"],
            "merchant": values["merchant"],
            "category": slug,
            "category_name": category.name(language) if category else None,
            "items": len(items) if isinstance(items := values.get(_ITEMS), list) else 0,
        }
    )


def undo_last(
    uow: UnitOfWork, context: LedgerContext, user_id: uuid.UUID, capture_id: uuid.UUID, language: str
) -> RecordedTransaction | None:
    """Reverse the user's most recent recorded transaction in ``context``; ``None`` if there is none.

    The returned transaction names its category in ``language`` (the user's, for the reply).
    """
    tx = orm.transactions
    last = last_recorded(uow.conn, context.id, user_id)
    if last is None:
        return None
    row = last._mapping
    uow.conn.execute(
        update(tx)
        .where(tx.c.id == row["id"])
        .values(status=TransactionStatus.REVERSED.value, updated_at=func.now())
    )
    uow.record(
        Event(
            "transaction.reversed",
            context.id,
            user_id,
            "transaction",
            row["id"],
            before={"status": row["status"]},
            after={"status": TransactionStatus.REVERSED.value},
            capture_id=capture_id,
        )
    )
    return _recorded(dict(row), language)


@dataclass
class _Outcome:
    """What a capture comes to: the capture's status, the reply, and rows to insert once claimed."""

    kind: ReplyKind
    status: CaptureStatus = CaptureStatus.COMMAND
    problem: str | None = None
    planned: list[dict[str, Any]] = field(default_factory=list)
    transactions: list[RecordedTransaction] = field(default_factory=list)
    answer: QueryAnswer | None = None


def _decide(
    conn: Connection,
    capture: CaptureV1,
    context: LedgerContext,
    user_id: uuid.UUID,
    language: str,
    remembers_merchants: bool,
) -> _Outcome:
    """Decide the outcome of a capture before it is claimed (no writes)."""
    understanding = capture.understanding
    intent = understanding.intent if understanding else Intent.UNKNOWN
    if understanding is None:
        return _Outcome(ReplyKind.QUESTION, CaptureStatus.NEEDS_REVIEW, "not_understood")
    if intent is Intent.RECORD and understanding.transactions:
        try:
            planned = _plan_transactions(
                conn,
                received_at=capture.received_at,
                platform=capture.platform,
                capture_id=capture.capture_id,
                context=context,
                user_id=user_id,
                proposed=understanding.transactions,
                confidence=understanding.confidence,
                remembers_merchants=remembers_merchants,
            )
        except UnknownCurrencyError as exc:
            return _Outcome(ReplyKind.QUESTION, CaptureStatus.NEEDS_REVIEW, f"unknown_currency:{exc.code}")
        shown = [_recorded(row, language) for row in planned]
        if understanding.confidence < CONFIRM_BELOW:
            return _Outcome(
                ReplyKind.CONFIRM_REQUEST, CaptureStatus.NEEDS_REVIEW, LOW_CONFIDENCE, transactions=shown
            )
        return _Outcome(ReplyKind.RECORDED, CaptureStatus.RECORDED, planned=planned, transactions=shown)
    simple = {
        Intent.UNDO: ReplyKind.NOTHING_TO_UNDO,
        Intent.HELP: ReplyKind.HELP,
        Intent.START: ReplyKind.WELCOME,
        Intent.SMALL_TALK: ReplyKind.SMALL_TALK,
        Intent.CONFIRM: ReplyKind.NOTHING_TO_CONFIRM,
        Intent.RECATEGORIZE: ReplyKind.NOTHING_TO_RECATEGORIZE,
        Intent.QUERY: ReplyKind.ANSWER,
    }
    if intent is Intent.RECATEGORIZE and understanding.category not in CATEGORY_BY_SLUG:
        return _Outcome(ReplyKind.QUESTION, problem=understanding.problem or "unknown_category")
    if intent is Intent.QUERY and understanding.query is None:
        return _Outcome(ReplyKind.QUESTION, problem=understanding.problem or "query")
    if intent in simple:
        return _Outcome(simple[intent])
    return _Outcome(ReplyKind.QUESTION, CaptureStatus.NEEDS_REVIEW, understanding.problem or "not_understood")


def _apply(
    uow: UnitOfWork,
    capture: CaptureV1,
    context: LedgerContext,
    user_id: uuid.UUID,
    language: str,
    outcome: _Outcome,
) -> None:
    """Carry out ``outcome`` once the capture is claimed (updates ``outcome`` for the reply)."""
    understanding = capture.understanding
    intent = understanding.intent if understanding else Intent.UNKNOWN
    if outcome.planned:
        _insert_transactions(uow, outcome.planned, context, user_id, capture.capture_id)
    elif intent is Intent.UNDO:
        undone = undo_last(uow, context, user_id, capture.capture_id, language)
        if undone is not None:
            outcome.kind, outcome.transactions = ReplyKind.UNDONE, [undone]
    elif (
        intent is Intent.QUERY and outcome.kind is ReplyKind.ANSWER and understanding and understanding.query
    ):
        today = local_date(capture.received_at, context.time_zone)
        outcome.answer = answer_query(uow.conn, context, understanding.query, today, language)
    elif intent is Intent.RECATEGORIZE and outcome.kind is ReplyKind.NOTHING_TO_RECATEGORIZE:
        assert understanding is not None
        assert understanding.category is not None
        before = recategorize_last(
            uow, context, user_id, understanding.category, capture.capture_id, language
        )
        if before is not None:
            row = dict(before._mapping) | {"category": understanding.category}
            outcome.kind, outcome.transactions = ReplyKind.RECATEGORIZED, [_recorded(row, language)]
    elif intent is Intent.CONFIRM:
        _confirm_pending(uow, capture, context, user_id, language, outcome)


def _confirm_pending(
    uow: UnitOfWork,
    capture: CaptureV1,
    context: LedgerContext,
    user_id: uuid.UUID,
    language: str,
    outcome: _Outcome,
) -> None:
    pending = pending_confirmation(uow.conn, context, user_id, capture.received_at)
    if pending is None or not pending.understanding:
        return
    proposed = Understanding.model_validate(pending.understanding)
    try:
        rows = _plan_transactions(
            uow.conn,
            received_at=pending.received_at,
            platform=pending.platform,
            capture_id=pending.id,
            context=context,
            user_id=user_id,
            proposed=proposed.transactions,
            confidence=proposed.confidence,
        )
    except UnknownCurrencyError:
        return
    _insert_transactions(uow, rows, context, user_id, pending.id)
    uow.conn.execute(
        update(orm.captures)
        .where(orm.captures.c.id == pending.id)
        .values(status=CaptureStatus.RECORDED.value, problem=None)
    )
    uow.record(
        Event(
            "capture.confirmed",
            context.id,
            user_id,
            "capture",
            pending.id,
            before={"status": CaptureStatus.NEEDS_REVIEW.value},
            after={"status": CaptureStatus.RECORDED.value, "confirmed_by": str(capture.capture_id)},
            capture_id=capture.capture_id,
        )
    )
    outcome.kind, outcome.transactions = ReplyKind.RECORDED, [_recorded(row, language) for row in rows]


def _heard(capture: CaptureV1, problem: str | None) -> str | None:
    """Return what the edge heard (a transcript), or the merchant it read on a receipt it asks about,
    short enough to quote in the reply."""
    if capture.provenance is None:
        return None
    if capture.provenance.source == "ocr":
        asking = problem is not None and problem.startswith("receipt_")
        return capture.receipt.merchant if asking and capture.receipt is not None else None
    text = " ".join(capture.provenance.text.split())
    if not text:
        return None
    return text if len(text) <= 300 else text[:299] + "…"


def _complete_earlier(
    uow: UnitOfWork, capture: CaptureV1, context: LedgerContext, user_id: uuid.UUID
) -> None:
    """Mark the earlier capture ``capture.completes`` (same chat and author, needing review) as recorded.

    The edge sets ``completes`` when a message answers the bot's "how much?" about a voice note
    or a receipt without a total; the transaction is recorded from the answering capture, and the
    question is closed here. A ``completes`` naming anything else changes nothing.
    """
    cap = orm.captures
    done = uow.conn.execute(
        update(cap)
        .where(
            cap.c.id == capture.completes,
            cap.c.context_id == context.id,
            cap.c.author_id == user_id,
            cap.c.chat_id == capture.chat_id,
            cap.c.status == CaptureStatus.NEEDS_REVIEW.value,
        )
        .values(status=CaptureStatus.RECORDED.value, problem=None)
        .returning(cap.c.id)
    ).first()
    if done is not None:
        uow.record(
            Event(
                "capture.completed",
                context.id,
                user_id,
                "capture",
                done.id,
                before={"status": CaptureStatus.NEEDS_REVIEW.value},
                after={"status": CaptureStatus.RECORDED.value, "completed_by": str(capture.capture_id)},
                capture_id=capture.capture_id,
            )
        )


def ingest_capture(uow: UnitOfWork, capture: CaptureV1, defaults: ContextDefaults) -> ReplyV1 | None:
    """Record ``capture`` and what it asks for; return the reply, or ``None`` for a duplicate.

    The capture row is claimed with ``INSERT .. ON CONFLICT (idempotency_key) DO NOTHING`` before
    any effect, in the same transaction: a concurrent delivery of the same capture waits on the
    unique index and then finds it taken. The reply is queued in the outbox for
    ``financy:edge:{edge_id}:replies`` in that transaction too. Raises only for database failures
    (the caller retries the delivery).
    """
    conn = uow.conn
    known = conn.execute(
        _SELECT_KNOWN,
        {
            "platform": capture.platform,
            "chat_id": capture.chat_id,
            "platform_user_id": capture.sender.platform_user_id,
        },
    ).first()
    if known is not None:
        user_id, context, remembers_merchants = (
            known.user_id,
            _ledger_context(known),
            bool(known.remembers_merchants),
        )
    else:
        user_id = resolve_user(uow, capture, defaults)
        context, remembers_merchants = resolve_context(uow, capture, user_id, defaults)
    understanding = capture.understanding
    language = understanding.language if understanding else context.language
    intent = understanding.intent if understanding else Intent.UNKNOWN
    outcome = _decide(conn, capture, context, user_id, language, remembers_merchants)

    claimed = conn.execute(
        _CLAIM_CAPTURE,
        {
            "id": capture.capture_id,
            "idempotency_key": capture.idempotency_key,
            "context_id": context.id,
            "author_id": user_id,
            "edge_id": capture.edge_id,
            "platform": capture.platform,
            "chat_id": capture.chat_id,
            "message_id": capture.message_id,
            "media_type": capture.media_type,
            "text": capture.text,
            "text_truncated": capture.text_truncated,
            "understanding": understanding.model_dump(mode="json") if understanding else None,
            "language": language,
            "intent": intent.value,
            "status": outcome.status.value,
            "problem": outcome.problem if outcome.status is CaptureStatus.NEEDS_REVIEW else None,
            "received_at": capture.received_at,
            "media": capture.media.model_dump(mode="json") if capture.media else None,
            "provenance": capture.provenance.model_dump(mode="json") if capture.provenance else None,
            "receipt": capture.receipt.model_dump(mode="json") if capture.receipt else None,
        },
    ).first()
    if claimed is None:
        return None
    _apply(uow, capture, context, user_id, language, outcome)
    if capture.completes is not None and outcome.kind is ReplyKind.RECORDED:
        _complete_earlier(uow, capture, context, user_id)

    uow.record(
        Event(
            "capture.received",
            context.id,
            user_id,
            "capture",
            capture.capture_id,
            after={
                "status": outcome.status.value,
                "intent": intent.value,
                "idempotency_key": capture.idempotency_key,
            },
            capture_id=capture.capture_id,
        )
    )
    reply = ReplyV1(
        reply_id=uuid7(),
        capture_id=capture.capture_id,
        idempotency_key=capture.idempotency_key,
        edge_id=capture.edge_id,
        platform=capture.platform,
        chat_id=capture.chat_id,
        in_reply_to=capture.message_id,
        language=language,
        kind=outcome.kind,
        transactions=tuple(outcome.transactions),
        problem=outcome.problem,
        answer=outcome.answer,
        heard=_heard(capture, outcome.problem),
        created_at=dt.datetime.now(dt.UTC),
    )
    uow.publish(replies_stream(capture.edge_id), reply.model_dump_json())
    return reply

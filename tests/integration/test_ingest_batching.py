"""A batch of captures on a real PostgreSQL: read ahead and written at once, with the same effects.

The SQL unit of work reads ahead for a batch and keeps claims and transactions back
(``adapters.batching``). These tests hold it to three things: a scripted batch of every kind of
chat command gives the same replies and rows as the same batch run statement by statement; a
batch of known senders costs a fixed number of statements, not a few per capture; and a claim
that races another transaction is never recorded twice.
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, event, text

from financy.core.adapters.repositories import (
    SqlBudgets,
    SqlCaptures,
    SqlCategories,
    SqlContexts,
    SqlTransactions,
)
from financy.core.adapters.unit_of_work import SqlAlchemyUnitOfWork
from financy.core.contracts.v1 import (
    BudgetRequest,
    CaptureV1,
    Intent,
    ProposedTransaction,
    ReplyV1,
    Sender,
    Understanding,
    idempotency_key,
)
from financy.core.domain.commands import Command
from financy.core.service.bootstrap import bootstrap
from financy.core.service.handlers import command_for
from financy.core.service.handlers.users import ContextDefaults
from financy.core.service.intake import chat_message
from financy.core.service.messagebus import MessageBus
from financy.core.service.unit_of_work import AmountsQuery, CaptureClaim, ConcurrentClaimError

pytestmark = pytest.mark.integration

DEFAULTS = ContextDefaults()
AT = dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC)


class UnbatchedUnitOfWork(SqlAlchemyUnitOfWork):
    """The SQL unit of work that ignores :meth:`expect`: every statement at once, as before."""

    def expect(self, commands: Sequence[Command]) -> None:
        del commands


def capture(
    chat: str, n: int, understanding: Understanding | None, *, sender: str | None = None
) -> CaptureV1:
    return CaptureV1(
        capture_id=uuid.uuid4(),
        idempotency_key=idempotency_key("devchat", chat, str(n)),
        edge_id="edge-batch",
        platform="devchat",
        chat_id=chat,
        message_id=str(n),
        sender=Sender(platform_user_id=sender or chat, display_name="Ana"),
        received_at=AT + dt.timedelta(minutes=n),
        text=f"message {n}",
        understanding=understanding,
    )


def spend(
    amount: str, merchant: str | None = "Padaria", category: str = "groceries", **kw: Any
) -> Understanding:
    return Understanding(
        language="pt",
        intent=Intent.RECORD,
        transactions=(
            ProposedTransaction(amount=Decimal(amount), merchant=merchant, category=category, **kw),
        ),
        confidence=0.9,
    )


def said(intent: Intent, **kw: Any) -> Understanding:
    return Understanding(language="pt", intent=intent, confidence=0.9, **kw)


def script(run: str) -> list[CaptureV1]:
    """One batch: first contacts, histories, an unusual amount and its "sim", undo, a duplicate in
    the batch, merchant memory, a budget crossed twice, a second ledger's chat, questions."""
    a, b, c = f"{run}-a", f"{run}-b", f"{run}-c"
    out = [capture(a, 1, spend("10.50"))]
    out += [
        capture(a, n, spend(amount)) for n, amount in enumerate(["11", "9.75", "12", "10", "11.2"], start=2)
    ]
    out += [
        capture(b, 1, spend("30", merchant=None, category="transport")),
        capture(a, 7, spend("950")),  # unusual for this bakery: asked
        capture(a, 8, said(Intent.CONFIRM)),  # "sim": recorded
        capture(b, 2, spend("31.3333", merchant="Uber", category="transport")),
        capture(a, 9, spend("10.1")),  # stored as 10.1000
        capture(a, 9, spend("10.1")),  # the same message again in the batch: a duplicate
        capture(a, 10, said(Intent.UNDO)),
        capture(b, 3, said(Intent.RECATEGORIZE, category="travel")),  # Uber remembered as travel
        capture(b, 4, spend("40", merchant="uber", category="transport")),  # -> travel
        capture(c, 1, said(Intent.BUDGET, budget=BudgetRequest(amount=Decimal(100), category="groceries"))),
        capture(c, 2, spend("85", merchant="Mercado")),  # 85 %: alert
        capture(c, 3, spend("20", merchant="Mercado")),  # 105 %: alert
        capture(c, 4, spend("1", merchant="Mercado")),  # nothing new
        capture(b, 5, spend("12", currency="XYZ")),  # unknown currency: asked
        capture(a, 11, spend("11", occurred_on=dt.date(2026, 11, 1))),  # older date, same bakery
        capture(a, 12, spend("10", merchant="PADARIA")),  # the same merchant, other case
        capture(c, 5, said(Intent.SUMMARY)),
        capture(a, 13, None),  # not understood
    ]
    return out


def normal(value: Any, run: str, ids: dict[str, str]) -> Any:
    """``value`` with this run's names and every generated id replaced by stable stand-ins."""
    if isinstance(value, dict):
        return {
            k: ("<time>" if k in {"created_at", "received_at"} else normal(v, run, ids))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [normal(v, run, ids) for v in value]
    if isinstance(value, str):
        value = value.replace(run, "RUN")
        try:
            uuid.UUID(value)
        except ValueError:
            return value
        return ids.setdefault(value, f"<id{len(ids)}>")
    return value


def run_batch(bus: MessageBus, captures: Sequence[CaptureV1]) -> list[ReplyV1 | None]:
    return list(bus.handle_many([command_for(c) for c in captures]).results)


def state(engine: Engine, run: str) -> list[tuple[Any, ...]]:
    """The run's captures and transactions, as rows comparable across runs."""
    with engine.connect() as conn:
        captures = conn.execute(
            text(
                "SELECT replace(chat_id, :run, 'RUN'), message_id, status, problem, language, intent"
                " FROM captures WHERE chat_id LIKE :like ORDER BY chat_id, message_id::int"
            ),
            {"run": run, "like": f"{run}-%"},
        ).all()
        transactions = conn.execute(
            text(
                "SELECT replace(c.chat_id, :run, 'RUN'), c.message_id, t.kind, t.amount, t.currency,"
                " t.occurred_on, t.merchant, t.category, t.status, t.base_amount, t.fx_source"
                " FROM transactions t JOIN captures c ON c.id = t.capture_id"
                " WHERE c.chat_id LIKE :like ORDER BY c.chat_id, c.message_id::int, t.amount"
            ),
            {"run": run, "like": f"{run}-%"},
        ).all()
        alerts = conn.execute(
            text(
                "SELECT ba.threshold FROM budget_alerts ba JOIN budgets b ON b.id = ba.budget_id"
                " JOIN chat_bindings cb ON cb.context_id = b.context_id WHERE cb.chat_id = :c ORDER BY 1"
            ),
            {"c": f"{run}-c"},
        ).all()
    return [tuple(r) for r in [*captures, *transactions, *alerts]]


def test_a_batch_gives_the_same_replies_and_rows_read_ahead_or_not(engine: Engine) -> None:
    """GIVEN one scripted batch of every kind of chat command WHEN it runs read ahead and
    written at once, and again (other chats) statement by statement THEN the replies and the
    stored captures, transactions and alerts are the same."""
    runs = {}
    for name, factory in (
        ("batched", lambda: SqlAlchemyUnitOfWork(engine)),
        ("unbatched", lambda: UnbatchedUnitOfWork(engine)),
    ):
        run = f"bt{uuid.uuid4().hex[:6]}"
        bus = bootstrap(uow_factory=factory, defaults=DEFAULTS)
        replies = run_batch(bus, script(run))
        ids: dict[str, str] = {}
        runs[name] = (
            [None if r is None else normal(r.model_dump(mode="json"), run, ids) for r in replies],
            state(engine, run),
        )
    batched, unbatched = runs["batched"], runs["unbatched"]
    kinds = [r and r["kind"] for r in batched[0]]
    # The script reaches what it means to: asked, confirmed, undone, a duplicate, alerts.
    assert kinds[7:13] == ["confirm_request", "recorded", "recorded", "recorded", None, "undone"]
    assert "budget_set" in kinds
    assert "question" in kinds
    assert [len(r["budget_alerts"]) for r in batched[0][16:19] if r] == [1, 1, 0]
    assert batched[0] == unbatched[0]
    assert batched[1] == unbatched[1]
    assert any(str(row[3]) == "10.1000" for row in batched[1] if len(row) > 6)


class Statements:
    """Counts the statements run on an engine (a SQLAlchemy ``before_cursor_execute`` listener)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.seen: list[str] = []

    def _note(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self.seen.append(statement)

    def __enter__(self) -> Statements:
        event.listen(self.engine, "before_cursor_execute", self._note)
        return self

    def __exit__(self, *args: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._note)


def test_a_batch_of_known_senders_costs_a_fixed_number_of_statements(engine: Engine) -> None:
    """GIVEN 20 chats whose senders are known WHEN a batch of 20 records, and one of 40, is
    ingested THEN each costs the same few statements (never a few per capture)."""
    run = f"bs{uuid.uuid4().hex[:6]}"
    chats = [f"{run}-{i}" for i in range(20)]
    bus = bootstrap(engine=engine, defaults=DEFAULTS)
    run_batch(bus, [capture(chat, 1, spend("10")) for chat in chats])  # first contact
    counts = []
    for size, first in ((20, 2), (40, 3)):
        batch = [capture(chats[i % 20], first + i // 20, spend("11")) for i in range(size)]
        with Statements(engine) as statements:
            replies = run_batch(bus, batch)
        assert [r and r.kind.value for r in replies] == ["recorded"] * size
        counts.append(len(statements.seen))
    # senders, recent amounts, taken keys, budgets, claims, transactions, events, outbox (+ BEGIN/COMMIT noise)
    assert counts[0] == counts[1]
    assert counts[0] <= 10, counts


def test_a_claim_raced_by_another_transaction_is_recorded_once(engine: Engine) -> None:
    """GIVEN a batch whose capture another transaction claims after the batch looked WHEN the
    batch writes THEN it runs again, finds the capture taken and answers it as a duplicate."""
    run = f"br{uuid.uuid4().hex[:6]}"
    chat = f"{run}-a"
    bus = bootstrap(engine=engine, defaults=DEFAULTS)
    run_batch(bus, [capture(chat, 1, spend("10"))])
    raced = capture(chat, 2, spend("12"))
    other = capture(chat, 3, spend("13"))
    attempts: list[int] = []

    class Racing(SqlAlchemyUnitOfWork):
        def commit(self) -> None:
            attempts.append(1)
            if len(attempts) == 1:  # another process records the same capture meanwhile
                done = threading.Event()

                def elsewhere() -> None:
                    bootstrap(engine=engine, defaults=DEFAULTS).handle(command_for(raced))
                    done.set()

                threading.Thread(target=elsewhere).start()
                assert done.wait(30)
            super().commit()

    replies = run_batch(bootstrap(uow_factory=lambda: Racing(engine), defaults=DEFAULTS), [raced, other])
    assert len(attempts) == 2
    assert replies[0] is None
    assert replies[1] is not None
    assert replies[1].kind.value == "recorded"
    with engine.connect() as conn:
        got = conn.execute(
            text(
                "SELECT c.message_id, count(t.id) FROM captures c LEFT JOIN transactions t ON t.capture_id = c.id"
                " WHERE c.chat_id = :c GROUP BY 1 ORDER BY 1"
            ),
            {"c": chat},
        ).all()
    assert [tuple(r) for r in got] == [("1", 1), ("2", 1), ("3", 1)]


@pytest.fixture
def conn(engine: Engine) -> Iterator[Any]:
    with engine.connect() as connection, connection.begin() as tx:
        yield connection
        tx.rollback()


def test_known_senders_finds_each_known_sender_at_once(engine: Engine) -> None:
    """GIVEN two chats with known senders and one unknown WHEN known_senders THEN the two, as
    known_sender gives each, and not the unknown."""
    run = f"bk{uuid.uuid4().hex[:6]}"
    bus = bootstrap(engine=engine, defaults=DEFAULTS)
    run_batch(bus, [capture(f"{run}-a", 1, spend("10")), capture(f"{run}-b", 1, spend("10"))])
    with engine.connect() as conn:
        contexts = SqlContexts(conn)
        keys = [("devchat", f"{run}-{x}", f"{run}-{x}") for x in "abz"]
        found = contexts.known_senders(keys + keys[:1])
        assert set(found) == set(keys[:2])
        for key in keys[:2]:
            assert found[key] == contexts.known_sender(*key)
        with_archived = contexts.known_senders_archived(keys)
        assert [archived for _, archived in with_archived.values()] == [None, None]


def test_claim_many_inserts_free_keys_and_taken_names_kept_ones(conn: Any) -> None:
    """GIVEN one capture kept WHEN claim_many of it and a new one THEN only the new key is
    inserted, and taken names both afterwards; duplicate keys are refused."""
    run = f"bc{uuid.uuid4().hex[:6]}"
    context_id = _context(conn, run)
    captures = SqlCaptures(conn)
    first, second = (chat_message(capture(f"{run}-a", n, spend("1"))) for n in (1, 2))
    claim = lambda m: CaptureClaim(m, context_id, None, "pt", "recorded", None)  # noqa: E731
    assert captures.claim(
        first, context_id=context_id, author_id=None, language="pt", status="recorded", problem=None
    )
    assert captures.taken([first.idempotency_key, second.idempotency_key]) == {first.idempotency_key}
    assert captures.claim_many([claim(second), claim(first)]) == {second.idempotency_key}
    assert captures.taken([first.idempotency_key, second.idempotency_key, "x"]) == {
        first.idempotency_key,
        second.idempotency_key,
    }
    assert captures.claim_many([]) == set()
    with pytest.raises(ValueError, match="distinct"):
        captures.claim_many([claim(first), claim(first)])


def _context(conn: Any, run: str) -> uuid.UUID:
    context_id = uuid.uuid4()
    conn.execute(
        text(
            "INSERT INTO contexts (id, name, type, base_currency, time_zone, locale)"
            " VALUES (:id, :n, 'personal', 'BRL', 'America/Sao_Paulo', 'pt-BR')"
        ),
        {"id": context_id, "n": run},
    )
    return context_id


def test_recent_amounts_many_answers_each_question_as_recent_amounts(engine: Engine) -> None:
    """GIVEN a ledger with bakery and transport history WHEN recent_amounts_many asks by
    merchant (any case), by category, with neither and with a small limit THEN each answer is
    recent_amounts' own, and the rows carry their order keys and the transaction's now()."""
    run = f"ba{uuid.uuid4().hex[:6]}"
    chat = f"{run}-a"
    bus = bootstrap(engine=engine, defaults=DEFAULTS)
    run_batch(bus, [capture(chat, n, spend(str(10 + n), merchant="Padaria")) for n in range(1, 6)])
    run_batch(bus, [capture(chat, 6, spend("7", merchant=None, category="transport"))])
    with engine.connect() as conn:
        context_id = conn.execute(
            text("SELECT context_id FROM captures WHERE chat_id = :c LIMIT 1"), {"c": chat}
        ).scalar_one()
        transactions = SqlTransactions(conn)
        queries = [
            AmountsQuery(context_id, "expense", "BRL", merchant="PADARIA"),
            AmountsQuery(context_id, "expense", "BRL", category="transport"),
            AmountsQuery(context_id, "expense", "BRL", category="groceries", limit=2),
            AmountsQuery(context_id, "expense", "BRL"),
            AmountsQuery(context_id, "expense", "USD", merchant="padaria"),
        ]
        many = transactions.recent_amounts_many(queries)
        for q in queries:
            assert many[q] == transactions.recent_amounts(
                q.context_id,
                kind=q.kind,
                currency=q.currency,
                merchant=q.merchant,
                category=q.category,
                limit=q.limit,
            )
        assert many[queries[0]] == [
            Decimal(a) for a in ("15.0000", "14.0000", "13.0000", "12.0000", "11.0000")
        ]
        rows, now = transactions.recent_amount_rows(queries[:1])
        assert now is not None
        assert [r.amount for r in rows[queries[0]]] == many[queries[0]]
        assert transactions.recent_amount_rows([]) == ({}, None)


def test_remembered_many_and_budgets_of_contexts(engine: Engine) -> None:
    """GIVEN a ledger remembering Uber as travel, with a groceries budget, and one with neither
    WHEN remembered_many and of_contexts ask about both THEN each is what the single look-up gives."""
    run = f"bm{uuid.uuid4().hex[:6]}"
    a, b = f"{run}-a", f"{run}-b"
    bus = bootstrap(engine=engine, defaults=DEFAULTS)
    run_batch(
        bus,
        [
            capture(a, 1, spend("30", merchant="Uber", category="transport")),
            capture(a, 2, said(Intent.RECATEGORIZE, category="travel")),
            capture(
                a, 3, said(Intent.BUDGET, budget=BudgetRequest(amount=Decimal(100), category="groceries"))
            ),
            capture(b, 1, spend("10")),
        ],
    )
    with engine.connect() as conn:
        ids = [
            conn.execute(
                text("SELECT context_id FROM captures WHERE chat_id = :c LIMIT 1"), {"c": c}
            ).scalar_one()
            for c in (a, b)
        ]
        categories, budgets = SqlCategories(conn), SqlBudgets(conn)
        remembered = categories.remembered_many({ids[0]: ["uber", "padaria", ""], ids[1]: ["uber"]})
        assert remembered == {ids[0]: {"uber": "travel"}, ids[1]: {}}
        assert remembered[ids[0]] == categories.remembered(ids[0], ["uber", "padaria"])
        assert categories.remembered_many({}) == {}
        of = budgets.of_contexts(ids)
        assert of == {ids[0]: budgets.of_context(ids[0]), ids[1]: []}
        assert [x.target for x in of[ids[0]]] == ["groceries"]
        assert budgets.of_contexts([]) == {}


def test_a_concurrent_claim_error_rolls_the_batch_back(engine: Engine) -> None:
    """GIVEN a claim kept back whose key another transaction took WHEN the unit of work writes
    THEN ConcurrentClaimError is raised and nothing of it is committed."""
    run = f"bx{uuid.uuid4().hex[:6]}"
    chat = f"{run}-a"
    bus = bootstrap(engine=engine, defaults=DEFAULTS)
    run_batch(bus, [capture(chat, 1, spend("10"))])
    raced = capture(chat, 2, spend("12"))
    command = command_for(raced)
    with SqlAlchemyUnitOfWork(engine) as uow:
        uow.expect([command])
        handler: Callable[..., Any] = bus.command_handlers[type(command)]
        assert handler(command, uow) is not None
        bootstrap(engine=engine, defaults=DEFAULTS).handle(command_for(raced))  # elsewhere, committed
        with pytest.raises(ConcurrentClaimError, match=raced.idempotency_key):
            uow.commit()
    with engine.connect() as conn:
        got = conn.execute(
            text(
                "SELECT count(*) FROM transactions t JOIN captures c ON c.id = t.capture_id"
                " WHERE c.idempotency_key = :k"
            ),
            {"k": raced.idempotency_key},
        ).scalar_one()
    assert got == 1

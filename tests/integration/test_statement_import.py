"""Statement import on real PostgreSQL through the message bus: preview writes nothing, commit adds
exactly the new lines, a re-import changes nothing, a chat capture and its statement line become
one transaction, ambiguous lines are asked about, and undo takes the whole import back."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import Engine, func, insert, select

from financy.core.adapters import orm
from financy.core.domain.errors import ForbiddenError, NotAMemberError
from financy.core.domain.import_commands import CommitImport, PreviewImport, ResolveImportLine, UndoImport
from financy.core.domain.statements import ImportStateError, ParsedStatement, StatementFormat, StatementLine
from financy.core.service.bootstrap import bootstrap
from financy.core.service.messagebus import MessageBus
from tests.support.api import Member, chat, new_user, spend

pytestmark = pytest.mark.integration

D = dt.date(2026, 11, 10)


@pytest.fixture
def bus(engine: Engine) -> MessageBus:
    return bootstrap(engine=engine)


def statement(*lines: tuple[str, str, dt.date, str | None]) -> ParsedStatement:
    """Lines of (amount, payee, date, FITID)."""
    return ParsedStatement(
        StatementFormat.OFX,
        tuple(
            StatementLine(
                line_no=i + 1, occurred_on=day, amount=Decimal(amount), payee=payee, external_id=fitid
            )
            for i, (amount, payee, day, fitid) in enumerate(lines)
        ),
        currency="BRL",
        account="0001-9",
    )


def preview(bus: MessageBus, member: Member, parsed: ParsedStatement, **kw: object) -> uuid.UUID:
    import_id: uuid.UUID = bus.handle(
        PreviewImport(member.user_id, member.context_id, parsed, "extrato.ofx", "0" * 64, 100, **kw)  # type: ignore[arg-type]
    )
    return import_id


def import_(bus: MessageBus, member: Member, parsed: ParsedStatement) -> tuple[uuid.UUID, dict[str, int]]:
    import_id = preview(bus, member, parsed)
    counts: dict[str, int] = bus.handle(CommitImport(member.user_id, member.context_id, import_id))
    return import_id, counts


def ledger(engine: Engine, context_id: uuid.UUID) -> list[tuple[dt.date, str, str, str, str | None]]:
    tx = orm.transactions
    with engine.connect() as conn:
        rows = conn.execute(
            select(tx.c.occurred_on, tx.c.kind, tx.c.amount, tx.c.merchant, tx.c.category)
            .where(tx.c.context_id == context_id, tx.c.status == "recorded")
            .order_by(tx.c.occurred_on, tx.c.amount, tx.c.merchant)
        ).all()
    return [(r.occurred_on, r.kind, f"{r.amount:.2f}", r.merchant, r.category) for r in rows]


FARES = statement(
    ("-4.40", "METRO SP", D, None),
    ("-4.40", "METRO SP", D, None),
    ("2500.00", "ACME LTDA SALARIO", D, None),
    ("-120.00", "PADARIA REAL", D + dt.timedelta(days=1), None),
)


def test_a_preview_writes_nothing_and_the_commit_adds_every_new_line(engine: Engine, bus: MessageBus) -> None:
    member = new_user(engine)
    import_id = preview(bus, member, FARES)
    assert ledger(engine, member.context_id) == []
    counts = bus.handle(CommitImport(member.user_id, member.context_id, import_id))
    assert counts == {"add": 4, "duplicate": 0, "merge": 0, "ambiguous": 0, "invalid": 0}
    assert ledger(engine, member.context_id) == [
        (D, "expense", "4.40", "METRO SP", None),
        (D, "expense", "4.40", "METRO SP", None),
        (D, "income", "2500.00", "ACME LTDA SALARIO", None),
        (D + dt.timedelta(days=1), "expense", "120.00", "PADARIA REAL", None),
    ]
    with engine.connect() as conn:
        sources = conn.execute(
            select(
                orm.transactions.c.source_channel,
                orm.transactions.c.author_id,
                orm.transactions.c.base_amount,
            ).where(orm.transactions.c.context_id == member.context_id)
        ).all()
    assert {(s, a) for s, a, _ in sources} == {("import", member.user_id)}
    assert sorted(b for _, _, b in sources) == [
        Decimal("4.4"),
        Decimal("4.4"),
        Decimal("120"),
        Decimal("2500"),
    ]
    with pytest.raises(ImportStateError):  # a committed import is not committed twice
        bus.handle(CommitImport(member.user_id, member.context_id, import_id))


def test_the_same_file_twice_changes_nothing_and_an_overlapping_one_adds_only_what_is_new(
    engine: Engine, bus: MessageBus
) -> None:
    member = new_user(engine)
    import_(bus, member, FARES)
    _, again = import_(bus, member, FARES)
    assert again == {"add": 0, "duplicate": 4, "merge": 0, "ambiguous": 0, "invalid": 0}
    overlapping = statement(
        ("-4.40", "METRO SP", D, None),
        ("-4.40", "METRO SP", D, None),
        ("-4.40", "METRO SP", D, None),  # a third fare that day: genuinely new
        ("-89.90", "POSTO IPIRANGA", D + dt.timedelta(days=2), None),
    )
    _, counts = import_(bus, member, overlapping)
    assert (counts["add"], counts["duplicate"]) == (2, 2)
    fares = [row for row in ledger(engine, member.context_id) if row[3] == "METRO SP"]
    assert len(fares) == 3
    assert len(ledger(engine, member.context_id)) == 6


def test_bank_ids_decide_when_the_file_has_them(engine: Engine, bus: MessageBus) -> None:
    member = new_user(engine)
    first = statement(("-4.40", "METRO SP", D, "F1"), ("-4.40", "METRO SP", D, "F2"))
    import_(bus, member, first)
    _, counts = import_(
        bus, member, statement(("-4.40", "METRO SP", D, "F2"), ("-4.40", "METRO SP", D, "F3"))
    )
    assert (counts["add"], counts["duplicate"]) == (1, 1)
    assert len(ledger(engine, member.context_id)) == 3


def test_a_chat_capture_and_its_statement_line_become_one_transaction(
    engine: Engine, bus: MessageBus
) -> None:
    member = new_user(engine)
    chat(engine, member, spend("45.90", D - dt.timedelta(days=1), "groceries", "mercado"))
    ((told_on, _, _, _, category),) = ledger(engine, member.context_id)
    assert (told_on, category) == (D - dt.timedelta(days=1), "groceries")
    import_id, counts = import_(bus, member, statement(("-45.90", "SUPERMERCADO MERCADO EXTRA", D, "X9")))
    assert (counts["merge"], counts["add"]) == (1, 0)
    # one transaction: the bank's date, the capture's category and merchant, both sources kept
    assert ledger(engine, member.context_id) == [(D, "expense", "45.90", "mercado", "groceries")]
    with engine.connect() as conn:
        tx = conn.execute(
            select(orm.transactions).where(orm.transactions.c.context_id == member.context_id)
        ).one()
        line = conn.execute(
            select(orm.statement_lines).where(orm.statement_lines.c.import_id == import_id)
        ).one()
    assert tx.capture_id is not None
    assert (line.outcome, line.transaction_id, line.external_id) == ("merge", tx.id, "X9")
    # the same statement again merges nothing more and adds nothing
    _, again = import_(bus, member, statement(("-45.90", "SUPERMERCADO MERCADO EXTRA", D, "X9")))
    assert again["duplicate"] == 1
    # undo gives the capture its own date back and keeps it
    assert bus.handle(UndoImport(member.user_id, member.context_id, import_id)) == {
        "reversed": 0,
        "unmerged": 1,
    }
    assert ledger(engine, member.context_id) == [
        (D - dt.timedelta(days=1), "expense", "45.90", "mercado", "groceries")
    ]


def test_an_ambiguous_line_is_asked_about_and_answered(engine: Engine, bus: MessageBus) -> None:
    member = new_user(engine)
    chat(engine, member, spend("30.00", D, "restaurants", "padaria"), spend("30.00", D, "health", "farmacia"))
    import_id, counts = import_(bus, member, statement(("-30.00", "PAG*JOSE DA SILVA", D, None)))
    assert counts["ambiguous"] == 1
    assert len(ledger(engine, member.context_id)) == 2  # nothing guessed, nothing added
    with engine.connect() as conn:
        line = conn.execute(
            select(orm.statement_lines).where(orm.statement_lines.c.import_id == import_id)
        ).one()
        farmacia = conn.execute(
            select(orm.transactions.c.id).where(
                orm.transactions.c.context_id == member.context_id, orm.transactions.c.merchant == "farmacia"
            )
        ).scalar_one()
    assert sorted(line.candidates) == sorted(str(i) for i in _ids(engine, member.context_id))
    assert str(farmacia) in line.candidates
    with pytest.raises(ImportStateError):
        bus.handle(ResolveImportLine(member.user_id, member.context_id, import_id, 1, uuid.uuid4()))
    assert bus.handle(ResolveImportLine(member.user_id, member.context_id, import_id, 1, farmacia)) == "merge"
    assert len(ledger(engine, member.context_id)) == 2
    with pytest.raises(ImportStateError):  # answered once
        bus.handle(ResolveImportLine(member.user_id, member.context_id, import_id, 1, None))


def _ids(engine: Engine, context_id: uuid.UUID) -> list[uuid.UUID]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                select(orm.transactions.c.id).where(orm.transactions.c.context_id == context_id)
            ).scalars()
        )


def test_undo_takes_the_whole_import_back_and_a_new_import_adds_it_again(
    engine: Engine, bus: MessageBus
) -> None:
    member = new_user(engine)
    import_id, _ = import_(bus, member, FARES)
    assert bus.handle(UndoImport(member.user_id, member.context_id, import_id)) == {
        "reversed": 4,
        "unmerged": 0,
    }
    assert ledger(engine, member.context_id) == []
    with pytest.raises(ImportStateError):
        bus.handle(UndoImport(member.user_id, member.context_id, import_id))
    _, counts = import_(bus, member, FARES)
    assert counts["add"] == 4


def test_lines_that_cannot_be_recorded_are_kept_as_invalid_and_the_rest_imported(
    engine: Engine, bus: MessageBus
) -> None:
    member = new_user(engine)
    future = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=30)
    parsed = statement(
        ("0.00", "TARIFA ZERADA", D, None),
        ("-10.001", "TOO MANY DECIMALS", D, None),
        ("-15.00", "DAQUI A UM MES", future, None),
        ("-22.00", "OK", D, None),
    )
    import_id, counts = import_(bus, member, parsed)
    assert counts == {"add": 1, "duplicate": 0, "merge": 0, "ambiguous": 0, "invalid": 3}
    with engine.connect() as conn:
        reasons = (
            conn.execute(
                select(orm.statement_lines.c.reason)
                .where(orm.statement_lines.c.import_id == import_id)
                .order_by(orm.statement_lines.c.line_no)
            )
            .scalars()
            .all()
        )
    assert reasons == ["zero_amount", "amount", "future_date", "new"]


def test_a_statement_in_another_currency_keeps_its_own(engine: Engine, bus: MessageBus) -> None:
    member = new_user(engine)
    parsed = ParsedStatement(
        StatementFormat.CSV,
        (StatementLine(line_no=2, occurred_on=D, amount=Decimal("-12.00"), payee="LUNCH NYC"),),
        currency=None,
    )
    import_id = preview(bus, member, parsed, currency="USD")
    bus.handle(CommitImport(member.user_id, member.context_id, import_id))
    with engine.connect() as conn:
        row = conn.execute(
            select(
                orm.transactions.c.currency, orm.transactions.c.amount, orm.transactions.c.base_currency
            ).where(orm.transactions.c.context_id == member.context_id)
        ).one()
    assert (row.currency, row.amount) == ("USD", Decimal("12.0000"))


def test_only_members_who_may_record_import_and_only_editors_undo(engine: Engine, bus: MessageBus) -> None:
    owner, viewer, stranger = new_user(engine), new_user(engine), new_user(engine)
    with engine.begin() as conn:
        conn.execute(
            insert(orm.members).values(context_id=owner.context_id, user_id=viewer.user_id, role="viewer")
        )
    with pytest.raises(ForbiddenError):
        bus.handle(PreviewImport(viewer.user_id, owner.context_id, FARES, "x.ofx", "0" * 64, 1))
    with pytest.raises(NotAMemberError):
        bus.handle(PreviewImport(stranger.user_id, owner.context_id, FARES, "x.ofx", "0" * 64, 1))
    import_id, _ = import_(bus, owner, FARES)
    with pytest.raises(ForbiddenError):
        bus.handle(UndoImport(viewer.user_id, owner.context_id, import_id))
    with pytest.raises(NotAMemberError):
        bus.handle(CommitImport(stranger.user_id, owner.context_id, import_id))
    with engine.connect() as conn:
        n = conn.execute(
            select(func.count())
            .select_from(orm.statement_imports)
            .where(orm.statement_imports.c.context_id == owner.context_id)
        ).scalar_one()
    assert n == 1

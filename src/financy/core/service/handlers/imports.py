"""Statement imports: preview a parsed file, commit it in one transaction, answer an ambiguous
line, and undo the whole import.

The plan of each line comes from :func:`financy.core.domain.matching.plan_import`; a preview
stores it, a commit makes it again against the ledger as it is then (so a capture recorded
between preview and commit is still merged, and two commits of one file never both add) under
a per-ledger lock. Added transactions have source channel ``import``, the importing member as
author and payer, the category the ledger remembers for the payee (else the file's own category
when it names one of the taxonomy), and their base amount valued like any other. A merge keeps
the capture's category, items and original, takes the bank's date and amount, and records the
line as the transaction's second source (``statement_lines.transaction_id``). Budget alerts are
not sent for imported lines (a statement of last month would alert about the past).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import uuid
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from financy.core.domain.authorization import Action, authorize
from financy.core.domain.editing import EditingError, check_amount
from financy.core.domain.errors import UnknownCurrencyError
from financy.core.domain.events import Event
from financy.core.domain.import_commands import CommitImport, PreviewImport, ResolveImportLine, UndoImport
from financy.core.domain.matching import (
    MERGE_DAYS_AFTER,
    MERGE_DAYS_BEFORE,
    LineDecision,
    LineOutcome,
    cached_merchant_key,
    payee_key,
    plan_import,
)
from financy.core.domain.model import (
    LedgerContext,
    Money,
    Transaction,
    TransactionStatus,
    normalize_currency,
)
from financy.core.domain.statements import (
    ImportNotFoundError,
    ImportStateError,
    StatementLine,
    category_of_text,
)
from financy.core.service.handlers.chat import local_date
from financy.core.service.handlers.editing import audited
from financy.core.service.registry import Registration
from financy.core.service.statements_port import ImportLine, ImportRecord
from financy.core.service.unit_of_work import AbstractUnitOfWork
from financy.core.service.valuation import IDENTITY, RateCache, value_transaction
from financy.runtime.ids import uuid7

#: Widest date window the matcher looks at around a statement's lines, in days.
WINDOW_DAYS = max(MERGE_DAYS_BEFORE, MERGE_DAYS_AFTER) + 1


def _authorized(
    uow: AbstractUnitOfWork, context_id: uuid.UUID, actor_id: uuid.UUID, action: Action
) -> LedgerContext:
    context = uow.contexts.get(context_id)
    authorize(None if context is None else uow.contexts.role_of(context_id, actor_id), action)
    assert context is not None
    return context


def _known_currency(currency: str, seen: dict[str, bool]) -> bool:
    """Whether ``currency`` is one :func:`normalize_currency` takes (asked once per code)."""
    found = seen.get(currency)
    if found is None:
        try:
            normalize_currency(currency)
            found = True
        except UnknownCurrencyError:
            found = False
        seen[currency] = found
    return found


def _checked(
    line: StatementLine, currency: str, today: dt.date, seen: dict[str, bool] | None = None
) -> str | None:
    """Why ``line`` cannot be recorded (a reason key), or ``None``; ``seen`` remembers the
    currencies already checked (one import asks about a few codes 100,000 times)."""
    if not _known_currency(currency, {} if seen is None else seen):
        return "unknown_currency"
    try:
        check_amount(abs(line.amount), currency)
    except EditingError:
        return "zero_amount" if line.amount == 0 else "amount"
    if line.occurred_on > today + dt.timedelta(days=1):
        return "future_date"
    return None


def _plan(
    uow: AbstractUnitOfWork,
    context: LedgerContext,
    lines: Sequence[StatementLine],
    *,
    account: str,
    currency: str,
    today: dt.date,
) -> list[LineDecision]:
    """The plan for ``lines`` against the ledger now: the matcher's, with lines that cannot be
    recorded marked invalid first."""
    good: list[StatementLine] = []
    bad: dict[int, LineDecision] = {}
    seen: dict[str, bool] = {}
    for line in lines:
        cur = line.currency or currency
        reason = _checked(line, cur, today, seen)
        if reason is None:
            good.append(line)
        else:
            bad[line.line_no] = LineDecision(line, cur, LineOutcome.INVALID, reason)
    planned: dict[int, LineDecision] = {}
    if good:
        start = min(line.occurred_on for line in good) - dt.timedelta(days=WINDOW_DAYS)
        end = max(line.occurred_on for line in good) + dt.timedelta(days=WINDOW_DAYS)
        planned = {
            d.line.line_no: d
            for d in plan_import(
                good,
                account=account,
                currency=currency,
                known=uow.statements.known_lines(context.id, start, end, account),
                captures=uow.statements.capture_candidates(context.id, start, end),
            )
        }
    return [bad.get(line.line_no) or planned[line.line_no] for line in lines]


@functools.lru_cache(maxsize=4096)
def _category_of_text(text: str | None) -> str | None:
    """:func:`category_of_text`, remembered (a file repeats its few category texts)."""
    return category_of_text(text)


def _stored(decision: LineDecision, **changes: Any) -> ImportLine:
    line = decision.line
    stored = ImportLine(
        line_no=line.line_no,
        occurred_on=line.occurred_on,
        amount=line.amount,
        currency=decision.currency,
        payee=(line.payee or None) and line.payee[:200],
        payee_key=payee_key(line),
        memo=(line.memo or None) and line.memo[:500],
        external_id=line.external_id,
        category=line.category,
        outcome=decision.outcome.value,
        reason=decision.reason,
        transaction_id=decision.transaction_id,
        candidates=decision.candidates,
    )
    return dataclasses.replace(stored, **changes) if changes else stored


def _statement_line(line: ImportLine) -> StatementLine:
    return StatementLine(
        line_no=line.line_no,
        occurred_on=line.occurred_on,
        amount=line.amount,
        currency=line.currency,
        payee=line.payee,
        memo=line.memo,
        external_id=line.external_id,
        category=line.category,
    )


def counts_of(lines: Sequence[ImportLine]) -> dict[str, int]:
    """Return ``{outcome: number of lines}`` with every outcome present."""
    found = Counter(line.outcome for line in lines)
    return {o.value: found.get(o.value, 0) for o in LineOutcome}


def preview_import(cmd: PreviewImport, uow: AbstractUnitOfWork) -> uuid.UUID:
    """Store ``cmd.statement`` as a previewed import with every line's planned outcome; return its id.

    Raises:
        NotAMemberError, ForbiddenError: the actor may not record in the context.
        UnknownCurrencyError: ``cmd.currency`` is not a currency.
    """
    context = _authorized(uow, cmd.context_id, cmd.actor_id, Action.RECORD)
    statement = cmd.statement
    currency = normalize_currency(cmd.currency or statement.currency or context.base_currency)
    account = (cmd.account if cmd.account is not None else statement.account or "").strip()[:200]
    today = cmd.today or local_date(dt.datetime.now(dt.UTC), context.time_zone)
    plan = _plan(uow, context, statement.lines, account=account, currency=currency, today=today)
    lines = [_stored(d) for d in plan]
    record = ImportRecord(
        id=cmd.import_id or uuid7(),
        context_id=context.id,
        created_by=cmd.actor_id,
        filename=(cmd.filename or None) and cmd.filename[-255:],
        format=statement.format.value,
        sha256=cmd.sha256,
        size_bytes=cmd.size_bytes,
        account=account,
        currency=currency,
        status="previewed",
        detected=dict(statement.detected),
        problems=[
            {"line_no": p.line_no, "reason": p.reason, "text": p.text[:200]} for p in statement.problems
        ],
        counts=counts_of(lines),
    )
    uow.statements.add_import(record)
    uow.statements.set_lines(record.id, context.id, account, lines)
    uow.record(
        Event(
            "statement_import.previewed",
            context.id,
            cmd.actor_id,
            "statement_import",
            record.id,
            after={"format": record.format, "lines": len(lines), "sha256": record.sha256},
        )
    )
    return record.id


def _found(uow: AbstractUnitOfWork, context_id: uuid.UUID, import_id: uuid.UUID) -> ImportRecord:
    record = uow.statements.get_import(context_id, import_id)
    if record is None:
        raise ImportNotFoundError(import_id)
    return record


#: How many settled lines pass between two progress reports of a commit.
PROGRESS_EVERY = 100


class _Progress:
    """Counts the lines a commit settled and tells ``report(done, total)`` every
    :data:`PROGRESS_EVERY` lines, and once all are settled."""

    def __init__(self, report: Callable[[int, int], None] | None, total: int) -> None:
        self.report, self.total, self.done, self._told = report, total, 0, -1

    def step(self, n: int = 1) -> None:
        self.done = min(self.total, self.done + max(0, n))
        if self.report is None or self.done == self._told:
            return
        if self.done - max(self._told, 0) >= PROGRESS_EVERY or self.done == self.total or self._told < 0:
            self._told = self.done
            self.report(self.done, self.total)


def _merges_left(lines: Sequence[ImportLine]) -> int:
    return sum(1 for line in lines if line.outcome == LineOutcome.MERGE.value and line.before is None)


def _new_transaction(
    uow: AbstractUnitOfWork,
    context: LedgerContext,
    line: ImportLine,
    actor_id: uuid.UUID,
    category: str | None,
    rates: RateCache | None = None,
) -> Transaction:
    money = Money(abs(line.amount), line.currency)
    valued: dict[str, Any] = {}
    if money.currency == context.base_currency:
        # What value_transaction gives a new transaction in the ledger's own currency, at once.
        valued = {
            "base_amount": money.amount,
            "base_currency": money.currency,
            "fx_rate": Decimal(1),
            "fx_date": line.occurred_on,
            "fx_source": IDENTITY,
        }
    tx = Transaction(
        id=uuid7(),
        context_id=context.id,
        kind="expense" if line.amount < 0 else "income",
        money=money,
        occurred_on=line.occurred_on,
        merchant=line.payee or (line.memo[:200] if line.memo else None),
        description=line.memo if line.payee else None,
        payment_method=None,
        installments=None,
        category=category,
        source_channel="import",
        capture_id=None,
        author_id=actor_id,
        confidence=None,
        paid_by=actor_id,
        **valued,
    )
    if valued:
        return tx
    return value_transaction(uow, tx, context.base_currency, rates)


class _Merges:
    """The transactions one commit merges lines into, read at once (locked) and saved at once.

    A transaction is taken from the read the first time a line merges into it; a second merge
    into it (an answer naming the capture another line merged into) writes what is pending and
    reads it again, as merging one line after the other does."""

    def __init__(self, uow: AbstractUnitOfWork, context_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> None:
        self.uow = uow
        self.context_id = context_id
        self.read = uow.statements.merge_targets(context_id, ids)
        self.used: set[uuid.UUID] = set()
        self.pending: list[Transaction] = []
        self.rates: RateCache = {}

    def get(self, transaction_id: uuid.UUID) -> Transaction | None:
        """The transaction as :meth:`EditsRepository.get` would give it now."""
        if transaction_id not in self.used:
            self.used.add(transaction_id)
            return self.read.get(transaction_id)
        self.flush()
        return self.uow.edits.get(self.context_id, transaction_id)

    def save(self, transaction: Transaction) -> None:
        """Save ``transaction`` (kept until :meth:`flush`)."""
        self.pending.append(transaction)

    def flush(self) -> None:
        """Write the saves kept back (one statement)."""
        if self.pending:
            self.uow.statements.save_merged(self.pending)
            self.pending = []


def _merge(
    uow: AbstractUnitOfWork,
    context: LedgerContext,
    line: ImportLine,
    transaction_id: uuid.UUID,
    actor_id: uuid.UUID,
    merges: _Merges | None = None,
) -> ImportLine:
    """Join ``line`` to the capture's transaction: the bank's date and amount, the rest kept
    (read and saved through ``merges`` when given, else one by one)."""
    old = merges.get(transaction_id) if merges is not None else uow.edits.get(context.id, transaction_id)
    if old is None or old.status is not TransactionStatus.RECORDED:
        raise ImportStateError(f"transaction {transaction_id} is not a recorded transaction of this ledger")
    new = dataclasses.replace(old, occurred_on=line.occurred_on, money=Money(abs(line.amount), line.currency))
    if new.occurred_on != old.occurred_on or new.money != old.money:
        new = value_transaction(uow, new, context.base_currency, merges.rates if merges else None)
        if merges is not None:
            merges.save(new)
        else:
            uow.edits.save(new)
    before, after = audited(old), audited(new)
    uow.record(
        Event(
            "transaction.merged",
            context.id,
            actor_id,
            "transaction",
            old.id,
            before=before,
            after=after,
            capture_id=old.capture_id,
            extra={"via": "import", "line_no": line.line_no, "external_id": line.external_id},
        )
    )
    return dataclasses.replace(
        line,
        outcome=LineOutcome.MERGE.value,
        transaction_id=old.id,
        before={"occurred_on": old.occurred_on.isoformat(), "amount": str(old.money.amount)},
    )


def _apply(
    uow: AbstractUnitOfWork,
    context: LedgerContext,
    record: ImportRecord,
    plan: Sequence[LineDecision],
    resolutions: Mapping[int, uuid.UUID | None],
    actor_id: uuid.UUID,
    progress: _Progress | None = None,
) -> list[ImportLine]:
    """Write ``plan``: new transactions, merges; return the lines as stored."""
    tally = progress or _Progress(None, len(plan))
    lines = [_stored(d) for d in plan]
    adds = [line for line in lines if line.outcome == LineOutcome.ADD.value]
    position = {line.line_no: k for k, line in reversed(list(enumerate(lines)))} if resolutions else {}
    merges = _Merges(
        uow,
        context.id,
        [
            *(c for c in resolutions.values() if c is not None),
            *(
                line.transaction_id
                for line in lines
                if line.outcome == LineOutcome.MERGE.value and line.transaction_id
            ),
        ],
    )
    for line_no, choice in resolutions.items():
        i = position.get(line_no)
        if i is None or lines[i].outcome != LineOutcome.AMBIGUOUS.value:
            raise ImportStateError(f"line {line_no} is not an ambiguous line of this import")
        if choice is not None and choice not in lines[i].candidates:
            raise ImportStateError(f"transaction {choice} is not a candidate of line {line_no}")
        if choice is None:
            lines[i] = dataclasses.replace(lines[i], outcome=LineOutcome.ADD.value, reason="answered_new")
            adds.append(lines[i])
        else:
            lines[i] = dataclasses.replace(
                _merge(uow, context, lines[i], choice, actor_id, merges), reason="answered"
            )
    # Lines with nothing to write (duplicates, unanswered ambiguous ones) and answered merges are settled.
    tally.step(sum(1 for line in lines if line.outcome != LineOutcome.ADD.value) - _merges_left(lines))
    for i, line in enumerate(lines):
        if line.outcome == LineOutcome.MERGE.value and line.before is None:
            assert line.transaction_id is not None
            lines[i] = _merge(uow, context, line, line.transaction_id, actor_id, merges)
            tally.step()
    merges.flush()
    if adds:
        remembered = uow.categories.remembered(
            context.id, sorted({cached_merchant_key(a.payee or a.memo or "") for a in adds})
        )
        rates: RateCache = {}
        created: dict[int, Transaction] = {}
        for a in adds:
            created[a.line_no] = _new_transaction(
                uow,
                context,
                a,
                actor_id,
                remembered.get(cached_merchant_key(a.payee or a.memo or "")) or _category_of_text(a.category),
                rates,
            )
            tally.step()
        uow.transactions.add(list(created.values()))
        lines = [
            dataclasses.replace(line, transaction_id=created[line.line_no].id)
            if line.line_no in created
            else line
            for line in lines
        ]
    return lines


def commit_import(cmd: CommitImport, uow: AbstractUnitOfWork) -> dict[str, int]:
    """Commit a previewed import; return the lines per outcome as committed.

    Raises:
        NotAMemberError, ForbiddenError: the actor may not record in the context.
        ImportNotFoundError: no such import in the context.
        ImportStateError: it is not a preview, or a resolution does not fit its line.
    """
    context = _authorized(uow, cmd.context_id, cmd.actor_id, Action.RECORD)
    uow.lock(f"statement-import:{context.id}")
    record = _found(uow, context.id, cmd.import_id)
    if record.status != "previewed":
        raise ImportStateError(f"the import is {record.status}, not a preview")
    today = local_date(dt.datetime.now(dt.UTC), context.time_zone)
    previewed = uow.statements.lines(record.id)
    # Lines the preview found invalid stay so (a fixed file is a new import).
    invalid = {line.line_no: line for line in previewed if line.outcome == LineOutcome.INVALID.value}
    plan = _plan(
        uow,
        context,
        [_statement_line(line) for line in previewed if line.line_no not in invalid],
        account=record.account,
        currency=record.currency,
        today=today,
    )
    tally = _Progress(cmd.progress, len(previewed))
    tally.step(len(invalid))
    lines = _apply(uow, context, record, plan, cmd.resolutions, cmd.actor_id, tally)
    lines = sorted([*lines, *invalid.values()], key=lambda line: line.line_no)
    counts = counts_of(lines)
    uow.statements.set_lines(record.id, context.id, record.account, lines)
    uow.statements.set_status(record.id, "committed", counts=counts, at=dt.datetime.now(dt.UTC))
    uow.record(
        Event(
            "statement_import.committed",
            context.id,
            cmd.actor_id,
            "statement_import",
            record.id,
            after={"counts": counts},
        )
    )
    return counts


def resolve_import_line(cmd: ResolveImportLine, uow: AbstractUnitOfWork) -> str:
    """Answer an ambiguous line of a committed import; return its outcome now (``merge`` or ``add``).

    Raises:
        NotAMemberError, ForbiddenError: the actor may not record in the context.
        ImportNotFoundError: no such import in the context.
        ImportStateError: the import is not committed, the line is not ambiguous, or the
            transaction is not one of its candidates (or no longer a recorded one).
    """
    context = _authorized(uow, cmd.context_id, cmd.actor_id, Action.RECORD)
    uow.lock(f"statement-import:{context.id}")
    record = _found(uow, context.id, cmd.import_id)
    if record.status != "committed":
        raise ImportStateError(f"the import is {record.status}: only a committed import's lines are answered")
    lines = uow.statements.lines(record.id)
    i = next((k for k, line in enumerate(lines) if line.line_no == cmd.line_no), None)
    if i is None or lines[i].outcome != LineOutcome.AMBIGUOUS.value:
        raise ImportStateError(f"line {cmd.line_no} is not an ambiguous line of this import")
    line = lines[i]
    if cmd.transaction_id is None:
        tx = _new_transaction(
            uow,
            context,
            line,
            cmd.actor_id,
            uow.categories.remembered(context.id, [line.payee_key]).get(line.payee_key),
        )
        uow.transactions.add([tx])
        lines[i] = dataclasses.replace(
            line, outcome=LineOutcome.ADD.value, reason="answered_new", transaction_id=tx.id
        )
    else:
        if cmd.transaction_id not in line.candidates:
            raise ImportStateError(
                f"transaction {cmd.transaction_id} is not a candidate of line {cmd.line_no}"
            )
        lines[i] = dataclasses.replace(
            _merge(uow, context, line, cmd.transaction_id, cmd.actor_id), reason="answered"
        )
    counts = counts_of(lines)
    uow.statements.set_lines(record.id, context.id, record.account, lines)
    uow.statements.set_status(record.id, "committed", counts=counts, at=record.committed_at)
    return lines[i].outcome


def undo_import(cmd: UndoImport, uow: AbstractUnitOfWork) -> dict[str, int]:
    """Undo a committed import; return ``{"reversed": n, "unmerged": m}``.

    Raises:
        NotAMemberError, ForbiddenError: the actor may not edit in the context.
        ImportNotFoundError: no such import in the context.
        ImportStateError: it is not committed (a preview has nothing to undo; undone is undone).
    """
    context = _authorized(uow, cmd.context_id, cmd.actor_id, Action.EDIT)
    uow.lock(f"statement-import:{context.id}")
    record = _found(uow, context.id, cmd.import_id)
    if record.status != "committed":
        raise ImportStateError(f"the import is {record.status}, not committed")
    reversed_n = unmerged = 0
    for line in uow.statements.lines(record.id):
        if line.transaction_id is None:
            continue
        tx = uow.edits.get(context.id, line.transaction_id)
        if tx is None:
            continue
        if line.outcome == LineOutcome.ADD.value and tx.status is TransactionStatus.RECORDED:
            uow.edits.save(dataclasses.replace(tx, status=TransactionStatus.REVERSED))
            reversed_n += 1
        elif line.outcome == LineOutcome.MERGE.value and line.before is not None:
            old = dataclasses.replace(
                tx,
                occurred_on=dt.date.fromisoformat(line.before["occurred_on"]),
                money=Money(Decimal(line.before["amount"]), tx.money.currency),
            )
            if old.occurred_on != tx.occurred_on or old.money != tx.money:
                uow.edits.save(value_transaction(uow, old, context.base_currency))
            unmerged += 1
    result = {"reversed": reversed_n, "unmerged": unmerged}
    uow.statements.set_status(record.id, "undone", counts=record.counts, at=dt.datetime.now(dt.UTC))
    uow.record(
        Event(
            "statement_import.undone", context.id, cmd.actor_id, "statement_import", record.id, after=result
        )
    )
    return result


REGISTRATIONS = (
    Registration(PreviewImport, preview_import),
    Registration(CommitImport, commit_import),
    Registration(ResolveImportLine, resolve_import_line),
    Registration(UndoImport, undo_import),
)

"""What becomes of each line of a statement being imported (no I/O): add, duplicate, merge, ambiguous.

The rules (Firefly III's users lose genuine identical rows to an eager hash and get overlapping
imports twice; these keep both right):

1. **The bank's own id.** A line whose ``external_id`` (OFX ``FITID``) a committed import of the
   same account already holds is a ``duplicate``; so is a second line with the same id in one file.
2. **Date, amount and payee, counted.** A line without an id known to the ledger is keyed by
   (account, date, signed amount, currency, normalised payee). Lines with one key are counted,
   not collapsed: if the ledger already knows *k* statement lines with that key (from imports
   whose lines carried no id, or another id) and the file has *n*, the first ``min(n, k)`` are
   ``duplicate`` and the rest ``add``. Two metro fares on one day are two transactions, and
   importing overlapping statements in either order leaves the same ledger (the count kept is
   the largest any file showed).
3. **One purchase, however it arrived.** A line that is not a duplicate is matched against chat
   captures not yet joined to a statement line: same currency, same amount, same direction, the
   capture's date from :data:`MERGE_DAYS_BEFORE` days before the bank's to
   :data:`MERGE_DAYS_AFTER` after (cards post a purchase a day or more later). Among several such
   captures, the ones whose merchant shares a word with the bank's payee are preferred. One
   candidate: ``merge``. Interchangeable lines (the same key) facing exactly as many candidates
   are paired in date order. Anything else with more than one candidate is ``ambiguous``: the
   user is asked; nothing is guessed.
4. **A rounded amount said in the chat.** People tell the bot "gastei 45 no mercado" for a
   45,90 purchase. A line with no capture at its exact amount meets the captures of a whole
   amount less than one unit away (45 or 46 for 45,90; same currency, direction and date
   window), not claimed by another line's exact match. One such capture whose merchant shares a
   word with the payee, claimed by no other line: ``merge`` (reason ``capture_rounded``; the
   transaction takes the bank's amount, and an undo gives back the chat's). Any other case with
   candidates: ``ambiguous`` (``captures_rounded``): asked, never guessed.
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from enum import StrEnum

from financy.core.domain.model import merchant_key
from financy.core.domain.statements import StatementLine

#: A capture may be dated this many days before the bank's date of the same purchase.
MERGE_DAYS_BEFORE = 5
#: ... or this many days after it (a purchase told the day after the card's date).
MERGE_DAYS_AFTER = 2


class LineOutcome(StrEnum):
    """What an import does with one statement line."""

    ADD = "add"  # a new transaction
    DUPLICATE = "duplicate"  # the ledger already has it from an earlier import: skipped
    MERGE = "merge"  # the statement line of a chat capture's purchase: joined to it
    AMBIGUOUS = "ambiguous"  # several captures could be it: the user is asked
    INVALID = "invalid"  # the line cannot be recorded (zero amount, unknown currency...)


@dataclass(frozen=True, slots=True)
class KnownLine:
    """A statement line of a committed import of the ledger (what dedupe compares with)."""

    account: str
    occurred_on: dt.date
    amount: Decimal  # signed
    currency: str
    payee_key: str
    external_id: str | None


@dataclass(frozen=True, slots=True)
class CaptureCandidate:
    """A recorded transaction from a chat capture, not joined to any statement line yet."""

    transaction_id: uuid.UUID
    occurred_on: dt.date
    amount: Decimal  # signed: expense negative
    currency: str
    merchant_key: str


@dataclass(frozen=True, slots=True)
class LineDecision:
    """The plan for one line: ``transaction_id`` is the capture's transaction a ``merge`` joins;
    ``candidates`` the transactions an ``ambiguous`` line could be; ``reason`` a stable key
    (``fitid``, ``fitid_repeated``, ``same_key``, ``capture``, ``captures``, ``zero_amount``...)."""

    line: StatementLine
    currency: str
    outcome: LineOutcome
    reason: str
    transaction_id: uuid.UUID | None = None
    candidates: tuple[uuid.UUID, ...] = ()


#: :func:`merchant_key` remembered for the texts last seen (a statement repeats its payees).
cached_merchant_key = functools.lru_cache(maxsize=1 << 16)(merchant_key)


def payee_key(line: StatementLine) -> str:
    """The normalised payee a line is keyed by (its payee, else its memo), see :func:`merchant_key`."""
    return cached_merchant_key(line.payee or line.memo or "")


def _key(account: str, line: StatementLine, currency: str) -> tuple[str, dt.date, Decimal, str, str]:
    return (account, line.occurred_on, line.amount.normalize(), currency, payee_key(line))


def _shares_a_word(a: str, b: str) -> bool:
    words = {w for w in a.split() if len(w) >= 3}
    return bool(words & {w for w in b.split() if len(w) >= 3})


def plan_import(
    lines: Sequence[StatementLine],
    *,
    account: str,
    currency: str,
    known: Sequence[KnownLine],
    captures: Sequence[CaptureCandidate],
) -> list[LineDecision]:
    """Decide what becomes of each of ``lines`` (in their order), by the rules of this module.

    ``currency``: the statement's currency, for lines that do not state one. ``known``: the
    ledger's statement lines of committed imports (any account; only ``account``'s count).
    ``captures``: the chat transactions a line may merge into (dates around the lines').
    The result depends on the set of lines and the ledger, not on the order of earlier imports.
    """
    known_ids = {k.external_id for k in known if k.account == account and k.external_id}
    known_counts: Counter[tuple[str, dt.date, Decimal, str, str]] = Counter(
        (k.account, k.occurred_on, k.amount.normalize(), k.currency, k.payee_key)
        for k in known
        if k.account == account
    )
    decisions: list[LineDecision | None] = [None] * len(lines)
    seen_ids: set[str] = set()
    fresh: list[int] = []
    for i, line in enumerate(lines):
        cur = line.currency or currency
        if line.amount == 0:
            decisions[i] = LineDecision(line, cur, LineOutcome.INVALID, "zero_amount")
        elif line.external_id and line.external_id in known_ids:
            decisions[i] = LineDecision(line, cur, LineOutcome.DUPLICATE, "fitid")
        elif line.external_id and line.external_id in seen_ids:
            decisions[i] = LineDecision(line, cur, LineOutcome.DUPLICATE, "fitid_repeated")
        else:
            if line.external_id:
                seen_ids.add(line.external_id)
            fresh.append(i)
    # Rule 2: the first min(n, k) lines of a key the ledger knows k times are duplicates. A line
    # with a new bank id is a different movement from a known one with another id, but may be
    # one the ledger knows from a file that carried no ids.
    known_without_id: Counter[tuple[str, dt.date, Decimal, str, str]] = Counter(
        (k.account, k.occurred_on, k.amount.normalize(), k.currency, k.payee_key)
        for k in known
        if k.account == account and not k.external_id
    )
    used: Counter[tuple[str, dt.date, Decimal, str, str]] = Counter()
    to_match: list[int] = []
    for i in fresh:
        line = lines[i]
        cur = line.currency or currency
        key = _key(account, line, cur)
        pool = known_without_id if line.external_id else known_counts
        if used[key] < pool[key]:
            used[key] += 1
            decisions[i] = LineDecision(line, cur, LineOutcome.DUPLICATE, "same_key")
        else:
            to_match.append(i)
    _match_captures(lines, to_match, account, currency, captures, decisions)
    return [d for d in decisions if d is not None]


def _match_captures(
    lines: Sequence[StatementLine],
    indexes: Sequence[int],
    account: str,
    currency: str,
    captures: Sequence[CaptureCandidate],
    decisions: list[LineDecision | None],
) -> None:
    """Rule 3 for the lines at ``indexes`` (writes their decisions).

    The captures are looked up by (currency, amount) (a Decimal's hash is its value's: ``-45.9``
    and ``-45.90`` meet), then filtered by date, in the order given, as a scan of all would."""
    by_amount: dict[tuple[str, Decimal], list[CaptureCandidate]] = defaultdict(list)
    for c in captures:
        if c.amount.is_finite():  # NaN equals nothing: such a capture is no candidate of any line
            by_amount[(c.currency, c.amount)].append(c)
    words: dict[str, set[str]] = {}

    def words_of(text: str) -> set[str]:
        found = words.get(text)
        if found is None:
            found = words[text] = {w for w in text.split() if len(w) >= 3}
        return found

    options: dict[int, list[CaptureCandidate]] = {}
    for i in indexes:
        line = lines[i]
        cur = line.currency or currency
        same = by_amount.get((cur, line.amount), ()) if line.amount.is_finite() else ()
        near = [
            c
            for c in same
            if -MERGE_DAYS_BEFORE <= (c.occurred_on - line.occurred_on).days <= MERGE_DAYS_AFTER
        ]
        if near:
            payee = words_of(payee_key(line))
            named = [c for c in near if c.merchant_key and words_of(c.merchant_key) & payee]
            options[i] = sorted(named or near, key=lambda c: (c.occurred_on, c.transaction_id))
        else:
            options[i] = []
    rounded = _rounded_options(lines, indexes, currency, captures, options, words_of)
    # Interchangeable lines (one key) facing the same candidates are paired off in order.
    groups: dict[tuple[object, ...], list[int]] = defaultdict(list)
    for i in indexes:
        groups[(*_key(account, lines[i], lines[i].currency or currency), *options[i])].append(i)
    claimed: Counter[uuid.UUID] = Counter()
    for members in groups.values():
        for c in options[members[0]][: len(members)] if len(options[members[0]]) == len(members) else ():
            claimed[c.transaction_id] += 1
    for members in groups.values():
        cands = options[members[0]]
        paired = len(cands) == len(members) and all(claimed[c.transaction_id] == 1 for c in cands)
        for n, i in enumerate(members):
            line, cur = lines[i], lines[i].currency or currency
            if not cands and i in rounded:
                decisions[i] = rounded[i]
            elif not cands:
                decisions[i] = LineDecision(line, cur, LineOutcome.ADD, "new")
            elif paired:
                reason = "capture" if len(cands) == 1 else "captures_paired"
                decisions[i] = LineDecision(line, cur, LineOutcome.MERGE, reason, cands[n].transaction_id)
            else:
                decisions[i] = LineDecision(
                    line,
                    cur,
                    LineOutcome.AMBIGUOUS,
                    "captures",
                    candidates=tuple(c.transaction_id for c in cands),
                )


def _rounded_options(
    lines: Sequence[StatementLine],
    indexes: Sequence[int],
    currency: str,
    captures: Sequence[CaptureCandidate],
    exact: dict[int, list[CaptureCandidate]],
    words_of: Callable[[str], set[str]],
) -> dict[int, LineDecision]:
    """Rule 4 (see the module) for the lines at ``indexes`` that have no exact candidate in
    ``exact``: their decision (merge or ambiguous), by line index; lines without a rounded
    candidate are left out."""
    taken = {c.transaction_id for found in exact.values() for c in found}
    whole: dict[tuple[str, Decimal], list[CaptureCandidate]] = defaultdict(list)
    for c in captures:
        if (
            c.amount.is_finite()
            and c.amount == c.amount.to_integral_value()
            and c.transaction_id not in taken
        ):
            whole[(c.currency, c.amount)].append(c)
    if not whole:
        return {}
    found: dict[int, tuple[list[CaptureCandidate], list[CaptureCandidate]]] = {}
    for i in indexes:
        line = lines[i]
        amount = line.amount
        if exact.get(i) or not amount.is_finite() or amount == amount.to_integral_value():
            continue
        cur = line.currency or currency
        near = [
            c
            for key in {amount.to_integral_value(ROUND_FLOOR), amount.to_integral_value(ROUND_CEILING)}
            if key != 0
            for c in whole.get((cur, key), ())
            if -MERGE_DAYS_BEFORE <= (c.occurred_on - line.occurred_on).days <= MERGE_DAYS_AFTER
        ]
        if near:
            payee = words_of(payee_key(line))
            named = [c for c in near if c.merchant_key and words_of(c.merchant_key) & payee]
            order = sorted(near, key=lambda c: (c.occurred_on, c.transaction_id))
            found[i] = (order, sorted(named, key=lambda c: (c.occurred_on, c.transaction_id)))
    wanted: Counter[uuid.UUID] = Counter(c.transaction_id for near, _ in found.values() for c in near)
    decisions: dict[int, LineDecision] = {}
    for i, (near, named) in found.items():
        line, cur = lines[i], lines[i].currency or currency
        if len(named) == 1 and wanted[named[0].transaction_id] == 1:
            decisions[i] = LineDecision(
                line, cur, LineOutcome.MERGE, "capture_rounded", named[0].transaction_id
            )
        else:
            choices = tuple(c.transaction_id for c in (named or near))
            decisions[i] = LineDecision(
                line, cur, LineOutcome.AMBIGUOUS, "captures_rounded", candidates=choices
            )
    return decisions

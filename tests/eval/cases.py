"""The evaluation sets, loaded into one shape (:class:`Case`) with Financy's labels.

Seven sets, each in the split ``tests/eval/splits.py`` gives it (``Case.split``):

* ``ours`` (dev) — ``tests/eval/messages.jsonl``, written for Financy (see ``tests/eval/README.md``);
* ``expense_messages`` (dev) — ``tests/fixtures/messages/expense_messages.jsonl`` (third party);
* ``messages2`` (test) — ``tests/fixtures/messages2/messages.jsonl`` (third party);
* ``descriptors`` (test) — ``tests/fixtures/messages2/descriptors.jsonl`` (third party, category only);
* ``messages2-seen``, ``descriptors-seen`` (dev) — the rows of those two files whose merchant name
  our vocabularies or training data already held (``tests/eval/seen_names.tsv``);
* ``money_phrases`` (test) — ``tests/fixtures/money_phrases/collected_2026_12.jsonl`` (third party,
  amount and currency only: money phrases and news sentences, not expense logs).

The third-party labels are mapped onto Financy's contract here, by the rules in the README; the
few rows whose source label says something about the source bot rather than the message are
listed in :data:`MESSAGES2_OVERRIDES` with the reason. A field set to ``None`` is not scored.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

from financy.inference.taxonomy import CATEGORY_SLUGS
from tests.eval.splits import by_name, split_of

ROOT: Final = Path(__file__).resolve().parents[2]
OURS: Final = ROOT / "tests" / "eval" / "messages.jsonl"
EXPENSE_MESSAGES: Final = ROOT / "tests" / "fixtures" / "messages" / "expense_messages.jsonl"
MESSAGES2: Final = ROOT / "tests" / "fixtures" / "messages2" / "messages.jsonl"
DESCRIPTORS: Final = ROOT / "tests" / "fixtures" / "messages2" / "descriptors.jsonl"
MONEY_PHRASES: Final = ROOT / "tests" / "fixtures" / "money_phrases" / "collected_2026_12.jsonl"

#: The reference day of the third-party sets (ours carries its own per row).
TODAY: Final = dt.date(2026, 11, 28)
#: The context's base currency in every case: a text naming no currency means this one.
CONTEXT_CURRENCY: Final = "BRL"
#: Currencies written with a bare "$" (a source that leaves the dollar unnamed accepts any).
DOLLARS: Final = frozenset({"USD", "CAD", "AUD", "NZD", "SGD", "HKD"})

THIRD_PARTY: Final = (
    "expense_messages",
    "messages2-seen",
    "descriptors-seen",
    "messages2",
    "descriptors",
    "money_phrases",
)

#: DESIGN §4 category slugs.
SLUGS: Final = frozenset(CATEGORY_SLUGS)


@dataclass(frozen=True)
class ExpectedItem:
    """One expected transaction; ``None`` in a field means the field is not scored.

    ``currencies`` holds the acceptable *effective* currencies (what the item says, else the
    context's base currency). ``date`` is the resolved day; ``date_stated`` says whether the text
    states it (scored in the "date" column) or it is implied today (the "no date" column).
    """

    amount: Decimal | None
    currencies: frozenset[str] | None
    kind: str | None = None
    date: dt.date | None = None
    date_stated: bool = False
    merchant: str | None = None
    category: str | None = None
    payment_method: str | None = None
    installments: int | None = None


@dataclass(frozen=True)
class Case:
    """One text and what Financy should understand of it.

    Attributes:
        intent: expected ``Understanding.intent`` (None: not scored).
        items: expected transactions in text order (None: amounts not scored).
        query: expected ``LedgerQuery`` fields, only those the label states (None: not scored).
        recategorize: the new category of a correction (intent "recategorize").
        category_only: a category for a text that records nothing by itself (a descriptor, or a
            message without an amount): scored with the categoriser, see ``runner``.
    """

    dataset: str
    id: str
    lang: str
    text: str
    today: dt.date = TODAY
    intent: str | None = None
    items: tuple[ExpectedItem, ...] | None = None
    query: dict[str, str] | None = None
    recategorize: str | None = None
    category_only: str | None = None
    source: str = ""
    licence: str = ""
    note: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def split(self) -> str:
        """ "dev" or "test": the split of the case's set (``tests/eval/splits.py``)."""
        return split_of(self.dataset)


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _lang(value: str | None) -> str:
    return "en" if (value or "").lower().startswith("en") else "pt"


# -- ours ----------------------------------------------------------------------------------------


def load_ours(path: Path = OURS) -> list[Case]:
    """Our own labelled messages: every field is ground truth (null = not stated)."""
    cases: list[Case] = []
    for row in _jsonl(path):
        exp = row["expected"]
        today = dt.date.fromisoformat(row["today"])
        items = tuple(
            ExpectedItem(
                amount=Decimal(t["amount"]),
                currencies=frozenset({t["currency"] or CONTEXT_CURRENCY}),
                kind=t["kind"],
                date=dt.date.fromisoformat(t["date"]) if t["date"] else today,
                date_stated=t["date"] is not None,
                merchant=t["merchant"],
                category=t["category"],
                payment_method=t["payment_method"],
                installments=t["installments"],
            )
            for t in exp["transactions"]
        )
        cases.append(
            Case(
                dataset="ours",
                id=row["id"],
                lang=row["lang"],
                text=row["text"],
                today=today,
                intent=exp["intent"],
                items=items if exp["intent"] == "record" else None,
                query=exp["query"] or None,
                recategorize=exp["category"],
                source="financy (tests/eval/messages.jsonl)",
                licence="project",
                note=row.get("note"),
            )
        )
    return cases


# -- expense_messages (CassieRios, Duckling, price-parser) ------------------------------------------

_EM_CATEGORY: Final = {"transporte": "transport", "saúde": "health"}


def _em_currencies(label: str, note: str) -> frozenset[str]:
    if label.startswith("$"):
        return DOLLARS
    if label.startswith("cent"):  # "ten pennies", "10 c": cents of the (unnamed) dollar
        return DOLLARS
    if label.startswith("none (bucks"):
        return DOLLARS
    if label.startswith("£"):
        return frozenset({"GBP"})
    if "currency implicit" in note:  # the text may name none: the context's BRL then applies
        return frozenset({label})
    return frozenset({label})


def load_expense_messages(path: Path = EXPENSE_MESSAGES) -> list[Case]:
    """Money phrases and expense-bot lines: amount + currency, a few intents and categories."""
    cases: list[Case] = []
    for row in _jsonl(path):
        note = row.get("note", "")
        amount = row["expected_amount"]
        source_intent = row["expected_intent"]
        items: tuple[ExpectedItem, ...] | None = None
        category_only = _EM_CATEGORY.get(row["expected_category"] or "")
        if amount is not None:
            label = row["expected_currency"]
            value = Decimal(str(amount))
            if label.startswith("cent"):
                value = value / 100
            items = (ExpectedItem(amount=value, currencies=_em_currencies(label, note), kind="expense"),)
            intent = "record"
        elif source_intent == "list_expenses":
            intent = "query"
        else:  # no single amount: an interval, "Sem valor especificado", a category-only phrase
            intent = "unknown"
        cases.append(
            Case(
                dataset="expense_messages",
                id=row["id"],
                lang=_lang(row["lang"]),
                text=row["text"],
                intent=intent,
                items=items,
                category_only=category_only,
                source=f"{row['source']} : {row.get('source_path', '')}",
                licence=row["licence"],
                note=note,
            )
        )
    return cases


# -- messages2 (M1..M10) ----------------------------------------------------------------------------

SKIP: Final = object()

#: Rows whose source label is about the source bot's syntax, or a gap, rather than the message.
#: Each maps fields to a corrected value (``SKIP`` = not scored) and says why.
MESSAGES2_OVERRIDES: Final[dict[str, dict[str, Any]]] = {
    "msg2-0271": {
        "intent": SKIP,
        "why": "'almoço 25 pix': the source parser needs a trigger verb; Financy reads bare 'item amount'",
    },
    "msg2-0538": {
        "intent": SKIP,
        "why": "'-5.50 Coffee': the source rejects a sign; Financy reads the magnitude (reader design)",
    },
    "msg2-0596": {
        "intent": SKIP,
        "why": "'abc 5.50 Coffee': the source needs the amount first; Financy reads it anywhere",
    },
    "msg2-0605": {
        "intent": SKIP,
        "amount": SKIP,
        "why": "'10.12345 Coffee': the source truncates by regex; Financy asks about >4 decimals",
    },
    "msg2-0613": {
        "intent": "unknown",
        "amount": SKIP,
        "why": "'3 items for lunch': 3 is a count, the source's amount is a parser artefact",
    },
    "msg2-0418": {
        "amount": (Decimal(60), frozenset({"EUR"})),
        "kind": SKIP,
        "category": SKIP,
        "why": "'Pay Karen 60 Euros': the collector read no amount, the text states 60 EUR; kind as below",
    },
    **{
        row_id: {
            "kind": SKIP,
            "category": SKIP,
            "why": "Rasa transfer_money pays another person: Financy's 'transfer' is between the"
            " context's own accounts, so expense or transfer depends on who the payee is",
        }
        for row_id in ("msg2-0413", "msg2-0414", "msg2-0419")
    },
}

_M2_DATES: Final = {"today": 0, "yesterday": 1, "tomorrow": -1}
_M2_PAYMENT: Final = {"credit_card": "credit", "pix": "pix", "debit_card": "debit", "cash": "cash"}
_M2_OTHER_INTENT: Final = {"GREETING": "small_talk", "HELP": "help"}


def _m2_date(label: str | None, today: dt.date) -> dt.date | None:
    if label is None:
        return None
    if label in _M2_DATES:
        return today - dt.timedelta(days=_M2_DATES[label])
    if label == "day 10 of last month":
        first = today.replace(day=1) - dt.timedelta(days=1)
        return first.replace(day=10)
    return None  # "April" on a query: not a transaction date


def _m2_intent(row: dict[str, Any], has_amount: bool) -> str:
    norm = row["expected_intent_normalized"]
    source = row["expected_intent"]
    if norm in {"expense", "income", "transfer", "slot_fill"}:
        if has_amount:
            return "record"
        if norm == "income" and "clinc" in row["source"]:
            return "query"  # CLINC "income": "how much do i earn" asks about the ledger
        return "unknown"  # nothing to record without an amount ("pay my card", "pedi no ifood")
    if source.startswith("REPORT"):
        return "summary"  # "resumo mês": the month's summary by category (/resumo), not one sum
    if norm == "query":
        return "query"
    if norm == "other":
        return _M2_OTHER_INTENT.get(source, "unknown")
    return "unknown"  # none


def load_messages2(path: Path = MESSAGES2) -> list[Case]:
    """Third-party chat messages (MANIFEST M1..M10) with the labels mapped to Financy's contract."""
    cases: list[Case] = []
    for row in _jsonl(path):
        override = MESSAGES2_OVERRIDES.get(row["id"], {})
        provenance = row.get("provenance", {})
        raw_amount = row["expected_amount"]
        amount = Decimal(str(raw_amount)) if raw_amount is not None else None
        label_currency = row["expected_currency"]
        if "amount" in override and override["amount"] is not SKIP:
            amount, currencies = override["amount"]
        elif label_currency is None:
            text = row["text"]
            if "$" in text and not re.search(r"[A-Z]{1,3}\$|\$\s*[A-Z]{3}\b", text):
                # a bare "$": the source (M10) leaves it to the user's default currency
                currencies = DOLLARS | {CONTEXT_CURRENCY}
            else:
                currencies = frozenset({CONTEXT_CURRENCY})
        else:
            currencies = frozenset({label_currency})
        has_amount = amount is not None and amount > 0
        intent = _m2_intent(row, has_amount)
        if "intent" in override:
            intent = override["intent"]
        category = row["expected_category"] if row["expected_category"] in SLUGS else None
        if override.get("category") is SKIP:
            category = None
        items: tuple[ExpectedItem, ...] | None = None
        category_only: str | None = None
        query: dict[str, str] | None = None
        if intent == "record" and has_amount and override.get("amount") is not SKIP:
            assert amount is not None
            installments = row.get("expected_installments")
            if row.get("expected_amount_semantics") == "INSTALLMENT_VALUE" and installments:
                amount = amount * installments  # Financy's amount is the total ("3x de 50" = 150)
            date = _m2_date(row.get("expected_date"), TODAY)
            kind = None if override.get("kind") is SKIP else row["expected_intent_normalized"]
            items = (
                ExpectedItem(
                    amount=amount,
                    currencies=currencies,
                    kind=kind if kind in {"expense", "income", "transfer"} else None,
                    date=date,
                    date_stated=date is not None,
                    category=category,
                    payment_method=_M2_PAYMENT.get(row.get("expected_payment_method") or ""),
                    installments=installments,
                ),
            )
        elif intent == "query":
            query = {}
            if row.get("expected_merchant"):
                query["merchant"] = row["expected_merchant"]
            elif category and "named in query" in str(provenance.get("expected_category", "")):
                query["category"] = category
            query = query or None
        elif category is not None and row["expected_intent_normalized"] != "transfer":
            # a category for a text that records nothing by itself ("pedi no ifood"); not for
            # a transfer request without an amount ("I want to pay John"): that "category" only
            # restates the source's intent
            category_only = category
        cases.append(
            Case(
                dataset="messages2",
                id=row["id"],
                lang=_lang(row["lang"]),
                text=row["text"],
                intent=None if intent is SKIP else intent,
                items=items,
                query=query,
                category_only=category_only,
                source=row["source"],
                licence=row["licence"],
                note=override.get("why") or row.get("notes"),
                extra={"source_intent": row["expected_intent"]},
            )
        )
    return cases


# -- descriptors (D1..D6) -----------------------------------------------------------------------------


def load_descriptors(path: Path = DESCRIPTORS) -> list[Case]:
    """Merchant names and statement descriptors: category only (rows without one are left out)."""
    cases: list[Case] = []
    for row in _jsonl(path):
        if row["category"] not in SLUGS:
            continue
        cases.append(
            Case(
                dataset="descriptors",
                id=row["id"],
                lang="en" if row.get("country") in {"US", "AU"} else "pt",
                text=row["text"],
                category_only=row["category"],
                source=row["source"],
                licence=row["licence"],
                note=row.get("notes"),
                extra={"country": row.get("country"), "kind": row.get("descriptor_kind")},
            )
        )
    return cases


# -- money_phrases (Recognizers-Text, rustling-ontology) ---------------------------------------------


def load_money_phrases(path: Path = MONEY_PHRASES) -> list[Case]:
    """Money phrases and sentences: amount and currency only (MANIFEST row 193).

    Not expense logs (the source says intent "other"), so intent, kind and category are not scored.
    A row with one amount is scored as one item with that amount; its currency is the label's
    ISO code, or any currency when the label is null (a bare "$", "£", "¥": the source leaves it
    unnamed). A row the source gives no money (a negative) must read no transaction. Rows with
    two or more amounts (``expected_entities``) are left out of the amount figure (their
    sentences mix amounts of several things).
    """
    cases: list[Case] = []
    for row in _jsonl(path):
        entities = row.get("expected_entities") or []
        raw = row["expected_amount"]
        items: tuple[ExpectedItem, ...] | None
        if len(entities) > 1:
            items = None
        elif raw is None:
            items = ()
        else:
            currency = row["expected_currency"]
            items = (ExpectedItem(Decimal(str(raw)), frozenset({currency}) if currency else None),)
        cases.append(
            Case(
                dataset="money_phrases",
                id=row["id"],
                lang=_lang(row["lang"]),
                text=row["text"],
                items=items,
                source=row["source"],
                licence=row["licence"],
                note=row.get("notes"),
            )
        )
    return cases


def _by_rows(name: str, cases: list[Case]) -> list[Case]:
    """The ``cases`` (loaded under their file's set name) that the split's set ``name`` holds."""
    labelled = by_name(name)
    return [replace(case, dataset=name) for case in cases if labelled.holds(case.id)]


def load_all() -> dict[str, list[Case]]:
    """Every set, by name, in report order (dev sets first).

    The third-party messages and descriptors whose merchant name we had already used while building
    (``tests/eval/seen_names.tsv``) are the dev sets ``messages2-seen`` and ``descriptors-seen``.
    """
    messages2 = load_messages2()
    descriptors = load_descriptors()
    return {
        "ours": load_ours(),
        "expense_messages": load_expense_messages(),
        "messages2-seen": _by_rows("messages2-seen", messages2),
        "descriptors-seen": _by_rows("descriptors-seen", descriptors),
        "messages2": _by_rows("messages2", messages2),
        "descriptors": _by_rows("descriptors", descriptors),
        "money_phrases": load_money_phrases(),
    }

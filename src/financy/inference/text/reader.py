"""The message reader: what a chat line says, as transactions, a question or a command.

``read_message("gastei 45,90 no mercado ontem", today=...)`` returns a :class:`Reading` with one
:class:`ReadItem` (expense, 45.90, no currency named, 1 day ago, merchant "mercado", category
"groceries"). The reader is pure: rules, word lists, lingua (language) and blank spaCy pipelines
(names and phrases, see ``nlp``), no I/O and nothing downloaded; a typical message takes about
0.15 ms once :func:`warm_up` (or the first message) has loaded lingua and spaCy (about 1 s).

How a message is read, in order:

1. Reject what is not a chat line: not a ``str`` or binary junk ("not_text"), nothing but spaces
   ("empty"), longer than :data:`MAX_CHARS` ("too_long", not read at all).
2. Language ("pt"/"en"): a keyword score weighed with lingua for texts of two words or more;
   ``language_hint`` is the prior for short texts and decides near-ties (see ``language``). That
   is the language the text is read in; the reading's ``language`` (the reply's) is the hint's
   unless the text shows another on its own (``language.evident_language``: three words or
   more and a decisive score), so "/help", "ok", "45" or "coffee 12" keep a chat's language.
3. Commands: "/start" ("/start CODE": "link"), "/vincular CODE" "/link CODE" ("link",
   confirmed), "/help" "/ajuda", "/undo" "/desfazer",
   "/contexto [escolha]" "/context", "/resumo" "/summary", "/categoria [categoria]" "/category",
   "/eu" "/me" "/paguei"; "/add 5.50 coffee" is read as a transaction. Then a message that is
   just a link code ("K7QM-2XPD": "link") and whole-message phrases (see ``intents``):
   confirmations ("sim", "ok", "👍": "confirm"), small talk ("oi", "obrigado", "kkkk", emoji:
   "small_talk"), "trocar contexto"/"my ledgers" ("contexts"), "desfazer"/"undo",
   "ajuda"/"help", "resumo do mês"/"monthly summary" ("summary"), "fui eu"/"i paid"
   ("claim_payer"), category changes ("muda pra saúde", "that was health": "recategorize" with
   ``category``), and questions: a sum asked of the ledger ("quanto gastei com mercado este
   mês?") is "query" with a :class:`QuerySpec` (see ``queries``), as are a balance, the last
   entries, the top categories, bills, the card bill, a chart and a budget's rest ("qual meu
   saldo?", "últimos gastos", "onde mais gastei?", "tenho contas a pagar?": its ``ask``, see
   ``asks``); other questions record nothing ("query" problem). A budget phrase ("orçamento de
   800 para mercado", "budget 500 for groceries") is "budget", never an expense.
4. Greetings and thanks around a transaction ("oi, ...", "..., obrigado!") are set aside, then
   dates (``dates``), thousands grouped by spaces ("1 234,56", see ``normalize``), the spaCy
   pipeline's spans (``nlp``: merchant names, payment phrases, instalment phrases), numbers that
   are not money, instalments (our regexes, plus the matcher's "parcelei em 4", "3 vezes sem
   juros") and payment-method words (a payment word inside a longer name, "gift card", is none).
5. Amounts (``money``, our own tokenizer, never spaCy's): bounds and intervals ("less than 7
   EUR", "entre 10 e 20"), scientific notation ("1e5"), instalment counts over 72 or of 0 ("em
   999x") and a plain space that may group thousands ("1 500") record nothing
   ("ambiguous_amount"); amounts of zero are dropped; nothing left is "no_amount" (or
   "amount_out_of_range" for a bare run of 13+ digits), with the merchant words of what was
   bought when a verb or category word says money was spent (``item_without_amount``).
6. A date-shaped expression naming no real day ("31/02", "dia 32", "01/01/1900", "há 5000 dias")
   records nothing ("ambiguous_date"); see ``dates``.
7. Each amount becomes one item. With several, the text is cut between them at a separator ("," ";"
   "e" "and" "+", a line break) or, failing that, next to the amount on the side the first item's
   words were written ("uber 23 almoço 35"); merchant, category, payment method and kind are read
   from each item's own words. A multi-word merchant the entity ruler knows is the item's merchant
   ("pão de açúcar", "uber eats": food, not a ride); with the optional English model an English
   merchant is completed to the organisation it starts ("Dave and Busters"). Dates: one date for
   the message applies to every item; different dates go each to the item whose words hold it
   ("almoço 35 ontem e uber 20 anteontem"), see :func:`_item_dates`; an item left without a clear
   date makes the reader ask ("ambiguous_date").
8. Each item's amount must be at least 0.01 ("amount_too_small": "0,001"), under 10^12
   ("amount_out_of_range") and have at most 4 decimals ("ambiguous_amount"); one problem item and
   nothing is recorded.

Decisions worth knowing:

* Instalments: "em 3x" next to an amount means that amount is the total (installments=3);
  "3x de 50" means 3 instalments of 50, so the item's amount is the total, 150.
* A negative amount ("-50", "gastei -30") is read as its magnitude, still money out, with
  confidence 0.15 lower and at most :data:`LOW_CONFIDENCE`, so the reply asks for confirmation.
* Kind: an income verb ("recebi", "ganhei", "received", "got paid") makes income; else an
  expense verb ("gastei", "paid") an expense; else a transfer verb ("transferi", "sent") or a
  savings word ("poupança") a transfer; else an income noun ("salário", "reembolso", "refund")
  income; else expense. Income is categorised "salary" or "other_income". A payment phrase
  ("by wire transfer", "bank transfer") says how money was paid and makes no transfer.
* Currency: only what the text says. A bare "$" (or cents) resolves to ``default_currency``
  when that is a dollar currency, else USD; with no currency in the text it is None.
* Decimals: the separator follows ``numbers`` ("1,234" is 1.234 in Portuguese, "1.234" is 1.234 in
  English). An amount written with 3 or 4 decimals is kept exactly, but its item's confidence is
  at most :data:`LOW_CONFIDENCE` (0.45) so a reply never shows a rounded figure as certain.
* A month or a year without a day ("mês passado", "last month", "há 2 meses") is not carried:
  ``occurred_on`` and ``days_ago`` stay None (neither today nor the 1st is invented) and the item's
  confidence is at most :data:`LOW_CONFIDENCE`.
* A bare run of 13+ digits next to a real amount is an identifier (a boleto line, a barcode) and
  is ignored; alone, it is "amount_out_of_range".
* Numbers that are not money (``money``): a house number ("Av. Paulista 1578, 45 reais": 45),
  counting ("um, dois, três, testando": nothing), counts of items ("2x coca 12", "two large
  pizzas"), grades ("nota 10"). A currency word misspelt after a number ("18 reias") is read.
* A date after a due word ("o boleto venceu dia 5, paguei hoje 230") is the bill's due date
  (``ReadItem.due_on``), never the item's date: that one is "hoje", or today when no other date is
  said. A time of day ("às 20h30", "8:30pm", "meio-dia", see ``dates.find_times``) is never an
  amount nor a date, and is kept in ``ReadItem.occurred_at_time`` when unambiguous.
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Final

from financy.inference.text import lexicon as lx
from financy.inference.text import nlp
from financy.inference.text.asks import BudgetSpec, budget_of, has_budget_cue, read_ask
from financy.inference.text.cards import CardSpec, read_card
from financy.inference.text.cost_split import (
    CostSplitSpec,
    SettlementSpec,
    find_split,
    read_settlement,
    sharing_command,
    who_owes_phrase,
)
from financy.inference.text.dates import (
    DateFindings,
    DateMention,
    DateReading,
    TimeMention,
    find_dates,
    find_times,
)
from financy.inference.text.intents import (
    Correction,
    chat_intent,
    chatter_spans,
    command_argument,
    command_intent,
    command_language,
    command_mention,
    context_request,
    correction,
    invite_code,
    link_code,
    phrase_intent,
    request_language,
    start_payload,
)
from financy.inference.text.language import base_language, detect_language, evident_language
from financy.inference.text.language import warm_up as _warm_up_language
from financy.inference.text.money import (
    MAX_AMOUNT,
    MAX_INSTALMENTS,
    Instalment,
    Mention,
    combine_cents,
    drop_not_amounts,
    find_instalments,
    find_mentions,
    has_clashing_repeat,
    has_range,
    has_scientific,
    has_split_number,
    mark_span,
    mask_not_money,
    merge_repeats,
    oversized_number,
    resolve_currency,
)
from financy.inference.text.normalize import (
    Role,
    Text,
    Token,
    TokKind,
    control_count,
    drop_invisible,
    join_spaced_numbers,
    prepare,
    tokenize,
)
from financy.inference.text.queries import QuerySpec, category_of, read_query
from financy.inference.text.search import search_command
from financy.inference.text.subscriptions import (
    SubscriptionDecision,
    subscription_decision,
    subscriptions_request,
)

__all__ = [
    "MAX_CHARS",
    "MAX_ITEMS",
    "BudgetSpec",
    "QuerySpec",
    "ReadItem",
    "Reading",
    "read_message",
    "warm_up",
]

#: Longer messages are not read (problem "too_long"): a chat line that long is a pasted document.
MAX_CHARS: Final = 2000
#: More amounts than this in one message are not recorded (problem "too_many_items").
MAX_ITEMS: Final = 20
#: Amounts under one cent are not recorded (problem "amount_too_small"): "0,001" is a typo.
MIN_AMOUNT: Final = Decimal("0.01")
#: Amounts written with more decimals than this are not recorded (problem "ambiguous_amount").
MAX_DECIMAL_PLACES: Final = 4
#: The confidence an item gets at most when its amount has 3 or 4 decimals ("1,234" in pt).
LOW_CONFIDENCE: Final = 0.45
#: Confidence of a command phrase, a confirmation, small talk and a category change.
PHRASE_CONFIDENCE: Final = 0.9
#: Confidence of a category change whose word names no category ("muda pra xyz").
UNKNOWN_CATEGORY_CONFIDENCE: Final = 0.3
#: What follows "/contexto" is kept up to this many characters (a ledger's name is at most 200).
MAX_CONTEXT_CHOICE: Final = 200


@dataclass(frozen=True, slots=True)
class ReadItem:
    """One transaction a message describes.

    Attributes:
        kind: "expense", "income" or "transfer".
        amount: exact positive amount in ``currency`` units (a negative "-50" is read as 50).
        currency: ISO 4217 code as written or resolved ("R$" -> "BRL", a bare "$" -> the dollar
            currency of the context, else "USD"); an unknown three-letter code next to the number
            is passed through ("XYZ") for the core to reject; None when the text names none.
        occurred_on: absolute date the text gives this item ("5/11", "dia 5", "last friday"), else
            None; its year is within ``today.year - 10 .. today.year + 1``.
        days_ago: relative day the text gives this item ("hoje" 0, "ontem" 1, "há 3 dias" 3), else
            None; at most 3650.
        merchant: the noun the money went to, lower-case as written ("farmácia", "uber").
        description: the item's own words without amount, verbs and date, as written.
        category: a DESIGN §4 category slug, or None when no keyword says.
        payment_method: "pix", "debit", "credit", "cash", "boleto", "transfer" or None.
        installments: number of instalments ("em 3x" -> 3), else None.
        due_on: the day a bill is or was due when the text says it ("venceu dia 5, paguei hoje":
            paid today, due on the 5th), else None; never the item's date.
        occurred_at_time: the time of day the text says ("às 20h30", "8:30pm", "meio-dia"), minutes
            precision, else None; "às 8" (morning or evening) gives None.
    """

    kind: str
    amount: Decimal
    currency: str | None
    occurred_on: dt.date | None
    days_ago: int | None
    merchant: str | None
    description: str | None
    category: str | None
    payment_method: str | None
    installments: int | None
    due_on: dt.date | None = None
    occurred_at_time: dt.time | None = None


@dataclass(frozen=True, slots=True)
class Reading:
    """What a message says.

    Attributes:
        language: "pt" or "en".
        intent: "record" (``items`` is not empty), "undo", "help", "start", "query" (a sum asked
            of the ledger: see ``query``), "recategorize" (the last transaction's category is to
            change: see ``category``), "confirm" ("sim", "ok", "👍": record what the bot asked
            about), "small_talk" (greetings, thanks, emoji: nothing to record), "contexts"
            ("/contexto": list the ledgers, or switch to ``context_choice``), "summary" ("/resumo",
            "resumo do mês"), "categories" ("/categoria" alone), "claim_payer" ("/eu", "fui eu",
            "i paid"), "link" ("/start CODE" or a bare link code: see ``link_code``), "budget" (a
            budget phrase, "orçamento de 800 para mercado": see ``budget``; never an expense) or
            "unknown".
        items: the transactions, in the order written (empty unless ``intent`` is "record").
        confidence: 0..1; for "record" the lowest item confidence (>= 0.8 with an amount and a
            merchant or category, about 0.6 for a bare number, at most 0.45 for an amount with 3
            or 4 decimals or a date without a day); 1.0 for slash commands, 0.9 for command
            phrases, confirmations, small talk, category changes and questions read in full, 0.75
            for a question whose merchant is a guess, 0.5 for a question about a period that
            cannot be expressed, 0.3 for a change to an unknown category, 0.0 for "unknown".
        problem: why nothing was recorded, a stable key: "empty", "not_text", "too_long",
            "no_amount", "ambiguous_amount" (a range or bound, "1e5", "em 999x", "1 500", more
            than 4 decimals), "amount_too_small" (under 0.01), "amount_out_of_range" (10^12 or
            more), "ambiguous_date" (a date naming no real day, a year out of range, more than
            3650 days ago, or items whose dates are unclear), "too_many_items", "query" (a
            question about the ledger that is not a sum: a balance, a list), "unknown_command";
            with intent "query": "unsupported_period" ("em abril", "nos últimos 30 dias"); with
            intent "recategorize": "unknown_category"; None otherwise.
        query: what a "query" asks (None for any other intent, and with "unsupported_period").
        category: the new category slug of a "recategorize" (None when unknown).
        link_code: the one-time code of a "link" ("/start K7QM-2XPD", or a message that is just
            the code), as typed; the core normalises and checks it. None for any other intent.
        link_confirmed: the "link" confirms linking ("/vincular K7QM-2XPD", "/link K7QM-2XPD": the
            button under the core's "link this chat to account X?"); False for any other message.
        context_choice: what follows "/contexto" ("2", "Viagem"), as typed and at most
            :data:`MAX_CONTEXT_CHOICE` characters, or the number in "trocar contexto 2"; None to
            list the ledgers, and for any other intent.
        budget: what a "budget" sets (amount, currency, category or group, each None when
            unsaid); None for any other intent.
        item_without_amount: with problem "no_amount", the words naming what was bought or paid
            ("paguei o estacionamento agora" -> "estacionamento", "comprei 3 pizzas" -> "pizzas"),
            lower-case as written, when the message has a spending verb or a category word (so
            the question can name it); None otherwise.
        language_sure: the text itself shows ``language`` (three words or more and a decisive
            score: ``language.evident_language``); False when ``language`` is only the hint's, or
            the reader's guess for a short or ambiguous text ("/help", "45", "👍", "uber 23"),
            which then should not change a chat's language.
    """

    language: str
    intent: str
    items: tuple[ReadItem, ...]
    confidence: float
    problem: str | None
    query: QuerySpec | None = None
    category: str | None = None
    link_code: str | None = None
    context_choice: str | None = None
    link_confirmed: bool = False
    budget: BudgetSpec | None = None
    item_without_amount: str | None = None
    invite_code: str | None = None
    invite_role: str | None = None
    #: Not part of what was read (two readings saying the same are equal): how the language was known.
    language_sure: bool = field(default=False, compare=False)
    #: The card of a "card" command ("/cartao Nubank fecha 5 vence 12"); None for any other intent.
    card: CardSpec | None = None
    #: Who shares the cost of a "split" ("paguei 120 do jantar, divide com a Ana"; see ``cost_split``).
    cost_split: CostSplitSpec | None = None
    #: What a "settle" says ("/acertar Ana 60": the sender paid Ana 60).
    settlement: SettlementSpec | None = None
    #: What a "search" looks for ("/buscar farmácia" -> "farmácia", as typed); None for any
    #: other intent, and for a bare "/buscar".
    search_text: str | None = None
    #: A "subscriptions" command that decides about one series ("/assinatura confirmar Netflix");
    #: None to list them, and for any other intent.
    subscription_decision: SubscriptionDecision | None = None


def read_message(
    text: str,
    *,
    today: dt.date,
    language_hint: str | None = None,
    default_currency: str | None = None,
) -> Reading:
    """Read one chat message.

    Args:
        text: the message as received; one longer than :data:`MAX_CHARS` is not read.
        today: the reference day, in the context's time zone, for "last friday" and "dia 5".
        language_hint: the chat's language ("pt", "en", "pt-BR"...); wins for ambiguous texts.
        default_currency: the context's base currency; only used to resolve a bare "$" (and
            cents) to a dollar currency. A text that names no currency gives ``currency=None``.

    Returns:
        A :class:`Reading`. Never raises for any ``str`` input (nor for a non-``str``, which
        reads as "not_text"). Its ``language`` is the hint's unless the text shows another on
        its own (``language_sure``).
    """
    reading = _read_message(text, today=today, language_hint=language_hint, default_currency=default_currency)
    return _in_chat_language(reading, text, language_hint)


def _in_chat_language(reading: Reading, text: object, language_hint: str | None) -> Reading:
    """Return ``reading`` in the language the text shows (``language_sure``), else the hint's.

    A slash command shows no language (what follows it is a name or a choice: "/contexto Família
    Silva"), except the "/add"-like ones whose text is read. Without a hint a text that shows no
    language keeps the reader's guess, not sure.
    """
    evident = None
    if isinstance(text, str) and len(text) <= MAX_CHARS:
        prepared = prepare(text)
        command = command_intent(prepared.fold)
        if command is None or command == "record":
            mention = command_mention(prepared.fold)
            tokens = [
                tok
                for tok in tokenize(prepared.fold)
                if mention is None or not mention[0] <= tok.start < mention[1]
            ]
            evident = evident_language(tokens, prepared.lower)
    hint = base_language(language_hint)
    language = evident or hint or reading.language
    sure = evident is not None
    if language == reading.language and sure == reading.language_sure:
        return reading
    return replace(reading, language=language, language_sure=sure)


def _read_message(
    text: str,
    *,
    today: dt.date,
    language_hint: str | None,
    default_currency: str | None,
) -> Reading:
    """:func:`read_message` before the chat's language is applied (``language`` as read)."""
    fallback_language = _hint_language(language_hint)
    received: object = text  # callers outside the type checker may pass bytes or None
    if not isinstance(received, str):
        return _nothing(fallback_language, "not_text")
    if len(text) > MAX_CHARS:
        return _nothing(fallback_language, "too_long")
    text = drop_invisible(text)  # "18 re\u200bais": a zero-width space or a bidi mark splits no word
    controls = control_count(text)
    if controls and ("\x00" in text or controls * 10 > len(text)):
        return _nothing(fallback_language, "not_text")
    prepared = prepare(text)
    fold = prepared.fold
    if not fold.strip():
        return _nothing(fallback_language, "empty")

    tokens = tokenize(fold)
    mention = command_mention(fold)
    language = detect_language(
        [tok for tok in tokens if mention is None or not mention[0] <= tok.start < mention[1]],
        prepared.lower,
        language_hint,
    )

    shared = _cost_sharing_request(prepared, default_currency)
    if shared is not None:
        return shared
    search = search_command(fold, prepared.clean)
    if search is not None:  # "/buscar farmácia": the ledger's transactions that match
        return Reading(search.language, "search", (), 1.0, None, search_text=search.text)
    command = command_intent(fold)
    if command is not None and command != "record":
        # A bare "/help" or "/desfazer" is in the language of its word, whatever the chat's hint.
        language = command_language(fold) or language
    if command == "unknown_command":
        return _nothing(language, "unknown_command")
    if command is not None and command != "record":
        return _command(command, prepared, tokens, language, fallback_language if language_hint else None)
    if command is None:
        code = link_code(prepared.clean, fold)
        if code is not None:
            # a code says nothing of the language: the chat's, when known
            return Reading(
                fallback_language if language_hint else language,
                "link",
                (),
                PHRASE_CONFIDENCE,
                None,
                link_code=prepared.clean[code[0] : code[1]],
            )
        conversation = _conversation(prepared, tokens, today, language)
        if (
            conversation is not None
            and conversation.problem == "query"
            and _record_after_question(fold, tokens)
        ):
            # "quanto custa? paguei 30": a question we cannot answer, then a transaction: the transaction
            tail = text[fold.rfind("?") + 1 :]
            return read_message(tail, today=today, language_hint=language, default_currency=default_currency)
        if conversation is not None:
            return conversation

    dates = find_dates(fold, today, language)
    if prepared.spaced:  # "1 234,56": one number, unless its digits belong to a date
        joined = join_spaced_numbers(prepared, dates.spans)
        if joined.fold != fold:
            prepared, fold = joined, joined.fold
            tokens = tokenize(fold)
    starts = [tok.start for tok in tokens]
    for start, end in chatter_spans(fold):
        mark_span(tokens, starts, start, end, Role.CHATTER)
    for start, end in dates.spans:
        mark_span(tokens, starts, start, end, Role.DATE)
    times = find_times(fold, prepared.lower, language)
    for said in times:  # "às 20h30", "meio-dia": never an amount
        mark_span(tokens, starts, said.start, said.end, Role.NOT_MONEY)
    split = find_split(prepared, tokens)  # "divide com a Ana": neither an amount nor a merchant
    for start, end in split.spans if split is not None else ():
        mark_span(tokens, starts, start, end, Role.CHATTER)
    if has_scientific(fold):
        return _nothing(language, "ambiguous_amount")
    found = nlp.analyse(fold, language)
    mask_not_money(fold, tokens, starts)
    _mark_numbered(prepared.lower, tokens, starts)
    instalments = find_instalments(
        fold,
        tokens,
        starts,
        extra=[(f.start, f.end, int(f.value)) for f in found if f.label == nlp.INSTALMENT],
    )
    if any(not 1 <= inst.count <= MAX_INSTALMENTS for inst in instalments):
        return _nothing(language, "ambiguous_amount")
    _mark_payment_words(tokens, starts, language, found)

    mentions = find_mentions(tokens, prepared.clean, language)
    mentions = combine_cents(tokens, mentions)
    if has_range(tokens, mentions, language):
        return _nothing(language, "ambiguous_amount")
    mentions = _drop_counts(tokens, mentions)
    mentions = drop_not_amounts(tokens, mentions)
    if has_split_number(tokens, mentions):
        return _nothing(language, "ambiguous_amount")
    if has_clashing_repeat(mentions):  # "gastei 50 reais 30 euros": which one? never one dropped
        return _nothing(language, "ambiguous_amount")
    mentions = merge_repeats(tokens, mentions)
    mentions = [m for m in mentions if m.amount > 0]
    if not mentions and split is not None:  # "divide com a Ana": the last transaction is split
        return Reading(language, "split", (), PHRASE_CONFIDENCE, None, cost_split=split.spec)
    if not mentions:
        if _is_budget(
            fold, tokens
        ):  # "orçamento de 0 para mercado": a budget phrase, never asked as an expense
            return Reading(
                language, "budget", (), PHRASE_CONFIDENCE, None, budget=budget_of(fold, [], language)
            )
        if oversized_number(tokens):
            return _nothing(language, "amount_out_of_range")
        named = _ItemBuilder(prepared, tokens, starts, language, default_currency, found).named_item()
        return replace(_nothing(language, "no_amount"), item_without_amount=named)
    if len(mentions) > MAX_ITEMS:
        return _nothing(language, "too_many_items")
    if dates.invalid:
        return _nothing(language, "ambiguous_date")

    ranges = _segments(tokens, mentions)
    item_dates = _item_dates(dates, tokens, mentions, ranges)
    if item_dates is None:
        return _nothing(language, "ambiguous_date")
    builder = _ItemBuilder(prepared, tokens, starts, language, default_currency, found)
    items: list[ReadItem] = []
    confidences: list[float] = []
    for k, (start, end) in enumerate(ranges):
        item, confidence = builder.build(
            mentions[k], start, end, instalments, item_dates[k], single=len(mentions) == 1
        )
        item = _with_due_and_time(item, tokens, start, end, dates, times, single=len(mentions) == 1)
        problem = _amount_problem(item.amount)
        if problem is not None:
            return _nothing(language, problem)
        if _decimal_places(item.amount) > 2:
            confidence = min(confidence, LOW_CONFIDENCE)  # "1,234" in pt, "0,125": ask before trusting
        items.append(item)
        confidences.append(confidence)
    if split is not None:
        return Reading(language, "split", tuple(items), min(confidences), None, cost_split=split.spec)
    if _is_budget(fold, tokens) and all(item.kind == "expense" for item in items):
        stated = [(item.amount, item.currency, item.category) for item in items]
        budget = budget_of(fold, stated, language)
        return Reading(language, "budget", (), PHRASE_CONFIDENCE, None, budget=budget)
    return Reading(language, "record", tuple(items), min(confidences), None)


def _cost_sharing_request(prepared: Text, default_currency: str | None) -> Reading | None:
    """A cost-sharing command ("/saldo", "/acertar Ana 60") or a whole message asking who owes whom
    ("quem deve quem?"), in the language of its words; None for any other message."""
    fold = prepared.fold
    command = sharing_command(fold)
    if command is not None:
        intent, language, at = command
        if intent == "who_owes":
            return Reading(language, "who_owes", (), 1.0, None)
        said = read_settlement(prepared.clean[at:], language, default_currency)
        return Reading(language, "settle", (), 1.0, None, settlement=said)
    asking = who_owes_phrase(fold)
    if asking is not None:
        return Reading(asking, "who_owes", (), PHRASE_CONFIDENCE, None)
    return None


def _with_due_and_time(
    item: ReadItem,
    tokens: Sequence[Token],
    start: int,
    end: int,
    dates: DateFindings,
    times: Sequence[TimeMention],
    *,
    single: bool,
) -> ReadItem:
    """``item`` with the due date and the time of day its words say ("venceu dia 5", "às 20h30");
    a one-item message takes the first of each the message says."""
    low, high = (tokens[start].start, tokens[end - 1].end) if end > start else (0, 0)

    def own(start_at: int) -> bool:
        return single or low <= start_at < high

    due = next((d.reading.occurred_on for d in dates.due if own(d.start) and d.reading.occurred_on), None)
    time = next((t.time for t in times if own(t.start) and t.time is not None), None)
    if due is None and time is None:
        return item
    return dataclasses.replace(item, due_on=due, occurred_at_time=time)


def _decimal_places(amount: Decimal) -> int:
    exponent = amount.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def _amount_problem(amount: Decimal) -> str | None:
    """Why an item's amount cannot be recorded as read, or None."""
    if amount >= MAX_AMOUNT:
        return "amount_out_of_range"
    if amount < MIN_AMOUNT:
        return "amount_too_small"
    if _decimal_places(amount) > MAX_DECIMAL_PLACES:
        return "ambiguous_amount"
    return None


def _item_dates(
    dates: DateFindings,
    tokens: Sequence[Token],
    mentions: Sequence[Mention],
    ranges: Sequence[tuple[int, int]],
) -> list[DateReading] | None:
    """The date of each item, or None when the text leaves an item's date unclear.

    One date (or the same date repeated) applies to every item, as does the first date of a
    one-item message. With different dates, each item takes the first date written in its own
    words ("almoço 35 ontem e uber 20 anteontem"); an item with none takes the date of the nearest
    item before it whose date heads its words ("ontem almoço 35, uber 20, hoje cinema 40": uber is
    yesterday) or of the nearest item after it whose date trails its words ("almoço 35, uber 20
    ontem, cinema 40 hoje": almoço is yesterday). Both or neither: unclear, the reader asks.
    """
    said = dates.mentions
    if not said:
        return [DateReading()] * len(mentions)
    if len(mentions) == 1 or len({d.reading for d in said}) == 1:
        return [said[0].reading] * len(mentions)
    own: list[DateMention | None] = []
    for start, end in ranges:
        low, high = (tokens[start].start, tokens[end - 1].end) if end > start else (0, 0)
        own.append(next((d for d in said if low <= d.start < high), None))
    heading = [d is not None and d.start < tokens[m.start].start for d, m in zip(own, mentions, strict=True)]
    found: list[DateReading] = []
    for k, date in enumerate(own):
        if date is not None:
            found.append(date.reading)
            continue
        before = next((p for p in range(k - 1, -1, -1) if own[p] is not None), None)
        after = next((q for q in range(k + 1, len(own)) if own[q] is not None), None)
        candidates: set[DateReading] = set()
        if before is not None and heading[before]:
            candidates.add(found[before])  # the heading date, already this earlier item's
        if after is not None and not heading[after]:
            trailing = own[after]
            assert trailing is not None
            candidates.add(trailing.reading)
        if len(candidates) != 1:
            return None
        found.append(candidates.pop())
    return found


def warm_up() -> None:
    """Load the language detector and both spaCy pipelines now rather than on the first message
    (about 1 s in all); a process that reads messages calls it once at start."""
    _warm_up_language()
    nlp.warm_up()


def _hint_language(hint: str | None) -> str:
    return base_language(hint) or "pt"


def _nothing(language: str, problem: str) -> Reading:
    return Reading(language, "unknown", (), 0.0, problem)


def _command(
    command: str, prepared: Text, tokens: Sequence[Token], language: str, chat_language: str | None
) -> Reading:
    """Read a slash command other than "/add"-like ones; ``language`` is its word's (or the
    message's), ``chat_language`` the chat's when the caller knows it.

    What follows the command matters for three: "/contexto 2" switches to ledger "2" (the text as
    typed, ``context_choice``), "/categoria saúde" changes the category, "/start CODE" links the
    chat to an account (``link_code``, as typed) and "/vincular CODE" or "/link CODE" confirms it
    (``link_confirmed``); the others ignore it.
    """
    argument = command_argument(prepared.fold)
    rest = prepared.clean[argument[0] : argument[1]] if argument is not None else None
    if command == "contexts":
        return Reading(
            language, command, (), 1.0, None, context_choice=rest[:MAX_CONTEXT_CHOICE] if rest else None
        )
    if command == "categories" and argument is not None:
        change = Correction(argument[0], argument[1], strong=True)
        slug = _new_category(change, nlp.analyse(prepared.fold, language), tokens, language)
        if slug is None:
            return Reading(language, "recategorize", (), UNKNOWN_CATEGORY_CONFIDENCE, "unknown_category")
        return Reading(language, "recategorize", (), 1.0, None, category=slug)
    if command == "start" and rest is not None and invite_code(rest):
        # a deep link into a shared ledger ("t.me/bot?start=K7QM2XPD9A")
        return Reading(chat_language or language, "join", (), 1.0, None, invite_code=rest[:32])
    if command == "join":
        return Reading(language, "join", (), 1.0, None, invite_code=rest[:32] if rest else None)
    if command == "invite":
        return Reading(language, "invite", (), 1.0, None, invite_role=rest[:32] if rest else None)
    if command == "start" and rest is not None and start_payload(rest):
        return Reading(chat_language or language, "link", (), 1.0, None, link_code=rest)
    if command == "link_confirm":
        # The button under "link this chat to account X?"; without a code the core says so.
        return Reading(language, "link", (), 1.0, None, link_code=rest, link_confirmed=True)
    if command == "card_bill":  # "/fatura": the card's bills, as "quanto tá a fatura?" asks
        return Reading(language, "query", (), 1.0, None, query=QuerySpec(ask="card_bill"))
    if command == "subscriptions" and argument is not None and rest is not None:
        # "/assinatura confirmar Netflix", "/subscriptions dismiss 2"; anything else lists them
        decision = subscription_decision(prepared.fold[argument[0] : argument[1]], rest)
        return Reading(language, "subscriptions", (), 1.0, None, subscription_decision=decision)
    if command == "card":  # "/cartao Nubank fecha 5 vence 12"; alone: the ledger's cards
        return Reading(language, "card", (), 1.0, None, card=read_card(rest) if rest else None)
    return Reading(language, command, (), 1.0, None)


def _conversation(prepared: Text, tokens: Sequence[Token], today: dt.date, language: str) -> Reading | None:
    """Read a message that is no transaction: a confirmation, small talk, an undo or help phrase,
    a ledger request ("trocar contexto"), a summary request ("resumo do mês"), "fui eu", a
    category change or a question; None when it is none of these."""
    fold = prepared.fold
    chat = chat_intent(fold)
    if chat is not None:
        intent, said = chat
        return Reading(said or language, intent, (), PHRASE_CONFIDENCE, None)
    ledgers = context_request(fold)
    if ledgers is not None:
        return Reading(
            ledgers.language, "contexts", (), PHRASE_CONFIDENCE, None, context_choice=ledgers.choice
        )
    subscriptions = subscriptions_request(fold)
    if subscriptions is not None:  # "quais minhas assinaturas?", "my subscriptions"
        return Reading(subscriptions, "subscriptions", (), PHRASE_CONFIDENCE, None)
    phrase = phrase_intent(fold)
    if phrase in ("claim_payer", "summary"):
        return Reading(request_language(fold), phrase, (), PHRASE_CONFIDENCE, None)
    if phrase is not None and phrase != "query":
        return Reading(language, phrase, (), PHRASE_CONFIDENCE, None)
    change = correction(fold)
    if change is not None:
        slug = _new_category(change, nlp.analyse(fold, language), tokens, language)
        if slug is not None:
            return Reading(language, "recategorize", (), PHRASE_CONFIDENCE, None, category=slug)
        if change.strong:
            return Reading(language, "recategorize", (), UNKNOWN_CATEGORY_CONFIDENCE, "unknown_category")
    question = read_query(prepared, tokens, today, language) or read_ask(prepared, tokens, today, language)
    if question is not None:
        return Reading(language, "query", (), question.confidence, question.problem, query=question.spec)
    if _is_budget(fold, tokens) and not any(tok.kind is TokKind.NUM for tok in tokens):
        # "quero um orçamento pro mercado": a budget with no amount, never an expense
        budget = budget_of(fold, [], language)
        return Reading(language, "budget", (), PHRASE_CONFIDENCE, None, budget=budget)
    if phrase == "query":
        return _nothing(language, "query")
    return None


#: "nº 999999", "n° 12", "n.º 8": a number marker (folded, "nº" reads "no", so it is found in ``lower``).
_NUMBER_MARK_RE: Final = re.compile(r"(?<!\w)n\.?\s?[º°]\s*(?=\d)")


def _mark_numbered(lower: str, tokens: Sequence[Token], starts: Sequence[int]) -> None:
    """Mark a number after a number marker ("pedido nº 999999", "casa n° 12") as no money, unless a
    currency follows it ("nº 5 reais" stays an amount)."""
    for m in _NUMBER_MARK_RE.finditer(lower):
        k = bisect.bisect_left(starts, m.end())
        if k >= len(tokens) or tokens[k].start != m.end() or tokens[k].kind is not TokKind.NUM:
            continue
        after = tokens[k + 1] if k + 1 < len(tokens) else None
        if after is not None and (after.kind is TokKind.SYM or after.text in lx.CURRENCY_BY_WORD):
            continue
        if tokens[k].role is Role.FREE:
            tokens[k].role = Role.NOT_MONEY


def _record_after_question(fold: str, tokens: Sequence[Token]) -> bool:
    """True when a question is followed by a transaction ("quanto custa? paguei 30"): after the
    last "?" come a number and a verb of spending or receiving, so the message is read as a record."""
    mark = fold.rfind("?")
    if mark < 0:
        return False
    after = [tok for tok in tokens if tok.start > mark]
    verbs = lx.EXPENSE_VERBS | lx.INCOME_VERBS
    return any(tok.kind is TokKind.NUM for tok in after) and any(tok.text in verbs for tok in after)


def _is_budget(fold: str, tokens: Sequence[Token]) -> bool:
    """A budget phrase ("orçamento de 800 para mercado", "budget 500 for groceries"): a budget
    word and no verb of spending or receiving ("paguei o orçamento do pintor" is an expense)."""
    verbs = lx.EXPENSE_VERBS | lx.INCOME_VERBS
    return has_budget_cue(fold) and not any(tok.text in verbs for tok in tokens)


def _new_category(
    change: Correction, found: Sequence[nlp.Found], tokens: Sequence[Token], language: str
) -> str | None:
    """The category a change names: a name the entity ruler knows inside the target words
    ("uber eats", "cuidados pessoais"), else the lexicon's word tables ("farmácias"). After a weak
    cue ("era", "that was") the target must be the name and nothing more."""
    names = [f for f in found if f.label in (nlp.CATEGORY, nlp.MERCHANT)]
    words = [tok.text for tok in tokens if change.start <= tok.start and tok.end <= change.end]
    if change.strong:
        named = next((f.value for f in names if change.start <= f.start and f.end <= change.end), None)
        return named or category_of(words, language)
    whole = next((f.value for f in names if (f.start, f.end) == (change.start, change.end)), None)
    if whole is not None or len(words) != 1:
        return whole
    return category_of(words, language)


def _mark_payment_words(
    tokens: Sequence[Token], starts: Sequence[int], language: str, found: Sequence[nlp.Found]
) -> None:
    """Mark payment-method words (and the "de" in "cartão de crédito") as ``PAYMENT``.

    A payment phrase the entity ruler found ("cartão de crédito", "bank transfer") is marked
    whole; a payment word inside a longer name or category phrase ("gift card", "taxa de
    transferência") is not a payment method.
    """
    inside_names = [(f.start, f.end) for f in found if f.label not in (nlp.PAYMENT, nlp.INSTALMENT)]
    for f in found:
        if f.label == nlp.PAYMENT:
            mark_span(tokens, starts, f.start, f.end, Role.PAYMENT)
    previous: int | None = None
    for i, tok in enumerate(tokens):
        if tok.kind is not TokKind.WORD or tok.text not in lx.PAYMENT_BY_WORD:
            continue
        if tok.role is Role.PAYMENT:
            previous = i
            continue
        if tok.role is not Role.FREE or any(
            start <= tok.start and tok.end <= end for start, end in inside_names
        ):
            continue
        if tok.text in {"ted", "doc"} and language != "pt":
            continue
        tok.role = Role.PAYMENT
        if previous is not None and i - previous == 2 and tokens[i - 1].text in {"de", "do", "da", "no"}:
            tokens[i - 1].role = Role.PAYMENT
        previous = i


def _is_separator(tok: Token) -> bool:
    if tok.kind is TokKind.NL:
        return True
    if tok.kind is TokKind.PUNCT:
        return tok.text in lx.ITEM_SEPARATOR_PUNCT or tok.text in {".", "!", "?"}
    return tok.kind is TokKind.WORD and tok.role is Role.FREE and tok.text in lx.ITEM_SEPARATOR_WORDS


def _first_separator(tokens: Sequence[Token], start: int, end: int) -> int | None:
    for i in range(start, end):
        if _is_separator(tokens[i]):
            return i
    return None


def _drop_counts(tokens: Sequence[Token], mentions: list[Mention]) -> list[Mention]:
    """Drop small counts before a noun when another amount follows in the same clause."""
    out: list[Mention] = []
    for k, mention in enumerate(mentions):
        if (
            mention.weak_quantity
            and k + 1 < len(mentions)
            and _first_separator(tokens, mention.end, mentions[k + 1].start) is None
        ):
            for i in range(mention.start, mention.end):
                tokens[i].role = Role.QUANTITY
            continue
        out.append(mention)
    return out


def _is_content(tok: Token) -> bool:
    """True for a token that can be (part of) a merchant."""
    if tok.role is Role.MERCHANT_NUMBER:
        return True
    text = tok.text
    return (
        tok.kind is TokKind.WORD
        and tok.role is Role.FREE
        and len(text) > 1
        and text not in lx.STOPWORDS
        and text not in lx.VERBS
        and text not in lx.GENERIC_NOUNS
        and text not in lx.INCOME_NOUNS
        and text not in lx.CURRENCY_BY_WORD
        and text not in lx.ITEM_SEPARATOR_WORDS
        and text not in lx.NUMBER_WORDS
        and text not in lx.APPROXIMATE_WORDS
        and text not in lx.UNIT_WORDS
        and text not in lx.LABEL_WORDS
    )


def _segments(tokens: Sequence[Token], mentions: Sequence[Mention]) -> list[tuple[int, int]]:
    """Cut the token list into one ``[start, end)`` range per mention."""
    n = len(tokens)
    if len(mentions) == 1:
        return [(0, n)]
    merchant_first = any(_is_content(tok) for tok in tokens[: mentions[0].start])
    ranges: list[tuple[int, int]] = []
    start = 0
    for k in range(len(mentions) - 1):
        a, b = mentions[k].end, mentions[k + 1].start
        sep = _first_separator(tokens, a, b)
        if sep is not None:
            end, next_start = sep, sep + 1
        elif merchant_first:
            end = next_start = a
        else:
            end = next_start = b
        ranges.append((start, end))
        start = next_start
    ranges.append((start, n))
    return ranges


_PHRASE_RE: Final = re.compile(
    r"\b(?:" + "|".join(re.escape(p) for p in sorted(lx.CATEGORY_BY_PHRASE, key=len, reverse=True)) + r")\b"
)
_JOIN_PREPOSITIONS: Final = frozenset({"de", "do", "da", "dos", "das"})
_ARTICLES: Final = frozenset({"o", "a", "os", "as", "um", "uma", "the", "my", "meu", "minha"})
_WORD_GLUE: Final = frozenset({"-", "&", "'", "’", "."})


class _ItemBuilder:
    """Turns one mention and its token range into a :class:`ReadItem`."""

    def __init__(
        self,
        prepared: Text,
        tokens: Sequence[Token],
        starts: Sequence[int],
        language: str,
        default_currency: str | None,
        found: Sequence[nlp.Found] = (),
    ) -> None:
        self.text = prepared
        self.tokens = tokens
        self.starts = starts
        self.language = language
        self.default_currency = default_currency
        # multi-word merchant names the entity ruler found ("pão de açúcar", "uber eats")
        self.names = [
            span
            for f in found
            if f.label == nlp.MERCHANT
            and (span := self._token_span(f.start, f.end)) is not None
            and span[1] > span[0]
        ]
        # organisations the optional English model finds ("Dave and Busters"), to complete names
        self.organisations = (
            [
                span
                for s, e in nlp.organisations(prepared.clean)
                if (span := self._token_span(s, e)) is not None
            ]
            if language == "en"
            else []
        )
        # payment phrases ("wire transfer", "bank transfer") say how money was paid, not that it moved
        self.paid_by: set[int] = set()
        for f in found:
            first, after = bisect.bisect_left(starts, f.start), bisect.bisect_left(starts, f.end)
            if f.label == nlp.PAYMENT and after - first > 1:
                self.paid_by.update(range(first, after))
        words = [
            tok.text for i, tok in enumerate(tokens) if tok.kind is TokKind.WORD and i not in self.paid_by
        ]
        self.message_kind = self._kind(words, prepared.fold)
        self.has_cue = bool(set(words) & (lx.EXPENSE_VERBS | lx.INCOME_VERBS | lx.TRANSFER_WORDS | lx.VERBS))
        methods = {self._payment(0, len(tokens))} - {None}
        self.message_payment = methods.pop() if len(methods) == 1 else None

    def build(
        self,
        mention: Mention,
        start: int,
        end: int,
        instalments: Sequence[Instalment],
        date: DateReading,
        *,
        single: bool,
    ) -> tuple[ReadItem, float]:
        """Return the item for ``mention`` read from tokens ``[start, end)`` and dated ``date``,
        and its confidence."""
        tokens = self.tokens
        fold = self.text.fold
        seg_fold = fold[tokens[start].start : tokens[end - 1].end] if end > start else ""
        words = [
            tokens[i].text
            for i in range(start, end)
            if tokens[i].kind is TokKind.WORD and i not in self.paid_by
        ]
        kind = self._kind(words, seg_fold) or self.message_kind or "expense"
        merchant_span = next(((a, b) for a, b in self.names if start <= a and b < end), None)
        if merchant_span is None:
            merchant_span = self._merchant(start, end)
            if merchant_span is not None:
                merchant_span = self._complete_name(merchant_span, start, end)
        merchant = (
            self.text.lower[tokens[merchant_span[0]].start : tokens[merchant_span[1]].end].strip()
            if merchant_span
            else None
        )
        category = self._category(start, end, merchant_span, kind)
        if category == "transfer":
            kind = "transfer"  # "poupança 200", "investimento 300": money moved, not spent
        payment = self._payment(start, end) or self.message_payment
        amount = mention.amount
        installments: int | None = None
        for inst in instalments:
            at = bisect.bisect_left(self.starts, inst.start)
            if single or start <= at < end:
                installments = inst.count
                if inst.per_amount_at is not None and tokens[mention.start].start == inst.per_amount_at:
                    amount *= inst.count
                break
        currency, ambiguous = resolve_currency(mention.currency, self.default_currency)
        item = ReadItem(
            kind=kind,
            amount=amount,
            currency=currency,
            occurred_on=date.occurred_on,
            days_ago=date.days_ago,
            merchant=merchant or None,
            description=self._description(start, end),
            category=category,
            payment_method=payment,
            installments=installments,
        )
        confidence = 0.6
        if currency is not None:
            confidence += 0.05 if ambiguous else 0.1
        if merchant or category:
            confidence += 0.2
        if self.has_cue:
            confidence += 0.05
        if mention.from_words:
            confidence -= 0.05
        if mention.approximate:
            confidence -= 0.1
        if mention.negative:  # "-50", "gastei -30 no mercado": a refund? asked, never recorded as sure
            confidence = min(confidence - 0.15, LOW_CONFIDENCE)
        if date.vague:  # "mês passado": a date was said that the item does not carry
            confidence = min(confidence, LOW_CONFIDENCE)
        return item, round(min(max(confidence, 0.05), 0.99), 2)

    def named_item(self) -> str | None:
        """The merchant words of a message without an amount ("comprei um tênis" -> "tênis"), when
        it has a spending verb or a category word; else None (nothing says money was spent)."""
        span = self._merchant(0, len(self.tokens))
        if span is None:
            return None
        kind = self.message_kind or "expense"
        if not self.has_cue and self._category(0, len(self.tokens), span, kind) is None:
            return None
        words = self.text.lower[self.tokens[span[0]].start : self.tokens[span[1]].end].strip()
        return words[:200] or None

    def _token_span(self, start: int, end: int) -> tuple[int, int] | None:
        """The first and last token lying inside characters ``[start, end)`` when every token
        there may be part of a merchant (free words, the ride app's "99"), else None."""
        first = bisect.bisect_left(self.starts, start)
        last = first
        tokens = self.tokens
        while last < len(tokens) and tokens[last].end <= end:
            last += 1
        if last == first or any(
            tokens[i].role not in (Role.FREE, Role.MERCHANT_NUMBER) for i in range(first, last)
        ):
            return None
        return first, last - 1

    def _complete_name(self, span: tuple[int, int], start: int, end: int) -> tuple[int, int]:
        """Extend a merchant to the organisation name it starts, if the English model found one."""
        for a, b in self.organisations:
            if a <= span[0] <= b and b > span[1] and start <= a and b < end:
                return span[0], b
        return span

    @staticmethod
    def _kind(words: Sequence[str], fold: str) -> str | None:
        present = set(words)
        if present & lx.INCOME_VERBS or any(phrase in fold for phrase in lx.INCOME_PHRASES):
            return "income"
        if present & lx.EXPENSE_VERBS:
            return "expense"
        if present & lx.TRANSFER_WORDS:
            return "transfer"
        if present & lx.INCOME_NOUNS:
            return "income"
        return None

    def _merchant(self, start: int, end: int) -> tuple[int, int] | None:
        """Return the first and last token index of the merchant in ``[start, end)``."""
        tokens = self.tokens

        def after(prepositions: frozenset[str]) -> int | None:
            for i in range(start, end - 1):
                tok = tokens[i]
                if tok.kind is not TokKind.WORD or tok.role is not Role.FREE or tok.text not in prepositions:
                    continue
                j = i + 1
                if j < end - 1 and tokens[j].text in _ARTICLES and tokens[j].role is Role.FREE:
                    j += 1
                if _is_content(tokens[j]):
                    return j
            return None

        first = after(lx.PLACE_PREPOSITIONS)
        if first is None:
            first = next(
                (
                    i
                    for i in range(start, end)
                    if _is_content(tokens[i]) and self._word_category(tokens[i].text) is not None
                ),
                None,
            )
        if first is None:
            first = next((i for i in range(start, end) if _is_content(tokens[i])), None)
        if first is None:
            return None
        last = first
        j = first + 1
        count = 1
        while j < end and count < 4:
            tok = tokens[j]
            nxt = tokens[j + 1] if j + 1 < end else None
            if _is_content(tok) and tok.kind is TokKind.WORD:
                if tokens[last].role is Role.MERCHANT_NUMBER and tok.space_before:
                    break
                last, j, count = j, j + 1, count + 1
            elif (
                tok.text in _JOIN_PREPOSITIONS
                and tok.role is Role.FREE
                and nxt is not None
                and _is_content(nxt)
            ) or (
                tok.text in _WORD_GLUE
                and not tok.space_before
                and nxt is not None
                and not nxt.space_before
                and _is_content(nxt)
            ):
                last, j, count = j + 1, j + 2, count + 1
            else:
                break
        return first, last

    def _word_category(self, word: str) -> str | None:
        slug: str | None = lx.CATEGORY_BY_WORD_AND_LANGUAGE.get(
            (word, self.language)
        ) or lx.CATEGORY_BY_WORD.get(word)
        if slug is None and len(word) > 3 and word.endswith("s"):
            slug = lx.CATEGORY_BY_WORD.get(word[:-1])
        return slug

    def _category(self, start: int, end: int, merchant: tuple[int, int] | None, kind: str) -> str | None:
        tokens = self.tokens
        if kind == "transfer":
            return "transfer"
        words = [
            tok.text
            for tok in tokens[start:end]
            if tok.kind is TokKind.WORD or tok.role is Role.MERCHANT_NUMBER
        ]
        if kind == "income":
            return "salary" if any(lx.CATEGORY_BY_WORD.get(w) == "salary" for w in words) else "other_income"
        # the merchant's own words decide first ("mercado livre", "petshop"), then the rest
        if merchant is not None:
            slug = self._category_of(range(merchant[0], merchant[1] + 1))
            if slug is not None:
                return slug
        return self._category_of(range(start, end))

    def _category_of(self, indices: range) -> str | None:
        """Category of the tokens at ``indices``: a phrase first, else the first keyword."""
        tokens = self.tokens
        usable = [
            tokens[i]
            for i in indices
            if tokens[i].role in (Role.FREE, Role.MERCHANT_NUMBER)
            and (tokens[i].kind is TokKind.WORD or tokens[i].role is Role.MERCHANT_NUMBER)
        ]
        if len(usable) > 1:
            found = _PHRASE_RE.search(" ".join(tok.text for tok in usable))
            if found is not None and lx.CATEGORY_BY_PHRASE[found.group()] not in lx.INCOME_CATEGORIES:
                return lx.CATEGORY_BY_PHRASE[found.group()]
        for tok in usable:
            word_slug = self._word_category(tok.text)
            if word_slug is not None and word_slug not in lx.INCOME_CATEGORIES:
                return word_slug
        return None

    def _payment(self, start: int, end: int) -> str | None:
        found = {
            lx.PAYMENT_BY_WORD[tok.text]
            for tok in self.tokens[start:end]
            if tok.role is Role.PAYMENT and tok.text in lx.PAYMENT_BY_WORD
        }
        words = {tok.text for tok in self.tokens[start:end] if tok.role is Role.PAYMENT}
        if not found:
            return None
        if "debit" in found:
            return "debit"
        if "pix" in found:
            return "pix"
        if words & {"credito", "credit"}:
            return "credit"
        for method in ("cash", "boleto", "transfer"):
            if method in found:
                return method
        return "credit"  # "cartão" / "card" alone

    def _description(self, start: int, end: int) -> str | None:
        """The item's own words, as written: runs of kept tokens, trimmed of function words."""
        tokens = self.tokens
        clean = self.text.clean
        keep_roles = (Role.FREE, Role.QUANTITY, Role.MERCHANT_NUMBER, Role.ADDRESS)
        runs: list[list[int]] = []
        run: list[int] = []
        for i in range(start, end):
            tok = tokens[i]
            kept = (
                tok.role in keep_roles
                and tok.kind is not TokKind.NL
                and tok.text not in lx.VERBS
                and not (
                    tok.kind is TokKind.PUNCT and (tok.space_before or tok.text in lx.ITEM_SEPARATOR_PUNCT)
                )
            )
            if kept:
                run.append(i)
            elif run:
                runs.append(run)
                run = []
        if run:
            runs.append(run)
        pieces: list[str] = []
        trim = lx.STOPWORDS | lx.ITEM_SEPARATOR_WORDS
        for run in runs:
            while run and (tokens[run[0]].text in trim or tokens[run[0]].kind is TokKind.PUNCT):
                run.pop(0)
            while run and (tokens[run[-1]].text in trim or tokens[run[-1]].kind is TokKind.PUNCT):
                run.pop()
            if not run or (len(run) == 1 and tokens[run[0]].text in lx.GENERIC_NOUNS):
                continue
            piece = clean[tokens[run[0]].start : tokens[run[0]].end]
            for i in run[1:]:
                tok = tokens[i]
                piece += (" " if tok.space_before else "") + clean[tok.start : tok.end]
            pieces.append(piece)
        description = " ".join(pieces).strip()
        return description or None

"""Wire contract v1 between edge nodes and the core.

These are the only core types that ``financy.edge`` and ``financy.bots`` may import. Every
message is a frozen pydantic model that forbids unknown fields and carries ``schema_version``;
it travels as one Redis stream entry whose single field ``payload`` holds the model's JSON.

Streams (DESIGN §4):

* ``financy:captures`` — edge -> core, one :class:`CaptureV1` per thing a user sent.
* ``financy:edge:{edge_id}:replies`` — core -> edge, one :class:`ReplyV1` per answer.

Delivery is at least once; the core makes effects exactly once through the capture's
idempotency key ``{platform}:{chat_id}:{message_id}``.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

SCHEMA_VERSION: Literal[1] = 1
CAPTURES_STREAM = "financy:captures"
PAYLOAD_FIELD = "payload"

#: Largest text a capture carries; longer messages are truncated at the edge and flagged.
MAX_TEXT_CHARS = 10_000

CurrencyCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
Platform = Literal["devchat", "telegram", "whatsapp"]
#: What kind of chat a message came from: a one-to-one chat with the bot, or a group. A group's
#: chat is bound to a shared ledger; a private chat to the sender's personal ledger (or the one
#: they switched to with /contexto).
ChatType = Literal["private", "group"]


def replies_stream(edge_id: str) -> str:
    """Return the name of the reply stream the core writes for ``edge_id``."""
    return f"financy:edge:{edge_id}:replies"


def heartbeat_stream(edge_id: str) -> str:
    """Return the stream ``edge_id`` writes its :class:`HeartbeatV1` to (kept short: ``MAXLEN ~ 100``)."""
    return f"financy:edge:{edge_id}:heartbeats"


def confirms_stream(edge_id: str) -> str:
    """Return the stream the core writes :class:`CapturesConfirmedV1` to for ``edge_id``."""
    return f"financy:edge:{edge_id}:confirms"


def control_stream(edge_id: str) -> str:
    """Return the name of the control stream (model updates, config) for ``edge_id``."""
    return f"financy:edge:{edge_id}:control"


def idempotency_key(platform: str, chat_id: str, message_id: str) -> str:
    """Return the capture idempotency key ``{platform}:{chat_id}:{message_id}``.

    ``%`` and ``:`` inside the ids are percent-encoded, so that two different (chat, message)
    pairs can never make the same key (``a:b`` + ``c`` vs ``a`` + ``b:c``). Platform ids without
    those characters (Telegram's and WhatsApp's) appear as they are.
    """

    def part(value: str) -> str:
        return value.replace("%", "%25").replace(":", "%3A")

    return f"{platform}:{part(chat_id)}:{part(message_id)}"


_SURROGATES = re.compile("[\ud800-\udfff]")


def clean_text(value: str) -> str:
    """Return ``value`` with NUL and lone UTF-16 surrogates replaced by U+FFFD.

    Neither can be stored in PostgreSQL text or JSON, and both arrive from chat platforms and
    JSON bodies (``"\\u0000"``, ``"\\ud800"``); everything else a user sent is kept as it came.
    """
    if "\x00" in value:
        value = value.replace("\x00", "\ufffd")
    return _SURROGATES.sub("\ufffd", value)


class _Wire(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _clean_strings(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {k: clean_text(v) if isinstance(v, str) else v for k, v in data.items()}
        return data


class Intent(StrEnum):
    """What the user asked for."""

    RECORD = "record"
    UNDO = "undo"
    HELP = "help"
    START = "start"
    QUERY = "query"  # "quanto gastei com mercado este mês?": the core answers from the ledger
    RECATEGORIZE = "recategorize"  # "muda pra saúde": the last transaction's category changes
    CONFIRM = "confirm"  # "sim": record what the bot asked to confirm
    SMALL_TALK = "small_talk"  # "obrigado!": answered politely, nothing recorded
    CONTEXTS = "contexts"  # "/contexto": list the sender's ledgers, or switch to ``context_choice``
    SUMMARY = "summary"  # "/resumo": this month by category (with budget status when there are budgets)
    CATEGORIES = "categories"  # "/categoria" with no category: the list of categories
    CLAIM_PAYER = "claim_payer"  # "/eu", "fui eu": I paid the transaction the bot asked "who paid?" about
    LINK = "link"  # "/start CODE", a bare code: asks to link this chat to the code's account; "/vincular CODE" does
    UNKNOWN = "unknown"
    #: "orçamento de 800 para mercado", "budget 500 for groceries": a budget to set (``budget``);
    #: never an expense. The core sets or replaces it (:attr:`ReplyKind.BUDGET_SET`).
    BUDGET = "budget"
    #: "/convidar [papel]", "/invite [role]": an invitation into the chat's ledger (``invite_role`` as typed).
    INVITE = "invite"
    #: "/entrar CODE", "/join CODE", Telegram "/start CODE" with an invitation code (``invite_code``).
    JOIN = "join"
    #: "/pessoal", "/personal": this private chat records into the sender's personal ledger again.
    PERSONAL = "personal"
    #: "quais minhas assinaturas?", "my subscriptions", "/assinaturas": the ledger's recurring
    #: payments (:attr:`ReplyKind.SUBSCRIPTIONS`).
    SUBSCRIPTIONS = "subscriptions"
    #: "/cartao Nubank fecha 5 vence 12", "/card Nubank closes 5 due 12": set up a credit card
    #: (``card``), or with nothing after it list the ledger's cards. The core answers
    #: :attr:`ReplyKind.CARD_SET`.
    CARD = "card"
    #: A bank statement file sent as a document (``media``: .ofx/.qfx/.csv/.qif/.xml, see
    #: :func:`is_statement_file`): the core previews its import; "sim"/"yes" commits it.
    STATEMENT = "statement"
    #: "paguei 120 do jantar, divide com a Ana", "split 120 dinner with Ana and Bob": the
    #: transaction (in ``transactions``) is paid by the sender and its cost shared among members
    #: (``cost_split``); without a transaction ("divide com a Ana"), the sender's last one is.
    SPLIT = "split"
    #: "/saldo", "quem deve quem?", "who owes whom?": the ledger's balances between members and
    #: the transfers that settle them.
    WHO_OWES = "who_owes"
    #: "/acertar Ana 60", "/settle Ana 60": the sender paid Ana 60 to settle up (``settlement``).
    SETTLE = "settle"
    #: "/buscar farmácia", "/search pharmacy": the ledger's transactions that match
    #: ``search_text`` (:attr:`ReplyKind.SEARCH_RESULTS`).
    SEARCH = "search"


class TransactionKind(StrEnum):
    """Direction of money: out of, into, or between the context's accounts."""

    EXPENSE = "expense"
    INCOME = "income"
    TRANSFER = "transfer"


Sha256Hex = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]


class LineItem(_Wire):
    """One line of a receipt: what was bought, how many, at what unit price and line total.

    Any figure the receipt does not show is ``None``; amounts are in the transaction's currency.
    """

    description: str = Field(min_length=1, max_length=200)
    quantity: Decimal | None = Field(default=None, gt=0, max_digits=12, decimal_places=4)
    unit_price: Decimal | None = Field(default=None, ge=0, max_digits=18, decimal_places=4)
    line_total: Decimal | None = Field(default=None, max_digits=18, decimal_places=4)


class ProposedTransaction(_Wire):
    """One transaction the edge read from a capture, before the core records it.

    ``amount`` is a positive decimal in ``currency`` (ISO 4217); ``currency`` is ``None`` when
    the user named none, and the core then uses the context's base currency.
    The date is either absolute (``occurred_on``, e.g. "5/11") or relative (``days_ago``, e.g.
    "ontem" = 1), so the core can resolve it in the context's own time zone; neither means
    the day the message was received.
    """

    kind: TransactionKind = TransactionKind.EXPENSE
    amount: Decimal = Field(gt=0, max_digits=18, decimal_places=4)
    currency: CurrencyCode | None = None
    occurred_on: dt.date | None = None
    days_ago: int | None = Field(default=None, ge=0, le=3660)
    merchant: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, max_length=500)
    category: str | None = Field(default=None, max_length=40)
    payment_method: str | None = Field(default=None, max_length=40)
    installments: int | None = Field(default=None, ge=1, le=120)
    #: A receipt's lines (a voice note or a text has none).
    items: tuple[LineItem, ...] = Field(default=(), max_length=500)
    #: The category model's next best slugs after ``category``, best first (for a "change
    #: category" button); empty when the edge has no model.
    category_guesses: tuple[Annotated[str, StringConstraints(max_length=40)], ...] = Field(
        default=(), max_length=3
    )
    #: Read from a receipt photo whose date could not be read (and no date was said with it):
    #: the core dates it the day it was received and the reply says so.
    receipt_date_missing: bool = False
    #: The category is the model's unsure answer (below the edge's "model first" probability,
    #: with no keyword of the reader's behind it): the reply offers ``category_guesses`` too.
    category_unsure: bool = False
    #: The day a bill is (or was) due when the text says it ("o boleto venceu dia 5, paguei hoje
    #: 230": paid today, ``due_on`` the 5th); never the transaction's own date.
    due_on: dt.date | None = None
    #: The time of day the text says the money moved ("jantar às 20h30", "8:30pm"), in the
    #: context's time zone, minutes precision; None when not said or unclear ("às 8").
    occurred_at_time: dt.time | None = None


Period = Literal[
    "today",
    "yesterday",
    "this_week",
    "last_week",
    "this_month",
    "last_month",
    "this_year",
    "last_year",
    "all",
]


#: What a :class:`LedgerQuery` asks: "total" (a sum), "balance" (income minus expenses),
#: "recent" (the last transactions), "top_categories" (where most went), "budget" (what is left of
#: a budget: :attr:`ReplyKind.BUDGET_STATUS`); "bills" (bills to pay), "card_bill" (the card's
#: bill) and "chart" are things the ledger does not keep yet: the core answers that, with what
#: can be asked.
QueryAsk = Literal["total", "balance", "recent", "top_categories", "bills", "card_bill", "chart", "budget"]


class LedgerQuery(_Wire):
    """A question about the ledger: the sum of ``kind`` transactions in a period, maybe one category/merchant.

    ``period`` is resolved by the core in the context's time zone (weeks start on Monday).
    ``ask`` says what is asked of those transactions (see :data:`QueryAsk`; "total" by default).
    """

    kind: TransactionKind = TransactionKind.EXPENSE
    period: Period = "this_month"
    category: str | None = Field(default=None, max_length=40)
    merchant: str | None = Field(default=None, max_length=200)
    ask: QueryAsk = "total"
    #: How many transactions a "recent" lists ("últimos 10 gastos"); ``None``: the core's default (5).
    limit: int | None = Field(default=None, ge=1, le=20)
    #: A "recent" of every kind ("últimos lançamentos", "last transactions"), not only ``kind``.
    all_kinds: bool = False
    #: A group of categories named for questions ("comida": groceries and restaurants), and its
    #: member slugs; the question is about all of them (``category`` is then ``None``).
    group: str | None = Field(default=None, max_length=40)
    categories: tuple[Annotated[str, StringConstraints(max_length=40)], ...] = Field(
        default=(), max_length=20
    )


class BudgetRequest(_Wire):
    """A budget a message sets ("orçamento de 800 para mercado"): ``amount`` in ``currency``
    (``None``: the context's) per month, for a category or a group of them (neither: the whole
    ledger). ``amount`` is ``None`` when the message names none or several."""

    amount: Decimal | None = Field(default=None, gt=0, max_digits=18, decimal_places=4)
    currency: CurrencyCode | None = None
    category: str | None = Field(default=None, max_length=40)
    group: str | None = Field(default=None, max_length=40)
    categories: tuple[Annotated[str, StringConstraints(max_length=40)], ...] = Field(
        default=(), max_length=20
    )


class CardRequest(_Wire):
    """A credit card a message sets up ("/cartao Nubank fecha 5 vence 12"): its ``name`` and the
    days its bill closes and is due on (1..31), each ``None`` when the message does not say it;
    ``make_default``: the message asked for it to be the default card ("padrão", "default")."""

    name: str | None = Field(default=None, max_length=60)
    closing_day: int | None = Field(default=None, ge=1, le=31)
    due_day: int | None = Field(default=None, ge=1, le=31)
    make_default: bool = False


class SubscriptionDecisionRequest(_Wire):
    """A decision about one of the ledger's recurring series ("/assinatura confirmar Netflix"):
    ``action`` confirm or dismiss; ``series`` its merchant as typed, or its number in the
    subscriptions list ("2")."""

    action: Literal["confirm", "dismiss"]
    series: str = Field(min_length=1, max_length=100)


class CardV1(_Wire):
    """A credit card of a ledger: its bill closes on ``closing_day`` and is due on ``due_day``
    (a day a month lacks is its last); ``is_default``: "no cartão" purchases are billed on it."""

    card_id: UUID
    name: str = Field(max_length=60)
    closing_day: int = Field(ge=1, le=31)
    due_day: int = Field(ge=1, le=31)
    is_default: bool = False


class CardBillLineV1(_Wire):
    """One instalment on a card bill: the purchase's merchant (or description), its date,
    ``number``/``of`` ("3/10"; 1/1 for a purchase in one go) and the instalment's amount, in the
    ledger's base currency, or in its own ``currency`` and ``unvalued`` when no FX rate is known."""

    transaction_id: UUID
    merchant: str | None = Field(default=None, max_length=500)
    occurred_on: dt.date
    number: int = Field(ge=1, le=120)
    of: int = Field(ge=1, le=120)
    amount: Decimal
    currency: CurrencyCode
    unvalued: bool = False


class CardBillV1(_Wire):
    """One bill of a card: it closes on ``closing_on`` and is due on ``due_on`` (``month``: the
    first day of the due month, the month budgets count its instalments in). ``status``: "past"
    (due before today), "closed" (closed, not yet due), "open" (a purchase today is in it) or
    "future". ``total`` adds the ``count`` valued lines in ``currency`` (the ledger's base);
    ``unvalued`` lines are left out of it. ``lines`` are the first 50, oldest purchase first."""

    card_id: UUID
    card_name: str = Field(max_length=60)
    month: dt.date
    closing_on: dt.date
    due_on: dt.date
    status: Literal["past", "closed", "open", "future"]
    currency: CurrencyCode
    total: Decimal
    count: int = Field(default=0, ge=0)
    unvalued: int = Field(default=0, ge=0)
    lines: tuple[CardBillLineV1, ...] = Field(default=(), max_length=50)


class Understanding(_Wire):
    """What the edge understood of a capture's text (``financy parse --json`` shape).

    ``query`` is set for :attr:`Intent.QUERY`; ``category`` is the new category slug for
    :attr:`Intent.RECATEGORIZE`.
    """

    language: Literal["pt", "en"]
    intent: Intent
    transactions: tuple[ProposedTransaction, ...] = ()
    confidence: float = Field(ge=0.0, le=1.0)
    problem: str | None = Field(default=None, max_length=80)
    query: LedgerQuery | None = None
    category: str | None = Field(default=None, max_length=40)
    #: The one-time link code of :attr:`Intent.LINK` (as typed; the core normalises and checks it).
    link_code: str | None = Field(default=None, max_length=32)
    #: The user confirmed the link ("/vincular CODE", "/link CODE": the button under a
    #: :attr:`ReplyKind.LINK_CONFIRM`); only then, and only in a chat identity that was asked,
    #: does a :attr:`Intent.LINK` link anything.
    link_confirmed: bool = False
    #: What follows "/contexto" (a number from the list, or a ledger's name); ``None``: list them.
    context_choice: str | None = Field(default=None, max_length=200)
    #: The budget of :attr:`Intent.BUDGET`, as far as the message says it.
    budget: BudgetRequest | None = None
    #: With ``problem="no_amount"``: the words naming what was bought or paid ("paguei o
    #: estacionamento" -> "estacionamento"), so the question can name it; ``None`` otherwise.
    item_without_amount: str | None = Field(default=None, max_length=200)
    #: The text itself shows ``language`` (three words or more, decisively). ``False``: it is only
    #: the chat's hint or a guess ("/help", "45", "👍", "uber 23", media not read); the core then
    #: answers in the ledger's language. ``True`` by default, as before the field existed.
    language_sure: bool = True
    #: What follows "/convidar" (a role word: "leitor", "editor", "admin"), as typed; ``None``: editor.
    invite_role: str | None = Field(default=None, max_length=32)
    #: The invitation code of :attr:`Intent.JOIN`, as typed (the core normalises and checks it).
    invite_code: str | None = Field(default=None, max_length=32)
    #: The card of :attr:`Intent.CARD`, as far as the message says it (``None``: none said).
    card: CardRequest | None = None
    #: Who shares the cost of :attr:`Intent.SPLIT`, as the message names them (the core matches
    #: the names to the ledger's members); ``None`` for any other intent.
    cost_split: CostSplitRequest | None = None
    #: The settlement of :attr:`Intent.SETTLE`, as far as the message says it.
    settlement: SettlementRequest | None = None
    #: The words of :attr:`Intent.SEARCH` ("/buscar farmácia" -> "farmácia"), as typed; ``None``:
    #: nothing after the command.
    search_text: str | None = Field(default=None, max_length=200)
    #: With :attr:`Intent.SUBSCRIPTIONS`: confirm or dismiss one series instead of listing them.
    subscription_decision: SubscriptionDecisionRequest | None = None


class Sender(_Wire):
    """Who sent a capture, as the chat platform names them.

    ``is_person`` is ``False`` for ids that are not people: a channel posting in a group, an
    anonymous group administrator, a message sent "on behalf of" a channel. The core then records
    the payer as unknown and asks who paid; it never makes a user or member of such an id.
    ``is_chat_admin``: the platform says this person administers the group (they become an
    admin of its ledger).
    """

    platform_user_id: str = Field(min_length=1, max_length=128)
    display_name: str | None = Field(default=None, max_length=200)
    language_code: str | None = Field(default=None, max_length=16)
    is_person: bool = True
    is_chat_admin: bool = False


ChatEventKind = Literal["bot_added", "bot_removed", "migrated"]


class ChatEventV1(_Wire):
    """A change to a chat itself rather than a message in it (carried by a :class:`CaptureV1`).

    * ``bot_added``: the bot was added to a group (or made a member again). The core binds the
      group to a shared ledger (a new ``family`` ledger named ``chat_title``, or the one it was
      bound to before): the capture's sender (who added the bot) is its owner, ``admins`` (the
      group's administrators, people only) are admins.
    * ``bot_removed``: the bot left or was removed; the binding is made inactive (the ledger and
      its members stay; adding the bot again binds the same ledger).
    * ``migrated``: a group became a supergroup with the new id ``migrate_to_chat_id``; the
      ledger follows it.
    """

    kind: ChatEventKind
    chat_title: str | None = Field(default=None, max_length=200)
    admins: tuple[Sender, ...] = Field(default=(), max_length=200)
    migrate_to_chat_id: str | None = Field(default=None, min_length=1, max_length=128)


class MediaRef(_Wire):
    """The original a user sent (voice note, photo, PDF), kept in the object store as evidence.

    ``key`` is ``captures/{edge_id}/{capture_id}/original.{ext}`` in the edge's object store
    (a directory on a single box, a MinIO/S3 bucket otherwise); ``size`` is in bytes.
    """

    key: str = Field(min_length=1, max_length=512)
    content_type: str = Field(min_length=1, max_length=100)
    size: int = Field(ge=0)
    sha256: Sha256Hex
    filename: str | None = Field(default=None, max_length=200)
    #: Data-residency mode ``edge``: the original stays in the edge's own store and never reaches
    #: the core's; the core keeps this reference (hash, size, key) and says the file is held there.
    held_at_edge: bool = False


class ModelUse(_Wire):
    """A model artifact that read a capture (name and version as in ``models/manifest.toml``)."""

    name: str = Field(min_length=1, max_length=64)
    version: str = Field(min_length=1, max_length=64)


class Provenance(_Wire):
    """How the edge read a voice note (``speech``) or a photo (``ocr``): the text it got and what read it.

    ``text`` is the transcript or the OCR text; ``confidence`` is the engine's, 0..1;
    ``duration_s`` is the audio's length in seconds; ``seconds`` the time the edge spent reading it.
    """

    source: Literal["speech", "ocr"]
    engine: str = Field(min_length=1, max_length=64)
    models: tuple[ModelUse, ...] = ()
    text: str = Field(default="", max_length=MAX_TEXT_CHARS)
    language: str | None = Field(default=None, max_length=8)
    confidence: float = Field(default=0.0, ge=0.0, le=1.0)
    duration_s: float | None = Field(default=None, ge=0.0)
    seconds: float = Field(default=0.0, ge=0.0)
    problem: str | None = Field(default=None, max_length=80)


class ReceiptV1(_Wire):
    """What a receipt photo says beyond the transaction: tax id, time, the figures around the total.

    ``merchant_tax_id`` is normalised (CNPJ/CPF digits, VAT id); ``nfce_access_key`` is the
    44-digit key of a Brazilian NFC-e and ``nfce_url`` its QR code's URL at the state's SEFAZ.
    """

    merchant: str | None = Field(default=None, max_length=200)
    merchant_tax_id: str | None = Field(default=None, max_length=32)
    merchant_tax_id_kind: str | None = Field(default=None, max_length=16)
    date: dt.date | None = None
    time: str | None = Field(default=None, max_length=8)
    total: Decimal | None = Field(default=None, max_digits=18, decimal_places=4)
    subtotal: Decimal | None = Field(default=None, max_digits=18, decimal_places=4)
    tax: Decimal | None = Field(default=None, max_digits=18, decimal_places=4)
    tip: Decimal | None = Field(default=None, max_digits=18, decimal_places=4)
    change: Decimal | None = Field(default=None, max_digits=18, decimal_places=4)
    currency: CurrencyCode | None = None
    payment_method: str | None = Field(default=None, max_length=40)
    items: tuple[LineItem, ...] = Field(default=(), max_length=500)
    nfce_access_key: str | None = Field(default=None, pattern=r"^[0-9]{44}$")
    nfce_url: str | None = Field(default=None, max_length=1000)


class CaptureV1(_Wire):
    """Something a user sent the bot, with what the edge understood of it (edge -> core).

    The core records the capture itself even when ``understanding`` is ``None`` or its intent
    is :attr:`Intent.UNKNOWN`: nothing a user sends is dropped.
    """

    schema_version: Literal[1] = SCHEMA_VERSION
    capture_id: UUID
    idempotency_key: str = Field(min_length=3, max_length=300)
    edge_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    platform: Platform
    chat_id: str = Field(min_length=1, max_length=128)
    message_id: str = Field(min_length=1, max_length=128)
    sender: Sender
    received_at: dt.datetime
    media_type: Literal["text", "voice", "photo", "document", "other"] = "text"
    text: str | None = Field(default=None, max_length=MAX_TEXT_CHARS)
    text_truncated: bool = False
    understanding: Understanding | None = None
    #: The original voice note, photo or document (``None`` for text).
    media: MediaRef | None = None
    #: The transcript or OCR text and the models that produced it (``None`` for text).
    provenance: Provenance | None = None
    #: A receipt's fields, when the capture is a photo of one.
    receipt: ReceiptV1 | None = None
    #: The earlier capture of this chat that this one completes (e.g. the amount for a voice note
    #: the bot asked "how much?" about); the core records them as one.
    completes: UUID | None = None
    #: A private chat, or a group (whose chat is bound to a shared ledger).
    chat_type: ChatType = "private"
    #: The transaction this message acts on: the one under the button pressed, or the one of the
    #: bot's message the user replied to. ``None``: the sender's last one, as before. The core
    #: acts on it only if it belongs to the chat's ledger.
    target_transaction: UUID | None = None
    #: For an edited message: the platform id of the message it edits. The core amends the
    #: transactions that message recorded (their amount, date, merchant and category).
    amends: str | None = Field(default=None, min_length=1, max_length=128)
    #: A change to the chat itself (bot added or removed, group migrated); ``text`` is then ``None``.
    chat_event: ChatEventV1 | None = None


class RecordedTransaction(_Wire):
    """A transaction as the core recorded it, for the reply (amount and date final)."""

    transaction_id: UUID
    kind: TransactionKind
    amount: Decimal
    currency: CurrencyCode
    occurred_on: dt.date
    merchant: str | None = None
    category: str | None = None
    category_name: str | None = None
    #: How many receipt lines the transaction keeps.
    items: int = Field(default=0, ge=0)
    #: Other categories the edge's model thought likely, best first (``ProposedTransaction``).
    category_guesses: tuple[Annotated[str, StringConstraints(max_length=40)], ...] = Field(
        default=(), max_length=3
    )
    #: ``occurred_on`` is the day received because the receipt it came from showed no readable
    #: date (``ProposedTransaction.receipt_date_missing``): the reply says so.
    receipt_date_missing: bool = False
    #: The edge was unsure of ``category`` (``ProposedTransaction``): the reply offers the guesses.
    category_unsure: bool = False
    #: The amount in the ledger's base currency when that differs from ``currency`` ("US$ 20,00 ≈
    #: R$ 99,80"), at the rate of ``fx_date`` from ``fx_source`` ("ecb", "override", "identity").
    base_amount: Decimal | None = None
    base_currency: CurrencyCode | None = None
    fx_date: dt.date | None = None
    fx_source: str | None = Field(default=None, max_length=16)
    #: In a currency other than the ledger's and no FX rate is known: left out of totals.
    fx_missing: bool = False


class ReplyKind(StrEnum):
    """Which answer the core gives; the bot renders it in the user's language."""

    RECORDED = "recorded"
    QUESTION = "question"
    UNDONE = "undone"
    NOTHING_TO_UNDO = "nothing_to_undo"
    HELP = "help"
    WELCOME = "welcome"
    DUPLICATE = "duplicate"
    ANSWER = "answer"  # the figure a query asked for
    RECATEGORIZED = "recategorized"
    NOTHING_TO_RECATEGORIZE = "nothing_to_recategorize"
    CONFIRM_REQUEST = "confirm_request"  # "did you mean ...?": nothing recorded until "sim"
    NOTHING_TO_CONFIRM = "nothing_to_confirm"
    SMALL_TALK = "small_talk"
    NOT_A_MEMBER = "not_a_member"  # the sender has no role in the chat's ledger: nothing read or written
    FORBIDDEN = "forbidden"  # a member whose role does not allow it (a viewer recording, say)
    CONTEXTS = "contexts"  # the sender's ledgers (``contexts``), the chat's marked current
    CONTEXT_SWITCHED = "context_switched"  # this private chat now records into ``contexts[0]``
    UNKNOWN_CONTEXT = "unknown_context"  # "/contexto X" named no ledger of the sender's
    SUMMARY = "summary"  # ``summary``: this month by category
    CATEGORIES = "categories"  # the list of categories (the bot renders its own names)
    WHO_PAID = "who_paid"  # recorded with the payer unknown (a channel or anonymous admin sent it)
    PAYER_SET = "payer_set"  # "/eu": the sender is now the payer of ``transactions``
    NOTHING_TO_CLAIM = "nothing_to_claim"
    LINKED = "linked"  # this chat identity now belongs to the account that made the link code
    LINK_INVALID = "link_invalid"  # the code is unknown, used or expired (``problem`` says which)
    #: a valid code, not yet confirmed: "link this chat to ``link_account``?" (nothing changed yet)
    LINK_CONFIRM = "link_confirm"
    GROUP_BOUND = "group_bound"  # the bot was added to a group: ``contexts[0]`` is its ledger
    GROUP_UNBOUND = "group_unbound"  # the bot left the group (no message is sent for it)
    CHAT_MIGRATED = "chat_migrated"  # the group's ledger follows it to its new id (no message sent)
    AMENDED = "amended"  # an edited message changed the transactions it had recorded
    RESEND = "resend"  # a message kind the platform could not give us: the user is asked to resend
    #: a question or request the ledger cannot answer yet (``problem``: "bills", "card_bill",
    #: "chart"; "budget" from cores before budgets): said plainly, with what can be asked; the
    #: capture is kept
    NOT_YET = "not_yet"
    #: a budget was set or replaced: ``budgets[0]`` is it, with this month's spent and left
    BUDGET_SET = "budget_set"
    #: "quanto falta no orçamento do mercado?": ``budgets`` (empty: no budget there, ``problem``
    #: "no_budget")
    BUDGET_STATUS = "budget_status"
    #: a budget crossed 80 % or 100 % of its month: ``budget_alerts`` (sent to the ledger's chats)
    BUDGET_ALERT = "budget_alert"
    #: "/convidar": ``invite_code`` (shown once), ``invite_role``, ``invite_expires_at``, and the
    #: ledger in ``contexts[0]``
    INVITATION_CREATED = "invitation_created"
    #: the sender joined ``contexts[0]`` (their role in it) and this private chat now records there
    JOINED = "joined"
    #: an invitation that cannot be used or made (``problem``: "invitation_unknown", "invitation_used",
    #: "invitation_expired", "invitation_revoked", "invitation_private_only", "invitation_role",
    #: "invitation_archived")
    INVITATION_INVALID = "invitation_invalid"
    #: the chat's ledger is archived: nothing was recorded (``contexts[0]`` names it)
    CONTEXT_ARCHIVED = "context_archived"
    #: the ledger's recurring payments and subscriptions: ``recurring`` (empty: none found yet);
    #: after a decision (``problem``): "subscription_confirmed" / "subscription_dismissed" with
    #: ``recurring[0]`` the series, "subscription_unknown" (``asked_about`` what was typed) or
    #: "subscription_ambiguous" (``recurring`` the series that match)
    SUBSCRIPTIONS = "subscriptions"
    #: a confirmed subscription renews in a few days: ``recurring[0]`` (sent to the ledger's chats)
    SUBSCRIPTION_REMINDER = "subscription_reminder"
    #: a confirmed subscription's price stepped ("Netflix subiu de 39,90 para 44,90"): ``recurring[0]``
    #: (sent to the ledger's chats once per change)
    SUBSCRIPTION_PRICE_CHANGE = "subscription_price_change"
    #: "/fatura", "quanto tá a fatura do cartão?": ``card_bills``, each card's bill not yet due,
    #: its open bill and the next ones with instalments (``problem`` "no_card": the ledger has
    #: no card yet, and the reply says how to set one up)
    CARD_BILL = "card_bill"
    #: "/cartao Nubank fecha 5 vence 12": ``cards[0]`` was set up (``problem`` "replaced": it
    #: existed and its days changed); "card_how" (nothing to set up said: ``cards`` lists the
    #: ledger's), "card_days" (a name without both days)
    CARD_SET = "card_set"
    #: a statement file was read: ``statement_import`` says what its import would add, join and
    #: skip; nothing is recorded until the sender answers "sim"/"yes"
    IMPORT_PREVIEW = "import_preview"
    #: "sim" to an import preview: ``statement_import`` has what was added and joined
    IMPORT_COMMITTED = "import_committed"
    #: a statement file that was not imported (``problem``: "statement_format" with the parser's
    #: ``statement_import.reason``, "statement_not_here" when the file stayed at the edge,
    #: "statement_invalid" for a currency the ledger cannot take)
    IMPORT_REFUSED = "import_refused"
    #: a transaction's cost is now shared among members: ``transactions[0]`` is it, with
    #: ``cost_sharing.shares`` (each member's part) and the ledger's balances after
    COST_SPLIT = "cost_split"
    #: a split or settlement the core could not make as said; nothing was changed (``problem``:
    #: "unknown_name" or "ambiguous_name" with ``asked_about`` the name, "nobody_to_split_with",
    #: "ways_mismatch", "nothing_to_split", "not_an_expense", "no_payer", "low_confidence",
    #: "bad_amount"; for a settlement "no_name", "no_amount" (``asked_about`` the name),
    #: "settle_self", "settle_amount", "settle_currency:XYZ")
    COST_SPLIT_QUESTION = "cost_split_question"
    #: "quem deve quem?": ``cost_sharing.balances`` and the suggested ``cost_sharing.transfers``
    WHO_OWES = "who_owes"
    #: a settlement was recorded: ``cost_sharing.settlement``, with the balances after
    SETTLED = "settled"
    #: "/buscar farmácia": ``transactions`` are the best matches of ``search_text`` (empty:
    #: nothing found), ``search_more`` says there are more than those; ``problem`` "search_empty"
    #: (nothing to look for was said) or "search_invalid" (too long, too many words)
    SEARCH_RESULTS = "search_results"


class BalanceRow(_Wire):
    """Income and expenses of one currency in a period ("this_month", "all"...), and the balance
    (income minus expenses; transfers count in neither)."""

    period: Period
    currency: CurrencyCode
    income: Decimal
    expenses: Decimal
    balance: Decimal


class CategoryTotal(_Wire):
    """One category's sum in one currency, over ``count`` transactions (``category`` ``None``:
    uncategorised)."""

    category: str | None = Field(default=None, max_length=40)
    category_name: str | None = Field(default=None, max_length=80)
    currency: CurrencyCode
    total: Decimal
    count: int = Field(ge=0)


class UnvaluedTotal(_Wire):
    """Transactions of ``kind`` in ``currency`` with no FX rate to the ledger's base currency:
    their sum in ``currency`` and how many, kept apart from (never added to) the totals."""

    kind: TransactionKind
    currency: CurrencyCode
    total: Decimal
    count: int = Field(ge=1)


class QueryAnswer(_Wire):
    """The answer to a :class:`LedgerQuery`: ``total`` per currency, over ``count`` transactions.

    By ``query.ask``: "total" fills ``totals``; "balance" ``balances`` (the period asked, then all
    time, per currency); "recent" ``transactions`` (newest first); "top_categories" ``top``
    (largest first) with ``totals`` the period's sum per currency.
    """

    query: LedgerQuery
    totals: tuple[tuple[CurrencyCode, Decimal], ...] = ()
    count: int = Field(ge=0)
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    category_name: str | None = None
    balances: tuple[BalanceRow, ...] = Field(default=(), max_length=100)
    transactions: tuple[RecordedTransaction, ...] = Field(default=(), max_length=20)
    top: tuple[CategoryTotal, ...] = Field(default=(), max_length=20)
    #: What the figures above leave out: transactions with no known FX rate, per kind and currency.
    unvalued: tuple[UnvaluedTotal, ...] = Field(default=(), max_length=100)


class ContextChoice(_Wire):
    """One ledger in a :attr:`ReplyKind.CONTEXTS` list: its id, name, type, the sender's role, and
    whether this chat records into it."""

    context_id: UUID
    name: str = Field(max_length=200)
    type: Literal["personal", "family", "project", "travel"]
    role: Literal["owner", "admin", "editor", "viewer"]
    current: bool = False


class SummaryRow(_Wire):
    """One category's spending in a :class:`SummaryV1` (``total`` in ``currency``).

    ``budget`` and ``budget_left`` are set when the ledger has a budget for the category.
    """

    category: str | None = Field(default=None, max_length=40)
    category_name: str | None = Field(default=None, max_length=80)
    currency: CurrencyCode
    total: Decimal
    count: int = Field(ge=0)
    budget: Decimal | None = None
    budget_left: Decimal | None = None


class BudgetStatusV1(_Wire):
    """A budget in one month (``month``: its first day), amounts in ``currency`` (the ledger's base).

    ``scope`` is "category" (``category``), "group" (``group`` and its member ``categories``) or
    "ledger" (every expense). ``available`` = ``amount`` + ``carried`` (what rolled over from
    earlier months, negative when overspent; 0 without ``rollover``); ``left`` = ``available``
    − ``spent`` (negative: over); ``percent`` of ``available`` spent, rounded down, over
    ``count`` expenses; ``unvalued`` expenses had no FX rate and are not in ``spent``.
    """

    budget_id: UUID
    scope: Literal["category", "group", "ledger"]
    category: str | None = Field(default=None, max_length=40)
    group: str | None = Field(default=None, max_length=40)
    categories: tuple[Annotated[str, StringConstraints(max_length=40)], ...] = Field(
        default=(), max_length=20
    )
    month: dt.date
    amount: Decimal
    currency: CurrencyCode
    rollover: bool = False
    carried: Decimal = Decimal(0)
    available: Decimal
    spent: Decimal
    left: Decimal
    percent: int = Field(ge=0)
    count: int = Field(default=0, ge=0)
    unvalued: int = Field(default=0, ge=0)


class BudgetAlertV1(_Wire):
    """A budget whose month's spending crossed ``threshold`` % (80 or 100) of what was available."""

    threshold: Literal[80, 100]
    status: BudgetStatusV1


class SummaryV1(_Wire):
    """This month's expenses (and income) of a ledger by category, from ``date_from`` to ``date_to``.

    ``budgets``: the ledger's budgets this month (none when it has none).
    """

    context_name: str = Field(max_length=200)
    date_from: dt.date
    date_to: dt.date
    rows: tuple[SummaryRow, ...] = Field(default=(), max_length=100)
    expense_totals: tuple[tuple[CurrencyCode, Decimal], ...] = ()
    income_totals: tuple[tuple[CurrencyCode, Decimal], ...] = ()
    #: Transactions left out of the rows and totals because no FX rate is known for them.
    unvalued: tuple[UnvaluedTotal, ...] = Field(default=(), max_length=100)
    budgets: tuple[BudgetStatusV1, ...] = Field(default=(), max_length=100)


class UsualAmounts(_Wire):
    """The amounts a ledger usually records at a merchant or in a category (an unusual one is asked).

    ``basis`` says which: ``"merchant"`` (``name`` as the ledger wrote it, "padaria") or
    ``"category"`` (``name`` its slug, "groceries"); ``low``..``high`` is the range of the
    ``count`` earlier amounts in ``currency`` that were themselves usual; ``amount`` is the new
    one asked about.
    """

    basis: Literal["merchant", "category"]
    amount: Decimal
    name: str = Field(min_length=1, max_length=200)
    currency: CurrencyCode
    low: Decimal
    high: Decimal
    count: int = Field(ge=1)


class RecurringSeriesV1(_Wire):
    """A recurring payment (or income) of a ledger, as a :attr:`ReplyKind.SUBSCRIPTIONS` list, a
    :attr:`ReplyKind.SUBSCRIPTION_REMINDER` or a :attr:`ReplyKind.SUBSCRIPTION_PRICE_CHANGE` shows it.

    ``amount`` in ``currency`` is the one expected on ``next_due``; ``status`` "detected" (found
    in the ledger, not yet confirmed), "confirmed" or "dismissed". ``price_old`` -> ``price_new``
    on ``price_changed_on``: the latest step of its price ("subiu de 39,90 para 44,90").
    """

    series_id: UUID
    merchant: str = Field(min_length=1, max_length=200)
    kind: Literal["expense", "income"] = "expense"
    cadence: Literal["weekly", "monthly", "yearly"]
    amount: Decimal
    currency: CurrencyCode
    status: Literal["detected", "confirmed", "dismissed"] = "detected"
    category: str | None = Field(default=None, max_length=40)
    last_seen: dt.date
    next_due: dt.date
    confidence: float = Field(ge=0, le=1)
    price_old: Decimal | None = None
    price_new: Decimal | None = None
    price_changed_on: dt.date | None = None


#: File name endings of the statement files a chat may send (``STATEMENT_TYPES``: their media types).
STATEMENT_EXTENSIONS = (".ofx", ".qfx", ".csv", ".qif", ".xml")
STATEMENT_TYPES = frozenset(
    {
        "application/x-ofx",
        "application/ofx",
        "application/vnd.intu.qfx",
        "application/x-qfx",
        "text/csv",
        "application/csv",
        "application/qif",
        "application/x-qif",
    }
)


def is_statement_file(filename: str | None, content_type: str | None) -> bool:
    """Whether a document sent to the bot is a bank statement to import: its name ends in one of
    :data:`STATEMENT_EXTENSIONS`, or its declared type is one of :data:`STATEMENT_TYPES`."""
    name = (filename or "").strip().lower()
    essence = (content_type or "").split(";", 1)[0].strip().lower()
    return name.endswith(STATEMENT_EXTENSIONS) or essence in STATEMENT_TYPES


class StatementImportV1(_Wire):
    """A statement import a chat started (:attr:`ReplyKind.IMPORT_PREVIEW`, ``IMPORT_COMMITTED``):
    its lines by outcome, the file's dates, and (``IMPORT_REFUSED``) why it was not read."""

    import_id: UUID | None = None
    filename: str | None = Field(default=None, max_length=200)
    format: str | None = Field(default=None, max_length=16)
    lines: int = Field(default=0, ge=0)
    add: int = Field(default=0, ge=0)
    duplicate: int = Field(default=0, ge=0)
    merge: int = Field(default=0, ge=0)
    ambiguous: int = Field(default=0, ge=0)
    invalid: int = Field(default=0, ge=0)
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    #: The parser's reason (English) when the file was not read.
    reason: str | None = Field(default=None, max_length=300)


class ReplyV1(_Wire):
    """The core's answer to one capture (core -> edge ``replies_stream(edge_id)``).

    ``silent`` replies (a group unbound or migrated) are not sent to the chat: the edge only
    notes them.
    """

    schema_version: Literal[1] = SCHEMA_VERSION
    reply_id: UUID
    capture_id: UUID
    idempotency_key: str
    edge_id: str
    platform: Platform
    chat_id: str
    in_reply_to: str
    language: Literal["pt", "en"]
    kind: ReplyKind
    transactions: tuple[RecordedTransaction, ...] = ()
    problem: str | None = None
    answer: QueryAnswer | None = None
    #: What the edge heard or read (transcript, receipt merchant) when the capture was media,
    #: so the answer can quote it ("I heard: ...").
    heard: str | None = Field(default=None, max_length=500)
    created_at: dt.datetime
    #: The ledgers of a :attr:`ReplyKind.CONTEXTS` list, or the one switched to / bound.
    contexts: tuple[ContextChoice, ...] = Field(default=(), max_length=100)
    summary: SummaryV1 | None = None
    silent: bool = False
    #: The account a :attr:`ReplyKind.LINK_CONFIRM` would link this chat to: its username, and
    #: its display name when it has one (both chosen by that account's owner: shown as plain text).
    link_account: str | None = Field(default=None, max_length=200)
    link_account_name: str | None = Field(default=None, max_length=200)
    #: The code a :attr:`ReplyKind.LINK_CONFIRM` asks about, as shown ("K7QM-2XPD"): the confirm
    #: button sends it back.
    link_code: str | None = Field(default=None, max_length=32)
    #: The budget a :attr:`ReplyKind.NOT_YET` to a budget phrase read ("800 for groceries").
    budget: BudgetRequest | None = None
    #: What a "how much?" question asks the amount of, as the user wrote it ("estacionamento"):
    #: the :attr:`Understanding.item_without_amount` of a message without an amount.
    asked_about: str | None = Field(default=None, max_length=200)
    #: Why a :attr:`ReplyKind.CONFIRM_REQUEST` with ``problem="unusual_amount"`` asks: the
    #: ledger's usual amounts there.
    usual: UsualAmounts | None = None
    #: The budget a :attr:`ReplyKind.BUDGET_SET` set, or those a :attr:`ReplyKind.BUDGET_STATUS`
    #: answers about, each in its month.
    budgets: tuple[BudgetStatusV1, ...] = Field(default=(), max_length=100)
    #: Budgets this capture made cross 80 % or 100 % (a recorded or edited expense's reply carries
    #: them; a :attr:`ReplyKind.BUDGET_ALERT` to another chat of the ledger has only them).
    budget_alerts: tuple[BudgetAlertV1, ...] = Field(default=(), max_length=100)
    #: The code of a :attr:`ReplyKind.INVITATION_CREATED` ("K7QM2-XPD9A"), the role it gives
    #: (or, with ``problem="invitation_role"``, the most the sender may give) and when it expires.
    invite_code: str | None = Field(default=None, max_length=32)
    invite_role: Literal["owner", "admin", "editor", "viewer"] | None = None
    invite_expires_at: dt.datetime | None = None
    #: The series of a :attr:`ReplyKind.SUBSCRIPTIONS` list, or the one a
    #: :attr:`ReplyKind.SUBSCRIPTION_REMINDER` or :attr:`ReplyKind.SUBSCRIPTION_PRICE_CHANGE` is about.
    recurring: tuple[RecurringSeriesV1, ...] = Field(default=(), max_length=100)
    #: The card a :attr:`ReplyKind.CARD_SET` set up, or the ledger's cards it lists.
    cards: tuple[CardV1, ...] = Field(default=(), max_length=20)
    #: The bills a :attr:`ReplyKind.CARD_BILL` shows, by card, oldest first.
    card_bills: tuple[CardBillV1, ...] = Field(default=(), max_length=100)
    #: The statement import an :attr:`ReplyKind.IMPORT_PREVIEW`, ``IMPORT_COMMITTED`` or
    #: ``IMPORT_REFUSED`` is about.
    statement_import: StatementImportV1 | None = None
    #: Who owes whom in the ledger (:attr:`ReplyKind.COST_SPLIT`, :attr:`ReplyKind.WHO_OWES`,
    #: :attr:`ReplyKind.SETTLED`).
    cost_sharing: CostSharingV1 | None = None
    #: What a :attr:`ReplyKind.SEARCH_RESULTS` looked for, as the sender typed it, and whether
    #: more transactions match than ``transactions`` shows.
    search_text: str | None = Field(default=None, max_length=200)
    search_more: bool = False


class ModelUpdatedV1(_Wire):
    """A new model artifact the edge should load (core -> edge ``control_stream(edge_id)``).

    ``location`` is a file path on a disk the edge shares with the core (a single box); the edge
    loads the file only if its sha256 matches. ``object_key`` (set when the core published the
    artifact to its object store, ``models/categories/{version}.onnx``) is what edges on other
    machines download, verify and load; when it is set the edge prefers it to ``location``.
    """

    schema_version: Literal[1] = SCHEMA_VERSION
    type: Literal["model.updated"] = "model.updated"
    name: str = Field(min_length=1, max_length=64)
    version: str = Field(min_length=1, max_length=64)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    location: str = Field(min_length=1, max_length=1000)
    created_at: dt.datetime
    object_key: str | None = Field(default=None, min_length=1, max_length=512)


class HeartbeatV1(_Wire):
    """An edge's periodic report of itself (edge -> core ``heartbeat_stream(edge_id)``).

    ``contract_versions``: the wire schema versions the edge writes and reads. ``models``: the
    model artifacts it has loaded (name and version). ``queue_depth``: media jobs waiting;
    ``outbox_depth``: captures not yet confirmed by the core, of at most ``outbox_capacity``.
    ``memory_bytes``: the machine's physical memory; ``gpu``: its accelerator's name, if any.
    """

    schema_version: Literal[1] = SCHEMA_VERSION
    type: Literal["edge.heartbeat"] = "edge.heartbeat"
    edge_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    software_version: str = Field(min_length=1, max_length=64)
    contract_versions: tuple[int, ...] = (SCHEMA_VERSION,)
    models: tuple[ModelUse, ...] = ()
    queue_depth: int = Field(ge=0)
    outbox_depth: int = Field(ge=0)
    outbox_capacity: int = Field(ge=0)
    cpu_count: int = Field(ge=0)
    memory_bytes: int = Field(ge=0)
    gpu: str | None = Field(default=None, max_length=200)
    sent_at: dt.datetime


class CapturesConfirmedV1(_Wire):
    """Captures the core has committed (core -> edge ``confirms_stream(edge_id)``).

    Sent after the database commit for every capture of ``edge_id`` the core read, duplicates
    included, so the edge can forget them; a capture the edge sent but never sees confirmed
    (a trimmed or lost stream entry) is sent again from its outbox.
    """

    schema_version: Literal[1] = SCHEMA_VERSION
    type: Literal["captures.confirmed"] = "captures.confirmed"
    edge_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    idempotency_keys: tuple[str, ...] = Field(min_length=1, max_length=10_000)
    confirmed_at: dt.datetime


def decode_confirmed(fields: dict[str, str] | dict[bytes, bytes]) -> CapturesConfirmedV1:
    """Parse a confirms stream entry (errors as :func:`decode_capture`)."""
    return CapturesConfirmedV1.model_validate_json(_payload(fields))


def decode_heartbeat(fields: dict[str, str] | dict[bytes, bytes]) -> HeartbeatV1:
    """Parse a heartbeat stream entry (errors as :func:`decode_capture`)."""
    return HeartbeatV1.model_validate_json(_payload(fields))


def encode(
    message: CaptureV1 | ReplyV1 | ModelUpdatedV1 | HeartbeatV1 | CapturesConfirmedV1,
) -> dict[str, str]:
    """Return the stream entry fields for ``message`` (``{"payload": json}``)."""
    return {PAYLOAD_FIELD: message.model_dump_json()}


def decode_capture(fields: dict[str, str] | dict[bytes, bytes]) -> CaptureV1:
    """Parse a stream entry into a :class:`CaptureV1`.

    Raises:
        KeyError: the entry has no ``payload`` field.
        pydantic.ValidationError: the payload is not a valid v1 capture.
    """
    return CaptureV1.model_validate_json(_payload(fields))


def decode_reply(fields: dict[str, str] | dict[bytes, bytes]) -> ReplyV1:
    """Parse a stream entry into a :class:`ReplyV1` (errors as :func:`decode_capture`)."""
    return ReplyV1.model_validate_json(_payload(fields))


def decode_control(fields: dict[str, str] | dict[bytes, bytes]) -> ModelUpdatedV1:
    """Parse a control stream entry (errors as :func:`decode_capture`)."""
    return ModelUpdatedV1.model_validate_json(_payload(fields))


def _payload(fields: dict[str, str] | dict[bytes, bytes]) -> str | bytes:
    for key, value in fields.items():
        if key in (PAYLOAD_FIELD, PAYLOAD_FIELD.encode()):
            return value
    raise KeyError(PAYLOAD_FIELD)


# --- cost sharing among members (Splitwise-style) ---------------------------------------------

#: A person's name as a message says it ("Ana", "João").
PersonName = Annotated[str, StringConstraints(min_length=1, max_length=100)]


class CostSplitRequest(_Wire):
    """Who a message shares a cost with: ``names`` as written ("divide com a Ana e o João"), or
    every member (``everyone``: "com todos", "with everyone"), or ``ways`` equal parts ("dividido
    por 3": the ledger must have that many members). The sender always has a part."""

    names: tuple[PersonName, ...] = Field(default=(), max_length=20)
    ways: int | None = Field(default=None, ge=2, le=100)
    everyone: bool = False


class SettlementRequest(_Wire):
    """A settlement a message records: the sender paid ``name`` ``amount`` in ``currency``
    (``None``: the ledger's base currency). Either is ``None`` when the message does not say it."""

    name: PersonName | None = None
    amount: Decimal | None = Field(default=None, gt=0, max_digits=18, decimal_places=4)
    currency: CurrencyCode | None = None


class MemberAmountV1(_Wire):
    """A member (``name``: their display name) with an amount: their part of a cost, or their
    balance (positive: they are owed; negative: they owe)."""

    user_id: UUID
    name: str = Field(max_length=200)
    amount: Decimal


class TransferV1(_Wire):
    """``from_name`` pays (or paid) ``to_name`` ``amount``."""

    from_user: UUID
    from_name: str = Field(max_length=200)
    to_user: UUID
    to_name: str = Field(max_length=200)
    amount: Decimal = Field(gt=0)


class CostSharingV1(_Wire):
    """Who owes whom in a ledger, in its base ``currency``.

    ``shares``: the parts of a transaction just split, in that transaction's own currency (the
    reply's ``transactions[0]``), payer first; ``settlement``: the one just recorded;
    ``balances``: every member's (adding up to zero); ``transfers``: the fewest transfers (greedy)
    that settle them; ``unvalued``: shared transactions left out (no FX rate known, or no payer).
    """

    currency: CurrencyCode
    shares: tuple[MemberAmountV1, ...] = Field(default=(), max_length=100)
    balances: tuple[MemberAmountV1, ...] = Field(default=(), max_length=100)
    transfers: tuple[TransferV1, ...] = Field(default=(), max_length=100)
    settlement: TransferV1 | None = None
    unvalued: int = Field(default=0, ge=0)


# The fields above are named in models defined earlier in the module.
Understanding.model_rebuild()
CaptureV1.model_rebuild()
ReplyV1.model_rebuild()

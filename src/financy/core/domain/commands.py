"""Commands: what someone asks the ledger to do. Each has one handler; a failing handler raises.

Chat commands (:class:`ChatCommand`) come from what a user sent a bot: the ingest entrypoint
decodes the edge's capture and turns it into exactly one of them (``service.intake``), so a new
thing users can say is a new command, a new handler module and one registration line.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from financy.core.domain.model import ReceiptLine


class Command:
    """Base of every command (the message bus dispatches on the concrete type)."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class CreateUser(Command):
    """Create a login user with a personal context; ``password`` is hashed, never stored."""

    username: str
    password: str
    display_name: str | None = None
    locale: str = "pt-BR"
    time_zone: str = "America/Sao_Paulo"
    base_currency: str = "BRL"
    link_platform: str | None = None
    link_platform_user_id: str | None = None
    is_admin: bool = False


@dataclass(frozen=True, slots=True)
class Authenticate(Command):
    """Check a username and password; the handler returns the user's id (and rehashes old hashes)."""

    username: str
    password: str


@dataclass(frozen=True, slots=True)
class EnsureAdmin(Command):
    """Create the first-run admin (linked to the dev chat user ``devchat_user_id``) unless it exists."""

    username: str = "admin"
    devchat_user_id: str = "admin"
    locale: str = "pt-BR"
    time_zone: str = "America/Sao_Paulo"
    base_currency: str = "BRL"


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """The envelope of one thing a user sent a bot, as the edge captured it.

    Ids are the platform's (strings); ``received_at`` is timezone-aware; ``language`` is "pt" or
    "en" (what the edge read, else ``None`` for the context's). ``stored`` holds the JSON-ready
    parts the capture row keeps as they came (understanding, media, provenance, receipt).
    ``heard`` is the transcript or receipt merchant the reply may quote; ``completes`` names an
    earlier capture of the chat this one answers ("how much?").

    ``chat_type`` is "private" or "group"; ``sender_is_person`` is ``False`` for a channel or an
    anonymous group administrator (no user is ever made for that id); ``sender_is_chat_admin``:
    the platform says the sender administers the group. ``target_transaction`` is the
    transaction a button or a reply to the bot's message acts on (``None``: the sender's last).
    ``language_sure``: the text itself shows ``language``; when ``False`` (a command, an amount,
    an emoji, a brand; media not read) the reply is in the ledger's language
    (``handlers.chat.reply_language``).
    """

    capture_id: uuid.UUID
    idempotency_key: str
    edge_id: str
    platform: str
    chat_id: str
    message_id: str
    sender_id: str
    received_at: dt.datetime
    intent: str
    language: str | None = None
    sender_name: str | None = None
    sender_language: str | None = None
    media_type: str = "text"
    text: str | None = None
    text_truncated: bool = False
    completes: uuid.UUID | None = None
    provenance_source: str | None = None
    provenance_text: str | None = None
    receipt_merchant: str | None = None
    stored: Mapping[str, Any] = field(default_factory=dict)
    chat_type: str = "private"
    sender_is_person: bool = True
    sender_is_chat_admin: bool = False
    target_transaction: uuid.UUID | None = None
    language_sure: bool = True


@dataclass(frozen=True, slots=True)
class ProposedEntry:
    """One transaction the edge read, before the ledger records it.

    ``amount`` is a positive Decimal; ``currency`` an ISO 4217 code as said, or ``None`` for the
    context's base currency. The date is ``occurred_on`` (absolute), ``days_ago`` (relative to the
    day received in the context's time zone) or neither (that day).
    """

    kind: str
    amount: Decimal
    currency: str | None = None
    occurred_on: dt.date | None = None
    days_ago: int | None = None
    merchant: str | None = None
    description: str | None = None
    category: str | None = None
    payment_method: str | None = None
    installments: int | None = None
    items: tuple[ReceiptLine, ...] = ()
    category_guesses: tuple[str, ...] = ()
    #: From a receipt without a readable date (and none said with it): dated the day received.
    receipt_date_missing: bool = False
    category_unsure: bool = False


@dataclass(frozen=True, slots=True)
class LedgerQuestion:
    """ "How much did I spend on X in period P?": ``kind`` of money, a period name, maybe a category/merchant.

    ``ask`` says what is asked ("total", "balance", "recent", "top_categories"; "bills",
    "card_bill", "chart", "budget" are not kept yet); ``limit`` how many a "recent" lists (None:
    the default); ``all_kinds`` a "recent" of every kind; ``categories`` the members of the
    ``group`` asked about (then ``category`` is None).
    """

    kind: str = "expense"
    period: str = "this_month"
    category: str | None = None
    merchant: str | None = None
    ask: str = "total"
    limit: int | None = None
    all_kinds: bool = False
    group: str | None = None
    categories: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class BudgetAsked:
    """A budget a message sets: ``amount`` (None: unsaid) in ``currency`` (None: the context's)
    a month, for ``category`` or the ``group`` of ``categories`` (neither: the whole ledger)."""

    amount: Decimal | None = None
    currency: str | None = None
    category: str | None = None
    group: str | None = None
    categories: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ChatCommand(Command):
    """A command that came from a chat: every one is kept as a capture and answered."""

    message: ChatMessage


@dataclass(frozen=True, slots=True)
class RecordTransactions(ChatCommand):
    """Record ``entries`` read from one message with the reader's ``confidence`` (0..1)."""

    entries: tuple[ProposedEntry, ...]
    confidence: float


@dataclass(frozen=True, slots=True)
class UndoLast(ChatCommand):
    """Reverse the sender's most recent recorded transaction in the chat's context."""


@dataclass(frozen=True, slots=True)
class ChangeCategory(ChatCommand):
    """Move the sender's last transaction to ``category`` and remember the merchant's category."""

    category: str


@dataclass(frozen=True, slots=True)
class ConfirmPending(ChatCommand):
    """ "sim": record what the bot asked the sender to confirm, if still fresh."""


@dataclass(frozen=True, slots=True)
class IssueLinkCode(Command):
    """Issue a one-time code that links a chat identity to login user ``user_id``, valid ``ttl_s``
    seconds from ``now`` (aware; the handler's clock when ``None``). The handler returns an
    :class:`IssuedLinkCode`."""

    user_id: uuid.UUID
    ttl_s: int
    now: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class IssuedLinkCode:
    """A link code as shown once to its user (``"K7QM-2XPD"``) and when it stops working (aware, UTC)."""

    code: str
    expires_at: dt.datetime


@dataclass(frozen=True, slots=True)
class LinkIdentity(ChatCommand):
    """ "/start K7QM-2XPD": link the sender's chat identity to the account that issued ``code`` (as
    typed). Unless ``confirmed`` ("/vincular K7QM-2XPD") the sender is only asked to confirm."""

    code: str
    confirmed: bool = False


@dataclass(frozen=True, slots=True)
class ShowSummary(ChatCommand):
    """ "/resumo": this month's spending of the chat's ledger by category, and its totals."""


@dataclass(frozen=True, slots=True)
class ListCategories(ChatCommand):
    """ "/categoria" with no category: the list of categories."""


@dataclass(frozen=True, slots=True)
class AmendCapture(ChatCommand):
    """An edited message: ``amends`` is the platform id of the message it edits, ``entries`` what
    the edit now says (with the reader's ``confidence``, 0..1)."""

    amends: str
    entries: tuple[ProposedEntry, ...]
    confidence: float


@dataclass(frozen=True, slots=True)
class AskLedger(ChatCommand):
    """Answer ``question`` from the context's ledger."""

    question: LedgerQuestion


@dataclass(frozen=True, slots=True)
class SetBudget(ChatCommand):
    """Set ``budget`` on the chat's ledger ("orçamento de 800 para mercado"), or replace the one
    it has for that category, group or the whole ledger (never recorded as an expense)."""

    budget: BudgetAsked


@dataclass(frozen=True, slots=True)
class Acknowledge(ChatCommand):
    """Answer without touching the ledger: ``reply`` is "help", "welcome" or "small_talk"."""

    reply: str


@dataclass(frozen=True, slots=True)
class AskUser(ChatCommand):
    """Keep the message and ask: ``problem`` says why ("no_amount", "not_understood", ...).

    ``needs_review`` keeps the capture waiting for someone (a message that may hold an
    expense); ``False`` for a question about a command (an unknown category in "muda pra X").
    ``asked_about`` is what a "how much?" names ("estacionamento"), when the edge read it.
    """

    problem: str
    needs_review: bool = True
    asked_about: str | None = None


@dataclass(frozen=True, slots=True)
class ChatPerson:
    """Someone a chat event names (a group's administrator): platform id, name, language tag."""

    platform_user_id: str
    display_name: str | None = None
    language_code: str | None = None


@dataclass(frozen=True, slots=True)
class BindGroup(ChatCommand):
    """The bot was added to a group: bind it to a shared ledger (a new ``family`` one named
    ``title``, or the one it was bound to before). The sender is its owner, ``admins`` (people
    only) its admins."""

    title: str | None = None
    admins: tuple[ChatPerson, ...] = ()


@dataclass(frozen=True, slots=True)
class UnbindGroup(ChatCommand):
    """The bot left the group: its binding becomes inactive (ledger and members stay)."""


@dataclass(frozen=True, slots=True)
class MigrateChat(ChatCommand):
    """The group became a supergroup with id ``new_chat_id``: its ledger follows it."""

    new_chat_id: str


@dataclass(frozen=True, slots=True)
class ClaimPayer(ChatCommand):
    """ "/eu": the sender paid the transaction the bot asked "who paid?" about (the message's
    ``target_transaction``, else the ledger's latest with the payer unknown)."""


@dataclass(frozen=True, slots=True)
class ListOrSwitchContext(ChatCommand):
    """ "/contexto [choice]": list the sender's ledgers, or switch this private chat to the one
    ``choice`` names (a 1-based number in the list's order, or a name); ``None``: list them."""

    choice: str | None = None


@dataclass(frozen=True, slots=True)
class OverrideFxRate(Command):
    """Set the FX rate of one transaction (the card's real rate): ``rate`` units of the ledger's
    base currency per unit of the transaction's currency, by ``user_id`` (who must be allowed to
    edit). The handler returns the transaction as changed, or ``None`` when the context has no
    such recorded transaction."""

    context_id: uuid.UUID
    transaction_id: uuid.UUID
    rate: Decimal
    user_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class SetCardIof(Command):
    """Turn a ledger's card IOF fee lines on or off (``user_id`` must be allowed to manage it)."""

    context_id: uuid.UUID
    enabled: bool
    user_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class SaveBudget(Command):
    """Set the budget of context ``context_id`` for ``category``, ``group`` or (neither) the whole
    ledger, or replace the one it has there (the API's POST); by ``actor_id``. ``amount`` a month
    in ``currency`` (``None``: the base currency, the only one allowed); ``rollover`` ``None``:
    unchanged (off for a new budget); ``today`` the ledger's local date (``None``: now there).
    The handler returns ``(BudgetStatusV1, replaced)``."""

    context_id: uuid.UUID
    actor_id: uuid.UUID
    amount: Decimal
    currency: str | None = None
    category: str | None = None
    group: str | None = None
    rollover: bool | None = None
    today: dt.date | None = None


@dataclass(frozen=True, slots=True)
class ChangeBudget(Command):
    """Change budget ``budget_id`` of ``context_id``: its ``amount`` and/or ``rollover`` (``None``:
    unchanged). The handler returns its ``BudgetStatusV1`` this month."""

    context_id: uuid.UUID
    budget_id: uuid.UUID
    actor_id: uuid.UUID
    amount: Decimal | None = None
    currency: str | None = None
    rollover: bool | None = None
    today: dt.date | None = None


@dataclass(frozen=True, slots=True)
class DeleteBudget(Command):
    """Delete budget ``budget_id`` of ``context_id`` (and its alerts)."""

    context_id: uuid.UUID
    budget_id: uuid.UUID
    actor_id: uuid.UUID


# --------------------------------------------------------------------------- account security
# Every ``now`` below is aware (UTC); the API passes its clock so tests move time without sleeping.


@dataclass(frozen=True, slots=True)
class Login(Command):
    """Sign in: username, password and, when two-factor is on, ``code`` (a TOTP code or a recovery
    code). The handler returns a :class:`LoginResult`."""

    username: str
    password: str
    code: str | None
    now: dt.datetime


@dataclass(frozen=True, slots=True)
class LoginResult:
    """Who signed in, the session version their token carries, and whether a recovery code was used
    (with how many are left)."""

    user_id: uuid.UUID
    session_version: int
    recovery_code_used: bool = False
    recovery_codes_left: int | None = None


@dataclass(frozen=True, slots=True)
class StartTotp(Command):
    """Begin a two-factor set-up for ``user_id``: a new pending secret (returns a :class:`TotpSetup`)."""

    user_id: uuid.UUID
    now: dt.datetime


@dataclass(frozen=True, slots=True)
class TotpSetup:
    """A pending two-factor set-up: the base32 ``secret`` and its ``otpauth://`` URI."""

    secret: str
    uri: str


@dataclass(frozen=True, slots=True)
class ConfirmTotp(Command):
    """Turn two-factor on with a code of the pending secret; returns the recovery codes (shown once)."""

    user_id: uuid.UUID
    code: str
    now: dt.datetime


@dataclass(frozen=True, slots=True)
class DisableTotp(Command):
    """Turn two-factor off: the password and a current code (or a recovery code) confirm it."""

    user_id: uuid.UUID
    password: str
    code: str
    now: dt.datetime


@dataclass(frozen=True, slots=True)
class CreateApiToken(Command):
    """Make a personal API token named ``name`` with ``scopes`` ("read", "write", "admin"), expiring
    after ``expires_in_days`` (``None``: never). Returns an :class:`IssuedApiToken`."""

    user_id: uuid.UUID
    name: str
    scopes: tuple[str, ...]
    expires_in_days: int | None
    now: dt.datetime


@dataclass(frozen=True, slots=True)
class IssuedApiToken:
    """A new API token as shown once: ``token`` is the secret; ``prefix`` what lists show."""

    id: uuid.UUID
    name: str
    token: str
    prefix: str
    scopes: tuple[str, ...]
    created_at: dt.datetime
    expires_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class RevokeApiToken(Command):
    """Revoke the API token ``token_id`` of ``user_id`` at once."""

    user_id: uuid.UUID
    token_id: uuid.UUID
    now: dt.datetime


@dataclass(frozen=True, slots=True)
class ChangePassword(Command):
    """Change ``user_id``'s password (``current`` confirms it); other sessions end. Returns the new
    session version (the caller's fresh token carries it)."""

    user_id: uuid.UUID
    current: str
    new: str
    now: dt.datetime


@dataclass(frozen=True, slots=True)
class IssuePasswordReset(Command):
    """An instance admin (``admin_id``) issues a one-time reset token for ``user_id`` valid
    ``ttl_s`` seconds. Returns an :class:`IssuedPasswordReset`."""

    admin_id: uuid.UUID
    user_id: uuid.UUID
    ttl_s: int
    now: dt.datetime


@dataclass(frozen=True, slots=True)
class IssuedPasswordReset:
    """A reset token as shown once to the admin, and when it stops working."""

    token: str
    expires_at: dt.datetime


@dataclass(frozen=True, slots=True)
class RedeemPasswordReset(Command):
    """Set a new password with a reset token; every session and API token of the user ends.
    Returns the user's id."""

    token: str
    new: str
    now: dt.datetime

"""The Telegram adapter's work with the Bot API: process stored updates, send replies, start and stop.

* :meth:`TelegramBot.process` parses one stored update (``Update.de_json``), answers a callback
  query first, fetches a file with getFile (size-checked before), asks getChatAdministrators for
  a "bot added" event, and hands the message to the edge's intake. It raises to be tried again
  (the Bot API or the edge's object store away) and is idempotent: message ids are Telegram's.
* :meth:`TelegramBot.send` is the :class:`~financy.bots.common.message.ReplySender`: sendMessage
  with an inline keyboard, spaced by a :class:`~financy.bots.common.ratelimit.RateLimiter`;
  Telegram's errors become the edge's delivery errors.
* :meth:`TelegramBot.start` registers the webhook (or deletes it for polling) and the command
  menu in Portuguese and English; :meth:`TelegramBot.poll` is the long-polling loop.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import httpx
import structlog
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeDefault,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    ReplyParameters,
    Update,
)
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.request import HTTPXRequest
from telegram.warnings import PTBDeprecationWarning, PTBUserWarning

from financy.bots.common.message import (
    BotState,
    InboundMessage,
    Intake,
    MediaPayload,
    RetryLaterError,
    SentMessage,
    UndeliverableError,
)
from financy.bots.common.ratelimit import RateLimiter
from financy.bots.common.reply import Button, Reply
from financy.bots.telegram.callbacks import all_categories, encode
from financy.bots.telegram.mapping import PLATFORM, BotIdentity, Expand, FileRef, map_update
from financy.core.contracts.v1 import ReplyV1, Sender

log = structlog.stdlib.get_logger(__name__)

#: The update kinds the bot asks Telegram for (webhook and polling alike).
ALLOWED_UPDATES = ("message", "edited_message", "channel_post", "callback_query", "my_chat_member")

#: The command menu: (command, description) per language; both languages' names work everywhere.
COMMANDS: dict[str, tuple[tuple[str, str], ...]] = {
    "pt": (
        ("start", "Começar (ou ligar esta conversa à sua conta)"),
        ("ajuda", "Exemplos do que posso anotar"),
        ("resumo", "Gastos do mês por categoria"),
        ("desfazer", "Apagar o último lançamento"),
        ("categoria", "Mudar a categoria do último lançamento"),
        ("contexto", "Ver e trocar o livro (pessoal ou família)"),
        ("convidar", "Convidar alguém para este livro"),
        ("pessoal", "Voltar a registrar no seu livro pessoal"),
        ("fatura", "Faturas do cartão de crédito, com as parcelas"),
        ("cartao", "Cadastrar um cartão: /cartao Nubank fecha 5 vence 12"),
    ),
    "en": (
        ("start", "Start (or link this chat to your account)"),
        ("help", "Examples of what I can record"),
        ("summary", "This month's spending by category"),
        ("undo", "Remove the last entry"),
        ("category", "Change the last entry's category"),
        ("context", "See and switch ledgers (personal or family)"),
        ("invite", "Invite someone into this ledger"),
        ("personal", "Record into your personal ledger again"),
        ("bill", "Your credit card bills, with their instalments"),
        ("card", "Set up a card: /card Nubank closes 5 due 12"),
    ),
}


#: Seconds polling waits before asking again while the edge refuses new messages (outbox full).
REFUSING_PAUSE_S = 5.0


@dataclass(frozen=True, slots=True)
class TelegramConfig:
    """What the adapter needs from the edge's settings (``FINANCY_TELEGRAM__*``, see the edge's settings).

    ``max_media_bytes``: the edge's file limit; ``poll_timeout_s``: a getUpdates long poll's wait.
    """

    token: str
    api_base_url: str = "https://api.telegram.org/bot"
    file_base_url: str = "https://api.telegram.org/file/bot"
    webhook_secret: str | None = None
    mode: Literal["webhook", "polling"] = "webhook"
    webhook_url: str | None = None
    bot_username: str | None = None
    max_media_bytes: int = 25 * 1024 * 1024
    poll_timeout_s: int = 30
    default_language: str = "pt"


def lenient(body: Any) -> Any:
    """Return ``body`` with the user fields Telegram's own documentation examples omit filled in.

    The Bot API's test payloads (core.telegram.org/bots/webhooks) leave ``is_bot`` and sometimes
    ``first_name`` out of users, which python-telegram-bot requires; a missing ``is_bot`` is read
    as ``false``. Files from before Bot API 4.5 lack ``file_unique_id`` (the ``file_id`` stands in).
    """
    if isinstance(body, list):
        return [lenient(v) for v in body]
    if not isinstance(body, dict):
        return body
    out = {k: lenient(v) for k, v in body.items()}
    for key in ("from", "user", "via_bot", "forward_from"):
        user = out.get(key)
        if (
            isinstance(user, dict)
            and "id" in user
            and user.get("type") not in ("channel", "group", "supergroup")
        ):
            user.setdefault("is_bot", False)
            user.setdefault("first_name", "")
    if isinstance(out.get("file_id"), str) and "file_unique_id" not in out:  # updates before Bot API 4.5
        out["file_unique_id"] = out["file_id"]
    if isinstance(out.get("forward_from"), dict) and out["forward_from"].get("type") == "channel":
        out["forward_from_chat"] = out.pop("forward_from")
    return out


def _retry_after_s(exc: RetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


def keyboard(buttons: Sequence[Button]) -> InlineKeyboardMarkup | None:
    """Return the inline keyboard for ``buttons``: the first alone on its row, the rest two a row."""
    cells = []
    for button in buttons:
        data = encode(button)
        if data is None:
            log.warning("telegram.button_not_carried", action=str(button.action), value=button.value[:60])
            continue
        cells.append(InlineKeyboardButton(button.label[:64], callback_data=data))
    if not cells:
        return None
    rows = [cells[:1]] + [cells[i : i + 2] for i in range(1, len(cells), 2)]
    return InlineKeyboardMarkup(rows)


class TelegramBot:
    """The Telegram adapter (see the module). ``state`` is the edge's bot state; ``intake`` its intake."""

    def __init__(
        self,
        config: TelegramConfig,
        intake: Intake,
        state: BotState,
        *,
        on_update: Callable[[], None] | None = None,
        limiter: RateLimiter | None = None,
        refusing: Callable[[], bool] | None = None,
    ) -> None:
        self.config = config
        self.intake = intake
        self.state = state
        self.on_update = on_update
        #: ``True`` while the edge takes no new messages (its outbox is full): polling waits, and
        #: Telegram keeps the updates until it asks again.
        self.refusing = refusing
        self.limiter = limiter or RateLimiter(30.0, 1.0, group_per_s=20 / 60)
        self.bot = Bot(
            config.token,
            base_url=config.api_base_url,
            base_file_url=config.file_base_url,
            request=HTTPXRequest(connection_pool_size=16, read_timeout=30.0),
            get_updates_request=HTTPXRequest(read_timeout=config.poll_timeout_s + 10.0),
        )
        self._files: httpx.AsyncClient | None = None
        head = config.token.split(":", 1)[0]
        self.bot_id = int(head) if head.isdigit() else None
        self.username = config.bot_username.lstrip("@") if config.bot_username else None

    # --- identity -------------------------------------------------------------------------------

    async def identity(self) -> BotIdentity:
        """Return the bot's id, @username (the setting, else getMe once, cached) and the media limit."""
        if self.username is None:
            try:
                me = await self.bot.get_me()
            except TelegramError as exc:
                log.warning("telegram.get_me_failed", error=str(exc)[:200])
            else:
                self.username = me.username
                self.bot_id = me.id
                log.info("telegram.identity", username=me.username, bot_id=me.id)
        return BotIdentity(self.bot_id, self.username, self.config.max_media_bytes)

    # --- updates --------------------------------------------------------------------------------

    async def process(self, body: bytes) -> None:
        """Handle one stored update (raw webhook or polled bytes).

        Raises:
            RetryLaterError: the Bot API or the edge could not take it now (tried again later).
        """
        try:
            update = Update.de_json(lenient(json.loads(body)), self.bot)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            log.warning("telegram.update_unreadable", error=f"{type(exc).__name__}: {exc}"[:300])
            return
        mapped = map_update(update, await self.identity(), self._sent)
        if mapped.answer_callback is not None:
            await self._answer(mapped.answer_callback)
        if mapped.expand is not None:
            await self._expand(mapped.expand)
            return
        if mapped.inbound is None:
            log.info(
                "telegram.update_acknowledged",
                update_id=update.update_id,
                reason=mapped.ignored,
                **{k: v for k, v in mapped.details.items() if k in ("chat_id", "kinds", "old", "new")},
            )
            return
        inbound = mapped.inbound
        if mapped.file is not None:
            inbound = await self._with_file(inbound, mapped.file)
        if mapped.admins_of is not None:
            inbound = await self._with_admins(inbound, mapped.admins_of)
        if inbound.chat_event is None or inbound.chat_event.kind != "bot_removed":
            self.state.touch_chat(PLATFORM, inbound.chat_id, dt.datetime.now(dt.UTC))
        result = await self.intake(inbound)
        if result.unavailable:
            raise RetryLaterError("the edge could not keep the file now")
        log.info(
            "telegram.update_taken",
            update_id=update.update_id,
            idempotency_key=result.idempotency_key,
            accepted=result.accepted,
            media=inbound.media_type,
            problem=inbound.problem,
            chat_event=inbound.chat_event.kind if inbound.chat_event else None,
        )

    def _sent(self, chat_id: str, message_id: str) -> SentMessage | None:
        return self.state.sent_message(PLATFORM, chat_id, message_id)

    async def _answer(self, callback_id: str) -> None:
        """Answer a callback query (the button stops spinning); a failure is logged, never raised."""
        try:
            await self.bot.answer_callback_query(callback_id)
        except TelegramError as exc:
            log.warning("telegram.callback_answer_failed", callback_id=callback_id, error=str(exc)[:200])

    async def _expand(self, expand: Expand) -> None:
        """Replace a reply's keyboard with every category (a "more categories" press)."""
        rows: list[list[InlineKeyboardButton]] = []
        for label, data in all_categories(expand.transaction_id, expand.language):
            if not rows or len(rows[-1]) == 2:
                rows.append([])
            rows[-1].append(InlineKeyboardButton(label, callback_data=data))
        await self.limiter.acquire(expand.chat_id, group=expand.chat_id.startswith("-"))
        try:
            await self.bot.edit_message_reply_markup(
                chat_id=expand.chat_id, message_id=expand.message_id, reply_markup=InlineKeyboardMarkup(rows)
            )
        except RetryAfter as exc:
            raise RetryLaterError(str(exc), _retry_after_s(exc)) from exc
        except (BadRequest, Forbidden) as exc:  # not modified, message gone: nothing to retry
            log.info("telegram.expand_refused", chat_id=expand.chat_id, error=str(exc)[:200])
        except NetworkError as exc:
            raise RetryLaterError(str(exc)) from exc

    def _file_url(self, file_path: str) -> str:
        """Return the download URL of a getFile ``file_path``: ``<file_base_url><token>/<file_path>``.

        python-telegram-bot already turns the answer's path into that URL; anything else (a path
        the library took for a local file) is put under the same root, never read from disk.
        """
        root = f"{self.config.file_base_url}{self.config.token}/"
        return file_path if file_path.startswith(root) else root + file_path.lstrip("/")

    async def _download(self, url: str, limit: int) -> bytes | None:
        """Stream ``url``; return its bytes, or ``None`` once more than ``limit`` bytes came (reading stops).

        Raises:
            RetryLaterError: a network error, a 5xx, 429 or 401.
            BadRequest: any other non-2xx answer (a redirect is not followed), or an empty body.
        """
        if self._files is None:
            self._files = httpx.AsyncClient(timeout=30.0, follow_redirects=False)
        chunks: list[bytes] = []
        total = 0
        try:
            async with self._files.stream("GET", url) as response:
                status = response.status_code
                if status >= 500 or status in (401, 429):
                    raise RetryLaterError(f"file download: HTTP {status}")
                if not 200 <= status < 300:
                    raise BadRequest(f"file download: HTTP {status}")
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > limit:
                    return None
                async for chunk in response.aiter_bytes():
                    total += len(chunk)
                    if total > limit:
                        return None
                    chunks.append(chunk)
        except httpx.HTTPError as exc:  # the message names no URL: the token stays out of the logs
            raise RetryLaterError(f"file download failed: {type(exc).__name__}") from exc
        if total == 0:
            raise BadRequest("file download: empty body")
        return b"".join(chunks)

    async def _with_file(self, inbound: InboundMessage, ref: FileRef) -> InboundMessage:
        """Return ``inbound`` with the bytes of ``ref`` (getFile, then a streamed download with the token).

        The download stops after ``max_media_bytes + 1`` bytes, whatever getFile declared.
        """
        limit = self.config.max_media_bytes
        try:
            file = await self.bot.get_file(ref.file_id)
            if file.file_size is not None and file.file_size > limit:
                return dataclasses.replace(inbound, problem="file_too_large")
            if not file.file_path:
                raise BadRequest("getFile gave no file_path")
            data = await self._download(self._file_url(file.file_path), limit)
        except RetryAfter as exc:
            raise RetryLaterError(str(exc), _retry_after_s(exc)) from exc
        except BadRequest as exc:
            if "too big" in str(exc).lower():  # the cloud Bot API serves files up to 20 MB
                return dataclasses.replace(inbound, problem="file_too_large")
            log.warning("telegram.file_refused", file_id=ref.file_id, error=str(exc)[:200])
            return dataclasses.replace(inbound, problem="media_missing")
        except (NetworkError, InvalidToken) as exc:
            raise RetryLaterError(f"getFile/download failed: {exc}") from exc
        if data is None:
            log.warning("telegram.file_too_large", file_id=ref.file_id, declared=file.file_size, limit=limit)
            return dataclasses.replace(inbound, problem="file_too_large")
        filename = ref.filename or (file.file_path.rsplit("/", 1)[-1] if file.file_path else None)
        return dataclasses.replace(
            inbound, media=MediaPayload(data=data, content_type=ref.content_type, filename=filename)
        )

    async def _with_admins(self, inbound: InboundMessage, chat_id: str) -> InboundMessage:
        """Return a "bot added" message with the group's administrators (people only)."""
        assert inbound.chat_event is not None
        try:
            members = await self.bot.get_chat_administrators(chat_id)
        except RetryAfter as exc:
            raise RetryLaterError(str(exc), _retry_after_s(exc)) from exc
        except (BadRequest, Forbidden) as exc:  # removed again at once, chat gone
            log.warning("telegram.admins_unavailable", chat_id=chat_id, error=str(exc)[:200])
            return inbound
        except NetworkError as exc:
            raise RetryLaterError(str(exc)) from exc
        except (TelegramError, KeyError, TypeError, ValueError) as exc:
            # An answer this library cannot read (a newer Bot API, a self-hosted server): the group
            # is bound all the same, its administrators join as editors when they write.
            log.warning(
                "telegram.admins_unreadable", chat_id=chat_id, error=f"{type(exc).__name__}: {exc}"[:200]
            )
            return inbound
        admins = tuple(
            Sender(
                platform_user_id=str(m.user.id),
                display_name=m.user.full_name[:200] or None,
                language_code=(m.user.language_code or None) and m.user.language_code[:16],
                is_person=True,
                is_chat_admin=True,
            )
            for m in members
            if not m.user.is_bot
        )[:200]
        is_admin = any(a.platform_user_id == inbound.sender_id for a in admins)
        event = inbound.chat_event.model_copy(update={"admins": admins})
        return dataclasses.replace(inbound, chat_event=event, sender_is_admin=is_admin)

    # --- replies --------------------------------------------------------------------------------

    async def send(self, reply: ReplyV1, rendered: Reply) -> None:
        """Send ``rendered`` to ``reply.chat_id`` (see :class:`~financy.bots.common.message.ReplySender`).

        Raises:
            RetryLaterError: 429 (with Telegram's retry_after), 5xx, a timeout or network error.
            UndeliverableError: the bot was blocked or removed (403), the chat is unknown, a bad request.
        """
        chat_id = reply.chat_id
        # Quote the user's message: its id, or the edited message's ("1365.e1441646600" -> 1365);
        # a button press ("cb...") or a chat event ("mcm...") has no message to quote.
        quoted = reply.in_reply_to.split(".e", 1)[0]
        params = (
            ReplyParameters(message_id=int(quoted), allow_sending_without_reply=True)
            if quoted.isdigit()
            else None
        )
        markup = keyboard(rendered.buttons)
        await self.limiter.acquire(chat_id, group=chat_id.startswith("-"))
        try:
            try:
                message = await self.bot.send_message(
                    chat_id=chat_id, text=rendered.text[:4096], reply_parameters=params, reply_markup=markup
                )
            except ChatMigrated as exc:  # the group became a supergroup: its new id
                chat_id = str(exc.new_chat_id)
                message = await self.bot.send_message(
                    chat_id=chat_id, text=rendered.text[:4096], reply_parameters=params, reply_markup=markup
                )
        except RetryAfter as exc:
            raise RetryLaterError(f"telegram: {exc}", _retry_after_s(exc)) from exc
        except Forbidden as exc:
            raise UndeliverableError(f"telegram forbids it: {exc}") from exc
        except BadRequest as exc:
            raise UndeliverableError(f"telegram refused it: {exc}") from exc
        except (NetworkError, InvalidToken) as exc:
            raise RetryLaterError(f"telegram unreachable: {type(exc).__name__}: {exc}") from exc
        self.state.remember_sent(
            SentMessage(
                PLATFORM,
                chat_id,
                str(message.message_id),
                str(reply.reply_id),
                tuple(str(t.transaction_id) for t in reply.transactions),
            )
        )

    # --- start, stop, polling -------------------------------------------------------------------

    async def start(self) -> None:
        """Register the webhook (or delete it for polling) and the command menus; failures are logged."""
        await self.identity()
        try:
            if self.config.mode == "polling":
                await self.bot.delete_webhook(drop_pending_updates=False)
                log.info("telegram.polling", username=self.username)
            elif self.config.webhook_url:
                if not self.config.webhook_secret:
                    log.error(
                        "telegram.webhook_without_secret", reason="set FINANCY_TELEGRAM__WEBHOOK_SECRET"
                    )
                await self.bot.set_webhook(
                    url=self.config.webhook_url,
                    secret_token=self.config.webhook_secret or None,
                    allowed_updates=list(ALLOWED_UPDATES),
                )
                log.info("telegram.webhook_set", url=self.config.webhook_url, username=self.username)
            else:
                log.warning(
                    "telegram.webhook_not_registered",
                    reason="FINANCY_TELEGRAM__WEBHOOK_URL is not set: Telegram does not know where to post;"
                    " set it, or use FINANCY_TELEGRAM__MODE=polling",
                )
        except TelegramError as exc:
            log.error("telegram.webhook_setup_failed", mode=self.config.mode, error=str(exc)[:300])
        await self.set_commands()

    async def set_commands(self) -> None:
        """Set the command menu in Portuguese ("pt"), English ("en") and the default (the edge's language)."""
        default = self.config.default_language if self.config.default_language in COMMANDS else "pt"
        for language in ("pt", "en", None):
            commands = [BotCommand(c, d) for c, d in COMMANDS[language or default]]
            try:
                await self.bot.set_my_commands(
                    commands, scope=BotCommandScopeDefault(), language_code=language
                )
            except TelegramError as exc:
                log.warning("telegram.commands_not_set", language=language, error=str(exc)[:200])

    async def stop(self) -> None:
        """Close the Bot API client (a webhook stays registered: Telegram keeps updates for the next start)."""
        try:
            await self.bot.shutdown()
        except Exception:
            log.exception("telegram.shutdown_failed")
        if self._files is not None:
            await self._files.aclose()
            self._files = None

    async def poll(self) -> None:
        """Long-poll getUpdates forever (cancelled at stop), storing each update like the webhook does.

        The offset moves past an update only once it is stored; errors back off 1 s doubling to 60 s.
        """
        offset: int | None = None
        failures = 0
        while True:
            if self.refusing is not None and self.refusing():
                await asyncio.sleep(REFUSING_PAUSE_S)
                continue
            kwargs: dict[str, Any] = {
                "timeout": self.config.poll_timeout_s,
                "allowed_updates": list(ALLOWED_UPDATES),
            }
            if offset is not None:
                kwargs["offset"] = offset
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", PTBUserWarning)
                    result = await self.bot.do_api_request(
                        "getUpdates", api_kwargs=kwargs, read_timeout=self.config.poll_timeout_s + 10.0
                    )
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                failures += 1
                wait = min(60.0, 2.0 ** (failures - 1))
                if isinstance(exc, RetryAfter):
                    wait = max(wait, _retry_after_s(exc))
                log.warning(
                    "telegram.poll_failed", error=f"{type(exc).__name__}: {exc}"[:300], retry_in_s=wait
                )
                await asyncio.sleep(wait)
                continue
            failures = 0
            for raw in result if isinstance(result, list) else ():
                update_id = raw.get("update_id") if isinstance(raw, dict) else None
                if not isinstance(update_id, int):
                    continue
                body = json.dumps(raw, ensure_ascii=False).encode("utf-8")
                if self.state.accept_update(PLATFORM, str(update_id), body) and self.on_update:
                    self.on_update()
                offset = update_id + 1

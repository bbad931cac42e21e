"""Background work for the chat adapters: stored updates are processed, deferred replies are sent.

:class:`UpdateDrain` hands each stored platform update (the webhook already answered) to its
adapter's ``process``; one that raises is tried again with backoff, and after ``max_attempts``
kept as failed with its error (logged, never silently gone). :class:`DeliveryLoop` sends the
replies a platform refused for now (:class:`~financy.bots.common.message.RetryLaterError`) when they
are due, holds those outside WhatsApp's window, and gives up only on
:class:`~financy.bots.common.message.UndeliverableError`.
"""

from __future__ import annotations

import asyncio
import contextlib

import structlog
from pydantic import ValidationError

from financy.bots.common.message import OutsideWindowError, RetryLaterError, UndeliverableError
from financy.bots.common.registry import ReplySenders
from financy.bots.common.render import render
from financy.core.contracts.v1 import ReplyV1
from financy.edge.outbox.bots import EdgeBotState

log = structlog.stdlib.get_logger(__name__)


def backoff_s(attempts: int, *, first_s: float = 1.0, max_s: float = 300.0) -> float:
    """Return the wait before try ``attempts + 1``: ``first_s`` doubled per try, at most ``max_s`` seconds."""
    return float(min(max_s, first_s * 2.0 ** max(0, attempts - 1)))


class _Loop:
    def __init__(self, poll_s: float) -> None:
        self.poll_s = poll_s
        self._stopping = asyncio.Event()
        self._wake = asyncio.Event()

    def stop(self) -> None:
        """Ask :meth:`run` to return."""
        self._stopping.set()
        self._wake.set()

    def wake(self) -> None:
        """Look for due work now rather than at the next poll."""
        self._wake.set()

    async def run(self) -> None:
        """Run rounds until :meth:`stop`; a round's bug is logged and the loop goes on."""
        while not self._stopping.is_set():
            try:
                busy = await self.round()
            except Exception:
                log.exception("edge.bot_loop_error", loop=type(self).__name__)
                busy = False
            if busy:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.poll_s)
            self._wake.clear()

    async def round(self) -> bool:  # pragma: no cover - overridden
        raise NotImplementedError


class UpdateDrain(_Loop):
    """Process stored updates with their platform's adapter (see the module)."""

    def __init__(
        self, state: EdgeBotState, senders: ReplySenders, *, max_attempts: int = 8, poll_s: float = 1.0
    ) -> None:
        super().__init__(poll_s)
        self.state = state
        self.senders = senders
        self.max_attempts = max_attempts

    async def round(self) -> bool:
        """Process the due updates; return whether there may be more."""
        due = self.state.due_updates()
        for update in due:
            adapter = self.senders.adapter(update.platform)
            if adapter is None or adapter.process is None:
                self.state.update_failed(update.id, "no adapter for this platform", retry_in_s=None)
                log.error("update.no_adapter", platform=update.platform, update_key=update.update_key)
                continue
            try:
                await adapter.process(update.body)
            except Exception as exc:
                attempts = update.attempts + 1
                retry = backoff_s(attempts) if attempts < self.max_attempts else None
                self.state.update_failed(update.id, f"{type(exc).__name__}: {exc}", retry_in_s=retry)
                log.warning(
                    "update.failed" if retry is None else "update.retry",
                    platform=update.platform,
                    update_key=update.update_key,
                    attempts=attempts,
                    retry_in_s=retry,
                    error=f"{type(exc).__name__}: {exc}"[:300],
                    exc_info=retry is None,
                )
                continue
            self.state.update_done(update.id)
        return len(due) >= 50


class DeliveryLoop(_Loop):
    """Send the replies kept in ``deliveries`` when due (see the module)."""

    def __init__(self, state: EdgeBotState, senders: ReplySenders, *, poll_s: float = 1.0) -> None:
        super().__init__(poll_s)
        self.state = state
        self.senders = senders

    async def round(self) -> bool:
        """Try the due deliveries; return whether there may be more."""
        due = self.state.due_deliveries()
        for delivery in due:
            try:
                reply = ReplyV1.model_validate_json(delivery.payload)
            except ValidationError as exc:
                self.state.delivery_failed(delivery.id, f"invalid reply: {exc}")
                log.error("reply.undeliverable", reply_id=delivery.reply_id, reason="invalid reply")
                continue
            sender = self.senders.get(reply.platform)
            if sender is None:
                self.state.delivery_retry(delivery.id, retry_in_s=60.0, error="no sender on this edge")
                continue
            try:
                await sender.send(reply, render(reply))
            except RetryLaterError as exc:
                wait = (
                    exc.retry_after_s if exc.retry_after_s is not None else backoff_s(delivery.attempts + 1)
                )
                self.state.delivery_retry(delivery.id, retry_in_s=wait, error=str(exc))
                log.warning("reply.retry", reply_id=delivery.reply_id, retry_in_s=wait, error=str(exc)[:200])
                continue
            except OutsideWindowError as exc:
                self.state.delivery_held(delivery.id, str(exc))
                log.warning(
                    "reply.held", reply_id=delivery.reply_id, platform=reply.platform, reason=str(exc)
                )
                continue
            except UndeliverableError as exc:
                self.state.delivery_failed(delivery.id, str(exc))
                log.error("reply.undeliverable", reply_id=delivery.reply_id, reason=str(exc)[:300])
                continue
            except Exception as exc:  # a sender's bug or an unforeseen error: kept and tried again
                wait = backoff_s(delivery.attempts + 1)
                self.state.delivery_retry(delivery.id, retry_in_s=wait, error=f"{type(exc).__name__}: {exc}")
                log.exception("reply.retry", reply_id=delivery.reply_id, retry_in_s=wait)
                continue
            self.state.delivery_sent(delivery.id)
            log.info("reply.sent_later", reply_id=delivery.reply_id, attempts=delivery.attempts + 1)
        return len(due) >= 50

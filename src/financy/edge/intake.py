"""Intake: an inbound message becomes a v1 capture in the edge outbox, durably, before any reply.

A text is read at once (microseconds). A voice note or photo is claimed in the outbox, its
original written to the object store, and a job queued for an edge worker, which puts the
capture in the outbox when it has read it (:mod:`financy.edge.workers`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from uuid import UUID

import redis
import structlog

from financy.bots.common.message import InboundMessage, IntakeResult
from financy.core.contracts.v1 import (
    MAX_TEXT_CHARS,
    CaptureV1,
    Intent,
    MediaRef,
    Sender,
    Understanding,
    clean_text,
    idempotency_key,
    is_statement_file,
)
from financy.edge.outbox.store import EdgeOutbox
from financy.edge.pipeline.media import MediaJob, media_kind
from financy.edge.pipeline.steps import Pipeline
from financy.runtime.ids import uuid7
from financy.runtime.objects import ObjectStore, ObjectStoreError, original_key, sniff_content_type

if TYPE_CHECKING:
    from financy.edge.workers import MediaQueue

log = structlog.stdlib.get_logger(__name__)


class Intake:
    """Run the pipeline on each inbound message and store the capture in the outbox."""

    def __init__(
        self,
        edge_id: str,
        pipeline: Pipeline,
        outbox: EdgeOutbox,
        wake_relay: Callable[[], None],
        *,
        store: ObjectStore | None = None,
        queue: MediaQueue | None = None,
        max_media_bytes: int = 25 * 1024 * 1024,
        held_at_edge: bool = False,
    ) -> None:
        """``store`` keeps originals; ``held_at_edge`` marks their references as kept only here
        (data-residency mode "edge": ``store`` is then the edge's own directory)."""
        self.edge_id = edge_id
        self.pipeline = pipeline
        self.outbox = outbox
        self._wake = wake_relay
        self.store = store
        self.queue = queue
        self.max_media_bytes = max_media_bytes
        self.held_at_edge = held_at_edge

    async def __call__(self, inbound: InboundMessage) -> IntakeResult:
        """Accept ``inbound``; return once the capture (or a media file and its job) is on the edge's disk."""
        key = idempotency_key(inbound.platform, inbound.chat_id, inbound.message_id)
        if inbound.text is not None:
            # NUL and lone surrogates cannot be stored; the rest is kept exactly as sent.
            inbound = dataclasses.replace(inbound, text=clean_text(inbound.text))
        if inbound.problem is not None and inbound.media is None:
            return self._unread(inbound, key, inbound.problem)
        if inbound.media is not None and self.store is not None:
            return await self._media(inbound, key)
        draft = await self.pipeline.run(inbound)
        capture = self._capture(
            inbound,
            key,
            uuid7(),
            media_type=inbound.media_type,
            text=draft.text,
            text_truncated=draft.text_truncated,
            understanding=draft.understanding,
            completes=draft.completes,
        )
        accepted = self.outbox.put(key, capture.model_dump_json())
        log.info(
            "capture.accepted" if accepted else "capture.duplicate",
            idempotency_key=key,
            intent=draft.understanding.intent.value if draft.understanding else None,
            failures=draft.failures or None,
            steps=[(r.step, r.outcome.value, r.reason) for r in draft.results],
        )
        if accepted:
            self._wake()
            return IntakeResult(key, accepted=True)
        first = self.outbox.payload_of(key)
        conflict = first is not None and CaptureV1.model_validate_json(first).text != capture.text
        return IntakeResult(key, accepted=False, conflict=conflict)

    async def _media(self, inbound: InboundMessage, key: str) -> IntakeResult:
        """Keep a voice note's or photo's original and queue its reading."""
        assert inbound.media is not None
        assert self.store is not None
        data = inbound.media.data
        sha256 = hashlib.sha256(data).hexdigest()
        content_type = sniff_content_type(data, inbound.media.content_type)
        capture_id = uuid7()
        statement = _is_statement(inbound.media.filename, inbound.media.content_type, content_type)
        kind = "document" if statement else media_kind(content_type)
        if len(data) > self.max_media_bytes:
            return self._refused(inbound, key, capture_id, kind, "file_too_large")
        if statement:
            return await self._statement(inbound, key, capture_id, data, content_type)
        earlier = self.outbox.media_sent_before(inbound.chat_id, inbound.sender_id, sha256)
        if earlier is not None and earlier.idempotency_key != key:
            # The same photo or voice note again from the same sender (forwarded twice): answered,
            # kept as a capture, not recorded twice. The first one's original is the evidence.
            return self._refused(inbound, key, capture_id, kind, "duplicate_media")
        object_key = original_key(self.edge_id, str(capture_id), content_type)
        job = MediaJob(
            capture_id=capture_id,
            idempotency_key=key,
            edge_id=self.edge_id,
            platform=inbound.platform,
            chat_id=inbound.chat_id,
            message_id=inbound.message_id,
            sender_id=inbound.sender_id,
            sender_name=inbound.sender_name[:200] if inbound.sender_name else None,
            sender_language=inbound.sender_language[:16] if inbound.sender_language else None,
            sender_is_person=inbound.sender_is_person,
            sender_is_admin=inbound.sender_is_admin,
            chat_type=inbound.chat_type,
            target_transaction=inbound.target_transaction,
            received_at=inbound.received_at,
            caption=inbound.text[:MAX_TEXT_CHARS] if inbound.text else None,
            caption_truncated=bool(inbound.text) and len(inbound.text or "") > MAX_TEXT_CHARS,
            kind=kind,
            media=MediaRef(
                key=object_key,
                content_type=content_type,
                size=len(data),
                sha256=sha256,
                filename=inbound.media.filename[:200] if inbound.media.filename else None,
                held_at_edge=self.held_at_edge,
            ),
        )
        first = self.outbox.claim_media(key, str(capture_id), job.model_dump_json(), sha256)
        if first is not None:
            log.info("capture.duplicate", idempotency_key=key, media=True)
            return IntakeResult(key, accepted=False, conflict=first != sha256)
        try:
            await asyncio.to_thread(self.store.put, object_key, data, content_type)
        except ObjectStoreError as exc:
            # Not kept: release the claim and let the platform deliver again (nothing was accepted).
            self.outbox.release_media(str(capture_id))
            log.error("capture.media_not_stored", idempotency_key=key, error=str(exc), code=exc.code)
            return IntakeResult(key, accepted=False, unavailable=True)
        self.outbox.media_stored(str(capture_id))
        if self.queue is not None:
            try:
                await asyncio.to_thread(self.queue.enqueue, str(capture_id))
            except (redis.RedisError, OSError) as exc:
                # The file and its job are on disk: the sweeper queues it when the queue is back.
                log.warning("capture.media_not_queued", idempotency_key=key, error=str(exc))
        log.info(
            "capture.accepted",
            idempotency_key=key,
            media=job.kind,
            content_type=content_type,
            size=len(data),
            object_key=object_key,
        )
        return IntakeResult(key, accepted=True)

    async def _statement(
        self, inbound: InboundMessage, key: str, capture_id: UUID, data: bytes, content_type: str
    ) -> IntakeResult:
        """Keep a bank statement file's original and send its capture at once: the core reads the
        file and previews its import (nothing here reads it; there is no media job)."""
        assert inbound.media is not None
        assert self.store is not None
        if self.outbox.payload_of(key) is not None:
            log.info("capture.duplicate", idempotency_key=key, media="statement")
            return IntakeResult(key, accepted=False)
        object_key = original_key(self.edge_id, str(capture_id), content_type)
        try:
            await asyncio.to_thread(self.store.put, object_key, data, content_type)
        except ObjectStoreError as exc:
            log.error("capture.media_not_stored", idempotency_key=key, error=str(exc), code=exc.code)
            return IntakeResult(key, accepted=False, unavailable=True)
        hint = (inbound.sender_language or "")[:2].lower() or self.pipeline.context.language
        filename = inbound.media.filename
        capture = self._capture(
            inbound,
            key,
            capture_id,
            media_type="document",
            text=inbound.text[:MAX_TEXT_CHARS] if inbound.text else None,
            text_truncated=len(inbound.text or "") > MAX_TEXT_CHARS,
            understanding=Understanding(
                language="en" if hint == "en" else "pt",
                intent=Intent.STATEMENT,
                confidence=1.0,
                language_sure=False,
            ),
            media=MediaRef(
                key=object_key,
                content_type=content_type,
                size=len(data),
                sha256=hashlib.sha256(data).hexdigest(),
                filename=filename[:200] if filename else None,
                held_at_edge=self.held_at_edge,
            ),
        )
        accepted = self.outbox.put(key, capture.model_dump_json())
        log.info(
            "capture.accepted" if accepted else "capture.duplicate",
            idempotency_key=key,
            media="statement",
            size=len(data),
            object_key=object_key,
        )
        if accepted:
            self._wake()
        return IntakeResult(key, accepted=accepted)

    def _refused(
        self, inbound: InboundMessage, key: str, capture_id: UUID, kind: str, problem: str
    ) -> IntakeResult:
        """Keep the capture of a file that is not read (over the limit, or sent before), without the
        file, and answer why (``problem``)."""
        language = "en" if (inbound.sender_language or "").lower().startswith("en") else "pt"
        capture = self._capture(
            inbound,
            key,
            capture_id,
            media_type="voice" if kind == "voice" else "photo" if kind == "photo" else "document",
            text=inbound.text[:MAX_TEXT_CHARS] if inbound.text else None,
            text_truncated=len(inbound.text or "") > MAX_TEXT_CHARS,
            understanding=Understanding(
                language=language, intent=Intent.UNKNOWN, confidence=0.0, problem=problem, language_sure=False
            ),
        )
        accepted = self.outbox.put(key, capture.model_dump_json())
        log.warning(
            "capture.media_refused",
            idempotency_key=key,
            problem=problem,
            size=len(inbound.media.data) if inbound.media else 0,
        )
        if accepted:
            self._wake()
        return IntakeResult(key, accepted=accepted)

    def _unread(self, inbound: InboundMessage, key: str, problem: str) -> IntakeResult:
        """Keep the capture of a message the adapter could not hand over (``inbound.problem``:
        an unsupported kind, a file too large to fetch), unread, and answer why."""
        hint = (inbound.sender_language or "")[:2].lower() or self.pipeline.context.language
        capture = self._capture(
            inbound,
            key,
            uuid7(),
            media_type=inbound.media_type,
            text=inbound.text[:MAX_TEXT_CHARS] if inbound.text else None,
            text_truncated=len(inbound.text or "") > MAX_TEXT_CHARS,
            understanding=Understanding(
                language="en" if hint == "en" else "pt",
                intent=Intent.UNKNOWN,
                confidence=0.0,
                problem=problem,
                language_sure=False,
            ),
        )
        accepted = self.outbox.put(key, capture.model_dump_json())
        log.info(
            "capture.accepted" if accepted else "capture.duplicate",
            idempotency_key=key,
            problem=problem,
            media_type=inbound.media_type,
        )
        if accepted:
            self._wake()
        return IntakeResult(key, accepted=accepted)

    def _capture(self, inbound: InboundMessage, key: str, capture_id: UUID, **fields: Any) -> CaptureV1:
        """Return the v1 capture of ``inbound`` with ``fields`` (media type, text, understanding...)."""
        return CaptureV1(
            capture_id=capture_id,
            idempotency_key=key,
            edge_id=self.edge_id,
            platform=inbound.platform,
            chat_id=inbound.chat_id,
            message_id=inbound.message_id,
            sender=Sender(
                platform_user_id=inbound.sender_id,
                display_name=inbound.sender_name[:200] if inbound.sender_name else None,
                language_code=inbound.sender_language[:16] if inbound.sender_language else None,
                is_person=inbound.sender_is_person,
                is_chat_admin=inbound.sender_is_admin,
            ),
            received_at=inbound.received_at,
            chat_type=inbound.chat_type,
            target_transaction=inbound.target_transaction,
            amends=inbound.amends,
            chat_event=inbound.chat_event,
            **fields,
        )


#: Sniffed media types that are never a statement, whatever the file is called.
_NOT_STATEMENTS = ("image/", "audio/", "video/", "application/pdf")


def _is_statement(filename: str | None, declared: str | None, sniffed: str) -> bool:
    """Whether a file is a bank statement to import: named or declared as one
    (:func:`~financy.core.contracts.v1.is_statement_file`) and not, by its bytes, a picture,
    a sound or a PDF."""
    return is_statement_file(filename, declared) and not sniffed.startswith(_NOT_STATEMENTS)

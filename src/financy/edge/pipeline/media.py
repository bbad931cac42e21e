"""Voice notes and receipt photos become what the text path understands: a transcript or a receipt.

The heavy part (speech-to-text, OCR) runs in ``financy edge worker`` processes, never in the
edge's HTTP process. This module holds the media steps of the pipeline, free of queues:
:class:`FetchMedia` (the original from the object store), :class:`Transcribe` (speech-to-text),
:class:`ReadReceipt` (OCR and receipt fields) and :class:`UnderstandReceipt`; the text steps
(:class:`~financy.edge.pipeline.understand.UnderstandText`,
:class:`~financy.edge.pipeline.categorize.CategorizeTransactions`) follow them, and with the edge's
outbox :class:`~financy.edge.pipeline.complete.CompleteMedia` (a spoken bare amount answering
"how much?"). :class:`MediaReader`
holds an edge's engines, lists the steps and turns the finished draft into a :class:`CaptureV1`
with its provenance (the transcript or OCR text, the models and their confidence).

What cannot be read is still a capture: a corrupt file, silence, a cat instead of a receipt or
a receipt without a total each give an :class:`Understanding` with a ``problem`` the core turns
into a question, and the original stays in the object store.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, ValidationError

from financy.bots.common.message import InboundMessage
from financy.core.contracts.v1 import (
    CaptureV1,
    ChatType,
    Intent,
    LineItem,
    MediaRef,
    ModelUse,
    Platform,
    ProposedTransaction,
    Provenance,
    ReceiptV1,
    Sender,
    TransactionKind,
    Understanding,
)
from financy.edge.outbox.store import EdgeOutbox
from financy.edge.pipeline.categorize import CategorizeTransactions
from financy.edge.pipeline.complete import CompleteMedia
from financy.edge.pipeline.steps import (
    RUN,
    Able,
    Draft,
    Outcome,
    Pipeline,
    PipelineContext,
    RetryLater,
    Step,
    StopPipeline,
    off_loop,
    skip,
)
from financy.edge.pipeline.understand import RankCategories, UnderstandText, understand_text
from financy.inference.speech.vocabulary import prompt_vocabulary

if TYPE_CHECKING:
    from financy.runtime.objects import ObjectStore

MediaKind = Literal["voice", "photo", "document", "other"]

#: Payment words of receipts mapped onto the text reader's payment methods.
_PAYMENT = {
    "credit_card": "credit",
    "debit_card": "debit",
    "cash": "cash",
    "pix": "pix",
    "voucher": "voucher",
}
#: How many of the chat's recent merchants go into a voice note's prompt.
PROMPT_MERCHANTS = 20
#: Longest prompt :func:`speech_prompt` builds, in characters (Whisper's own cut,
#: ``MAX_PROMPT_CHARS``, keeps the start: merchants are left out before the vocabulary is cut).
MAX_PROMPT_CHARS = 600


def speech_prompt(language: str, merchants: Sequence[str] = ()) -> str:
    """Return the prompt (Whisper's ``initial_prompt``) for a voice note in a chat in ``language``.

    The chat's recent ``merchants`` (most recent first, at most :data:`PROMPT_MERCHANTS`, as many
    as fit in :data:`MAX_PROMPT_CHARS` beside the rest), then the fixed vocabulary of places,
    amounts, currency and payment words (:func:`financy.inference.speech.vocabulary.prompt_vocabulary`,
    "en" for English and Portuguese for every other language). The evaluation builds its prompts
    with this function too (``tests/eval/speech.py``).
    """
    vocabulary = prompt_vocabulary("en" if language == "en" else "pt")
    room = MAX_PROMPT_CHARS - len(vocabulary) - 2
    names: list[str] = []
    for name in (" ".join(m.split()) for m in merchants[:PROMPT_MERCHANTS]):
        if name and name not in names and len(", ".join([*names, name])) <= room:
            names.append(name)
    return f"{', '.join(names)}. {vocabulary}" if names else vocabulary


class MediaJob(BaseModel):
    """A voice note or photo waiting for a worker (kept in the edge outbox's ``media_jobs``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    capture_id: UUID
    idempotency_key: str
    edge_id: str
    platform: Platform
    chat_id: str
    message_id: str
    sender_id: str
    sender_name: str | None = None
    sender_language: str | None = None
    received_at: dt.datetime
    caption: str | None = None
    caption_truncated: bool = False
    kind: MediaKind
    media: MediaRef
    sender_is_person: bool = True
    sender_is_admin: bool = False
    chat_type: ChatType = "private"
    target_transaction: UUID | None = None


def media_kind(content_type: str) -> MediaKind:
    """Return the capture's media type for a sniffed ``content_type`` (audio -> voice, image -> photo)."""
    if content_type.startswith(("audio/", "video/")):  # a video note is heard by its sound track
        return "voice"
    if content_type.startswith("image/"):
        return "photo"
    if content_type == "application/pdf":
        return "document"
    return "other"


def media_language(sender_language: str | None, edge_language: str) -> Literal["pt", "en"]:
    """Return the language to answer and read text in: the sender's, else the edge's (pt or en)."""
    hint = (sender_language or "")[:2].lower() or edge_language
    return "en" if hint == "en" else "pt"


def _not_read(draft: Draft, problem: str) -> Understanding:
    return Understanding(
        language=draft.language or "pt",
        intent=Intent.UNKNOWN,
        confidence=0.0,
        problem=problem,
        language_sure=False,  # no text read: the ledger's language answers
    )


class FetchMedia:
    """Fetch a media job's original from the object store."""

    name = "fetch_media"

    def __init__(self, store: ObjectStore) -> None:
        self.store = store

    def able_to_run(self, draft: Draft) -> Able:
        """Run on a media job whose original is not in hand yet."""
        if draft.job is None:
            return skip("not a voice note or photo")
        if draft.data is not None:
            return skip("original already in hand")
        return RUN

    async def run(self, draft: Draft, context: PipelineContext) -> None:
        """Set ``draft.data``; stop with ``media_missing`` when the original is gone.

        Raises:
            RetryLater: the object store is unavailable (its error is the cause).
        """
        from financy.runtime.objects import ObjectStoreError

        assert draft.job is not None
        try:
            draft.data = await asyncio.to_thread(self.store.get, draft.job.media.key)
        except ObjectStoreError as exc:
            if exc.code == "not_found":
                draft.understanding = _not_read(draft, "media_missing")
                raise StopPipeline("media_missing") from exc
            raise RetryLater(f"object store: {exc.code}") from exc


class Transcribe:
    """Speech-to-text of a voice note (the transcriber runs in a thread).

    ``transcriber`` is a :class:`financy.inference.speech.Transcriber`-like object (``transcribe(data,
    language=, prompt=) -> Transcript``); ``audio_error`` the error it raises for a file it cannot play.
    """

    name = "transcribe"

    def __init__(
        self, transcriber: Any | None, default_language: str, audio_error: type[Exception] | None
    ) -> None:
        self.transcriber = transcriber
        self.default_language = default_language
        self.audio_error = audio_error

    def able_to_run(self, draft: Draft) -> Able:
        """Run on a fetched voice note, on an edge with a speech engine."""
        if draft.job is None or draft.job.kind != "voice":
            return skip("not a voice note")
        if self.transcriber is None:
            return skip("no speech engine on this edge")
        if draft.data is None:
            return skip("original not fetched")
        return RUN

    def speech_language_of(self, job: MediaJob) -> str:
        """Return the language a voice note is spoken in: the sender's (any ISO 639-1), else the edge's.

        Whisper gets it as its language (it mistakes the language of short clips); a Vosk model
        speaks one language and refuses another.
        """
        hint = (job.sender_language or "")[:2].lower()
        return hint if hint.isalpha() and len(hint) == 2 else self.default_language

    async def run(self, draft: Draft, context: PipelineContext) -> None:
        """Set the transcript as ``draft.text`` (after the caption) and its provenance.

        Stops with the understanding set when the audio cannot be played or holds no speech.
        """
        assert draft.job is not None
        assert draft.data is not None
        assert self.transcriber is not None
        job, language = draft.job, draft.language or "pt"
        prompt = speech_prompt(language, draft.merchants)
        started = time.perf_counter()
        try:
            transcript = await off_loop(
                self.transcriber.transcribe, draft.data, language=self.speech_language_of(job), prompt=prompt
            )
        except Exception as exc:
            if self.audio_error is None or not isinstance(exc, self.audio_error):
                raise
            code = str(getattr(exc, "code", "corrupt_audio"))
            draft.provenance = Provenance(
                source="speech",
                engine=str(getattr(self.transcriber, "name", "speech")),
                seconds=time.perf_counter() - started,
                problem=f"audio:{code}"[:80],
            )
            draft.understanding = _not_read(draft, f"audio:{code}"[:80])
            raise StopPipeline(f"audio:{code}") from exc
        draft.provenance = Provenance(
            source="speech",
            engine=str(getattr(self.transcriber, "name", "whisper")),
            models=(ModelUse(name=transcript.model, version=transcript.model_version),),
            text=transcript.text[:10_000],
            language=transcript.language[:8] if transcript.language else language,
            confidence=max(0.0, min(1.0, float(transcript.confidence))),
            duration_s=max(0.0, float(transcript.duration_s)),
            seconds=time.perf_counter() - started,
        )
        if not transcript.speech_found or not transcript.text.strip():
            draft.understanding = _not_read(draft, "no_speech")
            raise StopPipeline("no_speech")
        caption = f"{job.caption} " if job.caption else ""
        draft.text = caption + transcript.text


class ReadReceipt:
    """OCR of a receipt photo and its fields (``read_receipt(data, language, currency) -> Receipt``, in a thread)."""

    name = "ocr"

    def __init__(
        self, read_receipt: Callable[[bytes, str, str], Any] | None, image_error: type[Exception] | None
    ) -> None:
        self.read_receipt = read_receipt
        self.image_error = image_error

    def able_to_run(self, draft: Draft) -> Able:
        """Run on a fetched photo or document, on an edge with an OCR engine."""
        if draft.job is None or draft.job.kind not in ("photo", "document"):
            return skip("not a photo or document")
        if self.read_receipt is None:
            return skip("no OCR engine on this edge")
        if draft.data is None:
            return skip("original not fetched")
        return RUN

    async def run(self, draft: Draft, context: PipelineContext) -> None:
        """Set ``draft.receipt_read``, ``draft.receipt`` and the provenance; stop when the image cannot be opened."""
        assert self.read_receipt is not None
        assert draft.data is not None
        language = draft.language or "pt"
        started = time.perf_counter()
        try:
            receipt = await off_loop(self.read_receipt, draft.data, language, context.currency)
        except Exception as exc:
            if self.image_error is None or not isinstance(exc, self.image_error):
                raise
            code = str(getattr(exc, "code", "corrupt_image"))
            draft.provenance = Provenance(
                source="ocr", engine="ocr", seconds=time.perf_counter() - started, problem=f"image:{code}"
            )
            draft.understanding = _not_read(draft, f"image:{code}"[:80])
            raise StopPipeline(f"image:{code}") from exc
        fields = receipt.fields
        draft.provenance = Provenance(
            source="ocr",
            engine=str(receipt.engine)[:64] or "ocr",
            models=tuple(
                ModelUse(name=name[:64], version=version[:64])
                for name, version in _models_of(receipt.engine, receipt.model_version)
            ),
            text=str(receipt.text)[:10_000],
            language=language,
            confidence=max(0.0, min(1.0, float(receipt.ocr_confidence))),
            seconds=time.perf_counter() - started,
            problem=fields.problem,
        )
        draft.receipt_read = receipt
        draft.receipt = _receipt_v1(receipt, _line_items(fields.items))


class UnderstandReceipt:
    """Turn a receipt's fields (and the caption typed with the photo) into the understanding."""

    name = "understand_receipt"

    def able_to_run(self, draft: Draft) -> Able:
        """Run on a draft whose receipt was read."""
        if draft.receipt_read is None:
            return skip("no receipt read")
        return RUN

    async def run(self, draft: Draft, context: PipelineContext) -> None:
        """Set ``draft.understanding``: the receipt's total, else the caption's amount, else a question."""
        assert draft.job is not None
        assert draft.receipt_read is not None
        job, language = draft.job, draft.language or "pt"
        fields = draft.receipt_read.fields
        items = draft.receipt.items if draft.receipt is not None else _line_items(fields.items)
        if job.caption:
            draft.caption_understanding = await off_loop(
                understand_text,
                job.caption,
                today=context.today(job.received_at),
                language_hint=language,
                currency=context.currency,
            )
        caption = draft.caption_understanding
        if fields.problem or fields.total is None or fields.total <= 0:
            if caption is not None and caption.intent is Intent.RECORD and caption.transactions:
                # The user typed the amount with the photo: the caption's amount, the receipt's
                # merchant, date and lines.
                draft.understanding = _with_receipt(caption, fields, items)
                draft.read_from = "caption"
                return
            draft.understanding = _not_read(draft, f"receipt_{fields.problem or 'no_total'}"[:80])
            return
        description = job.caption.strip()[:500] if job.caption and job.caption.strip() else None
        try:
            proposed = ProposedTransaction(
                kind=TransactionKind.EXPENSE,
                amount=fields.total,
                currency=fields.currency,
                occurred_on=fields.date,
                merchant=fields.merchant[:200] if fields.merchant else None,
                description=description,
                category=None,
                payment_method=_PAYMENT.get(fields.payment_method or ""),
                items=items,
                receipt_date_missing=fields.date is None,
            )
        except ValidationError:
            draft.understanding = _not_read(draft, "amount_out_of_range")
            return
        confidence = max(0.0, min(0.95, float(fields.confidence)))
        draft.understanding = Understanding(
            language=language,
            intent=Intent.RECORD,
            transactions=(proposed,),
            confidence=confidence,
            language_sure=False,  # a receipt's language is not the chat's
        )
        draft.read_from = "receipt"


def _with_receipt(caption: Understanding, fields: Any, items: tuple[LineItem, ...]) -> Understanding:
    """Return the caption's transaction completed with what the receipt says (one transaction only)."""
    if len(caption.transactions) != 1:
        return caption
    tx = caption.transactions[0]
    merged = tx.model_copy(
        update={
            "currency": tx.currency or fields.currency,
            "occurred_on": tx.occurred_on or fields.date,
            "days_ago": None if (tx.occurred_on or fields.date) else tx.days_ago,
            "merchant": tx.merchant or (fields.merchant[:200] if fields.merchant else None),
            "payment_method": tx.payment_method or _PAYMENT.get(fields.payment_method or ""),
            "items": items,
            "receipt_date_missing": not (tx.occurred_on or fields.date or tx.days_ago is not None),
        }
    )
    return caption.model_copy(update={"transactions": (merged,)})


class MediaReader:
    """An edge's engines for reading media, the media steps over them, and the capture they make.

    ``transcriber`` is a :class:`financy.inference.speech.Transcriber`-like object (``transcribe(data,
    language=, prompt=) -> Transcript``), ``read_receipt`` a callable ``(data, language, currency) ->
    Receipt`` (see :mod:`financy.inference.vision.receipt`); both may be ``None`` on an edge that does
    not read that kind. ``categorize`` is the edge's category model, as a ranker (best first).
    ``outbox`` (the edge's, ``None`` for tools) lets a voice note that is just an amount complete
    the sender's earlier question ("how much?").
    """

    def __init__(
        self,
        *,
        time_zone: str,
        language: str,
        currency: str,
        transcriber: Any | None,
        read_receipt: Callable[[bytes, str, str], Any] | None,
        categorize: RankCategories | None,
        audio_error: type[Exception] | None = None,
        image_error: type[Exception] | None = None,
        outbox: EdgeOutbox | None = None,
    ) -> None:
        self.outbox = outbox
        self.context = PipelineContext(time_zone=time_zone, language=language, currency=currency)
        self.language = language
        self.transcriber = transcriber
        self.read_receipt = read_receipt
        self.categorize = categorize
        self._audio_error = audio_error
        self._image_error = image_error

    def language_of(self, job: MediaJob) -> Literal["pt", "en"]:
        """Return the language to answer and read text in: the sender's, else the edge's (pt or en)."""
        return media_language(job.sender_language, self.language)

    def steps(self, store: ObjectStore | None = None) -> list[Step]:
        """Return the media pipeline: fetch (with ``store``) -> transcribe | OCR -> understand -> categorize."""
        steps: list[Step] = [] if store is None else [FetchMedia(store)]
        return [
            *steps,
            Transcribe(self.transcriber, self.language, self._audio_error),
            ReadReceipt(self.read_receipt, self._image_error),
            UnderstandText(),
            UnderstandReceipt(),
            CategorizeTransactions(self.categorize),
            *([CompleteMedia(self.outbox, self.categorize)] if self.outbox is not None else []),
        ]

    def draft(self, job: MediaJob, data: bytes | None = None, *, merchants: Sequence[str] = ()) -> Draft:
        """Return the draft of ``job`` (its original ``data`` if already in hand)."""
        inbound = InboundMessage(
            platform=job.platform,
            chat_id=job.chat_id,
            message_id=job.message_id,
            sender_id=job.sender_id,
            received_at=job.received_at,
            text=job.caption,
            media_type=job.kind,
            sender_name=job.sender_name,
            sender_language=job.sender_language,
        )
        return Draft(
            inbound=inbound,
            text=None,
            job=job,
            data=data,
            language=self.language_of(job),
            merchants=tuple(merchants),
        )

    async def read_draft(self, draft: Draft, store: ObjectStore | None = None) -> Draft:
        """Run the media steps over ``draft`` (raises only :class:`RetryLater`)."""
        return await Pipeline(self.steps(store), self.context).run_draft(draft)

    def read(self, job: MediaJob, data: bytes, *, merchants: Sequence[str] = ()) -> CaptureV1:
        """Return the capture for ``job`` whose original is ``data`` (never raises for bad media).

        Synchronous (it runs its own event loop): for workers and tools, not for async code.
        """
        draft = asyncio.run(self.read_draft(self.draft(job, data, merchants=merchants)))
        if any(r.outcome is Outcome.FAILED for r in draft.results):
            return self.failed(job)
        return self.capture_of(draft)

    def capture_of(self, draft: Draft) -> CaptureV1:
        """Return the capture of a finished media draft (a kind nobody read is ``not_text``)."""
        assert draft.job is not None
        understanding = draft.understanding or _not_read(draft, "not_text")
        return self.capture(
            draft.job,
            understanding,
            provenance=draft.provenance,
            receipt=draft.receipt,
            completes=draft.completes,
        )

    def failed(self, job: MediaJob, problem: str = "media_failed") -> CaptureV1:
        """Return the capture for a job that could not be read at all (the user is told; the original kept)."""
        understanding = Understanding(
            language=self.language_of(job),
            intent=Intent.UNKNOWN,
            confidence=0.0,
            problem=problem,
            language_sure=False,
        )
        return self.capture(job, understanding)

    def capture(
        self,
        job: MediaJob,
        understanding: Understanding,
        *,
        provenance: Provenance | None = None,
        receipt: ReceiptV1 | None = None,
        completes: UUID | None = None,
    ) -> CaptureV1:
        """Return the v1 capture of ``job`` with what was read (``completes``: the earlier capture
        it answers)."""
        return CaptureV1(
            capture_id=job.capture_id,
            idempotency_key=job.idempotency_key,
            edge_id=job.edge_id,
            platform=job.platform,
            chat_id=job.chat_id,
            message_id=job.message_id,
            sender=Sender(
                platform_user_id=job.sender_id,
                display_name=job.sender_name,
                language_code=job.sender_language,
                is_person=job.sender_is_person,
                is_chat_admin=job.sender_is_admin,
            ),
            received_at=job.received_at,
            chat_type=job.chat_type,
            target_transaction=job.target_transaction,
            media_type=job.kind,
            text=job.caption,
            text_truncated=job.caption_truncated,
            understanding=understanding,
            media=job.media,
            provenance=provenance,
            receipt=receipt,
            completes=completes,
        )


def _models_of(engine: str, version: str) -> list[tuple[str, str]]:
    """Return (name, version) pairs of the OCR models from a receipt's ``engine``/``model_version``."""
    names = [n for n in str(engine).split("+") if n]
    versions = [v for v in str(version).split("+") if v]
    if len(versions) != len(names):
        versions = [str(version) or "unknown"] * len(names)
    return list(zip(names, versions, strict=True))


def _decimal(value: Any) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(str(value))
    except ArithmeticError:
        return None


def _line_items(items: Sequence[Any]) -> tuple[LineItem, ...]:
    """Return a receipt's lines as wire items, skipping any the contract refuses (never the receipt)."""
    out: list[LineItem] = []
    for item in items[:500]:
        description = str(getattr(item, "description", "") or "").strip()[:200]
        if not description:
            continue
        try:
            out.append(
                LineItem(
                    description=description,
                    quantity=_decimal(item.quantity),
                    unit_price=_decimal(item.unit_price),
                    line_total=_decimal(item.line_total),
                )
            )
        except ValidationError:  # noqa: S112 - a line the contract refuses is left out, not the receipt
            continue
    return tuple(out)


def _receipt_v1(receipt: Any, items: tuple[LineItem, ...]) -> ReceiptV1 | None:
    """Return the receipt's fields for the wire (``None`` if they do not fit the contract)."""
    f = receipt.fields
    tax_id = f.merchant_tax_id
    nfce = receipt.nfce
    key = getattr(getattr(nfce, "key", None), "access_key", None) if nfce is not None else None
    try:
        return ReceiptV1(
            merchant=f.merchant[:200] if f.merchant else None,
            merchant_tax_id=tax_id.value[:32] if tax_id is not None else None,
            merchant_tax_id_kind=str(tax_id.kind)[:16] if tax_id is not None else None,
            date=f.date,
            time=f.time.strftime("%H:%M") if f.time is not None else None,
            total=f.total,
            subtotal=f.subtotal,
            tax=f.tax,
            tip=f.tip,
            change=f.change,
            currency=f.currency,
            payment_method=f.payment_method,
            items=items,
            nfce_access_key=key,
            nfce_url=nfce.url[:1000] if nfce is not None else None,
        )
    except ValidationError:
        return None

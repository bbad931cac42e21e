"""Voice notes and receipt photos become what the text path understands: a transcript or a receipt.

The heavy part (speech-to-text, OCR) runs in ``financy edge worker`` processes, never in the
edge's HTTP process. This module is the reading itself, free of queues: :class:`MediaReader`
turns a :class:`MediaJob` and the original's bytes into a finished :class:`CaptureV1` with its
provenance (the transcript or OCR text, the models and their confidence).

What cannot be read is still a capture: a corrupt file, silence, a cat instead of a receipt or
a receipt without a total each give an :class:`Understanding` with a ``problem`` the core turns
into a question, and the original stays in the object store.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, ValidationError

from financy.core.contracts.v1 import (
    CaptureV1,
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
from financy.edge.pipeline.understand import Categorize, fill_categories, understand_text

MediaKind = Literal["voice", "photo", "document", "other"]

#: A transcript this unsure is not recorded without the user's "sim" (the core asks under 0.5).
TRANSCRIPT_SURE_FROM = 0.4
#: Payment words of receipts mapped onto the text reader's payment methods.
_PAYMENT = {
    "credit_card": "credit",
    "debit_card": "debit",
    "cash": "cash",
    "pix": "pix",
    "voucher": "voucher",
}
#: Words Whisper should expect besides the chat's own merchants (its ``initial_prompt``).
_VOCABULARY = {
    "pt": "Gastei no mercado, padaria, farmácia, posto, Uber, iFood, restaurante, aluguel, luz, internet. "
    "Recebi salário. Reais, centavos, Pix, cartão, débito, crédito.",
    "en": "Spent at the grocery store, pharmacy, gas station, Uber, restaurant, rent, electricity. "
    "Got paid salary. Dollars, cents, card, cash.",
}


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


def media_kind(content_type: str) -> MediaKind:
    """Return the capture's media type for a sniffed ``content_type`` (audio -> voice, image -> photo)."""
    if content_type.startswith(("audio/", "video/")):  # a video note is heard by its sound track
        return "voice"
    if content_type.startswith("image/"):
        return "photo"
    if content_type == "application/pdf":
        return "document"
    return "other"


class MediaReader:
    """Read a media job's original and return the finished capture.

    ``transcriber`` is a :class:`financy.inference.speech.Transcriber`-like object (``transcribe(data,
    language=, prompt=) -> Transcript``), ``read_receipt`` a callable ``(data, language, currency) ->
    Receipt`` (see :mod:`financy.inference.vision.receipt`); both may be ``None`` on an edge that does
    not read that kind. ``categorize`` is the edge's category model.
    """

    def __init__(
        self,
        *,
        time_zone: str,
        language: str,
        currency: str,
        transcriber: Any | None,
        read_receipt: Callable[[bytes, str, str], Any] | None,
        categorize: Categorize | None,
        audio_error: type[Exception] | None = None,
        image_error: type[Exception] | None = None,
    ) -> None:
        self.time_zone = time_zone
        self.language = language
        self.currency = currency
        self.transcriber = transcriber
        self.read_receipt = read_receipt
        self.categorize = categorize
        self._audio_error = audio_error
        self._image_error = image_error

    def language_of(self, job: MediaJob) -> Literal["pt", "en"]:
        """Return the language to answer and read text in: the sender's, else the edge's (pt or en)."""
        hint = (job.sender_language or "")[:2].lower() or self.language
        return "en" if hint == "en" else "pt"

    def speech_language_of(self, job: MediaJob) -> str:
        """Return the language a voice note is spoken in: the sender's (any ISO 639-1), else the edge's.

        Whisper gets it as its language (it mistakes the language of short clips); a Vosk model
        speaks one language and refuses another.
        """
        hint = (job.sender_language or "")[:2].lower()
        return hint if hint.isalpha() and len(hint) == 2 else self.language

    def read(self, job: MediaJob, data: bytes, *, merchants: Sequence[str] = ()) -> CaptureV1:
        """Return the capture for ``job`` whose original is ``data`` (never raises for bad media)."""
        language = self.language_of(job)
        if job.kind == "voice":
            understanding, provenance = self._voice(job, data, language, merchants)
            receipt = None
        elif job.kind in ("photo", "document"):
            understanding, provenance, receipt = self._photo(job, data, language)
        else:
            understanding = Understanding(
                language=language, intent=Intent.UNKNOWN, confidence=0.0, problem="not_text"
            )
            provenance, receipt = None, None
        return self.capture(job, understanding, provenance=provenance, receipt=receipt)

    def failed(self, job: MediaJob, problem: str = "media_failed") -> CaptureV1:
        """Return the capture for a job that could not be read at all (the user is told; the original kept)."""
        understanding = Understanding(
            language=self.language_of(job), intent=Intent.UNKNOWN, confidence=0.0, problem=problem
        )
        return self.capture(job, understanding)

    def capture(
        self,
        job: MediaJob,
        understanding: Understanding,
        *,
        provenance: Provenance | None = None,
        receipt: ReceiptV1 | None = None,
    ) -> CaptureV1:
        """Return the v1 capture of ``job`` with what was read."""
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
            ),
            received_at=job.received_at,
            media_type=job.kind,
            text=job.caption,
            text_truncated=job.caption_truncated,
            understanding=understanding,
            media=job.media,
            provenance=provenance,
            receipt=receipt,
        )

    # --- voice -------------------------------------------------------------------------------

    def _today(self, job: MediaJob) -> dt.date:
        return job.received_at.astimezone(ZoneInfo(self.time_zone)).date()

    def _understand(self, text: str, job: MediaJob, language: str) -> Understanding:
        understanding = understand_text(
            text, today=self._today(job), language_hint=language, currency=self.currency
        )
        if self.categorize is not None:
            understanding = fill_categories(understanding, text, self.categorize)
        return understanding

    def _voice(
        self, job: MediaJob, data: bytes, language: Literal["pt", "en"], merchants: Sequence[str]
    ) -> tuple[Understanding, Provenance | None]:
        if self.transcriber is None:
            return Understanding(
                language=language, intent=Intent.UNKNOWN, confidence=0.0, problem="not_text"
            ), None
        prompt = _VOCABULARY[language]
        if merchants:
            prompt = f"{', '.join(merchants[:20])}. {prompt}"
        started = time.perf_counter()
        try:
            transcript = self.transcriber.transcribe(
                data, language=self.speech_language_of(job), prompt=prompt
            )
        except Exception as exc:
            if self._audio_error is not None and isinstance(exc, self._audio_error):
                code = str(getattr(exc, "code", "corrupt_audio"))
                provenance = Provenance(
                    source="speech",
                    engine=str(getattr(self.transcriber, "name", "speech")),
                    seconds=time.perf_counter() - started,
                    problem=f"audio:{code}"[:80],
                )
                return Understanding(
                    language=language, intent=Intent.UNKNOWN, confidence=0.0, problem=f"audio:{code}"[:80]
                ), provenance
            raise
        provenance = Provenance(
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
            return Understanding(
                language=language, intent=Intent.UNKNOWN, confidence=0.0, problem="no_speech"
            ), provenance
        caption = f"{job.caption} " if job.caption else ""
        understanding = self._understand(caption + transcript.text, job, language)
        if understanding.intent is Intent.UNKNOWN and understanding.problem in (None, "no_amount"):
            understanding = understanding.model_copy(update={"problem": "voice_no_amount"})
        if provenance.confidence < TRANSCRIPT_SURE_FROM and understanding.intent is Intent.RECORD:
            # Unsure hearing: show what was heard and record only on "sim".
            understanding = understanding.model_copy(
                update={"confidence": min(understanding.confidence, 0.45)}
            )
        return understanding, provenance

    # --- photos ------------------------------------------------------------------------------

    def _photo(
        self, job: MediaJob, data: bytes, language: Literal["pt", "en"]
    ) -> tuple[Understanding, Provenance | None, ReceiptV1 | None]:
        if self.read_receipt is None:
            return (
                Understanding(language=language, intent=Intent.UNKNOWN, confidence=0.0, problem="not_text"),
                None,
                None,
            )
        started = time.perf_counter()
        try:
            receipt = self.read_receipt(data, language, self.currency)
        except Exception as exc:
            if self._image_error is not None and isinstance(exc, self._image_error):
                code = str(getattr(exc, "code", "corrupt_image"))
                provenance = Provenance(
                    source="ocr", engine="ocr", seconds=time.perf_counter() - started, problem=f"image:{code}"
                )
                return (
                    Understanding(
                        language=language, intent=Intent.UNKNOWN, confidence=0.0, problem=f"image:{code}"[:80]
                    ),
                    provenance,
                    None,
                )
            raise
        fields = receipt.fields
        provenance = Provenance(
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
        items = _line_items(fields.items)
        receipt_v1 = _receipt_v1(receipt, items)
        caption = self._understand(job.caption, job, language) if job.caption else None
        if fields.problem or fields.total is None or fields.total <= 0:
            problem = f"receipt_{fields.problem or 'no_total'}"
            if caption is not None and caption.intent is Intent.RECORD and caption.transactions:
                # The user typed the amount with the photo: the caption's amount, the receipt's
                # merchant, date and lines.
                return self._with_receipt(caption, fields, items), provenance, receipt_v1
            return (
                Understanding(language=language, intent=Intent.UNKNOWN, confidence=0.0, problem=problem[:80]),
                provenance,
                receipt_v1,
            )
        currency = fields.currency
        description = job.caption.strip()[:500] if job.caption and job.caption.strip() else None
        try:
            proposed = ProposedTransaction(
                kind=TransactionKind.EXPENSE,
                amount=fields.total,
                currency=currency,
                occurred_on=fields.date,
                merchant=fields.merchant[:200] if fields.merchant else None,
                description=description,
                category=None,
                payment_method=_PAYMENT.get(fields.payment_method or ""),
                items=items,
            )
        except ValidationError:
            return (
                Understanding(
                    language=language, intent=Intent.UNKNOWN, confidence=0.0, problem="amount_out_of_range"
                ),
                provenance,
                receipt_v1,
            )
        if self.categorize is not None:
            guess = self._receipt_category(fields.merchant, items, receipt.text, job.caption)
            if caption is not None:
                caption_category = next((t.category for t in caption.transactions if t.category), None)
                if caption_category:
                    guess = (caption_category, 1.0)
            if (
                guess is not None
                and guess[1] >= 0.35
                and guess[0] not in ("salary", "other_income", "transfer")
            ):
                proposed = proposed.model_copy(update={"category": guess[0]})
        confidence = max(0.0, min(0.95, float(fields.confidence)))
        understanding = Understanding(
            language=language, intent=Intent.RECORD, transactions=(proposed,), confidence=confidence
        )
        return understanding, provenance, receipt_v1

    def _with_receipt(
        self, caption: Understanding, fields: Any, items: tuple[LineItem, ...]
    ) -> Understanding:
        """Return the caption's transaction completed with what the receipt says (one transaction only)."""
        if len(caption.transactions) != 1:
            return caption
        tx = caption.transactions[0]
        category = tx.category
        if category is None and self.categorize is not None:
            guess = self._receipt_category(fields.merchant, items, "", None)
            category = guess[0] if guess is not None and guess[1] >= 0.35 else None
        merged = tx.model_copy(
            update={
                "currency": tx.currency or fields.currency,
                "occurred_on": tx.occurred_on or fields.date,
                "days_ago": None if (tx.occurred_on or fields.date) else tx.days_ago,
                "merchant": tx.merchant or (fields.merchant[:200] if fields.merchant else None),
                "category": category,
                "payment_method": tx.payment_method or _PAYMENT.get(fields.payment_method or ""),
                "items": items,
            }
        )
        return caption.model_copy(update={"transactions": (merged,)})

    def _receipt_category(
        self, merchant: str | None, items: Sequence[LineItem], text: str, caption: str | None
    ) -> tuple[str, float] | None:
        """Return the category of a receipt: its merchant when the model knows it, a served meal when
        the receipt has a tip or table service, else the model's reading of merchant and items."""
        assert self.categorize is not None
        known = self.categorize(merchant) if merchant else None
        if known is not None and known[1] >= 0.5:
            return known
        if _SERVED.search(text or ""):
            return ("restaurants", 0.9)
        words = [merchant or "", *(item.description for item in items[:8])]
        source = " ".join(w for w in words if w) or (caption or "")
        return self.categorize(source) if source else None


#: Lines only a served meal's bill has (a tip, table service, a waiter, a cover charge).
_SERVED = re.compile(
    r"(?im)^\W*(tip|gratuity|gorjeta|table|mesa|server|gar[cç]om|couvert|taxa de servi[cç]o|servi[cç]o \(?10)\b"
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

"""A receipt photo in, its fields out: image loading + NFC-e QR + OCR engines + field extraction.

:func:`read_receipt` is what ``financy receipt`` and the edge's photo step call. Engines are
*combinable*: the first engine's reading stands; another engine runs only when that reading lacks
the total, the merchant or the date, and then only fills what is missing (a total that was found
is never replaced).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING, Any, Final

from financy.inference.vision.fields import ReceiptFields, extract_fields
from financy.inference.vision.image import ImageLimits, load_image, prepare_for_ocr
from financy.inference.vision.nfce import NfceInfo, decode_qr_codes, find_access_key, parse_nfce_qr
from financy.inference.vision.taxid import TaxId, valid_cnpj

if TYPE_CHECKING:
    from financy.inference.vision.ocr import OcrEngine, OcrResult

__all__ = ["MIN_LINE_CONFIDENCE", "Receipt", "read_receipt"]

#: OCR lines read with less confidence than this are left out of field extraction: on a bad photo
#: Tesseract turns texture into lines of 0.15-0.45 confidence ("wy AUS a he aa pistag") that would
#: otherwise become the merchant or an item. The receipt's ``text`` keeps them.
MIN_LINE_CONFIDENCE: Final = 0.5

_PROBLEM_RANK: Final = {None: 0, "no_total": 1, "not_a_receipt": 2, "no_text": 3}
_MONEY_GROUP: Final = ("total", "subtotal", "tax", "tip", "change", "savings", "tendered", "total_verified")
_FILLABLE: Final = ("merchant", "merchant_tax_id", "date", "time", "currency", "payment_method")


def _money(value: Any) -> str | None:
    return None if value is None else str(value)


@dataclass(frozen=True)
class Receipt:
    """One read receipt.

    ``fields``: what it says; ``text``: the OCR text (lines joined by newlines; when a second
    engine filled fields, its text follows the first's after a blank line); ``nfce``: the NFC-e QR
    code or printed access key, if any; ``engine``: the engines whose readings were used
    ("ppocr", "ppocr+tesseract"); ``model_version``: theirs, "; "-joined; ``ocr_confidence``: the
    first engine's character-weighted line confidence (0..1); ``seconds``: wall time of
    :func:`read_receipt` (image decoding, QR, OCR and fields; model loading included when it
    happened during the call).
    """

    fields: ReceiptFields
    text: str
    nfce: NfceInfo | None
    engine: str
    model_version: str
    ocr_confidence: float
    seconds: float

    @property
    def confidence(self) -> float:
        """Overall confidence (0..1): the fields' confidence times the OCR's."""
        return round(self.fields.confidence * self.ocr_confidence, 3)

    def to_json(self) -> dict[str, Any]:
        """The DESIGN §5 ``financy receipt --json`` shape.

        Keys: merchant, merchant_tax_id ({"kind", "value", "country"} or null), date (ISO), time
        ("HH:MM:SS"), total, subtotal, tax, tip, change, savings (decimal strings or null), currency,
        items ([{"description", "quantity", "unit_price", "line_total"}]), payment_method, text,
        confidence, ocr_confidence, nfce ({"url", "access_key", "state", "issuer_cnpj", "model",
        "series", "number", "check_digit_ok", "qr_version", "environment"} or null), problem, engine,
        model_version, seconds.
        """
        f = self.fields
        tax_id = f.merchant_tax_id
        nfce: dict[str, Any] | None = None
        if self.nfce is not None:
            key = self.nfce.key
            nfce = {
                "url": self.nfce.url or None,
                "access_key": key.access_key if key else None,
                "state": key.state if key else None,
                "issuer_cnpj": key.issuer_cnpj if key else None,
                "model": key.model if key else None,
                "series": key.series if key else None,
                "number": key.number if key else None,
                "check_digit_ok": key.check_digit_ok if key else None,
                "qr_version": self.nfce.qr_version,
                "environment": self.nfce.environment,
            }
        return {
            "merchant": f.merchant,
            "merchant_tax_id": (
                {"kind": tax_id.kind, "value": tax_id.value, "country": tax_id.country} if tax_id else None
            ),
            "date": f.date.isoformat() if f.date else None,
            "time": f.time.isoformat() if f.time else None,
            "total": _money(f.total),
            "subtotal": _money(f.subtotal),
            "tax": _money(f.tax),
            "tip": _money(f.tip),
            "change": _money(f.change),
            "savings": _money(f.savings),
            "currency": f.currency,
            "items": [
                {
                    "description": item.description,
                    "quantity": _money(item.quantity),
                    "unit_price": _money(item.unit_price),
                    "line_total": _money(item.line_total),
                }
                for item in f.items
            ],
            "payment_method": f.payment_method,
            "text": self.text,
            "confidence": self.confidence,
            "ocr_confidence": round(self.ocr_confidence, 3),
            "nfce": nfce,
            "problem": f.problem,
            "engine": self.engine,
            "model_version": self.model_version,
            "seconds": round(self.seconds, 3),
        }


def _fields_of(result: OcrResult, language: str | None, currency: str | None) -> ReceiptFields:
    # Illegible lines become blanks, not gaps: the merchant must still be near the top.
    lines = [line.text if line.confidence >= MIN_LINE_CONFIDENCE else "" for line in result.lines]
    return extract_fields(lines, language=language, currency=currency)


def _needs_more(f: ReceiptFields) -> bool:
    return f.total is None or f.merchant is None or f.date is None


def _merge(first: ReceiptFields, other: ReceiptFields) -> tuple[ReceiptFields, bool]:
    """Fill ``first``'s missing fields from ``other``; return the result and whether anything came from it."""
    changes: dict[str, Any] = {}
    if first.total is None and other.total is not None:
        # The money fields travel together: a total with another reading's subtotal may not add up.
        changes.update({name: getattr(other, name) for name in _MONEY_GROUP})
        if not first.items:
            changes["items"] = other.items
    for name in _FILLABLE:
        if getattr(first, name) is None and getattr(other, name) is not None:
            changes[name] = getattr(other, name)
    if not changes:
        return first, False
    merged = replace(first, **changes)
    problem = (
        None
        if merged.total is not None
        else min((first.problem, other.problem), key=lambda p: _PROBLEM_RANK[p]) or "no_total"
    )
    merged = replace(merged, problem=problem)
    return replace(merged, confidence=merged.score()), True


def _with_nfce(f: ReceiptFields, nfce: NfceInfo | None) -> ReceiptFields:
    """Let the NFC-e key fill the issuer's CNPJ, the currency and (off-line QR) the total."""
    if nfce is None or nfce.key is None or not nfce.key.check_digit_ok:
        return f
    changes: dict[str, Any] = {}
    if f.merchant_tax_id is None and valid_cnpj(nfce.key.issuer_cnpj):
        changes["merchant_tax_id"] = TaxId("cnpj", nfce.key.issuer_cnpj, "BR")
    if f.currency is None:
        changes["currency"] = "BRL"
    if f.total is None and nfce.total is not None:
        changes.update(total=nfce.total, total_verified=True, problem=None)
    if not changes:
        return f
    merged = replace(f, **changes)
    return replace(merged, confidence=merged.score())


def _find_nfce(pixels: Any, texts: Sequence[str]) -> NfceInfo | None:
    try:
        payloads = decode_qr_codes(pixels)
    except (ValueError, RuntimeError):  # the QR code is a bonus: an image zxing refuses is still read
        payloads = []
    for payload in payloads:
        info = parse_nfce_qr(payload)
        if info is not None:
            return info
    key = find_access_key("\n".join(texts))
    return NfceInfo(url="", key=key) if key is not None else None


def read_receipt(
    data: bytes,
    *,
    engines: Sequence[OcrEngine],
    language: str | None = None,
    currency: str | None = None,
    limits: ImageLimits = ImageLimits(),  # noqa: B008 - frozen dataclass, never mutated
) -> Receipt:
    """Read a receipt photo (or a PDF's first page): decode, find an NFC-e QR code, OCR, extract fields.

    ``engines`` in order of preference (at least one); ``language`` ("pt", "en"...) orders ambiguous
    dates; ``currency`` (ISO 4217) applies when the receipt names none. A photo with no legible text
    gives ``problem`` "no_text", text without money "not_a_receipt", money without a readable total
    "no_total" (no total is guessed).

    Raises:
        ValueError: ``engines`` is empty.
        ImageError: the bytes are not a usable image (``code``: "empty", "too_large",
            "too_many_pixels", "not_an_image", "corrupt_image", "unreadable_pdf").
        OcrError: an engine could not run (``engine_unavailable``, ``engine_failed``); the
            registry's ModelError when a model artifact is missing or corrupt.
    """
    if not engines:
        raise ValueError("read_receipt needs at least one OCR engine")
    started = time.perf_counter()
    loaded = load_image(data, limits=limits)
    pixels = prepare_for_ocr(loaded.pixels)
    primary = engines[0].read(pixels)
    result = _fields_of(primary, language, currency)
    used = [primary]
    for engine in engines[1:]:
        if not _needs_more(result):
            break
        other = engine.read(pixels)
        result, contributed = _merge(result, _fields_of(other, language, currency))
        if contributed:
            used.append(other)
    nfce = _find_nfce(loaded.pixels, [r.text for r in used])
    result = _with_nfce(result, nfce)
    return Receipt(
        fields=result,
        text="\n\n".join(r.text for r in used if r.text),
        nfce=nfce,
        engine="+".join(r.engine for r in used),
        model_version="; ".join(r.model_version for r in used),
        ocr_confidence=primary.confidence,
        seconds=time.perf_counter() - started,
    )


# Fail at import, not on the first receipt, if ReceiptFields loses one of the names merged above.
assert set(_MONEY_GROUP + _FILLABLE) <= {f.name for f in fields(ReceiptFields)}

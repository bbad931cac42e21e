"""``financy receipt IMAGE [--json]``: OCR and receipt fields on this machine (DESIGN §5)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from financy.edge.cli_files import InputFileError, fail, read_input
from financy.inference.registry import ModelError, ModelRegistry
from financy.inference.vision.image import ImageError, ImageLimits
from financy.inference.vision.ocr import OcrError, make_engines
from financy.inference.vision.receipt import Receipt, read_receipt

#: What the user is told for each ``problem`` (also on stderr with --json).
PROBLEM_NOTES = {
    "no_text": "no text could be read in the image: is it a receipt? try a sharper, closer photo",
    "not_a_receipt": "text was read but no amounts of money: this does not look like a receipt",
    "no_total": "no total could be read on the receipt: nothing was guessed; type the amount instead",
}


def _fail(args: argparse.Namespace, code: str, message: str, status: int) -> int:
    return fail("receipt", args, code, message, status)


def _summary(receipt: Receipt) -> str:
    f = receipt.fields
    head = " ".join(str(part) for part in (f.merchant or "(merchant unknown)", f.date, f.time) if part)
    lines = [head]
    if f.merchant_tax_id is not None:
        lines.append(f"{f.merchant_tax_id.kind.upper()} {f.merchant_tax_id.formatted()}")
    for item in f.items:
        qty = f"{item.quantity} x " if item.quantity is not None else ""
        lines.append(f"  {qty}{item.description}  {item.line_total if item.line_total is not None else ''}")
    parts = [
        f"{name} {value}"
        for name, value in (("subtotal", f.subtotal), ("tax", f.tax), ("tip", f.tip), ("change", f.change))
        if value is not None
    ]
    total = f"total {f.total} {f.currency or ''}".rstrip() if f.total is not None else "total: not found"
    lines.append(total + (f" ({', '.join(parts)})" if parts else ""))
    if f.payment_method:
        lines.append(f"paid by {f.payment_method}")
    if receipt.nfce is not None and receipt.nfce.key is not None:
        lines.append(f"NFC-e key {receipt.nfce.key.access_key}")
    lines.append(f"[{receipt.engine}, confidence {receipt.confidence:.2f}, {receipt.seconds:.1f} s]")
    return "\n".join(lines)


def receipt(args: argparse.Namespace) -> int:
    """Read the receipt photo ``args.image``; print its fields (``--json``: DESIGN §5 shape).

    Arguments read: ``image``, ``json``, ``engine`` ("ppocr", "tesseract" or "ppocr,tesseract": in
    order, the later ones only fill what the first missed), ``lang`` (date order hint), ``currency``
    (ISO 4217, when the receipt names none), ``models_dir``.

    Exit status: 0 when the image was read, also when a ``problem`` is reported (no text, not a
    receipt, no total: a note on stderr); 1 for an image refused (``ImageError`` codes: empty,
    too_large, too_many_pixels, not_an_image, corrupt_image, unreadable_pdf), an unknown engine or
    currency, or an OCR engine or model that cannot run; 2 when the path cannot be read
    (``unreadable_path``).
    """
    path = Path(args.image)
    limits = ImageLimits()
    try:
        data = read_input(path, "an image", limits.max_bytes)
    except InputFileError as exc:
        return _fail(args, exc.code, exc.message, exc.status)

    currency = getattr(args, "currency", None)
    if currency is not None:
        currency = currency.strip().upper()
        if len(currency) != 3 or not currency.isalpha():
            return _fail(
                args, "bad_currency", f"--currency takes an ISO 4217 code like BRL, got {args.currency!r}", 1
            )
    names = [name.strip() for name in (getattr(args, "engine", None) or "ppocr").split(",") if name.strip()]
    models_dir = Path(args.models_dir) if getattr(args, "models_dir", None) else None
    try:
        engines = make_engines(names, ModelRegistry.default(models_dir))
        if not engines:
            return _fail(args, "unknown_engine", "--engine names no OCR engine (ppocr, tesseract)", 1)
        result = read_receipt(
            data, engines=engines, language=getattr(args, "lang", None), currency=currency, limits=limits
        )
    except ImageError as exc:
        return _fail(args, exc.code, exc.message, 1)
    except OcrError as exc:
        return _fail(args, exc.code, exc.message, 1)
    except ModelError as exc:
        return _fail(args, exc.code, str(exc), 1)

    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False))
    else:
        print(_summary(result))
    problem = result.fields.problem
    if problem is not None:
        print(f"financy receipt: {PROBLEM_NOTES[problem]} ({problem})", file=sys.stderr)
    return 0

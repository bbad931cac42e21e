"""Receipt vision: images in, OCR lines out (PP-OCRv5 on ONNX Runtime, Tesseract); receipt fields on top."""

from financy.inference.vision.image import ImageError, ImageLimits, LoadedImage, load_image, prepare_for_ocr

__all__ = ["ImageError", "ImageLimits", "LoadedImage", "load_image", "prepare_for_ocr"]

# Receipt fields, tax ids, NFC-e and the whole read (fields.py, taxid.py, nfce.py, receipt.py).
from financy.inference.vision.fields import ReceiptFields, ReceiptItem, extract_fields
from financy.inference.vision.nfce import NfceInfo, NfceKey, decode_qr_codes, parse_access_key, parse_nfce_qr
from financy.inference.vision.receipt import Receipt, read_receipt
from financy.inference.vision.taxid import TaxId, find_tax_ids, valid_cnpj, valid_cpf

__all__ += [
    "NfceInfo",
    "NfceKey",
    "Receipt",
    "ReceiptFields",
    "ReceiptItem",
    "TaxId",
    "decode_qr_codes",
    "extract_fields",
    "find_tax_ids",
    "parse_access_key",
    "parse_nfce_qr",
    "read_receipt",
    "valid_cnpj",
    "valid_cpf",
]

# OCR engines and text lines from box geometry (ocr.py, lines.py).
from financy.inference.vision.lines import merge_words, rebuild_lines  # noqa: E402 (appended block)
from financy.inference.vision.ocr import (  # noqa: E402 (appended block)
    OcrEngine,
    OcrError,
    OcrLine,
    OcrResult,
    PaddleOcrEngine,
    TesseractEngine,
    UnknownOcrEngine,
    make_engines,
)

__all__ += [
    "OcrEngine",
    "OcrError",
    "OcrLine",
    "OcrResult",
    "PaddleOcrEngine",
    "TesseractEngine",
    "UnknownOcrEngine",
    "make_engines",
    "merge_words",
    "rebuild_lines",
]

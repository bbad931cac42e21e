"""``read_receipt`` end to end: real photos through real OCR engines, and a Brazilian NFC-e rendered here.

Slow: loads PP-OCRv5 (ONNX Runtime) and runs Tesseract. The engines are built once per module.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import pytest
import segno
from PIL import Image, ImageDraw, ImageFont

from financy.inference.vision.image import ImageError
from financy.inference.vision.nfce import access_key_check_digit
from financy.inference.vision.ocr import OcrEngine, make_engines
from financy.inference.vision.receipt import Receipt, read_receipt
from financy.inference.vision.taxid import TaxId

pytestmark = pytest.mark.slow

RECEIPTS = Path(__file__).parents[1] / "fixtures" / "receipts"
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"

BODY = "35" + "2403" + "11222333000181" + "65" + "001" + "000000123" + "1" + "00000123"
KEY = BODY + str(access_key_check_digit(BODY))
QR_URL = f"https://www.nfce.fazenda.sp.gov.br/qrcode?p={KEY}|2|1|1|0A1B2C3D4E5F60718293A4B5C6D7E8F901234567"


@pytest.fixture(scope="module")
def ppocr() -> list[OcrEngine]:
    return make_engines(["ppocr"])


@pytest.fixture(scope="module")
def both() -> list[OcrEngine]:
    return make_engines(["tesseract", "ppocr"])


def read(name: str, engines: list[OcrEngine], **kwargs: str) -> Receipt:
    return read_receipt((RECEIPTS / name).read_bytes(), engines=engines, **kwargs)


def render(lines: list[str], qr: str | None = None) -> bytes:
    """A receipt-like PNG: monospaced lines on white, and a QR code under them."""
    font = ImageFont.truetype(FONT, 26)
    height = 60 + 40 * len(lines) + (420 if qr else 0)
    image = Image.new("RGB", (900, height), "white")
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(lines):
        draw.text((40, 30 + 40 * i), line, fill="black", font=font)
    if qr:
        buffer = io.BytesIO()
        segno.make(qr, error="m").save(buffer, kind="png", scale=5, border=4)
        image.paste(Image.open(io.BytesIO(buffer.getvalue())).convert("RGB"), (250, 40 + 40 * len(lines)))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def test_contoso_cafe_photo(ppocr: list[OcrEngine]) -> None:
    r = read("azure_contoso_cafe_photo.jpg", ppocr)
    f = r.fields
    assert (f.total, f.currency, f.date, f.merchant) == (
        Decimal("14.50"),
        "USD",
        dt.date(2019, 6, 10),
        "Contoso",
    )
    assert (f.subtotal, f.tax) == (Decimal("11.70"), Decimal("1.17"))
    assert r.engine == "ppocr"
    assert r.ocr_confidence > 0.9
    out = r.to_json()
    assert (out["total"], out["date"], out["time"], out["problem"]) == (
        "14.50",
        "2019-06-10",
        "13:59:00",
        None,
    )


def test_mega_market_rendered(ppocr: list[OcrEngine]) -> None:
    f = read("textractor_megabigbox_rendered.jpg", ppocr).fields
    assert (f.total, f.currency, f.date) == (Decimal("1810.46"), "USD", dt.date(2019, 12, 7))
    assert (f.subtotal, f.tax, f.total_verified) == (Decimal("1699.96"), Decimal("110.50"), True)
    assert len(f.items) == 4


@pytest.mark.parametrize(
    "name", ["mmocr_wildreceipt_safeway_photo.jpg", "textractor_ph_grocery_photo_no_summary.png"]
)
def test_photos_without_a_total_say_so(ppocr: list[OcrEngine], name: str) -> None:
    r = read(name, ppocr)
    assert r.fields.total is None
    assert r.fields.problem == "no_total"
    assert r.to_json()["total"] is None


def test_second_engine_fills_the_total_the_first_missed(both: list[OcrEngine]) -> None:
    # Tesseract reads the cafe photo's total as "$450" (no decimals: not an amount); PP-OCR reads 14.50.
    r = read("azure_contoso_cafe_photo.jpg", both)
    assert r.engine == "tesseract+ppocr"
    assert r.fields.total == Decimal("14.50")
    assert r.fields.problem is None
    assert "ppocrv5" in r.model_version
    assert "tesseract" in r.model_version


def test_synthetic_brazilian_nfce_with_qr(ppocr: list[OcrEngine]) -> None:
    lines = [
        "SUPERMERCADO BOM PRECO LTDA",
        "CNPJ: 11.222.333/0001-81",
        "RUA DAS FLORES, 123 - SAO PAULO - SP",
        "001 ARROZ TIPO 1 5KG  1 UN X 24,90  24,90",
        "002 FEIJAO CARIOCA    2 UN X 6,50   13,00",
        "003 LEITE INTEGRAL    2 UN X 4,00    8,00",
        "QTD. TOTAL DE ITENS 3",
        "VALOR TOTAL R$ 45,90",
        "Cartao de Credito 45,90",
        "Emissao: 15/03/2024 14:32:10",
    ]
    r = read_receipt(render(lines, QR_URL), engines=ppocr, language="pt")
    f = r.fields
    assert (f.total, f.currency, f.date) == (Decimal("45.90"), "BRL", dt.date(2024, 3, 15))
    assert f.merchant_tax_id == TaxId("cnpj", "11222333000181", "BR")
    assert f.payment_method == "credit_card"
    assert r.nfce is not None
    assert r.nfce.url == QR_URL
    assert r.nfce.key is not None
    assert (r.nfce.key.access_key, r.nfce.key.check_digit_ok) == (KEY, True)
    out = r.to_json()
    assert out["nfce"]["access_key"] == KEY
    assert out["merchant_tax_id"] == {"kind": "cnpj", "value": "11222333000181", "country": "BR"}


def test_nfce_key_fills_cnpj_and_currency_when_ocr_misses_them(ppocr: list[OcrEngine]) -> None:
    r = read_receipt(render(["PADARIA DO ZE", "TOTAL 12,00"], QR_URL), engines=ppocr)
    assert (r.fields.total, r.fields.currency) == (Decimal("12.00"), "BRL")
    assert r.fields.merchant_tax_id == TaxId("cnpj", "11222333000181", "BR")


def test_blank_photo_and_text_without_money(ppocr: list[OcrEngine]) -> None:
    assert read_receipt(render([]), engines=ppocr).fields.problem == "no_text"
    notes = render(["Minutes of the meeting", "Attendees: Ana and Bruno", "Next: budget review"])
    assert read_receipt(notes, engines=ppocr).fields.problem == "not_a_receipt"


def test_bad_images_raise_image_error(ppocr: list[OcrEngine]) -> None:
    with pytest.raises(ImageError) as not_image:
        read_receipt(b"%!PS-Adobe-3.0 not a photo", engines=ppocr)
    assert not_image.value.code == "not_an_image"
    truncated = (RECEIPTS / "azure_contoso_cafe_photo.jpg").read_bytes()[:20000]
    with pytest.raises(ImageError) as corrupt:
        read_receipt(truncated, engines=ppocr)
    assert corrupt.value.code == "corrupt_image"
    with pytest.raises(ValueError, match="at least one OCR engine"):
        read_receipt(b"", engines=[])

"""OCR engines on real receipt photos, and text lines rebuilt from box geometry."""

from __future__ import annotations

import re
from pathlib import Path

import cv2
import numpy as np
import pytest

from financy.inference.vision.image import load_image, prepare_for_ocr
from financy.inference.vision.lines import merge_words, rebuild_lines
from financy.inference.vision.ocr import (
    OcrError,
    OcrLine,
    OcrResult,
    PaddleOcrEngine,
    TesseractEngine,
    UnknownOcrEngine,
    make_engines,
)

RECEIPTS = Path(__file__).resolve().parents[1] / "fixtures" / "receipts"


def _word(text: str, x0: int, y0: int, x1: int, y1: int, confidence: float = 0.9) -> OcrLine:
    return OcrLine(text=text, confidence=confidence, box=(x0, y0, x1, y1))


# --- rebuild_lines on synthetic boxes ---------------------------------------------------------------


def test_two_columns_become_lines_with_the_gap_kept() -> None:
    # Item and price columns, 30 px text, 40 px pitch, given in PP-OCR's column-major-ish order.
    words = [
        _word("TOTAL", 20, 100, 120, 130),
        _word("SUBTOTAL", 20, 20, 180, 50),
        _word("TAX", 20, 60, 80, 90),
        _word("$1810.46", 500, 101, 660, 131),
        _word("$1699.96", 500, 19, 660, 49),
        _word("$110.50", 520, 62, 660, 92),
    ]
    lines = rebuild_lines(words)
    assert [re.sub(" +", " ", line.text) for line in lines] == [
        "SUBTOTAL $1699.96",
        "TAX $110.50",
        "TOTAL $1810.46",
    ]
    total = lines[2]
    assert total.text == "TOTAL" + " " * 8 + "$1810.46"  # a 380 px gap at 20 px/char, capped at 8
    assert total.box == (20, 100, 660, 131)
    assert total.confidence == pytest.approx(0.9)


def test_close_words_are_joined_with_one_space() -> None:
    line = merge_words(
        [_word("Main", 70, 0, 150, 30), _word("123", 0, 0, 60, 30), _word("Street", 160, 0, 280, 30)]
    )
    assert line.text == "123 Main Street"


def test_skewed_line_stays_one_line_and_its_neighbours_stay_apart() -> None:
    # Three lines descending 5 px per 100 px (~2.9 degrees), pitch 40 px, text 28 px high.
    words = []
    for row, label in enumerate(["Cappuccino", "Bacon", "Total"]):
        top = 50 + 40 * row
        words.append(_word(f"{label}", 0, top, 200, top + 28))
        words.append(_word(f"{row}A", 250, top + 13, 330, top + 41))
        words.append(_word(f"{row}B", 380, top + 19, 460, top + 47))
        words.append(_word(f"${row}.50", 700, top + 35, 800, top + 63))  # 35 px lower than its start
    lines = rebuild_lines(words)
    assert [line.text.split() for line in lines] == [
        ["Cappuccino", "0A", "0B", "$0.50"],
        ["Bacon", "1A", "1B", "$1.50"],
        ["Total", "2A", "2B", "$2.50"],
    ]


def test_stacked_boxes_are_separate_lines_and_confidence_is_char_weighted() -> None:
    words = [
        _word("AB", 0, 0, 40, 20, confidence=1.0),
        _word("CDEFGH", 60, 2, 180, 22, confidence=0.5),
        _word("XY", 0, 11, 40, 31),  # overlaps "AB" horizontally: a second line, not a neighbour
    ]
    lines = rebuild_lines(words)
    assert len(lines) == 2
    first = next(line for line in lines if "AB" in line.text)
    assert first.confidence == pytest.approx((2 * 1.0 + 6 * 0.5) / 8)


def test_no_words_and_blank_words_give_no_lines() -> None:
    assert rebuild_lines([]) == []
    assert rebuild_lines([_word("  ", 0, 0, 10, 10)]) == []
    with pytest.raises(ValueError, match="at least one"):
        merge_words([])


def test_result_text_and_confidence() -> None:
    result = OcrResult(
        lines=(_word("TOTAL 14.50", 0, 0, 10, 10, 1.0), _word("X", 0, 20, 10, 30, 0.0)),
        engine="ppocr",
        model_version="ppocrv5@0.0.22",
        seconds=0.1,
    )
    assert result.text == "TOTAL 14.50\nX"
    assert result.confidence == pytest.approx(11 / 12)
    assert OcrResult(lines=(), engine="ppocr", model_version="", seconds=0.0).confidence == 0.0


def test_unknown_engine_is_a_value_error_with_a_code() -> None:
    with pytest.raises(ValueError, match="easyocr") as caught:
        make_engines(["ppocr", "easyocr"])
    assert isinstance(caught.value, UnknownOcrEngine)
    assert caught.value.code == "unknown_engine"


def test_bad_tesseract_arguments() -> None:
    with pytest.raises(ValueError, match="languages"):
        TesseractEngine(languages=["por; rm -rf /"])
    with pytest.raises(ValueError, match="psm"):
        TesseractEngine(psm=42)


# --- real engines on real receipts ------------------------------------------------------------------


@pytest.fixture(scope="module")
def ppocr() -> PaddleOcrEngine:
    engine = PaddleOcrEngine()
    engine.load()
    return engine


@pytest.fixture(scope="module")
def tesseract() -> TesseractEngine:
    engine = TesseractEngine()
    engine.load()
    return engine


@pytest.fixture(scope="module")
def cafe() -> np.ndarray:
    return prepare_for_ocr(load_image((RECEIPTS / "azure_contoso_cafe_photo.jpg").read_bytes()).pixels)


@pytest.fixture(scope="module")
def mega() -> np.ndarray:
    return prepare_for_ocr(load_image((RECEIPTS / "textractor_megabigbox_rendered.jpg").read_bytes()).pixels)


@pytest.fixture(scope="module")
def cat() -> np.ndarray:
    """A textured, furry, two-eyed non-text picture (there is no cat photo in the data)."""
    rng = np.random.default_rng(7)
    height, width = 900, 1200
    coarse = cv2.resize(rng.normal(0, 1, (height // 8, width // 8)).astype(np.float32), (width, height))
    fur = cv2.filter2D(
        rng.normal(0, 1, (height, width)).astype(np.float32),
        -1,
        cv2.getGaborKernel((21, 21), 4.0, np.pi / 3, 8.0, 0.5),
    )
    grey = 128 + 35 * coarse + 12 * fur
    picture = np.clip(np.stack([grey, grey * 0.8, grey * 0.6], -1), 0, 255).astype(np.uint8)
    cv2.ellipse(picture, (600, 500), (330, 260), 0, 0, 360, (200, 150, 90), -1)
    for x in (500, 700):
        cv2.circle(picture, (x, 430), 40, (40, 160, 60), -1)
        cv2.circle(picture, (x, 430), 15, (10, 10, 10), -1)
    return prepare_for_ocr(picture)


def _line_with(result: OcrResult, *needles: str) -> OcrLine | None:
    return next((line for line in result.lines if all(n in line.text for n in needles)), None)


@pytest.mark.slow
def test_ppocr_reads_the_contoso_cafe_photo(ppocr: PaddleOcrEngine, cafe: np.ndarray) -> None:
    result = ppocr.read(cafe)
    assert (result.engine, result.model_version) == ("ppocr", "ppocrv5@0.0.22")
    assert result.lines[0].text == "Contoso"
    assert _line_with(result, "Total", "$14.50") is not None  # the handwritten total, on its label's line
    assert _line_with(result, "Sub-Total", "$11.70") is not None
    assert _line_with(result, "Cappuccino", "$2.20") is not None
    assert _line_with(result, "6/10/2019 13:59") is not None
    assert result.confidence > 0.9
    height, width = cafe.shape[:2]
    assert all(
        0 <= ln.box[0] < ln.box[2] <= width and 0 <= ln.box[1] < ln.box[3] <= height for ln in result.lines
    )


@pytest.mark.slow
def test_ppocr_reads_the_mega_market_total(ppocr: PaddleOcrEngine, mega: np.ndarray) -> None:
    result = ppocr.read(mega)
    total = _line_with(result, "TOTAL", "1810.46")
    assert total is not None
    assert "SUBTOTAL" not in total.text
    assert re.fullmatch(r"TOTAL {2,8}\$1810\.46", total.text)  # the column gap stays visible
    assert _line_with(result, "MEGA MARKET PLUS") is not None
    assert _line_with(result, "SUBTOTAL", "$1699.96") is not None
    assert _line_with(result, "12/07/2019", "12:22 PM") is not None


@pytest.mark.slow
def test_deskew_and_line_rebuild_put_safeway_prices_on_their_items(ppocr: PaddleOcrEngine) -> None:
    # The photo is taken at ~4.5 degrees; WildReceipt's annotation pairs these items and prices.
    photo = load_image((RECEIPTS / "mmocr_wildreceipt_safeway_photo.jpg").read_bytes()).pixels
    result = ppocr.read(prepare_for_ocr(photo))
    assert result.lines[0].text.startswith("SAFEWAY")
    for item, price in [
        ("BC CHOC CUPCAKES", "3.99"),
        ("DULCE DE LECHE", "1.99"),
        ("MULTIGRAIN CHEERIO", "1.50"),
        ("PROGRESSO", "2.00"),
        ("BSCT SANDW", "3.50"),
    ]:
        assert _line_with(result, item, price) is not None, (item, price, result.text)


@pytest.mark.slow
def test_tesseract_reads_the_mega_market_total(tesseract: TesseractEngine, mega: np.ndarray) -> None:
    result = tesseract.read(mega)
    assert result.engine == "tesseract"
    assert result.model_version.startswith("tesseract 5.")
    assert result.model_version.endswith("tesseract-por@4.1.0+tesseract-eng@4.1.0")
    total = _line_with(result, "TOTAL", "1810.46")
    assert total is not None
    assert "SUBTOTAL" not in total.text
    assert _line_with(result, "MEGA MARKET PLUS") is not None
    assert _line_with(result, "LG FLATSCREEN 65", "$899.99") is not None
    assert result.confidence > 0.85


@pytest.mark.slow
def test_tesseract_reads_the_printed_part_of_the_cafe_photo(
    tesseract: TesseractEngine, cafe: np.ndarray
) -> None:
    # Tesseract reads the printed items but not the logo-sized "Contoso" nor the handwritten total
    # (PP-OCR does both; see the test above): what it does read is asserted here.
    result = tesseract.read(cafe)
    assert _line_with(result, "1 Cappuccino", "$2.20") is not None
    assert _line_with(result, "Sub-Total", "$11.70") is not None
    assert _line_with(result, "Sales Associate: Paul") is not None


@pytest.mark.slow
def test_a_picture_without_text_gives_almost_no_lines(
    ppocr: PaddleOcrEngine, tesseract: TesseractEngine, cat: np.ndarray
) -> None:
    for engine in (ppocr, tesseract):
        result = engine.read(cat)
        assert len(result.lines) <= 3, (engine.name, result.text)
        assert not re.search(r"[A-Za-z0-9]{3}", result.text), (engine.name, result.text)


@pytest.mark.slow
def test_engines_refuse_arrays_that_are_not_rgb(ppocr: PaddleOcrEngine, tesseract: TesseractEngine) -> None:
    for engine in (ppocr, tesseract):
        with pytest.raises(OcrError) as caught:
            engine.read(np.zeros((10, 10), np.uint8))
        assert caught.value.code == "bad_pixels"


@pytest.mark.slow
def test_ppocr_on_a_blank_page_gives_no_lines(ppocr: PaddleOcrEngine) -> None:
    result = ppocr.read(np.full((600, 400, 3), 255, np.uint8))
    assert result.lines == ()
    assert result.text == ""
    assert result.confidence == 0.0


@pytest.mark.slow
def test_engines_share_one_loaded_model(ppocr: PaddleOcrEngine) -> None:
    other = make_engines(["ppocr"])[0]
    assert isinstance(other, PaddleOcrEngine)
    assert other._model is ppocr._model

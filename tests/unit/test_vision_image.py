"""load_image and prepare_for_ocr on real receipt files and on images made here with Pillow/OpenCV."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from financy.inference.vision import ImageError, ImageLimits, load_image, prepare_for_ocr
from financy.inference.vision.image import LONG_SIDE_MAX, LONG_SIDE_MIN, UPSCALE_MAX, _skew_angle

RECEIPTS = Path(__file__).resolve().parents[1] / "fixtures" / "receipts"
CAFE = RECEIPTS / "azure_contoso_cafe_photo.jpg"
MEGA = RECEIPTS / "textractor_megabigbox_rendered.jpg"
GROCERY_PNG = RECEIPTS / "textractor_ph_grocery_photo_no_summary.png"


def _encode(img: Image.Image, fmt: str, **params: object) -> bytes:
    buffer = io.BytesIO()
    img.save(buffer, format=fmt, **params)
    return buffer.getvalue()


def _quadrants() -> Image.Image:
    """60 wide x 40 high: red top-left, green top-right, blue bottom-left, white bottom-right."""
    pixels = np.zeros((40, 60, 3), np.uint8)
    pixels[:20, :30] = (255, 0, 0)
    pixels[:20, 30:] = (0, 255, 0)
    pixels[20:, :30] = (0, 0, 255)
    pixels[20:, 30:] = (255, 255, 255)
    return Image.fromarray(pixels)


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return (
        struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    )


def _png_header_only(width: int, height: int) -> bytes:
    """A 1-bit grey PNG whose IHDR declares width x height, with one tiny IDAT: ~60 bytes."""
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 16)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )


def _jpeg_declaring(width: int, height: int) -> bytes:
    """A real 16x16 JPEG whose SOF0 marker is patched to declare width x height."""
    data = bytearray(_encode(Image.new("RGB", (16, 16), (200, 200, 200)), "JPEG"))
    sof = data.index(b"\xff\xc0")
    struct.pack_into(">HH", data, sof + 5, height, width)
    return bytes(data)


# --- load_image: formats and modes ------------------------------------------------------------------


def test_real_receipt_jpeg_loads_as_rgb() -> None:
    loaded = load_image(MEGA.read_bytes())
    assert (loaded.format, loaded.width, loaded.height, loaded.pages) == ("jpeg", 805, 1917, 1)
    assert loaded.pixels.shape == (1917, 805, 3)
    assert loaded.pixels.dtype == np.uint8


def test_png_named_jpg_is_sniffed_from_bytes(tmp_path: Path) -> None:
    named = tmp_path / "receipt.jpg"
    named.write_bytes(GROCERY_PNG.read_bytes())
    loaded = load_image(named.read_bytes())
    assert loaded.format == "png"
    assert (loaded.width, loaded.height) == (901, 1599)


def test_exif_orientation_6_is_applied() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to display"
    data = _encode(_quadrants(), "JPEG", exif=exif.tobytes(), quality=95)
    loaded = load_image(data)
    assert (loaded.width, loaded.height) == (40, 60)
    # Turning clockwise puts the stored top-left (red) at the top-right and bottom-left (blue) at top-left.
    top_right = loaded.pixels[5, 35]
    top_left = loaded.pixels[5, 5]
    assert top_right[0] > 200
    assert top_right[1] < 60
    assert top_right[2] < 60
    assert top_left[2] > 200
    assert top_left[0] < 60


def test_webp() -> None:
    loaded = load_image(_encode(_quadrants(), "WEBP", lossless=True))
    assert loaded.format == "webp"
    assert loaded.pixels[5, 5].tolist() == [255, 0, 0]
    assert loaded.pixels[35, 55].tolist() == [255, 255, 255]


def test_palette_with_transparency_goes_over_white() -> None:
    img = Image.new("P", (10, 10), 0)
    img.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    img.paste(1, (0, 0, 5, 10))
    data = _encode(img, "PNG", transparency=0)  # index 0 (black) is transparent
    pixels = load_image(data).pixels
    assert pixels[5, 2].tolist() == [255, 0, 0]
    assert pixels[5, 8].tolist() == [255, 255, 255]


def test_grey_alpha_and_rgba_go_over_white() -> None:
    la = Image.new("LA", (8, 8), (0, 0))  # black, fully transparent
    la.paste((0, 255), (0, 0, 4, 8))  # left half black, opaque
    pixels = load_image(_encode(la, "PNG")).pixels
    assert pixels[0, 0].tolist() == [0, 0, 0]
    assert pixels[0, 7].tolist() == [255, 255, 255]
    rgba = Image.new("RGBA", (8, 8), (0, 0, 255, 128))  # half-transparent blue
    half = load_image(_encode(rgba, "PNG")).pixels[0, 0].tolist()
    assert half[2] == 255
    assert 120 <= half[0] <= 135


def test_cmyk_jpeg_becomes_rgb() -> None:
    cmyk = Image.new("CMYK", (16, 16), (0, 255, 255, 0))  # pure red ink
    loaded = load_image(_encode(cmyk, "JPEG", quality=95))
    red, green, blue = loaded.pixels[8, 8].tolist()
    assert red > 230
    assert green < 30
    assert blue < 30


def test_16_bit_grey_is_scaled_not_clipped() -> None:
    grey16 = np.array([[0, 32768, 65535]], dtype=np.uint16)
    data = _encode(Image.fromarray(grey16), "PNG")
    assert Image.open(io.BytesIO(data)).mode.startswith("I")
    pixels = load_image(data).pixels
    assert pixels[0, :, 0].tolist() == [0, 128, 255]
    assert pixels[0, 1].tolist() == [128, 128, 128]


def test_bilevel_tiff() -> None:
    img = Image.new("1", (20, 10), 1)
    img.paste(0, (0, 0, 10, 10))
    loaded = load_image(_encode(img, "TIFF"))
    assert loaded.format == "tiff"
    assert loaded.pixels[5, 2].tolist() == [0, 0, 0]
    assert loaded.pixels[5, 15].tolist() == [255, 255, 255]


def test_pdf_renders_first_page_at_pdf_dpi() -> None:
    first = Image.new("RGB", (200, 100), (255, 0, 0))  # 2 x 1 inch at 100 dpi
    second = Image.new("RGB", (100, 100), (0, 0, 255))
    data = _encode(first, "PDF", resolution=100.0, save_all=True, append_images=[second])
    loaded = load_image(data, limits=ImageLimits(pdf_dpi=150))
    assert (loaded.format, loaded.pages) == ("pdf", 2)
    assert (loaded.width, loaded.height) == (300, 150)
    red, green, blue = loaded.pixels[75, 150].tolist()
    assert red > 240
    assert green < 15
    assert blue < 15


def test_pdf_page_capped_by_max_pixels() -> None:
    page = Image.new("RGB", (1000, 1000), (255, 255, 255))  # 10 x 10 inch at 100 dpi
    loaded = load_image(_encode(page, "PDF", resolution=100.0), limits=ImageLimits(max_pixels=250_000))
    assert loaded.width * loaded.height <= 250_000
    assert loaded.width >= 495


# --- load_image: refusals -------------------------------------------------------------------------


def _code(data: bytes, limits: ImageLimits | None = None) -> str:
    with pytest.raises(ImageError) as caught:
        load_image(data, limits=limits or ImageLimits())
    assert str(caught.value).startswith(caught.value.code)
    return caught.value.code


def test_empty() -> None:
    assert _code(b"") == "empty"


def test_too_large() -> None:
    assert _code(MEGA.read_bytes(), ImageLimits(max_bytes=100_000)) == "too_large"


@pytest.mark.parametrize(
    "bomb", [_png_header_only(20000, 20000), _jpeg_declaring(20000, 20000)], ids=["png", "jpeg"]
)
def test_decompression_bomb_is_refused_from_the_header(bomb: bytes) -> None:
    assert len(bomb) < 1000
    # Refused from the header: the bomb's bytes hold no pixel data to decode at all.
    assert _code(bomb) == "too_many_pixels"


def test_bomb_beyond_pillows_own_limit_is_too_many_pixels_too() -> None:
    # Pillow raises DecompressionBombError itself above 2 x its MAX_IMAGE_PIXELS (~179 MP).
    huge = _png_header_only(60000, 60000)
    assert _code(huge, ImageLimits(max_pixels=10**10)) == "too_many_pixels"
    assert Image.MAX_IMAGE_PIXELS == 89_478_485  # left as Pillow ships it


def test_random_bytes_are_not_an_image() -> None:
    noise = np.random.default_rng(1).integers(0, 256, 4096, dtype=np.uint8).tobytes()
    assert _code(noise) == "not_an_image"


def test_postscript_is_not_opened() -> None:
    assert _code(b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n") == "not_an_image"


def test_truncated_jpeg_is_corrupt_not_decoded_partially() -> None:
    data = CAFE.read_bytes()
    assert _code(data[: len(data) // 2]) == "corrupt_image"


def test_broken_pdf_is_unreadable() -> None:
    assert _code(b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer garbage") == "unreadable_pdf"


# --- prepare_for_ocr --------------------------------------------------------------------------------


def test_large_photo_is_shrunk_to_the_long_side_cap() -> None:
    pixels = load_image(CAFE.read_bytes()).pixels  # 1688 x 3000
    prepared = prepare_for_ocr(pixels)
    assert prepared.shape == (LONG_SIDE_MAX, 1152, 3)
    assert prepared.dtype == np.uint8
    assert prepared.flags["C_CONTIGUOUS"]


def test_mid_sized_clean_receipt_is_left_as_it_is() -> None:
    pixels = load_image(MEGA.read_bytes()).pixels  # 805 x 1917, level, full contrast
    assert np.array_equal(prepare_for_ocr(pixels), pixels)


def test_thumbnail_is_enlarged_at_most_3x() -> None:
    tiny = np.full((100, 60, 3), 255, np.uint8)
    assert prepare_for_ocr(tiny).shape == (int(100 * UPSCALE_MAX), int(60 * UPSCALE_MAX), 3)
    small = np.full((600, 400, 3), 255, np.uint8)
    assert prepare_for_ocr(small).shape[0] == LONG_SIDE_MIN


def _text_page(angle: float, ink: int = 0, paper: int = 255) -> np.ndarray:
    page = np.full((1400, 1000, 3), paper, np.uint8)
    for row in range(24):
        cv2.putText(
            page,
            f"ITEM {row:02d} DESCRIPTION   {row * 3}.99",
            (60, 80 + row * 52),
            cv2.FONT_HERSHEY_SIMPLEX,
            1.0,
            (ink, ink, ink),
            2,
        )
    matrix = cv2.getRotationMatrix2D((500, 700), angle, 1.0)
    return np.asarray(cv2.warpAffine(page, matrix, (1000, 1400), borderValue=(paper, paper, paper)))


@pytest.mark.parametrize("angle", [-6.0, 3.0, 9.0])
def test_small_skew_is_corrected(angle: float) -> None:
    skewed = _text_page(angle)
    assert abs(_skew_angle(cv2.cvtColor(skewed, cv2.COLOR_RGB2GRAY)) + angle) < 0.5
    prepared = prepare_for_ocr(skewed)
    assert prepared.shape[0] > 1400  # the canvas grew to keep the corners
    assert abs(_skew_angle(cv2.cvtColor(prepared, cv2.COLOR_RGB2GRAY))) < 0.5


def test_level_text_is_not_rotated() -> None:
    level = _text_page(0.2)
    assert prepare_for_ocr(level).shape == level.shape


def test_faded_paper_gets_contrast() -> None:
    faded = _text_page(0.0, ink=150, paper=205)  # a 55-level spread, like old thermal paper
    prepared = prepare_for_ocr(faded)
    grey_in = cv2.cvtColor(faded, cv2.COLOR_RGB2GRAY)
    grey_out = cv2.cvtColor(prepared, cv2.COLOR_RGB2GRAY)
    spread_in = np.percentile(grey_in, 99.5) - np.percentile(grey_in, 0.5)
    spread_out = np.percentile(grey_out, 99.5) - np.percentile(grey_out, 0.5)
    assert spread_out > spread_in + 30


@pytest.mark.parametrize(
    "pixels",
    [
        np.zeros((10, 10), np.uint8),
        np.zeros((10, 10, 4), np.uint8),
        np.zeros((10, 10, 3), np.float32),
        np.zeros((0, 5, 3), np.uint8),
    ],
    ids=["grey", "rgba", "float", "empty"],
)
def test_prepare_refuses_non_rgb_arrays(pixels: np.ndarray) -> None:
    with pytest.raises(ValueError, match="uint8 RGB"):
        prepare_for_ocr(pixels)


def test_pdf_signature_inside_png_metadata_does_not_make_it_a_pdf() -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "%PDF-1.4 is not a PDF")
    data = _encode(Image.new("RGB", (4, 4), (9, 9, 9)), "PNG", pnginfo=info)
    assert b"%PDF-" in data[:1024]
    assert load_image(data).format == "png"


def test_lab_tiff_is_converted_colorimetrically() -> None:
    lab = Image.new("LAB", (4, 4), (128, 128, 128))  # L = 50%, a = b = 0: a neutral grey
    red, green, blue = load_image(_encode(lab, "TIFF")).pixels[0, 0].tolist()
    assert abs(red - green) <= 2
    assert abs(green - blue) <= 2
    assert 110 <= red <= 130


def test_a_strip_with_a_side_over_the_limit_is_refused() -> None:
    buffer = io.BytesIO()
    Image.new("1", (30_000, 1)).save(buffer, format="PNG")  # 30 000 pixels: under the pixel limit
    assert _code(buffer.getvalue()) == "too_many_pixels"

"""Receipt images in: bytes -> RGB pixels (:func:`load_image`), pixels -> OCR-ready (:func:`prepare_for_ocr`).

``load_image`` trusts nothing about the upload: the format is sniffed from the bytes (a PNG named
``.jpg`` just works), sizes are checked from the header before anything is decoded (a 20000x20000
decompression bomb is refused in microseconds), EXIF orientation is applied, PDFs give their first
page, and every Pillow mode becomes 8-bit RGB. Every refusal is an :class:`ImageError` with a stable
``code``.

``prepare_for_ocr`` is the cheap preprocessing both OCR engines get (resize, deskew, contrast); its
cost is part of the receipt benchmark (``python -m tests.benchmarks.receipts``).
"""

from __future__ import annotations

import io
import math
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Literal

import numpy as np

if TYPE_CHECKING:
    from PIL import Image as PILImage

__all__ = ["ImageError", "ImageErrorCode", "ImageLimits", "LoadedImage", "load_image", "prepare_for_ocr"]

ImageErrorCode = Literal[
    "not_an_image", "too_large", "too_many_pixels", "corrupt_image", "unreadable_pdf", "empty"
]

#: Raster formats we let Pillow open. Anything else (EPS runs Ghostscript, exotic formats widen the
#: attack surface) is "not_an_image". The JPEG opener also returns MPO, what many phones write.
_PIL_FORMATS: Final = ("JPEG", "PNG", "WEBP", "AVIF", "GIF", "BMP", "TIFF")
#: Pillow format name -> our name.
_FORMAT_NAMES: Final = {"MPO": "jpeg"}


class ImageError(ValueError):
    """An upload that cannot be used as a receipt image.

    ``code`` is stable (tests, metrics and user-facing messages key on it):

    - ``empty``: zero bytes;
    - ``too_large``: more than :attr:`ImageLimits.max_bytes` bytes;
    - ``too_many_pixels``: the header declares more than :attr:`ImageLimits.max_pixels` pixels
      (decompression bombs), refused before decoding;
    - ``not_an_image``: not a raster format we read (JPEG, PNG, WebP, AVIF, GIF, BMP, TIFF) nor a PDF;
    - ``corrupt_image``: a known format whose pixels do not decode (truncated or damaged files are
      refused, not decoded partially: half a receipt would give a wrong total);
    - ``unreadable_pdf``: a PDF that pdfium cannot open or render, or that has no pages.
    """

    def __init__(self, code: ImageErrorCode, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code: ImageErrorCode = code
        self.message = message


@dataclass(frozen=True)
class ImageLimits:
    """Limits on one upload.

    ``max_bytes`` (25 MiB: a 12 MP phone JPEG is 2-6 MB, WhatsApp "HD" photos stay well under this);
    ``max_pixels`` (40 MP: above every phone camera in common use (48 MP sensors bin to 12 MP by
    default) and about 120 MB as RGB, so one worker's peak stays bounded); ``pdf_dpi`` (200: receipt
    text of 8 pt is ~22 px high, enough for both engines).
    """

    max_bytes: int = 25 * 1024 * 1024
    max_pixels: int = 40_000_000
    pdf_dpi: int = 200
    #: Longest side (px): a 30 000 000 x 1 strip is no photo, and QR and OCR libraries cap a side at 65 535.
    max_side: int = 20_000


@dataclass(frozen=True)
class LoadedImage:
    """A decoded upload.

    ``pixels``: ``(height, width, 3)`` ``uint8`` RGB, upright (EXIF orientation applied);
    ``format``: the sniffed format in lower case ("jpeg", "png", "webp", "gif", "bmp", "tiff", "pdf");
    ``width``/``height``: of ``pixels``; ``pages``: page count of a PDF (only the first is rendered),
    else 1.
    """

    pixels: np.ndarray
    format: str
    width: int
    height: int
    pages: int = 1


def load_image(data: bytes, *, limits: ImageLimits = ImageLimits()) -> LoadedImage:
    """Decode an uploaded receipt image or PDF into upright 8-bit RGB pixels.

    Order of checks: empty -> byte size -> PDF (by its ``%PDF-`` signature) or raster header ->
    declared pixel count -> decode -> EXIF orientation -> RGB. Pillow's global
    ``MAX_IMAGE_PIXELS`` is left alone; its DecompressionBombError (above twice its own limit) is
    reported as ``too_many_pixels`` too.

    Modes: palette and alpha images are composited over white (paper), CMYK is converted, 16-bit
    and 32-bit grey are scaled to 8 bits (not clipped), bilevel becomes black/white. Multi-frame
    files (GIF, TIFF) give their first frame.

    Raises:
        ImageError: with ``code`` as listed on :class:`ImageError`.
    """
    if not data:
        raise ImageError("empty", "the upload has no bytes")
    if len(data) > limits.max_bytes:
        raise ImageError("too_large", f"{len(data)} bytes is more than the limit of {limits.max_bytes}")
    if _is_pdf(data):
        return _load_pdf(data, limits)
    return _load_raster(data, limits)


#: Leading bytes of the raster formats we open (checked before the PDF signature, which may sit anywhere
#: in the first 1024 bytes and so could also appear inside an image's metadata).
_RASTER_MAGIC: Final = (
    b"\xff\xd8\xff",
    b"\x89PNG\r\n\x1a\n",
    b"GIF87a",
    b"GIF89a",
    b"BM",
    b"II*\x00",
    b"MM\x00*",
)


def _is_pdf(data: bytes) -> bool:
    if data.startswith(_RASTER_MAGIC) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP"):
        return False
    # PDF readers accept the header anywhere in the first 1024 bytes (PDF 32000-1 annex H.3).
    return b"%PDF-" in data[:1024]


def _load_raster(data: bytes, limits: ImageLimits) -> LoadedImage:
    from PIL import Image, ImageOps, UnidentifiedImageError

    Image.init()  # registers every plugin (MPO, WebP, TIFF); idempotent and cheap after the first call
    try:
        with warnings.catch_warnings():
            # Our own pixel limit is checked right below from the header; Pillow's warning adds nothing.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data), formats=_PIL_FORMATS)
    except Image.DecompressionBombError as exc:
        raise ImageError("too_many_pixels", f"the image declares too many pixels ({exc})") from exc
    except UnidentifiedImageError as exc:
        raise ImageError(
            "not_an_image", "the bytes are not a JPEG, PNG, WebP, AVIF, GIF, BMP, TIFF or PDF"
        ) from exc
    except (OSError, SyntaxError, ValueError) as exc:
        # A recognised signature with a broken header.
        raise ImageError("corrupt_image", f"the image header is damaged ({exc})") from exc

    with img:
        width, height = img.size
        fmt = img.format or "unknown"
        if width <= 0 or height <= 0:
            raise ImageError("corrupt_image", f"the image declares a size of {width}x{height}")
        if width > limits.max_side or height > limits.max_side:
            raise ImageError(
                "too_many_pixels", f"{width}x{height} has a side over the limit of {limits.max_side} pixels"
            )
        if width * height > limits.max_pixels:
            raise ImageError(
                "too_many_pixels",
                f"{width}x{height} is {width * height} pixels, more than the limit of {limits.max_pixels}",
            )
        try:
            img.load()
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            raise ImageError("corrupt_image", f"the {fmt} image does not decode ({exc})") from exc
        try:
            upright = ImageOps.exif_transpose(img)
        except (OSError, SyntaxError, ValueError, KeyError, TypeError):
            # Damaged EXIF: the pixels are fine, only the orientation tag is unusable.
            upright = img
        try:
            pixels = _to_rgb(upright)
        except (OSError, ValueError) as exc:  # a mode Pillow cannot convert to RGB (e.g. LAB TIFF)
            raise ImageError(
                "corrupt_image", f"the {fmt} image's {upright.mode} pixels have no RGB form ({exc})"
            ) from exc
    return LoadedImage(
        pixels=pixels,
        format=_FORMAT_NAMES.get(fmt, fmt.lower()),
        width=int(pixels.shape[1]),
        height=int(pixels.shape[0]),
        pages=1,
    )


def _to_rgb(img: PILImage.Image) -> np.ndarray:
    """Any Pillow mode -> ``(H, W, 3)`` uint8 RGB (alpha over white, wide greys scaled)."""
    from PIL import Image

    mode = img.mode
    if mode == "RGB":
        return np.array(img, dtype=np.uint8)
    if mode in ("I", "F") or mode.startswith("I;16"):
        grey = np.asarray(img).astype(np.float64)
        top = 65535.0 if mode != "F" else max(float(grey.max(initial=0.0)), 1.0)
        if mode == "I" and float(grey.max(initial=0.0)) <= 255.0:
            top = 255.0  # an "I" image holding 8-bit values (e.g. converted from "L")
        grey8 = np.clip(np.rint(grey * (255.0 / top)), 0, 255).astype(np.uint8)
        return np.repeat(grey8[:, :, None], 3, axis=2)
    if mode == "LAB":
        # Pillow's LAB -> RGB is not colorimetric. Its a/b bytes are signed (0 = neutral); OpenCV's 8-bit
        # LAB has them offset by 128.
        import cv2

        lab = np.array(img, dtype=np.uint8)
        lab[:, :, 1:] = (lab[:, :, 1:].view(np.int8).astype(np.int16) + 128).astype(np.uint8)
        return np.asarray(cv2.cvtColor(lab, cv2.COLOR_LAB2RGB), dtype=np.uint8)
    if mode == "P" and "transparency" in img.info:
        img = img.convert("RGBA")
        mode = "RGBA"
    if mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = img.convert("RGBA")
        paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        paper.alpha_composite(rgba)
        return np.array(paper.convert("RGB"), dtype=np.uint8)
    return np.array(img.convert("RGB"), dtype=np.uint8)


def _load_pdf(data: bytes, limits: ImageLimits) -> LoadedImage:
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise ImageError("unreadable_pdf", f"the PDF does not open ({exc})") from exc
    try:
        pages = len(pdf)
        if pages < 1:
            raise ImageError("unreadable_pdf", "the PDF has no pages")
        try:
            page = pdf[0]
            width_pt, height_pt = page.get_size()
            if not (width_pt > 0 and height_pt > 0):
                raise ImageError("unreadable_pdf", f"the first page has a size of {width_pt}x{height_pt} pt")
            scale = limits.pdf_dpi / 72.0
            declared = width_pt * height_pt * scale * scale
            if declared > limits.max_pixels:
                # A poster-sized page: render at the resolution the pixel limit allows instead.
                scale *= math.sqrt(limits.max_pixels / declared) * 0.999
            bitmap = page.render(scale=scale, fill_color=(255, 255, 255, 255), rev_byteorder=True)
            try:
                pil = bitmap.to_pil()
                pixels = _to_rgb(pil)
            finally:
                bitmap.close()
                page.close()
        except pdfium.PdfiumError as exc:
            raise ImageError("unreadable_pdf", f"the first page does not render ({exc})") from exc
    finally:
        pdf.close()
    if pixels.shape[0] < 1 or pixels.shape[1] < 1:
        raise ImageError("unreadable_pdf", "the first page rendered to no pixels")
    return LoadedImage(
        pixels=pixels, format="pdf", width=int(pixels.shape[1]), height=int(pixels.shape[0]), pages=pages
    )


# --- preprocessing ---------------------------------------------------------------------------------

#: Long side of the prepared image, in pixels. Above it we shrink (INTER_AREA): PP-OCR's detector
#: works at <= 960 px anyway and its recogniser at 48 px line height, and Tesseract is happiest with
#: text 20-40 px high, which a receipt photographed whole has at ~2000 px. Shrinking a 12 MP photo
#: also makes every later step cheaper.
LONG_SIDE_MAX: Final = 2048
#: Below this long side we enlarge (INTER_CUBIC), at most by :data:`UPSCALE_MAX`: thumbnails and
#: messenger previews have text too small for both engines.
LONG_SIDE_MIN: Final = 1024
UPSCALE_MAX: Final = 3.0
#: Deskew: the angle is estimated on a copy whose long side is this many pixels (cheap), ...
_SKEW_WORK_SIDE: Final = 800
#: ... and corrected only between these magnitudes, in degrees. Under 0.5 deg the rotation costs
#: more than it helps; above 15 deg the estimate from text blobs is not trustworthy (and bigger
#: turns are the photographer's, fixed by EXIF or the engines' own angle handling).
SKEW_MIN_DEG: Final = 0.5
SKEW_MAX_DEG: Final = 15.0
#: Contrast, only when the page is faded, i.e. the spread between the 2nd and 98th percentile of grey
#: is under this many levels (thermal paper fades to ~60-100 levels; a fresh print has ~200): the L
#: channel of CIELAB is stretched linearly (1st-99th percentile -> 0-255), then CLAHE evens out
#: shading (clip limit 2.0, 8x8 tiles: OpenCV's documented defaults).
FADED_SPREAD: Final = 110
CLAHE_CLIP: Final = 2.0
CLAHE_TILES: Final = (8, 8)


def prepare_for_ocr(pixels: np.ndarray) -> np.ndarray:
    """Return the image both OCR engines read: resized, deskewed, faded paper contrast-stretched.

    Steps, in order (each documented on its module constant):

    1. resize so the long side is at most :data:`LONG_SIDE_MAX` (2048 px, INTER_AREA) or at least
       :data:`LONG_SIDE_MIN` (1024 px, INTER_CUBIC, by at most :data:`UPSCALE_MAX` x);
    2. deskew: estimate the text angle from line blobs (Otsu threshold, horizontal closing,
       ``cv2.minAreaRect`` of each long thin blob, length-weighted median) on an 800 px copy, and
       rotate by it when it is between 0.5 and 15 degrees (canvas grows; border replicated);
    3. contrast: when faded (grey 2nd-98th percentile spread < 110 levels), stretch the L channel
       (CIELAB) to the full range and apply CLAHE to it.

    Args:
        pixels: ``(H, W, 3)`` uint8 RGB (as :attr:`LoadedImage.pixels`).

    Returns:
        ``(H', W', 3)`` uint8 RGB, C-contiguous. OCR boxes are in its pixel coordinates.

    Raises:
        ValueError: ``pixels`` is not a non-empty ``(H, W, 3)`` uint8 array.
    """
    import cv2

    if pixels.dtype != np.uint8 or pixels.ndim != 3 or pixels.shape[2] != 3 or min(pixels.shape[:2]) < 1:
        raise ValueError(f"expected (H, W, 3) uint8 RGB pixels, got {pixels.shape} {pixels.dtype}")
    out = _resize(pixels)
    grey = cv2.cvtColor(out, cv2.COLOR_RGB2GRAY)
    angle = _skew_angle(grey)
    if SKEW_MIN_DEG <= abs(angle) <= SKEW_MAX_DEG:
        out = _rotate(out, angle)
        grey = cv2.cvtColor(out, cv2.COLOR_RGB2GRAY)
    if _is_faded(grey):
        out = _restore_contrast(out)
    return np.ascontiguousarray(out)


def _resize(pixels: np.ndarray) -> np.ndarray:
    import cv2

    height, width = pixels.shape[:2]
    long_side = max(height, width)
    if long_side > LONG_SIDE_MAX:
        scale = LONG_SIDE_MAX / long_side
        interpolation = cv2.INTER_AREA
    elif long_side < LONG_SIDE_MIN:
        scale = min(LONG_SIDE_MIN / long_side, UPSCALE_MAX)
        interpolation = cv2.INTER_CUBIC
    else:
        return pixels
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return np.asarray(cv2.resize(pixels, size, interpolation=interpolation), dtype=np.uint8)


def _skew_angle(grey: np.ndarray) -> float:
    """Text angle in degrees (positive: lines descend to the right, in image coordinates); 0.0 if unsure."""
    import cv2

    height, width = grey.shape
    scale = min(1.0, _SKEW_WORK_SIDE / max(height, width))
    small = grey
    if scale < 1.0:
        small = cv2.resize(
            grey, (max(1, round(width * scale)), max(1, round(height * scale))), interpolation=cv2.INTER_AREA
        )
    _, ink = cv2.threshold(small, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    # Merge the letters of a line into one blob: a kernel ~2 letters wide, 1 px high.
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (max(3, small.shape[1] // 60), 1))
    blobs = cv2.morphologyEx(ink, cv2.MORPH_CLOSE, kernel)
    contours, _ = cv2.findContours(blobs, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    angles: list[float] = []
    weights: list[float] = []
    min_length = small.shape[1] * 0.08
    for contour in contours:
        rect = cv2.minAreaRect(contour)
        rect_w, rect_h = max(rect[1]), min(rect[1])
        # The long edge's direction, from the corner points (OpenCV's own angle convention changed in 4.5).
        corners = cv2.boxPoints(rect)
        edges = [corners[(i + 1) % 4] - corners[i] for i in range(2)]
        dx, dy = max(edges, key=lambda edge: float(np.hypot(edge[0], edge[1])))
        rect_angle = math.degrees(math.atan2(float(dy), float(dx)))
        if rect_angle > 90.0:
            rect_angle -= 180.0
        elif rect_angle <= -90.0:
            rect_angle += 180.0
        if abs(rect_angle) > 45.0:
            continue  # a vertical blob (a rule or a column edge), not a text line
        if rect_w < min_length or rect_h < 2 or rect_w < 4 * rect_h or rect_h > small.shape[0] * 0.1:
            continue  # not a text line: too short, too thick, or a speck
        angles.append(rect_angle)
        weights.append(rect_w)
    if len(angles) < 3:
        return 0.0
    return _weighted_median(angles, weights)


def _weighted_median(values: list[float], weights: list[float]) -> float:
    order = np.argsort(values)
    cumulative = np.cumsum(np.asarray(weights)[order])
    index = int(np.searchsorted(cumulative, cumulative[-1] / 2.0))
    return float(np.asarray(values)[order][index])


def _rotate(pixels: np.ndarray, angle: float) -> np.ndarray:
    """Rotate by ``angle`` degrees (as :func:`_skew_angle` reports it) so text lines become level."""
    import cv2

    height, width = pixels.shape[:2]
    centre = (width / 2.0, height / 2.0)
    matrix = cv2.getRotationMatrix2D(centre, angle, 1.0)
    cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
    new_w, new_h = round(height * sin + width * cos), round(height * cos + width * sin)
    matrix[0, 2] += new_w / 2.0 - centre[0]
    matrix[1, 2] += new_h / 2.0 - centre[1]
    rotated = cv2.warpAffine(
        pixels, matrix, (new_w, new_h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    return np.asarray(rotated, dtype=np.uint8)


def _is_faded(grey: np.ndarray) -> bool:
    sample = grey[::4, ::4]
    low, high = np.percentile(sample, (2, 98))
    return bool(high - low < FADED_SPREAD)


def _restore_contrast(pixels: np.ndarray) -> np.ndarray:
    """Stretch L (CIELAB) so its 1st-99th percentiles span 0-255, then CLAHE it; a and b are kept."""
    import cv2

    lab = cv2.cvtColor(pixels, cv2.COLOR_RGB2LAB)
    lightness = np.ascontiguousarray(lab[:, :, 0])
    low, high = np.percentile(lightness[::4, ::4], (1, 99))
    if high - low >= 8:  # a flat page has nothing to stretch
        levels = np.arange(256, dtype=np.float32)
        lut = np.clip((levels - low) * (255.0 / (high - low)), 0, 255).astype(np.uint8)
        lightness = cv2.LUT(lightness, lut)
    clahe = cv2.createCLAHE(clipLimit=CLAHE_CLIP, tileGridSize=CLAHE_TILES)
    lab[:, :, 0] = clahe.apply(lightness)
    return np.asarray(cv2.cvtColor(lab, cv2.COLOR_LAB2RGB), dtype=np.uint8)

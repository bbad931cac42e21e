"""Amounts unusually large for a ledger's own history at a merchant or in a category.

A family that pays 8 to 20 reais at the bakery and then writes "padaria 1200" has most likely
slipped a digit or a separator; the bot asks before recording it. "Usual" is measured with
robust statistics, the median and the median absolute deviation (MAD, ``median(|x - median|)``),
because a ledger's history holds its own outliers (the one birthday cake) that would drag a mean
and a standard deviation along with them: this is Hampel's identifier (F. R. Hampel, "The
influence curve and its role in robust estimation", JASA 69, 1974), as recommended for outlier
detection by C. Leys et al., "Detecting outliers: Do not use standard deviation around the mean,
use absolute deviation around the median" (J. Exp. Soc. Psychol. 49(4), 2013).

The rule, on the amounts of the same kind and currency recorded earlier in the ledger (the
merchant's when it has at least :data:`MIN_HISTORY` of them, else the category's):

    unusual  <=>  amount > max(RATIO x median, median + MADS x MAD)

Leys et al. suggest 2.5 to 3 (scaled) MADs for data that is roughly normal; spending is skewed to
the right and asking too often teaches people to say "sim" without reading, so the bound here is
far wider: :data:`MADS` raw MADs (about 4 standard deviations for normal data, since
sigma ~ 1.4826 MAD) and never under :data:`RATIO` times the median, which also covers a history
of equal amounts (MAD 0). Only the large side is asked about: a small amount is not a slip that
costs anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from statistics import median
from typing import Final

#: Fewer earlier amounts than this say nothing about what is usual: nothing is asked.
MIN_HISTORY: Final = 5
#: An amount is never unusual at or below this many times the median of the history.
RATIO: Final = Decimal(10)
#: Nor at or below the median plus this many median absolute deviations (raw, unscaled MADs).
MADS: Final = Decimal(6)
#: How many of the most recent earlier amounts the history holds (by date, newest first).
HISTORY_LIMIT: Final = 50


@dataclass(frozen=True, slots=True)
class UsualRange:
    """What a history of amounts says is usual.

    ``limit`` is the largest usual amount (see the module's rule); ``low``..``high`` the range of
    the history's amounts at or below it (what the reply shows), ``count`` how many there were,
    ``median`` and ``mad`` the statistics the limit came from. Amounts in the history's currency.
    """

    limit: Decimal
    low: Decimal
    high: Decimal
    count: int
    median: Decimal
    mad: Decimal


def usual_range(history: Sequence[Decimal]) -> UsualRange | None:
    """Return what ``history`` (positive amounts, one currency) says is usual, or ``None`` when it
    holds fewer than :data:`MIN_HISTORY` amounts."""
    if len(history) < MIN_HISTORY:
        return None
    middle = Decimal(median(history))
    mad = Decimal(median([abs(a - middle) for a in history]))
    limit = max(RATIO * middle, middle + MADS * mad)
    usual = [a for a in history if a <= limit]
    return UsualRange(limit, min(usual), max(usual), len(usual), middle, mad)


def is_unusual(amount: Decimal, usual: UsualRange | None) -> bool:
    """Whether ``amount`` is above what ``usual`` allows (never, without a history)."""
    return usual is not None and amount > usual.limit

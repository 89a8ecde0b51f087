"""How precisely a log kept its values, so a comparison's tolerance follows it.

A CSV written with ``%.6g`` (Ultralytics' results.csv) holds 6 significant digits: its values
differ from the plan's by up to 5e-6 relative, which is no bug; a float32 log (TensorBoard) by
6e-8. ``relative_precision`` reads the digits the values were written with (the shortest repr of
a parsed value has no more digits than the text had), sampled over the series, and returns the
relative tolerance they allow (``10 ** (1 - digits)``), or None when the values are full doubles
or float32 and lrviz's default tolerance already covers them, or when no value has more than
``SHORT`` digits (0.1, 0.05, 0.025: exact decimals that say nothing about the writer's precision,
and a constant 0.1 must not widen the tolerance to 100%).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from lrviz.logs.runlog import RunLog

#: Values sampled per series (evenly spaced): enough to see the digits, cheap on a million points.
SAMPLE = 4096
#: Digits at or above which a log counts as full precision (float32 values print with ~9).
FULL = 9
#: At most this many digits everywhere: short exact decimals, not a rounded log.
SHORT = 3


def significant_digits(value: float) -> int:
    """Significant digits of the shortest repr of ``value`` (0 for zero and non-finite values)."""
    if value == 0 or not math.isfinite(value):
        return 0
    mantissa = repr(abs(value)).lower().split("e")[0].replace(".", "").lstrip("0")
    return len(mantissa.rstrip("0")) or 1


def digits_of(values: Iterable[float]) -> int:
    return max((significant_digits(v) for v in values), default=0)


def relative_precision(log: RunLog) -> float | None:
    """The relative tolerance the log's written precision needs, or None for a full-precision log."""
    digits = 0
    for series in log.series:
        values = series.values
        step = max(1, len(values) // SAMPLE)
        digits = max(digits, digits_of(values[::step]))
        if digits >= FULL:
            return None
    if digits <= SHORT:
        return None
    return float(10 ** (1 - digits))

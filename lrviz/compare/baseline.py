"""A curve against a baseline lrviz wrote earlier: a schedule regression check.

``read_baseline`` reads the ``lr`` (or ``lr_0``) column of a CSV that lrviz wrote;
``against_baseline`` compares the first param group's LRs with it and returns the first
``Difference`` (``describe`` words it in one line), or None when they agree within the
tolerance (``CURVES`` by default).
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

from lrviz.compare.difference import Difference
from lrviz.compare.tolerance import CURVES, Tolerance
from lrviz.errors import ConfigError, option
from lrviz.inputs import read_limited
from lrviz.model import Curve

MAX_BASELINE_BYTES = 512 * 1024 * 1024
__all__ = ["against_baseline", "describe", "read_baseline"]


def describe(difference: Difference) -> str:
    """Where a curve first leaves its baseline, in one line."""
    if difference.expected is None:
        return f"the run is longer than the baseline: extra point at epoch {difference.at} (LR {difference.actual!r})"
    if difference.actual is None:
        return f"the run is shorter than the baseline: it ends before epoch {difference.at}"
    return f"first differs at epoch {difference.at}: baseline {difference.expected!r}, now {difference.actual!r}"


def read_baseline(path: Path) -> tuple[list[str], list[float]]:
    """The epoch labels and LR values of a CSV written by lrviz (``lr`` or ``lr_0`` column)."""
    hint = f" (write one with `lrviz render CONFIG -o {path}`)"
    raw = read_limited(path, MAX_BASELINE_BYTES, f"{option('baseline')} {path}", hint)
    try:
        reader = csv.reader(io.StringIO(raw.decode("utf-8")))
        header = next(reader, None)
    except (UnicodeDecodeError, csv.Error) as exc:
        raise ConfigError(f"{option('baseline')} {path}: not a CSV file lrviz wrote ({exc})") from None
    x_name = "epoch" if header and "epoch" in header else "step"  # an HF run is counted in optimizer steps
    if not header or x_name not in header or not ({"lr", "lr_0"} & set(header)):
        raise ConfigError(
            f"{option('baseline')} {path}: expected a header with `epoch` and `lr` (a CSV written by lrviz)"
        )
    e_col = header.index(x_name)
    lr_col = header.index("lr") if "lr" in header else header.index("lr_0")
    epochs, values = [], []
    line = 1
    try:
        for row in reader:
            line += 1
            epochs.append(row[e_col])
            values.append(float(row[lr_col]))
    except (ValueError, IndexError, csv.Error):
        raise ConfigError(f"{option('baseline')} {path}:{line}: not a number in the lr column") from None
    return epochs, values


def against_baseline(
    curve: Curve, baseline: list[float], epochs: list[str], tolerance: Tolerance = CURVES
) -> Difference | None:
    """The first point where the curve and the baseline disagree beyond the tolerance (x: the epoch label)."""
    series = curve.lrs[0]
    rtol, atol = tolerance.rtol, tolerance.atol
    for k in range(max(len(series), len(baseline))):
        if k >= len(baseline):
            return Difference(_epoch_text(curve, k), None, series[k], 1)
        if k >= len(series):
            return Difference(epochs[k], baseline[k], None, 1)
        if not math.isclose(series[k], baseline[k], rel_tol=rtol, abs_tol=atol):
            return Difference(epochs[k], baseline[k], series[k], 1)
    return None


def _epoch_text(curve: Curve, k: int) -> str:
    return str(curve.epoch_at(k))

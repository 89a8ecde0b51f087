"""Schedule regression checks: a curve against a baseline CSV, and stated expectations.

``against_baseline`` compares the first param group's LRs with the ``lr`` (or
``lr_0``) column of a CSV that lrviz wrote earlier and returns the first
mismatch. ``check_expectations`` tests what a team states about a schedule
(``expect:`` in the YAML or flags): final LR below a value, LR never above a
value, restarts at given epochs. Each failure is one line naming the expectation.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lrviz.comparison import ATOL, RTOL
from lrviz.errors import ConfigError, option
from lrviz.inputs import read_limited
from lrviz.model import Curve

MAX_BASELINE_BYTES = 512 * 1024 * 1024
__all__ = ["ATOL", "RTOL", "against_baseline", "check_expectations", "read_baseline"]


@dataclass(frozen=True)
class Mismatch:
    """Where a curve first leaves its baseline."""

    index: int
    epoch: str
    expected: float | None
    actual: float | None

    def describe(self) -> str:
        if self.expected is None:
            return f"the run is longer than the baseline: extra point at epoch {self.epoch} (LR {self.actual!r})"
        if self.actual is None:
            return f"the run is shorter than the baseline: it ends before epoch {self.epoch}"
        return f"first differs at epoch {self.epoch}: baseline {self.expected!r}, now {self.actual!r}"


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
    curve: Curve, baseline: list[float], epochs: list[str], rtol: float = RTOL, atol: float = ATOL
) -> Mismatch | None:
    """The first point where the curve and the baseline disagree beyond the tolerances."""
    series = curve.lrs[0]
    for k in range(max(len(series), len(baseline))):
        if k >= len(baseline):
            return Mismatch(k, _epoch_text(curve, k), None, series[k])
        if k >= len(series):
            return Mismatch(k, epochs[k], baseline[k], None)
        if not math.isclose(series[k], baseline[k], rel_tol=rtol, abs_tol=atol):
            return Mismatch(k, epochs[k], baseline[k], series[k])
    return None


def _epoch_text(curve: Curve, k: int) -> str:
    return str(curve.epoch_at(k))


def check_expectations(curve: Curve, expect: Mapping[str, Any]) -> list[str]:
    """One line per failed expectation (empty when all hold)."""
    failures = []
    stats = curve.summary()
    if "final_lr_below" in expect and not stats["final"] < expect["final_lr_below"]:
        failures.append(f"final_lr_below: the final LR {stats['final']!r} is not below {expect['final_lr_below']!r}")
    if "lr_never_above" in expect and stats["max"] > expect["lr_never_above"]:
        k = max(range(curve.points), key=lambda i: max(s[i] for s in curve.lrs))
        failures.append(
            f"lr_never_above: the LR reaches {stats['max']!r} at epoch {curve.epoch_at(k)}, above {expect['lr_never_above']!r}"
        )
    if "restarts" in expect:
        actual = curve.restart_epochs
        wanted = list(expect["restarts"])
        if actual != wanted:
            failures.append(f"restarts: expected restarts at {wanted}, the schedule restarts at {actual}")
    return failures

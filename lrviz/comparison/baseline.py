"""A curve against a baseline lrviz wrote earlier: a schedule regression check.

``read_baseline`` reads the ``lr`` (or ``lr_0``) column of a CSV that lrviz wrote, or the first
param group of a curve JSON it wrote (``schema: lrviz.curve/1``, docs/curve-json.md);
``against_baseline`` compares the first param group's LRs with it and returns the first
``Difference`` (``describe`` words it in one line), or None when they agree within the
tolerance (``CURVES`` by default).
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass
from pathlib import Path

from lrviz.comparison.difference import Difference
from lrviz.comparison.tolerance import CURVES, Tolerance
from lrviz.errors import ConfigError, option
from lrviz.inputs import read_limited
from lrviz.model import CURVE_SCHEMA, Curve

MAX_BASELINE_BYTES = 512 * 1024 * 1024
__all__ = ["Baseline", "against_baseline", "describe", "load_baseline", "read_baseline"]


@dataclass(frozen=True)
class Baseline:
    """A baseline read from ``source``: its epoch labels and the first param group's LRs."""

    source: Path
    epochs: list[str]
    values: list[float]


def load_baseline(path: Path) -> Baseline:
    """A baseline CSV or curve JSON lrviz wrote (``read_baseline``), with its path."""
    epochs, values = read_baseline(path)
    return Baseline(Path(path), epochs, values)


def describe(difference: Difference) -> str:
    """Where a curve first leaves its baseline, in one line."""
    if difference.expected is None:
        return f"the run is longer than the baseline: extra point at epoch {difference.at} (LR {difference.actual!r})"
    if difference.actual is None:
        return f"the run is shorter than the baseline: it ends before epoch {difference.at}"
    return f"first differs at epoch {difference.at}: baseline {difference.expected!r}, now {difference.actual!r}"


def read_baseline(path: Path) -> tuple[list[str], list[float]]:
    """The epoch labels and LR values (first param group) of a CSV (``lr`` or ``lr_0`` column) or a curve
    JSON (``schema: lrviz.curve/1``) written by lrviz."""
    hint = f" (write one with `lrviz render CONFIG -o {path}`)"
    raw = read_limited(path, MAX_BASELINE_BYTES, f"{option('baseline')} {path}", hint)
    if path.suffix.lower() == ".json":
        return _read_json(path, raw)
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


def _read_json(path: Path, raw: bytes) -> tuple[list[str], list[float]]:
    """A curve in lrviz's JSON layout (``Curve.to_dict``): its ``epoch`` labels and first group's ``lr``."""
    where = f"{option('baseline')} {path}"
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ConfigError(f"{where}: not a JSON file lrviz wrote ({type(exc).__name__})") from None
    schema = data.get("schema") if isinstance(data, dict) else None
    if schema != CURVE_SCHEMA:
        got = "no schema field" if schema is None else f"schema {str(schema)[:40]!r}"
        raise ConfigError(
            f"{where}: expected a curve lrviz wrote (schema {CURVE_SCHEMA!r}), found {got}; "
            f"write one with `lrviz render CONFIG -o {path}`"
        )
    epochs, groups = data.get("epoch"), data.get("groups")
    lrs = groups[0].get("lr") if isinstance(groups, list) and groups and isinstance(groups[0], dict) else None
    if not isinstance(epochs, list) or not isinstance(lrs, list) or len(epochs) != len(lrs):
        raise ConfigError(f"{where}: expected `epoch` and `groups[0].lr` lists of one length")
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in lrs):
        raise ConfigError(f"{where}: groups[0].lr: not a list of numbers")
    return [str(e) for e in epochs], [float(v) for v in lrs]

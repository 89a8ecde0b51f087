"""Ultralytics ``results.csv``: one row per epoch, ``epoch`` (1-based) and ``lr/pg0``, ``lr/pg1``, ...

``BaseTrainer`` reads ``self.lr`` from the optimizer's param groups at the end of each epoch, before
``scheduler.step()``, and writes the row with ``epoch + 1`` and ``%.6g`` (ultralytics/engine/trainer.py
``save_metrics``): logged epoch e holds the LR epoch e-1 (0-based) ended with, on a plan of one point
per epoch. Six significant digits: the comparison's tolerance follows (``lrviz.logs.precision``).
"""

from __future__ import annotations

import csv
import io
from array import array
from pathlib import Path

from lrviz.errors import ConfigError
from lrviz.inputs import read_limited
from lrviz.logs._common import convention, from_series, pick_series
from lrviz.logs.runlog import MAX_LOG_BYTES, RunLog, _int_step, _names

ULTRALYTICS = convention(
    "ultralytics",
    1,
    "Ultralytics writes row 'epoch' (1-based) at the end of that epoch with the LR its last optimizer step used "
    "(ultralytics/engine/trainer.py, save_metrics)",
)


def read(path: Path, *, x: str | None = None, y: str | None = None, run: str | None = None) -> RunLog:
    if path.is_dir():
        path = path / "results.csv"
    text = read_limited(path, MAX_LOG_BYTES, str(path)).decode("utf-8", "replace")
    rows = list(csv.reader(io.StringIO(text)))
    if len(rows) < 2:
        raise ConfigError(f"{path}: empty results.csv (a header and no rows); was the run training yet?")
    header = [h.strip() for h in rows[0]]
    lr_names = [h for h in header if h.startswith("lr/pg")]
    names = pick_series(path, header, y) if y is not None or not lr_names else lr_names
    step_name = x or "epoch"
    if step_name not in header:
        raise ConfigError(f"{path}: no column {step_name!r} for the step (x); the columns are {_names(header)}")
    s = header.index(step_name)
    columns = {}
    for name in names:
        c = header.index(name)
        steps: array[int] = array("q")
        values: array[float] = array("d")
        for line_no, row in enumerate(rows[1:], start=2):
            if len(row) <= max(s, c) or not row[c].strip():
                continue
            try:
                steps.append(_int_step(row[s].strip()))
                values.append(float(row[c]))
            except ValueError:
                raise ConfigError(f"{path}:{line_no}: not a number in {name}: {row[c][:40]!r}") from None
        columns[name] = (steps, values)
    return from_series(path, "ultralytics", columns, ULTRALYTICS if x is None else None)

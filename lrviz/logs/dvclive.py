"""dvclive: ``dvclive/plots/metrics/<name>.tsv``, one file per metric (``train/lr`` is ``train/lr.tsv``).

Each TSV has the columns ``timestamp``, ``step`` and the metric's last name part
(dvclive/plots/metric.py), values written as Python writes a float. A run directory (``dvclive/``
or the folder holding it) is read whole: the metrics are the TSV paths without ``.tsv``.
"""

from __future__ import annotations

import csv
from array import array
from pathlib import Path

from lrviz.errors import ConfigError
from lrviz.inputs import read_limited
from lrviz.logs._common import from_series, pick_series
from lrviz.logs.runlog import MAX_LOG_BYTES, RunLog, _int_step


def _metrics_dir(path: Path) -> Path:
    for candidate in (path / "plots" / "metrics", path / "dvclive" / "plots" / "metrics"):
        if candidate.is_dir():
            return candidate
    raise ConfigError(f"{path}: not a dvclive folder (no plots/metrics)")


def read(path: Path, *, x: str | None = None, y: str | None = None, run: str | None = None) -> RunLog:
    if path.is_file():
        files = {path.stem: path}
    else:
        base = _metrics_dir(path)
        files = {str(p.relative_to(base).with_suffix("")): p for p in sorted(base.rglob("*.tsv"))}
    names = pick_series(path, list(files), y)
    columns = {}
    for name in names:
        file = files[name]
        text = read_limited(file, MAX_LOG_BYTES, str(file)).decode("utf-8", "replace")
        reader = csv.reader(text.splitlines(), delimiter="\t")
        header = next(reader, [])
        step_col = header.index(x or "step") if (x or "step") in header else -1
        if step_col < 0 or len(header) < 2:
            raise ConfigError(f"{file}: not a dvclive metric file (columns {header}); name the step with --x")
        value_col = len(header) - 1
        steps: array[int] = array("q")
        values: array[float] = array("d")
        for line_no, row in enumerate(reader, start=2):
            if len(row) <= value_col:
                continue  # a line still being written
            try:
                steps.append(_int_step(row[step_col]))
                values.append(float(row[value_col]))
            except ValueError:
                raise ConfigError(f"{file}:{line_no}: not a number: {row[value_col][:40]!r}") from None
        columns[name] = (steps, values)
    return from_series(path, "dvclive", columns)

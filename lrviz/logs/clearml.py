"""ClearML offline sessions, read without a server: ``~/.clearml/cache/offline/<task id>.zip``
(or the session folder before it is zipped).

``metrics.jsonl`` holds one JSON list of events a line; a scalar is an event of type
``training_stats_scalar`` with ``metric`` (the title), ``variant`` (the series), ``iter`` and
``value`` (clearml/backend_interface/metrics: ``Logger.report_scalar``); ``task.json`` names the
task. A series is called ``title/series`` (``train/learning_rate`` from transformers' ClearMLCallback),
or ``title`` when both are the same.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

from lrviz.errors import ConfigError
from lrviz.logs._common import from_series, pick_series
from lrviz.logs.runlog import MAX_LOG_BYTES, RunLog


def _members(path: Path) -> dict[str, bytes]:
    if path.is_dir():
        return {p.name: p.read_bytes() for p in path.iterdir() if p.name in ("metrics.jsonl", "task.json")}
    try:
        with zipfile.ZipFile(path) as archive:
            out = {}
            for info in archive.infolist():
                name = info.filename.rsplit("/", 1)[-1]
                if name in ("metrics.jsonl", "task.json"):
                    if info.file_size > MAX_LOG_BYTES:
                        raise ConfigError(f"{path}: {name} is too large for a log")
                    out[name] = archive.read(info)
            return out
    except (OSError, zipfile.BadZipFile) as exc:
        raise ConfigError(f"{path}: not a ClearML offline session zip ({exc})") from None


def read(path: Path, *, x: str | None = None, y: str | None = None, run: str | None = None) -> RunLog:
    members = _members(path)
    if "metrics.jsonl" not in members:
        raise ConfigError(f"{path}: no metrics.jsonl in this ClearML session; did the task report scalars?")
    series: dict[str, dict[int, float]] = {}
    for line_no, line in enumerate(members["metrics.jsonl"].decode("utf-8", "replace").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            events: Any = json.loads(line)
        except ValueError:
            raise ConfigError(f"{path}: metrics.jsonl:{line_no}: not valid JSON") from None
        for event in events if isinstance(events, list) else [events]:
            if not isinstance(event, dict) or event.get("type") != "training_stats_scalar":
                continue
            metric, variant = str(event.get("metric", "")), str(event.get("variant", ""))
            name = metric if variant in ("", metric) else f"{metric}/{variant}"
            step, value = event.get(x or "iter"), event.get("value")
            if isinstance(step, int) and isinstance(value, int | float):
                series.setdefault(name, {})[step] = float(value)
    names = pick_series(path, list(series), y, "series")
    columns = {n: (sorted(series[n]), [series[n][k] for k in sorted(series[n])]) for n in names}
    return from_series(path, "clearml", columns)

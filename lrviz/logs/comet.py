"""Comet offline experiments, read without a server: ``<offline_directory>/<experiment key>.zip``.

``messages.json`` holds one message a line; a metric is ``{"type": "metric_msg", "payload":
{"metric": {"metricName", "metricValue", "step", "epoch"}}}`` (comet_ml/offline.py), the
experiment's name a ``log_other`` message with key ``Name``. ``--x epoch`` numbers by epoch instead.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

from lrviz.errors import ConfigError
from lrviz.logs._common import from_series, pick_series
from lrviz.logs.runlog import MAX_LOG_BYTES, RunLog


def read(path: Path, *, x: str | None = None, y: str | None = None, run: str | None = None) -> RunLog:
    if x not in (None, "step", "epoch"):
        raise ConfigError(f"{path}: a Comet metric has a step and an epoch; --x takes 'step' or 'epoch'")
    try:
        with zipfile.ZipFile(path) as archive:
            info = next((i for i in archive.infolist() if i.filename.endswith("messages.json")), None)
            if info is None:
                raise ConfigError(f"{path}: no messages.json in this Comet offline zip")
            if info.file_size > MAX_LOG_BYTES:
                raise ConfigError(f"{path}: messages.json is too large for a log")
            text = archive.read(info).decode("utf-8", "replace")
    except (OSError, zipfile.BadZipFile) as exc:
        raise ConfigError(f"{path}: not a Comet offline zip ({exc})") from None
    series: dict[str, dict[int, float]] = {}
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            message: Any = json.loads(line)
        except ValueError:
            raise ConfigError(f"{path}: messages.json:{line_no}: not valid JSON") from None
        if not isinstance(message, dict) or message.get("type") != "metric_msg":
            continue
        metric = (message.get("payload") or {}).get("metric") or {}
        name, value, step = metric.get("metricName"), metric.get("metricValue"), metric.get(x or "step")
        if isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                continue
        if isinstance(name, str) and isinstance(step, int) and isinstance(value, int | float):
            series.setdefault(name, {})[step] = float(value)
    names = pick_series(path, list(series), y)
    columns = {n: (sorted(series[n]), [series[n][k] for k in sorted(series[n])]) for n in names}
    return from_series(path, "comet", columns)

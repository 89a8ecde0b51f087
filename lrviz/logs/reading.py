"""Which format a log is in, and reading it: ``read_log(path)`` for a file or a run directory.

``read_log`` reads a Hugging Face ``trainer_state.json`` (``lrviz.logs.trainer_state``), a
Lightning ``CSVLogger`` ``metrics.csv`` or a generic CSV (``csvfile``), JSON Lines (``jsonl``),
TensorBoard event files (``tensorboard``; a directory holding several is one log, merged by step,
later files winning on a step, as a resumed run's would), and every tracker format that
``lrviz.logs.layout.detect`` recognises (MLflow, W&B, trackio, dvclive, ClearML, Comet,
Ultralytics, mmengine: each module imported only when its log is read). The result is a
``RunLog`` on lrviz's step convention (``lrviz.logs.runlog``).
"""

from __future__ import annotations

import importlib
import math
import re
from array import array
from bisect import bisect_left
from dataclasses import replace
from pathlib import Path

from lrviz.errors import ConfigError
from lrviz.logs.csvfile import read_csv
from lrviz.logs.jsonl import read_jsonl
from lrviz.logs.layout import detect, discover
from lrviz.logs.runlog import CONVENTIONS, RunLog, _names, _renumber
from lrviz.logs.samples import on_samples, to_iterations
from lrviz.logs.tensorboard import read_tensorboard
from lrviz.logs.trainer_state import read_trainer_state
from lrviz.logs.window import Window

__all__ = ["read_log"]


def read_log(
    path: Path,
    *,
    x: str | None = None,
    y: str | None = None,
    group: str | None = None,
    convention: str | None = None,
    run: str | None = None,
    window: Window | range | None = None,
    samples_per_step: int | str | None = None,
) -> RunLog:
    """Read the LRs a training run logged, from a file or a run directory.

    ``x``/``y`` name the step and LR columns (or the TensorBoard tag in ``y``) when the
    defaults are not enough; ``group`` keeps one param group's series (a full name or the
    logger's suffix, ``pg2``); ``convention`` overrides the step convention the format implies
    (a key of ``CONVENTIONS``, e.g. ``"transformers<4.51"`` for a log written by an older
    transformers). ``run`` chooses one run of a tracker's store (MLflow, W&B, trackio: a name or
    id). ``window`` (a ``Window`` or a ``range`` of optimizer steps) keeps only the steps a comparison
    looks at (``lrviz.logs.window``: the plan's, ``range(curve.points)``, for ``check``), the others counted as they stream past, so memory follows the points
    compared, not the file. ``samples_per_step``: the run's constant global batch, which puts a series
    logged against the consumed samples (Megatron-LM's ``learning-rate vs samples``, ``lrviz.logs.samples``)
    on iterations, or why the run has none (the refusal says it). Raises ``ConfigError`` with one line
    naming the file and the fix.
    """
    if convention is not None and convention not in CONVENTIONS:
        raise ConfigError(f"convention: unknown step convention {convention!r}; use one of {_names(CONVENTIONS)}")
    path = Path(path)
    if isinstance(window, range):
        window = Window(window.start, window.stop)
    if on_samples(y):  # the window is on iterations: read every point, put them on iterations, then trim
        log = to_iterations(_read(path, x, y, group, None, run, None), samples_per_step)
        if convention is not None and convention != log.convention.name:
            log = _renumber(log, CONVENTIONS[convention])
        return log if window is None else trim(log, window)
    return _read(path, x, y, group, convention, run, window)


def _read(
    path: Path,
    x: str | None,
    y: str | None,
    group: str | None,
    convention: str | None,
    run: str | None,
    window: Window | None,
) -> RunLog:
    kind, target = _detect(path)
    log: RunLog
    if kind in _TRACKERS:
        # a tracker's module (and the package it may need) is imported only when its log is read
        reader = importlib.import_module(f"lrviz.logs.{kind}").read
        streamed = {"window": window} if kind in _WINDOWED else {}
        log = reader(target[0], x=x, y=y, run=run, **streamed)
    elif kind == "tensorboard":
        log = read_tensorboard(path, target, y, window)
    elif kind == "trainer_state":
        log = read_trainer_state(target[0])
    elif kind == "jsonl":
        log = read_jsonl(target[0], x, y, window)
    else:
        log = read_csv(target[0], x, y, window)
    if group is not None:
        log = replace(log, series=(log.group(group),))
    if convention is not None and convention != log.convention.name:
        log = _renumber(log, CONVENTIONS[convention])
    return log if window is None else trim(log, window)


#: The formats ``lrviz.logs.layout.detect`` recognises, each read by its own module.
_TRACKERS = ("mlflow", "wandb", "trackio", "dvclive", "clearml", "comet", "ultralytics", "mmengine", "megatron")
#: The trackers whose reader leaves out the points outside a ``Window`` as it reads (the others' logs are
#: small: read whole, then trimmed).
_WINDOWED = ("mlflow", "wandb")


def _detect(path: Path) -> tuple[str, list[Path]]:
    """The format of ``path`` and the file(s) to read."""
    tracker = detect(path)  # names and layout only
    if tracker is not None:
        return tracker, [path]
    if path.is_dir():
        events = _event_files(path)
        if events:
            return "tensorboard", events
        for name in ("trainer_state.json", "metrics.csv"):
            if (path / name).is_file():
                return _detect(path / name)
        found = sorted(
            {p.parent for p in path.rglob("events.out.tfevents.*") if p.is_file() and p.parent != path}
            | {p for n in ("trainer_state.json", "metrics.csv") for p in path.rglob(n) if p.is_file()}
        )
        if not found:  # a log found by its content (Megatron-LM's stdout in a *.log, *.out, ...)
            found = [p for _, p in discover(path, limit=2) if p != path]  # not this directory again
        if len(found) == 1:
            return _detect(found[0])
        if not found:
            raise ConfigError(
                f"{path}: no training log in this directory; name a trainer_state.json, a metrics.csv, "
                "a TensorBoard event file or directory, a Megatron-LM stdout log, or a CSV/JSONL file"
            )
        rel = [str(p.relative_to(path)) for p in found]
        raise ConfigError(f"{path}: several training logs in this directory; name one of {_names(rel, 8)}")
    name = path.name
    if "tfevents" in name:
        if not path.exists():
            raise ConfigError(f"{path}: no such file")
        return "tensorboard", [path]
    suffix = path.suffix.lower()
    if suffix == ".json":
        return "trainer_state", [path]
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl", [path]
    if suffix in (".csv", ".tsv", ".txt") or not suffix:
        return "csv", [path]
    raise ConfigError(
        f"{path}: unknown log format {suffix!r}; lrviz reads trainer_state.json, metrics.csv, "
        "TensorBoard event files, and CSV or JSONL files"
    )


def _event_files(directory: Path) -> list[Path]:
    """Event files directly in ``directory``, oldest first (the writer puts its start time in the name)."""

    def started(p: Path) -> tuple[float, str]:
        m = re.match(r"events\.out\.tfevents\.(\d+(?:\.\d+)?)", p.name)
        return (float(m.group(1)) if m else math.inf, p.name)

    return sorted((p for p in directory.glob("events.out.tfevents.*") if p.is_file()), key=started)


def trim(log: RunLog, window: Window) -> RunLog:
    """``log`` with only the points inside ``window`` (steps ascending, unique), the rest counted."""
    series = []
    for s in log.series:
        steps = s.steps
        lo, hi = bisect_left(steps, window.start), bisect_left(steps, window.stop)
        if lo == 0 and hi == len(steps):
            series.append(s)
            continue
        firsts = [v for v in (s.first, steps[0] if len(steps) else None) if v is not None]
        lasts = [v for v in (s.last, steps[-1] if len(steps) else None) if v is not None]
        series.append(
            replace(
                s,
                steps=array("q", steps[lo:hi]),
                values=array("d", s.values[lo:hi]),
                before=s.before + lo,
                after=s.after + len(steps) - hi,
                first=min(firsts) if firsts else None,
                last=max(lasts) if lasts else None,
            )
        )
    return replace(log, series=tuple(series))

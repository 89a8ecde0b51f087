"""What a training run logged, read without a server: one module per format, each returning lrviz's ``RunLog``.

``read_log(path)`` (``lrviz.logs.reading``) picks the format; ``lrviz.logs.runlog`` holds the
``RunLog`` type and the step conventions. The framework logs: transformers' ``trainer_state.json``
(``trainer_state``), Lightning's ``metrics.csv`` and generic CSV (``csvfile``), JSON Lines
(``jsonl``), TensorBoard event files (``tensorboard``). The trackers, recognised by ``detect(path)``
wherever a log is (``check --against``, ``compare``, ``watch``, the guard's tests):

* MLflow: ``mlflow.db`` (MLflow 3's SQLite store) and the legacy ``mlruns/`` file store (``mlflow``);
* Weights & Biases: offline run directories and their ``run-*.wandb`` files (``wandb``);
* trackio: a project's SQLite database (``trackio``);
* dvclive: ``dvclive/plots/metrics/**.tsv`` (``dvclive``);
* ClearML and Comet offline zips (``clearml``, ``comet``);
* Ultralytics ``results.csv`` (``ultralytics``), mmengine ``vis_data/scalars.json`` (``mmengine``),
  Megatron-LM's stdout log (``megatron``: its ``iteration N/ M | ... | learning rate: X |`` lines).

``read_log(path, window=range(n))`` holds only the LRs of optimizer steps 0 to n - 1 (a plan's:
``check --against`` reads that way) and counts the rest as they stream past (``lrviz.logs.window``),
so a log far longer than the plan costs time, not memory.

Detection looks at names and layout only (and the first bytes of a file); a format's module,
and any package it needs, is imported only when its log is read. ``discover(directory)``
lists every log under a directory, of these formats and of the framework logs.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lrviz.logs.layout import FORMATS, detect, discover
from lrviz.logs.reading import read_log
from lrviz.logs.runlog import CONVENTIONS, LogSeries, RunLog, StepConvention
from lrviz.logs.window import Window

__all__ = [
    "CONVENTIONS",
    "FORMATS",
    "LogSeries",
    "RunLog",
    "StepConvention",
    "Window",
    "detect",
    "discover",
    "read",
    "read_log",
    "runs",
]


def read(kind: str, path: Path, *, x: str | None = None, y: str | None = None, run: str | None = None) -> Any:
    """Read the log at ``path`` of the tracker format ``kind`` (one of ``FORMATS``), a ``RunLog``."""
    module = importlib.import_module(f"lrviz.logs.{kind}")
    reader: Callable[..., Any] = module.read
    return reader(path, x=x, y=y, run=run)


def runs(kind: str, path: Path) -> list[str]:
    """The runs a tracker's store at ``path`` holds (ids ``read(run=...)`` takes); one unnamed run otherwise."""
    module = importlib.import_module(f"lrviz.logs.{kind}")
    lister: Callable[[Path], list[str]] | None = getattr(module, "runs", None)
    return lister(path) if lister is not None else []

"""A run's logs beside the plan: finding them in a directory, comparing, drawing the overlay, holding steps.

``lrviz.read_log`` reads one log and ``lrviz.check(against=...)`` judges it; these are the pieces a
front end shows on the way (``lrviz check --against DIR`` lists the logs it found, ``lrviz compare
CONFIG LOG`` reports without failing, ``--skipped-steps`` replans steps a GradScaler skipped).
"""

from __future__ import annotations

import dataclasses
from array import array
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from lrviz.model import Curve

if TYPE_CHECKING:
    from lrviz.comparison import LogReport, Tolerance
    from lrviz.logs import RunLog

__all__ = ["compare_with_log", "find_logs", "hold_steps", "is_log", "save_overlay"]

#: Files read as a log rather than a config by their suffix.
LOG_SUFFIXES = (".csv", ".jsonl")


def find_logs(directory: Path, run: str | None = None) -> list[tuple[str, Path, str | None]] | None:
    """The logs under ``directory`` when it holds several, as (format, path, run); None when it is one log
    (``read_log`` reads it, or says why not). A tracker's store of several runs gives one entry a run."""
    from lrviz.logs import detect, discover, runs

    if not directory.is_dir() or detect(directory) is not None:
        return None
    if any(p.name.startswith("events.out.tfevents.") for p in directory.iterdir()):
        return None
    entries: list[tuple[str, Path, str | None]] = []
    for kind, path in discover(directory):
        ids = runs(kind, path) if run is None and kind in ("mlflow", "wandb", "trackio") else []
        if len(ids) > 1:
            entries.extend((kind, path, r) for r in ids)
        else:
            entries.append((kind, path, run))
    return entries if len(entries) > 1 else None


def is_log(path: Path) -> bool:
    """A run's log rather than a config: a run directory, trainer_state.json, an event file, a CSV/JSONL."""
    from lrviz.logs import detect

    name = path.name
    return (
        detect(path) is not None
        or path.is_dir()
        or name == "trainer_state.json"
        or name.startswith("events.out.tfevents")
        or path.suffix.lower() in LOG_SUFFIXES
    )


def compare_with_log(curve: Curve, log: RunLog, *, tolerance: Tolerance | None = None) -> LogReport:
    """The plan against a run's log at the logged optimizer steps, with ``compare_log``'s diagnoses (``check``
    also tries ReduceLROnPlateau per process); ``tolerance`` defaults to ``Tolerance.for_log(log)``. A log that
    counts the iterations its trainer skipped (Megatron-LM's fp16 overflows) is held against the plan held there,
    as ``check`` holds it (the ``skipped`` finding's data has the holds: ``hold_steps`` draws that plan)."""
    from lrviz.comparison import Tolerance, compare_log
    from lrviz.comparison.replan import compare_reported_skips

    tol = tolerance if tolerance is not None else Tolerance.for_log(log)
    held = compare_reported_skips(curve, log, tolerance=tol)
    return held or compare_log(curve, log, steps_per_epoch=curve.steps_per_epoch, tolerance=tol)


def save_overlay(curve: Curve, log: RunLog, report: LogReport, *paths: Path) -> None:
    """Draw the plan and the logged LR on one figure, the mismatch marked, to each path (.png .svg .pdf);
    all appear together or none does."""
    from lrviz.render import write_figure
    from lrviz.render.overlay import build_log_figure

    write_figure(build_log_figure(curve, log, report), list(paths))


def hold_steps(curve: Curve, holds: Sequence[tuple[int, int]]) -> Curve:
    """The plan with its scheduler held for K optimizer steps from STEP, for each (K, STEP) in ``holds``:
    what a run whose GradScaler skipped those steps logs."""
    from lrviz.comparison.replan import held_steps

    return dataclasses.replace(curve, lrs=tuple(array("d", held_steps(g, holds)) for g in curve.lrs))


def with_run_skips(log: RunLog, others: Sequence[RunLog]) -> tuple[RunLog, RunLog | None]:
    """``log`` with the skipped iterations its own run's stdout log among ``others`` counts, and that log
    (Megatron-LM counts them only in stdout: ``lrviz.logs.megatron.shared_skips`` says on what evidence)."""
    from lrviz.logs.megatron import shared_skips

    return shared_skips(log, others)

"""The Python API: load a run, step it, look at it, save it, compare and check it.

Everything the ``lrviz`` command does is one of these calls; the command adds flags,
printing and exit codes. In a notebook::

    import lrviz
    from torch.optim.lr_scheduler import CosineAnnealingWarmRestarts

    curve = lrviz.simulate(lambda opt: CosineAnnealingWarmRestarts(opt, T_0=5, T_mult=2), epochs=35)
    curve                      # shows itself: a small chart and the summary
    curve.restart_epochs       # [5, 15]
    fig = lrviz.plot(curve)    # a matplotlib Figure
    lrviz.save(curve, "lr.png", "lr.csv")
    lrviz.check("train.yaml", against="runs/exp1").ok

``load``, ``simulate``, ``explain`` and ``diagnose`` live in ``lrviz.simulation`` (the guard
builds its plan there too); the run options they take are ``RunOptions``, the one table
(``lrviz.config.layer.RUN_OPTIONS``) as typed keywords.

Nothing here changes the calling process: no forking, no ``os._exit``, no
writes into torch's caches, no replaced warning handler. torch and matplotlib are
imported when a run is stepped or a figure drawn.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lrviz.comparison import (
    CURVES,
    Baseline,
    CheckReport,
    Comparison,
    Tolerance,
    against_baseline,
    check_expectations,
    compare_log,
    describe,
    load_baseline,
)
from lrviz.comparison import compare as align
from lrviz.comparison.replan import with_plateau_diagnosis
from lrviz.config import parse_expectations
from lrviz.errors import ConfigError
from lrviz.guard import WatchResult
from lrviz.guard import watch as follow
from lrviz.logs import RunLog
from lrviz.logs import read_log as read
from lrviz.model import Curve, Finding
from lrviz.plan import Candidate
from lrviz.plan import plan_restarts as plan
from lrviz.render import DEFAULT_DPI, DEFAULT_SIZE, DEFAULT_STYLE, write_comparison, write_outputs
from lrviz.simulation import RunOptions, SchedulerFactory, Source, diagnose, explain, load, run_of, simulate

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from typing_extensions import Unpack

__all__ = [
    "RunOptions",
    "SchedulerFactory",
    "Source",
    "check",
    "code",
    "compare",
    "diagnose",
    "explain",
    "load",
    "plan_restarts",
    "plot",
    "read_log",
    "save",
    "simulate",
    "watch",
]

PathLike = str | os.PathLike[str]


def plot(
    curves: Curve | Comparison | Sequence[Curve],
    *,
    labels: Sequence[str] | None = None,
    log_y: bool = False,
    title: str | None = None,
    momentum: bool = False,
    style: str = DEFAULT_STYLE,
    dpi: int = DEFAULT_DPI,
    size: tuple[float, float] = DEFAULT_SIZE,
) -> Figure:
    """A matplotlib ``Figure`` of one curve, or of several overlaid (a ``Comparison`` or a list).

    ``style`` is ``"light"`` or ``"dark"``; ``dpi`` and ``size`` (inches) as the command's
    ``--dpi``/``--size``. Nothing is shown or saved: Jupyter displays the figure when it is a
    cell's value; ``lrviz.save`` writes files.
    """
    from lrviz.render.plot import build_compare_figure, build_figure

    look: dict[str, Any] = {"log_y": log_y, "title": title, "style": style, "dpi": dpi, "size": size}
    if isinstance(curves, Curve):
        return build_figure(curves, momentum=momentum, **look)
    cmp = curves if isinstance(curves, Comparison) else compare(list(curves), labels=labels)
    return build_compare_figure(cmp, **look)


def save(
    curve_or_comparison: Curve | Comparison,
    *paths: PathLike,
    log_y: bool = False,
    title: str | None = None,
    momentum: bool = False,
    style: str = DEFAULT_STYLE,
    dpi: int = DEFAULT_DPI,
    size: tuple[float, float] = DEFAULT_SIZE,
) -> list[Path]:
    """Write a curve or a comparison to every path; the suffix picks the format (.png .svg .pdf .csv .json).

    All files appear together or, on any failure, none does (nothing is half written or replaced).
    A curve's JSON is lrviz's one layout (docs/curve-json.md), which ``check(baseline=...)`` reads.
    """
    from lrviz.render import check_outputs

    targets = [Path(p) for p in paths]
    if not targets:
        raise ConfigError("paths: name at least one file to write (curve.png, curve.csv, ...)")
    check_outputs(targets, "paths")
    look: dict[str, Any] = {"log_y": log_y, "title": title, "style": style, "dpi": dpi, "size": size}
    if isinstance(curve_or_comparison, Comparison):
        write_comparison(curve_or_comparison, targets, **look)
        return targets
    return write_outputs(curve_or_comparison, targets, momentum=momentum, **look)


def compare(
    sources: Sequence[Curve | Source],
    *,
    labels: Sequence[str] | None = None,
    tolerance: Tolerance = CURVES,
    **options: Unpack[RunOptions],
) -> Comparison:
    """Several schedules aligned on one epoch axis, with where and how much they differ from the first."""
    curves = [s if isinstance(s, Curve) else simulate(s, **options) for s in sources]
    names = list(labels) if labels is not None else [c.run.label for c in curves]
    if len(names) != len(curves):
        raise ConfigError(f"labels: {len(names)} labels for {len(curves)} schedules")
    return align(curves, names, tolerance=tolerance)


def check(
    source: Curve | Source,
    *,
    baseline: PathLike | Baseline | None = None,
    expect: Mapping[str, Any] | None = None,
    against: PathLike | RunLog | None = None,
    tolerance: Tolerance | None = None,
    x: str | None = None,
    y: str | None = None,
    run: str | None = None,
    complete: bool = False,
    **options: Unpack[RunOptions],
) -> CheckReport:
    """What fails about a schedule: against a baseline lrviz wrote, ``expect`` (plus the config's), and a run's log.

    ``baseline`` is a path or a ``Baseline`` already read (``load_baseline``). ``expect`` takes
    ``final_lr_below``, ``lr_never_above`` and ``restarts``. ``against`` is a run's
    log (any format ``read_log`` reads, with ``x``, ``y``, ``run`` as there) or a ``RunLog``;
    ``complete=True`` also fails a log that ends before the plan. ``tolerance`` defaults to
    ``CURVES`` against the baseline and ``Tolerance.for_log`` against the log. The report is
    ``ok`` when every check passed; its ``findings`` say what failed, one line each.
    """
    curve = source if isinstance(source, Curve) else simulate(source, **options)
    wanted = {**curve.run.expect, **parse_expectations(expect, "expect")}
    findings = [Finding("expectation", line) for line in check_expectations(curve, wanted)]
    difference = None
    if baseline is not None:
        base = baseline if isinstance(baseline, Baseline) else load_baseline(Path(baseline))
        difference = against_baseline(curve, base.values, base.epochs, tolerance or CURVES)
        if difference is not None:
            findings.insert(0, Finding("baseline", f"{base.source}: {describe(difference)}"))
    report = None
    if against is not None:
        # only the plan's steps are held; the log's others are counted as they stream past
        window = range(curve.points)
        log = against if isinstance(against, RunLog) else read(Path(against), x=x, y=y, run=run, window=window)
        tol = tolerance or Tolerance.for_log(log)
        report = compare_log(curve, log, steps_per_epoch=curve.steps_per_epoch, tolerance=tol, complete=complete)
        report = with_plateau_diagnosis(report, curve.run, log, tol)
        if not report.ok:
            found = report.diagnoses or (Finding("log_mismatch", report.describe()[0]),)
            findings += [Finding(f.code, f"{log.source}: {f.message}", f.data) for f in found]
    return CheckReport(tuple(findings), difference, report)


def read_log(
    path: PathLike,
    *,
    x: str | None = None,
    y: str | None = None,
    group: str | None = None,
    convention: str | None = None,
    run: str | None = None,
    window: range | None = None,
) -> RunLog:
    """The LRs a run logged (trainer_state.json, Lightning's metrics.csv, TensorBoard, MLflow, W&B, CSV, ...),
    on lrviz's step convention: point k is the LR optimizer step k used (``lrviz.logs.read_log``).
    ``window=range(n)`` holds only the points of optimizer steps 0 to n - 1 (a plan's), counting the rest."""
    return read(Path(path), x=x, y=y, group=group, convention=convention, run=run, window=window)


def watch(
    path: PathLike,
    plan: Curve | Source,
    *,
    x: str | None = None,
    y: str | None = None,
    run: str | None = None,
    tolerance: Tolerance | None = None,
    poll: float = 1.0,
    idle: float | None = 600.0,
    once: bool = False,
    stop_at_verdict: bool = True,
) -> WatchResult:
    """Follow a growing log and hold each new logged LR against the plan until a verdict, the plan's end,
    ``idle`` seconds without a new step, or one read (``once``); ``lrviz.guard.watch`` does the work."""
    curve = plan if isinstance(plan, Curve) else simulate(plan)
    rtol, atol = (None, 0.0) if tolerance is None else (tolerance.rtol, tolerance.atol)
    return follow(
        Path(path), curve, x=x, y=y, run=run, rtol=rtol, atol=atol, poll=poll, idle=idle, once=once,
        stop_at_verdict=stop_at_verdict,
    )  # fmt: skip


def plan_restarts(
    epochs: int, *, t_0: int | None = None, t_mult: int | None = None, max_cycles: int | None = None
) -> list[Candidate]:
    """The (T_0, T_mult) of CosineAnnealingWarmRestarts whose last cycle ends exactly at ``epochs``, useful first."""
    return plan(epochs, t_0=t_0, t_mult=t_mult, max_cycles=max_cycles, useful_first=True)


def code(source: Source, *, key: str | None = None, **options: Unpack[RunOptions]) -> str:
    """The code that builds exactly this optimizer and scheduler with its framework and steps it as lrviz does."""
    from lrviz.codegen import pytorch_snippet

    return pytorch_snippet(run_of(source, key=key, options=dict(options)))

"""The API's functions (``lrviz.api`` and ``lrviz`` export them): load, step, look, save, compare, check.

``load``, ``simulate``, ``explain``, ``diagnose`` and ``code`` are ``lrviz.api.runs``'s, the plans
``lrviz.api.plans``'s (both lighter than this module: the command imports them alone). torch and
matplotlib are imported when a run is stepped or a figure drawn.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lrviz.api.runs import RunOptions, Source, simulate
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
)
from lrviz.comparison import compare as align
from lrviz.comparison import load_baseline as read_baseline
from lrviz.comparison.alignment import log_axis, on_plan_steps, samples_per_step
from lrviz.comparison.replan import compare_reported_skips, with_plateau_diagnosis
from lrviz.config import parse_expectations
from lrviz.errors import ConfigError
from lrviz.guard import WatchResult
from lrviz.guard import watch as follow
from lrviz.logs import RunLog, Window
from lrviz.logs import read_log as read
from lrviz.logs.axis import on_optimizer_steps
from lrviz.logs.reading import trim
from lrviz.model import Curve, Finding, RunConfig
from lrviz.render import DEFAULT_DPI, DEFAULT_SIZE, DEFAULT_STYLE, write_comparison, write_outputs

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from typing_extensions import Unpack

#: What this module defines; ``lrviz.api`` exports these with ``runs``' and ``plans``' names.
__all__ = [
    "CURVES",
    "Baseline",
    "CheckReport",
    "Comparison",
    "Tolerance",
    "check",
    "compare",
    "load_baseline",
    "plot",
    "read_log",
    "save",
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
    reported_skips: bool = True,
    **options: Unpack[RunOptions],
) -> CheckReport:
    """What fails about a schedule: against a baseline lrviz wrote, ``expect`` (plus the config's), and a run's log.

    ``baseline`` is a path or a ``Baseline`` already read (``load_baseline``). ``expect`` takes
    ``final_lr_below``, ``lr_never_above`` and ``restarts``. ``against`` is a run's
    log (any format ``read_log`` reads, with ``x``, ``y``, ``run`` as there) or a ``RunLog``;
    ``complete=True`` also fails a log that ends before the plan. ``tolerance`` defaults to
    ``CURVES`` against the baseline and ``Tolerance.for_log`` against the log. A log that counts the
    iterations its trainer skipped (Megatron-LM's fp16 overflows) is compared with the plan held there,
    saying so (``reported_skips=False``: as it is, e.g. when the curve was held already). The report is
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
        log = (
            on_plan_steps(curve, against)
            if isinstance(against, RunLog)
            else read_log(against, x=x, y=y, run=run, window=window, plan=curve)
        )
        tol = tolerance or Tolerance.for_log(log)
        held = compare_reported_skips(curve, log, tolerance=tol, complete=complete) if reported_skips else None
        report = held or compare_log(
            curve, log, steps_per_epoch=curve.steps_per_epoch, tolerance=tol, complete=complete
        )
        report = with_plateau_diagnosis(report, curve.run, log, tol)
        if not report.ok:
            found = (*report.causes, *(d for d in report.diagnoses if d not in report.causes))
            if not report.causes:
                found = (Finding("log_mismatch", report.describe()[0]), *found)
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
    plan: Curve | RunConfig | None = None,
) -> RunLog:
    """The LRs a run logged (trainer_state.json, Lightning's metrics.csv, TensorBoard, MLflow, W&B, CSV, ...),
    on lrviz's step convention: point k is the LR optimizer step k used (``lrviz.logs.read_log``).
    ``window=range(n)`` holds only the points of optimizer steps 0 to n - 1 (a plan's), counting the rest.
    ``plan`` (the curve or run the log is for) puts a log its trainer writes on another axis on the plan's
    optimizer steps: litgpt logs each batch (with gradient accumulation A, batch s is step s // A), so such a
    log is read whole, converted, then held to ``window``; and a constant global batch puts a series logged
    against the consumed samples (Megatron-LM's ``learning-rate vs samples``) on iterations (without a plan,
    that axis is refused)."""
    samples = samples_per_step(plan)
    axis = None if plan is None else log_axis(plan)
    if axis is None:
        return read(
            Path(path),
            x=x,
            y=y,
            group=group,
            convention=convention,
            run=run,
            window=window,
            samples_per_step=samples,
        )
    whole = read(Path(path), x=x, y=y, group=group, convention=convention, run=run, samples_per_step=samples)
    log = on_optimizer_steps(whole, axis)
    return log if window is None else trim(log, Window(window.start, window.stop))


def watch(
    path: PathLike,
    plan: Curve | Source,
    *,
    x: str | None = None,
    y: str | None = None,
    run: str | None = None,
    tolerance: Tolerance | None = None,
    rtol: float | None = None,
    atol: float = 0.0,
    poll: float = 1.0,
    idle: float | None = 600.0,
    once: bool = False,
    stop_at_verdict: bool = True,
    on_step: Callable[[Any, Any], None] | None = None,
    reported_skips: bool = True,
) -> WatchResult:
    """Follow a growing log and hold each new logged LR against the plan until a verdict, the plan's end,
    ``idle`` seconds without a new step, or one read (``once``); ``lrviz.guard.watch`` does the work.

    ``tolerance`` when given; else ``rtol`` (None: the precision the log was written with) and ``atol``,
    as ``lrviz watch --rtol/--atol``. ``on_step(verdict_or_None, check)`` is called after each new step.
    A log that counts the iterations its trainer skipped (Megatron-LM's fp16 overflows) is held against the
    plan held there, as ``check`` holds it (``reported_skips=False``: as it is, e.g. when the curve was held already).
    """
    curve = plan if isinstance(plan, Curve) else simulate(plan)
    if tolerance is not None:
        rtol, atol = tolerance.rtol, tolerance.atol
    return follow(
        Path(path), curve, x=x, y=y, run=run, rtol=rtol, atol=atol, poll=poll, idle=idle, once=once,
        stop_at_verdict=stop_at_verdict, on_step=on_step, reported_skips=reported_skips,
    )  # fmt: skip


def load_baseline(path: PathLike) -> Baseline:
    """A baseline lrviz wrote earlier (``save(curve, "x.csv")`` or ``.json``), for ``check(baseline=...)``.

    Raises ``ConfigError`` naming the file when it is no lrviz curve (docs/curve-json.md).
    """
    return read_baseline(Path(path))

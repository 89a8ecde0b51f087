"""Following a log file or run directory as it grows (``lrviz watch``): each new logged LR against the plan.

``watch`` re-reads the log (any format ``read_log`` reads) every ``poll`` seconds and feeds the new
steps to a ``lrviz.guard.live.LiveCheck``, as the run writes them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lrviz.comparison import LOG, Tolerance
from lrviz.comparison.alignment import on_plan_steps, samples_per_step
from lrviz.comparison.log import after_the_step
from lrviz.errors import ConfigError
from lrviz.guard.live import CONFIRM, PATIENCE, LiveCheck, Verdict
from lrviz.logs import RunLog, read_log
from lrviz.logs.layout import locate
from lrviz.model import Curve


@dataclass(frozen=True)
class WatchResult:
    """How a watch ended: the steps seen, the verdict (None: the run followed the plan) and why it ended."""

    observed: int
    last_step: int | None
    verdict: Verdict | None
    ended: str  # "verdict", "plan_end", "idle", "once"
    rtol: float


def watch(
    path: Path,
    plan: Curve | Sequence[float],
    *,
    x: str | None = None,
    y: str | None = None,
    run: str | None = None,
    rtol: float | None = None,
    atol: float = 0.0,
    poll: float = 1.0,
    idle: float | None = 600.0,
    once: bool = False,
    stop_at_verdict: bool = True,
    patience: int = PATIENCE,
    confirm: int = CONFIRM,
    on_step: Any = None,
    reported_skips: bool = True,
) -> WatchResult:
    """Follow a growing log (any format ``read_log`` reads) and hold each new logged LR against ``plan``.

    The log is re-read every ``poll`` seconds; a log not written yet, or cut mid-line by its writer,
    is waited for; a run directory is searched as ``check`` searches one until its log appears. It ends at the plan's last step, after ``idle`` seconds without a new step (None:
    never), at the first verdict (``stop_at_verdict``), or after one read (``once``). ``rtol`` None
    follows the log's precision (``lrviz.logs.precision``). ``on_step(verdict_or_None, check)`` is
    called after each read that brought new steps. A log that counts the iterations its trainer skipped
    (Megatron-LM's stdout log) holds the plan there, as ``check`` does (``reported_skips=False``: the plan as
    given, e.g. held already by ``--skipped-steps``).
    """
    import time

    check: LiveCheck | None = None
    last_growth = time.monotonic()
    last_error: ConfigError | None = None
    tolerance = rtol if rtol is not None else LOG.rtol
    target: Path | None = None  # a run directory's log, once it has one (logs.layout.locate)
    while True:
        target = target or locate(path)
        try:
            if target is None:
                raise ConfigError(f"{path}: no log under this directory yet; was the run logging yet?")
            log = read_log(target, x=x, y=y, run=run, samples_per_step=samples_per_step(plan))
            last_error = None
        except ConfigError as exc:
            log, last_error = None, exc
        if log is not None:
            if check is None:
                tolerance = Tolerance.for_log(log, rtol, atol).rtol
                check = LiveCheck(plan, rtol=tolerance, atol=atol, patience=patience, confirm=confirm, source=str(path))
            before = check.observed
            verdict = _feed(check, log, reported_skips)
            if check.observed > before:
                last_growth = time.monotonic()
                if on_step is not None:
                    on_step(verdict, check)
            if check.verdict is not None and stop_at_verdict:
                return WatchResult(check.observed, check.last_step, check.verdict, "verdict", tolerance)
            if check.last_step is not None and check.last_step >= check.plan_steps - 1:
                check.finish()
                return WatchResult(check.observed, check.last_step, check.verdict, "plan_end", tolerance)
        if once:
            if check is None and last_error is not None:
                raise last_error
            return _ended(check, "once", tolerance)
        if idle is not None and time.monotonic() - last_growth > idle:
            if check is None and last_error is not None:
                raise last_error
            return _ended(check, "idle", tolerance)
        time.sleep(poll)


def _ended(check: LiveCheck | None, why: str, rtol: float) -> WatchResult:
    if check is None:
        return WatchResult(0, None, None, why, rtol)
    check.finish()
    return WatchResult(check.observed, check.last_step, check.verdict, why, rtol)


def _feed(check: LiveCheck, log: RunLog, held: bool = True) -> Verdict | None:
    """Observe the log's steps after the last one observed, all its series at each step. A log written
    after each scheduler step (Megatron, diffusers) ends with the LR after the last step: not observed.
    ``held``: the plan held where the log counts skipped iterations (``LiveCheck.hold``)."""
    log = on_plan_steps(check._plan, log)  # litgpt logs batches: put on optimizer steps (Adapter.log_axis)
    if held:
        check.hold(log)  # Megatron-LM's stdout log counts its skipped iterations: the plan held there, as in check
    last = check.last_step
    after = check.plan_steps if after_the_step(check._plan, log) else None
    by_step: dict[int, list[float]] = {}
    for series in log.series:
        for step, value in zip(series.steps, series.values, strict=True):
            if (last is None or step > last) and step != after:
                by_step.setdefault(step, []).append(value)
    verdict = None
    width = len(log.series)
    for step in sorted(by_step):
        values = by_step[step]
        if len(values) != width:
            values = values[:1]
        found = check.observe(step, values)
        verdict = verdict or found
    return verdict

"""The live guard: each optimizer step's LR held against the plan while the run goes.

``LRGuard`` is a Hugging Face ``TrainerCallback`` and a Lightning ``Callback`` (it becomes
an instance of whichever of the two frameworks' base classes the training script has
imported, so ``isinstance(guard, TrainerCallback)`` holds and nothing is imported here),
and ``guard.observe(step, optimizer)`` serves any other loop. ``LiveCheck`` is the engine
behind it and behind ``lrviz watch``: it keeps the logged points, and on the first LR
beyond the tolerance it runs ``lrviz.comparison.compare_log`` (the same comparison and the same
diagnoses as ``lrviz check``) over what it has seen, until a diagnosis names the bug or
``patience`` more steps pass.

The cost on a matching step is one list lookup and one comparison per param group; the
plan is simulated once, before training. Nothing here imports matplotlib.
"""

from __future__ import annotations

import os
import sys
import warnings
from array import array
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lrviz.comparison import LOG, LogReport, Tolerance, compare_log
from lrviz.comparison.alignment import on_plan_steps
from lrviz.comparison.log import after_the_step
from lrviz.errors import ConfigError
from lrviz.logs import CONVENTIONS, LogSeries, RunLog, read_log
from lrviz.logs.layout import locate
from lrviz.model import Curve, Finding, RunConfig
from lrviz.simulation import simulate

#: Consecutive observed steps a diagnosis must hold before the guard acts on it: a few points fit more
#: than one pattern (a linear warmup 4x slower is also the plan scaled by 1/4 until the warmup ends).
CONFIRM = 5
#: Steps observed after the first mismatch before the guard acts on whatever it has (a diagnosis not yet
#: confirmed, or none): the bug is then named, or the mismatch reported, within this many steps.
PATIENCE = 16
#: Diagnoses that say nothing about a run still in progress.
_NOT_YET = frozenset({"ends_early"})


class LRMismatchWarning(UserWarning):
    """The run's learning rate left the plan (the message holds the diagnosis)."""


@dataclass(frozen=True)
class Verdict:
    """A mismatch found while the run goes: where it began, when it was decided, and why."""

    first_step: int  # optimizer step (0-based) of the first LR beyond the tolerance
    decided_at: int  # the optimizer step at which the guard decided
    planned: float | None
    logged: float
    diagnoses: tuple[Finding, ...]
    report: LogReport

    @property
    def kind(self) -> str | None:
        """The first diagnosis' kind (``faster``, ``per_epoch``, ...), or None when no known pattern fits."""
        return self.diagnoses[0].code if self.diagnoses else None

    @property
    def message(self) -> str:
        where = (
            f"planned {self.planned!r}, logged {self.logged!r}"
            if self.planned is not None
            else f"logged {self.logged!r} past the plan's last step"
        )
        head = f"the learning rate left the plan at optimizer step {self.first_step} ({where})"
        if self.diagnoses:
            return f"{head}: " + "; ".join(d.message for d in self.diagnoses)
        return f"{head}; no known pattern explains it by step {self.decided_at}: " + " ".join(self.report.describe())


class LiveCheck:
    """Logged LRs compared with a plan one point at a time (``observe``); ``verdict`` once decided."""

    def __init__(
        self,
        plan: Curve | Sequence[float],
        *,
        rtol: float = LOG.rtol,
        atol: float = 0.0,
        patience: int = PATIENCE,
        confirm: int = CONFIRM,
        source: str = "live run",
    ) -> None:
        if not (rtol >= 0 and atol >= 0):
            raise ConfigError(f"rtol/atol: expected non-negative tolerances, got rtol={rtol!r}, atol={atol!r}")
        if isinstance(plan, Curve):
            self._groups: list[list[float]] = [s.tolist() for s in plan.lrs]
            self._plan: Curve | list[float] = plan
        else:
            self._groups = [[float(v) for v in plan]]
            self._plan = self._groups[0]
        if not self._groups or not self._groups[0]:
            raise ConfigError("plan: an empty schedule; nothing to guard")
        self.rtol, self.atol, self.patience, self.source = rtol, atol, max(0, patience), source
        self.confirm = max(1, confirm)
        self._streak: tuple[tuple[str, ...], int] = ((), 0)
        self._steps: array[int] = array("q")
        self._values: list[array[float]] = []
        self._first_bad: tuple[int, float | None, float] | None = None
        self.verdict: Verdict | None = None

    @property
    def plan_steps(self) -> int:
        return len(self._groups[0])

    @property
    def observed(self) -> int:
        """How many steps were observed."""
        return len(self._steps)

    @property
    def last_step(self) -> int | None:
        return self._steps[-1] if self._steps else None

    def observe(self, step: int, lrs: Sequence[float]) -> Verdict | None:
        """Record the LR(s) optimizer step ``step`` (0-based) uses, one per param group; the ``Verdict``
        when this step decides a mismatch (once), else None. Steps at or before the last one are ignored."""
        steps = self._steps
        if self.verdict is not None or (steps and step <= steps[-1]) or not lrs:
            return None
        series = self._values
        if not series:
            width = len(self._groups) if len(lrs) == len(self._groups) else 1
            series = self._values = [array("d") for _ in range(width)]
        steps.append(step)
        if self._first_bad is None:
            # the hot path: one lookup and one comparison per param group
            rtol, atol = self.rtol, self.atol
            for g, column in enumerate(series):
                value = float(lrs[g])
                column.append(value)
                plan = self._groups[g]
                if 0 <= step < len(plan):
                    expected = plan[step]
                    if abs(value - expected) <= atol + rtol * abs(expected):
                        continue
                    self._first_bad = (step, expected, value)
                else:
                    self._first_bad = (step, None, value)
                for rest in range(g + 1, len(series)):
                    series[rest].append(float(lrs[rest]))
                break
            else:
                return None
        else:
            for g, column in enumerate(series):
                column.append(float(lrs[g]))
        return self._decide(step)

    def finish(self) -> Verdict | None:
        """The run ended: a mismatch still waiting for its diagnosis is decided with what was seen."""
        if self.verdict is None and self._first_bad is not None and self._steps:
            return self._decide(self._steps[-1], final=True)
        return None

    def _decide(self, step: int, final: bool = False) -> Verdict | None:
        assert self._first_bad is not None
        first, planned, logged = self._first_bad
        log = RunLog(
            Path(self.source),
            "live",
            CONVENTIONS["lrviz"],
            tuple(LogSeries(f"pg{g}", self._steps, v) for g, v in enumerate(self._values)),
            axis="observed at the optimizer steps",
        )
        try:
            report = compare_log(self._plan, log, tolerance=Tolerance(self.rtol, self.atol))
        except ConfigError:  # every observed step lies outside the plan
            report = LogReport(
                self.source, "live", "lrviz", self.plan_steps, Tolerance(self.rtol, self.atol), False, ()
            )
        found = tuple(d for d in report.diagnoses if d.code not in _NOT_YET)
        names = tuple(d.message for d in found)
        streak = self._streak[1] + 1 if names == self._streak[0] else 1
        self._streak = (names, streak)
        confirmed = bool(found) and streak >= self.confirm
        if not (confirmed or final) and step - first < self.patience and first < self.plan_steps:
            return None
        self.verdict = Verdict(first, step, planned, logged, found, report)
        return self.verdict


# ---------------------------------------------------------------------------
# The callback


def _plan_of(plan: Any, options: Mapping[str, Any]) -> Curve | list[float] | None:
    """A plan from a Curve, a Run, a config path or mapping, or a list of LRs (None: build it later)."""
    if plan is None or isinstance(plan, Curve):
        return plan
    if isinstance(plan, RunConfig | str | os.PathLike | Mapping):
        return simulate(plan, **options)
    if isinstance(plan, Sequence):
        return [float(v) for v in plan]
    raise ConfigError(
        f"plan: expected a config path, a lrviz Run or Curve, or a list of LRs, got {type(plan).__name__}"
    )


def hf_plan(args: Any, max_steps: int) -> Curve:
    """The plan a transformers ``Trainer`` follows, from its ``TrainingArguments`` and the optimizer steps it
    computed from its dataloader (``state.max_steps``); the warmup from ``args.get_warmup_steps`` itself."""
    kind = getattr(args.lr_scheduler_type, "value", args.lr_scheduler_type)
    doc: dict[str, Any] = {
        "lr_scheduler_type": str(kind),
        "learning_rate": float(args.learning_rate),
        "warmup_steps": int(args.get_warmup_steps(max_steps)),
        "max_steps": int(max_steps),
    }
    if getattr(args, "lr_scheduler_kwargs", None):
        doc["lr_scheduler_kwargs"] = dict(args.lr_scheduler_kwargs)
    return simulate(doc)


class LRGuard:
    """Stop a run whose learning rate leaves the plan, within its first optimizer steps.

    ``plan`` is a config path (read as ``lrviz check`` reads it, with the run ``options`` as
    ``lrviz.simulate`` takes them: ``accelerate_processes=8``, ``steps_per_epoch=...``), a
    ``lrviz.Run`` or ``Curve``, or a list of LRs; for a transformers ``Trainer`` it may be left
    out, and the plan is built from the Trainer's ``TrainingArguments`` and ``state.max_steps``.
    ``on_mismatch`` is ``"warn"`` (an ``LRMismatchWarning`` with the diagnosis) or ``"stop"``
    (the warning, then ``control.should_training_stop`` / ``trainer.should_stop``).

    Use it as ``Trainer(..., callbacks=[LRGuard()])``, ``L.Trainer(callbacks=[LRGuard("train.yaml")])``,
    or in any loop: ``if guard.observe(step, optimizer): break`` before ``optimizer.step()``.
    After the run, ``guard.verdict`` holds the mismatch (None when the run followed the plan).
    """

    def __new__(cls, *args: Any, **kwargs: Any) -> LRGuard:
        return object.__new__(_with_framework_bases(cls))

    def __init__(
        self,
        plan: Any = None,
        *,
        on_mismatch: str = "warn",
        rtol: float = LOG.rtol,
        atol: float = 0.0,
        patience: int = PATIENCE,
        confirm: int = CONFIRM,
        **options: Any,
    ) -> None:
        if on_mismatch not in ("warn", "stop"):
            raise ConfigError(f"on_mismatch: expected 'warn' or 'stop', got {on_mismatch!r}")
        self.on_mismatch = on_mismatch
        self._unguarded = False
        self._tolerance: dict[str, Any] = {"rtol": rtol, "atol": atol, "patience": patience, "confirm": confirm}
        resolved = _plan_of(plan, options)
        self.check: LiveCheck | None = (
            LiveCheck(resolved, **self._tolerance, source="LRGuard") if resolved is not None else None
        )

    @property
    def verdict(self) -> Verdict | None:
        return self.check.verdict if self.check is not None else None

    def observe(self, step: int, lrs: Any) -> bool:
        """Check the LR(s) optimizer step ``step`` (0-based) uses: an optimizer (its param groups' ``lr``)
        or the LRs themselves. True when the run should stop (``on_mismatch="stop"`` and a mismatch)."""
        if self.check is None:
            raise ConfigError("LRGuard: no plan; give LRGuard(plan=CONFIG) (only the transformers Trainer has its own)")
        groups = getattr(lrs, "param_groups", None)
        values = [g["lr"] for g in groups] if groups is not None else lrs
        if isinstance(values, int | float):
            values = [values]
        verdict = self.check.observe(int(step), values)
        if verdict is not None:
            warnings.warn(LRMismatchWarning("lrviz: " + verdict.message), stacklevel=3)
        return self.verdict is not None and self.on_mismatch == "stop"

    # transformers TrainerCallback hooks -------------------------------------------------------

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> Any:
        if self.check is None and not self._unguarded:
            from lrviz.errors import LrvizError

            try:
                self.check = LiveCheck(hf_plan(args, state.max_steps), **self._tolerance, source="LRGuard")
            except LrvizError as exc:  # a schedule lrviz cannot plan: say so, and never stop the run for it
                self._unguarded = True
                warnings.warn(f"lrviz: LRGuard cannot plan this run, so it is not guarded: {exc}", stacklevel=2)
        return control

    def on_pre_optimizer_step(self, args: Any, state: Any, control: Any, **kwargs: Any) -> Any:
        optimizer = kwargs.get("optimizer")
        if self._unguarded or self.check is None:
            return control
        if optimizer is not None and self.observe(state.global_step, optimizer):
            control.should_training_stop = True
        return control

    # Lightning Callback hooks -----------------------------------------------------------------

    def on_before_optimizer_step(self, trainer: Any, pl_module: Any, optimizer: Any) -> None:
        if self.observe(trainer.global_step, optimizer):
            trainer.should_stop = True

    def on_train_end(self, *args: Any, **kwargs: Any) -> Any:
        # both frameworks call it, with different arguments: transformers expects its control back
        return kwargs.get("control", args[2] if len(args) > 2 else None)


_SUBCLASSES: dict[tuple[type, ...], type] = {}


def _framework_bases() -> tuple[type, ...]:
    """The callback base classes of the frameworks the process has imported (never imported here)."""
    bases: list[type] = []
    module = sys.modules.get("transformers.trainer_callback")
    if module is None and "transformers" in sys.modules:
        import importlib

        module = importlib.import_module("transformers.trainer_callback")
    if module is not None:
        bases.append(module.TrainerCallback)
    for name in ("lightning.pytorch.callbacks.callback", "pytorch_lightning.callbacks.callback"):
        found = sys.modules.get(name)
        if found is not None:
            bases.append(found.Callback)
    return tuple(bases)


def _with_framework_bases(cls: type) -> type:
    bases = _framework_bases()
    if not bases:
        return cls
    key = (cls, *bases)
    if key not in _SUBCLASSES:
        _SUBCLASSES[key] = type(cls.__name__, (cls, *bases), {"__module__": cls.__module__})
    return _SUBCLASSES[key]


# ---------------------------------------------------------------------------
# Following a log file as it grows (``lrviz watch``)


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
) -> WatchResult:
    """Follow a growing log (any format ``read_log`` reads) and hold each new logged LR against ``plan``.

    The log is re-read every ``poll`` seconds; a log not written yet, or cut mid-line by its writer,
    is waited for; a run directory is searched as ``check`` searches one until its log appears. It ends at the plan's last step, after ``idle`` seconds without a new step (None:
    never), at the first verdict (``stop_at_verdict``), or after one read (``once``). ``rtol`` None
    follows the log's precision (``lrviz.logs.precision``). ``on_step(verdict_or_None, check)`` is
    called after each read that brought new steps.
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
            log = read_log(target, x=x, y=y, run=run)
            last_error = None
        except ConfigError as exc:
            log, last_error = None, exc
        if log is not None:
            if check is None:
                tolerance = Tolerance.for_log(log, rtol, atol).rtol
                check = LiveCheck(plan, rtol=tolerance, atol=atol, patience=patience, confirm=confirm, source=str(path))
            before = check.observed
            verdict = _feed(check, log)
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


def _feed(check: LiveCheck, log: RunLog) -> Verdict | None:
    """Observe the log's steps after the last one observed, all its series at each step. A log written
    after each scheduler step (Megatron, diffusers) ends with the LR after the last step: not observed."""
    log = on_plan_steps(check._plan, log)  # litgpt logs batches: put on optimizer steps (Adapter.log_axis)
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

"""The plain data types lrviz passes around: a validated run, and the curve stepped from it.

``RunConfig`` (alias ``Run``) is everything needed to step one schedule, validated by
``lrviz.config``; ``Curve`` is what ``lrviz.engine`` records from it; ``Finding`` is one
diagnostic about a run or a curve. Nothing here imports torch, matplotlib or the CLI.
"""

from __future__ import annotations

from array import array
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from lrviz.expr import Expression
from lrviz.schedules import SchedulerSpec, get_scheduler


@dataclass(frozen=True)
class SchedulerConfig:
    """A validated scheduler node: class name, arguments as given, nested schedulers."""

    name: str
    args: Mapping[str, Any]
    children: tuple[SchedulerConfig, ...] = ()
    custom: bool = False  # a scheduler the user built (``lrviz.simulate(callable)``): not in the registry
    #: the adapter whose scheduler this is (``lrviz.frameworks``): "torch" (the registry), "hf", "timm", ...
    family: str = "torch"

    @property
    def spec(self) -> SchedulerSpec:
        return get_scheduler(self.name)

    def describe(self) -> str:
        """``CosineAnnealingWarmRestarts(T_0=5, T_mult=2)``: the arguments that were set."""
        if self.custom:
            return f"{self.name}(...)"
        if self.family != "torch":
            shown = ", ".join(f"{k}={_show(v)}" for k, v in self.args.items())
            return f"{self.family} {self.name}({shown})"
        parts = [f"{k}={_show(v)}" for k, v in self.args.items() if k not in ("schedulers",)]
        if self.children:
            parts.insert(0, "[" + ", ".join(c.describe() for c in self.children) + "]")
        return f"{self.name}({', '.join(parts)})"

    def walk(self) -> list[SchedulerConfig]:
        out = [self]
        for child in self.children:
            out.extend(child.walk())
        return out


def _show(value: Any) -> str:
    if isinstance(value, Expression):
        return repr(value.source)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


@dataclass(frozen=True)
class FrameworkSettings:
    """A framework run's own settings, read by its adapter (``lrviz.frameworks.<name>``): subclassed there.

    Each subclass is a frozen dataclass of exactly what its framework's scheduler needs,
    typed; nothing outside the adapter reads its fields.
    """


@dataclass(frozen=True)
class GroupConfig:
    """One param group: its name, initial LR and other optimizer options."""

    name: str
    lr: float
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class OptimizerConfig:
    """The dummy optimizer: a torch.optim class name, its options and param groups."""

    name: str
    lr: float  # the optimizer-wide default, which groups without their own lr take
    options: Mapping[str, Any]
    groups: tuple[GroupConfig, ...]

    def describe(self) -> str:
        lrs = ", ".join(f"{g.lr:g}" for g in self.groups)
        return f"{self.name}(lr={lrs})"


@dataclass(frozen=True)
class RunConfig:
    """Everything needed to step one schedule, validated."""

    scheduler: SchedulerConfig
    optimizer: OptimizerConfig
    epochs: int
    steps_per_epoch: int = 1
    interval: str = "epoch"
    metrics: tuple[float, ...] | None = None
    label: str = ""
    title: str | None = None
    milestones: tuple[int, ...] = ()  # SequentialLR switch points, in the scheduler's own steps
    expect: Mapping[str, Any] = field(default_factory=dict)  # what `lrviz check` verifies
    geometry: str | None = None  # how steps_per_epoch follows from dataset and batch sizes
    frequency: int = 1  # the scheduler steps every `frequency` intervals (Lightning's scheduler dict)
    scheduler_calls: int = 1  # scheduler.step() calls per step: Accelerate's num_processes without split_batches
    notes: tuple[str, ...] = ()  # what lrviz assumed or ignored while reading the config
    unit: str = "epoch"  # what one x value counts: "epoch", or "step" for a run counted in optimizer steps (HF)
    #: a framework run's own settings the stepping needs (transformers, timm, DeepSpeed, ...)
    settings: FrameworkSettings | None = None
    #: where each number of the run came from, for ``--explain``: (what, value, source)
    sources: tuple[tuple[str, str, str], ...] = field(default=(), compare=False)
    #: what was done with each key of a framework's document (``Accounting.lines()``), for ``--explain``
    accounting: tuple[str, ...] = field(default=(), compare=False)

    @property
    def family(self) -> str:
        return self.scheduler.family

    def length_text(self) -> str:
        """``50 epochs``, ``10 epochs x 49 steps`` or ``1,000 steps``: the run's length in its own unit."""
        if self.unit == "step":
            return f"{self.epochs:,} steps"
        return f"{self.epochs:,} epochs" + (f" x {self.steps_per_epoch:,} steps" if self.steps_per_epoch > 1 else "")

    @property
    def points(self) -> int:
        return self.epochs * self.steps_per_epoch

    @property
    def fractional(self) -> bool:
        """CosineAnnealingWarmRestarts stepped with ``step(epoch + i / N)`` every iteration."""
        return (
            self.scheduler.name == "CosineAnnealingWarmRestarts"
            and self.interval == "epoch"
            and self.steps_per_epoch > 1
        )


#: The public name of a validated run.
Run = RunConfig


@dataclass(frozen=True)
class Finding:
    """One diagnostic: a stable ``code``, a one-line ``message`` and its facts as JSON-ready ``data``."""

    code: str
    message: str
    data: Mapping[str, Any] = field(default_factory=dict, hash=False)

    def __str__(self) -> str:
        return self.message


#: The version of lrviz's JSON layout of a curve, written as its ``schema`` field (docs/curve-json.md).
CURVE_SCHEMA = "lrviz.curve/1"


def scheduler_dict(cfg: SchedulerConfig) -> dict[str, Any]:
    """The scheduler node in the YAML shape: ``{"name": ..., <args>..., "schedulers": [...]}``."""
    out: dict[str, Any] = {"name": cfg.name}
    for key, value in cfg.args.items():
        out[key] = _plain(value)
    if cfg.children:
        out["schedulers"] = [scheduler_dict(c) for c in cfg.children]
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, Expression):
        return value.source
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


@dataclass(frozen=True)
class Curve:
    """Learning rates (and optionally momenta) per param group, recorded by ``engine.simulate``."""

    run: RunConfig
    lrs: tuple[array[float], ...]
    restarts: tuple[int, ...] = ()
    milestones: tuple[int, ...] = ()
    reductions: tuple[int, ...] = ()
    momenta: tuple[array[float], ...] | None = None
    #: what ``momenta`` holds: ``momentum`` (Adam's beta1), or ``weight_decay`` (``--param weight_decay``)
    second: str = "momentum"
    torch_warnings: tuple[str, ...] = field(default=())
    resume_at: int | None = None  # epoch of a simulated checkpoint-and-resume (--resume-at)
    resumed: tuple[array[float], ...] | None = None  # the LRs of that resumed run, every point
    findings: tuple[Finding, ...] = ()  # filled by ``lrviz.simulate``: diagnostics of the run and curve

    def resume_difference(self) -> int | None:
        """The first point where the resumed run's LR differs from the uninterrupted one."""
        if self.resumed is None:
            return None
        for g, series in enumerate(self.lrs):
            other = self.resumed[g]
            for k in range(len(series)):
                if series[k] != other[k]:
                    return k
        return None

    def resume_line(self) -> str | None:
        """One line on the resume simulation, or None when there was none."""
        if self.resume_at is None:
            return None
        k = self.resume_difference()
        if k is None:
            return f"resumed from a checkpoint at epoch {self.resume_at}: identical to the uninterrupted run"
        return (
            f"resumed from a checkpoint at epoch {self.resume_at}: the LR jumps at epoch {self.epoch_at(k)}: "
            f"uninterrupted {self.lrs[0][k]!r}, resumed {self.resumed[0][k]!r}"  # type: ignore[index]
        )

    @property
    def points(self) -> int:
        return len(self.lrs[0]) if self.lrs else 0

    @property
    def steps_per_epoch(self) -> int:
        return self.run.steps_per_epoch

    @property
    def group_names(self) -> tuple[str, ...]:
        return tuple(g.name for g in self.run.optimizer.groups)

    def epoch_at(self, index: int) -> float | int:
        """The x value of a point: ``epoch + i / steps_per_epoch`` (an int when whole)."""
        n = self.steps_per_epoch
        if n == 1:
            return index
        epoch, i = divmod(index, n)
        return epoch + i / n if i else epoch

    def epochs(self) -> list[float | int]:
        return [self.epoch_at(i) for i in range(self.points)]

    def events(self, indices: tuple[int, ...]) -> list[float | int]:
        return [self.epoch_at(i) for i in indices]

    @property
    def restart_epochs(self) -> list[float | int]:
        return self.events(self.restarts)

    def summary(self) -> dict[str, float]:
        values = [v for series in self.lrs for v in (min(series), max(series))]
        return {"min": min(values), "max": max(values), "final": self.lrs[0][-1]}

    # -- plain data, for notebooks and scripts ---------------------------------

    @property
    def lr(self) -> list[float]:
        """The LR of the first param group at every point (``lrs[g]`` holds every group)."""
        return list(self.lrs[0]) if self.lrs else []

    @property
    def steps(self) -> list[int]:
        """The optimizer step of every point: 0, 1, 2, ... (``epochs()`` gives the epoch axis)."""
        return list(range(self.points))

    def to_dict(self, findings: Sequence[Finding] | None = None) -> dict[str, Any]:
        """Everything as plain lists and numbers, in lrviz's one JSON layout for a curve (``CURVE_SCHEMA``,
        docs/curve-json.md): what ``-o curve.json`` writes and ``check --baseline curve.json`` reads back.
        ``findings`` replace the curve's own (``lrviz.simulate`` fills them) under ``diagnostics``."""
        run = self.run
        groups = []
        for g, cfg in enumerate(run.optimizer.groups):
            entry: dict[str, Any] = {"name": cfg.name, "lr": list(self.lrs[g])}
            if self.momenta is not None:
                entry[self.second] = list(self.momenta[g])
            groups.append(entry)
        data: dict[str, Any] = {
            "schema": CURVE_SCHEMA,
            "label": run.label,
            "scheduler": scheduler_dict(run.scheduler),
            "optimizer": {
                "name": run.optimizer.name,
                **{k: _plain(v) for k, v in run.optimizer.options.items()},
                "param_groups": [{"name": g.name, "lr": g.lr, **g.options} for g in run.optimizer.groups],
            },
            "epochs": run.epochs,
            "steps_per_epoch": run.steps_per_epoch,
            "interval": run.interval,
            "epoch": self.epochs(),
            "groups": groups,
            "restarts": self.restart_epochs,
            "summary": self.summary(),
        }
        if (
            run.settings is not None
        ):  # a framework run (transformers, timm, ...): its scheduler family, and what `epoch` counts
            data["family"] = run.family
            data["unit"] = run.unit
        if run.milestones:
            data["milestones"] = self.events(self.milestones)
        data["diagnostics"] = [
            {"code": f.code, "message": f.message, **({"data": dict(f.data)} if f.data else {})}
            for f in (self.findings if findings is None else findings)
        ]
        if self.resumed is not None:
            k = self.resume_difference()
            data["resumed"] = {
                "at": self.resume_at,
                "lr": [list(s) for s in self.resumed],
                "first_difference": None if k is None else self.epoch_at(k),
            }
        if run.metrics is not None:
            data["reductions"] = self.events(self.reductions)
        return data

    def to_pandas(self) -> Any:
        """A ``pandas.DataFrame``: one row per point, columns step, epoch, one LR column per group, restart."""
        try:
            import pandas as pd  # type: ignore[import-untyped,unused-ignore]
        except ImportError:
            raise ImportError("Curve.to_pandas() needs pandas: pip install pandas") from None
        names = self.group_names
        columns: dict[str, Any] = {"step": self.steps, "epoch": self.epochs()}
        for g, series in enumerate(self.lrs):
            columns["lr" if len(self.lrs) == 1 else f"lr_{names[g]}"] = list(series)
        restarts = set(self.restarts)
        columns["restart"] = [k in restarts for k in range(self.points)]
        return pd.DataFrame(columns)

    def __repr__(self) -> str:
        stats = self.summary() if self.lrs and self.points else {"min": 0.0, "max": 0.0, "final": 0.0}
        restarts = f", restarts at {self.restart_epochs}" if self.restarts else ""
        return (
            f"<Curve {self.run.scheduler.describe()} | {self.run.optimizer.describe()} | {self.points} points | "
            f"LR min {stats['min']:g}, max {stats['max']:g}, final {stats['final']:g}{restarts}>"
        )

    def _repr_html_(self) -> str:
        """Jupyter's view: a small SVG of the curve (no matplotlib needed) and the summary."""
        from html import escape

        from lrviz.sparksvg import polyline_svg

        marks = [float(e) for e in self.restart_epochs]
        svg = polyline_svg([float(x) for x in self.epochs()], self.lr, marks=marks)
        notes = "".join(f"<li>{escape(f.message)}</li>" for f in self.findings)
        return (
            f"<div><b>{escape(self.run.scheduler.describe())}</b> | {escape(self.run.optimizer.describe())}<br>"
            f"{svg}<br><code>{escape(repr(self))}</code>" + (f"<ul>{notes}</ul>" if notes else "") + "</div>"
        )

"""The Python API: load a run, step it, look at it, compare and check it.

Everything the ``lrviz`` command does is one of these calls; the command adds
flags, printing and exit codes. In a notebook::

    import lrviz
    from torch.optim.lr_scheduler import CosineAnnealingWarmRestarts

    curve = lrviz.simulate(lambda opt: CosineAnnealingWarmRestarts(opt, T_0=5, T_mult=2), epochs=35)
    curve                      # shows itself: a small chart and the summary
    curve.restart_epochs       # [5, 15]
    fig = lrviz.plot(curve)    # a matplotlib Figure

Nothing here changes the calling process: no forking, no ``os._exit``, no
writes into torch's caches, no replaced warning handler.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union

from lrviz.compare.tolerance import CURVES
from lrviz.config import Layer, from_flags
from lrviz.config.layer import RUN_OPTIONS
from lrviz.errors import ConfigError
from lrviz.keys import KeyPath
from lrviz.model import Curve, Finding, RunConfig, SchedulerConfig

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from lrviz.compare import Comparison
    from lrviz.plan import Candidate

#: What ``simulate``, ``compare``, ``check`` and ``code`` accept: a run from ``load``, a config
#: file's path, a mapping shaped like one, or (``simulate``) a callable ``optimizer -> scheduler``.
Source = Union[RunConfig, str, "os.PathLike[str]", Mapping[str, Any]]
SchedulerFactory = Callable[[Any], Any]


def load(
    source: str | os.PathLike[str] | Mapping[str, Any],
    *,
    key: str | None = None,
    overrides: Mapping[str, Any] | Iterable[str] | None = None,
    dialect: str | None = None,
    **options: Any,
) -> RunConfig:
    """A validated run from a config file (YAML or JSON) or a mapping shaped like one.

    ``key`` picks the scheduler node in a larger training config (``"model.scheduler"``).
    ``dialect`` names the framework the file is for (``"hf"``, ``"axolotl"``, ``"timm"``, ...) when its
    keys do not say so clearly enough (``lrviz.frameworks.dialect_names()`` lists them).
    ``overrides`` set keys of the document before it is read, as dotted paths:
    ``{"trainer.max_epochs": 100}`` or ``["trainer.max_epochs=100"]``. Keyword
    ``options`` set the run itself, as the command's flags do: ``epochs``, ``steps_per_epoch``,
    ``interval``, ``lr``, ``optimizer``, ``warmup``, ``warmup_start_factor``, ``dataset_size``,
    ``batch_size``, ``grad_accum``, ``world_size``, ``accelerate_processes``, ``split_batches``,
    ``metrics``, ``label``, ``title`` (``lrviz.config.layer.RUN_OPTIONS``).

    Raises ``lrviz.ConfigError`` naming the file, line and key of anything invalid.
    """
    from lrviz.config import merge
    from lrviz.config.interpolation import needs_resolution, resolve
    from lrviz.errors import render_options
    from lrviz.reading import build_run, from_document, load_file

    sets = _dotlist(overrides)
    over = _options_layer(options)
    if isinstance(source, Mapping):
        data = dict(source)
        from lrviz.budget import nesting

        nesting(data, "<config>")
        if sets or needs_resolution(data):
            data = resolve(data, sets, "<config>", {})
        layer = from_document(data, "<config>", key, dialect=dialect)
    else:
        layer = load_file(Path(source), key, sets=sets, dialect=dialect)
    run = build_run(layer if over is None else merge(layer, over))
    # notes name keys for library users (the command line spells them as its flags)
    return dataclasses.replace(run, notes=tuple(render_options(n) for n in run.notes))


def simulate(
    source: Source | SchedulerFactory,
    *,
    key: str | None = None,
    overrides: Mapping[str, Any] | Iterable[str] | None = None,
    momentum: bool = False,
    resume_at: int | None = None,
    **options: Any,
) -> Curve:
    """Step the real scheduler exactly as a training loop does and return its ``Curve``.

    ``source`` is a run from ``load``, a config path or mapping (``key``, ``overrides`` and
    the run ``options`` as for ``load``), or a callable that builds a scheduler for the
    optimizer it is given (``lambda opt: MyWarmupCosine(opt, ...)``): any ``LRScheduler``
    subclass, stepped once per epoch, or once per optimizer step with
    ``interval="step"`` and ``steps_per_epoch``. ``optimizer`` and ``lr`` set the dummy
    optimizer (``"AdamW"``, ``3e-4``; default SGD with lr 0.1).

    ``momentum`` also records momentum (or Adam's beta1); ``resume_at`` also simulates a
    checkpoint saved and loaded at that epoch (``curve.resumed``). The curve's
    ``findings`` hold the diagnostics the ``lrviz`` command prints as warnings.
    """
    from lrviz import frameworks

    if callable(source) and not isinstance(source, RunConfig | Mapping | str | os.PathLike):
        return _simulate_factory(source, momentum=momentum, **options)
    run = _run_of(source, key=key, overrides=overrides, options=options)
    adapter = frameworks.for_run(run)
    curve = adapter.simulate(run, momentum=momentum)
    if resume_at is not None:
        curve = dataclasses.replace(curve, resume_at=resume_at, resumed=adapter.simulate_resume(run, resume_at))
    return dataclasses.replace(curve, findings=tuple(diagnose(curve)))


def explain(source: Source, *, key: str | None = None, dialect: str | None = None, **options: Any) -> list[str]:
    """Where every number of the run came from, which dialect was read and why, and what was done with each key.

    The lines ``lrviz render --explain`` prints: the dialect and the keys that decided it, the keys
    read, those that do not affect the LR and those lrviz does not know (framework files), then
    each value with its ``file:line key``, flag or default, and the step arithmetic.
    """
    from lrviz.reading import explain as lines

    run = source if isinstance(source, RunConfig) else load(source, key=key, dialect=dialect, **options)
    return lines(run)


def diagnose(curve: Curve) -> list[Finding]:
    """The pitfalls lrviz sees in a run and its curve (the command's ``warning:`` lines)."""
    from lrviz.diagnostics import check_curve, run_findings

    if _is_custom(curve.run.scheduler):
        return []
    return [*run_findings(curve.run), *check_curve(curve)]


def plot(
    curves: Curve | Sequence[Curve],
    *,
    labels: Sequence[str] | None = None,
    log_y: bool = False,
    title: str | None = None,
    momentum: bool = False,
) -> Figure:
    """A matplotlib ``Figure`` of one curve, or of several overlaid (labelled by ``labels``).

    The figure is built on the Agg canvas, without pyplot: show it in a notebook by
    leaving it as a cell's value, or save it with ``fig.savefig("lr.png")``.
    """
    from lrviz.render.plot import build_compare_figure, build_figure

    if isinstance(curves, Curve):
        return build_figure(curves, log_y=log_y, title=title, momentum=momentum)
    return build_compare_figure(compare(list(curves), labels=labels), log_y=log_y, title=title)


def compare(sources: Sequence[Curve | Source], *, labels: Sequence[str] | None = None, **options: Any) -> Comparison:
    """Several schedules aligned on one epoch axis, with where and how much they differ from the first."""
    from lrviz.compare import compare as align

    curves = [s if isinstance(s, Curve) else simulate(s, **options) for s in sources]
    names = list(labels) if labels is not None else [c.run.label for c in curves]
    if len(names) != len(curves):
        raise ConfigError(f"labels: {len(names)} labels for {len(curves)} schedules")
    return align(curves, names)


def check(
    source: Curve | Source,
    *,
    baseline: str | os.PathLike[str] | None = None,
    expect: Mapping[str, Any] | None = None,
    rtol: float = CURVES.rtol,
    atol: float = CURVES.atol,
) -> list[str]:
    """What fails about a schedule: against a baseline CSV lrviz wrote, and ``expect`` (plus the config's).

    ``expect`` takes ``final_lr_below``, ``lr_never_above`` and ``restarts``. An empty list
    means every check passed.
    """
    from lrviz.compare import Tolerance, against_baseline, check_expectations, describe, read_baseline
    from lrviz.config import parse_expectations

    curve = source if isinstance(source, Curve) else simulate(source)
    wanted = {**curve.run.expect, **parse_expectations(expect, "expect")}
    failures = check_expectations(curve, wanted)
    if baseline is not None:
        epochs, values = read_baseline(Path(baseline))
        mismatch = against_baseline(curve, values, epochs, Tolerance(rtol, atol))
        if mismatch is not None:
            failures.insert(0, f"{baseline}: {describe(mismatch)}")
    return failures


def plan_restarts(
    epochs: int, *, t_0: int | None = None, t_mult: int | None = None, max_cycles: int | None = None
) -> list[Candidate]:
    """The (T_0, T_mult) of CosineAnnealingWarmRestarts whose last cycle ends exactly at ``epochs``, useful first."""
    from lrviz.plan import plan_restarts as plan

    return plan(epochs, t_0=t_0, t_mult=t_mult, max_cycles=max_cycles, useful_first=True)


def code(source: Source) -> str:
    """The PyTorch code that builds exactly this optimizer and scheduler and steps it as lrviz does."""
    from lrviz.codegen import pytorch_snippet

    return pytorch_snippet(_run_of(source))


# ---------------------------------------------------------------------------


def _run_of(
    source: Source,
    *,
    key: str | None = None,
    overrides: Mapping[str, Any] | Iterable[str] | None = None,
    options: Mapping[str, Any] | None = None,
) -> RunConfig:
    if isinstance(source, RunConfig):
        if key or overrides or options:
            raise ConfigError("key, overrides and run options apply to a config, not to a run from load()")
        return source
    return load(source, key=key, overrides=overrides, **dict(options or {}))


def _options_layer(options: Mapping[str, Any]) -> Layer | None:
    values: dict[KeyPath, tuple[str, Any]] = {}
    for name, value in options.items():
        if name not in RUN_OPTIONS:
            from lrviz.schedules import suggest

            raise TypeError(f"unexpected keyword argument {name!r}{suggest(name, list(RUN_OPTIONS))}")
        if value is not None:
            values[RUN_OPTIONS[name]] = (name, value)
    return from_flags(values) if values else None


def _dotlist(overrides: Mapping[str, Any] | Iterable[str] | None) -> list[str]:
    """Overrides as OmegaConf's dotlist: ``{"a.b": 1}`` or ``["a.b=1"]`` -> ``["a.b=1"]`` (values as YAML)."""
    if not overrides:
        return []
    if isinstance(overrides, Mapping):
        import json

        return [f"{k}={json.dumps(v)}" for k, v in overrides.items()]
    return [str(item) for item in overrides]


def _is_custom(node: SchedulerConfig) -> bool:
    return any(n.custom for n in node.walk())


def _simulate_factory(factory: SchedulerFactory, *, momentum: bool, **options: Any) -> Curve:
    """Step a scheduler the user built: any object with ``step()``, made for lrviz's dummy optimizer."""
    import lrviz.engine as engine

    built: list[Any] = []

    def build(optimizer: Any) -> Any:
        scheduler = factory(optimizer)
        built.append(scheduler)
        return scheduler

    placeholder = {"scheduler": {"name": "ConstantLR", "factor": 1.0, "total_iters": 1}}
    _options_layer(options)  # unknown keywords first
    if "epochs" not in options:
        raise ConfigError("epochs: give the number of epochs to step a scheduler you built")
    run = load(placeholder, **{"interval": "epoch", **options})
    curve = engine.simulate(run, momentum=momentum, factory=build)
    name = type(built[0]).__name__ if built else "scheduler"
    custom = dataclasses.replace(
        run, scheduler=SchedulerConfig(name, {}, custom=True), label=options.get("label") or name
    )
    return dataclasses.replace(curve, run=custom)

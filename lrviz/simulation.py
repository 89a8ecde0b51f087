"""Loading a run and stepping it: what ``lrviz.load``, ``lrviz.simulate``, ``explain`` and ``diagnose`` do.

``RunOptions`` is the one table of run options as typed keywords (``RUN_OPTIONS`` maps each to its
key in a run; ``tests/api`` holds them equal, and the CLI's flags to both). This module sits below
``lrviz.api`` and ``lrviz.guard`` (the guard builds its plan here), so neither imports the other.
torch is imported only when a run is stepped.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict, Union

from lrviz import frameworks
from lrviz.budget import nesting
from lrviz.config import Layer, from_flags, merge
from lrviz.config.interpolation import needs_resolution, resolve
from lrviz.config.layer import RUN_OPTIONS
from lrviz.diagnostics import check_curve, run_findings
from lrviz.errors import ConfigError, render_options
from lrviz.keys import KeyPath
from lrviz.model import Curve, Finding, RunConfig, SchedulerConfig
from lrviz.reading import build_run, from_document, load_command, load_composed, load_file
from lrviz.reading import explain as explain_lines
from lrviz.schedules import suggest

if TYPE_CHECKING:
    from typing_extensions import Unpack

#: What ``simulate``, ``compare``, ``check`` and ``code`` accept: a run from ``load``, a config
#: file's path, a mapping shaped like one, or (``simulate``) a callable ``optimizer -> scheduler``.
Source = Union[RunConfig, str, "os.PathLike[str]", Mapping[str, Any]]
SchedulerFactory = Callable[[Any], Any]


class RunOptions(TypedDict, total=False):
    """The run options, as the command's flags set them (``lrviz.config.layer.RUN_OPTIONS``)."""

    epochs: int
    steps_per_epoch: int
    lr: float
    optimizer: str
    warmup: float
    warmup_start_factor: float
    dataset_size: int
    batch_size: int
    grad_accum: int
    world_size: int
    interval: str
    accelerate_processes: int
    split_batches: bool
    metrics: Sequence[float]
    label: str
    title: str
    param: str


def load(
    source: str | os.PathLike[str] | Mapping[str, Any] | None = None,
    *,
    key: str | None = None,
    overrides: Mapping[str, Any] | Iterable[str] | None = None,
    dialect: str | None = None,
    config_dir: str | os.PathLike[str] | None = None,
    config_name: str | None = None,
    allow_import: Sequence[str] = (),
    allow_env: Sequence[str] = (),
    allow_exec: bool = False,
    **options: Unpack[RunOptions],
) -> RunConfig:
    """A validated run from a config file (YAML or JSON), a mapping shaped like one, or a Hydra project.

    ``key`` picks the scheduler node in a larger training config (``"model.scheduler"``).
    ``dialect`` names the framework the file is for (``"hf"``, ``"axolotl"``, ``"timm"``, ...) when its
    keys do not say so clearly enough (``lrviz.frameworks.dialect_names()`` lists them).
    ``overrides`` set keys of the document before it is read, as dotted paths:
    ``{"trainer.max_epochs": 100}`` or ``["trainer.max_epochs=100"]``. ``config_dir`` and
    ``config_name`` (instead of ``source``) compose a Hydra project with Hydra itself, as the
    training script sees it (``overrides`` as Hydra's). ``allow_import`` names packages whose own
    scheduler classes may be imported (that runs their code); ``allow_env`` environment variables
    ``${oc.env:...}`` may read. ``allow_exec`` lets an OpenMMLab/mmengine Python config
    (``config.py``) be read: that RUNS the file and its ``_base_`` files (mmengine's
    ``Config.fromfile``); ``overrides`` are then mmengine's ``--cfg-options``. Keyword ``options``
    set the run itself, as the command's flags do (``RunOptions``: ``epochs``, ``steps_per_epoch``,
    ``interval``, ``lr``, ``optimizer``, ..., ``param="weight_decay"`` to record the weight decay
    mmengine's schedulers set, in ``Curve.momenta``, named by ``Curve.second``).

    Raises ``lrviz.ConfigError`` naming the file, line and key of anything invalid.
    """
    over = _options_layer(options)
    if (config_dir is None) != (config_name is None):
        raise ConfigError("config_dir and config_name: give both to compose a Hydra project")
    if config_dir is not None and source is not None:
        raise ConfigError("source: give a config, or config_dir and config_name, not both")
    if source is None and config_dir is None:
        raise ConfigError("source: give a config file, a mapping, or config_dir and config_name")
    layer = read_layer(
        source,
        config_dir=config_dir,
        config_name=config_name,
        key=key,
        sets=_dotlist(overrides),
        allow_import=allow_import,
        allow_env=allow_env,
        allow_exec=allow_exec,
        dialect=dialect,
    )
    run = build_run(layer if over is None else merge(layer, over))
    # notes name keys for library users (the command line spells them as its flags)
    return dataclasses.replace(run, notes=tuple(render_options(n) for n in run.notes))


def read_layer(
    source: str | os.PathLike[str] | Mapping[str, Any] | None = None,
    *,
    command: str | None = None,
    config_dir: str | os.PathLike[str] | None = None,
    config_name: str | None = None,
    key: str | None = None,
    sets: Sequence[str] = (),
    allow_import: Sequence[str] = (),
    allow_env: Sequence[str] = (),
    allow_exec: bool = False,
    dialect: str | None = None,
) -> Layer:
    """The one reader of ``load`` and of a front end's ``lrviz.api.frontend.read_config``: a training
    command (read as ``--command``), a Hydra project (``config_dir``, ``config_name``), a mapping, or a file."""
    allowed, env, dotlist = tuple(allow_import), tuple(allow_env), tuple(sets)
    if command is not None:
        return load_command(command, "--command", dialect=dialect, sets=dotlist)
    if source is None:
        if config_dir is None or config_name is None:
            raise ConfigError("config_dir and config_name: give both to compose a Hydra project")
        return load_composed(
            Path(config_dir), config_name, key, sets=dotlist, allow_import=allowed, allow_env=env, dialect=dialect
        )
    if isinstance(source, Mapping):
        data = dict(source)
        nesting(data, "<config>")
        if dotlist or needs_resolution(data):
            data = resolve(data, list(dotlist), "<config>", {})
        return from_document(data, "<config>", key, allow_import=allowed, dialect=dialect)
    return load_file(
        Path(source), key, sets=dotlist, allow_import=allowed, allow_env=env, dialect=dialect, allow_exec=allow_exec
    )


def simulate(
    source: Source | SchedulerFactory,
    *,
    key: str | None = None,
    overrides: Mapping[str, Any] | Iterable[str] | None = None,
    momentum: bool = False,
    resume_at: int | None = None,
    **options: Unpack[RunOptions],
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
    if callable(source) and not isinstance(source, RunConfig | Mapping | str | os.PathLike):
        return _simulate_factory(source, momentum=momentum, options=dict(options))
    run = run_of(source, key=key, overrides=overrides, options=dict(options))
    adapter = frameworks.for_run(run)
    curve = adapter.simulate(run, momentum=momentum)
    if resume_at is not None:
        curve = dataclasses.replace(curve, resume_at=resume_at, resumed=adapter.simulate_resume(run, resume_at))
    return dataclasses.replace(curve, findings=tuple(diagnose(curve)))


def explain(
    source: Source, *, key: str | None = None, dialect: str | None = None, **options: Unpack[RunOptions]
) -> list[str]:
    """Where every number of the run came from, which dialect was read and why, and what was done with each key.

    The lines ``lrviz render --explain`` prints: the dialect and the keys that decided it, the keys
    read, those that do not affect the LR and those lrviz does not know (framework files), then
    each value with its ``file:line key``, flag or default, and the step arithmetic.
    """
    run = source if isinstance(source, RunConfig) else load(source, key=key, dialect=dialect, **options)
    return explain_lines(run)


def diagnose(curve: Curve) -> list[Finding]:
    """The pitfalls lrviz sees in a run and its curve (the command's ``warning:`` lines)."""
    if _is_custom(curve.run.scheduler):
        return []
    return [*run_findings(curve.run), *check_curve(curve)]


def run_of(
    source: Source,
    *,
    key: str | None = None,
    overrides: Mapping[str, Any] | Iterable[str] | None = None,
    options: Mapping[str, Any] | None = None,
) -> RunConfig:
    """``source`` as a run: a run from ``load`` as it is, anything else loaded with these settings."""
    if isinstance(source, RunConfig):
        if key or overrides or options:
            raise ConfigError("key, overrides and run options apply to a config, not to a run from load()")
        return source
    return load(source, key=key, overrides=overrides, **dict(options or {}))


def _options_layer(options: Mapping[str, Any]) -> Layer | None:
    values: dict[KeyPath, tuple[str, Any]] = {}
    for name, value in options.items():
        if name not in RUN_OPTIONS:
            raise TypeError(f"unexpected keyword argument {name!r}{suggest(name, list(RUN_OPTIONS))}")
        if value is not None:
            values[RUN_OPTIONS[name]] = (name, value)
    return from_flags(values) if values else None


def _dotlist(overrides: Mapping[str, Any] | Iterable[str] | None) -> list[str]:
    """Overrides as OmegaConf's dotlist: ``{"a.b": 1}`` or ``["a.b=1"]`` -> ``["a.b=1"]`` (values as YAML)."""
    if not overrides:
        return []
    if isinstance(overrides, Mapping):
        return [f"{k}={json.dumps(v)}" for k, v in overrides.items()]
    return [str(item) for item in overrides]


def _is_custom(node: SchedulerConfig) -> bool:
    return any(n.custom for n in node.walk())


def _simulate_factory(factory: SchedulerFactory, *, momentum: bool, options: dict[str, Any]) -> Curve:
    """Step a scheduler the user built: any object with ``step()``, made for lrviz's dummy optimizer."""
    from lrviz import engine  # torch

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

"""A NeMo config -> a run, counted in optimizer steps as ``ModelPT.setup_optimization`` counts them.

nemo/core/classes/modelPT.py and nemo/core/optim/lr_scheduler.py of nemo-toolkit 3.0.0:

* ``setup_optimization``: with ``trainer.max_steps`` >= 0, ``sched.max_steps = trainer.max_steps``;
  with ``max_steps`` < 0 (Lightning's default -1) it stores ``t_max_epochs``,
  ``t_accumulate_grad_batches``, ``t_limit_train_batches`` and ``t_num_workers`` (devices x nodes)
  for ``prepare_lr_scheduler``;
* ``prepare_lr_scheduler``: a ``sched.max_steps`` of its own wins (-1: no scheduler); otherwise
  ``compute_max_steps``: ``ceil(N / workers)`` samples, ``/ batch_size`` (floor with ``drop_last``,
  else ceil), capped by ``limit_train_batches``, ``ceil(/ accumulate) x max_epochs``;
* ``interval`` is ``"step"`` except for ``ExponentialLR`` and ``ReduceLROnPlateau``.

Nothing here imports torch or NeMo.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lrviz.config.layer import Layer
from lrviz.config.values import MAX_POINTS, describe_value
from lrviz.errors import ConfigError, option
from lrviz.frameworks._recipe import run_option
from lrviz.frameworks.base import Fields, Inventory
from lrviz.frameworks.nemo.keys import classify
from lrviz.frameworks.nemo.nodes import nemo_sched
from lrviz.model import FrameworkSettings, GroupConfig, OptimizerConfig, RunConfig, SchedulerConfig

#: what ``setup_optimization`` writes into ``sched`` itself
SET_BY_NEMO = ("t_max_epochs", "t_accumulate_grad_batches", "t_limit_train_batches", "t_num_workers")
EPOCH_SCHEDULERS = ("ExponentialLR", "ReduceLROnPlateau")
CAVEATS: dict[str, str] = {}
INVENTORY = Inventory(
    frozenset({"trainer", "model"}),
    frozenset(
        "name exp_manager hydra defaults run cluster_type init_from_nemo_model init_from_pretrained_model "
        "restore_from_path pretrained_model".split()
    ),
    {},
)


@dataclass(frozen=True)
class SchedSettings(FrameworkSettings):
    """The ``sched`` block ``prepare_lr_scheduler`` gets, and the optimizer steps Lightning then takes."""

    sched: Mapping[str, Any]
    steps: int
    warmup: int
    where: dict[str, str] = field(default_factory=dict)


def build(layer: Layer) -> RunConfig:
    """Validate a NeMo layer into a run of the optimizer steps its trainer takes."""

    f = Fields(layer)
    found = nemo_sched(f.doc)
    if found is None:  # detect found it; a --set removed it
        raise ConfigError(f"{f.prefix}no NeMo optim.sched block (sched: {{name: ...}})")
    path, optim = found
    at = tuple(map(str, path))
    name = str(optim["sched"]["name"])
    if name in EPOCH_SCHEDULERS:
        raise ConfigError(
            f"{f.at(*at, 'sched', 'name')}: NeMo steps {name} once per epoch (interval 'epoch'), and lrviz's NeMo "
            "reading steps once per optimizer step; lrviz does not draw it"
        )
    for key in SET_BY_NEMO:
        if key in optim["sched"]:
            raise ConfigError(
                f"{f.at(*at, 'sched', key)}: set by NeMo's setup_optimization from the trainer; remove it"
            )
    keys = classify(f, at, optim["sched"])
    sched, where = keys.sched, keys.where
    lr = _lr(f, at, optim, name)
    trainer = _node(f.doc, "trainer")
    max_steps = _int(f, trainer, "max_steps", -1)
    notes: list[str] = list(keys.notes)
    manager = f.doc.get("exp_manager")
    if isinstance(manager, Mapping) and manager.get("resume_if_exists"):
        notes.append(
            f"{f.at('exp_manager', 'resume_if_exists')}: exp_manager resumes from a checkpoint when one exists: "
            "the run then continues this schedule from its step"
        )
    if max_steps >= 0:
        sched["max_steps"] = max_steps
        steps = max_steps
        epochs = trainer.get("max_epochs")
        geometry = f"trainer.max_steps = {max_steps:,} steps (setup_optimization sets sched.max_steps to it)"
        sized_by = f.at("trainer", "max_steps")
        if isinstance(epochs, int) and not isinstance(epochs, bool) and epochs > 0:
            notes.append(
                f"{f.at('trainer', 'max_epochs')}: Lightning also stops after max_epochs {epochs} passes over the "
                f"data: if the data runs out first the run ends before step {max_steps:,}"
            )
    elif sched.get("max_steps") is not None:
        steps = _int(f, sched, "max_steps", -1, at=(*at, "sched"))
        if steps < 0:
            raise ConfigError(
                f"{f.at(*at, 'sched', 'max_steps')}: NeMo builds no scheduler with sched.max_steps -1 (a constant LR); "
                "lrviz draws NeMo schedules"
            )
        geometry = f"sched.max_steps = {steps:,} steps (trainer.max_steps < 0 leaves the block's own)"
        sized_by = f.at(*at, "sched", "max_steps")
    else:
        steps, geometry = _from_epochs(f, trainer, name)
        sched["max_steps"] = steps  # what prepare_lr_scheduler's compute_max_steps gives it
        sized_by = f.at("trainer", "max_epochs")
    if steps < 1:
        raise ConfigError(f"{f.prefix}a NeMo run of {steps} optimizer steps draws nothing")
    if steps > MAX_POINTS:
        raise ConfigError(
            f"{sized_by}: {steps:,} steps is more than the limit of {MAX_POINTS:,} (raise the limit with "
            "LRVIZ_MAX_POINTS=N if the run needs it)"
        )
    warmup = sched.get("warmup_steps")
    if warmup is None and isinstance(sched.get("warmup_ratio"), int | float):
        warmup = int(sched["warmup_ratio"] * sched.get("max_steps", steps))
    shown = {k: v for k, v in sched.items() if k != "name"}
    label = layer.data.get("label")
    title = layer.data.get("title")
    return RunConfig(
        scheduler=SchedulerConfig(name, shown, family="nemo"),
        optimizer=OptimizerConfig("AdamW", lr, {}, (GroupConfig("group 0", lr, {}),)),
        epochs=steps,
        steps_per_epoch=1,
        interval="step",
        label=str(label) if label is not None else (Path(f.origin).stem if f.origin != "flags" else "nemo"),
        title=title if isinstance(title, str) else None,
        geometry=geometry,
        unit="step",
        notes=tuple(notes),
        accounting=keys.lines,
        settings=SchedSettings(sched, steps, int(warmup or 0), where),
    )


def _from_epochs(f: Fields, trainer: Mapping[str, Any], name: str) -> tuple[int, str]:
    """``compute_max_steps`` over the train dataloader, as ``prepare_lr_scheduler`` calls it."""
    epochs = trainer.get("max_epochs")
    if epochs is None or epochs == -1:
        raise ConfigError(
            f"{f.at('trainer')}: a NeMo {name} schedule with neither trainer.max_steps nor max_epochs: Lightning "
            "trains until stopped and NeMo sizes no schedule; set trainer.max_steps=N"
        )
    epochs = _int(f, trainer, "max_epochs", 1)
    dataset = run_option(f, "dataset_size")
    if dataset is None:
        raise ConfigError(
            f"{f.at('trainer', 'max_epochs')}: a NeMo {name} schedule sized by max_epochs {epochs}: NeMo counts "
            f"the steps from the train dataloader (compute_max_steps); pass {option('dataset_size')} N (the "
            "training samples), or set trainer.max_steps=N"
        )
    train_ds = _node(_node(f.doc, "model"), "train_ds")
    batch = train_ds.get("batch_size")
    if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
        raise ConfigError(
            f"{f.at('model', 'train_ds', 'batch_size')}: NeMo divides the samples by the train dataloader's "
            f"batch_size, which this file does not set to a number ({describe_value(batch)})"
        )
    drop_last = bool(train_ds.get("drop_last", False))
    accumulate = _int(f, trainer, "accumulate_grad_batches", 1)
    workers = _devices(f, trainer) * _int(f, trainer, "num_nodes", 1)
    limit = trainer.get("limit_train_batches", 1.0)
    per_worker = math.ceil(dataset / max(1, workers))
    batches = (math.floor if drop_last else math.ceil)(per_worker / batch)
    if isinstance(limit, int) and not isinstance(limit, bool) or limit == 0.0:
        batches = min(batches, int(limit))
    else:
        batches = int(batches * float(limit))
    steps = math.ceil(batches / accumulate) * epochs
    text = (
        f"compute_max_steps: {dataset:,} samples / {workers} workers = {per_worker:,} (ceil) / batch_size {batch} = "
        f"{batches:,} batches ({'floor, drop_last' if drop_last else 'ceil'}"
        + (f", limit_train_batches {limit}" if limit != 1.0 else "")
        + f"); ceil(/ accumulate {accumulate}) x max_epochs {epochs} = {steps:,} steps"
    )
    return steps, text


def _devices(f: Fields, trainer: Mapping[str, Any]) -> int:
    """Lightning's device count as NeMo's ``t_num_workers`` takes it (``trainer.num_devices``): a count or a list.

    ``-1`` and ``"auto"`` are every device the machine has, known only when the run starts."""
    devices = trainer.get("devices", 1)
    if isinstance(devices, str) and devices.strip().isdigit():
        devices = int(devices)
    elif isinstance(devices, str) and "," in devices:
        devices = [d for d in devices.split(",") if d.strip()]
    if isinstance(devices, list) and devices:
        return len(devices)
    if isinstance(devices, int) and not isinstance(devices, bool) and devices > 0:
        return devices
    raise ConfigError(
        f"{f.at('trainer', 'devices')}: {devices!r} is every GPU of the machine the run starts on, and NeMo "
        "divides the samples by devices x num_nodes (compute_max_steps): give the count, "
        f"{option('overrides')} trainer.devices=N"
    )


def _lr(f: Fields, at: tuple[str, ...], optim: Mapping[str, Any], name: str) -> float:
    lr = optim.get("lr")
    if isinstance(lr, str):
        try:
            lr = float(lr)
        except ValueError:
            lr = None
    if isinstance(lr, bool) or not isinstance(lr, int | float) or not math.isfinite(lr) or lr <= 0:
        raise ConfigError(
            f"{f.at(*at, 'lr')}: NeMo's {name} scales the optimizer's LR, optim.lr, which this file does not set to "
            f"a number ({option('overrides')} {'.'.join((*at, 'lr'))}=VALUE)"
        )
    return float(lr)


def _int(f: Fields, node: Mapping[str, Any], key: str, default: int, at: tuple[str, ...] = ("trainer",)) -> int:
    value = node.get(key, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{f.at(*at, key)}: expected a whole number, got {describe_value(value)}")
    return value


def _node(node: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = node.get(key)
    return value if isinstance(value, Mapping) else {}


def settings(run: RunConfig) -> SchedSettings:
    """The run's NeMo settings (``run.settings``, typed)."""
    if not isinstance(run.settings, SchedSettings):
        raise TypeError(f"not a NeMo run: {run.scheduler.describe()}")
    return run.settings

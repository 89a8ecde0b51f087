"""An ESPnet training config (``scheduler``, ``scheduler_conf``, ``optim``, ``optim_conf``, ...) -> a run.

What ESPnet does with it (espnet 202511, ``espnet2/tasks/abs_task.py`` and ``espnet2/train/trainer.py``):

* ``optim`` (default ``adadelta``) and ``scheduler`` (default none) are lower-cased names looked up
  in ``optim_classes`` / ``scheduler_classes``; ``optim_conf`` / ``scheduler_conf`` are passed as
  keyword arguments: ``scheduler_classes[name](optimizer, **scheduler_conf)`` (abs_task.py 1442-1449);
* ``train_one_epoch`` calls ``optimizer.step()`` every ``accum_grad`` batches
  (``iiter % accum_grad == 0``, counting from 1 in each epoch) and then ``scheduler.step()`` if the
  scheduler is an ``AbsBatchStepScheduler`` (trainer.py 773-787); after each epoch's validation,
  an ``AbsEpochStepScheduler`` gets ``scheduler.step()`` (trainer.py 380-386);
* the run has ``max_epoch`` epochs (default 40) of ``num_iters_per_epoch`` batches when that is set;
  otherwise as many as the data has (``--steps-per-epoch``, counted in optimizer steps).

So point k is the LR optimizer step k uses. Which base a class has is the class's own
(``espnet2.schedulers.abs_scheduler`` registers torch's); ``SCHEDULERS`` records it for reading,
and ``tests/frameworks/espnet`` checks it, and the names, against the installed espnet.
Nothing here imports espnet or torch.
"""

from __future__ import annotations

import importlib.util
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lrviz.config.interpolation import take
from lrviz.config.layer import Layer
from lrviz.config.values import MAX_POINTS, describe_value
from lrviz.errors import ConfigError, option
from lrviz.frameworks.base import Fields
from lrviz.model import FrameworkSettings, GroupConfig, OptimizerConfig, RunConfig, SchedulerConfig
from lrviz.schedules import suggest


@dataclass(frozen=True)
class EspnetSettings(FrameworkSettings):
    """The scheduler as ``build_schedulers`` builds it, and the trainer's epoch geometry."""

    name: str  # the key in scheduler_classes (lower case)
    module: str
    cls: str
    conf: dict[str, Any] = field(default_factory=dict)
    accum_grad: int = 1
    batches: int | None = None  # num_iters_per_epoch
    #: where each argument came from, so the class's own rejection names the file, line and key
    where: dict[str, str] = field(default_factory=dict)


#: ``scheduler_classes`` of espnet2/tasks/abs_task.py 165-186 (lower-cased keys): module, class, how it steps.
SCHEDULERS: dict[str, tuple[str, str, str]] = {
    "reducelronplateau": ("torch.optim.lr_scheduler", "ReduceLROnPlateau", "validation"),
    "lambdalr": ("torch.optim.lr_scheduler", "LambdaLR", "epoch"),
    "steplr": ("torch.optim.lr_scheduler", "StepLR", "epoch"),
    "multisteplr": ("torch.optim.lr_scheduler", "MultiStepLR", "epoch"),
    "exponentiallr": ("torch.optim.lr_scheduler", "ExponentialLR", "epoch"),
    "cosineannealinglr": ("torch.optim.lr_scheduler", "CosineAnnealingLR", "epoch"),
    "noamlr": ("espnet2.schedulers.noam_lr", "NoamLR", "batch"),
    "warmuplr": ("espnet2.schedulers.warmup_lr", "WarmupLR", "batch"),
    "piecewiselinearwarmuplr": ("espnet2.schedulers.piecewise_linear_warmup_lr", "PiecewiseLinearWarmupLR", "batch"),
    "warmupsteplr": ("espnet2.schedulers.warmup_step_lr", "WarmupStepLR", "batch"),
    "warmupreducelronplateau": ("espnet2.schedulers.warmup_reducelronplateau", "WarmupReduceLROnPlateau", "validation"),
    "cycliclr": ("torch.optim.lr_scheduler", "CyclicLR", "batch"),
    "onecyclelr": ("torch.optim.lr_scheduler", "OneCycleLR", "batch"),
    "cosineannealingwarmrestarts": ("torch.optim.lr_scheduler", "CosineAnnealingWarmRestarts", "batch"),
    "cosineannealingwarmuprestarts": (
        "espnet2.schedulers.cosine_anneal_warmup_restart",
        "CosineAnnealingWarmupRestarts",
        "batch",
    ),
    "tristagelr": ("espnet2.schedulers.tristage_lr", "TristageLR", "batch"),
    "exponentialdecaywarmup": ("espnet2.schedulers.exponential_decay_warmup", "ExponentialDecayWarmup", "batch"),
}

#: ``optim_classes`` (abs_task.py 105-121, lower-cased) -> the torch class, and the lr it defaults to:
#: torch's own default, or 0.1 for ESPnet's SGD (espnet2/optimizers/sgd.py binds it).
OPTIMIZERS: dict[str, tuple[str, float]] = {
    "adam": ("Adam", 1e-3),
    "adamw": ("AdamW", 1e-3),
    "sgd": ("SGD", 0.1),
    "adadelta": ("Adadelta", 1.0),
    "adagrad": ("Adagrad", 1e-2),
    "adamax": ("Adamax", 2e-3),
    "asgd": ("ASGD", 1e-2),
    "rmsprop": ("RMSprop", 1e-2),
    "rprop": ("Rprop", 1e-2),
    "radam": ("RAdam", 1e-3),
}


def build(layer: Layer) -> RunConfig:
    """Validate an ESPnet layer into a run of max_epoch epochs of optimizer steps."""
    f = Fields(layer)
    notes: list[str] = []
    raw = take(f.doc.get("scheduler"), f.at("scheduler"))
    if importlib.util.find_spec("espnet2") is None:
        raise ConfigError(
            f"{f.at('scheduler')}: an ESPnet config (scheduler: {raw}) is stepped with ESPnet's own scheduler "
            "classes: pip install 'lrviz[espnet]' (or pip install --no-deps espnet typeguard)"
        )
    if raw is None or (isinstance(raw, str) and raw.lower() == "none"):
        raise ConfigError(
            f"{f.at('scheduler')}: no scheduler: ESPnet trains at the optimizer's constant lr; there is no "
            "schedule to draw"
        )
    name = str(raw).lower()
    if name not in SCHEDULERS:
        raise ConfigError(
            f"{f.at('scheduler')}: not one of ESPnet's scheduler_classes{suggest(name, list(SCHEDULERS))}; "
            f"one of {', '.join(SCHEDULERS)}"
        )
    module, cls, kind = SCHEDULERS[name]
    if kind == "validation":
        raise ConfigError(
            f"{f.at('scheduler')}: {cls} steps on the validation criterion (val_scheduler_criterion) each epoch; "
            "lrviz does not know the run's validation scores, so it refuses to draw a curve the run may not follow"
        )
    if name == "lambdalr":
        raise ConfigError(f"{f.at('scheduler')}: LambdaLR needs lr_lambda, a function a YAML config cannot hold")
    conf = take(f.doc.get("scheduler_conf") or {}, f.at("scheduler_conf"))
    if not isinstance(conf, Mapping):
        raise ConfigError(f"{f.at('scheduler_conf')}: expected a mapping, got {describe_value(conf)}")
    optimizer, lr = _optimizer(f, notes)
    accum = _positive(f, "accum_grad", 1)
    max_epoch = _positive(f, "max_epoch", 40)
    batches = _positive(f, "num_iters_per_epoch", None) if f.given("num_iters_per_epoch") else None
    updates = _updates(layer, f, kind, accum, batches, notes)
    if f.origin != "flags":
        defaults = [f"{k}={v}" for k, v in (("max_epoch", 40), ("accum_grad", 1)) if not f.given(k)]
        if defaults:
            notes.append(f"{f.prefix}not set, ESPnet's defaults: {', '.join(defaults)}")
    if max_epoch * updates > MAX_POINTS:
        raise ConfigError(
            f"{f.prefix}{max_epoch * updates:,} steps is more than the limit of {MAX_POINTS:,} (raise the limit with "
            "LRVIZ_MAX_POINTS=N if the run needs it)"
        )
    where = {"": f.at("scheduler_conf"), **{str(k): f.at("scheduler_conf", str(k)) for k in conf}}
    label = layer.data.get("label")
    title = layer.data.get("title")
    return RunConfig(
        scheduler=SchedulerConfig(cls, dict(conf), family="espnet"),
        optimizer=OptimizerConfig(optimizer, lr, {}, (GroupConfig("group 0", lr, {}),)),
        epochs=max_epoch,
        steps_per_epoch=updates,
        interval="step" if kind == "batch" else "epoch",
        label=str(label) if label is not None else Path(f.origin).stem,
        title=title if isinstance(title, str) else None,
        geometry=f"max_epoch {max_epoch:,} x {updates:,} optimizer steps"
        + (f" (num_iters_per_epoch {batches:,} // accum_grad {accum})" if batches is not None else ""),
        notes=tuple(notes),
        settings=EspnetSettings(name, module, cls, dict(conf), accum, batches, where),
    )


def _optimizer(f: Fields, notes: list[str]) -> tuple[str, float]:
    raw = take(f.doc.get("optim", "adadelta"), f.at("optim"))
    name = str(raw).lower()
    if name not in OPTIMIZERS:
        raise ConfigError(
            f"{f.at('optim')}: not an optimizer lrviz can stand in for{suggest(name, list(OPTIMIZERS))}; one of "
            f"{', '.join(OPTIMIZERS)} (torch_optimizer's are not)"
        )
    torch_name, default = OPTIMIZERS[name]
    conf = take(f.doc.get("optim_conf") or {}, f.at("optim_conf"))
    if not isinstance(conf, Mapping):
        raise ConfigError(f"{f.at('optim_conf')}: expected a mapping, got {describe_value(conf)}")
    if not f.given("optim"):
        notes.append(f"{f.prefix}no optim: ESPnet's default is adadelta (lr 1.0 unless optim_conf.lr)")
    lr = conf.get("lr")
    if lr is None:
        notes.append(f"{f.at('optim_conf')}: no lr: {torch_name}'s default {default:g}, which the scheduler scales")
        return torch_name, default
    if isinstance(lr, bool) or not isinstance(lr, int | float) or not math.isfinite(lr) or lr < 0:
        raise ConfigError(f"{f.at('optim_conf', 'lr')}: expected a number >= 0, got {describe_value(lr)}")
    return torch_name, float(lr)


def _positive(f: Fields, key: str, default: int | None) -> int:
    value = take(f.doc.get(key, default), f.at(key))
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{f.at(key)}: expected an integer >= 1, got {describe_value(value)}")
    return value


def _updates(layer: Layer, f: Fields, kind: str, accum: int, batches: int | None, notes: list[str]) -> int:
    """Optimizer steps per epoch: ``num_iters_per_epoch // accum_grad``, or ``--steps-per-epoch``."""
    given = f.override("steps_per_epoch")
    if given is not None:
        if isinstance(given, bool) or not isinstance(given, int) or given < 1:
            raise ConfigError(
                f"{f.override_at('steps_per_epoch')}: expected an integer >= 1, got {describe_value(given)}"
            )
        if batches is not None:
            raise ConfigError(
                f"{f.override_at('steps_per_epoch')}: the config sets num_iters_per_epoch ({batches}); change "
                f"that instead ({option('overrides')} num_iters_per_epoch=N)"
            )
        return given
    if batches is not None:
        if batches < accum:
            raise ConfigError(
                f"{f.at('num_iters_per_epoch')}: {batches} batches per epoch is fewer than accum_grad {accum}: "
                "no optimizer step would run"
            )
        return batches // accum
    if kind == "batch":
        name = str(f.doc["scheduler"])
        raise ConfigError(
            f"{f.at('scheduler')}: an ESPnet scheduler (scheduler: {name}, ESPnet's "
            f"{SCHEDULERS[name.lower()][1]}) steps after every optimizer step, and the config does not say how "
            "many an epoch has (no num_iters_per_epoch: it is the data's length / accum_grad); give them with "
            f"{option('steps_per_epoch')} N"
        )
    notes.append(
        f"{f.prefix}the scheduler steps once per epoch: drawn one point per epoch (give "
        f"{option('steps_per_epoch')} N to see each optimizer step)"
    )
    return 1


def settings(run: RunConfig) -> EspnetSettings:
    """The run's ESPnet settings (``run.settings``, typed)."""
    if not isinstance(run.settings, EspnetSettings):
        raise TypeError(f"not an ESPnet run: {run.scheduler.describe()}")
    return run.settings


__all__ = ["OPTIMIZERS", "SCHEDULERS", "EspnetSettings", "build", "settings"]

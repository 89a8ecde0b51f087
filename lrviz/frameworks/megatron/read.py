"""Megatron-LM's launch flags (``pretrain_gpt.py --lr ... --lr-decay-style cosine``) -> a run.

The flags and their defaults are Megatron-LM's (``megatron/training/arguments.py``
``_add_learning_rate_args``/``_add_regularization_args`` and the ``SchedulerConfig``/``TrainingConfig``
dataclasses of ``megatron/training/config/training_config.py`` at NVIDIA/Megatron-LM d98e8a64; the
megatron-core package does not ship them). What Megatron computes before building its
``OptimizerParamScheduler`` is done the same way (``training.py`` 2553-2606,
``get_optimizer_param_scheduler``; ``update_train_iters`` 2155-2176; ``validate_args`` 1276-1302,
1394-1400):

* the scheduler counts **samples**: one iteration advances it by the global batch size
  (``increment = num_microbatches x micro_batch_size x data_parallel_size``, training.py 3217-3223);
* ``--train-iters``: ``lr_decay_steps = (lr_decay_iters or train_iters) x global_batch_size``,
  warmup ``lr_warmup_fraction x lr_decay_steps`` or ``lr_warmup_iters x global_batch_size``,
  ``wd_incr_steps = train_iters x global_batch_size``, ``wsd_decay_steps = lr_wsd_decay_iters x gbs``;
* ``--train-samples``: ``train_iters = train_samples // global_batch_size``, ``lr_decay_steps =
  lr_decay_samples or train_samples``, warmup ``fraction x lr_decay_steps`` or ``lr_warmup_samples``;
* ``global_batch_size`` defaults to ``micro_batch_size x data_parallel_size``, the world size over
  tensor x pipeline x context parallel sizes (arguments.py 693-705);
* ``start/end_weight_decay`` default to ``weight_decay``.

Nothing here imports megatron or torch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from lrviz.config.layer import Layer
from lrviz.config.values import MAX_POINTS, describe_value
from lrviz.errors import ConfigError, option
from lrviz.frameworks.base import Fields, require
from lrviz.model import FrameworkSettings, GroupConfig, OptimizerConfig, RunConfig, SchedulerConfig
from lrviz.schedules import suggest


@dataclass(frozen=True)
class MegatronSettings(FrameworkSettings):
    """The arguments ``get_optimizer_param_scheduler`` passes to ``OptimizerParamScheduler``, and the increment."""

    init_lr: float
    max_lr: float
    min_lr: float
    lr_warmup_steps: float
    lr_decay_steps: int
    lr_decay_style: str
    start_wd: float
    end_wd: float
    wd_incr_steps: int
    wd_incr_style: str
    wsd_decay_steps: int | None
    lr_wsd_decay_style: str
    increment: int  # samples per iteration: the global batch size
    train_iters: int
    by_samples: bool
    where: dict[str, str] = field(default_factory=dict)
    #: what is recorded beside the LR: ``momentum`` (Adam's beta1), or ``weight_decay`` (``--param weight_decay``)
    second: str = "momentum"
    #: why the global batch may change during the run ("" when it cannot): no constant samples per iteration
    batch_varies: str = ""


STYLES = ("constant", "linear", "cosine", "inverse-square-root", "WSD")
WSD_STYLES = ("exponential", "linear", "cosine", "minus_sqrt")
#: (key, kind, default): Megatron-LM's flags read here, with its defaults.
ARGS: tuple[tuple[str, str, Any], ...] = (
    ("lr", "float", None),
    ("min_lr", "float", 0.0),
    ("lr_decay_style", "str", "linear"),
    ("lr_wsd_decay_style", "str", "exponential"),
    ("lr_decay_iters", "int", None),
    ("lr_decay_samples", "int", None),
    ("lr_wsd_decay_iters", "int", None),
    ("lr_wsd_decay_samples", "int", None),
    ("lr_warmup_fraction", "float", None),
    ("lr_warmup_iters", "int", 0),
    ("lr_warmup_samples", "int", 0),
    ("lr_warmup_init", "float", 0.0),
    ("train_iters", "int", None),
    ("train_samples", "int", None),
    ("global_batch_size", "int", None),
    ("micro_batch_size", "int", None),
    ("tensor_model_parallel_size", "int", 1),
    ("pipeline_model_parallel_size", "int", 1),
    ("context_parallel_size", "int", 1),
    ("weight_decay", "float", 0.01),
    ("start_weight_decay", "float", None),
    ("end_weight_decay", "float", None),
    ("weight_decay_incr_style", "str", "constant"),
)


def build(layer: Layer) -> RunConfig:
    """Validate a Megatron layer into a run counted in iterations."""
    require("megatron.core", "megatron")
    f = Fields(layer)
    a = {key: _value(f, key, kind, default) for key, kind, default in ARGS}
    notes: list[str] = []
    second = layer.data.get("param") or "momentum"
    if second not in ("momentum", "weight_decay"):
        raise ConfigError(f"{f.override_at('param')}: one of lr, momentum, weight_decay, got {describe_value(second)}")
    if a["lr"] is None:
        raise ConfigError(f"{f.prefix}--lr is not set: Megatron has no default learning rate; give --lr")
    for key, choices in (
        ("lr_decay_style", STYLES),
        ("lr_wsd_decay_style", WSD_STYLES),
        ("weight_decay_incr_style", ("constant", "linear", "cosine")),
    ):
        if a[key] not in choices:
            raise ConfigError(
                f"{f.at(key)}: expected one of {', '.join(choices)}{suggest(str(a[key]), choices)}, got {a[key]!r}"
            )
    gbs = a["global_batch_size"]
    world = layer.data.get("world_size")
    if gbs is None:
        if a["micro_batch_size"] is None:
            raise ConfigError(
                f"{f.prefix}--global-batch-size and --micro-batch-size are not set: Megatron needs one; give --global-batch-size"
            )
        if world is None:
            raise ConfigError(
                f"{f.at('micro_batch_size')}: without --global-batch-size Megatron uses micro_batch_size x the data "
                f"parallel size, which needs the world size: give {option('world_size')} N or --global-batch-size"
            )
        model_parallel = (
            a["tensor_model_parallel_size"] * a["pipeline_model_parallel_size"] * a["context_parallel_size"]
        )
        if world % model_parallel:
            raise ConfigError(
                f"{f.override_at('world_size')}: world size {world} is not divisible by tensor x pipeline x context parallel = {model_parallel}"
            )
        gbs = a["micro_batch_size"] * (world // model_parallel)
        notes.append(
            f"global batch size = micro_batch_size {a['micro_batch_size']} x data parallel {world // model_parallel} = {gbs} (Megatron's default)"
        )
    by_samples = not a["train_iters"]
    # validate_args (arguments.py 1276-1302): the iteration and sample options do not mix
    if a["train_iters"]:
        for key, bad in (
            ("train_samples", a["train_samples"] is not None),
            ("lr_decay_samples", a["lr_decay_samples"] is not None),
            ("lr_warmup_samples", a["lr_warmup_samples"] != 0),
        ):
            if bad:
                raise ConfigError(
                    f"{f.at(key)}: Megatron refuses it with --train-iters (expected iteration-based training); use the -iters form"
                )
        if a["lr_warmup_fraction"] is not None and a["lr_warmup_iters"] != 0:
            raise ConfigError(
                f"{f.at('lr_warmup_fraction')}: Megatron takes one of --lr-warmup-fraction and --lr-warmup-iters"
            )
        train_iters = a["train_iters"]
        decay_iters = a["lr_decay_iters"] if a["lr_decay_iters"] is not None else train_iters
        decay_steps = decay_iters * gbs
        wd_steps = train_iters * gbs
        wsd = a["lr_wsd_decay_iters"] * gbs if a["lr_wsd_decay_iters"] is not None else None
        warmup: float = (
            a["lr_warmup_fraction"] * decay_steps if a["lr_warmup_fraction"] is not None else a["lr_warmup_iters"] * gbs
        )
        geometry = f"samples: {train_iters:,} iterations x global batch {gbs:,}; decay over {decay_iters:,} iterations = {decay_steps:,} samples"
    elif a["train_samples"]:
        for key, bad in (
            ("lr_decay_iters", a["lr_decay_iters"] is not None),
            ("lr_warmup_iters", a["lr_warmup_iters"] != 0),
        ):
            if bad:
                raise ConfigError(
                    f"{f.at(key)}: Megatron refuses it with --train-samples (expected sample-based training); use the -samples form"
                )
        if a["lr_warmup_fraction"] is not None and a["lr_warmup_samples"] != 0:
            raise ConfigError(
                f"{f.at('lr_warmup_fraction')}: Megatron takes one of --lr-warmup-fraction and --lr-warmup-samples"
            )
        train_iters = a["train_samples"] // gbs
        decay_steps = a["lr_decay_samples"] if a["lr_decay_samples"] is not None else a["train_samples"]
        wd_steps = a["train_samples"]
        wsd = a["lr_wsd_decay_samples"]
        warmup = (
            a["lr_warmup_fraction"] * decay_steps if a["lr_warmup_fraction"] is not None else a["lr_warmup_samples"]
        )
        geometry = f"iterations: train_samples {a['train_samples']:,} // global batch {gbs:,} = {train_iters:,} (Megatron's update_train_iters)"
    else:
        raise ConfigError(f"{f.prefix}either --train-iters or --train-samples should be provided (Megatron's own rule)")
    if a["lr_decay_style"] == "WSD" and wsd is None:
        raise ConfigError(f"{f.at('lr_decay_style')}: WSD needs --lr-wsd-decay-{'samples' if by_samples else 'iters'}")
    if train_iters < 1:
        raise ConfigError(
            f"{f.at('train_samples')}: {a['train_samples']} samples make no iteration of global batch {gbs}"
        )
    if train_iters > MAX_POINTS:
        raise ConfigError(
            f"{f.at('train_iters' if not by_samples else 'train_samples')}: {train_iters:,} iterations is more than {MAX_POINTS:,} values (raise the limit with LRVIZ_MAX_POINTS=N if the run needs it)"
        )
    start_wd, end_wd = a["start_weight_decay"], a["end_weight_decay"]
    if a["weight_decay_incr_style"] == "constant":
        start_wd = end_wd = a["weight_decay"]
    elif start_wd is None or end_wd is None:
        raise ConfigError(
            f"{f.at('weight_decay_incr_style')}: a {a['weight_decay_incr_style']} weight decay needs --start-weight-decay and --end-weight-decay"
        )
    for key in ("lr_decay_style", "min_lr"):
        if not f.given(key):
            notes.append(f"{key} is not set: Megatron's default is {a[key]}")
    settings = MegatronSettings(
        init_lr=a["lr_warmup_init"],
        max_lr=a["lr"],
        min_lr=a["min_lr"],
        lr_warmup_steps=warmup,
        lr_decay_steps=decay_steps,
        lr_decay_style=a["lr_decay_style"],
        start_wd=start_wd,
        end_wd=end_wd,
        wd_incr_steps=wd_steps,
        wd_incr_style=a["weight_decay_incr_style"],
        wsd_decay_steps=wsd,
        lr_wsd_decay_style=a["lr_wsd_decay_style"],
        increment=gbs,
        train_iters=train_iters,
        by_samples=by_samples,
        second=second,
        batch_varies=_batch_varies(f),
        where={
            "": f.at("lr_decay_style"),
            "lr_warmup_steps": f.at("lr_warmup_iters"),
            "lr_decay_steps": f.at("lr_decay_iters"),
            "min_lr": f.at("min_lr"),
            "max_lr": f.at("lr"),
            "init_lr": f.at("lr_warmup_init"),
        },
    )
    shown = {"lr_warmup_steps": warmup, "lr_decay_steps": decay_steps, "increment": gbs}
    if a["min_lr"]:
        shown["min_lr"] = a["min_lr"]
    sources = tuple((key, str(a[key]), f.source(key)) for key, _, _ in ARGS if f.given(key))
    label = layer.data.get("label")
    title = layer.data.get("title")
    return RunConfig(
        scheduler=SchedulerConfig(a["lr_decay_style"], shown, family="megatron"),
        optimizer=OptimizerConfig(
            "AdamW", float(a["lr"]), {"weight_decay": start_wd}, (GroupConfig("group 0", float(a["lr"]), {}),)
        ),
        epochs=train_iters,
        steps_per_epoch=1,
        interval="step",
        label=str(label) if label is not None else f.origin.rsplit("/", 1)[-1].removesuffix(".sh"),
        title=title if isinstance(title, str) else None,
        geometry=geometry,
        unit="step",
        notes=tuple(notes),
        settings=settings,
        sources=sources,
    )


#: Megatron arguments that change the global batch during the run (``keys`` refuses or notes each).
_BATCH_CHANGES = {
    "rampup_batch_size": "it ramps up (--rampup-batch-size)",
    "step_batch_size_schedule": "it follows --step-batch-size-schedule",
    "decrease_batch_size_if_needed": "--decrease-batch-size-if-needed may lower it at run time",
}


def _batch_varies(f: Fields) -> str:
    """Why the run's global batch may not be the same every iteration, or ""."""
    for key, why in _BATCH_CHANGES.items():
        if f.doc.get(key) not in (None, False):
            return f"{f.at(key)}: the global batch is not the same every iteration: {why}"
    return ""


def _value(f: Fields, key: str, kind: str, default: Any) -> Any:
    value = f.doc.get(key, default)
    if value is None:
        return None
    where = f.at(key)
    if kind == "str":
        return str(value)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigError(f"{where}: expected a number, got {describe_value(value)}")
    if kind == "int":
        if not float(value).is_integer():
            raise ConfigError(f"{where}: expected an integer (Megatron's type is int), got {value!r}")
        value = int(value)
        if value < 0:
            raise ConfigError(f"{where}: must be >= 0, got {value}")
        return value
    if value < 0:
        raise ConfigError(f"{where}: must be >= 0, got {value!r}")
    return float(value)


def settings(run: RunConfig) -> MegatronSettings:
    """The run's Megatron settings (``run.settings``, typed)."""
    if not isinstance(run.settings, MegatronSettings):
        raise TypeError(f"not a Megatron run: {run.scheduler.describe()}")
    return run.settings

"""timm ``train.py`` arguments (its ``args.yaml``, or ``lrviz timm`` flags) -> a run.

Defaults are train.py's argparse defaults (``timm_train.py`` 142-263, 365, 389 of
pytorch-image-models at aa4b5850), since an ``args.yaml`` is a dump of them. What
train.py computes before building the scheduler is done the same way here:

* ``lr``: when null, ``lr_base * (batch_size * world_size * grad_accum_steps / lr_base_size)``,
  square-rooted for ``lr_base_scale: sqrt`` (the default when ``opt`` contains ``ada`` or
  ``lamb``) (train.py 837-849);
* ``updates_per_epoch = ceil(len(loader_train) / grad_accum_steps)`` (train.py 1078); the
  training loader drops its last incomplete batch (``timm/data/loader.py``: ``drop_last=is_training``)
  and each rank gets ``ceil(dataset / world_size)`` samples (DistributedSampler pads). Only
  ``sched_on_updates`` needs it; then the run has one point per update.

The scheduler itself, and the number of epochs train.py loops over (``num_epochs`` as
returned by ``create_scheduler_v2``: epochs + cooldown, + warmup with ``warmup_prefix``),
come from timm when the run is stepped (``lrviz.frameworks``). Nothing here imports timm.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lrviz.config.layer import Layer
from lrviz.config.values import MAX_POINTS, describe_value, read_metrics
from lrviz.errors import ConfigError, option
from lrviz.frameworks.base import Fields, require
from lrviz.model import FrameworkSettings, GroupConfig, OptimizerConfig, RunConfig, SchedulerConfig
from lrviz.schedules import suggest


@dataclass(frozen=True)
class TimmSettings(FrameworkSettings):
    """train.py's arguments as ``scheduler_kwargs`` reads them, and what train.py computes before the call."""

    args: Mapping[str, Any] = field(default_factory=dict)
    updates_per_epoch: int = 0
    decreasing_metric: bool = False
    lr_assumed: str | None = None  # how train.py fills in `lr: null`
    noise: str | None = None  # lr_noise: one seeded draw
    #: where each argument came from, so timm's own rejection names the file, line and key
    where: dict[str, str] = field(default_factory=dict)


#: ``create_scheduler_v2``'s names (timm 1.0.31 ``scheduler_factory.py`` 66-294; ``none`` keeps the LR).
SCHEDULERS = ("cosine", "tanh", "step", "multistep", "plateau", "poly", "wsd", "rsqrt", "constant", "none")

#: train.py arguments read here: (key, kind, default, flag help). The same table makes ``lrviz timm``'s flags.
ARGS: tuple[tuple[str, str, Any, str], ...] = (
    ("epochs", "int", 300, "Epochs to train (before cooldown)."),
    ("lr", "float_or_none", None, "Learning rate; when unset, lr_base scaled by the global batch size."),
    ("lr_base", "float", 0.1, "Base LR at lr_base_size samples per step."),
    ("lr_base_size", "int", 256, "Batch size lr_base is given for."),
    ("lr_base_scale", "str", "", "linear or sqrt (default: sqrt for ada*/lamb optimizers, else linear)."),
    ("batch_size", "int", 128, "Batch size per rank."),
    ("grad_accum_steps", "int", 1, "Batches per optimizer update."),
    ("opt", "str", "sgd", "Optimizer name (picks lr_base_scale; the curve does not depend on it otherwise)."),
    ("warmup_epochs", "int", 5, "Warmup epochs."),
    ("warmup_lr", "float", 1e-5, "LR at the start of the warmup."),
    ("warmup_prefix", "bool", False, "Warmup comes before the schedule instead of within it."),
    ("min_lr", "float", 0.0, "Lower LR bound (cosine, tanh, poly, plateau)."),
    ("cooldown_epochs", "int", 0, "Epochs at min_lr after the schedule."),
    ("decay_epochs", "float", 90, "Epoch interval of step decay (step, wsd)."),
    ("decay_milestones", "ints", [90, 180, 270], "Epochs of multistep decay."),
    ("decay_rate", "float", 0.1, "Decay factor (step, multistep, plateau; power of poly)."),
    ("patience_epochs", "int", 10, "Plateau patience."),
    ("lr_cycle_mul", "float", 1.0, "Cycle length multiplier."),
    ("lr_cycle_decay", "float", 0.5, "Peak LR factor per cycle."),
    ("lr_cycle_limit", "int", 1, "Number of cycles."),
    ("lr_k_decay", "float", 1.0, "k of the k-decay cosine/poly."),
    ("lr_noise", "floats_or_none", None, "Noise range as fractions of the schedule, e.g. 0.4,0.9."),
    ("lr_noise_pct", "float", 0.67, "Noise limit, as a fraction of the LR."),
    ("lr_noise_std", "float", 1.0, "Noise standard deviation."),
    ("seed", "int", 42, "Seed of the noise."),
    ("sched_on_updates", "bool", False, "Step the scheduler every update instead of every epoch."),
    ("eval_metric", "str", "top1", "Metric the plateau scheduler watches (loss: lower is better)."),
)
_KINDS = {key: kind for key, kind, _, _ in ARGS}
_DEFAULTS = {key: default for key, _, default, _ in ARGS}
#: Optional arguments of newer timm, passed through when given (``scheduler_kwargs`` reads them with getattr).
_PASSED = ("lr_decay_fn", "lr_stable_timescale")


def build(layer: Layer) -> RunConfig:
    """Validate a timm layer into a run counted in epochs (one point per update with sched_on_updates)."""
    require("timm", "timm")
    f = Fields(layer)
    notes: list[str] = []
    sched = f.doc.get("sched", "cosine")
    if not isinstance(sched, str) or sched not in SCHEDULERS:
        older = (
            "; timm 0.6's create_scheduler built no scheduler for a name it did not know, so a train.py of that "
            f"age kept the LR at lr: {option('overrides')} sched=none draws that"
            if str(sched).lower() == "none"
            else ""
        )
        raise ConfigError(
            f"{f.at('sched')}: expected a timm scheduler name{suggest(str(sched), SCHEDULERS)}, got {sched!r} "
            f"(timm 1.0's create_scheduler_v2 raises for any other); one of {', '.join(SCHEDULERS)}{older}"
        )
    if f.origin != "flags":  # an args file missing keys train.py would have dumped: its defaults shape the curve
        shaping = ("sched", "epochs", "lr", "warmup_epochs", "warmup_lr", "min_lr", "decay_epochs", "decay_rate")
        missing = [k for k in shaping if k not in f.doc and k not in layer.data]
        if missing:
            taken = ", ".join(f"{k}={_DEFAULTS.get(k, 'cosine')}" for k in missing if k != "lr")
            notes.append(
                f"{f.prefix}not set, timm 1.0's train.py defaults (a train.py copied from another timm version may "
                f"differ: give its own with {option('overrides')} KEY=VALUE): {taken}"
                + ("; lr from lr_base and the batch size" if "lr" in missing else "")
            )
    args: dict[str, Any] = {"sched": sched}
    for key, kind, default, _ in ARGS:
        args[key] = _value(f, key, kind, default)
    for key in _PASSED:
        if f.given(key):
            args[key] = f.doc[key]
    for key in ("interval", "warmup", "grad_accum"):
        if layer.data.get(key) is not None:
            raise ConfigError(f"{f.override_at(key)}: a timm run takes its train.py arguments; set those instead")
    if layer.data.get("epochs") is not None:  # --epochs over the file
        args["epochs"] = _positive(layer.data["epochs"], f.override_at("epochs"))
    if layer.data.get("batch_size") is not None:
        args["batch_size"] = _positive(layer.data["batch_size"], f.override_at("batch_size"))
    world = _positive(layer.data.get("world_size", 1), f.override_at("world_size"))
    args["lr_base_scale"] = args["lr_base_scale"] or ""

    lr = args["lr"]
    framework: dict[str, str] = {}
    if not lr:  # train.py 837-849: `if not args.lr`
        global_batch = args["batch_size"] * world * args["grad_accum_steps"]
        ratio = global_batch / args["lr_base_size"]
        scale = args["lr_base_scale"]
        if not scale:
            scale = "sqrt" if any(o in str(args["opt"]).lower() for o in ("ada", "lamb")) else "linear"
        if scale == "sqrt":
            ratio = ratio**0.5
        lr = args["lr_base"] * ratio
        framework["lr_assumed"] = (
            f"lr: null: train.py sets lr = lr_base {args['lr_base']:g} x ({scale}) global batch "
            f"{args['batch_size']} x {world} ranks x {args['grad_accum_steps']} accumulation / lr_base_size "
            f"{args['lr_base_size']} = {lr:g} at run time; lrviz assumed these sizes"
            + ("" if layer.data.get("world_size") is not None else " (1 rank: give the world size for more GPUs)")
        )
        args["lr"] = lr
    if lr < 0:
        raise ConfigError(f"{f.at('lr')}: must be >= 0, got {lr!r}")

    updates = 0
    geometry = None
    spe = 1
    if args["sched_on_updates"]:
        given = layer.data.get("steps_per_epoch")
        dataset = layer.data.get("dataset_size")
        if given is not None:
            updates = _positive(given, f.override_at("steps_per_epoch"))
            geometry = f"steps per epoch: {updates:,} updates (given)"
        elif dataset is not None:
            dataset = _positive(dataset, f.override_at("dataset_size"))
            per_rank = -(-dataset // world)
            batches = per_rank // args["batch_size"]
            if batches == 0:
                raise ConfigError(
                    f"{f.override_at('dataset_size')}: {per_rank:,} samples per rank make no full batch of "
                    f"{args['batch_size']} (timm's training loader drops the last incomplete batch)"
                )
            updates = -(-batches // args["grad_accum_steps"])
            geometry = (
                f"steps per epoch: {dataset:,} samples"
                + (f" / {world} ranks = {per_rank:,} per rank (ceil)" if world > 1 else "")
                + f" / batch {args['batch_size']} = {batches:,} batches (floor, drop_last)"
                + (
                    f" / accumulate {args['grad_accum_steps']} = {updates:,} updates (ceil)"
                    if args["grad_accum_steps"] > 1
                    else f" = {updates:,} updates"
                )
            )
        else:
            raise ConfigError(
                f"{f.at('sched_on_updates')}: stepping on updates needs the updates per epoch: pass "
                f"{option('dataset_size')} N (the training samples) or {option('steps_per_epoch')} N"
            )
        spe = updates
    # an estimate for the limits; timm's own count replaces it when the run is stepped
    cooldown = args["cooldown_epochs"] if sched in ("cosine", "tanh", "poly", "wsd", "rsqrt") else 0
    epochs = args["epochs"] + cooldown + (args["warmup_epochs"] if args["warmup_prefix"] else 0)
    if epochs * spe > MAX_POINTS:
        raise ConfigError(
            f"{f.at('epochs')}: {epochs:,} epochs x {spe:,} updates is more than {MAX_POINTS:,} values (raise the limit with LRVIZ_MAX_POINTS=N if the run needs it)"
        )
    metrics = None
    if sched == "plateau":
        metrics = _metrics(layer, f, epochs)
        if args["sched_on_updates"]:
            raise ConfigError(f"{f.at('sched_on_updates')}: timm's plateau scheduler steps per epoch only")
    if args["lr_noise"] is not None:
        framework["noise"] = (
            f"lr_noise {args['lr_noise']}: timm adds random noise to the LR (pct {args['lr_noise_pct']:g}, "
            f"std {args['lr_noise_std']:g}, seeded with seed {args['seed']} + t): this is one draw, the one that seed gives"
        )
    if f.given("start_epoch") and f.doc["start_epoch"]:
        notes.append(
            f"start_epoch {f.doc['start_epoch']}: the run was resumed there; lrviz shows the whole schedule from epoch 0"
        )
    settings = TimmSettings(
        args=args,
        updates_per_epoch=updates,
        decreasing_metric=args["eval_metric"] == "loss",
        lr_assumed=framework.get("lr_assumed"),
        noise=framework.get("noise"),
        where={"": f.at("sched"), **{k: f.at(k) for k in args if k in f.doc}},
    )
    # the title names what differs from train.py's defaults (an args.yaml lists every argument)
    shown = {k: v for k, v in args.items() if k in f.doc and k not in ("sched", "lr") and v != _DEFAULTS.get(k)}
    label = layer.data.get("label")
    title = layer.data.get("title")
    return RunConfig(
        scheduler=SchedulerConfig(sched, shown, family="timm"),
        optimizer=OptimizerConfig(_optimizer(args["opt"]), float(lr), {}, (GroupConfig("group 0", float(lr), {}),)),
        epochs=epochs,
        steps_per_epoch=spe,
        interval="step" if args["sched_on_updates"] else "epoch",
        metrics=metrics,
        label=str(label) if label is not None else (Path(f.origin).stem if f.origin != "flags" else f"timm {sched}"),
        title=title if isinstance(title, str) else None,
        geometry=geometry,
        notes=tuple(notes),
        settings=settings,
    )


def _optimizer(name: Any) -> str:
    """A torch optimizer for the dummy: the LR does not depend on it, but the summary names one."""
    lowered = str(name).lower()
    return {"adamw": "AdamW", "adam": "Adam", "rmsprop": "RMSprop", "adagrad": "Adagrad"}.get(lowered, "SGD")


def _positive(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{where}: expected an integer >= 1, got {describe_value(value)}")
    return value


def _value(f: Fields, key: str, kind: str, default: Any) -> Any:
    value = f.doc.get(key, default)
    where = f.at(key)
    if value is None:
        if kind.endswith("_or_none") or key == "decay_milestones":
            return None if key != "decay_milestones" else default
        if key == "lr_base_scale":
            return ""
        return default
    if kind == "bool":
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: expected true or false, got {describe_value(value)}")
        return value
    if kind == "str":
        if not isinstance(value, str):
            raise ConfigError(f"{where}: expected a string, got {describe_value(value)}")
        if key == "lr_base_scale" and value not in ("", "linear", "sqrt"):
            raise ConfigError(f"{where}: expected linear or sqrt, got {value!r}")
        return value
    if kind in ("ints", "floats_or_none"):
        items = value if isinstance(value, list) else [value]
        if not items:
            return None if kind == "floats_or_none" else default
        out = [_scalar(v, f"{where}[{i}]", integer=kind == "ints") for i, v in enumerate(items)]
        if kind == "floats_or_none" and any(not 0 <= v for v in out):
            raise ConfigError(f"{where}: expected fractions >= 0 of the schedule, got {value!r}")
        return out
    number = _scalar(value, where, integer=kind == "int")
    least = 0 if key in ("warmup_epochs", "cooldown_epochs", "seed", "patience_epochs") else 1
    if kind == "int" and number < least:
        raise ConfigError(f"{where}: must be an integer >= {least}, got {number!r}")
    if kind.startswith("float") and number < 0:
        raise ConfigError(f"{where}: must be >= 0, got {number!r}")
    return number


def _scalar(value: Any, where: str, *, integer: bool) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigError(f"{where}: expected {'an integer' if integer else 'a number'}, got {describe_value(value)}")
    if integer:
        if not float(value).is_integer():
            raise ConfigError(f"{where}: expected an integer, got {value!r}")
        return int(value)
    return value


def _metrics(layer: Layer, f: Fields, epochs: int) -> tuple[float, ...]:
    raw = layer.data.get("metrics", f.doc.get("metrics"))
    where = f.override_at("metrics") if layer.data.get("metrics") is not None else f.at("metrics")
    if isinstance(raw, Path):
        raw = read_metrics(raw)
    if not isinstance(raw, list) or not raw:
        raise ConfigError(
            f"{where}: timm's plateau scheduler steps on the eval metric: give one value per epoch with "
            f"{option('metrics')} FILE or `metrics: [...]`"
        )
    values = [float(_scalar(v, f"{where}[{i}]", integer=False)) for i, v in enumerate(raw)]
    if len(values) < epochs:
        raise ConfigError(f"{where}: {len(values)} metric values for {epochs} epochs; give one per epoch")
    return tuple(values[:epochs])


def settings(run: RunConfig) -> TimmSettings:
    """The run's timm settings (``run.settings``, typed)."""
    if not isinstance(run.settings, TimmSettings):
        raise TypeError(f"not a timm run: {run.scheduler.describe()}")
    return run.settings

"""Hugging Face ``TrainingArguments`` (and the LLaMA-Factory, TRL and axolotl spellings) -> a run.

The run counts optimizer steps (``RunConfig.unit == "step"``): point k is the LR the
Trainer's k-th optimizer step uses. Total and warmup steps follow the installed
Trainer's own rules; line numbers are those of transformers 5.24.0:

* ``len(train_dataloader)`` is measured after accelerate shards it: ``ceil(N / batch)``
  batches (``floor`` with ``dataloader_drop_last``), then per process ``ceil(batches / world)``
  (``floor`` with drop_last) (``accelerate/data_loader.py`` 170-186, ``BatchSamplerShard.__len__``
  with the Trainer's ``even_batches=True``);
* ``num_update_steps_per_epoch = max(ceil(len_dataloader / gradient_accumulation_steps), 1)``
  and ``max_steps = ceil(num_train_epochs * num_update_steps_per_epoch)`` unless
  ``max_steps > 0`` overrides it (``trainer.py`` 2509-2529, ``set_initial_training_values``);
  transformers 4.x used ``floor`` for the first (4.50.3 ``trainer.py`` 5265);
* ``TrainingArguments.get_warmup_steps(T)``: ``int(warmup_steps)`` when it is >= 1, else
  ``ceil(T * warmup_steps)`` (``training_args.py`` 2154-2161); transformers 4.x took
  ``warmup_steps`` when > 0, else ``ceil(T * warmup_ratio)`` (4.51.0 ``training_args.py`` 2493-2500);
  ``warmup_ratio`` is gone since 5.2 and is read here as ``warmup_steps`` < 1, with a note;
* ``reduce_lr_on_plateau`` and ``greedy`` step on evaluation metrics: after every
  ``eval_steps``-th step (``trainer_callback.py`` 576-581) or at each epoch's end.

``tests/frameworks/hf/test_hf_schedulers.py`` pins this arithmetic against ``TrainingArguments.get_warmup_steps``.
Nothing here imports transformers or torch: ``lrviz.frameworks`` builds the scheduler
with ``transformers.get_scheduler`` and steps it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lrviz.config.layer import Layer
from lrviz.config.values import MAX_POINTS, describe_value
from lrviz.errors import ConfigError, option
from lrviz.frameworks.base import Fields, require
from lrviz.frameworks.hf import axolotl, with_deepspeed
from lrviz.frameworks.hf.values import (
    DEFAULTS,
    deepspeed_config,
    evaluations,
    number,
    scheduler_kwargs,
    whole,
)
from lrviz.model import FrameworkSettings, GroupConfig, OptimizerConfig, RunConfig, SchedulerConfig
from lrviz.schedules import suggest


@dataclass(frozen=True)
class HFSettings(FrameworkSettings):
    """What ``Trainer.create_scheduler`` passes to ``get_scheduler``, and how the run was measured."""

    type: str
    num_warmup_steps: int
    num_training_steps: int
    scheduler_specific_kwargs: dict[str, Any] = field(default_factory=dict)
    evaluations: tuple[int, ...] = ()  # steps after which reduce_lr_on_plateau/greedy see a metric
    warmup_given: bool = False
    max_steps_overrides: bool = False
    num_train_epochs: float = 3.0
    version: str = ""
    #: where each argument came from, so transformers' own rejection names the file, line and key
    where: dict[str, str] = field(default_factory=dict)
    #: axolotl's own scheduler (``axolotl.utils.schedulers``), when its create_scheduler builds one
    axolotl: axolotl.AxolotlScheduler | None = None
    #: the DeepSpeed config's scheduler, which the DeepSpeed engine runs in place of the Trainer's
    deepspeed: with_deepspeed.DeepSpeedPlan | None = None


#: ``transformers.SchedulerType`` of 5.24.0 (``trainer_utils.py`` 561-591); tests compare with the installed enum.
SCHEDULER_TYPES = (
    "linear",
    "cosine",
    "cosine_with_restarts",
    "polynomial",
    "constant",
    "constant_with_warmup",
    "inverse_sqrt",
    "reduce_lr_on_plateau",
    "cosine_with_min_lr",
    "cosine_warmup_with_min_lr",
    "warmup_stable_decay",
    "greedy",
)
#: Types ``get_scheduler`` builds without a warmup (optimization.py 1014-1025).
NO_WARMUP = ("constant", "reduce_lr_on_plateau", "greedy")

#: TrainingArguments fields read here: (key, kind, flag help). The same table makes ``lrviz hf``'s flags.
ARGS: tuple[tuple[str, str, str], ...] = (
    ("learning_rate", "float", "Peak learning rate (AdamW's lr). (default: 5e-05)"),
    ("warmup_steps", "float", "Warmup steps; a float < 1 is a ratio of the total steps. (default: 0)"),
    ("warmup_ratio", "float", "Warmup as a ratio of the total steps (transformers < 5.2)."),
    ("num_train_epochs", "float", "Epochs (fractional allowed). (default: 3)"),
    ("max_steps", "int", "Total optimizer steps; > 0 overrides num_train_epochs. (default: -1)"),
    ("per_device_train_batch_size", "int", "Batch size per device. (default: 8)"),
    ("gradient_accumulation_steps", "int", "Batches per optimizer step. (default: 1)"),
    ("dataloader_drop_last", "bool", "Drop the last incomplete batch. (default: false)"),
    ("lr_scheduler_kwargs", "json", "Scheduler arguments as JSON, e.g. '{\"num_cycles\": 2}'."),
    ("eval_strategy", "str", "no, steps or epoch: when reduce_lr_on_plateau/greedy see a metric. (default: no)"),
    ("eval_steps", "float", "Evaluate every N steps (a float < 1 is a ratio). (default: logging_steps, 500)"),
)
#: Keys that look like run settings but are not TrainingArguments fields: reading past them would mislead.
_LOOK_ALIKES = {
    "num_epochs": "num_train_epochs",
    "epochs": "num_train_epochs",
    "batch_size": "per_device_train_batch_size",
}


def installed_version() -> tuple[int, int]:
    """(major, minor) of the installed transformers, read from its metadata (nothing is imported)."""
    import importlib.metadata

    text = importlib.metadata.version("transformers")
    parts = [int("".join(ch for ch in p if ch.isdigit()) or 0) for p in text.split(".")[:2]]
    return parts[0], parts[1] if len(parts) > 1 else 0


def build(layer: Layer) -> RunConfig:
    """Validate an HF layer into a run counted in optimizer steps."""
    require("transformers", "hf")
    f = Fields(layer)
    notes: list[str] = []
    own = axolotl.rename(f, notes) if layer.dialect == "axolotl" else None
    for key, right in _LOOK_ALIKES.items():
        if f.given(key) and not f.given(right):
            raise ConfigError(
                f"{f.at(key)}: not a TrainingArguments field (did you mean {right}?); "
                "lrviz reads TrainingArguments names only, so this file would be read with the Trainer's defaults"
                + (
                    f"; if the file is another framework's, name it with {option('dialect')} NAME"
                    if key != "epochs"
                    else ""
                )
            )
    for key in ("epochs", "steps_per_epoch", "batch_size", "grad_accum", "interval", "warmup"):
        if layer.data.get(key) is not None:
            raise ConfigError(
                f"{f.override_at(key)}: an HF run is measured by num_train_epochs, max_steps and the batch sizes "
                "in its arguments; set those instead"
            )
    version = installed_version()
    name = _scheduler_type(f, notes)
    if not f.given("learning_rate") and layer.dialect != "axolotl":
        _refuse_default_lr(f, str(layer.dialect))
    lr = number(f, "learning_rate", low=0.0)
    epochs = number(f, "num_train_epochs", low=0.0, open_low=True)
    max_steps = int(number(f, "max_steps", integer=True))
    batch = int(number(f, "per_device_train_batch_size", integer=True, low=1))
    accum = int(number(f, "gradient_accumulation_steps", integer=True, low=1))
    drop_last = f.doc.get("dataloader_drop_last", False)
    if not isinstance(drop_last, bool):
        raise ConfigError(f"{f.at('dataloader_drop_last')}: expected true or false, got {describe_value(drop_last)}")
    kwargs = scheduler_kwargs(f)
    dataset = whole(f, "dataset_size")
    world = whole(f, "world_size") or 1

    upe: int | None = None
    text = ""
    if layer.dialect == "axolotl":
        total, warmup_value, text = axolotl.axolotl_steps(f, epochs, max_steps, batch, dataset, world)
    elif dataset is not None:
        batches = dataset // batch if drop_last else -(-dataset // batch)
        per_rank = batches // world if drop_last else -(-batches // world)
        if per_rank == 0:
            raise ConfigError(
                f"{f.override_at('dataset_size')}: {dataset:,} samples make no full batch of {batch} per device "
                "with dataloader_drop_last"
            )
        upe = max(-(-per_rank // accum) if version >= (5, 0) else per_rank // accum, 1)
        text = f"steps per epoch: {dataset:,} samples / batch {batch} = {batches:,} batches ({'floor' if drop_last else 'ceil'})"
        if world > 1:
            text += f" / {world} ranks = {per_rank:,} per rank ({'floor' if drop_last else 'ceil'})"
        if accum > 1:
            rounding = "ceil" if version >= (5, 0) else "floor, transformers 4.x"
            text += f" / accumulate {accum} = {upe:,} optimizer steps ({rounding})"
        else:
            text += f" = {upe:,} optimizer steps"
    epochs_given = f.given("num_train_epochs")
    if layer.dialect == "axolotl":
        pass  # axolotl passes its own total as max_steps
    elif max_steps > 0:
        total = max_steps
        text = (text + "; " if text else "") + f"max_steps = {total:,} steps"
        if upe is not None:
            text += f" ({-(-total // upe)} epochs of {upe:,})"
    elif upe is None:
        raise ConfigError(
            f"{f.prefix}the number of steps follows from the dataset size: pass {option('dataset_size')} N "
            f"(the training samples), or set {f.at('max_steps').split(': ')[-1]}"
        )
    else:
        total = math.ceil(epochs * upe)
        text += f"; {epochs:g} epochs = {total:,} steps (ceil)"
    if total > MAX_POINTS:
        raise ConfigError(
            f"{f.prefix}{total:,} steps is more than the limit of {MAX_POINTS:,} (raise the limit with LRVIZ_MAX_POINTS=N if the run needs it)"
        )

    if layer.dialect == "axolotl":
        # axolotl hands its warmup to TrainingArguments.warmup_steps; get_warmup_steps then reads it
        warmup = int(warmup_value) if warmup_value >= 1 else math.ceil(total * warmup_value)
        warmup_text = f"{warmup:,} steps (axolotl's rule)"
        if not (f.given("warmup_steps") or f.given("warmup_ratio")):
            notes.append(f"warmup_steps and warmup_ratio are not set: axolotl's default, {warmup_text}")
    else:
        warmup, warmup_text = _warmup(f, total, version, notes)
    own_scheduler = axolotl.choose(f, own, lr, total, warmup, notes) if layer.dialect == "axolotl" else None
    if name in NO_WARMUP and warmup and (own_scheduler is None or own_scheduler.kind == "transformers"):
        notes.append(f"{name}: get_scheduler ignores the warmup of {warmup} steps for this type")
    text += f"; warmup {warmup_text}"
    metrics, evaluated_at = evaluations(f, name, total, upe)

    args: dict[str, Any] = {}
    if name not in NO_WARMUP:
        args["num_warmup_steps"] = warmup
        if name != "inverse_sqrt":
            args["num_training_steps"] = total
    if name != "constant":
        args.update(kwargs)
    shown = name
    if own_scheduler is not None:
        shown, args = own_scheduler.describe(name), own_scheduler.arguments(args)
    found = deepspeed_config(f, notes)
    ds_plan = None
    if found is not None:
        given = {"learning_rate": float(lr), "per_device_train_batch_size": batch, "world_size": world}
        given |= {"gradient_accumulation_steps": accum, **_warmup_arguments(f, version)}
        ds_plan = with_deepspeed.read(f, found, given, total, name, notes)
        if ds_plan is not None:  # the engine steps it every optimizer step, never on a metric
            shown, args, warmup = ds_plan.type, dict(ds_plan.params), ds_plan.warmup
            metrics, evaluated_at = None, []
    if f.layer.dialect == "llamafactory" and f.doc.get("stage") == "pt":
        notes.append(
            f"{f.at('stage')}: pre-training packs the text into cutoff_len blocks, so the steps follow the token "
            "count: give --dataset-size as the number of blocks"
        )
    where = {
        "": f.at("lr_scheduler_type"),
        **{k: f.at("lr_scheduler_kwargs", k) for k in kwargs},
        "num_warmup_steps": f.at("warmup_ratio" if f.given("warmup_ratio") else "warmup_steps"),
    }
    settings = HFSettings(
        type=name,
        num_warmup_steps=warmup,
        num_training_steps=total,
        scheduler_specific_kwargs=kwargs,
        evaluations=tuple(evaluated_at),
        warmup_given=f.given("warmup_steps") or f.given("warmup_ratio"),
        max_steps_overrides=max_steps > 0 and (epochs_given or dataset is not None),
        num_train_epochs=epochs,
        version=".".join(map(str, version)),
        axolotl=own_scheduler,
        deepspeed=ds_plan,
        where=ds_plan.where if ds_plan is not None else where,
    )
    label = layer.data.get("label")
    title = layer.data.get("title")
    opt_lr = ds_plan.lr if ds_plan is not None else lr
    for key, default in (("learning_rate", "5e-05"), ("num_train_epochs", "3"), ("per_device_train_batch_size", "8")):
        if not f.given(key) and (key != "num_train_epochs" or max_steps <= 0):
            notes.append(f"{key} is not set: lrviz used the Trainer's default, {default}")
    sources = tuple(
        (key, str(f.doc.get(key, DEFAULTS.get(key))), f.source(key))
        if key != "warmup_steps" or layer.dialect != "axolotl" or f.given("warmup_ratio") or f.given(key)
        else (key, str(warmup), "axolotl's default: min(int(0.03 x the steps), 100)")
        for key in (
            "lr_scheduler_type",
            "learning_rate",
            "num_train_epochs",
            "max_steps",
            "per_device_train_batch_size",
            "gradient_accumulation_steps",
            "warmup_steps",
            "warmup_ratio",
            "lr_scheduler_kwargs",
        )
        if f.given(key) or key in DEFAULTS
    ) + tuple(
        (key, str(f.override(key)), f.override_at(key)) for key in ("dataset_size", "world_size") if f.override(key)
    )
    return RunConfig(
        scheduler=SchedulerConfig(shown, args, family="hf"),
        optimizer=OptimizerConfig("AdamW", float(opt_lr), {}, (GroupConfig("group 0", float(opt_lr), {}),)),
        epochs=total,
        steps_per_epoch=1,
        interval="step",
        metrics=metrics,
        label=str(label) if label is not None else (Path(f.origin).stem if f.origin != "flags" else f"hf {name}"),
        title=title if isinstance(title, str) else None,
        geometry=text,
        unit="step",
        notes=tuple(notes),
        settings=settings,
        sources=sources,
    )


#: A script's own learning-rate argument (``--base_learning_rate``, ``--base_lr``, ``--lr``): not a TrainingArguments field.
_OWN_LR = re.compile(r"(^|_)(lr|learning_rate)$")


def _refuse_default_lr(f: Fields, dialect: str) -> None:
    """Refuse the Trainer's default learning_rate where the file's own keys say the run may use another."""
    from lrviz.frameworks.hf import keys

    known = keys.TRAINING_ARGUMENTS | {"llamafactory": keys.LLAMAFACTORY, "trl": keys.TRL}.get(
        dialect, keys.TRAINING_ARGUMENTS
    )
    fix = f"give the learning rate the run uses with {option('overrides')} learning_rate=VALUE"
    for key in f.doc:
        if _OWN_LR.search(str(key)) and known.kind(str(key)) is None:
            raise ConfigError(
                f"{f.at(str(key))}: learning_rate is not set, and {key} is the script's own argument, not a "
                "TrainingArguments field: the script may set learning_rate from it (transformers' run_mae.py sets "
                "base_learning_rate x total batch / 256), so the Trainer's default 5e-05 may not be the run's; " + fix
            )
    if dialect == "trl":
        raise ConfigError(
            f"{f.prefix}learning_rate is not set, and the file reads as TRL's (dialect trl), whose config classes "
            "set their own defaults, not the Trainer's 5e-05 (SFTConfig's is 2e-05; other trainers' configs differ); "
            + fix
            + f" (or, for a plain Trainer's file, {option('dialect')} hf)"
        )


def _warmup_arguments(f: Fields, version: tuple[int, int]) -> dict[str, float]:
    """``warmup_steps`` (and ``warmup_ratio``) as the installed ``TrainingArguments.get_warmup_steps`` reads them."""
    steps = number(f, "warmup_steps", low=0.0)
    ratio = float(f.doc["warmup_ratio"]) if f.given("warmup_ratio") else 0.0
    if version >= (5, 0) and steps == 0:  # _warmup: 5.x reads a warmup_ratio as a warmup_steps below 1
        steps = ratio
    return {"warmup_steps": steps, "warmup_ratio": ratio}


def _scheduler_type(f: Fields, notes: list[str]) -> str:
    if "lr_scheduler_type" not in f.doc:
        notes.append("lr_scheduler_type is not set: lrviz used the Trainer's default, linear")
    raw = f.doc.get("lr_scheduler_type", "linear")
    if isinstance(raw, str) and raw.startswith("SchedulerType."):
        raw = raw[len("SchedulerType.") :].lower()
    if not isinstance(raw, str) or raw not in SCHEDULER_TYPES:
        raise ConfigError(
            f"{f.at('lr_scheduler_type')}: expected a transformers SchedulerType{suggest(str(raw), SCHEDULER_TYPES)}; "
            f"one of {', '.join(SCHEDULER_TYPES)}"
        )
    return raw


def _warmup(f: Fields, total: int, version: tuple[int, int], notes: list[str]) -> tuple[int, str]:
    """Warmup steps as ``TrainingArguments.get_warmup_steps(total)`` gives them, and the arithmetic."""
    steps = number(f, "warmup_steps", low=0.0)
    ratio = None
    if f.given("warmup_ratio"):
        ratio = number(f, "warmup_ratio", low=0.0, high=1.0)
    if version < (5, 0):
        if not float(steps).is_integer():
            raise ConfigError(f"{f.at('warmup_steps')}: transformers 4.x takes an integer; use warmup_ratio")
        if steps > 0 or not ratio:
            return int(steps), f"{int(steps):,} steps"
        return math.ceil(total * ratio), f"ceil({ratio:g} x {total:,}) = {math.ceil(total * ratio):,} steps"
    if ratio is not None:
        if steps > 0:
            notes.append(f"warmup_ratio {ratio:g} is ignored: warmup_steps {steps:g} is set")
        else:
            steps = ratio
            if version >= (5, 2):
                notes.append(
                    f"warmup_ratio {ratio:g} read as warmup_steps {ratio:g}: transformers 5.2 removed warmup_ratio; "
                    "a warmup_steps below 1 is a ratio of the total steps"
                )
    if steps == 0:
        return 0, "0 steps"
    if steps >= 1:
        return int(steps), f"{int(steps):,} steps" + (" (int)" if not float(steps).is_integer() else "")
    return math.ceil(total * steps), f"ceil({steps:g} x {total:,}) = {math.ceil(total * steps):,} steps"


__all__ = ["ARGS", "SCHEDULER_TYPES", "build", "installed_version", "settings"]


def settings(run: RunConfig) -> HFSettings:
    """The run's hf settings (``run.settings``, typed)."""
    if not isinstance(run.settings, HFSettings):
        raise TypeError(f"not a hf run: {run.scheduler.describe()}")
    return run.settings

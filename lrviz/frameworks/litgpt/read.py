"""A litgpt finetune config -> a run, counted in optimizer steps as litgpt's finetune scripts count them.

``litgpt/finetune/lora.py`` (``full.py``, ``adapter.py``, ``adapter_v2.py`` alike) of Lightning-AI/litgpt 26857050:

* ``validate_args`` refuses ``train.max_tokens`` and ``train.lr_warmup_fraction``;
* ``gradient_accumulation_iters = (global_batch_size // (devices x num_nodes)) // micro_batch_size``
  (``litgpt/args.py``);
* the loader: ``micro_batch_size`` per batch, no ``drop_last``, sharded by Fabric's
  ``DistributedSampler`` (``ceil(N / ranks)`` each): ``ceil(per_rank / micro_batch_size)`` batches;
* ``steps_per_epoch = len(train_dataloader) // gradient_accumulation_iters`` and
  ``lr_max_steps = min(epochs x steps_per_epoch, max_steps or inf)`` size the scheduler,
  ``get_lr_scheduler(optimizer, warmup_steps=lr_warmup_steps, max_steps=lr_max_steps)``;
* ``fit`` takes an optimizer step every ``gradient_accumulation_iters`` batches until ``max_steps``
  or until ``epochs`` passes over the data: ``floor(epochs x batches / accumulation)`` steps, which can
  be more than ``lr_max_steps`` (the accumulation runs across epochs).

Nothing here imports torch or litgpt.
"""

from __future__ import annotations

import importlib.util
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lrviz.config.layer import Layer
from lrviz.config.values import MAX_POINTS, describe_value
from lrviz.errors import ConfigError, option
from lrviz.frameworks._recipe import run_option
from lrviz.frameworks.base import Fields, Inventory
from lrviz.model import FrameworkSettings, GroupConfig, OptimizerConfig, RunConfig, SchedulerConfig

#: ``TrainArgs`` defaults that shape the curve
DEFAULTS = {"global_batch_size": 64, "micro_batch_size": 4, "lr_warmup_steps": 100, "min_lr": 6e-5}
CAVEATS = {
    "data": "the steps per epoch follow the training split of this data module (after its val split): give "
    "--dataset-size as that count",
    "resume": "the run resumes from a checkpoint: it continues this schedule from its step",
}
#: a pretraining config's keys (litgpt/pretrain.py's setup): the model's block_size sizes the iterations
PRETRAIN_INVENTORY = Inventory(
    frozenset({"train", "optimizer", "devices", "num_nodes", "model_name", "model_config"}),
    frozenset("out_dir precision initial_checkpoint_dir eval log logger_name seed data tokenizer_dir resume".split()),
    {},
)
PRETRAIN_CAVEATS = {"resume": "the run resumes from a checkpoint: it continues this schedule from its iteration"}
INVENTORY = Inventory(
    frozenset({"train", "optimizer", "devices", "num_nodes"}),
    frozenset(
        (
            "checkpoint_dir out_dir precision quantize lora_r lora_alpha lora_dropout lora_query lora_key lora_value "
            "lora_projection lora_mlp lora_head adapter_start_layer eval logger_name seed access_token data resume"
        ).split()
    ),
    {},
)


@dataclass(frozen=True)
class FinetuneSettings(FrameworkSettings):
    """What litgpt's finetune script passes to ``get_lr_scheduler``, and how many steps it then takes."""

    warmup_steps: int
    lr_max_steps: int
    steps: int
    min_lr_ignored: float | None = None
    accumulation: int = 1  # batches per optimizer step: litgpt logs at the batch (iter_num)


def build(layer: Layer) -> RunConfig:
    """Validate a litgpt finetune layer into a run of the optimizer steps the script takes."""
    if importlib.util.find_spec("litgpt") is None:
        raise ConfigError("needs litgpt: pip install --no-deps litgpt (with lightning and jsonargparse installed)")
    f = Fields(layer)
    notes: list[str] = []
    train = f.doc.get("train")
    if not isinstance(train, Mapping):
        raise ConfigError(f"{f.at('train')}: expected litgpt's train: block (TrainArgs), got {describe_value(train)}")
    if train.get("max_tokens"):  # litgpt/pretrain.py's length (the finetune scripts refuse max_tokens)
        from lrviz.frameworks.litgpt import pretrain

        if run_option(f, "dataset_size") is not None:
            raise ConfigError(
                f"{f.override_at('dataset_size')}: does not apply to a litgpt pretraining config: its length is "
                f"train.max_tokens ({option('overrides')} train.max_tokens=N)"
            )
        return pretrain.build(layer, f, train, _lr(f))
    if train.get("lr_warmup_fraction"):
        raise ConfigError(
            f"{f.at('train', 'lr_warmup_fraction')}: litgpt's finetune scripts refuse lr_warmup_fraction "
            "(validate_args); use train.lr_warmup_steps"
        )
    lr = _lr(f)
    micro = _whole(f, train, "micro_batch_size")
    global_batch = _whole(f, train, "global_batch_size")
    devices = f.doc.get("devices", 1)
    nodes = f.doc.get("num_nodes", 1)
    if isinstance(devices, bool) or not isinstance(devices, int) or devices < 1:
        raise ConfigError(f"{f.at('devices')}: the step count needs the number of devices; set devices: N")
    if isinstance(nodes, bool) or not isinstance(nodes, int) or nodes < 1:
        raise ConfigError(f"{f.at('num_nodes')}: expected an integer >= 1, got {describe_value(nodes)}")
    world = devices * nodes
    accum = global_batch // world // micro
    if accum < 1:
        raise ConfigError(
            f"{f.at('train', 'global_batch_size')}: litgpt asserts a gradient accumulation of at least 1, but "
            f"{global_batch} // {world} devices // micro_batch_size {micro} = {accum}"
        )
    epochs = train.get("epochs")
    max_steps = train.get("max_steps")
    if not isinstance(epochs, int) or isinstance(epochs, bool) or epochs < 1:
        raise ConfigError(
            f"{f.at('train', 'epochs')}: litgpt's finetune scripts size the schedule with epochs x steps_per_epoch "
            "and fail without train.epochs; set it"
        )
    warmup = train.get("lr_warmup_steps", DEFAULTS["lr_warmup_steps"])
    if not isinstance(warmup, int) or isinstance(warmup, bool) or warmup < 1:
        raise ConfigError(
            f"{f.at('train', 'lr_warmup_steps')}: get_lr_scheduler's warmup is LambdaLR(lambda step: step / "
            "warmup_steps), which divides by zero without a warmup; set lr_warmup_steps >= 1"
        )
    dataset = run_option(f, "dataset_size")
    if dataset is None:
        raise ConfigError(
            f"{f.prefix}litgpt counts the steps from the training set's length: pass {option('dataset_size')} N "
            "(the samples of the data module's training split)"
        )
    per_rank = -(-dataset // world)
    batches = -(-per_rank // micro)
    per_epoch = batches // accum
    cap = max_steps if isinstance(max_steps, int) and max_steps > 0 else None
    lr_max_steps = min(epochs * per_epoch, cap) if cap else epochs * per_epoch
    steps = min((epochs * batches) // accum, cap) if cap else (epochs * batches) // accum
    if steps > MAX_POINTS:
        capped = bool(cap) and steps == cap
        sized_by = f.at("train", "max_steps") if capped else f.at("train", "epochs")
        data = "" if capped else f" ({option('dataset_size')} {dataset:,})"
        raise ConfigError(
            f"{sized_by}: {steps:,} steps{data} is more than the limit of {MAX_POINTS:,} "
            "(raise the limit with LRVIZ_MAX_POINTS=N if the run needs it)"
        )
    if steps < 1 or lr_max_steps <= warmup:
        raise ConfigError(
            f"{f.at('train', 'lr_warmup_steps')}: the schedule spans {lr_max_steps} optimizer steps, not more than "
            f"the warmup of {warmup}: litgpt's CosineAnnealingLR gets T_max <= 0; give the real --dataset-size"
        )
    text = (
        f"steps per epoch: {dataset:,} samples"
        + (f" / {world} devices = {per_rank:,} per device (ceil)" if world > 1 else "")
        + f" / micro_batch_size {micro} = {batches:,} batches (ceil) // accumulation {accum} = {per_epoch:,}; "
        + f"schedule over min({epochs} epochs x {per_epoch:,}"
        + (f", max_steps {cap:,}" if cap else "")
        + f") = {lr_max_steps:,} steps; the run takes {steps:,} optimizer steps"
    )
    min_lr = train.get("min_lr", DEFAULTS["min_lr"])
    label = layer.data.get("label")
    title = layer.data.get("title")
    return RunConfig(
        scheduler=SchedulerConfig(
            "get_lr_scheduler", {"warmup_steps": warmup, "max_steps": lr_max_steps}, family="litgpt"
        ),
        optimizer=OptimizerConfig("AdamW", lr, {}, (GroupConfig("group 0", lr, {}),)),
        epochs=steps,
        steps_per_epoch=1,
        interval="step",
        label=str(label) if label is not None else (Path(f.origin).stem if f.origin != "flags" else "litgpt"),
        title=title if isinstance(title, str) else None,
        geometry=text,
        unit="step",
        notes=tuple(notes),
        settings=FinetuneSettings(warmup, lr_max_steps, steps, float(min_lr) if min_lr else None, accum),
    )


def _lr(f: Fields) -> float:
    node = f.doc.get("optimizer")
    init = node.get("init_args") if isinstance(node, Mapping) else None
    lr = init.get("lr") if isinstance(init, Mapping) else None
    if isinstance(lr, str):
        try:
            lr = float(lr)
        except ValueError:
            lr = None
    old = f.doc.get("train")  # TrainArgs before litgpt's optimizer argument held the LR
    if lr is None and isinstance(old, Mapping) and "learning_rate" in old:
        raise ConfigError(
            f"{f.at('train', 'learning_rate')}: an older litgpt's layout (train.learning_rate, weight_decay, beta1, "
            "beta2 for its AdamW); the installed litgpt reads optimizer.init_args.lr and rejects train.learning_rate: "
            f"draw the same schedule with {option('overrides')} optimizer.init_args.lr={old['learning_rate']}"
        )
    if isinstance(lr, bool) or not isinstance(lr, int | float) or not math.isfinite(lr) or lr < 0:
        raise ConfigError(
            f"{f.at('optimizer')}: the LR is optimizer.init_args.lr, which this file does not set to a number "
            f"({option('overrides')} optimizer.init_args.lr=VALUE)"
        )
    return float(lr)


def _whole(f: Fields, train: Mapping[str, Any], key: str) -> int:
    value = train.get(key, DEFAULTS[key])
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{f.at('train', key)}: expected an integer >= 1, got {describe_value(value)}")
    return value


def settings(run: RunConfig) -> FinetuneSettings:
    """The run's litgpt settings (``run.settings``, typed)."""
    if not isinstance(run.settings, FinetuneSettings):
        raise TypeError(f"not a litgpt run: {run.scheduler.describe()}")
    return run.settings

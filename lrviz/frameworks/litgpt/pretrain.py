"""A litgpt pretraining config -> a run of the optimizer steps ``litgpt/pretrain.py`` takes, at the LR ``get_lr`` set.

``litgpt/pretrain.py`` of Lightning-AI/litgpt 26857050 (litgpt 0.5.x):

* ``setup``: ``config = Config.from_name(model_name) if model_config is None else model_config``, and its
  default ``TrainArgs`` (``PRETRAIN_DEFAULTS``) under the file's ``train:`` keys;
* ``main``: ``model.max_seq_length = train.max_seq_length`` when set, else the model's ``block_size``;
* ``fit``: ``max_iters = (train.max_tokens // fabric.world_size) // (micro_batch_size x model.max_seq_length)``,
  ``warmup_iters = train.warmup_iters(devices, num_nodes, max_iters, train_dataloader)``; every iteration
  (micro-batch) sets ``get_lr(optimizer.defaults["lr"], iter_num, warmup_iters, max_iters, train.min_lr)`` on
  every param group, and the optimizer steps on the iterations that end an accumulation of
  ``train.gradient_accumulation_iters(devices, num_nodes)``;
* ``validate_args``: refuses ``train.epochs``, requires ``max_tokens`` and ``max_norm``; ``train.max_steps`` only
  warns (``fit`` never reads it).

One point per optimizer step: the LR the iteration that steps was given. Nothing here imports torch; the
model's ``block_size`` is read from litgpt's own ``litgpt/config.py`` (``models.model_block_size``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lrviz.budget import STEPS
from lrviz.config.layer import Layer
from lrviz.config.values import MAX_POINTS, describe_value
from lrviz.errors import ConfigError, option
from lrviz.frameworks.base import Fields
from lrviz.model import FrameworkSettings, GroupConfig, OptimizerConfig, RunConfig, SchedulerConfig

#: ``setup``'s default ``TrainArgs`` in litgpt/pretrain.py: what a ``train:`` key left out is
PRETRAIN_DEFAULTS = {
    "global_batch_size": 512,
    "micro_batch_size": 4,
    "min_lr": 4e-5,
    "lr_warmup_steps": 2000,
}


@dataclass(frozen=True)
class PretrainSettings(FrameworkSettings):
    """What litgpt's pretrain ``fit`` passes to ``get_lr`` each iteration, and the arguments it sizes them from."""

    max_iters: int
    accumulation: int
    steps: int  # optimizer steps: the iterations that end an accumulation
    global_batch_size: int
    micro_batch_size: int
    lr_warmup_steps: int | None
    devices: int
    num_nodes: int
    min_lr: float
    max_steps_ignored: int | None = None  # train.max_steps: fit() never reads it


def build(layer: Layer, f: Fields, train: Mapping[str, Any], lr: float) -> RunConfig:
    """Validate a litgpt pretraining layer (``train.max_tokens`` set) into a run of its optimizer steps."""
    notes: list[str] = []
    if train.get("epochs") is not None:
        raise ConfigError(
            f"{f.at('train', 'epochs')}: litgpt/pretrain.py refuses train.epochs (validate_args); its length is "
            "train.max_tokens"
        )
    if train.get("lr_warmup_fraction"):
        raise ConfigError(
            f"{f.at('train', 'lr_warmup_fraction')}: litgpt/pretrain.py sizes that warmup from len(train_dataloader), "
            "the length of the data module's (streaming) loader, which the file cannot tell; lrviz draws "
            "train.lr_warmup_steps"
        )
    if train.get("max_norm") is None and "max_norm" in train:
        raise ConfigError(f"{f.at('train', 'max_norm')}: litgpt/pretrain.py requires train.max_norm (validate_args)")
    values: dict[str, Any] = {}
    for key, default in PRETRAIN_DEFAULTS.items():
        if key not in train:  # a key the file leaves out keeps setup()'s default; a null one is None
            notes.append(f"train.{key}: not set; litgpt/pretrain.py's default TrainArgs give {default:g}")
        values[key] = train.get(key, default)
    micro = _whole(f, "micro_batch_size", values["micro_batch_size"])
    global_batch = _whole(f, "global_batch_size", values["global_batch_size"])
    warmup = None if values["lr_warmup_steps"] is None else _whole(f, "lr_warmup_steps", values["lr_warmup_steps"], 0)
    max_tokens = _whole(f, "max_tokens", train.get("max_tokens"))
    min_lr = values["min_lr"]
    if isinstance(min_lr, str):
        try:
            min_lr = float(min_lr)
        except ValueError:
            pass
    if isinstance(min_lr, bool) or not isinstance(min_lr, int | float):
        raise ConfigError(f"{f.at('train', 'min_lr')}: expected a number, got {describe_value(min_lr)}")
    devices, nodes = _world(f)
    world = devices * nodes
    accum = global_batch // world // micro  # TrainArgs.gradient_accumulation_iters (it asserts > 0)
    if accum < 1:
        raise ConfigError(
            f"{f.at('train', 'global_batch_size')}: litgpt asserts a gradient accumulation of at least 1, but "
            f"{global_batch} // {world} devices // micro_batch_size {micro} = {accum}"
        )
    seq, seq_text = _max_seq_length(f, train, notes)
    max_iters = max_tokens // world // (micro * seq)
    steps = max_iters // accum
    text = (
        f"iterations: max_tokens {max_tokens:,}"
        + (f" // {world} devices" if world > 1 else "")
        + f" // (micro_batch_size {micro} x max_seq_length {seq:,}) = {max_iters:,} (max_iters); get_lr per "
        f"iteration, an optimizer step every {accum} (gradient accumulation) = {steps:,} optimizer steps"
    )
    if steps > MAX_POINTS:
        raise ConfigError(
            f"{f.at('train', 'max_tokens')}: {steps:,} optimizer steps is more than the limit of {MAX_POINTS:,} "
            "(raise the limit with LRVIZ_MAX_POINTS=N, or draw fewer tokens: "
            f"{option('overrides')} train.max_tokens=N)"
        )
    if STEPS.exceeded(steps * accum):  # get_lr is called once per iteration, not per optimizer step
        raise STEPS.refusal(
            f.at("train", "max_tokens"),
            f"{steps * accum:,} iterations (get_lr is called once per iteration, {accum} per optimizer step)",
        )
    if steps < 1:
        raise ConfigError(
            f"{f.at('train', 'max_tokens')}: {max_iters} iterations is less than one optimizer step of {accum}: "
            "litgpt's pretrain would take no step"
        )
    label = layer.data.get("label")
    title = layer.data.get("title")
    return RunConfig(
        scheduler=SchedulerConfig(
            "get_lr", {"max_iters": max_iters, "lr_warmup_steps": warmup, "min_lr": float(min_lr)}, family="litgpt"
        ),
        optimizer=OptimizerConfig("AdamW", lr, {}, (GroupConfig("group 0", lr, {}),)),
        epochs=steps,
        steps_per_epoch=1,
        interval="step",
        label=str(label) if label is not None else (Path(f.origin).stem if f.origin != "flags" else "litgpt"),
        title=title if isinstance(title, str) else None,
        geometry=text,
        unit="step",
        notes=(seq_text, *notes),
        settings=PretrainSettings(
            max_iters, accum, steps, global_batch, micro, warmup, devices, nodes, float(min_lr), _max_steps(train)
        ),
        sources=(
            ("optimizer.init_args.lr", f"{lr:g}", f.at("optimizer")),
            ("train.max_tokens", f"{max_tokens:,}", f.at("train", "max_tokens")),
        ),
    )


def _max_steps(train: Mapping[str, Any]) -> int | None:
    value = train.get("max_steps")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _whole(f: Fields, key: str, value: Any, low: int = 1) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ConfigError(f"{f.at('train', key)}: expected an integer >= {low}, got {describe_value(value)}")
    return value


def _world(f: Fields) -> tuple[int, int]:
    devices = f.doc.get("devices", "auto")
    nodes = f.doc.get("num_nodes", 1)
    if isinstance(devices, bool) or not isinstance(devices, int) or devices < 1:
        raise ConfigError(
            f"{f.at('devices')}: litgpt/pretrain.py divides max_tokens by the world size (devices x num_nodes), and "
            f"{describe_value(devices)} does not say how many (auto: every GPU of the machine it runs on); set the "
            f"number ({option('overrides')} devices=N)"
        )
    if isinstance(nodes, bool) or not isinstance(nodes, int) or nodes < 1:
        raise ConfigError(f"{f.at('num_nodes')}: expected an integer >= 1, got {describe_value(nodes)}")
    return devices, nodes


def _max_seq_length(f: Fields, train: Mapping[str, Any], notes: list[str]) -> tuple[int, str]:
    """``model.max_seq_length`` as ``main`` leaves it: ``train.max_seq_length``, else the model's ``block_size``."""
    given = train.get("max_seq_length")
    if given is not None:
        return _whole(f, "max_seq_length", given), f"{f.at('train', 'max_seq_length')}: tokens per sample {given:,}"
    model = f.doc.get("model_config")
    if isinstance(model, Mapping) and model.get("block_size") is not None:
        size = model["block_size"]
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise ConfigError(f"{f.at('model_config', 'block_size')}: expected an integer >= 1, got {size!r}")
        return size, f"{f.at('model_config', 'block_size')}: tokens per sample {size:,} (no train.max_seq_length)"
    name = f.doc.get("model_name")
    fix = f"set the tokens per sample: {option('overrides')} train.max_seq_length=N"
    if model is not None or not isinstance(name, str):
        raise ConfigError(
            f"{f.at('model_config' if model is not None else 'model_name')}: litgpt's iterations follow the model's "
            f"block_size, which this file does not give; {fix}"
        )
    from lrviz.frameworks.litgpt.models import model_block_size

    size = model_block_size(name)
    if size is None:
        raise ConfigError(f"{f.at('model_name')}: {name!r} is not a model of the installed litgpt's config; {fix}")
    return size, (
        f"{f.at('model_name')}: tokens per sample {size:,}, the block_size of litgpt's Config.from_name({name!r}) "
        f"(no train.max_seq_length; {fix.replace('set the tokens per sample: ', 'another: ')})"
    )


def settings(run: RunConfig) -> PretrainSettings:
    """The run's litgpt pretraining settings (``run.settings``, typed)."""
    if not isinstance(run.settings, PretrainSettings):
        raise TypeError(f"not a litgpt pretraining run: {run.scheduler.describe()}")
    return run.settings

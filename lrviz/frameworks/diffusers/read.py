"""diffusers' training scripts' arguments (a launch command, or a YAML config that calls get_scheduler) -> a run.

diffusers' example scripts define their arguments with argparse in the script itself;
lrviz cannot run the script, so it reads the documented flags with the scripts' own
defaults (``examples/text_to_image/train_text_to_image.py`` 313-356 and
``examples/dreambooth/train_dreambooth_lora.py`` 405-420 of huggingface/diffusers at
58eb52c0) and does the arithmetic the scripts do before calling ``get_scheduler``
(train_text_to_image.py 706-709, 846-899):

* ``--scale_lr``: ``learning_rate x gradient_accumulation_steps x train_batch_size x num_processes``;
* ``num_warmup_steps = lr_warmup_steps x num_processes``;
* ``num_training_steps = max_train_steps x num_processes``, or without ``--max_train_steps``
  ``num_train_epochs x ceil(ceil(len(train_dataloader) / num_processes) / gradient_accumulation_steps)
  x num_processes`` with ``len(train_dataloader) = ceil(N / train_batch_size)``;
* the run has ``max_train_steps`` optimizer steps (``num_train_epochs x`` the updates per epoch
  without it); accelerate's prepared scheduler steps ``num_processes`` times per optimizer step.

Nothing here imports diffusers or torch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lrviz.config.layer import Layer
from lrviz.config.values import MAX_POINTS, describe_value
from lrviz.errors import ConfigError, option
from lrviz.frameworks.base import Fields, require
from lrviz.frameworks.diffusers.scripts import SCRIPTS
from lrviz.model import FrameworkSettings, GroupConfig, OptimizerConfig, RunConfig, SchedulerConfig
from lrviz.schedules import suggest


@dataclass(frozen=True)
class DiffusersSettings(FrameworkSettings):
    """What the scripts pass to ``diffusers.optimization.get_scheduler``, and how often they step it."""

    name: str
    num_warmup_steps: int
    num_training_steps: int
    num_cycles: int = 1
    power: float = 1.0
    step_rules: str | None = None
    processes: int = 1  # scheduler.step() calls per optimizer step (accelerate's prepared scheduler)
    factor: int = 1  # what the script multiplied lr_warmup_steps and the steps by before get_scheduler
    scale: str = "none"
    warmup_given: bool = False
    #: where each argument came from, so diffusers' own rejection names the file, line and key
    where: dict[str, str] = field(default_factory=dict)


#: ``diffusers.optimization.SchedulerType`` (src/diffusers/optimization.py at 58eb52c0); tests compare.
SCHEDULERS = (
    "linear",
    "cosine",
    "cosine_with_restarts",
    "polynomial",
    "constant",
    "constant_with_warmup",
    "piecewise_constant",
)

#: The documented flags read here, with the scripts' argparse defaults.
DEFAULTS: dict[str, Any] = {
    "lr_scheduler": "constant",
    "lr_warmup_steps": 500,
    "lr_num_cycles": 1,
    "lr_power": 1.0,
    "lr_step_rules": None,
    "max_train_steps": None,
    "num_train_epochs": 100,
    "gradient_accumulation_steps": 1,
    "learning_rate": 1e-4,
    "scale_lr": False,
    "train_batch_size": 16,
    "dataloader_drop_last": False,
}
_INTS = (
    "lr_warmup_steps",
    "lr_num_cycles",
    "max_train_steps",
    "num_train_epochs",
    "gradient_accumulation_steps",
    "train_batch_size",
)


def build(layer: Layer) -> RunConfig:
    """Validate a diffusers layer into a run counted in optimizer steps."""
    require("diffusers", "diffusers")
    f = Fields(layer)
    notes: list[str] = []
    args = {key: _value(f, key, default) for key, default in DEFAULTS.items()}
    name = args["lr_scheduler"]
    if not isinstance(name, str) or name not in SCHEDULERS:
        raise ConfigError(
            f"{f.at('lr_scheduler')}: expected a diffusers scheduler name{suggest(str(name), SCHEDULERS)}; "
            f"one of {', '.join(SCHEDULERS)}"
        )
    processes = layer.data.get("world_size") or 1
    if isinstance(processes, bool) or not isinstance(processes, int) or processes < 1:
        raise ConfigError(f"{f.override_at('world_size')}: expected an integer >= 1, got {describe_value(processes)}")
    script_name = layer.data.get("script")
    script = SCRIPTS.get(str(script_name).rsplit("/", 1)[-1]) if script_name else None
    accumulation = args["gradient_accumulation_steps"]
    for key in ("max_train_steps", "learning_rate", "train_batch_size", "num_train_epochs"):
        if f.given(key):
            continue
        if script is not None:
            args[key] = getattr(script, key)
            continue
        needed = (
            key in ("max_train_steps", "learning_rate")
            or args["max_train_steps"] is None
            or (key == "train_batch_size" and args["scale_lr"])
        )
        if script_name and needed:
            raise ConfigError(_unknown_script(f, str(script_name), key))
    if script_name and script is None:
        for key in ("lr_scheduler", "lr_warmup_steps"):
            if not f.given(key) and (key == "lr_scheduler" or args["lr_scheduler"] != "constant"):
                raise ConfigError(_unknown_script(f, str(script_name), key))
    batch = args["train_batch_size"]
    scale = script.scale if script is not None else ("processes" if script_name else "none")
    # constant and piecewise_constant read neither count, constant_with_warmup only the warmup: no convention matters
    sized_by_script = name not in ("constant", "piecewise_constant") and not (
        name == "constant_with_warmup" and args["lr_warmup_steps"] == 0
    )
    if script_name and script is None and sized_by_script and (processes > 1 or accumulation > 1):
        raise ConfigError(
            f"{f.prefix}{script_name}: diffusers' scripts size their scheduler in different ways (x num_processes, "
            f"x gradient_accumulation_steps, or neither), and lrviz does not know which this script uses; with "
            f"{processes} processes and gradient_accumulation_steps {accumulation} they give different curves"
        )
    if script_name and script is None and not sized_by_script and (processes > 1 or accumulation > 1):
        notes.append(
            f"{f.prefix}{script_name} is not a diffusers example script lrviz knows; {name}"
            + (" with lr_warmup_steps 0" if name == "constant_with_warmup" else "")
            + " gives the same curve whether the script multiplies the steps by num_processes, "
            "gradient_accumulation_steps or neither"
        )
    lr = float(args["learning_rate"])
    if lr < 0:
        raise ConfigError(f"{f.at('learning_rate')}: must be >= 0, got {lr!r}")
    if args["scale_lr"]:
        scaled = lr * accumulation * batch * processes
        notes.append(
            f"{f.at('scale_lr')}: the script sets learning_rate = {lr:g} x gradient_accumulation_steps {accumulation} "
            f"x train_batch_size {batch} x {processes} processes = {scaled:g}"
        )
        lr = scaled
    if args["max_train_steps"] is not None:
        steps = sized = args["max_train_steps"]
        geometry = f"optimizer steps: max_train_steps {steps:,}"
    else:
        dataset = layer.data.get("dataset_size")
        if dataset is None:
            raise ConfigError(
                f"{f.prefix}without max_train_steps the script counts num_train_epochs "
                f"{args['num_train_epochs']} x the batches of its dataset: give the training samples with "
                f"{option('dataset_size')} N, or set max_train_steps"
            )
        if isinstance(dataset, bool) or not isinstance(dataset, int) or dataset < 1:
            raise ConfigError(
                f"{f.override_at('dataset_size')}: expected an integer >= 1, got {describe_value(dataset)}"
            )
        drop = bool(args["dataloader_drop_last"])
        batches = dataset // batch if drop else -(-dataset // batch)
        sharded = math.ceil(batches / processes)
        per_epoch = math.ceil(sharded / accumulation)
        steps = args["num_train_epochs"] * per_epoch
        sized = (
            steps if script is None or script.sharded else args["num_train_epochs"] * math.ceil(batches / accumulation)
        )
        geometry = (
            f"optimizer steps: {dataset:,} samples / train_batch_size {batch} = {batches:,} batches "
            f"({'floor' if drop else 'ceil'})"
            + (f" / {processes} processes = {sharded:,} (ceil)" if processes > 1 else "")
            + f" / accumulate {accumulation} = {per_epoch:,} per epoch (ceil) x num_train_epochs "
            f"{args['num_train_epochs']} = {steps:,}"
            + (f"; the scheduler is sized before sharding: {sized:,} steps" if sized != steps else "")
        )
    factor = {"processes": processes, "accumulation": accumulation, "none": 1}[scale]
    training = sized * factor
    if factor > 1:
        geometry += f"; get_scheduler sees x {factor} ({'num_processes' if scale == 'processes' else 'gradient_accumulation_steps'}): warmup {args['lr_warmup_steps'] * factor:,}, training {training:,}"
    if not script_name:
        notes.append(
            f"{f.prefix}lrviz assumed the training code calls get_scheduler(num_warmup_steps=lr_warmup_steps, "
            "num_training_steps=max_train_steps) and steps it once per optimizer step"
            + (f" per process ({processes})" if processes > 1 else "")
        )
    if steps < 1:
        raise ConfigError(f"{f.at('max_train_steps')}: the run has {steps} optimizer steps; it needs at least 1")
    if steps > MAX_POINTS:
        raise ConfigError(
            f"{f.at('max_train_steps')}: {steps:,} optimizer steps is more than {MAX_POINTS:,} values (raise the "
            "limit with LRVIZ_MAX_POINTS=N if the run needs it)"
        )
    for key in ("learning_rate", "lr_scheduler", "lr_warmup_steps"):
        if not f.given(key):
            notes.append(f"{key} is not set: the script's default is {args[key]}")
    if name == "piecewise_constant" and not args["lr_step_rules"]:
        raise ConfigError(f"{f.at('lr_scheduler')}: piecewise_constant needs lr_step_rules (e.g. '1:10,0.1:20,0.01')")
    settings = DiffusersSettings(
        name=name,
        num_warmup_steps=args["lr_warmup_steps"] * factor,
        num_training_steps=training,
        num_cycles=args["lr_num_cycles"],
        power=float(args["lr_power"]),
        step_rules=args["lr_step_rules"],
        processes=processes,
        factor=factor,
        scale=scale,
        warmup_given=f.given("lr_warmup_steps"),
        where={
            "": f.at("lr_scheduler"),
            "num_warmup_steps": f.at("lr_warmup_steps"),
            "num_training_steps": f.at("max_train_steps"),
            "num_cycles": f.at("lr_num_cycles"),
            "power": f.at("lr_power"),
            "step_rules": f.at("lr_step_rules"),
        },
    )
    shown: dict[str, Any] = {"num_warmup_steps": settings.num_warmup_steps, "num_training_steps": training}
    if name == "cosine_with_restarts":
        shown["num_cycles"] = settings.num_cycles
    if name == "polynomial":
        shown["power"] = settings.power
    label = layer.data.get("label")
    title = layer.data.get("title")
    sources = tuple(
        (key, str(args[key]), f.source(key))
        for key in DEFAULTS
        if f.given(key) or key in ("lr_scheduler", "lr_warmup_steps")
    ) + ((("processes", str(processes), f.override_at("world_size")),) if layer.data.get("world_size") else ())
    return RunConfig(
        scheduler=SchedulerConfig(name, shown, family="diffusers"),
        optimizer=OptimizerConfig("AdamW", lr, {}, (GroupConfig("group 0", lr, {}),)),
        epochs=steps,
        steps_per_epoch=1,
        interval="step",
        label=str(label) if label is not None else (Path(f.origin.split(":")[0]).stem or "diffusers"),
        title=title if isinstance(title, str) else None,
        geometry=geometry,
        unit="step",
        notes=tuple(notes),
        settings=settings,
        sources=sources,
    )


def _unknown_script(f: Fields, script: str, key: str) -> str:
    return (
        f"{f.prefix}{script} is not one of the diffusers example scripts lrviz knows "
        f"(lrviz/frameworks/diffusers/scripts.py), so it does not know its default for --{key}; give --{key} in "
        "the command"
    )


def _value(f: Fields, key: str, default: Any) -> Any:
    value = f.doc.get(key, default)
    if value is None:
        return default
    where = f.at(key)
    if key in ("scale_lr", "dataloader_drop_last"):
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: expected true or false, got {describe_value(value)}")
        return value
    if key in ("lr_scheduler", "lr_step_rules"):
        if not isinstance(value, str):
            raise ConfigError(f"{where}: expected a string, got {describe_value(value)}")
        return value
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigError(f"{where}: expected a number, got {describe_value(value)}")
    if key in _INTS:
        if not float(value).is_integer():
            raise ConfigError(f"{where}: expected an integer (the script's argparse type is int), got {value!r}")
        value = int(value)
        least = 0 if key == "lr_warmup_steps" else 1
        if value < least:
            raise ConfigError(f"{where}: must be an integer >= {least}, got {value!r}")
    return value


def settings(run: RunConfig) -> DiffusersSettings:
    """The run's diffusers settings (``run.settings``, typed)."""
    if not isinstance(run.settings, DiffusersSettings):
        raise TypeError(f"not a diffusers run: {run.scheduler.describe()}")
    return run.settings

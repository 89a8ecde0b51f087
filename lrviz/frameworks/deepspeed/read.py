"""DeepSpeed ``scheduler: {type, params}`` (a ``ds_config.json``, or ``lrviz deepspeed`` flags) -> a run.

What the DeepSpeed engine does with the block (line numbers of deepspeed 0.19.8):

* ``DeepSpeedEngine._configure_lr_scheduler`` (``runtime/engine.py`` 1883-1897) uses the
  config's scheduler when ``deepspeed.initialize`` got no ``lr_scheduler``; then
  ``_scheduler_from_config`` (1923-1938) builds it as
  ``getattr(lr_schedules, type)(optimizer, **params)``, the params passed as written
  (``runtime/config.py`` 325-337, ``get_scheduler_name`` / ``get_scheduler_params``);
* ``engine.step()`` runs ``_take_model_step`` at each gradient-accumulation boundary
  (engine.py 3567-3615): ``optimizer.step()``, then ``lr_scheduler.step()`` unless the
  fp16 loss scaler found an overflow and skipped the step (3534-3550). lrviz's dummy
  optimizer never overflows, so every optimizer step is applied.

So the run counts optimizer steps (``RunConfig.unit == "step"``), like an HF run: point k
is the LR optimizer step k uses. Its length is ``total_num_steps`` for WarmupDecayLR and
WarmupCosineLR; the other types run until training stops, so the length comes from a flag.
``"auto"`` values are filled in by the Hugging Face Trainer's DeepSpeed integration (or by
Accelerate's ``DummyOptim``/``DummyScheduler``, accelerate 1.16 ``accelerator.py`` 2292-2316) and are
refused by name here, pointing at the TrainingArguments file that names the config (read by
``lrviz.frameworks.hf.with_deepspeed``). The optimizer comes from the ``optimizer: {type, params}`` block: its
``lr`` matters (WarmupCosineLR scales it; WarmupLR warms up to it by default).

Nothing here imports deepspeed or torch: ``lrviz.frameworks`` builds the class from
``deepspeed.runtime.lr_schedules`` and steps it. ``PARAMS`` (``params``) lists each class's arguments
(deepspeed 0.19.8 ``runtime/lr_schedules.py`` 352-358, 483-497, 725-731, 814-821, 865-872);
``tests/frameworks/deepspeed/test_deepspeed_schedulers.py`` compares it with the installed signatures.
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
from lrviz.frameworks.base import Fields, require
from lrviz.frameworks.deepspeed.params import ARGS, PARAMS, REQUIRED, TYPES
from lrviz.frameworks.deepspeed.params import kind as kind_of
from lrviz.model import FrameworkSettings, GroupConfig, OptimizerConfig, RunConfig, SchedulerConfig
from lrviz.schedules import OPTIMIZERS, SCHEDULERS, suggest


@dataclass(frozen=True)
class DeepSpeedSettings(FrameworkSettings):
    """The scheduler block as ``_scheduler_from_config`` passes it, and what lrviz saw in it."""

    type: str
    params: dict[str, Any] = field(default_factory=dict)
    warmup_num_steps: int = 0
    findings: tuple[tuple[str, str], ...] = ()  # (code, message) read from the settings
    #: where each param came from, so DeepSpeed's own rejection names the file, line and key ("": the block)
    where: dict[str, str] = field(default_factory=dict)


#: DeepSpeed's own optimizer names (``runtime/config.py`` 52-66, lower-cased by ``DeepSpeedConfig``)
#: whose LR lrviz can give a torch class for: DeepSpeed builds FusedAdam / DeepSpeedCPUAdam
#: (engine.py 2486-2493, AdamW mode unless ``adam_w_mode: false``) or torch's Adagrad (2495-2500).
_DS_OPTIMIZERS = {"adamw": "AdamW", "adagrad": "Adagrad"}


#: Parameters whose default changes the curve (not the momentum ones, which lrviz does not draw by default).
_SHAPING = {
    "warmup_min_lr",
    "warmup_max_lr",
    "warmup_num_steps",
    "warmup_type",
    "warmup_min_ratio",
    "cos_min_ratio",
    "decay_lr_rate",
    "cycle_first_step_size",
    "cycle_first_stair_count",
    "decay_step_size",
    "lr_range_test_min_lr",
    "lr_range_test_step_size",
    "lr_range_test_step_rate",
    "lr_range_test_staircase",
}


def is_block(node: Any) -> bool:
    """A DeepSpeed ``scheduler: {type: Name, params: {...}}`` node (no other keys)."""
    return isinstance(node, Mapping) and isinstance(node.get("type"), str) and set(node) <= {"type", "params"}


def build(layer: Layer) -> RunConfig:
    """Validate a DeepSpeed layer into a run counted in optimizer steps."""
    require("deepspeed", "deepspeed")
    f = Fields(layer)
    block = f.doc.get("scheduler")
    if not isinstance(block, Mapping):
        raise ConfigError(f"{f.at('scheduler')}: expected a mapping with type and params")
    kind = block.get("type")
    if not isinstance(kind, str) or kind not in PARAMS:
        torch_class = any(s.name == kind for s in SCHEDULERS)
        raise ConfigError(
            f"{f.at('scheduler', 'type')}: not one of DeepSpeed's schedulers{suggest(str(kind), TYPES)}; lrviz steps "
            f"{', '.join(TYPES)}"
            + (
                f"; DeepSpeed builds torch.optim.lr_scheduler.{kind} for this type: write it for lrviz as "
                f"`scheduler: {{name: {kind}, ...}}` with the params beside name"
                if torch_class
                else ""
            )
        )
    raw = block.get("params") or {}
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{f.at('scheduler', 'params')}: expected a mapping, got {describe_value(raw)}")
    for key in ("interval", "warmup", "grad_accum", "batch_size", "dataset_size", "world_size", "optimizer"):
        if layer.data.get(key) is not None:
            raise ConfigError(
                f"{f.override_at(key)}: a DeepSpeed run takes its scheduler and optimizer blocks; "
                f"set those instead ({option('overrides')} scheduler.params.NAME=VALUE)"
            )
    _refuse_auto(f, raw)
    known = dict(PARAMS[kind])
    params: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in known:
            where = f.at("scheduler", "params", str(key))
            names = list(known)
            raise ConfigError(
                f"{where}: not a parameter of DeepSpeed's {kind}{suggest(str(key), names)}; it takes {', '.join(names)}"
            )
        params[str(key)] = _param(f, str(key), value)
    steps = params.get("warmup_num_steps")
    if steps is not None and steps < 1:  # deepspeed 0.16.5 lr_schedules.py 668, 814: max(2, warmup_num_steps)
        raise ConfigError(
            f"{f.at('scheduler', 'params', 'warmup_num_steps')}: {steps} warmup steps: deepspeed 0.16 and older "
            "raised it to 2 (max(2, warmup_num_steps)), newer ones reject it; give the steps the run used, e.g. "
            f"{option('overrides')} scheduler.params.warmup_num_steps=2 for a run on an older deepspeed"
        )
    for key, default in known.items():
        if default == REQUIRED and key not in params:
            raise ConfigError(f"{f.at('scheduler', 'params', key)}: DeepSpeed's {kind} requires {key}")

    notes: list[str] = []
    if f.origin != "flags":  # a file: the defaults DeepSpeed fills in shape the curve, so they are said
        taken = [f"{k}={v}" for k, v in known.items() if k not in params and v is not None and k in _SHAPING]
        if taken:
            notes.append(f"{f.at('scheduler', 'params')}: not set, DeepSpeed's defaults: {', '.join(taken)}")
    name, lr = _optimizer(f, kind, notes)
    total, geometry = _length(layer, f, kind, params, notes)
    warmup = (
        max(2, int(params.get("warmup_num_steps", known.get("warmup_num_steps", 0))))
        if kind.startswith("Warmup")
        else 0
    )
    findings = _findings(kind, params, known, total, warmup, lr)
    places = {"": f.at("scheduler", "params"), **{k: f.at("scheduler", "params", k) for k in params}}
    label = layer.data.get("label")
    title = layer.data.get("title")
    return RunConfig(
        scheduler=SchedulerConfig(kind, params, family="deepspeed"),
        optimizer=OptimizerConfig(name, lr, {}, (GroupConfig("group 0", lr, {}),)),
        epochs=total,
        steps_per_epoch=1,
        interval="step",
        label=str(label)
        if label is not None
        else (Path(f.origin).stem if f.origin != "flags" else f"deepspeed {kind}"),
        title=title if isinstance(title, str) else None,
        geometry=geometry,
        unit="step",
        notes=tuple(notes),
        settings=DeepSpeedSettings(kind, params, warmup, tuple(findings), places),
    )


def _refuse_auto(f: Fields, raw: Mapping[str, Any]) -> None:
    """``"auto"`` is the HF Trainer's placeholder: name every one lrviz would read, and the fix."""
    paths = [("scheduler", "params", str(k)) for k, v in raw.items() if v == "auto"]
    opt = f.doc.get("optimizer")
    if isinstance(opt, Mapping) and isinstance(opt.get("params"), Mapping) and opt["params"].get("lr") == "auto":
        paths.append(("optimizer", "params", "lr"))
    if not paths:
        return
    first = ".".join(paths[0])
    others = ", ".join(".".join(p) for p in paths[1:])
    raise ConfigError(
        f'{f.at(*paths[0])}: "auto" is filled in by the Hugging Face Trainer\'s DeepSpeed integration from its '
        "TrainingArguments, or by Accelerate from the DummyOptim/DummyScheduler a training script passes to "
        "accelerator.prepare (warmup_min_lr 0, warmup_max_lr the optimizer's lr, total_num_steps divided by the "
        "process count); this file holds neither: render the TrainingArguments file or launch script that "
        f"names it (lrviz fills it as the Trainer does), or give the value with {option('overrides')} {first}=VALUE"
        + (f' (also "auto": {others})' if others else "")
    )


def _param(f: Fields, key: str, value: Any) -> Any:
    """A parameter as DeepSpeed receives it: numbers (or one per param group), booleans, warmup_type."""
    where = f.at("scheduler", "params", key)
    kind = kind_of(key)
    if value is None:
        return None
    if kind == "bool":
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: expected true or false, got {describe_value(value)}")
        return value
    if kind == "str":
        if value not in ("log", "linear"):
            raise ConfigError(f"{where}: expected log or linear, got {describe_value(value)}")
        return value
    if isinstance(value, list) and kind == "float":
        if len(value) != 1:
            raise ConfigError(f"{where}: lrviz's dummy optimizer has one param group; give one value, not {len(value)}")
        value = value[0]
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigError(f"{where}: expected a number, got {describe_value(value)}")
    if kind == "int" and not float(value).is_integer():
        raise ConfigError(f"{where}: expected an integer, got {value!r}")
    return value  # as written: DeepSpeed itself rejects a float warmup_num_steps


def _optimizer(f: Fields, kind: str, notes: list[str]) -> tuple[str, float]:
    """The torch optimizer standing in for the ``optimizer`` block, and its lr."""
    block = f.doc.get("optimizer")
    uses_lr = kind == "WarmupCosineLR" or (
        kind == "WarmupLR" and f.doc["scheduler"].get("params", {}).get("warmup_max_lr") is None
    )
    if not isinstance(block, Mapping) or not isinstance(block.get("type"), str):
        fix = (
            f"{option('lr')} and {option('optimizer')}"
            if f.origin == "flags"
            else "an optimizer: {type, params: {lr}} block"
        )
        notes.append(
            f"{f.prefix}no DeepSpeed optimizer given (DeepSpeed then uses the one passed to deepspeed.initialize); "
            f"lrviz used SGD(lr=0.1)" + (f"; {kind} scales the optimizer's lr: give {fix}" if uses_lr else "")
        )
        return "SGD", 0.1
    ds_type = block["type"]
    params = block.get("params") or {}
    if not isinstance(params, Mapping):
        raise ConfigError(f"{f.at('optimizer', 'params')}: expected a mapping, got {describe_value(params)}")
    lr = params.get("lr", 0.1 if "lr" not in params else None)
    if isinstance(lr, bool) or not isinstance(lr, int | float) or not math.isfinite(lr) or lr < 0:
        raise ConfigError(f"{f.at('optimizer', 'params', 'lr')}: expected a number >= 0, got {describe_value(lr)}")
    if "lr" not in params:
        notes.append(
            f"{option('lr') if f.origin == 'flags' else f.at('optimizer', 'params')}: no lr given; lrviz used 0.1"
        )
    lowered = ds_type.lower()
    quiet = f.origin == "flags"  # --optimizer names the stand-in directly
    if lowered == "adam" and quiet:
        name = "AdamW" if params.get("adam_w_mode", True) else "Adam"
    elif lowered in _DS_OPTIMIZERS and quiet:
        name = _DS_OPTIMIZERS[lowered]
    elif lowered == "adam":
        name = "AdamW" if params.get("adam_w_mode", True) else "Adam"
        notes.append(
            f"optimizer {ds_type}: DeepSpeed builds FusedAdam (DeepSpeedCPUAdam with ZeRO offload) in "
            f"{'AdamW' if name == 'AdamW' else 'Adam'} mode (adam_w_mode); lrviz steps torch's {name} with the same "
            "lr: the LR curve does not depend on the update rule"
        )
    elif lowered in _DS_OPTIMIZERS:
        name = _DS_OPTIMIZERS[lowered]
        notes.append(
            f"optimizer {ds_type}: DeepSpeed builds its own {name} (fused, or CPU with ZeRO offload); lrviz steps "
            f"torch's {name} with the same lr: the LR curve does not depend on the update rule"
        )
    elif ds_type in OPTIMIZERS:
        name = ds_type  # DeepSpeed takes getattr(torch.optim, type) (engine.py 2548)
    else:
        name = "SGD"
        notes.append(
            f"optimizer {ds_type}: not a torch optimizer; lrviz steps SGD with its lr {lr:g}: "
            "the LR curve does not depend on the update rule"
        )
    return name, float(lr)


def _length(layer: Layer, f: Fields, kind: str, params: dict[str, Any], notes: list[str]) -> tuple[int, str]:
    """The run's optimizer steps: ``--max-steps``, ``--epochs`` x ``--steps-per-epoch``, or total_num_steps."""
    total = params.get("total_num_steps")
    max_steps = layer.data.get("max_steps")
    epochs = layer.data.get("epochs")
    spe = layer.data.get("steps_per_epoch")
    if max_steps is not None:
        steps = _positive(max_steps, f.override_at("max_steps"))
        text = f"{steps:,} optimizer steps (given)"
    elif epochs is not None:
        e = _positive(epochs, f.override_at("epochs"))
        s = _positive(spe, f.override_at("steps_per_epoch")) if spe is not None else 1
        steps = e * s
        text = f"{e:,} epochs x {s:,} optimizer steps = {steps:,} steps"
        if spe is None:
            notes.append(
                f"{f.override_at('epochs')}: read as {e:,} optimizer steps (DeepSpeed steps its scheduler every "
                f"optimizer step); give {option('steps_per_epoch')} S for {e:,} epochs of S steps"
            )
    elif spe is not None:
        raise ConfigError(f"{f.override_at('steps_per_epoch')}: give {option('epochs')} too")
    elif total is not None:
        steps = _positive(total, f.at("scheduler", "params", "total_num_steps"))
        text = f"total_num_steps = {steps:,} steps"
    else:
        flag = option("max_steps") if f.origin == "flags" else f"{option('epochs')} N [{option('steps_per_epoch')} S]"
        raise ConfigError(
            f"{f.at('scheduler', 'type')}: DeepSpeed's {kind} runs until training stops, so the config does not say "
            f"how long the run is; give its optimizer steps with {flag}"
        )
    if steps > MAX_POINTS:
        raise ConfigError(
            f"{f.prefix}{steps:,} steps is more than the limit of {MAX_POINTS:,} (raise the limit with LRVIZ_MAX_POINTS=N if the run needs it)"
        )
    return steps, text


def _positive(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{where}: expected an integer >= 1, got {describe_value(value)}")
    return value


def _findings(
    kind: str, params: dict[str, Any], known: dict[str, Any], total: int, warmup: int, lr: float
) -> list[tuple[str, str]]:
    """Diagnostics read from the settings: (code, message)."""
    found: list[tuple[str, str]] = []
    if kind == "WarmupLR":
        peak = params.get("warmup_max_lr")
        held = f"warmup_max_lr {peak:g}" if peak is not None else f"the optimizer's lr {lr:g} (warmup_max_lr unset)"
        found.append(
            (
                "deepspeed-warmuplr-no-decay",
                f"WarmupLR never decays: after {warmup:,} warmup steps it holds {held} until training ends; "
                "WarmupDecayLR (linear) or WarmupCosineLR decay it over total_num_steps",
            )
        )
    if kind == "OneCycle" and not params.get("decay_step_size"):
        up = params.get("cycle_first_step_size", known["cycle_first_step_size"])
        down = up if params.get("cycle_second_step_size") is None else params["cycle_second_step_size"]
        if up + down < total:
            found.append(
                (
                    "deepspeed-onecycle-ends-early",
                    f"OneCycle: the cycle ({up:,} steps up, {down:,} down) ends at step {up + down:,} of "
                    f"{total:,}; then the LR holds cycle_min_lr {params['cycle_min_lr']:g} until training ends "
                    "(decay_step_size 0: no decay); cycle_first_step_size sets the cycle's length",
                )
            )
    if warmup and warmup >= total:
        found.append(
            (
                "deepspeed-warmup-longer-than-run",
                f"{kind}: the warmup of {warmup:,} steps is not shorter than the run ({total:,} steps): "
                "the LR never reaches its peak",
            )
        )
    given = params.get("total_num_steps")
    if given is not None and given != total:
        found.append(
            (
                "deepspeed-run-not-total-num-steps",
                f"{kind}: the run has {total:,} steps but total_num_steps is {given:,}: the schedule "
                + ("ends early and holds its last LR" if total > given else "is cut before it ends"),
            )
        )
    return found


__all__ = ["ARGS", "PARAMS", "REQUIRED", "TYPES", "build", "is_block", "settings"]


def settings(run: RunConfig) -> DeepSpeedSettings:
    """The run's deepspeed settings (``run.settings``, typed)."""
    if not isinstance(run.settings, DeepSpeedSettings):
        raise TypeError(f"not a deepspeed run: {run.scheduler.describe()}")
    return run.settings

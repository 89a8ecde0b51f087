"""A TrainingArguments run with a DeepSpeed config: the values the Trainer fills in, and whose schedule runs.

What transformers 5.24 does with ``deepspeed=ds_config.json`` (``integrations/deepspeed.py``):

* ``TrainingArguments.__post_init__`` builds ``HfTrainerDeepSpeedConfig(ds)`` and calls
  ``trainer_config_process(args)`` (training_args.py 1707-1711; deepspeed.py 130-177): each
  ``"auto"`` takes the argument's value, and a value that is not ``"auto"`` must equal it
  (``fill_match``): the batch sizes, ``gradient_clipping``, the optimizer's ``lr``, ``betas``,
  ``eps``, ``weight_decay``, ``fp16``/``bf16.enabled``, ``scheduler.params.warmup_max_lr``
  (learning_rate); ``warmup_min_lr`` is only filled (0);
* ``Trainer._inner_training_loop`` calls ``deepspeed_init(self, num_training_steps=max_steps)``
  (trainer.py 1729-1730), which calls ``trainer_config_finalize(args, model, max_steps)``
  (deepspeed.py 179-239): ``total_num_steps`` (the run's optimizer steps) and
  ``warmup_num_steps`` (``max(1, args.get_warmup_steps(max_steps))``), and raises ``ValueError``
  ("Please correct the following DeepSpeed config values that mismatch TrainingArguments
  values") on any mismatch found by either stage;
* ``deepspeed_optim_sched`` (deepspeed.py 559-610): with a ``scheduler`` block it hands a
  ``DummyScheduler`` to accelerate, which passes no scheduler to ``deepspeed.initialize``
  (accelerate ``accelerator.py`` 2366-2387), so the DeepSpeed engine builds the block's class
  (``_scheduler_from_config``) on the optimizer: the ``optimizer`` block's (its lr filled as
  above), else the Trainer's AdamW at learning_rate. The engine steps it in ``engine.step()``
  after each optimizer step (``_take_model_step``, deepspeed 0.19.8 engine.py 3534-3550) at the
  accumulation boundaries accelerate sets from the Trainer's ``sync_gradients``
  (``DeepSpeedEngineWrapper.backward``): once per Trainer optimizer step, while the Trainer's own
  ``lr_scheduler.step()`` is ``DeepSpeedSchedulerWrapper.step``, which does nothing. Since that
  happens inside ``accelerator.backward()``, the ``learning_rate`` the Trainer logs (``get_last_lr()``
  after its ``optimizer.step()``) is the next step's LR: a run's log is one step ahead of the plan. Without a
  ``scheduler`` block the Trainer's own schedule runs (``create_scheduler`` on DeepSpeed's optimizer).

``fill`` calls transformers' own ``HfTrainerDeepSpeedConfig.trainer_config_process`` and
``trainer_config_finalize`` on the file's DeepSpeed config, with the run's arguments in a plain
namespace (a real ``TrainingArguments`` refuses ``fp16`` on a CPU) whose ``get_warmup_steps`` is
transformers' own method, and a stand-in model whose ``config.hidden_size`` is 1: the model is read
only to fill ZeRO's bucket sizes, which do not touch the schedule. transformers (with accelerate
and deepspeed) is imported only inside ``fill``.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import importlib
import io
import math
import types
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from lrviz.errors import ConfigError, option
from lrviz.frameworks.base import Fields, one_line, require
from lrviz.keys import KeyPath, dotted

#: ``deepspeed.runtime.lr_schedules``' classes (``VALID_LR_SCHEDULES`` of 0.19.8); a test compares.
TYPES = ("LRRangeTest", "OneCycle", "WarmupLR", "WarmupDecayLR", "WarmupCosineLR")
#: The scheduler params the Trainer fills when they are ``"auto"``.
FILLED = ("warmup_min_lr", "warmup_max_lr", "warmup_num_steps", "total_num_steps")
#: TrainingArguments fields ``trainer_config_process`` reads, with the Trainer's defaults (a test compares).
ARG_DEFAULTS: dict[str, Any] = {
    "max_grad_norm": 1.0,
    "adam_beta1": 0.9,
    "adam_beta2": 0.999,
    "adam_epsilon": 1e-8,
    "weight_decay": 0.0,
    "save_on_each_node": False,
    "fp16": False,
    "fp16_full_eval": False,
    "bf16": False,
    "bf16_full_eval": False,
}


@dataclass(frozen=True)
class DeepSpeedConfig:
    """The DeepSpeed config a run names, as read: its data, its label and the line of each key."""

    data: dict[str, Any]
    label: str
    lines: dict[KeyPath, int] = field(default_factory=dict)

    def at(self, *path: str) -> str:
        line = self.lines.get(tuple(path))
        return f"{self.label}:{line}: {dotted(path)}" if line else f"{self.label}: {dotted(path)}"


@dataclass(frozen=True)
class DeepSpeedPlan:
    """The DeepSpeed scheduler the engine builds and steps in place of the Trainer's, its params filled."""

    type: str
    params: dict[str, Any]
    lr: float
    #: where each param came from ("": the block), for DeepSpeed's own rejection
    where: dict[str, str] = field(default_factory=dict)

    @property
    def warmup(self) -> int:
        """The warmup's steps as the Warmup classes count them (``max(2, warmup_num_steps)``); 0 for the others."""
        return max(2, int(self.params.get("warmup_num_steps", 1000))) if self.type.startswith("Warmup") else 0


def read(
    f: Fields, found: DeepSpeedConfig, given: Mapping[str, Any], total: int, name: str, notes: list[str]
) -> DeepSpeedPlan | None:
    """The run's DeepSpeed config filled as the Trainer fills it; the scheduler that runs, if the config has one."""
    block = found.data.get("scheduler")
    if block is not None and f.layer.dialect == "axolotl":
        raise ConfigError(
            f"{f.at('deepspeed')}: the DeepSpeed config has a scheduler block (type {block.get('type')}), which replaces axolotl's {name} "
            "schedule in the real run; lrviz does not draw that combination for axolotl; to see axolotl's own "
            f"schedule: {option('overrides')} deepspeed=null"
        )
    if f.layer.dialect == "axolotl":  # axolotl fills the DeepSpeed config from its own arguments
        return None
    filled = fill(found, arguments(f, given), total)
    found_plan = plan(f, found, filled, float(given["learning_rate"]))
    if found_plan is None:
        return None
    raw = found.data["scheduler"].get("params") or {}
    autos = [f"{k}={v}" for k, v in found_plan.params.items() if raw.get(k) == "auto"]
    notes.append(
        f"{found.at('scheduler')}: the DeepSpeed engine builds {found_plan.type} from this block and steps it after "
        f"each optimizer step, in place of the Trainer's {name} (lr_scheduler_type, lr_scheduler_kwargs and the "
        "Trainer's warmup are not used)" + (f'; "auto" filled by the Trainer: {", ".join(autos)}' if autos else "")
    )
    notes.append(
        "the engine steps this scheduler inside accelerator.backward(), before the Trainer reads get_last_lr(): "
        "the learning_rate the Trainer logs at step s is the LR of optimizer step s (0-based), one step ahead of "
        "a plain Trainer's log (check and watch read the run's log so)"
    )
    optimizer = filled.get("optimizer")
    if isinstance(optimizer, Mapping):
        notes.append(
            f"{found.at('optimizer')}: the DeepSpeed engine builds {optimizer.get('type')} from this block with lr "
            f"{found_plan.lr:g}; lrviz steps torch's AdamW with that lr: the LR curve does not depend on the update rule"
        )
    fp16 = filled.get("fp16")
    if isinstance(fp16, Mapping) and fp16.get("enabled") is True:
        notes.append(
            f"{found.at('fp16')}: fp16 with loss scaling skips the engine's lr_scheduler.step() on every overflow, "
            "so a real run's LR lags this plan by the skipped steps"
        )
    defaults = _defaults(found_plan.type, found_plan.params)
    if defaults:
        notes.append(f"{found.at('scheduler', 'params')}: not set, DeepSpeed's defaults: {', '.join(defaults)}")
    return found_plan


#: Defaults that do not shape the LR curve (OneCycle's momentum cycle) or are the resume index.
_QUIET_DEFAULTS = {"last_batch_iteration", "cycle_momentum", "cycle_min_mom", "cycle_max_mom", "decay_mom_rate"}


def _defaults(kind: str, params: Mapping[str, Any]) -> list[str]:
    """The installed DeepSpeed class's defaults for the params the block leaves out: they shape the curve."""
    import inspect

    from lrviz.frameworks._deepspeed import deepspeed_lr_schedules

    cls = getattr(deepspeed_lr_schedules(), kind)
    return [
        f"{p.name}={p.default}"
        for p in inspect.signature(cls).parameters.values()
        if p.name not in params
        and p.name not in _QUIET_DEFAULTS
        and p.name not in ("self", "optimizer")
        and p.default is not inspect.Parameter.empty
        and p.default is not None
    ]


def arguments(f: Fields, values: Mapping[str, Any]) -> types.SimpleNamespace:
    """The TrainingArguments values the fill reads: ``values`` (already read) and the rest from the file."""
    out: dict[str, Any] = dict(values)
    for key, default in ARG_DEFAULTS.items():
        value = f.doc.get(key, default)
        if isinstance(default, bool):
            if isinstance(value, str) and value.lower() in ("true", "false"):
                value = value.lower() == "true"
            if not isinstance(value, bool):
                raise ConfigError(f"{f.at(key)}: expected true or false, got {value!r}")
        else:
            try:
                value = float(value)
            except (TypeError, ValueError):
                raise ConfigError(f"{f.at(key)}: expected a number, got {value!r}") from None
        out[key] = value
    return types.SimpleNamespace(**out)


def fill(found: DeepSpeedConfig, args: types.SimpleNamespace, total: int) -> dict[str, Any]:
    """The config after transformers' ``trainer_config_process`` and ``trainer_config_finalize``; a mismatch refused."""
    require("deepspeed", "deepspeed")
    from lrviz.frameworks._deepspeed import deepspeed_logs

    with deepspeed_logs([]), contextlib.redirect_stdout(io.StringIO()):
        from transformers import TrainingArguments

        integration: Any = importlib.import_module("transformers.integrations.deepspeed")

        args.get_warmup_steps = functools.partial(cast(Any, TrainingArguments).get_warmup_steps, args)
        model = types.SimpleNamespace(config=types.SimpleNamespace(hidden_size=1))
        try:
            hf_config = integration.HfTrainerDeepSpeedConfig(copy.deepcopy(found.data))
            hf_config.trainer_config_process(args)
            hf_config.trainer_config_finalize(args, model, total)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            text = one_line(exc).replace("\n", " ")
            raise ConfigError(
                f"{found.label}: transformers' Trainer rejects this DeepSpeed config with these arguments: {text}"
            ) from None
        finally:
            integration.unset_hf_deepspeed_config()  # transformers keeps a global reference to the last one
        return dict(hf_config.config)


def plan(f: Fields, found: DeepSpeedConfig, filled: Mapping[str, Any], learning_rate: float) -> DeepSpeedPlan | None:
    """The scheduler the DeepSpeed engine runs instead of the Trainer's (None: the config has no scheduler block)."""
    block = found.data.get("scheduler")
    lr = _optimizer_lr(found, filled, learning_rate)
    if block is None:
        return None
    if not isinstance(block, Mapping) or not isinstance(block.get("type"), str):
        raise ConfigError(f"{found.at('scheduler')}: expected a mapping with type and params")
    kind = block["type"]
    if kind not in TYPES:
        raise ConfigError(
            f"{found.at('scheduler', 'type')}: {kind} is not one of DeepSpeed's schedulers ({', '.join(TYPES)}); "
            "lrviz does not draw a torch scheduler built by the DeepSpeed engine from a TrainingArguments run; "
            f"to see the Trainer's own schedule: {option('overrides')} deepspeed=null"
        )
    raw = block.get("params") or {}
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{found.at('scheduler', 'params')}: expected a mapping")
    params = dict(filled["scheduler"].get("params") or {})
    left = [k for k, v in params.items() if v == "auto"]
    if left:
        raise ConfigError(
            f'{found.at("scheduler", "params", left[0])}: "auto", but the Trainer fills only {", ".join(FILLED)}; '
            "DeepSpeed would get the string: give the value"
        )
    where = {"": found.at("scheduler", "params"), **{k: found.at("scheduler", "params", k) for k in params}}
    return DeepSpeedPlan(kind, params, lr, where)


def _optimizer_lr(found: DeepSpeedConfig, filled: Mapping[str, Any], learning_rate: float) -> float:
    """The optimizer's lr: the ``optimizer`` block's (filled; it must equal learning_rate) or the Trainer's AdamW's."""
    block = filled.get("optimizer")
    if block is None:
        return learning_rate
    params = block.get("params") if isinstance(block, Mapping) else None
    lr = params.get("lr") if isinstance(params, Mapping) else None
    if lr is None:
        raise ConfigError(
            f"{found.at('optimizer', 'params')}: no lr, so DeepSpeed's {block.get('type') if isinstance(block, Mapping) else ''} "
            "takes its own default lr, not learning_rate; lrviz does not draw that: "
            f'set {found.label}: optimizer.params.lr to "auto"'
        )
    if isinstance(lr, bool) or not isinstance(lr, int | float) or not math.isfinite(lr):
        raise ConfigError(f'{found.at("optimizer", "params", "lr")}: expected a number or "auto", got {lr!r}')
    return float(lr)


__all__ = ["ARG_DEFAULTS", "FILLED", "TYPES", "DeepSpeedConfig", "DeepSpeedPlan", "arguments", "fill", "plan", "read"]

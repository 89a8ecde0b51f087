"""axolotl's own scheduler choice, read from its config: which of ``axolotl.utils.schedulers`` the trainer builds.

axolotl 067b021 (axolotl-ai-cloud/axolotl): ``TrainerBuilderBase._configure_scheduler``
(``core/builders/base.py`` 281-290) turns ``lr_scheduler: one_cycle|rex`` into
``lr_scheduler_type: cosine`` plus ``alternate_lr_scheduler_type``; then
``SchedulerMixin.create_scheduler`` (``core/trainers/mixins/scheduler.py``) picks, in order:

1. ``one_cycle``: torch's ``OneCycleLR(max_lr=learning_rate, total_steps=T, pct_start=warmup / T,
   anneal_strategy="cos", **lr_scheduler_kwargs)`` (a kwarg given there wins);
2. ``rex``: ``RexLR(max_lr=learning_rate, min_lr=learning_rate x cosine_min_lr_ratio (or 0),
   total_steps=T, num_warmup_steps=warmup)``;
3. cosine with ``lr_quadratic_warmup: true``: ``get_cosine_schedule_with_quadratic_warmup``;
4. cosine with ``cosine_min_lr_ratio`` and ``cosine_constant_lr_ratio`` (both non-zero):
   ``get_cosine_schedule_with_warmup_decay_constant``;
5. cosine with ``cosine_min_lr_ratio`` (non-zero): ``get_cosine_schedule_with_min_lr``;
6. otherwise transformers' ``get_scheduler`` (``Trainer.create_scheduler``);

and with ``jagged_restart_steps`` (ReLoRA's restarts, causal builder 313-325) wraps the result in
``JaggedLRRestartScheduler(steps, jagged_restart_warmup_steps or 10, jagged_restart_anneal_steps
or 1, min_lr_scale=cosine_min_lr_ratio or 0.001)``. ``warmup`` is
``TrainingArguments.get_warmup_steps(T)`` of axolotl's warmup (``read.axolotl_steps``).
Nothing here imports torch or axolotl.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lrviz.config.values import MAX_POINTS, describe_value
from lrviz.errors import ConfigError, option
from lrviz.frameworks.base import Fields
from lrviz.frameworks.hf.values import number

#: axolotl's names for TrainingArguments fields.
NAMES = {
    "lr_scheduler": "lr_scheduler_type",
    "num_epochs": "num_train_epochs",
    "micro_batch_size": "per_device_train_batch_size",
}
#: axolotl's own schedulers chosen by name (``lr_scheduler:``).
OWN = ("one_cycle", "rex")


@dataclass(frozen=True)
class AxolotlScheduler:
    """One of axolotl's schedulers: the ``axolotl.utils.schedulers`` name (or torch's OneCycleLR) and its arguments.

    ``jagged`` holds ``JaggedLRRestartScheduler``'s arguments when ReLoRA's restarts wrap it; ``kind``
    is ``transformers`` when only the wrapper is axolotl's.
    """

    kind: str
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    jagged: Mapping[str, Any] | None = None

    def describe(self, transformers_type: str) -> str:
        """The name shown for the run: ``RexLR``, or ``JaggedLRRestartScheduler(cosine)``."""
        inner = transformers_type if self.kind == "transformers" else self.kind
        return f"JaggedLRRestartScheduler({inner})" if self.jagged is not None else inner

    def arguments(self, transformers_args: Mapping[str, Any]) -> dict[str, Any]:
        """The arguments shown for the run: the inner scheduler's, then the wrapper's."""
        inner = transformers_args if self.kind == "transformers" else self.kwargs
        return {**inner, **(self.jagged or {})}


def rename(f: Fields, notes: list[str]) -> str | None:
    """axolotl's names -> TrainingArguments', keeping where each came from; axolotl's own scheduler name, if any."""
    for old, new in NAMES.items():
        if old in f.doc and new not in f.doc:
            f.doc[new] = f.doc.pop(old)
            where = f.layer.where.get(("document", old))
            if where is not None:
                f.layer.where[("document", new)] = where
    own = f.doc.get("lr_scheduler_type")
    if own == "log_sweep":
        raise ConfigError(
            f"{f.at('lr_scheduler_type')}: lr_scheduler: log_sweep is not a scheduler axolotl builds any more: "
            "axolotl 067b021 passes it to TrainingArguments as lr_scheduler_type, which transformers rejects "
            "(InterpolatingLogScheduler in axolotl/utils/schedulers.py is no longer wired to a config key)"
        )
    for key, name, default in (
        ("num_train_epochs", "num_epochs", 1.0),
        ("per_device_train_batch_size", "micro_batch_size", 1),
    ):  # axolotl's HyperparametersConfig defaults (utils/schemas/training.py), passed to TrainingArguments
        if not f.given(key):
            f.doc[key] = default
            f.layer.where[("document", key)] = f"axolotl's default ({name}: {default})"
            steps = f.doc.get("max_steps")
            if key != "num_train_epochs" or not (isinstance(steps, int) and steps > 0):
                notes.append(f"{name} is not set: axolotl's default is {default:g}, not the Trainer's")
    if not f.given("lr_scheduler_type"):
        notes.append("lr_scheduler is not set: axolotl's default is cosine")
        f.layer.where[("document", "lr_scheduler_type")] = "axolotl's default (lr_scheduler: cosine)"
    if not f.given("lr_scheduler_type") or own in OWN:
        f.doc["lr_scheduler_type"] = "cosine"  # axolotl's default, and what it sets for one_cycle and rex
    if f.given("optimizer"):
        notes.append(f"optimizer {f.doc['optimizer']}: the LR curve does not depend on it; lrviz steps a dummy AdamW")
    return own if own in OWN else None


def choose(f: Fields, own: str | None, lr: float, total: int, warmup: int, notes: list[str]) -> AxolotlScheduler | None:
    """The scheduler axolotl's create_scheduler builds here, or None when it is transformers' alone."""
    cosine = f.doc.get("lr_scheduler_type") == "cosine"
    min_ratio = _ratio(f, "cosine_min_lr_ratio")
    constant_ratio = _ratio(f, "cosine_constant_lr_ratio")
    quadratic = f.doc.get("lr_quadratic_warmup") is True
    chosen: AxolotlScheduler | None = None
    if own == "one_cycle":
        kwargs = dict(_kwargs(f))
        kwargs.setdefault("pct_start", warmup / total)
        kwargs.setdefault("anneal_strategy", "cos")
        chosen = AxolotlScheduler("OneCycleLR", {"max_lr": lr, "total_steps": total, **kwargs})
    elif own == "rex":
        low = lr * min_ratio if min_ratio is not None else 0
        chosen = AxolotlScheduler(
            "RexLR", {"max_lr": lr, "min_lr": low, "total_steps": total, "num_warmup_steps": warmup}
        )
    elif cosine and quadratic:
        if min_ratio is not None:
            notes.append(
                f"{f.at('cosine_min_lr_ratio')}: axolotl uses the quadratic warmup and ignores the min LR ratio "
                '(it logs "Both cosine quadratic warmup and min lr detected")'
            )
        chosen = AxolotlScheduler(
            "get_cosine_schedule_with_quadratic_warmup", {"num_warmup_steps": warmup, "num_training_steps": total}
        )
    elif cosine and min_ratio and constant_ratio:
        chosen = AxolotlScheduler(
            "get_cosine_schedule_with_warmup_decay_constant",
            {
                "num_warmup_steps": warmup,
                "num_training_steps": total,
                "min_lr_ratio": min_ratio,
                "constant_lr_ratio": constant_ratio,
            },
        )
    elif cosine and min_ratio:
        chosen = AxolotlScheduler(
            "get_cosine_schedule_with_min_lr",
            {"num_warmup_steps": warmup, "num_training_steps": total, "min_lr_ratio": min_ratio},
        )
    elif min_ratio is not None and not cosine:
        notes.append(
            f"{f.at('cosine_min_lr_ratio')}: axolotl reads it only with lr_scheduler: cosine (or rex); "
            f"with {f.doc.get('lr_scheduler_type')} it has no effect"
        )
    jagged = _jagged(f, min_ratio)
    if jagged is not None:
        return AxolotlScheduler(chosen.kind if chosen else "transformers", chosen.kwargs if chosen else {}, jagged)
    return chosen


def _ratio(f: Fields, key: str) -> float | None:
    if not f.given(key):
        return None
    value = number(f, key)
    if not 0 <= value <= 1:  # axolotl asserts this in create_scheduler
        raise ConfigError(f"{f.at(key)}: axolotl asserts {key} must be between 0.0 and 1.0, got {value!r}")
    return float(value)


def _kwargs(f: Fields) -> Mapping[str, Any]:
    raw = f.doc.get("lr_scheduler_kwargs") or {}
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{f.at('lr_scheduler_kwargs')}: expected a mapping, got {describe_value(raw)}")
    return raw


def _jagged(f: Fields, min_ratio: float | None) -> Mapping[str, Any] | None:
    if not f.doc.get("jagged_restart_steps"):
        if f.doc.get("relora"):
            raise ConfigError(
                f'{f.at("relora")}: axolotl refuses this file: "jagged_restart_steps must be set to use ReLoRA"'
            )
        return None
    steps = _whole(f, "jagged_restart_steps")
    warmup = _whole(f, "jagged_restart_warmup_steps") if f.doc.get("jagged_restart_warmup_steps") else 10
    anneal = _whole(f, "jagged_restart_anneal_steps") if f.doc.get("jagged_restart_anneal_steps") else 1
    return {
        "jagged_restart_steps": steps,
        "jagged_restart_warmup_steps": warmup,
        "jagged_restart_anneal_steps": anneal,
        "min_lr_scale": min_ratio or 0.001,
    }


def _whole(f: Fields, key: str) -> int:
    return int(number(f, key, integer=True, low=1))


def axolotl_steps(
    f: Fields, epochs: float, max_steps: int, micro: int, dataset: int | None, world: int
) -> tuple[int, float, str]:
    """axolotl's total steps and the warmup it passes to TrainingArguments (axolotl 067b021).

    ``normalize_config`` (``utils/config/__init__.py`` 200-230): ``gradient_accumulation_steps``, else
    ``batch_size // micro_batch_size``; ``batch_size``, else ``micro x accumulation``, times the ranks.
    ``calculate_total_num_steps`` (``utils/trainer.py``, without sample packing): ``ceil(N x num_epochs /
    batch_size)``, one ceil over the whole run; the builder passes it as ``max_steps`` unless ``max_steps``
    is set (``core/builders/base.py`` 677). Warmup (``_configure_warmup_and_logging``, 235-257):
    ``warmup_steps``; else ``int(warmup_ratio x T)`` (a floor); else ``min(int(0.03 x T), 100)``; 1 becomes 2.
    """
    given_batch = f.doc.get("batch_size")
    accum = f.doc.get("gradient_accumulation_steps")
    # axolotl's own validation (utils/schemas/validation.py check_gas_bsz, check_batch_size_fields)
    if accum and given_batch:
        raise ConfigError(
            f'{f.at("batch_size")}: axolotl refuses this file: "please set only one of gradient_accumulation_steps '
            f'or batch_size"; remove one ({option("overrides")} batch_size=null)'
        )
    if not accum:
        accum = given_batch // micro if isinstance(given_batch, int) and not isinstance(given_batch, bool) else 1
    per_step = (given_batch if isinstance(given_batch, int) and given_batch > 0 else micro * int(accum)) * world
    if max_steps > 0:
        total = max_steps
        text = f"max_steps = {total:,} steps"
    elif dataset is None:
        raise ConfigError(
            f"{f.prefix}axolotl counts the steps from the dataset size: pass {option('dataset_size')} N "
            f"(the training samples after val_set_size), or set {f.at('max_steps').split(': ')[-1]}"
        )
    else:
        total = max(math.ceil(dataset * epochs / per_step), 1)
        text = (
            f"axolotl: ceil({dataset:,} samples x {epochs:g} epochs / {per_step:,} per step "
            f"(micro_batch_size {micro} x accumulation {accum}"
            + (f" x {world} ranks" if world > 1 else "")
            + f")) = {total:,} steps"
        )
    if total > MAX_POINTS:
        where = (
            f.at("max_steps") if max_steps > 0 else f"{f.at('num_epochs')} with {option('dataset_size')} {dataset:,}"
        )
        raise ConfigError(
            f"{where}: {total:,} steps is more than the limit of {MAX_POINTS:,} "
            "(raise the limit with LRVIZ_MAX_POINTS=N if the run needs it)"
        )
    warmup: float
    if f.given("warmup_steps"):
        warmup = number(f, "warmup_steps", low=0.0)
    elif f.given("warmup_ratio"):
        warmup = max(int(number(f, "warmup_ratio", low=0.0, high=1.0) * total), 0)
    else:
        warmup = min(int(0.03 * total), 100)
    if warmup == 1:
        warmup = 2
    return total, warmup, text

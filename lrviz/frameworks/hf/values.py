"""TrainingArguments values that take more than a number: checked numbers, scheduler kwargs, evaluations, DeepSpeed.

``evaluations`` gives the steps after which ``reduce_lr_on_plateau``/``greedy`` see a metric
(after every ``eval_steps``-th step, ``trainer_callback.py`` 576-581, or at each epoch's end);
``deepspeed_config`` opens the DeepSpeed file the run names, as the Trainer does, from the
launch directory first.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from lrviz.config.values import describe_value, read_metrics
from lrviz.errors import ConfigError, option
from lrviz.frameworks.base import Fields
from lrviz.frameworks.hf.with_deepspeed import DeepSpeedConfig

#: Types the Trainer steps on an evaluation metric instead of every optimizer step (trainer.py 1951, 3302-3340).
METRIC_TYPES = ("reduce_lr_on_plateau", "greedy")

DEFAULTS: dict[str, Any] = {
    "learning_rate": 5e-5,
    "warmup_steps": 0,
    "num_train_epochs": 3.0,
    "max_steps": -1,
    "per_device_train_batch_size": 8,
    "gradient_accumulation_steps": 1,
    "dataloader_drop_last": False,
    "eval_strategy": "no",
    "logging_steps": 500,
}


def number(
    f: Fields,
    key: str,
    *,
    integer: bool = False,
    low: float | None = None,
    open_low: bool = False,
    high: float | None = None,
) -> float:
    value = f.doc.get(key, DEFAULTS.get(key))
    if isinstance(value, str):  # PyYAML 1.1 reads `3e-6` as a string; HfArgumentParser takes it as a number
        try:
            value = float(value)
        except ValueError:
            raise ConfigError(f"{f.at(key)}: expected a number, got {describe_value(value)}") from None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigError(
            f"{f.at(key)}: expected {'an integer' if integer else 'a number'}, got {describe_value(value)}"
        )
    if integer and not float(value).is_integer():
        raise ConfigError(f"{f.at(key)}: expected an integer, got {value!r}")
    if low is not None and (value <= low if open_low else value < low):
        raise ConfigError(f"{f.at(key)}: must be {'>' if open_low else '>='} {low:g}, got {value!r}")
    if high is not None and value > high:
        raise ConfigError(f"{f.at(key)}: must be <= {high:g}, got {value!r}")
    return int(value) if integer else value


def whole(f: Fields, key: str) -> int | None:
    value = f.override(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{f.override_at(key)}: expected an integer >= 1, got {describe_value(value)}")
    return value


def scheduler_kwargs(f: Fields) -> dict[str, Any]:
    raw = f.doc.get("lr_scheduler_kwargs")
    if raw is None or raw == "":
        return {}
    if isinstance(raw, str):  # TrainingArguments.__post_init__ parses a JSON string starting with `{`
        try:
            raw = json.loads(raw) if raw.strip().startswith("{") else raw
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{f.at('lr_scheduler_kwargs')}: not valid JSON: {exc.msg}") from None
    if not isinstance(raw, dict):
        raise ConfigError(
            f"{f.at('lr_scheduler_kwargs')}: expected a mapping like {{num_cycles: 2}}, got {describe_value(raw)}"
        )
    out: dict[str, Any] = {}
    for k, v in raw.items():
        if not isinstance(k, str) or not k.isidentifier():
            raise ConfigError(f"{f.at('lr_scheduler_kwargs')}: {k!r} is not an argument name")
        if not (v is None or isinstance(v, bool | int | float | str)) or isinstance(v, float) and not math.isfinite(v):
            raise ConfigError(
                f"{f.at('lr_scheduler_kwargs', k)}: expected a number, string or true/false, got {describe_value(v)}"
            )
        out[k] = v
    return out


def evaluations(f: Fields, name: str, total: int, upe: int | None) -> tuple[tuple[float, ...] | None, list[int]]:
    """For metric-driven types: the metric of each evaluation, and the steps after which they happen."""
    if name not in METRIC_TYPES:
        return None, []
    strategy = f.doc.get("eval_strategy", f.doc.get("evaluation_strategy", "no"))
    if strategy not in ("steps", "epoch"):
        raise ConfigError(
            f"{f.at('eval_strategy')}: lr_scheduler_type {name} requires an eval strategy (steps or epoch), "
            f"as TrainingArguments does; got {describe_value(strategy)}"
        )
    if strategy == "steps":
        every = number(f, "eval_steps", low=0.0, open_low=True) if f.given("eval_steps") else None
        if every is None:
            every = number(f, "logging_steps", low=0.0, open_low=True)
        every = math.ceil(total * every) if every < 1 else int(every)
        at = list(range(every, total, every))
    else:
        if upe is None:
            raise ConfigError(
                f"{f.at('eval_strategy')}: evaluating every epoch needs the dataset size: pass {option('dataset_size')} N"
            )
        at = list(range(upe, total, upe))
    raw = f.override("metrics")
    if raw is None:
        raw = f.doc.get("metrics")
    where = f.override_at("metrics") if f.override("metrics") is not None else f.at("metrics")
    if isinstance(raw, Path):
        raw = read_metrics(raw)
    if not isinstance(raw, list) or not raw:
        raise ConfigError(
            f"{where}: {name} steps on an evaluation metric: give one value per evaluation "
            f"({len(at)} before the last step) with {option('metrics')} FILE or `metrics: [...]`"
        )
    values = []
    for i, v in enumerate(raw):
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            raise ConfigError(f"{where}[{i}]: expected a number, got {describe_value(v)}")
        values.append(float(v))
    if len(values) < len(at):
        raise ConfigError(f"{where}: {len(values)} metric values for {len(at)} evaluations; give one per evaluation")
    return tuple(values[: len(at)]), at


def deepspeed_config(f: Fields, notes: list[str]) -> DeepSpeedConfig | None:
    """The DeepSpeed config the run references (``deepspeed:`` a file or a mapping), as the Trainer opens it."""
    raw = f.doc.get("deepspeed")
    if isinstance(raw, dict):
        return DeepSpeedConfig(raw, f.at("deepspeed"))
    if not (isinstance(raw, str) and raw.strip().endswith(".json") and f.origin != "flags"):
        return None
    given = Path(raw.strip())
    # the Trainer opens the path from the directory it was launched in; configs often sit elsewhere
    candidates = [given] if given.is_absolute() else [Path.cwd() / given, Path(f.origin).parent / given]
    path = next((p for p in candidates if p.is_file()), None)
    if path is None:
        notes.append(
            f"{f.at('deepspeed')}: {raw.strip()} is not found from the current directory (where the Trainer "
            "opens it) nor beside the config; if it has a scheduler block, that block replaces the schedule "
            "drawn here: run lrviz from the training's launch directory"
        )
        return None
    from lrviz.config.files import read_yaml

    try:
        data, lines = read_yaml(path)
    except ConfigError:
        return None
    return DeepSpeedConfig(data, raw.strip(), lines)

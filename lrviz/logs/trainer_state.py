"""Hugging Face ``trainer_state.json``: ``log_history[].learning_rate`` by ``step`` (transformers' convention)."""

from __future__ import annotations

import json
from pathlib import Path

from lrviz import budget
from lrviz.errors import ConfigError
from lrviz.logs.runlog import RunLog, _build, _is_number, _names, _read_text

__all__ = ["read_trainer_state"]


def read_trainer_state(path: Path) -> RunLog:
    text = _read_text(path)
    if not text.strip():
        raise ConfigError(f"{path}: empty file; was the run logging yet?")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg})") from None
    except RecursionError:
        raise budget.NESTING.refusal(str(path), "the JSON's nesting") from None
    except ValueError:  # an integer of thousands of digits
        raise budget.DIGITS.refusal(str(path), "a number of more than 4,300 digits") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("log_history"), list):
        raise ConfigError(
            f"{path}: not a transformers trainer_state.json (no log_history list); "
            "for a JSON Lines export use a .jsonl file"
        )
    history = doc["log_history"]
    if not history:
        raise ConfigError(f"{path}: empty log_history; set logging_steps (and logging_strategy='steps') and train")
    steps, values = [], []
    keys: dict[str, None] = {}
    for i, entry in enumerate(history):
        if not isinstance(entry, dict):
            raise ConfigError(f"{path}: log_history[{i}]: expected an object, got {type(entry).__name__}")
        keys.update(dict.fromkeys(entry))
        if "learning_rate" not in entry:
            continue  # eval metrics and the closing train summary
        lr, step = entry["learning_rate"], entry.get("step")
        if not _is_number(lr):
            raise ConfigError(f"{path}: log_history[{i}].learning_rate: not a number: {lr!r}")
        if not isinstance(step, int) or isinstance(step, bool):
            raise ConfigError(f"{path}: log_history[{i}].step: expected a whole step number, got {step!r}")
        steps.append(step)
        values.append(float(lr))
    if not steps:
        raise ConfigError(
            f"{path}: no learning_rate in log_history (its keys are {_names(keys)}); "
            "the Trainer logs it every logging_steps optimizer steps"
        )
    return _build(path, "trainer_state", "transformers", {"learning_rate": (steps, values)})

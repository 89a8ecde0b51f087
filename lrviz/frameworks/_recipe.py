"""Values of a recipe-style training file (LLaMA-Factory v1, torchtune): numbers checked, each error at its key.

Shared by the adapters whose files are a flat mapping of their trainer's arguments, with the
trainer's default when a key is absent. Nothing here imports torch.
"""

from __future__ import annotations

import math
from typing import Any

from lrviz.config.values import describe_value
from lrviz.errors import ConfigError
from lrviz.frameworks.base import Fields


def number(f: Fields, key: str, default: Any, *, integer: bool = False, low: float | None = None) -> Any:
    """``f.doc[key]`` (or ``default`` when absent or null) as a finite number, ``>= low``; the error names the key."""
    value = f.doc.get(key)
    if value is None:
        return default
    if isinstance(value, str):  # PyYAML 1.1 reads `1.0e-4` as a number but `1e-4` as a string; the trainers parse it
        try:
            value = float(value)
        except ValueError:
            raise ConfigError(f"{f.at(key)}: expected a number, got {describe_value(value)}") from None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigError(
            f"{f.at(key)}: expected {'an integer' if integer else 'a number'}, got {describe_value(value)}"
        )
    if integer:
        if not float(value).is_integer():
            raise ConfigError(f"{f.at(key)}: expected an integer, got {value!r}")
        value = int(value)
    if low is not None and value < low:
        raise ConfigError(f"{f.at(key)}: must be >= {low:g}, got {value!r}")
    return value


def run_option(f: Fields, key: str) -> int | None:
    """A whole-number run option (``--dataset-size``, ``--world-size``, ``--steps-per-epoch``) or None."""
    value = f.override(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{f.override_at(key)}: expected an integer >= 1, got {describe_value(value)}")
    return value

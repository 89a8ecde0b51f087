"""Python source text shared by the adapters' ``code`` output: the snippet type and literals as ruff writes them."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Snippet:
    """The generated script in two parts: ``setup`` builds everything, ``loop`` steps it."""

    setup: str
    loop: str

    @property
    def text(self) -> str:
        return f"{self.setup}\n{self.loop}"


def float_text(value: float) -> str:
    if math.isnan(value):
        return 'float("nan")'
    if math.isinf(value):
        return 'float("inf")' if value > 0 else '-float("inf")'
    return repr(float(value))


def string(text: str) -> str:
    """A string literal in double quotes, as ruff format writes it."""
    shown = repr(text)
    if shown.startswith("'") and '"' not in text:
        return '"' + shown[1:-1].replace("\\'", "'") + '"'
    return shown


def comment(text: str) -> str:
    """Text safe on one comment line."""
    return text if text.isprintable() else repr(text)


def literal(value: Any) -> str:
    """A plain value (number, string, list) as Python source."""
    if isinstance(value, str):
        return string(value)
    if isinstance(value, float):
        return float_text(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    return repr(value)

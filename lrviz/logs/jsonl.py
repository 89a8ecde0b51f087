"""JSON Lines logs (``.jsonl``/``.ndjson``, W&B and MLflow exports), streamed: the first record with an
LR key picks the columns, as the header of a CSV does."""

from __future__ import annotations

import json
import math
from array import array
from pathlib import Path
from typing import Any

from lrviz import budget
from lrviz.errors import ConfigError, option
from lrviz.logs.runlog import (
    _MAX_STEP,
    RunLog,
    _build,
    _chunks,
    _convention_for,
    _huge,
    _is_number,
    _open_text,
    _pick_lr,
    _pick_step,
    is_lr_name,
)
from lrviz.logs.window import Tally, Window

__all__ = ["read_jsonl"]


def read_jsonl(path: Path, x: str | None, y: str | None, window: Window | None = None) -> RunLog:
    """JSON Lines, streamed: the first record with an LR key picks the columns (as the header of a CSV).
    Points are held in arrays (16 bytes each); with a ``window`` only those inside it, the rest counted."""
    columns: dict[str, tuple[array[int], array[float]]] = {}
    tallies: dict[str, Tally] | None = {} if window is not None else None
    low, high = (window.low, window.high) if window is not None else (0, 0)
    held = 0
    keys: dict[str, None] = {}
    lr_names: list[str] | None = None
    xc = ""
    line_no = rows = 0
    with _open_text(path) as text:
        for chunk in _chunks(path, text):
            for line in chunk:
                line_no += 1
                if not line.strip():
                    continue
                rows += 1
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise ConfigError(f"{path}:{line_no}: not valid JSON ({exc.msg})") from None
                except (ValueError, RecursionError) as exc:
                    raise ConfigError(f"{path}:{line_no}: not a log record ({type(exc).__name__})") from None
                if not isinstance(rec, dict):
                    raise ConfigError(f"{path}:{line_no}: expected one JSON object a line")
                if lr_names is None:
                    keys.update(dict.fromkeys(rec))
                    found = [k for k in keys if (k == y if y is not None else is_lr_name(k))]
                    if not found:
                        continue
                    names = list(keys)
                    xc = names[_pick_step(path, names, x)]
                    lr_names = [names[i] for i in _pick_lr(path, names, y, "keys")]
                    columns = {n: (array("q"), array("d")) for n in lr_names}
                    if tallies is not None:
                        tallies.update((n, Tally()) for n in lr_names)
                for name in lr_names:
                    value = rec.get(name)
                    if value is None:
                        continue
                    step: Any = rec.get(xc)
                    if not _is_number(value):
                        raise ConfigError(f"{path}:{line_no}: {name}: not a number: {str(value)[:40]!r}")
                    if not _is_number(step) or not math.isfinite(step) or not float(step).is_integer():
                        raise ConfigError(
                            f"{path}:{line_no}: {xc}: expected a whole step number, got {str(step)[:40]!r}"
                        )
                    whole = int(step)
                    if abs(whole) > _MAX_STEP:
                        raise ConfigError(
                            f"{path}:{line_no}: {xc}: a step of {_huge(whole)} is beyond any run's length; is the "
                            f"step key right (name it with {option('x')})?"
                        )
                    if window is not None and tallies is not None and not low <= whole < high:
                        tallies[name].add(whole, window)
                        continue
                    columns[name][0].append(whole)
                    columns[name][1].append(float(value))
                    held += 1
                    if budget.LOG_ROWS.exceeded(held):
                        raise budget.LOG_ROWS.refusal(str(path), "the points it holds")
    if rows == 0:
        raise ConfigError(f"{path}: empty log; was the run logging yet?")
    if lr_names is None:
        names = list(keys)
        _pick_step(path, names, x)
        _pick_lr(path, names, y, "keys")  # raises, naming the keys
        raise ConfigError(f"{path}: no learning rate found")  # pragma: no cover
    return _build(path, "jsonl", _convention_for(lr_names, "lrviz"), columns, tallies)

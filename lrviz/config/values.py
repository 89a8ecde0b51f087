"""Checking values: numbers, scheduler arguments, flag text, metric files, expectations.

Every check raises a ``ConfigError`` that starts with where the value came from
(``wr.yaml:7: scheduler.T_max`` or a flag), so this is the one place values are validated.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lrviz import budget
from lrviz.errors import ConfigError, option
from lrviz.expr import Expression
from lrviz.schedules import Arg, suggest

#: Upper bound on recorded values (epochs x steps per epoch x param groups): ``budget.POINTS``.
MAX_POINTS = budget.POINTS.value
#: Integers beyond this are refused outright (no epoch count or step size is anywhere near).
MAX_INT = 10**15


def parse_flag_value(arg: Arg, text: str, flag: str) -> Any:
    """Turn a flag's text into the value the registry expects for ``arg`` (ConfigError naming ``flag``)."""
    text = text.strip()
    if arg.kind in ("ints", "floats") and text.startswith("[") and text.endswith("]"):
        text = text[1:-1]  # [30,80], as the YAML would say it
    try:
        if arg.kind in ("int", "optional_int"):
            return int(text)
        if arg.kind in ("float", "floats"):
            if "," in text:
                return [float(p) for p in text.split(",")]
            return float(text)
        if arg.kind == "ints":
            return [int(p) for p in text.split(",") if p.strip()] if text else []
    except ValueError:
        raise ConfigError(f"{flag}: expected {arg.expects()}, got {text!r}") from None
    return text


def number(value: Any, where: str, *, integer: bool, bound: Any = None) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float):
        kind = "an integer" if integer else "a number"
        raise ConfigError(f"{where}: expected {kind}, got {describe_value(value)}")
    if isinstance(value, int) and abs(value) > MAX_INT:
        raise ConfigError(f"{where}: {_huge(value)} is far too large (the limit is {MAX_INT:,})")
    if not math.isfinite(value):
        raise ConfigError(f"{where}: expected a finite number, got {value}")
    if integer and not isinstance(value, int):
        if float(value).is_integer():
            if abs(value) > MAX_INT:  # 1.0e308 is a whole number too
                raise ConfigError(f"{where}: {plain_number(value)} is far too large (the limit is {MAX_INT:,})")
            value = int(value)
        else:
            raise ConfigError(f"{where}: expected an integer, got {value!r}")
    if bound is not None and not bound.contains(value):
        kind = "an integer" if integer else "a number"
        raise ConfigError(f"{where}: must be {kind} {bound.describe()}, got {value!r}")
    return value


def plain_number(value: float) -> str:
    """A number as people write it: 2000, 0.001, 1.5e-05 as 1.5e-5, 1e+308 as 1e308 (never ``2e+03``)."""
    if isinstance(value, int) or (math.isfinite(value) and value.is_integer() and abs(value) < 1e16):
        return f"{int(value):,}"
    text = f"{value:.6g}"
    mantissa, e, exponent = text.partition("e")
    return f"{mantissa}e{int(exponent)}" if e else text


def _huge(value: int) -> str:
    """A huge integer as a person would write it: its first digits and how many there are."""
    digits = len(str(abs(value))) if value.bit_length() < 14_000 else int(value.bit_length() * 0.30103) + 1
    return f"an integer of {digits:,} digits"


def describe_value(value: Any) -> str:
    if isinstance(value, str):
        shown = value if len(value) <= 60 else value[:57] + "..."
        return f"the string {shown!r}"
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return repr(value)


def check_arg(arg: Arg, value: Any, where: str, groups: int) -> Any:
    kind = arg.kind
    if kind == "int":
        return number(value, where, integer=True, bound=arg.bound)
    if kind == "optional_int":
        return None if value is None else number(value, where, integer=True, bound=arg.bound)
    if kind == "float":
        return number(value, where, integer=False, bound=arg.bound)
    if kind == "floats":
        if isinstance(value, list):
            if len(value) != groups:
                raise ConfigError(f"{where}: a list needs one value per param group ({groups}), got {len(value)}")
            return [number(v, f"{where}[{i}]", integer=False, bound=arg.bound) for i, v in enumerate(value)]
        return number(value, where, integer=False, bound=arg.bound)
    if kind == "ints":
        if not isinstance(value, list) or not value:
            raise ConfigError(f"{where}: expected a non-empty list of integers, e.g. [30, 80]")
        items = [number(v, f"{where}[{i}]", integer=True, bound=arg.bound) for i, v in enumerate(value)]
        for i in range(1, len(items)):
            if items[i] <= items[i - 1]:
                problem = "repeats" if items[i] == items[i - 1] else "is not sorted"
                raise ConfigError(f"{where}: {problem} at {items[i]}; list each epoch once, in increasing order")
        return items
    if kind == "choice":
        if value not in arg.choices:
            raise ConfigError(
                f"{where}: expected one of {', '.join(arg.choices)}, got {describe_value(value)}{suggest(str(value), arg.choices)}"
            )
        return value
    if kind == "bool":
        if isinstance(value, str) and value.lower() in ("true", "false", "yes", "no", "1", "0"):
            return value.lower() in ("true", "yes", "1")
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: expected true or false, got {describe_value(value)}")
        return value
    if kind == "expr":
        if isinstance(value, Mapping) and isinstance(value.get("_target_") or value.get("class_path"), str):
            target = value.get("_target_") or value.get("class_path")
            raise ConfigError(
                f"{where}: {target} is the project's own lr_lambda object; lrviz runs lr_lambda only as an "
                "expression in `epoch` (e.g. '0.95 ** epoch'), never a project's code"
            )
        exprs = value if isinstance(value, list) else [value]
        if isinstance(value, list) and len(value) != groups:
            raise ConfigError(f"{where}: a list needs one expression per param group ({groups}), got {len(value)}")
        out = []
        for i, text in enumerate(exprs):
            if isinstance(text, int | float) and not isinstance(text, bool):
                text = repr(text)
            try:
                out.append(Expression(text))
            except ConfigError as exc:
                label = f"{where}[{i}]" if isinstance(value, list) else where
                raise ConfigError(f"{label}: {exc}") from None
        return out if isinstance(value, list) else out[0]
    raise AssertionError(f"unhandled kind {kind}")  # pragma: no cover - registry bug


def read_metrics(path: Path) -> list[float]:
    """A column of numbers (one per line; a header line and extra CSV columns are ignored)."""
    from lrviz.config.files import MAX_CONFIG_BYTES
    from lrviz.inputs import read_limited

    raw = read_limited(path, 64 * MAX_CONFIG_BYTES, f"{option('metrics')} {path}")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError(f"{option('metrics')} {path}: not a UTF-8 text file") from None
    values: list[float] = []
    for number, line in enumerate(text.splitlines(), 1):
        cell = line.split(",")[-1].strip()
        if not cell or cell.startswith("#"):
            continue
        try:
            value = float(cell)
        except ValueError:
            if not values and number == 1:
                continue  # a header
            raise ConfigError(f"{option('metrics')} {path}:{number}: {cell!r} is not a number") from None
        if not math.isfinite(value):
            raise ConfigError(f"{option('metrics')} {path}:{number}: {cell!r} is not a finite number")
        values.append(value)
    if not values:
        raise ConfigError(f"{option('metrics')} {path}: no numbers found; put one metric value per line")
    return values


#: Keys accepted under `expect:` (and the flags that set them).
EXPECTATIONS = {
    "final_lr_below": "--final-lr-below",
    "lr_never_above": "--lr-never-above",
    "restarts": "--restarts",
}


def parse_expectations(raw: Any, where: str) -> dict[str, Any]:
    """Validate an `expect:` mapping (or the flags' equivalent)."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where}: expected a mapping like {{final_lr_below: 1.0e-4}}")
    out: dict[str, Any] = {}
    for key, value in raw.items():
        here = f"{where}.{key}"
        if key not in EXPECTATIONS:
            raise ConfigError(
                f"{here}: unknown expectation{suggest(str(key), list(EXPECTATIONS))}; use {', '.join(EXPECTATIONS)}"
            )
        if key == "restarts":
            if not isinstance(value, list) or not all(
                isinstance(v, int | float) and not isinstance(v, bool) for v in value
            ):
                raise ConfigError(f"{here}: expected a list of epochs, e.g. [5, 15, 35]")
            out[key] = [v for v in value]
        else:
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise ConfigError(f"{here}: expected a number")
            out[key] = float(value)
    return out

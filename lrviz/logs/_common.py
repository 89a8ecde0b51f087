"""What the tracker readers share: choosing a run, picking the step and LR series, building the ``RunLog``."""

from __future__ import annotations

import math
from array import array
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from lrviz.errors import ConfigError, option
from lrviz.logs.runlog import (
    _STEP_NAMES,
    CONVENTIONS,
    RunLog,
    StepConvention,
    _build,
    _convention_for,
    _names,
    _renumber,
    is_lr_name,
)

if TYPE_CHECKING:
    from lrviz.logs.window import Tally

T = TypeVar("T")


def select_run(path: Path, runs: Mapping[str, T], run: str | None, what: str = "run") -> T:
    """One of a store's runs: the only one, or the one ``--run`` names (a name, or an id or its prefix)."""
    if not runs:
        raise ConfigError(f"{path}: no {what} in this log; was the run logging yet?")
    if run is None:
        if len(runs) == 1:
            return next(iter(runs.values()))
        raise ConfigError(
            f"{path}: {len(runs)} {what}s in this log; choose one with {option('run')}: {_names(runs, 12)}"
        )
    for label, value in runs.items():
        if run == label or label.split(" (")[0] == run:
            return value
    matches = [v for label, v in runs.items() if "(" in label and label.split("(")[-1].rstrip(")").startswith(run)]
    if len(matches) == 1:
        return matches[0]
    raise ConfigError(f"{path}: no {what} named {run!r}; the log has {_names(runs, 12)}")


def pick_series(path: Path, names: Sequence[str], y: str | None, what: str = "metrics") -> list[str]:
    """The LR series among ``names``: ``y`` when given, else every name that is a learning rate."""
    if y is not None:
        if y not in names:
            raise ConfigError(f"{path}: no {what[:-1]} {y!r} for the LR (y); the {what} are {_names(names)}")
        return [y]
    found = [n for n in names if is_lr_name(n)]
    if not found:
        raise ConfigError(
            f"{path}: no learning-rate {what[:-1]} (lr, learning_rate, lr-<Optimizer>); the {what} are "
            f"{_names(names)}; name one with {option('y')}"
        )
    return found


def from_series(
    path: Path,
    fmt: str,
    columns: Mapping[str, tuple[Sequence[int], Sequence[float]]],
    convention: StepConvention | None = None,
    tallies: Mapping[str, Tally] | None = None,
) -> RunLog:
    """A ``RunLog`` from (logged step, value) pairs per series; ``convention`` defaults to the names' own;
    ``tallies`` count the points left out of each series while reading (``lrviz.logs.window``)."""
    conv = _convention_for(columns, "lrviz")
    log = _build(path, fmt, conv, columns, tallies)
    if convention is not None and convention.name != log.convention.name:
        log = _renumber(log, convention)
    return log


def from_records(
    path: Path,
    fmt: str,
    records: Iterable[Mapping[str, Any]],
    x: str | None,
    y: str | None,
    step_names: Sequence[str] = _STEP_NAMES,
    convention: StepConvention | None = None,
    parse: Callable[[Any], Any] | None = None,
) -> RunLog:
    """A ``RunLog`` from rows of named values (W&B history rows, trackio's metrics): the step column is
    ``x`` or the first of ``step_names`` present where the LR is; rows without the LR are skipped.
    ``parse`` turns a stored value into a number (W&B keeps JSON text): applied to the chosen columns only."""
    rows = records if isinstance(records, list) else list(records)
    keys = list(dict.fromkeys(k for r in rows for k in r))
    lr_names = pick_series(path, keys, y)
    if x is not None:
        if x not in keys:
            raise ConfigError(f"{path}: no metric {x!r} for the step (x); the metrics are {_names(keys)}")
        step_key = x
    else:
        step_key = next((n for n in step_names if any(n in r and any(m in r for m in lr_names) for r in rows)), "")
        if not step_key:
            raise ConfigError(f"{path}: no step metric; name it with {option('x')} (the metrics are {_names(keys)})")
    columns: dict[str, tuple[list[int], list[float]]] = {n: ([], []) for n in lr_names}
    for row in rows:
        step = row.get(step_key)
        if step is None:
            continue
        if parse is not None:
            step = parse(step)
        for name in lr_names:
            value = row.get(name)
            if value is None:
                continue
            if parse is not None:
                value = parse(value)
            if not _number(value):
                raise ConfigError(f"{path}: {name}: not a number: {value!r}")
            if not _number(step) or not float(step).is_integer():
                raise ConfigError(f"{path}: {step_key}: expected a whole step number, got {step!r}")
            columns[name][0].append(int(step))
            columns[name][1].append(float(value))
    return from_series(path, fmt, columns, convention)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and not math.isinf(value)


def steps_array(values: Iterable[int]) -> array[int]:
    return array("q", values)


def convention(name: str, offset: int, description: str) -> StepConvention:
    """A tracker's own step convention (``CONVENTIONS`` holds the frameworks')."""
    return CONVENTIONS.get(name) or StepConvention(name, offset, description)

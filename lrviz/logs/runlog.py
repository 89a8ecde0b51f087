"""A training run's logged learning rates, read from the file its framework wrote.

``read_log(path)`` reads one of:

* a Hugging Face ``trainer_state.json`` (``log_history[].learning_rate`` by ``step``);
* a Lightning ``CSVLogger`` ``metrics.csv`` (``LearningRateMonitor`` columns ``lr-AdamW``,
  ``lr-SGD/pg1``, ...; rows without an LR value hold other metrics and are skipped);
* TensorBoard event files (``events.out.tfevents.*``), through tensorboard's own
  ``EventAccumulator`` (imported only here, only when an event file is read); a directory
  holding several event files is one log, merged by step, later files winning on a step
  (as a resumed run's would);
* a generic CSV or JSONL file with named columns (``x="step", y="lr"``): W&B and MLflow exports.

Every format is normalized to lrviz's step convention: **point k is the LR used by
optimizer step k** (0-based), read before ``optimizer.step()``, which is what
``Curve.lrs`` holds. Which optimizer step a logged value belongs to is each framework's
own convention (``CONVENTIONS``, with the source lines that establish it); the reader
picks it from the format and the names in the log, and ``convention=`` overrides it.

Nothing here imports torch. Every failure is a one-line ``ConfigError`` naming the file
and the fix.
"""

from __future__ import annotations

import csv
import importlib
import io
import json
import math
import operator
import os
import re
from array import array
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import compress, islice
from pathlib import Path
from typing import Any, TypeGuard

from lrviz import budget
from lrviz.errors import ConfigError, option
from lrviz.inputs import read_limited, remember

#: Largest log file read (``budget.LOG_BYTES``; a CSV of 10 million steps is about 300 MB). CSV and
#: JSONL logs are read streaming, holding only the steps and LRs of the LR columns (16 bytes a point).
MAX_LOG_BYTES = budget.LOG_BYTES.value
#: Lines read from a CSV or JSONL log at a time.
_CHUNK_CHARS = 8 * 1024 * 1024

FORMATS = ("trainer_state", "lightning_csv", "tensorboard", "csv", "jsonl")


@dataclass(frozen=True)
class StepConvention:
    """How a framework numbers its logged LRs: logged step ``s`` holds the LR of optimizer step ``s - offset``."""

    name: str
    offset: int
    description: str


#: The conventions found in the installed frameworks' sources (paths relative to site-packages).
CONVENTIONS: Mapping[str, StepConvention] = {
    c.name: c
    for c in (
        StepConvention(
            "lrviz",
            0,
            "step k holds the LR optimizer step k uses (read from param_groups before optimizer.step()), "
            "as lrviz's engine records it; the usual hand-written `writer.add_scalar('lr', lr, step)` before the step",
        ),
        StepConvention(
            "lightning",
            0,
            # lightning/pytorch/callbacks/lr_monitor.py:167-177 logs param_group["lr"] in
            # on_train_batch_start (before the batch's optimizer step) with
            # step=fit_loop.epoch_loop._batches_that_stepped, and on_train_epoch_start (:180-187) for
            # interval "epoch"; lightning/pytorch/loops/training_epoch_loop.py:413-415 increments
            # _batches_that_stepped once per optimizer step, after the scheduler's step (:360).
            "Lightning's LearningRateMonitor logs param_group['lr'] at on_train_batch_start, before that batch's "
            "optimizer step, with step=_batches_that_stepped, the number of optimizer steps already taken "
            "(lightning/pytorch/callbacks/lr_monitor.py:167-187, loops/training_epoch_loop.py:413-415)",
        ),
        StepConvention(
            "transformers",
            1,
            # transformers/trainer.py (5.24) :1943 optimizer.step(); :1947 learning_rate =
            # _get_learning_rate() "before update"; :1952 lr_scheduler.step(); :1955 global_step += 1;
            # :2266 logs["learning_rate"] = learning_rate; :4209 {**logs, "step": global_step}.
            "transformers >= 4.51 Trainer reads get_last_lr() after optimizer.step() and before "
            "lr_scheduler.step(), then increments global_step and logs it with that step: logged step s "
            "(1-based) is the LR optimizer step s-1 used (transformers/trainer.py:1943-1955, 2266, 4209)",
        ),
        StepConvention(
            "transformers<4.51",
            0,
            # transformers 4.50.3 trainer.py:2607 optimizer.step(); :2614 lr_scheduler.step();
            # :2617 global_step += 1; :3083 logs["learning_rate"] = self._get_learning_rate().
            "transformers < 4.51 Trainer read get_last_lr() after lr_scheduler.step(): logged step s is the LR "
            "the next optimizer step (s, 0-based) uses (transformers 4.50.3 trainer.py:2607-2617, 3083)",
        ),
    )
}


@dataclass(frozen=True)
class LogSeries:
    """One logged LR series: optimizer steps (lrviz's convention, ascending, unique) and values."""

    name: str
    steps: array[int]
    values: array[float]

    def __len__(self) -> int:
        return len(self.steps)


@dataclass(frozen=True)
class RunLog:
    """The LRs a training run logged, per param group, on lrviz's step convention."""

    source: Path
    format: str
    convention: StepConvention
    series: tuple[LogSeries, ...]  # one per param group, in the logger's order (pg1, pg2, ...)

    @property
    def groups(self) -> tuple[str, ...]:
        """The param groups' names as the logger wrote them (``lr-SGD/pg1``, ``learning_rate``)."""
        return tuple(s.name for s in self.series)

    def group(self, key: str | int) -> LogSeries:
        """A series by position, full name, or the logger's param-group suffix (``pg2``, ``backbone``)."""
        return self.series[self.index_of(key)]

    def index_of(self, key: str | int) -> int:
        """The position of a series (see ``group``); ``ConfigError`` listing the names when none matches."""
        return _group_index(self, key)


def _group_index(log: RunLog, key: str | int) -> int:
    if isinstance(key, int):
        if 0 <= key < len(log.series):
            return key
        raise ConfigError(f"{log.source}: no param group {key}; the log has {len(log.series)}: {_names(log.groups)}")
    for i, name in enumerate(log.groups):
        if name == key or name.endswith("/" + key):
            return i
    raise ConfigError(f"{log.source}: no LR series named {key!r}; the log has {_names(log.groups)}")


def _names(names: Iterable[str], limit: int = 20) -> str:
    items = list(names)
    shown = ", ".join(items[:limit])
    return shown + (f", ... ({len(items)} in all)" if len(items) > limit else "") if items else "none"


# ---------------------------------------------------------------------------
# Which names hold a learning rate

_LR_NAME = re.compile(
    r"""^(?:.*[/.])?(?:lr|learning[_-]?rate)$      # lr, learning_rate, train/lr, train/learning_rate
      |^(?:.*/)?lr-[^/]+?(?:-\d+)?(?:/[^/]+)?$     # Lightning: lr-AdamW, lr-SGD-1/pg2, lr-Adam/backbone
    """,
    re.IGNORECASE | re.VERBOSE,
)
_NOT_LR = re.compile(r"-(?:momentum|weight_decay)(?:/|$)", re.IGNORECASE)
_STEP_NAMES = ("step", "_step", "global_step", "train/global_step", "trainer/global_step", "Step")


def is_lr_name(name: str) -> bool:
    """Whether a column or tag name is a learning rate as frameworks name it (not its momentum)."""
    return bool(_LR_NAME.match(name)) and not _NOT_LR.search(name)


def _pg_order(name: str) -> tuple[str, int]:
    """Sort key keeping a logger's param groups in order: lr-SGD/pg2 before lr-SGD/pg10."""
    m = re.search(r"/pg(\d+)$", name)
    return (name[: m.start()], int(m.group(1))) if m else (name, 0)


def _convention_for(names: Iterable[str], default: str) -> str:
    """A format's convention, refined by the names in it (transformers' and Lightning's are recognizable)."""
    names = list(names)
    if "train/learning_rate" in names:
        # transformers' TensorBoardCallback and WandbCallback log Trainer.log's dict with a train/ prefix,
        # at step=state.global_step (transformers/integrations/integration_utils.py:550-563, 634-645)
        return "transformers"
    if any(n.startswith("lr-") for n in names):
        return "lightning"
    return default


# ---------------------------------------------------------------------------
# The entry point


def read_log(
    path: Path,
    *,
    x: str | None = None,
    y: str | None = None,
    group: str | None = None,
    convention: str | None = None,
    run: str | None = None,
) -> RunLog:
    """Read the LRs a training run logged, from a file or a run directory.

    ``x``/``y`` name the step and LR columns (or the TensorBoard tag in ``y``) when the
    defaults are not enough; ``group`` keeps one param group's series (a full name or the
    logger's suffix, ``pg2``); ``convention`` overrides the step convention the format implies
    (a key of ``CONVENTIONS``, e.g. ``"transformers<4.51"`` for a log written by an older
    transformers). ``run`` chooses one run of a tracker's store (MLflow, W&B, trackio: a name or
    id). Tracker logs are read by ``lrviz.logs``. Raises ``ConfigError`` with one line naming the
    file and the fix.
    """
    if convention is not None and convention not in CONVENTIONS:
        raise ConfigError(f"convention: unknown step convention {convention!r}; use one of {_names(CONVENTIONS)}")
    path = Path(path)
    kind, target = _detect(path)
    log: RunLog
    if kind in _TRACKERS:
        log = importlib.import_module("lrviz.logs").read(kind, target[0], x=x, y=y, run=run)
    elif kind == "tensorboard":
        log = _read_tensorboard(path, target, y)
    elif kind == "trainer_state":
        log = _read_trainer_state(target[0])
    elif kind == "jsonl":
        log = _read_jsonl(target[0], x, y)
    else:
        log = _read_csv(target[0], x, y)
    if group is not None:
        log = RunLog(log.source, log.format, log.convention, (log.group(group),))
    if convention is not None and convention != log.convention.name:
        log = _renumber(log, CONVENTIONS[convention])
    return log


def _renumber(log: RunLog, new: StepConvention) -> RunLog:
    shift = new.offset - log.convention.offset
    series = tuple(LogSeries(s.name, array("q", (k - shift for k in s.steps)), s.values) for s in log.series)
    return RunLog(log.source, log.format, new, series)


#: The formats ``lrviz.logs`` reads (trackers and framework logs), recognised by ``lrviz.logs.detect``.
_TRACKERS = ("mlflow", "wandb", "trackio", "dvclive", "clearml", "comet", "ultralytics", "mmengine")


def _detect(path: Path) -> tuple[str, list[Path]]:
    """The format of ``path`` and the file(s) to read."""
    tracker = importlib.import_module("lrviz.logs.layout").detect(path)  # names and layout only
    if tracker is not None:
        return tracker, [path]
    if path.is_dir():
        events = _event_files(path)
        if events:
            return "tensorboard", events
        for name in ("trainer_state.json", "metrics.csv"):
            if (path / name).is_file():
                return _detect(path / name)
        found = sorted(
            {p.parent for p in path.rglob("events.out.tfevents.*") if p.is_file() and p.parent != path}
            | {p for n in ("trainer_state.json", "metrics.csv") for p in path.rglob(n) if p.is_file()}
        )
        if len(found) == 1:
            return _detect(found[0])
        if not found:
            raise ConfigError(
                f"{path}: no training log in this directory; name a trainer_state.json, a metrics.csv, "
                "a TensorBoard event file or directory, or a CSV/JSONL file"
            )
        rel = [str(p.relative_to(path)) for p in found]
        raise ConfigError(f"{path}: several training logs in this directory; name one of {_names(rel, 8)}")
    name = path.name
    if "tfevents" in name:
        if not path.exists():
            raise ConfigError(f"{path}: no such file")
        return "tensorboard", [path]
    suffix = path.suffix.lower()
    if suffix == ".json":
        return "trainer_state", [path]
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl", [path]
    if suffix in (".csv", ".tsv", ".txt") or not suffix:
        return "csv", [path]
    raise ConfigError(
        f"{path}: unknown log format {suffix!r}; lrviz reads trainer_state.json, metrics.csv, "
        "TensorBoard event files, and CSV or JSONL files"
    )


def _event_files(directory: Path) -> list[Path]:
    """Event files directly in ``directory``, oldest first (the writer puts its start time in the name)."""

    def started(p: Path) -> tuple[float, str]:
        m = re.match(r"events\.out\.tfevents\.(\d+(?:\.\d+)?)", p.name)
        return (float(m.group(1)) if m else math.inf, p.name)

    return sorted((p for p in directory.glob("events.out.tfevents.*") if p.is_file()), key=started)


def _build(
    path: Path,
    fmt: str,
    convention: str,
    columns: Mapping[str, tuple[Sequence[int], Sequence[float]]],
) -> RunLog:
    """A RunLog from raw (logged step, value) pairs per name: last value wins on a step, steps ascending."""
    conv = CONVENTIONS[convention]
    series = []
    for name in sorted(columns, key=_pg_order):
        steps, values = columns[name]
        if not steps:
            continue
        if not isinstance(steps, array):
            low, high = min(steps), max(steps)
            if max(abs(low), abs(high)) > _MAX_STEP:
                raise ConfigError(
                    f"{path}: {name}: a logged step of {_huge(high if abs(high) > abs(low) else low)} is beyond any "
                    "run's length; is the step column right (name it with "
                    f"{option('x')})?"
                )
        if all(map(operator.lt, steps, islice(steps, 1, None))):
            s_arr = steps if isinstance(steps, array) else array("q", steps)
            v_arr = values if isinstance(values, array) else array("d", values)
        else:
            s_arr, v_arr = _last_per_step(steps, values)
        if conv.offset:
            s_arr = array("q", (k - conv.offset for k in s_arr))
        series.append(LogSeries(name, s_arr, v_arr))
    if not series:
        raise ConfigError(f"{path}: the log has an LR column but no LR values; was the run logging yet?")
    return RunLog(path, fmt, conv, tuple(series))


#: Steps beyond this are no run's (10**15 optimizer steps).
_MAX_STEP = 10**15


def _huge(value: int) -> str:
    digits = len(str(abs(value)))
    return f"{value:,}" if digits <= 18 else f"{digits} digits"  # "a step of 31 digits"


def _last_per_step(steps: Sequence[int], values: Sequence[float]) -> tuple[array[int], array[float]]:
    """Steps ascending, the last value logged for each (a resumed run logs some steps twice).

    Sorted by numpy, in a few bytes a point, not a dict of Python objects (tens of bytes a point)."""
    import numpy as np

    s = np.asarray(steps, dtype=np.int64)
    v = np.asarray(values, dtype=np.float64)
    order = np.argsort(s, kind="stable")
    s, v = s[order], v[order]
    del order
    last = np.ones(len(s), dtype=bool)
    last[:-1] = s[1:] != s[:-1]
    s_arr, v_arr = array("q"), array("d")
    s_arr.frombytes(s[last].tobytes())
    v_arr.frombytes(v[last].tobytes())
    return s_arr, v_arr


# ---------------------------------------------------------------------------
# CSV (Lightning's CSVLogger, W&B/MLflow exports)


def _read_text(path: Path, limit: budget.Limit = budget.LOG_JSON_BYTES) -> str:
    raw = read_limited(path, limit.value, str(path), variable=limit.env)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: not a text file ({exc.reason} at byte {exc.start}); name a CSV or JSON log"
        ) from None


def _open_text(path: Path) -> io.TextIOWrapper:
    """A log opened for streaming, its size checked against the budget first."""
    try:
        if path.is_dir():
            raise ConfigError(f"{path}: is a directory, not a file")
        handle = path.open("rb")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except PermissionError:
        raise ConfigError(f"{path}: permission denied; check the file's read permission") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    st = os.fstat(handle.fileno())
    remember(path, st)
    if budget.LOG_BYTES.exceeded(st.st_size):
        handle.close()
        raise budget.LOG_BYTES.refusal(str(path), f"a log of {st.st_size:,} bytes")
    return io.TextIOWrapper(handle, encoding="utf-8-sig", newline="")


def _chunks(path: Path, text: io.TextIOWrapper) -> Iterable[list[str]]:
    """Lines of a log, a few megabytes at a time; every failure a ConfigError naming the file."""
    read = 0
    limit = budget.LOG_BYTES.value
    while True:
        try:
            lines = text.readlines(_CHUNK_CHARS)
        except UnicodeDecodeError as exc:
            raise ConfigError(f"{path}: not a text file ({exc.reason}); name a CSV or JSON log") from None
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
        if not lines:
            return
        read += sum(map(len, lines))
        if read > limit:  # a pipe or a growing file: its size said nothing
            raise budget.LOG_BYTES.refusal(str(path), "the log")
        yield lines


def _read_csv(path: Path, x: str | None, y: str | None) -> RunLog:
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    with _open_text(path) as text:
        chunks = iter(_chunks(path, text))
        first = next(chunks, [])
        if not first or all(not line.strip() for line in first):
            raise ConfigError(f"{path}: empty log; was the run logging yet?")
        try:
            header = next(csv.reader(first[:1], delimiter=delimiter))
        except csv.Error as exc:
            raise ConfigError(f"{path}:1: not a CSV file ({exc})") from None
        header = [h.strip() for h in header]
        step_col = _pick_step(path, header, x)
        lr_cols = _pick_lr(path, header, y, "columns")
        lightning = path.name == "metrics.csv" or any(header[c].startswith("lr-") for c in lr_cols)
        fmt = "lightning_csv" if lightning else "csv"
        names = [header[c] for c in lr_cols]
        conv = _convention_for(names, "lightning" if lightning else "lrviz")
        columns: dict[str, tuple[array[int], array[float]]] = {header[c]: (array("q"), array("d")) for c in lr_cols}
        width = len(header)
        line_no, rows = 2, 0
        pending = first[1:]
        while True:
            if pending:
                cells = _grid(path, pending, delimiter, width, line_no)
                for c in lr_cols:
                    steps, values = _csv_column(path, cells[step_col], cells[c], line_no)
                    columns[header[c]][0].extend(steps)
                    columns[header[c]][1].extend(values)
                line_no += len(pending)
                rows += len(pending)
                if budget.LOG_ROWS.exceeded(rows):
                    raise budget.LOG_ROWS.refusal(str(path), "its row count")
            pending = next(chunks, [])
            if not pending:
                break
    if rows == 0:
        raise ConfigError(f"{path}: empty log (a header and no rows); was the run logging yet?")
    return _build(path, fmt, conv, columns)


def _grid(path: Path, lines: list[str], delimiter: str, width: int, line_no: int) -> list[list[str]]:
    """The columns of some lines of a CSV: split in a few C-level passes when no cell is quoted and
    every line has ``width`` cells (a million rows in a fraction of a second), else by the csv module."""
    text = "".join(lines)
    if '"' not in text:
        if "\r" in text:
            text = text.replace("\r\n", "\n")
        text = text.rstrip("\n")
        count = text.count("\n") + 1
        cells = text.replace("\n", delimiter).split(delimiter)
        if len(cells) == count * width:
            return [cells[c::width] for c in range(width)]
    reader = csv.reader(lines, delimiter=delimiter)
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise ConfigError(f"{path}:{line_no + reader.line_num - 1}: not a CSV file ({exc})") from None
    return [[r[c] if c < len(r) else "" for r in rows] for c in range(width)]


def _csv_column(
    path: Path, steps: list[str], values: list[str], line_no: int = 2
) -> tuple[Sequence[int], Sequence[float]]:
    """(steps, values) of the rows with a value in the LR column; errors name the file's line (rows are
    counted from ``line_no``: no logger writes a quoted cell spanning lines in a number column)."""
    try:
        return array("q", map(int, compress(steps, values))), array("d", map(float, filter(None, values)))
    except (ValueError, OverflowError):
        pass
    for i, (step, value) in enumerate(zip(steps, values, strict=True)):
        if value == "":
            continue
        try:
            float(value)
        except ValueError:
            raise ConfigError(f"{path}:{i + line_no}: not a number in the LR column: {value[:40]!r}") from None
        try:
            whole = _int_step(step)
        except (ValueError, OverflowError):
            raise ConfigError(
                f"{path}:{i + line_no}: not a whole step number in the step column: {step[:40]!r}"
            ) from None
        if abs(whole) > _MAX_STEP:
            raise ConfigError(
                f"{path}:{i + line_no}: a step of {_huge(whole)} is beyond any run's length; is the step column "
                f"right (name it with {option('x')})?"
            )
    # Steps written as floats ("10.0", as pandas writes them): accepted when whole.
    return [_int_step(k) for k in compress(steps, values)], [float(v) for v in values if v != ""]


def _int_step(text: str) -> int:
    if len(text) > 40:  # no step has 40 digits; int() of thousands of digits is slow, or refused
        raise ValueError(text[:40])
    try:
        return int(text)
    except ValueError:
        value = float(text)
        if not value.is_integer():
            raise ValueError(text) from None
        return int(value)


def _pick_step(path: Path, header: list[str], x: str | None) -> int:
    if x is not None:
        if x not in header:
            raise ConfigError(f"{path}: no column {x!r} for the step (x); the columns are {_names(header)}")
        return header.index(x)
    for name in _STEP_NAMES:
        if name in header:
            return header.index(name)
    raise ConfigError(f"{path}: no step column; name it with {option('x')} (the columns are {_names(header)})")


def _pick_lr(path: Path, header: list[str], y: str | None, what: str) -> list[int]:
    if y is not None:
        if y not in header:
            raise ConfigError(f"{path}: no {what[:-1]} {y!r} for the LR (y); the {what} are {_names(header)}")
        return [header.index(y)]
    found = [i for i, h in enumerate(header) if is_lr_name(h)]
    if not found:
        raise ConfigError(
            f"{path}: no learning-rate {what[:-1]} (lr, learning_rate, lr-<Optimizer>); the {what} are "
            f"{_names(header)}; name one with {option('y')} (in Lightning, add the LearningRateMonitor callback)"
        )
    return found


# ---------------------------------------------------------------------------
# JSON: transformers' trainer_state.json, and JSON Lines


def _read_trainer_state(path: Path) -> RunLog:
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


def _is_number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _read_jsonl(path: Path, x: str | None, y: str | None) -> RunLog:
    """JSON Lines, streamed: the first record with an LR key picks the columns (as the header of a CSV)."""
    columns: dict[str, tuple[list[int], list[float]]] = {}
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
                if budget.LOG_ROWS.exceeded(rows):
                    raise budget.LOG_ROWS.refusal(str(path), "its row count")
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
                    columns = {n: ([], []) for n in lr_names}
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
                    columns[name][0].append(int(step))
                    columns[name][1].append(float(value))
    if rows == 0:
        raise ConfigError(f"{path}: empty log; was the run logging yet?")
    if lr_names is None:
        names = list(keys)
        _pick_step(path, names, x)
        _pick_lr(path, names, y, "keys")  # raises, naming the keys
        raise ConfigError(f"{path}: no learning rate found")  # pragma: no cover
    return _build(path, "jsonl", _convention_for(lr_names, "lrviz"), columns)


# ---------------------------------------------------------------------------
# TensorBoard


def _read_tensorboard(path: Path, files: list[Path], y: str | None) -> RunLog:
    """Scalars from event files, merged in the order the writers started (later files win on a step)."""
    try:
        event_accumulator = importlib.import_module("tensorboard.backend.event_processing.event_accumulator")
    except ImportError:
        raise ConfigError(
            f"{path}: reading TensorBoard event files needs the tensorboard package: pip install 'lrviz[tensorboard]'"
        ) from None
    merged: dict[str, dict[int, float]] = {}
    all_tags: dict[str, None] = {}
    for file in files:
        for tag, points in _event_scalars(event_accumulator, file).items():
            all_tags[tag] = None
            merged.setdefault(tag, {}).update(points)
    if not all_tags:
        raise ConfigError(f"{path}: no scalars in the event file(s); was the run logging yet?")
    tags = list(all_tags)
    if y is not None:
        if y not in merged:
            raise ConfigError(f"{path}: no scalar tag {y!r} for the LR (y); the tags are {_names(tags)}")
        names = [y]
    else:
        names = [t for t in tags if is_lr_name(t)]
        if not names:
            raise ConfigError(
                f"{path}: no learning-rate tag (lr, learning_rate, train/lr, lr-<Optimizer>); the tags are "
                f"{_names(tags)}; name one with {option('y')}"
            )
    columns = {n: (list(merged[n]), list(merged[n].values())) for n in names}
    return _build(path, "tensorboard", _convention_for(names, "lrviz"), columns)


def _event_scalars(event_accumulator: Any, file: Path) -> dict[str, dict[int, float]]:
    """Every scalar of one event file (``simple_value`` summaries and 0-d tensor summaries), by tag and step."""
    try:
        size = file.stat().st_size
        with file.open("rb"):
            pass
    except OSError as exc:
        raise ConfigError(f"{file}: cannot read: {exc.strerror or exc}") from None
    if size == 0:
        raise ConfigError(f"{file}: empty event file; was the run logging yet?")
    budget.LOG_EVENT_BYTES.check(size, str(file), f"an event file of {size:,} bytes")
    remember(file)
    # size_guidance 0 keeps every event: the default samples 10,000 scalars per tag.
    acc = event_accumulator.EventAccumulator(
        str(file),
        size_guidance={event_accumulator.SCALARS: 0, event_accumulator.TENSORS: 0},
        purge_orphaned_data=False,
    )
    try:
        acc.Reload()
        _check_records(file)
    except ConfigError:
        raise
    except Exception as exc:  # tensorboard's DataLossError, protobuf's DecodeError
        raise ConfigError(f"{file}: corrupt TensorBoard event file ({type(exc).__name__}: {exc})") from None
    out: dict[str, dict[int, float]] = {}
    tags = acc.Tags()
    for tag in tags.get("scalars", []):
        out[tag] = {e.step: float(e.value) for e in acc.Scalars(tag)}
    for tag in tags.get("tensors", []):
        points: dict[int, float] = {}
        for e in acc.Tensors(tag):
            proto = e.tensor_proto
            if proto.tensor_shape.dim:
                break
            if proto.float_val:
                points[e.step] = float(proto.float_val[0])
            elif proto.double_val:
                points[e.step] = float(proto.double_val[0])
            else:
                break
        else:
            if points:
                out[tag] = points
    return out


def _check_records(file: Path) -> None:
    """Raise if a record fails its checksum: EventAccumulator stops there silently (tensorboard's
    event_file_loader.py logs DataLossError at debug level and ends the file), which would cut the
    log short without a word. A record cut short at the very end is a run still writing: accepted."""
    errors = importlib.import_module("tensorboard.compat.tensorflow_stub.errors")
    records_module = importlib.import_module("tensorboard.compat.tensorflow_stub.pywrap_tensorflow")
    reader = records_module.PyRecordReader_New(str(file))
    records = 0
    try:
        while True:
            try:
                reader.GetNext()
            except errors.OutOfRangeError:
                break
            except errors.DataLossError as exc:
                if "truncated" in str(exc).lower() and records:
                    break
                raise ConfigError(
                    f"{file}: corrupt TensorBoard event file (record {records + 1}: {str(exc.message).replace(str(file), '').strip()}); "
                    "the file was damaged, or it is not an event file"
                ) from None
            records += 1
    finally:
        reader.file_handle.close()

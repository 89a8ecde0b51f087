"""CSV logs: Lightning's ``CSVLogger`` ``metrics.csv`` (``LearningRateMonitor`` columns ``lr-AdamW``,
``lr-SGD/pg1``, ...; rows without an LR value hold other metrics and are skipped) and a generic CSV
with named columns (W&B and MLflow exports), read streaming.
"""

from __future__ import annotations

import csv
import io
from array import array
from collections.abc import Iterator, Sequence
from itertools import compress
from pathlib import Path
from typing import Any

from lrviz import budget
from lrviz.errors import ConfigError, option
from lrviz.logs._csvfast import step_cells
from lrviz.logs.runlog import (
    _CHUNK_CHARS,
    _MAX_STEP,
    RunLog,
    _build,
    _convention_for,
    _huge,
    _int_step,
    _open_text,
    _pick_lr,
    _pick_step,
)
from lrviz.logs.window import Tally, Window, inside

__all__ = ["read_csv"]


def read_csv(path: Path, x: str | None, y: str | None, window: Window | None = None) -> RunLog:
    """A CSV log, streamed a few megabytes at a time: only the LR columns' points are held (16 bytes
    each), and with a ``window`` only those inside it (the others counted, their LRs never parsed)."""
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    with _open_text(path) as text:
        blocks = _blocks(path, text)
        head = next(blocks, "")
        first = _lines(head)
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
        tallies = {header[c]: Tally() for c in lr_cols} if window is not None else None
        width = len(header)
        line_no, rows, held = 2, 0, 0
        block = head[len(first[0]) :] if first else ""
        while True:
            fast = _windowed(block, delimiter, width, step_col, lr_cols, window) if window and block else None
            pending = _lines(block) if fast is None else []
            if fast is not None and tallies is not None:
                for c, (kept_steps, kept_values, outside) in fast.items():
                    columns[header[c]][0].extend(kept_steps)
                    columns[header[c]][1].extend(kept_values)
                    tallies[header[c]].add_many(outside, window)  # type: ignore[arg-type]
                    held += len(kept_steps)
            elif pending:
                cells = _grid(path, pending, delimiter, width, line_no)
                for c in lr_cols:
                    tally = tallies[header[c]] if tallies is not None else None
                    steps, values = _csv_column(path, cells[step_col], cells[c], line_no, window, tally)
                    columns[header[c]][0].extend(steps)
                    columns[header[c]][1].extend(values)
                    held += len(steps)
                del cells
            count = len(pending) if fast is None else block.count("\n")
            line_no += count
            rows += count
            if budget.LOG_ROWS.exceeded(held):
                raise budget.LOG_ROWS.refusal(str(path), "the points it holds")
            block = next(blocks, "")
            if not block:
                break
    if rows == 0:
        raise ConfigError(f"{path}: empty log (a header and no rows); was the run logging yet?")
    return _build(path, fmt, conv, columns, tallies)


def _blocks(path: Path, text: io.TextIOWrapper) -> Iterator[str]:
    """Whole lines of a log, a few megabytes at a time, as one string each (no object per line);
    every failure a ConfigError naming the file, the size checked as it is read (a pipe, a growing file)."""
    carry, read, limit = "", 0, budget.LOG_BYTES.value
    while True:
        try:
            chunk = text.read(_CHUNK_CHARS)
        except UnicodeDecodeError as exc:
            raise ConfigError(f"{path}: not a text file ({exc.reason}); name a CSV or JSON log") from None
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
        if not chunk:
            if carry:
                yield carry
            return
        read += len(chunk)
        if read > limit:
            raise budget.LOG_BYTES.refusal(str(path), "the log")
        chunk = carry + chunk
        cut = chunk.rfind("\n") + 1  # a "\r\n" ends after its "\n": never split
        if cut:
            carry = chunk[cut:]
            yield chunk[:cut]
        else:
            carry = chunk


def _lines(block: str) -> list[str]:
    """The lines of a block as the file's reader splits them (newline="": "\n", "\r\n" or "\r" kept)."""
    return io.StringIO(block, newline="").readlines()


def _windowed(
    text: str, delimiter: str, width: int, step_col: int, lr_cols: list[int], window: Window
) -> dict[int, tuple[array[int], array[float], Any]] | None:
    """Per LR column of a plain block of lines (``_csvfast``): the steps and LRs inside ``window`` and the
    steps outside it (a numpy array, for the tally); only the LRs inside are parsed. None: the general path."""
    block = text.encode("utf-8")
    cells = step_cells(block, delimiter, width, step_col, lr_cols)
    if cells is None:
        return None
    import numpy as np

    steps, bounds = cells
    if len(steps) and int(steps.max()) > _MAX_STEP:
        return None  # the general path names the line
    out: dict[int, tuple[array[int], array[float], Any]] = {}
    for c in lr_cols:
        starts, ends = bounds[c]
        has = ends > starts  # rows with an LR value (Lightning's other rows leave it empty)
        logged = steps[has]
        inside = (logged >= window.low) & (logged < window.high)
        rows = np.flatnonzero(has)[inside]
        try:
            values = array(
                "d", [float(block[i:j]) for i, j in zip(starts[rows].tolist(), ends[rows].tolist(), strict=True)]
            )
        except ValueError:
            return None
        kept = array("q")
        kept.frombytes(logged[inside].tobytes())
        out[c] = (kept, values, logged[~inside])
    return out


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
    path: Path,
    steps: list[str],
    values: list[str],
    line_no: int = 2,
    window: Window | None = None,
    tally: Tally | None = None,
) -> tuple[Sequence[int], Sequence[float]]:
    """(steps, values) of the rows with a value in the LR column, inside ``window`` when one is given (the
    rows outside go into ``tally``); errors name the file's line (rows are counted from ``line_no``: no
    logger writes a quoted cell spanning lines in a number column)."""
    try:
        whole = array("q", map(int, compress(steps, values)))
        keep = None if window is None or tally is None else inside(whole, window, tally)
        if keep is None:
            return whole, array("d", map(float, filter(None, values)))
        return array("q", compress(whole, keep)), array("d", map(float, compress(filter(None, values), keep)))
    except (ValueError, OverflowError):
        pass
    if window is not None and tally is not None:
        checked_steps, checked_values = _checked_column(path, steps, values, line_no)
        keep = inside(array("q", checked_steps), window, tally)
        if keep is None:
            return checked_steps, checked_values
        return list(compress(checked_steps, keep)), list(compress(checked_values, keep))
    return _checked_column(path, steps, values, line_no)


def _checked_column(
    path: Path, steps: list[str], values: list[str], line_no: int
) -> tuple[Sequence[int], Sequence[float]]:
    """The slow path of ``_csv_column``: every row checked, the first bad one named by its line."""
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

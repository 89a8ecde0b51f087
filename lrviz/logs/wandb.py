"""Weights & Biases offline runs, read without a server: ``wandb/offline-run-*/run-*.wandb``.

A ``.wandb`` file is wandb's transaction log: a 7-byte header (``:W&B``, magic 0xBEE1, version 0)
then LevelDB-log framed records in 32 KiB blocks (a 7-byte header each: CRC-32 of type and data,
length, type FULL/FIRST/MIDDLE/LAST), each record one ``wandb.proto.wandb_internal_pb2.Record``.
The records are decoded with the installed wandb package's own protobuf definitions (so a newer
wandb's fields are read as wandb reads them); without wandb, reading refuses and names the extra.
History rows give the values (``item.key`` or ``nested_key`` joined by ``/``, ``value_json``)
and ``_step``. The step column is the trainer's own when it logged one: ``train/global_step``
(transformers' WandbCallback) or ``trainer/global_step`` (Lightning's WandbLogger), else ``_step``.
A record cut short at the end (a run still writing) ends the log; a bad checksum before it is an error.
"""

from __future__ import annotations

import importlib
import json
import struct
import zlib
from array import array
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lrviz.errors import ConfigError, option
from lrviz.logs._common import _number, from_records, from_series, pick_series, select_run
from lrviz.logs.runlog import _MAX_STEP, MAX_LOG_BYTES, RunLog, _huge, _names, is_lr_name
from lrviz.logs.window import Window

if TYPE_CHECKING:
    from lrviz.logs._wandb_columns import Column

_HEADER = b":W&B"
_BLOCK = 32768
_STEP_NAMES = ("train/global_step", "trainer/global_step", "global_step", "step", "_step")
_FULL, _FIRST, _MIDDLE, _LAST = 1, 2, 3, 4


def read(
    path: Path, *, x: str | None = None, y: str | None = None, run: str | None = None, window: Window | None = None
) -> RunLog:
    """A W&B run's history. The history is read as columns (``lrviz.logs._wandb_columns``: message types
    made from wandb's own descriptors, a few parses per file, no object per item); a file whose columns
    are not proven to line up (a nested key, a row without a ``_step`` item, a damaged record) is read
    record by record (``_rows``)."""
    from lrviz.logs import _wandb_columns

    file = _file(path, run)
    pb = _records_module(file)
    step_names = (x,) if x is not None else _STEP_NAMES

    def wanted(key: str) -> bool:
        return key in step_names or (key == y if y is not None else is_lr_name(key))

    try:
        keys, found, count = _wandb_columns.columns(_contents(file), pb, wanted)
    except _wandb_columns.RecordByRecord:
        pass
    else:
        if not count:
            raise ConfigError(f"{file}: no history rows in this W&B run; was the run logging yet?")
        return _from_columns(file, keys, found, x, y)
    rows = _rows(file, pb)
    if not rows:
        raise ConfigError(f"{file}: no history rows in this W&B run; was the run logging yet?")
    return from_records(file, "wandb", rows, x, y, _STEP_NAMES, parse=_wandb_columns.value)


def _rows(file: Path, pb: Any) -> list[dict[str, Any]]:
    """Every history row as a dict, one record parsed at a time."""
    rows: list[dict[str, Any]] = []
    record = pb.Record()
    parse, clear = record.ParseFromString, record.Clear
    for data in _frames(file):
        if not _is_history(data):
            continue  # summary, stats, telemetry...: not parsed at all
        clear()
        try:
            parse(data)
        except Exception as exc:  # protobuf's DecodeError
            raise ConfigError(f"{file}: corrupt W&B record ({type(exc).__name__}: {exc})") from None
        history = record.history
        row: dict[str, Any] = {
            ("/".join(item.nested_key) if item.nested_key else item.key): _item_value(item) for item in history.item
        }
        if "_step" not in row and history.HasField("step"):
            row["_step"] = history.step.num
        rows.append(row)
    return rows


def _item_value(item: Any) -> Any:
    """An item's ``value_json``; without one, its typed value (wandb's ``x_history_value_encoding``)."""
    if item.value_json:
        return item.value_json
    try:
        kind = item.WhichOneof("value")
    except ValueError:  # an older wandb's HistoryItem: value_json only
        return item.value_json
    if kind in (None, "none"):
        return None
    return json.loads(item.json) if kind == "json" else getattr(item, kind)


def _from_columns(file: Path, keys: list[str], found: dict[str, Column], x: str | None, y: str | None) -> RunLog:
    """``from_records``' choices (the LR names, the step key) and checks, made on the columns."""
    import numpy as np

    lr_names = pick_series(file, keys, y)
    if x is not None and x not in keys:
        raise ConfigError(f"{file}: no metric {x!r} for the step (x); the metrics are {_names(keys)}")

    def rows_of(name: str) -> Any:
        return np.frombuffer(found[name].rows, dtype=np.int64)

    # np.unique, by sorting: numpy 2.4's hashing unique takes ~1 s for a million rows
    lr_rows = np.sort(np.concatenate([rows_of(n) for n in lr_names]))
    lr_rows = lr_rows[np.r_[True, lr_rows[1:] != lr_rows[:-1]]] if len(lr_rows) else lr_rows
    step_key = x or next((n for n in _STEP_NAMES if n in found and np.isin(rows_of(n), lr_rows).any()), "")
    if not step_key:
        raise ConfigError(f"{file}: no step metric; name it with {option('x')} (the metrics are {_names(keys)})")
    step_column = found[step_key]
    step_rows, step_values = rows_of(step_key), np.frombuffer(step_column.values, dtype=np.float64)
    columns: dict[str, tuple[array[int], array[float]]] = {}
    for name in lr_names:
        column = found[name]
        rows = rows_of(name)
        at = np.searchsorted(step_rows, rows)
        has = (at < len(step_rows)) & (step_rows[np.minimum(at, len(step_rows) - 1)] == rows)
        where, at = np.flatnonzero(has), at[has]
        values, steps = np.frombuffer(column.values, dtype=np.float64)[where], step_values[at]
        bad_values = ~np.isfinite(values)
        bad_steps = ~np.isfinite(steps) | (steps != np.floor(steps))
        for i in np.flatnonzero(bad_values | bad_steps).tolist():  # the first row that fails, as rows go
            value, step = column.number(int(where[i])), step_column.number(int(at[i]))
            if not _number(value):
                raise ConfigError(f"{file}: {name}: not a number: {value!r}")
            if not _number(step) or not float(step).is_integer():
                raise ConfigError(f"{file}: {step_key}: expected a whole step number, got {step!r}")
        if len(steps) and np.abs(steps).max() > _MAX_STEP:
            huge = int(steps[np.argmax(np.abs(steps))])
            raise ConfigError(
                f"{file}: {name}: a logged step of {_huge(huge)} is beyond any run's length; is the step column "
                f"right (name it with {option('x')})?"
            )
        steps_q, values_d = array("q"), array("d")
        steps_q.frombytes(steps.astype(np.int64).tobytes())
        values_d.frombytes(values.tobytes())
        columns[name] = (steps_q, values_d)
    return from_series(file, "wandb", columns)


def _is_history(data: bytes) -> bool:
    """Whether a serialized ``Record`` holds a ``history`` (field 2): its tag comes right after ``num``
    (field 1), as protobuf writers serialize fields in number order. Anything else is parsed to be sure."""
    i = 0
    if data[:1] == b"\x08":  # num: a varint
        i = 1
        while i < len(data) and data[i] & 0x80:
            i += 1
        i += 1
    if i >= len(data):
        return False
    tag = data[i]
    return tag == 0x12 or tag & 0x80 == 0 and tag >> 3 == 0  # history, or an unexpected layout


def _records_module(file: Path) -> Any:
    try:
        return importlib.import_module("wandb.proto.wandb_internal_pb2")
    except ImportError:
        raise ConfigError(
            f"{file}: reading a W&B run needs the wandb package's record definitions: pip install 'lrviz[wandb]'"
        ) from None


def _runs(directory: Path) -> dict[str, Path]:
    """The offline runs under a ``wandb`` folder (or a run folder itself), labelled ``name (id)``."""
    files = sorted(directory.glob("run-*.wandb")) or sorted(directory.glob("*run-*/run-*.wandb"))
    runs: dict[str, Path] = {}
    for file in files:
        run_id = file.stem.removeprefix("run-")
        runs[f"{_display_name(file) or run_id} ({run_id})"] = file
    return runs


def _display_name(file: Path) -> str:
    """The run's name from its first records (the run record comes right after the header record)."""
    try:
        pb = importlib.import_module("wandb.proto.wandb_internal_pb2")
    except ImportError:
        return ""
    record = pb.Record()
    try:
        for i, data in enumerate(_frames(file, limit=256 * 1024)):
            record.ParseFromString(data)
            if record.HasField("run"):
                return str(record.run.display_name)
            if i > 32:
                break
    except (ConfigError, Exception):
        return ""
    return ""


def _file(path: Path, run: str | None) -> Path:
    if path.is_file():
        return path
    if not path.is_dir():
        raise ConfigError(f"{path}: no such file or directory")
    return select_run(path, _runs(path), run)


def _contents(file: Path, limit: int = MAX_LOG_BYTES) -> bytes:
    """The file's bytes (at most ``limit``), its ``:W&B`` header checked."""
    try:
        with file.open("rb") as handle:
            raw = handle.read(limit + 1)
    except OSError as exc:
        raise ConfigError(f"{file}: cannot read: {exc.strerror or exc}") from None
    if len(raw) > limit and limit == MAX_LOG_BYTES:
        raise ConfigError(f"{file}: larger than {MAX_LOG_BYTES // 2**20} MiB; too large for a log")
    if len(raw) < 7:
        raise ConfigError(f"{file}: empty W&B run file; was the run logging yet?")
    if raw[:4] != _HEADER:
        raise ConfigError(f"{file}: not a W&B run file (no :W&B header)")
    return raw


def _frames(file: Path, limit: int = MAX_LOG_BYTES) -> Iterator[bytes]:
    """The records of a LevelDB-log framed file (wandb's ``datastore`` format)."""
    raw = _contents(file, limit)
    pos, end, pending = 7, len(raw), bytearray()
    unpack = struct.Struct("<IHB").unpack_from
    while pos + 7 <= end:
        left = _BLOCK - pos % _BLOCK
        if left < 7:  # a block's tail too short for a header is zero padding
            pos += left
            continue
        checksum, length, kind = unpack(raw, pos)
        if kind == 0 and length == 0:
            pos += left  # preallocated zeros at the end of a block
            continue
        start = pos + 7
        if start + length > end:
            break  # cut short: the run is still writing
        data = raw[start : start + length]
        if zlib.crc32(data, zlib.crc32(bytes((kind,)))) & 0xFFFFFFFF != checksum:
            raise ConfigError(f"{file}: corrupt W&B run file (bad checksum at byte {pos})")
        pos = start + length
        if kind == _FULL:
            yield data
        elif kind == _FIRST:
            pending = bytearray(data)
        elif kind == _MIDDLE:
            pending += data
        elif kind == _LAST:
            pending += data
            yield bytes(pending)
            pending = bytearray()
        else:
            raise ConfigError(f"{file}: corrupt W&B run file (record type {kind} at byte {pos})")


def runs(path: Path) -> list[str]:
    """The runs under a ``wandb`` folder, as ``--run`` takes them (their ids)."""
    if path.is_file():
        return [path.stem.removeprefix("run-")]
    return [label.rsplit("(", 1)[-1].rstrip(")") for label in _runs(path)]

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
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from lrviz.errors import ConfigError
from lrviz.logs._common import from_records, select_run
from lrviz.logs.runlog import MAX_LOG_BYTES, RunLog
from lrviz.logs.window import Window

_HEADER = b":W&B"
_BLOCK = 32768
_STEP_NAMES = ("train/global_step", "trainer/global_step", "global_step", "step", "_step")
_FULL, _FIRST, _MIDDLE, _LAST = 1, 2, 3, 4


def read(
    path: Path, *, x: str | None = None, y: str | None = None, run: str | None = None, window: Window | None = None
) -> RunLog:
    file = _file(path, run)
    pb = _records_module(file)
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
            ("/".join(item.nested_key) if item.nested_key else item.key): item.value_json for item in history.item
        }
        if "_step" not in row and history.HasField("step"):
            row["_step"] = history.step.num
        rows.append(row)
    if not rows:
        raise ConfigError(f"{file}: no history rows in this W&B run; was the run logging yet?")
    return from_records(file, "wandb", rows, x, y, _STEP_NAMES, parse=_value)


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


def _value(text: Any) -> Any:
    """A history value from its ``value_json``."""
    if not isinstance(text, str):
        return text
    try:
        return float(text)
    except ValueError:
        try:
            return json.loads(text) if text else None
        except ValueError:
            return None


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


def _frames(file: Path, limit: int = MAX_LOG_BYTES) -> Iterator[bytes]:
    """The records of a LevelDB-log framed file (wandb's ``datastore`` format)."""
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

"""A W&B run file's history read as columns: a few protobuf parses per file, no Python object per item.

wandb writes a history row as a ``Record`` whose ``history`` (a ``HistoryRecord``) holds ``item``s
(``HistoryItem``: the key in ``nested_key`` (wandb 0.31) or ``key``, the value in ``value_json``).
The message types here are derived from the installed wandb's own descriptors (``_types``), in a
private descriptor pool, so the records are decoded by protobuf with wandb's field numbers and
types, never by hand: ``ItemColumns`` has every field of ``HistoryItem`` under its number,
repeated, and the records' ``history.item`` is ONE ``ItemColumns``. Protobuf merges a singular
message field that occurs many times, so one parse of many records joined appends every item's
fields, in order, to one repeated field each: columns made by upb in C. A second view of the same
bytes (``item`` as repeated bytes) only counts the items.

Rows: a marker record, built with wandb's own classes (a history item keyed ``"\\x00"`` in the key
field the file uses), is put before every record and after the last: 7 bytes, written over each
record's 7-byte LevelDB header in a copy of the file, so the joined payloads are made without a
copy per record. A record's items are those between its marker and the next. The file is parsed
``_CHUNK`` bytes of whole records at a time, so upb's columns take a few MB at once.

Why the columns line up (anything else raises ``RecordByRecord``: the caller reads the file record
by record, with wandb's own ``Record``, which also names a damaged record as before):
- ``value_json`` is a singular field, so an item holds it at most once: ``items - markers`` values
  mean every item but the markers has exactly one;
- the key column holds one entry per item (markers included) and the other key field none: as every
  item wandb writes names its key (wandb drops an empty key), every item has exactly one key part;
  a nested key of several parts (``run.log({"a": {"b": 1}})``) makes more entries than items (only
  another writer's item without any key, in the same chunk, could make up for it);
- the typed value fields (``number``, ``integer``, ...), which wandb writes beside ``value_json``
  under ``x_history_value_encoding='json,typed'``, are not read: ``value_json`` is, as wandb's own
  public API reads it (a file of typed values alone has too few ``value_json``: record by record);
  ``HistoryRecord``'s other fields are parsed as columns of their own types (upb checks them);
- the markers are where they were put: as many ``"\\x00"`` keys as markers (a real ``"\\x00"`` key
  makes one more), first and last; every record with items has a ``_step`` item;
- the strings are proto3 ``string``s: upb checks their UTF-8 as it does for wandb's own classes.
The frames are walked as ``lrviz.logs.wandb._frames`` walks them (``_fragments``); a bad checksum,
a type other than 1-4, a fragment over its block's end or out of order: record by record.
Two differences from a reader that picks history records by their first tag: a ``history`` field
elsewhere than right after ``num``, or twice in a record, is read as protobuf reads it (no
protobuf writer makes either), and a history record without items (wandb always writes ``_step``,
``_runtime`` and ``_timestamp``) makes no row here, where record by record it makes a row of its
step alone, which holds no LR.
"""

from __future__ import annotations

import math
import zlib
from array import array
from collections import defaultdict
from collections.abc import Callable, Iterator
from functools import cache
from itertools import count
from typing import Any

import numpy as np

__all__ = ["Column", "RecordByRecord", "columns", "value"]

_BLOCK = 32768
_FULL, _FIRST, _MIDDLE, _LAST = 1, 2, 3, 4
#: Bytes of the file parsed at once: its copy, the joined payloads and upb's columns of one chunk.
_CHUNK = 2**21
_MARK = "\x00"
_KEY_FIELDS = ("nested_key", "key")


class RecordByRecord(Exception):
    """The columns are not proven to line up, or a frame is damaged: read the file record by record."""


class Column:
    """One key's values by row: the rows that have it, its values as numbers (NaN standing for one that
    is not a number, kept in ``odd`` by position for the error that names it)."""

    __slots__ = ("odd", "rows", "values")

    def __init__(self) -> None:
        self.rows: array[int] = array("q")
        self.values: array[float] = array("d")
        self.odd: dict[int, Any] = {}

    def extend(self, rows: Any, texts: list[str]) -> None:
        """Rows (an int64 array) and their ``value_json``, in the order logged."""
        start = len(self.values)
        self.rows.frombytes(np.ascontiguousarray(rows, dtype=np.int64).tobytes())
        try:
            numbers = array("d", map(float, texts))
        except ValueError:  # JSON that is not a number: read one at a time
            numbers = array("d", map(_float, texts))
        for i in np.flatnonzero(~np.isfinite(np.frombuffer(numbers, dtype=np.float64))).tolist():
            self.odd[start + i] = value(texts[i])
        self.values.extend(numbers)

    def number(self, i: int) -> Any:
        """The value at position ``i`` as ``value`` reads it."""
        return self.odd[i] if i in self.odd else self.values[i]


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return math.nan


def value(text: Any) -> Any:
    """A history value from its ``value_json``."""
    import json

    if not isinstance(text, str):
        return text
    try:
        return float(text)
    except ValueError:
        try:
            return json.loads(text) if text else None
        except ValueError:
            return None


def columns(raw: bytes, pb: Any, wanted: Callable[[str], bool]) -> tuple[list[str], dict[str, Column], int]:
    """Every history key in the order first seen, a ``Column`` per wanted key, and the number of rows;
    ``raw`` is the whole file (its header checked), ``pb`` wandb's ``wandb_internal_pb2``."""
    types = _types(pb)
    heads, lengths, kinds, complete = _fragments(raw)
    index: defaultdict[str, int] = defaultdict(count().__next__)
    index[_MARK]  # code 0: the markers
    names: list[str] = []
    found: dict[int, Column] = {}
    rows = offset = 0
    fields = list(_KEY_FIELDS)
    view = memoryview(raw)
    if not _checksums_match(raw, heads[complete:], lengths[complete:]):
        raise RecordByRecord  # the partial record at the end: _frames checks it too
    for first, stop in _chunks(heads[:complete], kinds[:complete]):
        h, n, k = heads[first:stop], lengths[first:stop], kinds[first:stop]
        if not _checksums_match(raw, h, n):
            raise RecordByRecord  # _frames names the byte
        records = int(np.count_nonzero((k == _FULL) | (k == _FIRST)))
        codes, items, record = _chunk(types, view, h, n, k, records, fields, index)
        for key in list(index)[len(names) + 1 :]:
            names.append(key)
            if wanted(key):
                found[index[key]] = Column()
        real = codes != 0
        of_real = record[real]
        with_items = _distinct(of_real)
        if with_items:
            step = index.get("_step")
            if step is None or _distinct(record[codes == step]) != with_items:
                raise RecordByRecord  # a row without a _step item: its step is in history.step
        rows += with_items
        value_at = np.cumsum(real) - 1
        texts = None
        for code, column in found.items():
            at = np.flatnonzero(codes == code)
            if at.size:
                if texts is None:  # every value at once: faster than one at a time
                    texts = np.array(list(items.value_json), dtype=object)
                column.extend(record[at] + offset, texts[value_at[at]].tolist())
        offset += records
    return names, {names[code - 1]: column for code, column in found.items()}, rows


def _distinct(sorted_values: Any) -> int:
    """How many different values a sorted array holds."""
    return int(sorted_values.size and 1 + np.count_nonzero(sorted_values[1:] != sorted_values[:-1]))


def _chunk(
    types: _Types, view: memoryview, h: Any, n: Any, k: Any, records: int, fields: list[str], index: Any
) -> tuple[Any, Any, Any]:
    """One chunk of whole records parsed as columns: each item's key code, the items' columns, and
    each item's record (0-based in the chunk); ``fields`` is tried in order, the one that fits first."""
    for field in list(fields):
        stream = _stream(view, h, n, k, types.markers[field])
        parsed, counted = types.columns(), types.flat()
        try:
            parsed.ParseFromString(stream)
            counted.ParseFromString(stream)
        except Exception:  # protobuf's DecodeError: wandb's parse names the record
            raise RecordByRecord from None
        del stream
        history, markers = parsed.history, records + 1
        items, total = history.item, len(counted.history.item)
        other = _KEY_FIELDS[1 - _KEY_FIELDS.index(field)]
        if len(getattr(items, other)):
            continue  # the other key field: try it (first) for the next chunks too
        keys = getattr(items, field)  # typed values beside value_json ('json,typed'): value_json is read
        if len(keys) != total or len(items.value_json) != total - markers:
            raise RecordByRecord  # a nested key of several parts, an item without a value
        codes = np.fromiter(map(index.__getitem__, keys), dtype=np.int32, count=total)
        marks = codes == 0
        if int(np.count_nonzero(marks)) != markers or not (marks[0] and marks[-1]):
            raise RecordByRecord
        fields.sort(key=lambda f: f != field)
        return codes, items, np.cumsum(marks) - 1
    raise RecordByRecord  # both key fields in one chunk


def _stream(view: memoryview, h: Any, n: Any, k: Any, marker: bytes) -> bytes:
    """Whole records' payloads joined, a ``marker`` written over each record's first header and one at the end."""
    base, end = int(h[0]), int(h[-1] + 7 + n[-1])
    copy = bytearray(view[base:end])
    starts = (k == _FULL) | (k == _FIRST)
    heads = h[starts] - base
    pattern = np.frombuffer(marker, dtype=np.uint8)
    np.frombuffer(copy, dtype=np.uint8)[(heads[:, None] + np.arange(7)).ravel()] = np.tile(pattern, len(heads))
    # kept: a record's first fragment from its header (now the marker), a continuation from its data
    begin = np.where(starts, h, h + 7) - base
    stop = h + 7 + n - base
    gaps = np.flatnonzero(begin[1:] != stop[:-1])
    out = memoryview(copy)
    spans = zip(np.r_[begin[0], begin[gaps + 1]].tolist(), np.r_[stop[gaps], stop[-1]].tolist(), strict=True)
    return b"".join([out[a:b] for a, b in spans]) + marker


def _fragments(raw: bytes) -> tuple[Any, Any, Any, int]:
    """Every fragment's header offset, data length and type, in file order, as ``_frames`` walks them
    (every 32 KiB block starts with a header, so all blocks are walked at once), and how many of them
    make whole records (a record cut short at the end is left out, as ``_frames`` leaves it)."""
    data = np.frombuffer(raw, dtype=np.uint8)
    end = len(raw)
    pos = np.arange(0, end, _BLOCK, dtype=np.int64)
    block_end = np.minimum(pos + _BLOCK, end)
    pos[0] = 7
    active = np.arange(len(pos))
    parts: list[tuple[Any, Any, Any]] = []
    while active.size:
        at = pos[active]
        room = block_end[active] - at
        fits = room >= 7  # a block's tail too short for a header is zero padding
        active, at, room = active[fits], at[fits], room[fits]
        length = data[at + 4].astype(np.int64) | data[at + 5].astype(np.int64) << 8
        kind = data[at + 6]
        used = (kind != 0) | (length != 0)  # preallocated zeros: the rest of the block
        active, at, room, length, kind = active[used], at[used], room[used], length[used], kind[used]
        over = length + 7 > room
        if over.any():
            if bool((block_end[active[over]] != end).any()):
                raise RecordByRecord  # over a block's end: not a LevelDB log as wandb writes it
            within = ~over  # cut short at the end: the run is still writing
            active, at, length, kind = active[within], at[within], length[within], kind[within]
        parts.append((at, length, kind))
        pos[active] = at + 7 + length
    if not parts:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.uint8), 0
    heads = np.concatenate([p[0] for p in parts])
    order = np.argsort(heads, kind="stable")
    heads = heads[order]
    lengths = np.concatenate([p[1] for p in parts])[order]
    kinds = np.concatenate([p[2] for p in parts])[order]
    if bool(((kinds < _FULL) | (kinds > _LAST)).any()):
        raise RecordByRecord
    open_after = (kinds == _FIRST) | (kinds == _MIDDLE)
    continues = (kinds == _MIDDLE) | (kinds == _LAST)
    if bool((continues[1:] != open_after[:-1]).any()) or (len(kinds) and continues[0]):
        raise RecordByRecord  # fragments out of order: _frames reads them its own way
    complete = len(kinds)
    if complete and open_after[-1]:
        complete = int(np.flatnonzero(kinds == _FIRST)[-1])
    return heads, lengths, kinds, complete


def _checksums_match(raw: bytes, heads: Any, lengths: Any) -> bool:
    """Whether every fragment's CRC-32 (of its type byte and data) is the one in its header."""
    if not len(heads):
        return True
    data = np.frombuffer(raw, dtype=np.uint8)
    stored = np.zeros(len(heads), dtype=np.uint32)
    for i in range(4):
        stored |= data[heads + i].astype(np.uint32) << (8 * i)
    crc = zlib.crc32
    crcs = [crc(raw[a:b]) for a, b in zip((heads + 6).tolist(), (heads + 7 + lengths).tolist(), strict=True)]
    return bool((np.array(crcs, dtype=np.uint32) == stored).all())


def _chunks(heads: Any, kinds: Any) -> Iterator[tuple[int, int]]:
    """Fragment ranges of whole records, about ``_CHUNK`` bytes each."""
    starts = np.flatnonzero((kinds == _FULL) | (kinds == _FIRST))
    if not starts.size:
        return
    cuts = np.unique(np.searchsorted(heads[starts], np.arange(_CHUNK, int(heads[-1]) + 1, _CHUNK)))
    bounds = [0, *starts[cuts[(cuts > 0) & (cuts < len(starts))]].tolist(), len(heads)]
    yield from zip(bounds[:-1], bounds[1:], strict=True)


class _Types:
    """The column views of wandb's records (``columns``, ``flat``) and the markers by key field."""

    def __init__(self, columns: Any, flat: Any, markers: dict[str, bytes]) -> None:
        self.columns, self.flat, self.markers = columns, flat, markers


@cache
def _types(pb: Any) -> _Types:
    """Message types made from wandb's ``Record``, ``HistoryRecord`` and ``HistoryItem`` descriptors."""
    import importlib

    # protobuf is wandb's dependency (no type stubs here): its modules as values
    descriptor_pb2, descriptor_pool, message_factory = (
        importlib.import_module(f"google.protobuf.{name}")
        for name in ("descriptor_pb2", "descriptor_pool", "message_factory")
    )

    kind = descriptor_pb2.FieldDescriptorProto
    package = "lrviz_wandb_columns"
    proto = descriptor_pb2.FileDescriptorProto(name=f"{package}.proto", package=package, syntax="proto3")

    def message(name: str, descriptor: Any, singular: dict[str, str], text: bool = True) -> None:
        """``descriptor``'s fields, repeated (enums as int32, messages as bytes, strings as bytes unless
        ``text``: those are not read), but those in ``singular``: one message of the type named there."""
        made = proto.message_type.add(name=name)
        for field in descriptor.fields:
            if field.name in singular:
                made.field.add(
                    name=field.name, number=field.number, type=kind.TYPE_MESSAGE, label=kind.LABEL_OPTIONAL,
                    type_name=f".{package}.{singular[field.name]}",
                )  # fmt: skip
                continue
            scalar = {kind.TYPE_ENUM: kind.TYPE_INT32, kind.TYPE_MESSAGE: kind.TYPE_BYTES}.get(field.type, field.type)
            if scalar == kind.TYPE_STRING and not text:
                scalar = kind.TYPE_BYTES
            if scalar == kind.TYPE_GROUP:
                raise RecordByRecord
            made.field.add(name=field.name, number=field.number, type=scalar, label=kind.LABEL_REPEATED)

    def scalars(descriptor: Any) -> bool:
        return all(f.type not in (kind.TYPE_MESSAGE, kind.TYPE_GROUP) for f in descriptor.fields)

    item = pb.HistoryItem.DESCRIPTOR
    if not scalars(item):
        raise RecordByRecord  # an item holding a message: not columns
    history = pb.HistoryRecord.DESCRIPTOR
    inner = {f.name: f.message_type for f in history.fields if f.message_type is not None and f.name != "item"}
    if not all(scalars(t) for t in inner.values()):
        raise RecordByRecord
    message("ItemColumns", item, {})
    for name, descriptor in inner.items():
        message(f"Columns_{name}", descriptor, {})  # parsed, so checked as wandb checks it
    message("HistoryColumns", history, {"item": "ItemColumns", **{n: f"Columns_{n}" for n in inner}})
    message("HistoryFlat", history, {}, text=False)  # item as repeated bytes: counted, not parsed
    # a record's other fields are skipped, as wandb's reader skips the records that hold no history
    message("RecordColumns", pb.Record.DESCRIPTOR, {"history": "HistoryColumns"}, text=False)
    message("RecordFlat", pb.Record.DESCRIPTOR, {"history": "HistoryFlat"}, text=False)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(proto)

    def made(name: str) -> Any:
        return message_factory.GetMessageClass(pool.FindMessageTypeByName(f"{package}.{name}"))

    markers = {
        "nested_key": pb.Record(history=pb.HistoryRecord(item=[pb.HistoryItem(nested_key=[_MARK])])),
        "key": pb.Record(history=pb.HistoryRecord(item=[pb.HistoryItem(key=_MARK)])),
    }
    serialized = {field: record.SerializeToString() for field, record in markers.items()}
    if any(len(m) != 7 for m in serialized.values()):
        raise RecordByRecord  # wandb renumbered its fields: the marker no longer fits a header
    return _Types(made("RecordColumns"), made("RecordFlat"), serialized)

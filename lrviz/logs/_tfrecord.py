"""The TFRecord framing of TensorBoard event files, read in big buffered chunks (issue 23: speed).

Each record is ``uint64 length | uint32 masked CRC-32C of the length | data | uint32 masked CRC-32C
of the data`` (little-endian), as tensorboard's ``PyRecordReader_New`` reads it record by record;
the records' data are then decoded by the caller with tensorboard's own ``event_pb2.Event``.

Without TensorFlow, tensorboard computes CRC-32C in pure Python (~12 us for a 40-byte scalar
record) behind a reader buffering a few bytes at a time: ~70% of the time a file took. Here the length's CRC is checked for every
record (it is what detects a framing error; the 12 bytes of a length and its CRC repeat, so each
distinct pair is checked once), and the data's CRC with ``google_crc32c`` (C, in ``lrviz[tensorboard]``)
for every record; without it, only records the caller keeps are checked in pure Python
(``check_data``), and a damaged record elsewhere is refused only if protobuf cannot parse it."""

from __future__ import annotations

import importlib
import struct
from collections.abc import Callable, Iterator
from typing import BinaryIO

__all__ = ["CHUNK", "RecordError", "fast_crc", "masked_crc", "records"]

CHUNK = 4 * 1024 * 1024
_HEADER = struct.Struct("<QI")
_CRC = struct.Struct("<I")
_MASK_DELTA = 0xA282EAD8
_CACHED_HEADERS = 4096


class RecordError(Exception):
    """A record that fails its checksum, or is cut short, as tensorboard's reader words it."""

    def __init__(self, message: str, *, truncated: bool = False) -> None:
        super().__init__(message)
        self.truncated = truncated


def _fast() -> Callable[[bytes], int] | None:
    try:
        module = importlib.import_module("google_crc32c")
    except ImportError:
        return None
    if getattr(module, "implementation", "c") != "c":  # its pure-Python fallback is no faster than tensorboard's
        return None
    value: Callable[[bytes], int] = module.value
    return value


def _pure(data: bytes) -> int:
    stub = importlib.import_module("tensorboard.compat.tensorflow_stub.pywrap_tensorflow")
    crc: int = stub.crc32c(data)
    return crc


def fast_crc() -> Callable[[bytes], int] | None:
    """A C CRC-32C if one is installed (``google_crc32c``), else None."""
    return _fast()


def masked_crc(data: bytes, crc32c: Callable[[bytes], int] | None = None) -> int:
    """The masked CRC-32C TFRecord stores: rotated right by 15 bits, plus a constant."""
    x = (crc32c or _pure)(data) & 0xFFFFFFFF
    return (((x >> 15) | (x << 17)) + _MASK_DELTA) & 0xFFFFFFFF


def records(handle: BinaryIO, crc32c: Callable[[bytes], int] | None) -> Iterator[tuple[bytes, int]]:
    """Each record's data and its stored masked data CRC, in order. The data CRC is checked here when
    ``crc32c`` is given, else left to the caller. Raises RecordError for a failed check, and for a record
    cut short (``truncated=True``: a run still writing) after the records before it were yielded."""
    buf = b""
    pos = 0
    headers: dict[bytes, None] = {}
    while True:
        if len(buf) - pos < 12:
            buf, pos = buf[pos:] + handle.read(CHUNK), 0
            if len(buf) == 0:
                return
            if len(buf) < 12:
                section = "header" if len(buf) < 8 else "header crc"
                raise RecordError(f"has truncated record in {section}", truncated=True)
        head = buf[pos : pos + 12]  # the length and its CRC: a pair once checked is good wherever it recurs
        if head not in headers:
            length, stored = _HEADER.unpack_from(head)
            if masked_crc(head[:8], crc32c) != stored:
                raise RecordError("failed header crc32 check")
            if len(headers) < _CACHED_HEADERS:
                headers[head] = None
        else:
            (length,) = struct.unpack_from("<Q", buf, pos)
        end = pos + 12 + length
        if end + 4 > len(buf):
            buf, pos = buf[pos:], 0
            while len(buf) < 12 + length + 4:
                chunk = handle.read(max(CHUNK, 12 + length + 4 - len(buf)))
                if not chunk:
                    section = "data" if len(buf) < 12 + length else "data crc"
                    raise RecordError(f"has truncated record in {section}", truncated=True)
                buf += chunk
            end = 12 + length
        data = buf[pos + 12 : end]
        (stored,) = _CRC.unpack_from(buf, end)
        if crc32c is not None and masked_crc(data, crc32c) != stored:
            raise RecordError("failed event crc32 check")
        pos = end + 4
        yield data, stored

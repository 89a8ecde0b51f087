"""The buffered TFRecord reader of event files (issue 23: speed) reads what tensorboard's own loader reads."""

from __future__ import annotations

import importlib.util
import struct
from pathlib import Path

import pytest

from lrviz.errors import ConfigError
from lrviz.logs import _tfrecord, read_log

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("tensorboard") is None, reason="tensorboard is not installed: pip install -e '.[test]'"
)
has_fast_crc = importlib.util.find_spec("google_crc32c") is not None


@pytest.fixture(params=["c-crc", "pure-python-crc"] if has_fast_crc else ["pure-python-crc"])
def crc(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each test runs with the C CRC-32C (google_crc32c) and with the pure-Python fallback."""
    if request.param == "pure-python-crc":
        monkeypatch.setattr(_tfrecord, "fast_crc", lambda: None)
    return str(request.param)


def _write(directory: Path, steps: int, new_style: bool = False) -> Path:
    import torch
    from torch.utils.tensorboard import SummaryWriter

    writer = SummaryWriter(str(directory))
    for step in range(steps):
        writer.add_scalar("lr", 0.1 / (1 + step) ** 0.5, step, new_style=new_style)
        writer.add_scalar("loss", 3.0 - step / 7, step, new_style=new_style)
        if step % 5 == 0:
            writer.add_histogram("weights", torch.tensor([0.1 * step, 0.2, 0.3]), step)
    writer.close()
    (file,) = directory.glob("events.out.tfevents.*")
    return file


def _tensorboard_points(file: Path, tag: str) -> tuple[list[int], list[float]]:
    """The (step, value) of ``tag`` as tensorboard's own EventFileLoader yields them."""
    from tensorboard.backend.event_processing.event_file_loader import EventFileLoader
    from tensorboard.util import tensor_util

    steps: list[int] = []
    values: list[float] = []
    for event in EventFileLoader(str(file)).Load():  # migrates simple_value to 0-d tensors, as TensorBoard shows
        for value in event.summary.value:
            if value.tag == tag:
                steps.append(event.step)
                values.append(float(tensor_util.make_ndarray(value.tensor).item()))
    return steps, values


@pytest.mark.parametrize("new_style", [False, True])
def test_a_summary_writer_file_reads_as_tensorboard_reads_it(tmp_path: Path, crc: str, new_style: bool) -> None:
    file = _write(tmp_path, 300, new_style)
    series = read_log(file).series[0]
    steps, values = _tensorboard_points(file, "lr")
    assert len(steps) == 300
    assert (series.name, list(series.steps), list(series.values)) == ("lr", steps, values)
    loss = read_log(file, y="loss").series[0]
    assert (list(loss.steps), list(loss.values)) == _tensorboard_points(file, "loss")


def test_records_and_checksums_are_tensorboards(tmp_path: Path) -> None:
    from tensorboard.compat.tensorflow_stub import errors
    from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import PyRecordReader_New, masked_crc32c

    file = _write(tmp_path, 40)
    reader = PyRecordReader_New(str(file))
    theirs = []
    while True:
        try:
            reader.GetNext()
        except errors.OutOfRangeError:
            break
        theirs.append(reader.record())
    reader.file_handle.close()
    crcs = [_tfrecord.fast_crc(), None] if has_fast_crc else [None]
    for crc32c in crcs:
        with file.open("rb") as handle:
            ours = list(_tfrecord.records(handle, crc32c))
        assert [data for data, _ in ours] == theirs
        assert [stored for _, stored in ours] == [masked_crc32c(data) for data in theirs]
        assert [_tfrecord.masked_crc(data, crc32c) for data in theirs] == [masked_crc32c(data) for data in theirs]


def _offsets(file: Path) -> list[tuple[int, int]]:
    """(start, data length) of each record."""
    data = file.read_bytes()
    out = []
    pos = 0
    while pos < len(data):
        (length,) = struct.unpack_from("<Q", data, pos)
        out.append((pos, length))
        pos += 12 + length + 4
    return out


def _error(file: Path, **kwargs: str) -> str:
    with pytest.raises(ConfigError) as info:
        read_log(file, **kwargs)
    message = str(info.value)
    assert "\n" not in message and str(file) in message
    return message


def _record_of(file: Path, tag: str) -> tuple[int, int]:
    """(start, data length) of a record in the second half of the file that logs ``tag``."""
    from tensorboard.compat.proto.event_pb2 import Event

    data = file.read_bytes()
    records = _offsets(file)
    for start, length in records[len(records) // 2 :]:
        values = Event.FromString(data[start + 12 : start + 12 + length]).summary.value
        if [v.tag for v in values] == [tag]:
            return start, length
    raise AssertionError(f"no {tag} record")


@pytest.mark.parametrize("where", ["length", "length crc", "data", "data crc"])
def test_a_damaged_byte_in_an_lr_record_is_refused_naming_the_file(tmp_path: Path, crc: str, where: str) -> None:
    file = _write(tmp_path, 30)
    start, length = _record_of(file, "lr")
    at = {"length": start, "length crc": start + 9, "data": start + 12 + length - 2, "data crc": start + 12 + length}
    data = bytearray(file.read_bytes())
    data[at[where]] ^= 0x01  # in "data": a bit of the LR value, which protobuf still parses
    file.write_bytes(bytes(data))
    message = _error(file)
    check = "header crc32 check" if where.startswith("length") else "event crc32 check"
    assert "corrupt TensorBoard event file (record" in message and check in message


def test_a_damaged_record_of_another_tag_is_refused_with_a_c_crc(tmp_path: Path) -> None:
    if not has_fast_crc:
        pytest.skip("google_crc32c is not installed: pip install -e '.[tensorboard]'")
    file = _write(tmp_path, 30)
    start, length = _record_of(file, "loss")
    data = bytearray(file.read_bytes())
    data[start + 12 + length - 2] ^= 0x01  # a bit of the loss value: protobuf still parses it
    file.write_bytes(bytes(data))
    assert "failed event crc32 check" in _error(file)


@pytest.mark.parametrize("cut", [1, 3, 8, 10, 12, 14, 20])
def test_a_record_cut_short_at_the_end_is_a_run_still_writing(tmp_path: Path, crc: str, cut: int) -> None:
    file = _write(tmp_path, 30)
    start, length = _offsets(file)[-1]
    whole = file.read_bytes()
    file.write_bytes(whole + whole[start : start + min(cut, 12 + length + 3)])  # the last record again, cut short
    steps, values = _tensorboard_points(file, "lr")  # tensorboard's loader stops at the cut too
    series = read_log(file).series[0]
    assert (list(series.steps), list(series.values)) == (steps, values) and steps == list(range(30))


def test_a_first_record_cut_short_is_refused(tmp_path: Path, crc: str) -> None:
    file = _write(tmp_path, 3)
    file.write_bytes(file.read_bytes()[:10])
    assert "record 1: has truncated record in header crc" in _error(file)


def test_a_growing_file_reads_its_new_records(tmp_path: Path, crc: str) -> None:
    file = _write(tmp_path, 20)
    whole = file.read_bytes()
    (start, _), *_ = _offsets(file)[-4:]
    file.write_bytes(whole[: start + 5])
    assert len(read_log(file).series[0].steps) < 20
    file.write_bytes(whole)
    assert list(read_log(file).series[0].steps) == list(range(20))


def test_a_big_file_without_the_c_crc_is_refused_naming_the_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Over SLOW_EVENT_BYTES the Python CRC would make a user wait: refused naming google-crc32c and the
    variable, unless that variable is set; with the C CRC the same file is read."""
    from lrviz.logs import tensorboard

    file = _write(tmp_path, 40)
    monkeypatch.setattr(tensorboard, "SLOW_EVENT_BYTES", file.stat().st_size - 1)
    if has_fast_crc:
        assert list(read_log(file).series[0].steps) == list(range(40))
    monkeypatch.setattr(_tfrecord, "fast_crc", lambda: None)
    with pytest.raises(ConfigError, match=r"pip install google-crc32c .*LRVIZ_MAX_EVENT_FILE_BYTES=") as refused:
        read_log(file)
    assert str(file) in str(refused.value) and "\n" not in str(refused.value)
    monkeypatch.setenv("LRVIZ_MAX_EVENT_FILE_BYTES", str(128 * 1024 * 1024))
    assert list(read_log(file).series[0].steps) == list(range(40))

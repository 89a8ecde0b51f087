"""A W&B run read as columns (lrviz/logs/_wandb_columns.py) reads what the record-by-record path reads.

Runs written by the real wandb package (offline), and, for layouts wandb 0.31 does not write (the
``key`` field of older wandb, a row without a ``_step`` item, a typed value, a record over several
blocks), wandb's own ``Record`` classes framed as wandb frames them. Each file is read through the
columns (the record-by-record path must not run, or must, where the columns decline) and record by
record (``_rows``, the columns switched off): the same log, or the same error, either way.
"""

from __future__ import annotations

import gc
import struct
import zlib
from array import array
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from lrviz.errors import ConfigError
from lrviz.logs import _wandb_columns, read_log
from lrviz.logs import wandb as wandb_log
from tests import trackers

pb = pytest.importorskip("wandb.proto.wandb_internal_pb2")

# wandb leaves sockets and threads to the garbage collector: not lrviz's to fix
pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning", "ignore::pytest.PytestUnraisableExceptionWarning")

Rows = list[tuple[dict[str, Any], int]]


def _outcome(path: Path, **kwargs: Any) -> Any:
    try:
        log = read_log(path, **kwargs)
    except ConfigError as exc:
        return str(exc)
    series = [(s.name, s.steps.tobytes(), s.values.tobytes()) for s in log.series]  # NaN compares equal as bytes
    return log.format, log.groups, log.convention, series


def _both_ways(path: Path, monkeypatch: pytest.MonkeyPatch, *, columns: bool = True, **kwargs: Any) -> Any:
    """The outcome through the columns (asserting whether ``_rows`` ran) and record by record: the same."""
    rows = wandb_log._rows
    calls: list[Path] = []

    def counted(file: Path, pb: Any) -> Any:
        calls.append(file)
        return rows(file, pb)

    with monkeypatch.context() as patched:
        patched.setattr(wandb_log, "_rows", counted)
        fast = _outcome(path, **kwargs)
    assert bool(calls) is not columns, "the columns declined" if columns else "the columns read it"

    def declined(*args: Any) -> Any:
        raise _wandb_columns.RecordByRecord

    with monkeypatch.context() as patched:
        patched.setattr(_wandb_columns, "columns", declined)
        slow = _outcome(path, **kwargs)
    assert fast == slow
    return fast


def _wandb(out: Path, rows: Rows, encoding: str | None = None) -> Path:
    """An offline run of the real wandb package logging ``rows`` (values, step); ``encoding``: wandb's
    ``x_history_value_encoding`` ('json,typed' writes each value twice, as value_json and typed)."""
    import wandb

    settings = wandb.Settings(silent=True, **({"x_history_value_encoding": encoding} if encoding else {}))
    with trackers._quiet():
        run = wandb.init(project="lrviz-tests", name="r", dir=str(out), mode="offline", settings=settings)
        for values, step in rows:
            run.log(values, step=step)
        run_dir = Path(run.dir).parent
        run.finish()
        gc.collect()
    trackers.wait_for_wandb(run_dir)
    return next(run_dir.glob("run-*.wandb"))


def _framed(path: Path, records: list[bytes]) -> Path:
    """``records`` in wandb's LevelDB-log framing: 32 KiB blocks, a record over a block's end in fragments."""
    block, out = 32768, bytearray(b":W&B" + struct.pack("<H", 0xBEE1) + b"\x00")
    for data in records:
        first = True
        while True:
            left = block - len(out) % block
            if left < 7:
                out.extend(b"\x00" * left)
                continue
            part, data = data[: left - 7], data[left - 7 :]
            kind = (1 if not data else 2) if first else (4 if not data else 3)
            out.extend(struct.pack("<IHB", zlib.crc32(bytes((kind,)) + part), len(part), kind) + part)
            first = False
            if not data:
                break
    path.write_bytes(bytes(out))
    return path


def _record(num: int, step: int, values: dict[str, str], field: str = "nested_key", typed: bool = False) -> list[bytes]:
    """A history record as wandb's classes make it (``values``: key -> value_json), then a summary record."""
    record = pb.Record(num=num)
    for key, text in values.items():
        item = record.history.item.add()
        if field == "key":
            item.key = key
        else:
            item.nested_key.append(key)
        if typed:
            item.number = float(text)
        else:
            item.value_json = text
    record.history.step.num = step
    summary = pb.Record(num=num + 1, summary=pb.SummaryRecord(update=[pb.SummaryItem(key="loss", value_json="1")]))
    return [record.SerializeToString(), summary.SerializeToString()]


def _records(rows: list[dict[str, str]], **kwargs: Any) -> list[bytes]:
    out: list[bytes] = [pb.Record(num=1, run=pb.RunRecord(run_id="r", display_name="r")).SerializeToString()]
    for k, values in enumerate(rows):
        out.extend(_record(2 * k + 2, k, values, **kwargs))
    return out


def _cosine(k: int) -> float:
    return 0.1 * (1 + (k % 7) / 7)


VARYING: Rows = [
    *[({"train/lr": _cosine(k), "loss": 1.0 / (k + 1), "train/global_step": k}, k) for k in range(12)],
    ({"eval/loss": 0.5}, 12),  # an eval row: no LR
    *[({"train/lr": _cosine(k), "extra": "text", "train/global_step": k, "grad_norm": 1.5}, k) for k in range(13, 20)],
]


@pytest.mark.parametrize("chunk", [None, 300])  # 300 bytes: a chunk of a record or two
@pytest.mark.parametrize(
    ("rows", "kwargs"),
    [
        ([({"train/lr": _cosine(k), "loss": 1.0}, k) for k in range(24)], {}),
        (VARYING, {}),
        (VARYING, {"x": "_step", "y": "train/lr"}),
        (VARYING, {"y": "grad_norm"}),
        (VARYING, {"x": "missing"}),
        ([({"lr": 0.1, "lr-AdamW/pg2": 0.2 + k}, k) for k in range(5)], {}),
    ],
)
def test_a_real_wandb_run_reads_the_same_through_the_columns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rows: Rows, kwargs: dict[str, str], chunk: int | None
) -> None:
    pytest.importorskip("wandb")
    path = _wandb(tmp_path, rows)
    if chunk:
        monkeypatch.setattr(_wandb_columns, "_CHUNK", chunk)
    _both_ways(path, monkeypatch, **kwargs)


def test_a_run_written_with_typed_values_too_is_read_as_columns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """wandb's 'json,typed' history encoding writes item.number beside value_json: value_json lines them up."""
    pytest.importorskip("wandb")
    rows: Rows = [({"train/lr": 0.1 / (k + 1), "train/global_step": k, "loss": 1.0}, k) for k in range(12)]
    path = _wandb(tmp_path, rows, encoding="json,typed")
    import wandb.proto.wandb_internal_pb2 as internal

    record = internal.Record()
    typed = 0
    for data in wandb_log._frames(path):
        record.ParseFromString(data)
        typed += sum(item.WhichOneof("value") == "number" for item in record.history.item)
    assert typed >= 12  # the file really holds typed values
    log = _both_ways(path, monkeypatch)
    assert log[1] == ("train/lr",) and log[3][0][2] == array("d", [0.1 / (k + 1) for k in range(12)]).tobytes()


def test_typed_values_without_value_json_are_read_record_by_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file of typed values alone (no value_json) is read from the typed field, not named 'not a number'."""
    rows = [{"lr": repr(0.1 / (k + 1)), "_step": str(k)} for k in range(5)]
    log = _both_ways(_framed(tmp_path / "run-typed.wandb", _records(rows, typed=True)), monkeypatch, columns=False)
    assert log[3][0][2] == array("d", [0.1 / (k + 1) for k in range(5)]).tobytes()


@pytest.mark.parametrize(
    ("lr", "error"),
    [
        (float("nan"), None),  # read as NaN, as before
        (float("inf"), "train/lr: not a number: inf"),
        ("a string", "train/lr: not a number: 'a string'"),
        (None, "train/lr: not a number: None"),
        (True, None),  # JSON true: not a number, named the same either way
    ],
)
def test_values_that_are_not_numbers_are_read_or_named_as_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lr: Any, error: str | None
) -> None:
    pytest.importorskip("wandb")
    rows: Rows = [({"train/lr": 0.1 * (k + 1), "loss": 1.0}, k) for k in range(6)]
    rows[3] = ({"train/lr": lr, "loss": 1.0}, 3)
    outcome = _both_ways(_wandb(tmp_path, rows), monkeypatch)
    if error is not None:
        assert isinstance(outcome, str) and outcome.endswith(error)


def test_a_fractional_step_is_named_as_before(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("wandb")
    path = _wandb(tmp_path, [({"train/lr": 0.1, "epoch": k / 4}, k) for k in range(6)])
    assert "epoch: expected a whole step number, got 0.25" in _both_ways(path, monkeypatch, x="epoch")


def test_a_nested_key_is_read_record_by_record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """wandb 0.31 writes ``{"a": {"b": 1}}`` as one item of nested_key ["a", "b"]: more key parts than items."""
    pytest.importorskip("wandb")
    rows: Rows = [({"train/lr": 0.1 / (k + 1), "opt": {"lr": 0.2 / (k + 1)}}, k) for k in range(5)]
    log = _both_ways(_wandb(tmp_path, rows), monkeypatch, columns=False)
    assert set(log[1]) == {"train/lr", "opt/lr"}


@pytest.mark.parametrize("chunk", [None, 200])
def test_the_key_field_of_older_wandb_and_records_over_several_blocks_are_read_as_columns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int | None
) -> None:
    if chunk:
        monkeypatch.setattr(_wandb_columns, "_CHUNK", chunk)
    rows = [{"_step": str(k), "lr": repr(0.1 / (k + 1)), "note": '"' + "x" * (k * 9000) + '"'} for k in range(12)]
    for field in ("key", "nested_key"):
        path = _framed(tmp_path / f"run-{field}.wandb", _records(rows, field=field))
        log = _both_ways(path, monkeypatch)
        assert log[1] == ("lr",) and len(log[3][0][1]) == 8 * 12
    assert _both_ways(_framed(tmp_path / "run-empty.wandb", _records([])), monkeypatch).endswith(
        "no history rows in this W&B run; was the run logging yet?"
    )


@pytest.mark.parametrize(
    ("rows", "kwargs"),
    [
        ([{"lr": "0.1", "_step": "0"}, {"lr": "0.2"}], {}),  # a row without a _step item: its step is history.step
        ([{"lr": "0.1", "_step": "0"}, {"lr": "0.2", "_step": "1"}], {"typed": True}),  # item.number, not value_json
        ([{"lr": "0.1", "_step": "0"}, {"lr": "0.2", "_step": "1"}, {"\x00": "1", "_step": "2"}], {}),  # our marker key
        ([{"lr": "0.1", "_step": "0"}, {"_step": "1", "": "3"}], {"field": "key"}),  # an item without a key
    ],
)
def test_layouts_the_columns_do_not_prove_are_read_record_by_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rows: list[dict[str, str]], kwargs: dict[str, Any]
) -> None:
    _both_ways(_framed(tmp_path / "run-x.wandb", _records(rows, **kwargs)), monkeypatch, columns=False)


def test_a_damaged_or_cut_file_reads_or_fails_as_before(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [{"_step": str(k), "lr": repr(0.1 / (k + 1)), "note": '"' + "x" * 20000 + '"'} for k in range(6)]
    raw = _framed(tmp_path / "run-whole.wandb", _records(rows)).read_bytes()
    for cut in (len(raw) - 10, len(raw) - 30000, 40000, 32768 + 3):  # the last record cut in its last / first fragment
        (tmp_path / "run-cut.wandb").write_bytes(raw[:cut])
        _both_ways(tmp_path / "run-cut.wandb", monkeypatch)
    for at in (40, 32768 + 100, len(raw) - 5):
        bad = bytearray(raw)
        bad[at] ^= 0xFF
        (tmp_path / "run-bad.wandb").write_bytes(bytes(bad))
        assert "corrupt W&B run file (bad checksum at byte" in _both_ways(
            tmp_path / "run-bad.wandb", monkeypatch, columns=False
        )
    wrong = bytearray(raw)
    wrong[7 + 6] = 9  # a fragment type that is none of FULL, FIRST, MIDDLE, LAST (its checksum made right)
    length = struct.unpack_from("<H", wrong, 7 + 4)[0]
    struct.pack_into("<I", wrong, 7, zlib.crc32(bytes(wrong[7 + 6 : 7 + 7 + length])))
    (tmp_path / "run-type.wandb").write_bytes(bytes(wrong))
    assert "record type 9" in _both_ways(tmp_path / "run-type.wandb", monkeypatch, columns=False)


def test_a_resumed_run_and_a_run_stepped_four_times_read_the_same_through_the_columns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("wandb")
    resumed = trackers.wandb_offline(tmp_path / "a", "r", lambda log: trackers.train(log, resume_at=10))
    _both_ways(next(resumed.glob("*/run-*.wandb")), monkeypatch)
    four: Callable[[trackers.Log], None] = lambda log: trackers.train(log, sched_steps=4)  # noqa: E731
    _both_ways(next(trackers.wandb_offline(tmp_path / "b", "f", four).glob("*/run-*.wandb")), monkeypatch)


def test_an_empty_key_part_is_read_as_columns_and_bad_utf8_is_named_as_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [{"_step": str(k), "lr": "0.1", "": "1", "note": '"\u00e9"'} for k in range(4)]
    records = _records(rows)  # nested_key [""]: one part, the key ""
    assert _both_ways(_framed(tmp_path / "run-empty-key.wandb", records), monkeypatch)[1] == ("lr",)
    broken = [r.replace("\u00e9".encode(), b"\xc3\x28") for r in records]  # not UTF-8: wandb's parse refuses it
    outcome = _both_ways(_framed(tmp_path / "run-utf8.wandb", broken), monkeypatch, columns=False)
    assert "corrupt W&B record" in outcome

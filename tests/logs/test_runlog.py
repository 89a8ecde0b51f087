"""Reading training logs: formats, step conventions, and one-line errors for bad input."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from lrviz.errors import ConfigError
from lrviz.logs import CONVENTIONS, read_log
from lrviz.logs.runlog import is_lr_name

needs_tb = pytest.mark.skipif(
    importlib.util.find_spec("tensorboard") is None, reason="tensorboard is not installed: pip install -e '.[test]'"
)


def _events(directory: Path, scalars: dict[str, list[tuple[int, float]]]) -> Path:
    from torch.utils.tensorboard import SummaryWriter

    writer = SummaryWriter(str(directory))
    for tag, points in scalars.items():
        for step, value in points:
            writer.add_scalar(tag, value, step)
    writer.close()
    return directory


@pytest.mark.parametrize(
    ("name", "lr"),
    [
        ("lr", True),
        ("learning_rate", True),
        ("train/learning_rate", True),
        ("train/lr", True),
        ("lr-AdamW", True),
        ("lr-SGD/pg2", True),
        ("lr-Adam-1/backbone", True),
        ("lr-AdamW-momentum", False),
        ("lr-SGD-weight_decay/pg1", False),
        ("loss", False),
        ("clr", False),
    ],
)
def test_lr_names(name: str, lr: bool) -> None:
    assert is_lr_name(name) is lr


def test_lightning_csv_skips_other_metrics_rows_and_momentum(tmp_path: Path) -> None:
    path = tmp_path / "metrics.csv"
    path.write_text(
        "epoch,loss,lr-AdamW/pg1,lr-AdamW/pg2,lr-AdamW-momentum/pg1,step\n"
        ",,0.1,0.01,0.9,0\n0,1.5,,,,0\n,,0.2,0.02,0.9,1\n0,1.2,,,,1\n"
    )
    log = read_log(path)
    assert (log.format, log.convention.name, log.groups) == (
        "lightning_csv",
        "lightning",
        ("lr-AdamW/pg1", "lr-AdamW/pg2"),
    )
    assert list(log.group("pg2").values) == [0.01, 0.02] and list(log.group("pg2").steps) == [0, 1]
    assert read_log(tmp_path, group="pg1").groups == ("lr-AdamW/pg1",)  # a run directory holding metrics.csv


def test_generic_csv_and_jsonl_with_named_columns(tmp_path: Path) -> None:
    csv_path = tmp_path / "export.csv"
    csv_path.write_text("_step,train/lr,loss\n0,0.1,3\n1,,2\n2,0.05,1\n")
    log = read_log(csv_path, x="_step", y="train/lr")
    assert (log.format, list(log.series[0].steps), list(log.series[0].values)) == ("csv", [0, 2], [0.1, 0.05])
    jsonl = tmp_path / "history.jsonl"
    jsonl.write_text('{"it": 0, "my_lr": 0.1}\n{"it": 1, "loss": 2}\n{"it": 2.0, "my_lr": 0.05}\n')
    log = read_log(jsonl, x="it", y="my_lr")
    assert (log.format, list(log.series[0].steps), list(log.series[0].values)) == ("jsonl", [0, 2], [0.1, 0.05])


def test_trainer_state_steps_are_shifted_to_the_optimizer_step(tmp_path: Path) -> None:
    path = tmp_path / "trainer_state.json"
    history = [{"learning_rate": 0.0, "step": 1}, {"eval_loss": 1.0, "step": 1}, {"learning_rate": 5e-4, "step": 2}]
    path.write_text(json.dumps({"log_history": history + [{"train_runtime": 1.0, "step": 2}]}))
    log = read_log(path)
    assert list(log.series[0].steps) == [0, 1]
    assert list(read_log(path, convention="transformers<4.51").series[0].steps) == [1, 2]
    assert CONVENTIONS["transformers"].offset == 1


@needs_tb
def test_event_files_of_one_directory_merge_later_wins(tmp_path: Path) -> None:
    import time

    _events(tmp_path, {"lr": [(0, 1.0), (1, 2.0), (2, 3.0)], "loss": [(0, 5.0)]})
    time.sleep(1.1)  # the writer names its file by the second it starts
    _events(tmp_path, {"lr": [(2, 30.0), (3, 40.0)]})
    log = read_log(tmp_path)
    assert (log.format, log.groups) == ("tensorboard", ("lr",))
    assert list(log.series[0].steps) == [0, 1, 2, 3] and list(log.series[0].values) == [1.0, 2.0, 30.0, 40.0]


# ---------------------------------------------------------------------------
# Bad input: one line naming the file and the fix


def _error(path: Path, **kwargs: str) -> str:
    with pytest.raises(ConfigError) as info:
        read_log(path, **kwargs)  # type: ignore[arg-type]
    message = str(info.value)
    assert "\n" not in message and str(path) in message
    return message


def test_no_lr_column_lists_the_columns(tmp_path: Path) -> None:
    path = tmp_path / "metrics.csv"
    path.write_text("epoch,loss,step\n0,1.0,0\n")
    assert "the columns are epoch, loss, step" in _error(path) and "LearningRateMonitor" in _error(path)
    assert "no column 'lr'" in _error(path, y="lr")


@needs_tb
def test_no_lr_tag_lists_the_tags(tmp_path: Path) -> None:
    _events(tmp_path, {"loss": [(0, 1.0)], "acc": [(0, 0.5)]})
    assert "the tags are loss, acc" in _error(tmp_path)


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("metrics.csv", "", "empty log"),
        ("metrics.csv", "lr,step\n", "a header and no rows"),
        ("metrics.csv", "loss,lr,step\n1.0,,0\n", "no LR values"),
        ("trainer_state.json", '{"log_history": []}', "empty log_history"),
        ("trainer_state.json", '{"log_history": [{"loss": 1, "step": 1}]}', "its keys are loss, step"),
        ("log.jsonl", "\n", "empty log"),
    ],
)
def test_empty_logs(tmp_path: Path, name: str, text: str, expected: str) -> None:
    path = tmp_path / name
    path.write_text(text)
    assert expected in _error(path)


def test_non_numeric_cell_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text("step,lr\n0,0.1\n1,oops\n")
    assert f"{path}:3: not a number in the LR column: 'oops'" in _error(path)
    path.write_text("step,lr\n0,0.1\n1.5,0.1\n")
    assert f"{path}:3: not a whole step number" in _error(path)
    bad = tmp_path / "trainer_state.json"
    bad.write_text('{"log_history": [{"learning_rate": "x", "step": 1}]}')
    assert "log_history[0].learning_rate: not a number" in _error(bad)


def test_unreadable_and_unknown_files(tmp_path: Path) -> None:
    assert "no such file" in _error(tmp_path / "missing.csv")
    (tmp_path / "x.parquet").write_bytes(b"PAR1")
    assert "unknown log format '.parquet'" in _error(tmp_path / "x.parquet")
    (tmp_path / "bin.csv").write_bytes(b"\xff\xfe\x00")
    assert "not a text file" in _error(tmp_path / "bin.csv")
    (tmp_path / "empty").mkdir()
    assert "no training log in this directory" in _error(tmp_path / "empty")


def test_several_logs_in_a_directory_are_named(tmp_path: Path) -> None:
    for v in ("version_0", "version_1"):
        (tmp_path / v).mkdir()
        (tmp_path / v / "metrics.csv").write_text("lr-SGD,step\n0.1,0\n")
    assert "several training logs" in _error(tmp_path) and "version_1/metrics.csv" in _error(tmp_path)


@needs_tb
def test_corrupt_event_file(tmp_path: Path) -> None:
    _events(tmp_path, {"lr": [(s, 0.1) for s in range(50)]})
    (file,) = tmp_path.glob("events.out.tfevents.*")
    data = bytearray(file.read_bytes())
    data[200:210] = b"\xff" * 10
    file.write_bytes(bytes(data))
    assert "corrupt TensorBoard event file" in _error(file)
    file.write_bytes(b"not an event file" * 10)
    assert "corrupt TensorBoard event file" in _error(tmp_path)


@needs_tb
def test_event_file_cut_short_is_a_run_still_writing(tmp_path: Path) -> None:
    _events(tmp_path, {"lr": [(s, 0.1) for s in range(50)]})
    (file,) = tmp_path.glob("events.out.tfevents.*")
    file.write_bytes(file.read_bytes()[:-7])
    assert list(read_log(file).series[0].steps) == list(range(49))


def test_unknown_convention_and_group(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text("step,lr\n0,0.1\n")
    with pytest.raises(ConfigError, match="unknown step convention 'hf'; use one of lrviz, lightning"):
        read_log(path, convention="hf")
    assert "no LR series named 'pg9'; the log has lr" in _error(path, group="pg9")


def test_reading_and_comparing_import_neither_torch_nor_tensorboard(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text("step,lr\n0,0.1\n1,0.05\n")
    code = (
        "import sys; from pathlib import Path; from lrviz.logs import read_log; from lrviz.comparison import compare_log;"
        f"r = compare_log([0.1, 0.05], read_log(Path({str(path)!r}))); assert r.ok;"
        "print(sorted(m for m in ('torch', 'tensorboard', 'numpy') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"

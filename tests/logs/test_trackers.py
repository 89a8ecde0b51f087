"""Tracker logs read without a server (lrviz/logs/): every tracker's log of a real run, right and buggy.

The runs (tests/trackers.py) log with the tracker's own package where it is installed (MLflow, W&B
and trackio are in the test extra) and in the tracker's documented format otherwise. A right run
matches the plan; the scheduler stepped 4 times per optimizer step (Accelerate on 4 processes) is
diagnosed as such; a resume that lost the scheduler's state is called a resume, in every format.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from lrviz.cli import app
from lrviz.logs import read_log
from tests import trackers

runner = CliRunner()

# wandb and mlflow leave sockets and threads to the garbage collector: not lrviz's to fix
pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning", "ignore::pytest.PytestUnraisableExceptionWarning")

COSINE = """\
scheduler: {name: CosineAnnealingLR, T_max: 24}
optimizer: {name: SGD, lr: 0.1, momentum: 0.9}
epochs: 3
steps_per_epoch: 8
interval: step
"""

NEEDS = {"mlflow_db": "mlflow", "mlruns": "mlflow", "wandb": "wandb", "trackio": "trackio"}
TRACKERS = list(trackers.WRITERS)


def _writer(name: str) -> trackers.Log:
    if name in NEEDS:
        pytest.importorskip(NEEDS[name])
    return trackers.WRITERS[name][0]  # type: ignore[return-value]


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("plan") / "cosine.yaml"
    path.write_text(COSINE)
    return path


def _check(config: Path, log: Path, *extra: str) -> tuple[int, str]:
    result = runner.invoke(app, ["check", str(config), "--against", str(log), *extra, "-o", str(log.parent / "o.svg")])
    return result.exit_code, result.output


@pytest.mark.parametrize("tracker", TRACKERS)
def test_right_run_matches_and_per_process_stepping_is_named(tracker: str, config: Path, tmp_path: Path) -> None:
    write = _writer(tracker)
    right = write(tmp_path / "right", "right", lambda log: trackers.train(log))  # type: ignore[operator]
    code, output = _check(config, right)
    assert code == 0, output
    assert "matches the plan at all 24 logged steps" in output
    four = write(tmp_path / "four", "four", lambda log: trackers.train(log, sched_steps=4))  # type: ignore[operator]
    code, output = _check(config, four)
    assert code == 1
    assert "first differs at optimizer step 1" in output and "4x faster" in output and "4 processes" in output


@pytest.mark.parametrize("tracker", ["mlflow_db", "wandb", "dvclive", "comet"])
def test_a_lost_scheduler_state_is_a_resume(tracker: str, config: Path, tmp_path: Path) -> None:
    write = _writer(tracker)
    log = write(tmp_path, "resumed", lambda log: trackers.train(log, resume_at=10))  # type: ignore[operator]
    code, output = _check(config, log)
    assert code == 1 and "starts the schedule over at step 10" in output and "resume" in output


def _tree(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)


def test_several_runs_in_one_store_are_listed_and_chosen_with_run(config: Path, tmp_path: Path) -> None:
    pytest.importorskip("mlflow")
    trackers.mlflow_db(tmp_path, "right", lambda log: trackers.train(log))
    db = trackers.mlflow_db(tmp_path, "buggy", lambda log: trackers.train(log, sched_steps=2))
    result = runner.invoke(app, ["check", str(config), "--against", str(db)])
    assert result.exit_code == 2 and "2 runs in this log; choose one with --run" in result.stderr
    assert "right (" in result.stderr and "buggy (" in result.stderr
    assert runner.invoke(app, ["check", str(config), "--against", str(db), "--run", "right"]).exit_code == 0
    buggy = runner.invoke(
        app, ["check", str(config), "--against", str(db), "--run", "buggy", "-o", str(tmp_path / "b.svg")]
    )
    assert buggy.exit_code == 1 and "2x faster" in buggy.output
    wrong = runner.invoke(app, ["check", str(config), "--against", str(db), "--run", "nope"])
    assert wrong.exit_code == 2 and "no run named 'nope'" in wrong.stderr


def test_y_chooses_a_metric_and_the_error_lists_them(config: Path, tmp_path: Path) -> None:
    pytest.importorskip("wandb")
    path = trackers.wandb_offline(tmp_path, "r", lambda log: trackers.train(log))
    result = runner.invoke(app, ["check", str(config), "--against", str(path), "--y", "missing"])
    assert result.exit_code == 2 and "train/lr" in result.stderr and "loss" in result.stderr
    log = read_log(path, y="train/lr")
    assert log.format == "wandb" and log.groups == ("train/lr",) and len(log.series[0]) == 24


def test_the_tolerance_follows_the_logs_precision(config: Path, tmp_path: Path) -> None:
    """Ultralytics writes %.6g: within 5e-6 of the plan is a match there, not in a full-precision CSV."""
    path = trackers.ultralytics_csv(tmp_path, "r", lambda log: trackers.train(log))
    code, output = _check(config, path)
    assert code == 0 and "rtol 1e-05" in output
    code, output = _check(config, path, "--rtol", "1e-7")
    assert code == 1
    rounded = tmp_path / "rounded.csv"
    rows = ["step,lr"]
    trackers.train(lambda step, lr: rows.append(f"{step},{lr * (1 + 3e-6)!r}"))
    rounded.write_text("\n".join(rows) + "\n")
    code, output = _check(config, rounded)
    assert code == 1  # full precision: 3e-6 is a real difference


def test_wandb_without_the_package_refuses_naming_the_extra(tmp_path: Path) -> None:
    pytest.importorskip("wandb")
    path = trackers.wandb_offline(tmp_path, "r", lambda log: trackers.train(log))
    code = (
        "import sys; sys.modules['wandb'] = None\n"
        "from lrviz.cli import main\n"
        f"sys.argv = ['lrviz', 'check', {str(tmp_path / 'c.yaml')!r}, '--against', {str(path)!r}]\nmain()"
    )
    (tmp_path / "c.yaml").write_text(COSINE)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 2 and "pip install 'lrviz[wandb]'" in out.stderr and "Traceback" not in out.stderr


def test_a_wandb_file_still_being_written_is_read_up_to_its_last_whole_record(tmp_path: Path) -> None:
    pytest.importorskip("wandb")
    path = trackers.wandb_offline(tmp_path, "r", lambda log: trackers.train(log))
    file = next(path.glob("*/run-*.wandb"))
    cut = tmp_path / "run-cut.wandb"
    raw = file.read_bytes()
    cut.write_bytes(raw[: len(raw) // 2])
    log = read_log(cut)
    assert 0 < len(log.series[0]) < 24
    bad = bytearray(raw)
    bad[40] ^= 0xFF
    broken = tmp_path / "run-bad.wandb"
    broken.write_bytes(bytes(bad))
    from lrviz.errors import ConfigError

    with pytest.raises(ConfigError, match="corrupt W&B run file"):
        read_log(broken)


def test_layout_detection_never_imports_a_tracker(tmp_path: Path) -> None:
    code = (
        "import sys; from pathlib import Path; from lrviz.logs import detect; "
        f"print(detect(Path({str(tmp_path)!r}))); "
        "print([m for m in ('mlflow', 'wandb', 'trackio', 'sqlite3', 'torch') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["None", "[]"]


# ---------------------------------------------------------------------------
# The HF Trainer's own tracker integrations (report_to=...): its step convention is recognised

HF_ARGS = """\
lr_scheduler_type: linear
learning_rate: 0.001
warmup_steps: 4
num_train_epochs: 3
per_device_train_batch_size: 2
"""


def _hf_run(out: Path, report_to: str, *, sized_for: int = 1) -> None:
    import warnings

    import torch
    from transformers import Trainer, TrainingArguments, get_linear_schedule_with_warmup

    from tests import realruns

    args = TrainingArguments(
        output_dir=str(out),
        per_device_train_batch_size=2,
        num_train_epochs=3,
        learning_rate=1e-3,
        warmup_steps=realruns.HF_WARMUP,
        lr_scheduler_type="linear",
        logging_steps=1,
        report_to=[report_to],
        use_cpu=True,
        save_strategy="no",
        disable_tqdm=True,
        run_name=f"hf-{sized_for}",
    )
    model = realruns._Model()
    optimizers: Any = (None, None)
    if sized_for != 1:
        opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
        sched = get_linear_schedule_with_warmup(opt, realruns.HF_WARMUP * sized_for, realruns.HF_STEPS * sized_for)
        optimizers = (opt, sched)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        Trainer(model=model, args=args, train_dataset=realruns._Data(), optimizers=optimizers).train()
        if report_to == "wandb":
            import wandb

            wandb.finish()  # the WandbCallback leaves its run open; the next Trainer would log into it


@pytest.mark.parametrize("report_to", ["mlflow", "wandb"])
def test_hf_trainer_report_to_a_tracker(report_to: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("transformers")
    pytest.importorskip(report_to)
    if report_to == "mlflow":
        import shutil

        shutil.copyfile(trackers._migrated_mlflow_db(), tmp_path / "mlflow.db")
        monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
        log = tmp_path / "mlflow.db"
    else:
        monkeypatch.setenv("WANDB_MODE", "offline")
        monkeypatch.setenv("WANDB_DIR", str(tmp_path))
        monkeypatch.setenv("WANDB_SILENT", "true")
        import wandb

        wandb.teardown()  # wandb reads WANDB_MODE when it sets up: again, for the Trainer's WandbCallback
        log = tmp_path / "wandb"
    _hf_run(tmp_path / "right", report_to)
    _hf_run(tmp_path / "slow", report_to, sized_for=4)
    config = tmp_path / "args.yaml"
    config.write_text(HF_ARGS)
    flags = ["--dataset-size", "16"]
    result = runner.invoke(app, ["check", str(config), "--against", str(log), *flags, "-o", str(tmp_path / "o.svg")])
    assert result.exit_code == 2 and "choose one with --run" in result.stderr and "hf-4" in result.stderr, result.output
    listing = runner.invoke(app, ["check", str(config), "--against", str(log), *flags, "--run", "hf-1"])
    assert listing.exit_code == 0, listing.output
    assert "matches the plan at all 24 logged steps" in listing.stdout
    slow = runner.invoke(
        app, ["check", str(config), "--against", str(log), *flags, "--run", "hf-4", "-o", str(tmp_path / "s.svg")]
    )
    assert slow.exit_code == 1 and "4x slower" in slow.output
    if report_to == "wandb":  # the WandbCallback's rows (train/global_step, epoch, ...) read the same either way
        from tests.logs.test_wandb_columns import _both_ways

        for file in sorted(log.glob("*/run-*.wandb")):
            _both_ways(file, monkeypatch)

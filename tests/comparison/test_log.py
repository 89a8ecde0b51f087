"""Planned vs actual, on logs written by real training runs (tests/realruns.py).

Every run is made once, per session, into a temporary directory: a plain torch loop
writing TensorBoard, Accelerate's AcceleratedScheduler, Lightning's Trainer with
LearningRateMonitor + CSVLogger, and transformers' Trainer. Each is run once right (it
must match lrviz's plan at every logged step) and once per bug (the bug must be diagnosed
by name). The plans are simulated by lrviz itself.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from lrviz.comparison import compare_log
from lrviz.engine import simulate
from lrviz.errors import ConfigError
from lrviz.logs import read_log
from lrviz.model import Curve
from lrviz.reading import build_run, from_document
from tests import realruns


def _needs(module: str, extra: str = "") -> pytest.MarkDecorator:
    missing = importlib.util.find_spec(module) is None
    return pytest.mark.skipif(missing, reason=f"{module} is not installed: pip install -e '.[test]'{extra}")


needs_tb = _needs("tensorboard")
needs_accelerate = _needs("accelerate")
needs_lightning = _needs("lightning")
needs_transformers = _needs("transformers")


def plan(doc: dict[str, Any]) -> Curve:
    return simulate(build_run(from_document(doc, "plan.yaml")))


def cosine_plan(epochs: int = 3, steps: int = 8, t_max: int = 24, lr: float = 0.1) -> Curve:
    return plan(
        {
            "epochs": epochs,
            "steps_per_epoch": steps,
            "interval": "step",
            "optimizer": {"name": "SGD", "lr": lr, "momentum": 0.9},
            "scheduler": {"name": "CosineAnnealingLR", "T_max": t_max},
        }
    )


LIGHTNING_GROUPS = {"name": "SGD", "param_groups": [{"lr": 0.1}, {"lr": 0.01}]}


def hf_plan() -> Curve:
    """transformers' get_linear_schedule_with_warmup as an lr_lambda (transformers/optimization.py)."""
    steps, warm = realruns.HF_STEPS, realruns.HF_WARMUP
    return plan(
        {
            "epochs": 3,
            "steps_per_epoch": 8,
            "interval": "step",
            "optimizer": {"name": "AdamW", "lr": 1e-3},
            "scheduler": {
                "name": "LambdaLR",
                "lr_lambda": f"epoch / {warm} if epoch < {warm} else max(0.0, ({steps} - epoch) / {steps - warm})",
            },
        }
    )


class Runs:
    """Each real run once per session, made on first use."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.made: dict[str, Path] = {}

    def get(self, name: str, make: Callable[[Path], Path]) -> Path:
        if name not in self.made:
            out = self.root / name
            out.mkdir()
            self.made[name] = make(out)
        return self.made[name]


@pytest.fixture(scope="session")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    return Runs(tmp_path_factory.mktemp("realruns"))


def kinds(report: Any) -> list[str]:
    return [d.code for d in report.diagnoses]


# ---------------------------------------------------------------------------
# A plain torch loop + SummaryWriter; Accelerate


@needs_tb
class TestTorchTensorBoard:
    def test_correct_run_matches_at_every_logged_step(self, runs: Runs) -> None:
        log = read_log(runs.get("tb", realruns.torch_tb_run))
        assert (log.format, log.convention.name, log.groups) == ("tensorboard", "lrviz", ("lr",))
        report = compare_log(cosine_plan(), log)
        assert report.ok, report.describe()
        assert report.groups[0].compared == 24 and report.diagnoses == ()

    def test_scheduler_stepped_three_times_per_optimizer_step(self, runs: Runs) -> None:
        log = read_log(runs.get("tb_k3", lambda p: realruns.torch_tb_run(p, sched_steps=3)))
        report = compare_log(cosine_plan(), log)
        assert not report.ok
        assert report.diagnoses[0].code == "faster" and report.diagnoses[0].data["factor"] == 3

    def test_accumulation_not_applied(self, runs: Runs) -> None:
        # 24 batches, accumulate 2: 12 optimizer steps, a schedule of 12 stepped after every batch
        log = read_log(runs.get("tb_accum", lambda p: realruns.torch_tb_run(p, accumulate=2, t_max=12)))
        report = compare_log(cosine_plan(steps=4, t_max=12), log)
        assert not report.ok
        assert report.diagnoses[0].code == "faster" and report.diagnoses[0].data["factor"] == 2
        assert "accumulation 2" in report.diagnoses[0].message

    def test_resume_without_scheduler_state_full_log(self, runs: Runs) -> None:
        path = runs.get("tb_resume", lambda p: realruns.torch_tb_run(p, resume_at=10))
        assert len(list(path.glob("events.out.tfevents.*"))) == 2  # one run directory, two event files
        report = compare_log(cosine_plan(), read_log(path))
        assert not report.ok and report.groups[0].first_diff == 10
        assert kinds(report) == ["restart"] and report.diagnoses[0].data["step"] == 10

    def test_resume_without_scheduler_state_own_log(self, runs: Runs, tmp_path: Path) -> None:
        def make(p: Path) -> Path:
            realruns.torch_tb_run(p / "before", resume_at=10, resume_writer_dir=p / "after")
            return p / "after"

        log = read_log(runs.get("tb_resume_own", make))
        assert log.series[0].steps[0] == 10
        report = compare_log(cosine_plan(), log)
        assert kinds(report) == ["restart"] and report.diagnoses[0].data["step"] == 10

    def test_scaled_base_lr(self, runs: Runs) -> None:
        log = read_log(runs.get("tb_scaled", lambda p: realruns.torch_tb_run(p, lr=0.4)))
        report = compare_log(cosine_plan(), log)
        assert kinds(report) == ["scaled"] and report.diagnoses[0].data["factor"] == pytest.approx(4)

    def test_more_steps_per_epoch_than_planned_fails(self, runs: Runs) -> None:
        log = read_log(runs.get("tb_spe10", lambda p: realruns.torch_tb_run(p, batches=10, t_max=24)))
        report = compare_log(cosine_plan(), log)
        assert not report.ok and report.groups[0].mismatched == 0
        assert kinds(report) == ["past_plan"] and report.groups[0].outside == 6

    def test_fewer_steps_per_epoch_ends_early(self, runs: Runs) -> None:
        log = read_log(runs.get("tb_spe6", lambda p: realruns.torch_tb_run(p, batches=6, t_max=24)))
        report = compare_log(cosine_plan(), log)
        assert report.ok and kinds(report) == ["ends_early"]  # could be a run still in progress
        assert not compare_log(cosine_plan(), log, complete=True).ok


@needs_tb
@needs_accelerate
@pytest.mark.parametrize("processes", [2, 4])
def test_accelerate_steps_the_scheduler_once_per_process(runs: Runs, processes: int) -> None:
    log = read_log(runs.get(f"acc{processes}", lambda p: realruns.accelerate_tb_run(p, processes=processes)))
    report = compare_log(cosine_plan(), log)
    assert not report.ok
    assert report.diagnoses[0].code == "faster" and report.diagnoses[0].data["factor"] == processes
    assert "Accelerate" in report.diagnoses[0].message


# ---------------------------------------------------------------------------
# Lightning: LearningRateMonitor + CSVLogger


def lightning_plan(scheduler: dict[str, Any], interval: str, steps: int = 8) -> Curve:
    return plan(
        {
            "epochs": 3,
            "steps_per_epoch": steps,
            "interval": interval,
            "optimizer": LIGHTNING_GROUPS,
            "scheduler": scheduler,
        }
    )


@needs_lightning
class TestLightning:
    def test_interval_step_matches_both_param_groups(self, runs: Runs) -> None:
        log = read_log(runs.get("pl", realruns.lightning_run))
        assert (log.format, log.convention.name) == ("lightning_csv", "lightning")
        assert log.groups == ("lr-SGD/pg1", "lr-SGD/pg2")
        report = compare_log(lightning_plan({"name": "CosineAnnealingLR", "T_max": 24}, "step"), log)
        assert report.ok, report.describe()
        assert [g.compared for g in report.groups] == [24, 24]
        assert compare_log(lightning_plan({"name": "CosineAnnealingLR", "T_max": 24}, "step"), log, group="pg2").ok

    def test_interval_left_at_its_epoch_default(self, runs: Runs) -> None:
        log = read_log(runs.get("pl_epoch", lambda p: realruns.lightning_run(p, interval=None)))
        assert list(log.series[0].steps) == [0, 8, 16]  # logged at each epoch's start
        report = compare_log(lightning_plan({"name": "CosineAnnealingLR", "T_max": 24}, "step"), log)
        assert not report.ok
        assert report.diagnoses[0].code == "per_epoch" and "'interval': 'step'" in report.diagnoses[0].message

    def test_interval_epoch_as_planned(self, runs: Runs) -> None:
        log = read_log(runs.get("pl_steplr", lambda p: realruns.lightning_run(p, interval="epoch", scheduler="step")))
        report = compare_log(lightning_plan({"name": "StepLR", "step_size": 1, "gamma": 0.5}, "epoch"), log)
        assert report.ok, report.describe()

    def test_interval_step_where_the_plan_steps_per_epoch(self, runs: Runs) -> None:
        log = read_log(runs.get("pl_steplr_step", lambda p: realruns.lightning_run(p, scheduler="step")))
        report = compare_log(lightning_plan({"name": "StepLR", "step_size": 1, "gamma": 0.5}, "epoch"), log)
        assert not report.ok
        assert report.diagnoses[0].code == "per_step" and report.diagnoses[0].data["factor"] == 8

    def test_schedule_sized_in_batches_with_accumulation(self, runs: Runs) -> None:
        # accumulate 2: 12 optimizer steps, but T_max counted 24 batches
        log = read_log(runs.get("pl_accum", lambda p: realruns.lightning_run(p, accumulate=2)))
        report = compare_log(lightning_plan({"name": "CosineAnnealingLR", "T_max": 12}, "step", steps=4), log)
        assert not report.ok
        assert report.diagnoses[0].code == "slower" and report.diagnoses[0].data["factor"] == 2


# ---------------------------------------------------------------------------
# transformers' Trainer: trainer_state.json


@needs_transformers
class TestTransformers:
    def test_correct_run_matches_at_every_logged_step(self, runs: Runs) -> None:
        log = read_log(runs.get("hf", realruns.hf_run))
        assert (log.format, log.convention.name, log.groups) == ("trainer_state", "transformers", ("learning_rate",))
        assert log.series[0].steps[0] == 0  # global_step 1 is the LR optimizer step 0 used
        report = compare_log(hf_plan(), log)
        assert report.ok, report.describe()
        assert report.groups[0].compared == 24

    def test_read_on_the_old_convention_is_one_step_off(self, runs: Runs) -> None:
        log = read_log(runs.get("hf", realruns.hf_run), convention="transformers<4.51")
        report = compare_log(hf_plan(), log)
        assert not report.ok and kinds(report)[0] == "shifted"
        assert "convention 'transformers'" in report.diagnoses[0].message

    def test_scaled_base_lr(self, runs: Runs) -> None:
        log = read_log(runs.get("hf_scaled", lambda p: realruns.hf_run(p, lr=2e-3)))
        report = compare_log(hf_plan(), log)
        assert kinds(report) == ["scaled"] and report.diagnoses[0].data["factor"] == pytest.approx(2)

    def test_resume_without_scheduler_state(self, runs: Runs) -> None:
        path = runs.get("hf_resume", lambda p: realruns.hf_run(p, resume_at=10))
        report = compare_log(hf_plan(), read_log(path))  # the full log_history, restored and continued
        assert not report.ok and report.groups[0].first_diff == 10
        assert kinds(report) == ["restart"] and report.diagnoses[0].data["step"] == 10
        own = read_log(path.parent / "runs")  # the resumed job's TensorBoard log, from its own start
        assert own.convention.name == "transformers" and own.series[0].steps[0] == 10
        report = compare_log(hf_plan(), own)
        assert kinds(report) == ["restart"] and report.diagnoses[0].data["step"] == 10


def test_log_of_another_run_has_no_common_step(tmp_path: Path) -> None:
    path = tmp_path / "other.csv"
    path.write_text("step,lr\n" + "".join(f"{s},0.1\n" for s in range(1000, 1010)))
    with pytest.raises(ConfigError, match=r"other\.csv: no logged step of lr lies inside the plan's 24 optimizer"):
        compare_log(cosine_plan(), read_log(path))


def test_plain_sequence_plan(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text("step,lr\n0,1.0\n1,0.5\n2,0.25\n")
    assert compare_log([1.0, 0.5, 0.25], read_log(path)).ok
    report = compare_log([1.0, 0.5, 0.3], read_log(path))
    assert (report.groups[0].first_diff, report.groups[0].planned, report.groups[0].logged) == (2, 0.3, 0.25)

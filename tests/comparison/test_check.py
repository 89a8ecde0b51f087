"""check: baselines and expectations catch a changed schedule at the right epoch."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from lrviz.cli import app
from lrviz.comparison import check_expectations
from lrviz.config import parse_expectations
from lrviz.engine import simulate
from lrviz.errors import ConfigError
from tests.conftest import make_run

runner = CliRunner()
WR = "epochs: 40\nscheduler: {{name: CosineAnnealingWarmRestarts, T_0: 5, T_mult: {m}}}\n"


def test_changed_t_mult_is_caught_at_the_right_epoch(tmp_path: Path) -> None:
    golden = tmp_path / "golden.csv"
    cfg = tmp_path / "wr.yaml"
    cfg.write_text(WR.format(m=2))
    assert runner.invoke(app, ["render", str(cfg), "-o", str(golden)]).exit_code == 0
    ok = runner.invoke(app, ["check", str(cfg), "--baseline", str(golden)])
    assert ok.exit_code == 0 and "ok (baseline" in ok.stdout
    cfg.write_text(WR.format(m=3))
    bad = runner.invoke(app, ["check", str(cfg), "--baseline", str(golden)])
    assert bad.exit_code == 1
    new = simulate(
        make_run({"epochs": 40, "scheduler": {"name": "CosineAnnealingWarmRestarts", "T_0": 5, "T_mult": 3}})
    )
    assert f"first differs at epoch 6: baseline 0.09755282581475769, now {new.lrs[0][6]!r}" in bad.stderr
    assert "Traceback" not in bad.output


def test_tolerance(tmp_path: Path) -> None:
    golden = tmp_path / "g.csv"
    golden.write_text("epoch,lr,restart\n0,0.1,0\n1,0.0999999,0\n")
    cfg = tmp_path / "c.yaml"
    cfg.write_text("epochs: 2\nscheduler: {name: ConstantLR, factor: 1.0}\n")
    assert runner.invoke(app, ["check", str(cfg), "-b", str(golden)]).exit_code == 1
    assert runner.invoke(app, ["check", str(cfg), "-b", str(golden), "--rtol", "1e-5"]).exit_code == 0
    golden.write_text("epoch,lr,restart\n0,0.1,0\n")
    short = runner.invoke(app, ["check", str(cfg), "-b", str(golden)])
    assert short.exit_code == 1 and "longer than the baseline" in short.stderr


def test_expectations_from_yaml_and_flags(tmp_path: Path) -> None:
    cfg = tmp_path / "e.yaml"
    cfg.write_text(WR.format(m=2) + "expect: {restarts: [5, 15, 35], lr_never_above: 0.1, final_lr_below: 0.05}\n")
    result = runner.invoke(app, ["check", str(cfg)])
    assert result.exit_code == 1
    assert "final_lr_below: the final LR 0.09755282581475769 is not below 0.05" in result.stderr
    assert "restarts" not in result.stderr and "lr_never_above" not in result.stderr
    assert runner.invoke(app, ["check", str(cfg), "--final-lr-below", "0.1"]).exit_code == 0
    moved = runner.invoke(app, ["check", str(cfg), "--final-lr-below", "0.1", "--restarts", "5,10"])
    assert moved.exit_code == 1 and "expected restarts at [5, 10], the schedule restarts at [5, 15, 35]" in moved.stderr


def test_check_needs_something_and_rejects_junk(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text(WR.format(m=2))
    result = runner.invoke(app, ["check", str(cfg)])
    assert result.exit_code == 2 and "nothing to check" in result.stderr
    missing = runner.invoke(app, ["check", str(cfg), "-b", str(tmp_path / "none.csv")])
    assert missing.exit_code == 2 and "none.csv: no such file" in missing.stderr
    with pytest.raises(ConfigError, match=r"expect.final_lr: unknown expectation \(did you mean final_lr_below"):
        parse_expectations({"final_lr": 1}, "expect")


def test_lr_never_above_names_the_epoch() -> None:
    curve = simulate(make_run({"epochs": 10, "scheduler": {"name": "LinearLR", "start_factor": 0.1, "total_iters": 4}}))
    (failure,) = check_expectations(curve, {"lr_never_above": 0.05})
    peak = max(curve.lrs[0])  # 0.10000000000000003: PyTorch's chained LinearLR, not 0.1
    assert failure == f"lr_never_above: the LR reaches {peak!r} at epoch 4, above 0.05"

"""CI annotations: ``check``/``watch`` write SARIF (``-o report.sarif``) and GitHub workflow commands pointing
at the config line that explains the mismatch."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lrviz.annotations import key_lines, locate
from lrviz.cli import app

pytest.importorskip("tensorboard")
pytest.importorskip("accelerate")

runner = CliRunner()

COSINE = """\
# the plan of the run
scheduler:
  name: CosineAnnealingLR
  T_max: 24
optimizer: {name: SGD, lr: 0.1, momentum: 0.9}
epochs: 3
steps_per_epoch: 8
interval: step
"""


@pytest.fixture(scope="module")
def four(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests import realruns

    return realruns.accelerate_tb_run(tmp_path_factory.mktemp("runs") / "four", processes=4)


@pytest.fixture()
def config(tmp_path: Path) -> Path:
    path = tmp_path / "cosine.yaml"
    path.write_text(COSINE)
    return path


def test_sarif_and_github_annotations_point_at_the_schedule_length(
    config: Path, four: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    report = tmp_path / "report.sarif"
    result = runner.invoke(app, ["check", config.name, "--against", str(four), "-o", str(report), "--annotate"])
    assert result.exit_code == 1
    line = next(x for x in result.stdout.splitlines() if x.startswith("::error "))
    assert line.startswith(
        "::error file=cosine.yaml,line=4,title=lrviz%3A the logged LR differs from the plan (faster)::"
    )
    assert "4x faster" in line and line.endswith("[T_max]")
    doc = json.loads(report.read_text())
    assert doc["version"] == "2.1.0"
    (res,) = doc["runs"][0]["results"]
    assert res["ruleId"] == "lrviz/faster" and res["level"] == "error"
    where = res["locations"][0]["physicalLocation"]
    assert where["artifactLocation"]["uri"] == "cosine.yaml" and where["region"]["startLine"] == 4


def test_github_annotations_are_on_under_actions_only(
    config: Path, four: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    plain = runner.invoke(app, ["check", str(config), "--against", str(four)])
    assert plain.exit_code == 1 and "::error" not in plain.stdout
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    actions = runner.invoke(app, ["check", str(config), "--against", str(four)])
    assert actions.exit_code == 1 and "::error file=" in actions.stdout
    off = runner.invoke(app, ["check", str(config), "--against", str(four), "--no-annotate"])
    assert "::error" not in off.stdout


def test_a_scaled_lr_points_at_the_optimizers_lr(config: Path, tmp_path: Path) -> None:
    import math

    log = tmp_path / "scaled.csv"
    log.write_text("step,lr\n" + "".join(f"{k},{0.2 * 0.5 * (1 + math.cos(math.pi * k / 24))!r}\n" for k in range(24)))
    result = runner.invoke(
        app, ["check", str(config), "--against", str(log), "--annotate", "-o", str(tmp_path / "o.png")]
    )
    assert result.exit_code == 1
    assert "::error file=" in result.stdout and ",line=5," in result.stdout and "[lr]" in result.stdout


def test_key_lines_and_fallback(tmp_path: Path) -> None:
    path = tmp_path / "hf.json"
    path.write_text('{\n  "lr_scheduler_type": "linear",\n  "warmup_steps": 10,\n  "max_steps": 100\n}\n')
    assert key_lines(path) == {"lr_scheduler_type": 2, "warmup_steps": 3, "max_steps": 4}
    assert locate(path, "faster") == (4, "max_steps")
    assert locate(path, "restart") == (2, "lr_scheduler_type")
    assert locate(tmp_path / "missing.yaml", "faster") == (1, None)


def test_sarif_rejected_elsewhere(config: Path) -> None:
    result = runner.invoke(app, ["check", str(config), "--final-lr-below", "1", "-o", "x.txt"])
    assert result.exit_code == 2

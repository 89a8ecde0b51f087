"""`check --baseline` against a CSV or a curve JSON lrviz wrote; one JSON layout for a curve, read back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import lrviz
from lrviz.cli import app
from lrviz.comparison import CURVES, Tolerance, against_baseline, describe, read_baseline
from lrviz.errors import ConfigError
from lrviz.model import CURVE_SCHEMA

runner = CliRunner()
WR = "epochs: 40\nscheduler: {{name: CosineAnnealingWarmRestarts, T_0: 5, T_mult: {m}}}\n"


def test_one_json_layout_from_the_file_and_the_api(tmp_path: Path) -> None:
    cfg = tmp_path / "wr.yaml"
    cfg.write_text(WR.format(m=2))
    out = tmp_path / "wr.json"
    assert runner.invoke(app, ["render", str(cfg), "-o", str(out)]).exit_code == 0
    written = json.loads(out.read_text())
    from_api = lrviz.simulate(str(cfg)).to_dict()
    assert written["schema"] == from_api["schema"] == CURVE_SCHEMA == "lrviz.curve/1"
    assert list(written) == list(from_api)  # same keys, same order
    assert written == json.loads(json.dumps(from_api))
    assert list(written)[0] == "schema"


@pytest.mark.parametrize("suffix", [".csv", ".json"])
def test_a_baseline_written_either_way_catches_the_change_at_the_same_epoch(tmp_path: Path, suffix: str) -> None:
    cfg = tmp_path / "wr.yaml"
    cfg.write_text(WR.format(m=2))
    golden = tmp_path / f"golden{suffix}"
    assert runner.invoke(app, ["render", str(cfg), "-o", str(golden)]).exit_code == 0
    epochs, values = read_baseline(golden)
    curve = lrviz.simulate(str(cfg))
    assert values == curve.lr and epochs == [str(e) for e in curve.epochs()]
    ok = runner.invoke(app, ["check", str(cfg), "--baseline", str(golden)])
    assert ok.exit_code == 0, ok.output
    cfg.write_text(WR.format(m=3))
    bad = runner.invoke(app, ["check", str(cfg), "--baseline", str(golden)])
    assert bad.exit_code == 1 and "first differs at epoch 6: baseline 0.09755282581475769" in bad.output


def test_against_baseline_returns_one_difference() -> None:
    curve = lrviz.simulate({"scheduler": {"name": "StepLR", "step_size": 2}, "epochs": 4})
    epochs = ["0", "1", "2", "3"]
    assert against_baseline(curve, list(curve.lr), epochs) is None
    changed = [*curve.lr[:3], curve.lr[3] * (1 + 1e-6)]
    found = against_baseline(curve, changed, epochs)
    assert found is not None and (found.at, found.expected, found.actual) == ("3", changed[3], curve.lr[3])
    assert describe(found) == f"first differs at epoch 3: baseline {changed[3]!r}, now {curve.lr[3]!r}"
    assert against_baseline(curve, changed, epochs, Tolerance(rtol=1e-5)) is None
    shorter = against_baseline(curve, list(curve.lr[:3]), epochs[:3], CURVES)
    assert shorter is not None and shorter.expected is None and "longer than the baseline" in describe(shorter)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"epoch": [0], "groups": [{"lr": [0.1]}]}', "found no schema field"),
        ('{"schema": "lrviz.curve/9", "epoch": [0], "groups": [{"lr": [0.1]}]}', "found schema 'lrviz.curve/9'"),
        ('{"schema": "lrviz.curve/1", "epoch": [0, 1], "groups": [{"lr": [0.1]}]}', "lists of one length"),
        ('{"schema": "lrviz.curve/1", "epoch": [0], "groups": [{"lr": ["x"]}]}', "not a list of numbers"),
        ("[1, 2", "not a JSON file lrviz wrote"),
    ],
)
def test_a_json_baseline_that_is_not_a_curve_is_one_line_naming_the_fix(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "b.json"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message) as info:
        read_baseline(path)
    assert "\n" not in str(info.value) and str(info.value).startswith(f"baseline {path}: ")

"""The API can do everything the command can: typed run options from the one table, Hydra projects,
--allow-import, styled plots, files written together, checks against a baseline and a log, watching."""

from __future__ import annotations

import inspect
import json
import typing
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

import lrviz
from lrviz.cli import app
from lrviz.cli.options import FLAGS
from lrviz.comparison import CURVES, CheckReport, Comparison, Tolerance
from lrviz.config.layer import RUN_OPTIONS
from lrviz.logs import RunLog
from lrviz.simulation import RunOptions

ROOT = Path(__file__).resolve().parents[2]
HYDRA = ROOT / "tests" / "realworld" / "configs" / "hydra_project_lightning_hydra_template" / "configs"
COSINE = {"scheduler": {"name": "CosineAnnealingLR", "T_max": 40}, "epochs": 40}
runner = CliRunner()


def test_run_options_are_the_one_table_typed() -> None:
    assert list(typing.get_type_hints(RunOptions)) == list(RUN_OPTIONS)
    # the command has a flag for each (label and title are a file's keys; --title is a plot option)
    assert sorted(set(RUN_OPTIONS) - set(FLAGS)) == ["label", "title"]
    for function in (lrviz.load, lrviz.simulate, lrviz.compare, lrviz.check, lrviz.code, lrviz.explain):
        kwargs = inspect.signature(function).parameters["options"]
        assert kwargs.kind is inspect.Parameter.VAR_KEYWORD and "Unpack[RunOptions]" in str(kwargs.annotation)
    with pytest.raises(TypeError, match="unexpected keyword argument 'epoch'.*epochs"):
        lrviz.load(COSINE, epoch=3)  # type: ignore[call-arg]


def test_load_a_hydra_project_as_the_command_does(tmp_path: Path) -> None:
    metrics = [1.0 / (1 + k) for k in range(20)] + [0.05] * 200  # improves, then a plateau
    (tmp_path / "metrics.txt").write_text("".join(f"{m!r}\n" for m in metrics))
    run = lrviz.load(config_dir=HYDRA, config_name="train", overrides=["experiment=example"], metrics=metrics)
    cli = runner.invoke(
        app,
        ["render", "--config-dir", str(HYDRA), "--config-name", "train", "--set", "experiment=example"]
        + ["--metrics", str(tmp_path / "metrics.txt"), "-o", "-.json"],
    )
    assert cli.exit_code == 0, cli.output
    assert json.loads(cli.stdout)["groups"][0]["lr"] == lrviz.simulate(run).lr
    assert (
        run.scheduler.name == "ReduceLROnPlateau"
        and run.notes
        == lrviz.load(config_dir=HYDRA, config_name="train", overrides=["experiment=example"], metrics=metrics).notes
    )
    with pytest.raises(lrviz.ConfigError, match="config_dir and config_name: give both"):
        lrviz.load(config_dir=HYDRA)
    with pytest.raises(lrviz.ConfigError, match="source: give a config"):
        lrviz.load()


def test_allow_import_runs_a_projects_own_scheduler_only_when_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "myproj"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "sched.py").write_text(
        "from torch.optim.lr_scheduler import LambdaLR\n\n"
        "class Halving(LambdaLR):\n"
        "    def __init__(self, optimizer, every):\n"
        "        super().__init__(optimizer, lambda e: 0.5 ** (e // every))\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    doc = {"scheduler": {"_target_": "myproj.sched.Halving", "every": 2}, "epochs": 6}
    with pytest.raises(lrviz.ConfigError, match="allow_import myproj"):
        lrviz.load(doc)
    curve = lrviz.simulate(lrviz.load(doc, allow_import=["myproj"]))
    assert curve.lr == [0.1, 0.1, 0.05, 0.05, 0.025, 0.025]


def test_plot_takes_the_commands_style_dpi_and_size() -> None:
    curve = lrviz.simulate(COSINE)
    light, dark = lrviz.plot(curve), lrviz.plot(curve, style="dark", dpi=50, size=(4, 3))
    assert light.get_facecolor() != dark.get_facecolor()
    assert dark.dpi == 50 and tuple(dark.get_size_inches()) == (4.0, 3.0)
    assert [float(v) for v in dark.axes[0].lines[0].get_ydata()][: curve.points] == curve.lr
    with pytest.raises(lrviz.ConfigError, match="^style: expected one of light, dark"):
        lrviz.plot(curve, style="neon")


def test_save_writes_every_file_or_none(tmp_path: Path) -> None:
    curve = lrviz.simulate(COSINE)
    written = lrviz.save(curve, tmp_path / "c.png", tmp_path / "c.json", tmp_path / "c.csv")
    assert [p.name for p in written] == ["c.png", "c.json", "c.csv"]
    assert json.loads((tmp_path / "c.json").read_text()) == json.loads(json.dumps(curve.to_dict()))
    cli = runner.invoke(app, ["cosine", "--t-max", "40", "--epochs", "40", "-o", str(tmp_path / "cli.csv")])
    assert cli.exit_code == 0 and (tmp_path / "cli.csv").read_bytes() == (tmp_path / "c.csv").read_bytes()
    with pytest.raises(lrviz.ConfigError, match="unknown output format"):
        lrviz.save(curve, tmp_path / "d.png", tmp_path / "d.txt")
    assert not (tmp_path / "d.png").exists()
    cmp = lrviz.compare([curve, COSINE])
    assert isinstance(cmp, Comparison) and lrviz.save(cmp, tmp_path / "cmp.csv")[0].read_text().startswith("epoch,")


def _loop_log(path: Path, scheduler_steps_per_optimizer_step: int, points: int = 40) -> Path:
    """A run's log, written by a hand loop with torch's own CosineAnnealingLR(T_max=40)."""
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=40)
    rows = ["step,lr"]
    for step in range(points):
        rows.append(f"{step},{opt.param_groups[0]['lr']!r}")
        opt.step()
        for _ in range(scheduler_steps_per_optimizer_step):
            sched.step()
    path.write_text("\n".join(rows) + "\n")
    return path


def test_check_against_a_baseline_and_a_log_returns_a_report(tmp_path: Path) -> None:
    curve = lrviz.simulate(COSINE)
    lrviz.save(curve, tmp_path / "base.json")
    good = lrviz.check(COSINE, baseline=tmp_path / "base.json", against=_loop_log(tmp_path / "good.csv", 1))
    assert isinstance(good, CheckReport) and good.ok and good.findings == ()
    assert good.log is not None and good.log.groups[0].compared == 40 and good.baseline is None
    bad = lrviz.check(curve, against=_loop_log(tmp_path / "fast.csv", 2, points=20), expect={"lr_never_above": 0.05})
    # the log runs 2x faster and, 20 steps long, ends at the plan's half: both said
    assert not bad.ok and [f.code for f in bad.findings] == ["expectation", "faster", "ends_early"]
    assert bad.findings[1].data["factor"] == 2 and bad.findings[1].message.startswith(f"{tmp_path / 'fast.csv'}: ")
    shifted = {**COSINE, "scheduler": {"name": "CosineAnnealingLR", "T_max": 39}}
    against_base = lrviz.check(shifted, baseline=tmp_path / "base.json")
    assert [f.code for f in against_base.findings] == ["baseline"] and against_base.baseline is not None
    assert lrviz.check(shifted, baseline=tmp_path / "base.json", tolerance=Tolerance(rtol=1.0)).ok


def test_read_log_and_watch(tmp_path: Path) -> None:
    log = lrviz.read_log(_loop_log(tmp_path / "run.csv", 1))
    assert isinstance(log, RunLog) and list(log.series[0].values) == lrviz.simulate(COSINE).lr
    done = lrviz.watch(tmp_path / "run.csv", COSINE, once=True)
    assert done.verdict is None and done.observed == 40 and done.ended == "plan_end"
    fast = lrviz.watch(_loop_log(tmp_path / "fast.csv", 2, points=20), COSINE, once=True)
    assert fast.verdict is not None and fast.verdict.kind == "faster"


def test_code_and_compare_take_run_options() -> None:
    snippet = lrviz.code(COSINE, steps_per_epoch=3, interval="step")
    assert "CosineAnnealingLR(" in snippet and "3" in snippet
    cmp = lrviz.compare([COSINE, COSINE], tolerance=CURVES, epochs=10)
    assert cmp.first_diff is None and len(cmp.epochs) == 10


def test_every_public_name_is_the_api_whatever_was_imported_first() -> None:
    """lrviz's names load lazily; a subpackage imported first must never shadow one (lrviz.compare)."""
    import subprocess
    import sys

    code = (
        "import lrviz, lrviz.comparison, lrviz.logs; lrviz.simulate; from lrviz import api;"
        "print(all(getattr(lrviz, n) is getattr(api, n) for n in api.__all__ if n in lrviz.__all__))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert out.stdout.strip() == "True", out.stderr

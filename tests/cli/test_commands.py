"""The CLI in-process (CliRunner) and as a user runs it (the installed `lrviz` in a subprocess)."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lrviz.api import simulate
from lrviz.cli import app
from tests.conftest import make_run, reference_lrs

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


def invoke(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args))


def test_cosine_table_numbers_match_pytorch() -> None:
    result = invoke("cosine", "--t-max", "5", "--epochs", "50")
    assert result.exit_code == 0, result.output
    expected = reference_lrs({"name": "CosineAnnealingLR", "T_max": 5}, epochs=50)[0]
    rows = [line.split() for line in result.stdout.splitlines() if line.strip()[:1].isdigit()]
    assert [int(r[0]) for r in rows] == list(range(50))
    assert [float(r[1]) for r in rows] == pytest.approx(expected, rel=1e-5)
    assert "CosineAnnealingLR(T_max=5) | SGD(lr=0.1) | 50 epochs" in result.stdout


def test_restarts_marked_in_table_and_summary() -> None:
    result = invoke("restarts", "--t0", "5", "--t-mult", "2", "--epochs", "50")
    assert result.exit_code == 0
    marked = [
        line.split()[0] for line in result.stdout.splitlines() if "restart" in line and line.strip()[:1].isdigit()
    ]
    assert marked == ["5", "15", "35"]
    assert "restarts at 5, 15, 35" in result.stdout


def test_restarts_default_epochs_end_on_boundary() -> None:
    result = invoke("restarts", "--t0", "5", "--t-mult", "2")
    assert "| 35 epochs |" in result.stdout


def test_several_outputs(tmp_path: Path) -> None:
    out = [tmp_path / "cos.csv", tmp_path / "cos.svg", tmp_path / "sub" / "cos.json", tmp_path / "cos.png"]
    args = ["cosine", "--t-max", "5", "--epochs", "50", "--optimizer", "adam", "--lr", "0.001"]
    for path in out:
        args += ["-o", str(path)]
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out[0].read_text().splitlines()))
    expected = reference_lrs({"name": "CosineAnnealingLR", "T_max": 5}, epochs=50, optimizer="Adam", lrs=(0.001,))[0]
    assert [float(r["lr"]) for r in rows] == expected
    assert json.loads(out[2].read_text())["optimizer"]["name"] == "Adam"
    assert all(p.stat().st_size > 0 for p in out)
    assert f"wrote {out[3]}" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["cosine", "--t-max", "0"], "--t-max: must be an integer > 0, got 0"),
        (["restarts", "--t0", "0"], "--t0: must be an integer > 0, got 0"),
        (["restarts", "--t0", "5", "--t-mult", "1.5"], "--t-mult: expected an integer >= 1, got '1.5'"),
        (["cosine", "--t-max", "5", "--epochs", "-3"], "--epochs: must be an integer > 0, got -3"),
        (["cosine", "--t-max", "5", "--lr", "-1"], "--lr: must be a number >= 0, got -1.0"),
        (["cosine", "--t-max", "5", "--lr", "abc"], "--lr: expected a number, got 'abc'"),
        (["cosine", "--t-max", "5", "-o", "x.bmp"], "unknown output format ('.bmp')"),
        (["cosine"], "CosineAnnealingLR needs T_max"),
        (["cosine", "--t-maxx", "5"], "No such option: --t-maxx"),
        (["cosin"], "No such command 'cosin'"),
        (["multistep", "--milestones", "80,30"], "--milestones: is not sorted at 30"),
        (["step", "--step-size", "2", "--optimizer", "adan"], "--optimizer: unknown optimizer 'adan' (did you mean"),
        (["lambda", "--lr-lambda", "import os"], "--lr-lambda: 'import os' is not a valid expression"),
        (["render", "missing.yaml"], "missing.yaml: no such file"),
    ],
)
def test_bad_input_is_one_line_exit_2_nothing_written(args: list[str], message: str, tmp_path: Path) -> None:
    target = tmp_path / "out.png"
    result = invoke(*args, "-o", str(target))
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ")
    assert message in lines[0]
    assert "Traceback" not in result.output
    assert not target.exists()


def test_render_configs_dir(tmp_path: Path) -> None:
    configs = sorted((ROOT / "configs").glob("*.yaml"))
    assert len(configs) >= 9
    result = invoke("render", *map(str, configs), "--out-dir", str(tmp_path), "--format", "png,csv")
    assert result.exit_code == 0, result.output
    for cfg in configs:
        assert (tmp_path / f"{cfg.stem}.png").stat().st_size > 10_000
        rows = list(csv.DictReader((tmp_path / f"{cfg.stem}.csv").read_text().splitlines()))
        assert rows and "epoch" in rows[0]


def test_render_values_match_simulate(tmp_path: Path) -> None:
    cfg = ROOT / "configs" / "restarts_article.yaml"
    result = invoke("render", str(cfg), "-o", str(tmp_path / "r.json"))
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["restarts"] == [10]
    assert (
        data["groups"][0]["lr"]
        == reference_lrs(
            {"name": "CosineAnnealingWarmRestarts", "T_0": 10, "T_mult": 10, "eta_min": 1e-5},
            epochs=110,
            optimizer="Adam",
            lrs=(3e-4,),
            options={"weight_decay": 1e-5},
        )[0]
    )


def test_render_batch_keeps_going(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("scheduler: {name: StepLR, step_sise: 3}\n")
    good = ROOT / "configs" / "step_decay.yaml"
    result = invoke("render", str(bad), str(good), "--out-dir", str(tmp_path / "plots"))
    assert result.exit_code == 2
    assert (tmp_path / "plots" / "step_decay.png").exists()
    assert not (tmp_path / "plots" / "bad.png").exists()
    assert "did you mean step_size" in result.stderr and "1 of 2 configs failed: " in result.stderr


def test_config_flag_with_override(tmp_path: Path) -> None:
    cfg = tmp_path / "wr.yaml"
    cfg.write_text("epochs: 20\nscheduler: {name: CosineAnnealingWarmRestarts, T_0: 10}\n")
    result = invoke("restarts", "--config", str(cfg), "--t0", "4", "-o", str(tmp_path / "x.json"))
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "x.json").read_text())
    assert data["restarts"] == [4, 8, 12, 16] and data["epochs"] == 20


def test_list_and_help() -> None:
    result = invoke("list")
    assert result.exit_code == 0
    for name in ("CosineAnnealingWarmRestarts", "ReduceLROnPlateau", "SequentialLR", "T_mult=1"):
        assert name in result.stdout
    helptext = _words(invoke("restarts", "--help").stdout)
    assert "Example: lrviz restarts --t0 5 --t-mult 2" in helptext
    assert "T_0*(1+T_mult+T_mult^2)" in helptext
    assert "T_max + 1" in _words(invoke("cosine", "--help").stdout)


def _words(text: str) -> str:
    """Help text without rich's box drawing and line wrapping."""
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", text).split())


def test_plateau_with_metrics_file(tmp_path: Path) -> None:
    metrics = tmp_path / "val.txt"
    metrics.write_text("\n".join(["1.0", "0.9", "0.9", "0.9", "0.9", "0.8", "0.8", "0.8", "0.8", "0.8"]))
    result = invoke(
        "plateau", "--metrics", str(metrics), "--patience", "2", "--factor", "0.5", "-o", str(tmp_path / "p.csv")
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader((tmp_path / "p.csv").read_text().splitlines()))
    assert [r["epoch"] for r in rows if r["reduced"] == "1"] == [
        "5",
        "9",
    ]  # 3 epochs without improvement (> patience 2), effective the next epoch


def test_per_step_onecycle_and_warmup(tmp_path: Path) -> None:
    result = invoke(
        "onecycle", "--max-lr", "0.1", "--epochs", "3", "--steps-per-epoch", "5", "-o", str(tmp_path / "o.csv")
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader((tmp_path / "o.csv").read_text().splitlines()))
    assert len(rows) == 15 and rows[1]["epoch"] == "0.2"
    curve = simulate(make_run({"epochs": 3, "steps_per_epoch": 5, "scheduler": {"name": "OneCycleLR", "max_lr": 0.1}}))
    assert [float(r["lr"]) for r in rows] == list(curve.lrs[0])
    result = invoke("cosine", "--t-max", "10", "--warmup", "3", "--epochs", "13")
    assert result.exit_code == 0 and "milestones at 3" in result.stdout


# -- as a user runs it ----------------------------------------------------------------------------

LRVIZ = shutil.which("lrviz", path=str(Path(sys.executable).parent)) or "lrviz"


def run_lrviz(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [LRVIZ, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        env={**os.environ, "MPLBACKEND": "TkAgg", "DISPLAY": ""},
    )


def test_installed_command_plots_headless(tmp_path: Path) -> None:
    result = run_lrviz("restarts", "--t0", "5", "--t-mult", "2", "--epochs", "50", "-o", "restarts.png", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "restarts at 5, 15, 35" in result.stdout
    assert (tmp_path / "restarts.png").read_bytes()[:4] == b"\x89PNG"


def test_installed_command_errors_cleanly(tmp_path: Path) -> None:
    result = run_lrviz("cosine", "--t-max", "0", "-o", "x.png", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == "Error: --t-max: must be an integer > 0, got 0\n"
    assert list(tmp_path.iterdir()) == []


def test_python_dash_m() -> None:
    result = subprocess.run([sys.executable, "-m", "lrviz", "--version"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout.startswith("lrviz ")


CHECK_IMPORTS = """
import sys
import typer
from lrviz.cli import app
try:
    typer.main.get_command(app).main({args!r}, prog_name="lrviz")
except SystemExit as exc:
    code = exc.code
heavy = sorted(m for m in ("torch", "matplotlib") if m in sys.modules)
print(code, heavy)
"""


@pytest.mark.parametrize(
    ("args", "code", "heavy"),
    [
        (["--help"], 0, []),
        (["cosine", "--help"], 0, []),
        (["cosine", "--t-max", "0"], 2, []),
        (["cosine", "--t-max", "x"], 2, []),
        (["render", "nope.yaml"], 2, []),
        (["cosine", "--t-max", "3"], 0, ["torch"]),  # a table never imports matplotlib
    ],
)
def test_start_up_imports(args: list[str], code: int, heavy: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-c", CHECK_IMPORTS.format(args=args)], capture_output=True, text=True, timeout=120
    )
    assert result.stdout.strip().splitlines()[-1] == f"{code} {heavy}"


def test_geometry_and_resume_flags(tmp_path: Path) -> None:
    out = tmp_path / "r.csv"
    result = invoke(
        "onecycle", "--max-lr", "0.1", "--epochs", "4", "--dataset-size", "1000", "--batch-size", "100",
        "--resume-at", "2", "-o", str(out),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert (
        "steps per epoch: 1,000 samples / batch 100 = 10 batches (ceil) = 10 optimizer steps per epoch" in result.stdout
    )
    assert "resumed from a checkpoint at epoch 2: identical to the uninterrupted run" in result.stdout
    rows = list(csv.DictReader(out.read_text().splitlines()))
    assert len(rows) == 40 and all(r["lr"] == r["lr_resumed"] for r in rows)


def test_plan_lists_the_article_pair_and_draws(tmp_path: Path) -> None:
    result = invoke("plan", "--epochs", "75", "-o", str(tmp_path / "plans.png"))
    assert result.exit_code == 0, result.output
    assert "T_0=5, T_mult=2: 4 cycles (5+10+20+40); restarts at 5, 15, 35" in result.stdout
    assert "T_0=25, T_mult=2: 2 cycles (25+50); restarts at 25" in result.stdout
    assert "T_0=15, T_mult=4: 2 cycles (15+60); restarts at 15" in result.stdout
    assert (tmp_path / "plans.png").stat().st_size > 20_000
    only = invoke("plan", "--epochs", "75", "--t-mult", "2")
    # useful plans first (issue: plan lists them first): the four growing cycles before the two
    assert [line.split(":")[0] for line in only.stdout.splitlines()] == ["T_0=5, T_mult=2", "T_0=25, T_mult=2"]
    bad = invoke("plan", "--epochs", "75", "--max-cycles", "1")
    assert bad.exit_code == 2 and "--max-cycles" in bad.stderr


def test_code_and_print_code_build_the_same_schedule() -> None:
    result = invoke("code", str(ROOT / "configs" / "warmup_cosine.yaml"))
    assert result.exit_code == 0
    namespace: dict[str, object] = {}
    setup = result.stdout.split("# Training loop")[0]
    exec(compile(setup, "snippet", "exec"), namespace)  # noqa: S102 - the generated code, in a test
    assert type(namespace["scheduler"]).__name__ == "SequentialLR"
    flags = invoke("restarts", "--t0", "5", "--t-mult", "2", "--print-code")
    assert "lr_scheduler.CosineAnnealingWarmRestarts(optimizer, T_0=5, T_mult=2)" in flags.stdout


def test_chart_on_request_and_diagnostics_on_stderr() -> None:
    result = invoke("restarts", "--t0", "5", "--t-mult", "2", "--epochs", "50", "--chart")
    assert result.exit_code == 0
    assert "┤" in result.stdout and "(↺ restart)" in result.stdout
    assert result.stderr.startswith("warning: CosineAnnealingWarmRestarts: the run ends mid-cycle")
    assert "┤" not in invoke("restarts", "--t0", "5", "--t-mult", "2").stdout  # not a terminal: no chart
    quiet = invoke("restarts", "--t0", "5", "--t-mult", "2", "--epochs", "50", "--quiet")
    assert quiet.stderr == ""

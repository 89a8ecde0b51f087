"""What the command line needs beside the API's functions, called as a front end calls it: reading a config
with flags (``lrviz.api.frontend``), the terminal text (``lrviz.api.terminal``), logs beside the plan
(``lrviz.api.logs``), CI reports (``lrviz.api.reports``), and the plans, baselines and watch of ``lrviz.api``."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from rich.console import Console
from typer.testing import CliRunner

import lrviz
from lrviz import api
from lrviz.api import frontend, logs, reports, terminal
from lrviz.cli import app
from lrviz.errors import ConfigError, render_options

ROOT = Path(__file__).resolve().parents[2]
STEP = ROOT / "configs" / "step_decay.yaml"
RESTARTS = ROOT / "configs" / "restarts_article.yaml"
runner = CliRunner()


def _torch_lrs(scheduler: type, epochs: int, **kwargs: object) -> list[float]:
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    sched = scheduler(opt, **kwargs)
    out = []
    for _ in range(epochs):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return out


def test_read_config_takes_flags_on_top_and_reads_the_config_first(tmp_path: Path) -> None:
    run = frontend.read_config(STEP, flags={("epochs",): ("--epochs", 7)})
    assert run.epochs == 7
    # the same run as lrviz.load, except that notes keep their placeholders for the front end to spell
    loaded = lrviz.load(STEP, epochs=7)
    assert tuple(render_options(n) for n in run.notes) == loaded.notes
    assert lrviz.simulate(run).lr == lrviz.simulate(loaded).lr

    def flags() -> dict[tuple[str, ...], tuple[str, object]]:
        raise AssertionError("the flags were read before the config")

    with pytest.raises(ConfigError, match="missing.yaml"):
        frontend.read_config(tmp_path / "missing.yaml", flags=flags)
    with pytest.raises(ConfigError, match="config_dir and config_name"):
        frontend.read_config(config_dir=tmp_path)


def test_a_run_from_flags_alone_steps_torch_s_class() -> None:
    run = frontend.run_from_flags(
        {
            ("scheduler", "name"): ("lrviz step", "StepLR"),
            ("scheduler", "step_size"): ("--step-size", 3),
            ("epochs",): ("--epochs", 9),
        }
    )
    assert lrviz.simulate(run).lr == _torch_lrs(torch.optim.lr_scheduler.StepLR, 9, step_size=3)


def test_framework_tables_and_runs() -> None:
    timm = [name for name, _, _ in frontend.framework_arguments("timm")]
    assert "sched" not in timm and {"warmup_epochs", "cooldown_epochs"} <= set(timm)
    assert "warmup_steps" in [name for name, _, _ in frontend.framework_arguments("hf")]
    assert "warmup_num_steps" in [name for name, _, _ in frontend.framework_arguments("deepspeed")]
    with pytest.raises(ValueError, match="torch"):
        frontend.framework_arguments("torch")
    assert "dataset_size" in frontend.framework_run_options("hf")
    where = {("document", "sched"): "lrviz timm cosine", ("document", "epochs"): "--epochs"}
    run = frontend.framework_run("timm", {"document": {"sched": "cosine", "epochs": 12, "lr": 0.01}}, where)
    cli = runner.invoke(app, ["timm", "cosine", "--epochs", "12", "--lr", "0.01", "-o", "-.json"])
    assert cli.exit_code == 0, cli.output
    assert json.loads(cli.stdout)["groups"][0]["lr"] == lrviz.simulate(run).lr
    with pytest.raises(ConfigError, match="--epochs"):  # messages name the flag a key came from
        frontend.framework_run("timm", {"document": {"sched": "cosine", "epochs": -3}}, where)


def test_has_expectations(tmp_path: Path) -> None:
    (tmp_path / "yes.yaml").write_text("scheduler: {name: StepLR, step_size: 2}\nexpect: {final_lr_below: 1}\n")
    (tmp_path / "no.yaml").write_text("scheduler: {name: StepLR, step_size: 2}\n")
    (tmp_path / "bad.yaml").write_text("scheduler: [\n")
    assert frontend.has_expectations(tmp_path / "yes.yaml")
    assert not frontend.has_expectations(tmp_path / "no.yaml")
    assert not frontend.has_expectations(tmp_path / "bad.yaml")


def test_warnings_are_the_diagnosis_in_two_halves() -> None:
    run = lrviz.load({"scheduler": {"name": "CosineAnnealingLR", "T_max": 10}, "epochs": 30})
    curve = lrviz.simulate(run)
    halves = frontend.run_warnings(run) + [f.message for f in frontend.curve_findings(curve)]
    assert halves and halves == [f.message for f in lrviz.diagnose(curve)]


def test_the_table_is_what_the_command_prints() -> None:
    curve = lrviz.simulate(STEP)
    out = io.StringIO()
    terminal.print_table(curve, Console(file=out, width=80))
    cli = runner.invoke(app, ["render", str(STEP)], env={"COLUMNS": "80"})
    assert cli.exit_code == 0, cli.output
    assert out.getvalue() == cli.stdout
    assert out.getvalue().rstrip().splitlines()[-1] == terminal.summary_line(curve)
    assert terminal.table(curve).row_count == len(curve.lr) == 90
    assert terminal.table(curve, every=10).row_count < 20


def test_the_chart_and_the_comparison() -> None:
    curve = lrviz.simulate(RESTARTS)
    text = terminal.chart(curve, 50, 10, ascii=True)
    lines = text.splitlines()
    assert len(lines) >= 10 and all(len(line) <= 50 and line.isascii() for line in lines)
    assert any(not line.isascii() for line in terminal.chart(curve, 50, 10).splitlines())
    assert terminal.wrap("a " * 30, 20).count("\n") == 2
    assert terminal.fit_rows(30, terminal_lines=60, reserved=8) == 22
    cmp = lrviz.compare([curve, lrviz.simulate(STEP)], labels=["restarts", "step"])
    out = io.StringIO()
    terminal.print_comparison(cmp, every=5, console=Console(file=out, width=120))
    header, *rows = out.getvalue().splitlines()
    assert header.split() == ["epoch", "restarts", "step"]
    assert len(rows) == len(range(0, len(cmp.epochs), 5)) + (0 if (len(cmp.epochs) - 1) % 5 == 0 else 1)


def _log(path: Path, lrs: list[float]) -> Path:
    path.write_text("step,lr\n" + "".join(f"{k},{lr!r}\n" for k, lr in enumerate(lrs)))
    return path


def test_logs_beside_the_plan(tmp_path: Path) -> None:
    curve = lrviz.simulate({"scheduler": {"name": "CosineAnnealingLR", "T_max": 40}, "epochs": 40})
    (tmp_path / "runs").mkdir()
    good = _log(tmp_path / "runs" / "a.csv", curve.lr)
    bad = _log(tmp_path / "runs" / "b.csv", [lr * 1.5 for lr in curve.lr])
    assert logs.is_log(good) and logs.is_log(tmp_path / "runs") and not logs.is_log(STEP)
    assert logs.find_logs(good) is None
    state = '{"log_history": [{"step": 1, "learning_rate": 0.1}], "global_step": 1}'
    for name in ("seed1", "seed2"):
        (tmp_path / "sweep" / name).mkdir(parents=True)
        (tmp_path / "sweep" / name / "trainer_state.json").write_text(state)
    found = logs.find_logs(tmp_path / "sweep")
    assert [path for _, path, _ in found or []] == [
        tmp_path / "sweep" / n / "trainer_state.json" for n in ("seed1", "seed2")
    ]
    assert logs.find_logs(tmp_path / "sweep" / "seed1") is None  # one log: read_log reads it
    assert logs.compare_with_log(curve, lrviz.read_log(good)).ok
    report = logs.compare_with_log(curve, lrviz.read_log(bad))
    assert not report.ok
    logs.save_overlay(curve, lrviz.read_log(bad), report, tmp_path / "overlay.png")
    assert (tmp_path / "overlay.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_held_steps_are_what_a_skipping_gradscaler_logs() -> None:
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    logged = []
    for step in range(8):
        logged.append(opt.param_groups[0]["lr"])
        opt.step()
        if step not in (1, 2):  # the scaler skipped optimizer steps 1 and 2: no scheduler step either
            sched.step()
    curve = lrviz.simulate({"scheduler": {"name": "StepLR", "step_size": 2, "gamma": 0.5}, "epochs": 8})
    assert logs.hold_steps(curve, [(2, 1)]).lr == logged
    assert logs.hold_steps(curve, []).lr == curve.lr


def test_ci_reports(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    curve = lrviz.simulate(STEP)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    assert reports.step_summary("lrviz check", [("step.yaml", curve)]) is None
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "summary.md"))
    reports.step_summary("lrviz check", [("step.yaml", curve)], ["**ok**"])
    text = (tmp_path / "summary.md").read_text()
    assert text.startswith("### lrviz check") and "| `step.yaml` | MultiStepLR(" in text and "**ok**" in text
    config = tmp_path / "train.yaml"
    config.write_text("scheduler:\n  name: StepLR\n  step_size: 30\nexpect:\n  final_lr_below: 1.0e-9\n")
    (line,) = reports.summary_annotations(config, ["final_lr_below: the final LR is 1e-4"])
    assert line.startswith(f"::error file={config},line=5")
    found = [("faster", "run.csv: the LR runs 2x faster than planned"), (None, "a check failed")]
    assert len(reports.annotation_commands(config, found)) == 2
    assert len(reports.annotation_commands(config, found, kinds_only=True)) == 1
    reports.save_sarif(config, found, tmp_path / "a.sarif", tmp_path / "b.sarif")
    sarif = json.loads((tmp_path / "a.sarif").read_text())
    assert (tmp_path / "b.sarif").read_text() == (tmp_path / "a.sarif").read_text()
    assert len(sarif["runs"][0]["results"]) == 2


def test_plans_baselines_and_watch(tmp_path: Path) -> None:
    plans = lrviz.plan_restarts(35, max_cycles=4)
    curve = lrviz.simulate(api.plan_run(plans[0]))
    assert curve.restart_epochs == list(plans[0].restarts)
    assert lrviz.simulate(api.plan_run(plans[0], lr=0.5)).lr[0] == 0.5
    api.save_plans(plans, tmp_path / "plans.json", tmp_path / "plans.csv", tmp_path / "plans.svg")
    assert len(json.loads((tmp_path / "plans.json").read_text())["plans"]) == len(plans)
    assert len((tmp_path / "plans.csv").read_text().splitlines()) == len(plans) + 1
    assert (tmp_path / "plans.svg").read_text().count("<svg") >= 1
    lrviz.save(curve, tmp_path / "base.csv")
    base = api.load_baseline(tmp_path / "base.csv")
    assert len(base.values) == len(curve.lr) and lrviz.check(curve, baseline=base).ok
    log = _log(tmp_path / "run.csv", curve.lr[:10])
    seen: list[object] = []
    result = lrviz.watch(log, curve, once=True, on_step=lambda verdict, check: seen.append(verdict))
    assert result.verdict is None and result.observed == 10 and seen and set(seen) == {None}
    loose = lrviz.watch(_log(tmp_path / "off.csv", [lr * 1.01 for lr in curve.lr[:10]]), curve, once=True, rtol=0.02)
    assert loose.verdict is None and loose.rtol == 0.02


def test_the_front_end_modules_import_nothing_heavy() -> None:
    code = (
        "import sys; import lrviz.api.frontend, lrviz.api.terminal, lrviz.api.logs, lrviz.api.reports; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'torch', 'matplotlib', 'rich', 'numpy', "
        "'omegaconf'}), 'lrviz.api.core' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["[]", "False"]

"""DeepSpeed: every scheduler of ``deepspeed.runtime.lr_schedules`` equals a loop stepped as the engine steps it.

The reference loop is written here, the way ``DeepSpeedEngine`` builds and steps the
config's scheduler: ``getattr(lr_schedules, type)(optimizer, **params)``
(``_scheduler_from_config``), then per optimizer step ``optimizer.step()`` and
``lr_scheduler.step()`` (``_take_model_step``); the LR of step k is read before it.
"""

from __future__ import annotations

import inspect
import json
import logging
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import torch
from typer.testing import CliRunner

import lrviz
from lrviz.cli.commands import app
from lrviz.errors import ConfigError
from lrviz.frameworks.deepspeed import read as ds_config

lr_schedules = pytest.importorskip("deepspeed.runtime.lr_schedules")

runner = CliRunner()
REAL = Path(__file__).parents[2] / "realworld" / "configs" / "other_dialects"

#: Parameters for each type that make a schedule with every phase inside 60 steps.
CASES: dict[str, dict[str, Any]] = {
    "WarmupLR": {"warmup_min_lr": 1e-5, "warmup_max_lr": 3e-3, "warmup_num_steps": 15},
    "WarmupDecayLR": {
        "total_num_steps": 60,
        "warmup_min_lr": 0.0,
        "warmup_max_lr": 2e-3,
        "warmup_num_steps": 10,
        "warmup_type": "linear",
    },
    "WarmupCosineLR": {"total_num_steps": 60, "warmup_min_ratio": 0.1, "warmup_num_steps": 12, "cos_min_ratio": 0.01},
    "OneCycle": {
        "cycle_min_lr": 1e-4,
        "cycle_max_lr": 1e-2,
        "cycle_first_step_size": 20,
        "cycle_second_step_size": 15,
        "decay_lr_rate": 0.2,
        "decay_step_size": 5,
        "cycle_min_mom": 0.85,
        "cycle_max_mom": 0.95,
    },
    "LRRangeTest": {
        "lr_range_test_min_lr": 1e-5,
        "lr_range_test_step_size": 7,
        "lr_range_test_step_rate": 1.5,
        "lr_range_test_staircase": True,
    },
}
STEPS = 60


def reference(
    kind: str, params: dict[str, Any], steps: int, optimizer: str = "AdamW", lr: float = 1e-3
) -> tuple[list[float], list[float]]:
    """The engine's loop: LR (and beta1) of optimizer step k, read before optimizer.step() and scheduler.step()."""
    param = torch.zeros(1, requires_grad=True)
    opt = getattr(torch.optim, optimizer)([param], lr=lr)
    scheduler = getattr(lr_schedules, kind)(opt, **params)
    lrs, betas = [], []
    for _ in range(steps):
        lrs.append(opt.param_groups[0]["lr"])
        betas.append(opt.param_groups[0]["betas"][0] if "betas" in opt.param_groups[0] else float("nan"))
        param.grad = torch.zeros(1)
        opt.step()
        scheduler.step()
    return lrs, betas


def doc(kind: str, params: dict[str, Any], lr: float = 1e-3) -> dict[str, Any]:
    return {"optimizer": {"type": "AdamW", "params": {"lr": lr}}, "scheduler": {"type": kind, "params": params}}


def test_the_parameter_table_is_the_installed_signatures() -> None:
    assert set(ds_config.TYPES) == set(CASES)
    for kind, table in ds_config.PARAMS.items():
        params = inspect.signature(getattr(lr_schedules, kind)).parameters.values()
        installed = [
            (p.name, ds_config.REQUIRED if p.default is inspect.Parameter.empty else p.default)
            for p in params
            if p.name not in ("self", "optimizer", "last_batch_iteration")
        ]
        assert installed == list(table), kind


@pytest.mark.parametrize("kind", sorted(CASES))
def test_every_type_equals_the_engines_loop(kind: str) -> None:
    params = CASES[kind]
    curve = lrviz.simulate(doc(kind, params), epochs=STEPS, momentum=True)
    lrs, betas = reference(kind, params, STEPS)
    assert curve.lr == lrs
    assert curve.run.unit == "step" and curve.run.family == "deepspeed"
    assert curve.momenta is not None and list(curve.momenta[0]) == betas  # OneCycle cycles beta1 too


@pytest.mark.parametrize("kind", sorted(CASES))
def test_the_command_gives_the_same_values(kind: str, tmp_path: Path) -> None:
    params = CASES[kind]
    argv = ["deepspeed", kind, "--optimizer", "AdamW", "--lr", "1e-3", "--max-steps", str(STEPS)]
    for key, value in params.items():
        flag = "--" + key.replace("_", "-")
        argv += [flag] if value is True else [flag, str(value)]
    out = tmp_path / "out.csv"
    result = runner.invoke(app, [*argv, "-q", "-o", str(out)])
    assert result.exit_code == 0, result.output
    values = [float(r.split(",")[1]) for r in out.read_text().splitlines()[1:]]
    assert values == reference(kind, params, STEPS)[0]


def test_total_num_steps_is_the_run_length_and_the_optimizer_lr_is_read() -> None:
    params = {"total_num_steps": 40, "warmup_num_steps": 5}
    curve = lrviz.simulate(doc("WarmupCosineLR", params, lr=4e-4))
    assert curve.run.epochs == 40
    assert curve.lr == reference("WarmupCosineLR", params, 40, lr=4e-4)[0]  # the cosine scales the optimizer's lr


def test_sgd_and_a_missing_optimizer_block() -> None:
    params = {"warmup_num_steps": 5}
    curve = lrviz.simulate(
        {"optimizer": {"type": "SGD", "params": {"lr": 0.05}}, "scheduler": {"type": "WarmupLR", "params": params}},
        epochs=10,
    )
    assert curve.lr == reference("WarmupLR", params, 10, optimizer="SGD", lr=0.05)[0]
    run = lrviz.load({"scheduler": {"type": "WarmupLR", "params": params}}, epochs=10)
    assert run.optimizer.name == "SGD" and run.optimizer.lr == 0.1
    assert any("no DeepSpeed optimizer given" in n and "SGD(lr=0.1)" in n for n in run.notes)


def test_deepspeeds_adam_is_stepped_as_torchs_adamw_with_a_note() -> None:
    run = lrviz.load(
        {"optimizer": {"type": "Adam", "params": {"lr": 1e-4}}, "scheduler": {"type": "WarmupLR", "params": {}}},
        epochs=5,
    )
    assert run.optimizer.name == "AdamW" and run.optimizer.lr == 1e-4
    assert any("FusedAdam" in n and "adam_w_mode" in n for n in run.notes)


def test_resume_at_loads_both_state_dicts() -> None:
    curve = lrviz.simulate(doc("WarmupDecayLR", CASES["WarmupDecayLR"]), resume_at=25)
    assert curve.resumed is not None and list(curve.resumed[0]) == curve.lr


def test_findings_warmuplr_never_decays_and_warmup_longer_than_the_run() -> None:
    curve = lrviz.simulate(doc("WarmupLR", {"warmup_num_steps": 50, "warmup_max_lr": 0.01}), epochs=30)
    codes = {f.code for f in curve.findings}
    assert {"deepspeed-warmuplr-no-decay", "deepspeed-warmup-longer-than-run"} <= codes
    message = next(f.message for f in curve.findings if f.code == "deepspeed-warmuplr-no-decay")
    assert "never decays" in message and "warmup_max_lr 0.01" in message
    curve = lrviz.simulate(doc("WarmupCosineLR", {"total_num_steps": 100, "warmup_num_steps": 10}))
    assert "deepspeed-zero-lr-first-steps" in {f.code for f in curve.findings}  # log(1) = 0 twice


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["WarmupLR", "--max-steps", "5", "--warmup-num-step", "3"], "No such option: --warmup-num-step"),
        (["WarmupDecayLR", "--warmup-num-steps", "10"], "--total-num-steps: DeepSpeed's WarmupDecayLR requires"),
        (["WarmupLR"], "runs until training stops"),
        (["WarmupCosine", "--max-steps", "5"], "did you mean WarmupCosineLR"),
        (["WarmupLR", "--max-steps", "5", "--warmup-type", "cosine"], "--warmup-type: expected log or linear"),
    ],
)
def test_command_errors(argv: list[str], message: str) -> None:
    result = runner.invoke(app, ["deepspeed", *argv])
    assert result.exit_code == 2
    assert message in result.stderr and result.stderr.count("\n") == 1, result.stderr


def test_a_param_name_the_class_does_not_take_is_refused_with_a_suggestion(tmp_path: Path) -> None:
    path = tmp_path / "ds.json"
    path.write_text(json.dumps({"scheduler": {"type": "WarmupDecayLR", "params": {"total_num_step": 10}}}, indent=1))
    result = runner.invoke(app, ["render", str(path)])
    assert result.exit_code == 2
    assert "ds.json:5: scheduler.params.total_num_step: not a parameter of DeepSpeed's WarmupDecayLR" in result.stderr
    assert "did you mean total_num_steps" in result.stderr


# ---------------------------------------------------------------------------
# Real configs (tests/realworld/SOURCES.md)


@pytest.mark.parametrize(
    "name", ["deepspeed_matsuolab_warmup_cosine_lr.json", "deepspeed_transpeeder_warmup_decay_lr.json"]
)
def test_real_configs_with_numbers_equal_the_loop(name: str, tmp_path: Path) -> None:
    data = json.loads((REAL / name).read_text())
    block = data["scheduler"]
    out = tmp_path / "out.csv"
    result = runner.invoke(app, ["render", str(REAL / name), "-o", str(out)])
    assert result.exit_code == 0, result.output
    values = [float(r.split(",")[1]) for r in out.read_text().splitlines()[1:]]
    expected = reference(
        block["type"], block["params"], block["params"]["total_num_steps"], lr=data["optimizer"]["params"]["lr"]
    )[0]
    assert values == expected
    assert f"optimizer {data['optimizer']['type']}: DeepSpeed builds" in result.stderr


AUTO = {
    "deepspeed_hf_tests_zero2_warmuplr_auto.json": (
        "deepspeed_hf_tests_zero2_warmuplr_auto.json:28: scheduler.params.warmup_min_lr: "
        '"auto" is filled in by the Hugging Face Trainer\'s DeepSpeed integration from its TrainingArguments, '
        "or by Accelerate from the DummyOptim/DummyScheduler a training script passes to accelerator.prepare "
        "(warmup_min_lr 0, warmup_max_lr the optimizer's lr, total_num_steps divided by the process count); "
        "this file holds neither: render the TrainingArguments file or launch script that names it (lrviz "
        "fills it as the Trainer does), or give the value with --set scheduler.params.warmup_min_lr=VALUE "
        '(also "auto": scheduler.params.warmup_max_lr, scheduler.params.warmup_num_steps, optimizer.params.lr)'
    ),
    "deepspeed_stanford_alpaca_warmup_decay_lr_auto.json": (
        "deepspeed_stanford_alpaca_warmup_decay_lr_auto.json:17: scheduler.params.total_num_steps: "
        '"auto" is filled in by the Hugging Face Trainer\'s DeepSpeed integration from its TrainingArguments, '
        "or by Accelerate from the DummyOptim/DummyScheduler a training script passes to accelerator.prepare "
        "(warmup_min_lr 0, warmup_max_lr the optimizer's lr, total_num_steps divided by the process count); "
        "this file holds neither: render the TrainingArguments file or launch script that names it (lrviz "
        "fills it as the Trainer does), or give the value with --set scheduler.params.total_num_steps=VALUE "
        '(also "auto": scheduler.params.warmup_min_lr, scheduler.params.warmup_max_lr, '
        "scheduler.params.warmup_num_steps, optimizer.params.lr)"
    ),
}


@pytest.mark.parametrize("name", sorted(AUTO))
def test_real_configs_with_auto_are_refused_in_one_line(name: str) -> None:
    result = runner.invoke(app, ["render", str(REAL / name)])
    assert result.exit_code == 2
    assert result.stderr == f"Error: {REAL / name}"[: -len(name)] + AUTO[name] + "\n"


def test_auto_values_given_with_set_render(tmp_path: Path) -> None:
    path = REAL / "deepspeed_stanford_alpaca_warmup_decay_lr_auto.json"
    sets = ["total_num_steps=200", "warmup_min_lr=0", "warmup_max_lr=2e-5", "warmup_num_steps=20"]
    argv = ["render", str(path), "-q", *[a for s in sets for a in ("--set", f"scheduler.params.{s}")]]
    out = tmp_path / "out.csv"
    result = runner.invoke(app, [*argv, "--set", "optimizer.params.lr=2e-5", "-o", str(out)])
    assert result.exit_code == 0, result.output
    values = [float(r.split(",")[1]) for r in out.read_text().splitlines()[1:]]
    params = {"total_num_steps": 200, "warmup_min_lr": 0, "warmup_max_lr": 2e-5, "warmup_num_steps": 20}
    assert values == reference("WarmupDecayLR", params, 200, lr=2e-5)[0]


# ---------------------------------------------------------------------------
# The process around it


def test_stdout_holds_only_the_output_and_the_logger_is_left_as_it_was() -> None:
    """DeepSpeed logs to stdout ("Setting accelerator to CPU"); lrviz keeps it out and removes its filter."""
    code = (
        "import logging, sys\n"
        "from lrviz.cli import main\n"
        "sys.argv = ['lrviz', 'deepspeed', 'WarmupLR', '--max-steps', '3', '-q', '-o', '-.csv']\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('filters', len(logging.getLogger('DeepSpeed').filters), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    lines = done.stdout.splitlines()  # only the CSV: the run's arithmetic goes to stderr with -o -
    assert lines[0] == "step,lr,restart" and len(lines) == 4
    assert "3 optimizer steps (given)" in done.stderr
    assert "Setting accelerator" not in done.stdout + done.stderr
    assert done.stderr.strip().endswith("filters 0")


def test_the_logger_has_no_filter_left_after_simulate() -> None:
    lrviz.simulate(doc("WarmupLR", {}), epochs=3)
    assert logging.getLogger("DeepSpeed").filters == []


def test_without_deepspeed_a_config_that_needs_it_exits_2(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "deepspeed" else real(name, *a))
    result = runner.invoke(app, ["deepspeed", "WarmupLR", "--max-steps", "5"])
    assert result.exit_code == 2
    assert result.stderr.strip() == "Error: needs deepspeed: pip install 'lrviz[deepspeed]'"
    result = runner.invoke(app, ["render", str(REAL / "deepspeed_transpeeder_warmup_decay_lr.json")])
    assert result.exit_code == 2
    assert result.stderr.strip() == "Error: needs deepspeed: pip install 'lrviz[deepspeed]'"
    with pytest.raises(ConfigError, match=r"needs deepspeed"):
        lrviz.load(doc("WarmupLR", {}), epochs=3)


def test_help_does_not_import_deepspeed() -> None:
    code = (
        "import sys\n"
        "from lrviz.cli.commands import app\n"
        "from typer.testing import CliRunner\n"
        "r = CliRunner()\n"
        "r.invoke(app, ['deepspeed', '--help']); r.invoke(app, ['deepspeed', 'WarmupLRR'])\n"
        "print(sorted(m for m in ('torch', 'deepspeed') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"

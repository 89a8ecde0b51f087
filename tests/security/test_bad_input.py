"""Bad input through the CLI in-process: one ``Error:`` line naming the culprit, the right exit status, no traceback.

Every case also passes ``-o keep.csv`` pointing at a file that already exists with known bytes: a failing run must
leave it byte-for-byte untouched and must not leave anything else (a ``*.tmp``, a folder, a half-written plot) in
the test's directory. In ``args`` and ``names``, ``{d}`` is the test's tmp_path and ``{keep}`` the pre-existing
output (appended as ``-o {keep}`` when a case does not place it itself).

Exit status (README, "Errors and exit codes"): 2 for bad input (a flag, a config file, a value), 1 for a runtime
failure (PyTorch raised while stepping, an output could not be written).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from lrviz.cli import app

runner = CliRunner()

KEEP_NAME = "keep.csv"
KEEP_BYTES = b"epoch,lr,restart\n0,0.5,0\n1,0.25,0\n"

DIR = object()  # in Case.files: create a directory instead of a file

STEP = "scheduler: {name: StepLR, step_size: 2}\n"
PLATEAU = "scheduler: {name: ReduceLROnPlateau, patience: 1}\n"
HUGE_INT = "1" + "0" * 400  # an int Python parses but a float cannot hold

# Seven levels of ten aliases each: ~10**7 values once expanded, from a file of under 400 bytes.
ALIAS_BOMB = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n" for i in range(1, 7)
)


@dataclass(frozen=True)
class Case:
    args: tuple[str, ...]
    code: int
    names: tuple[str, ...]  # every one must appear in the single error line
    files: Mapping[str, Any] = field(default_factory=dict)  # name -> str | bytes | DIR, written into tmp_path


def flags(*args: str, names: tuple[str, ...] | str, code: int = 2, files: Mapping[str, Any] | None = None) -> Case:
    return Case(tuple(args), code, (names,) if isinstance(names, str) else names, dict(files or {}))


def render(text: str | bytes, *names: str, name: str = "c.yaml", code: int = 2) -> Case:
    """``lrviz render {d}/c.yaml`` with ``text`` as the file."""
    return Case(("render", "{d}/" + name), code, tuple(names), {name: text})


def fixed(case: Case, case_id: str, was: str) -> Any:
    """A case that once failed; ``was`` records how, for the history."""
    return pytest.param(case, id=case_id)


def check_bad_input(tmp_path: Path, case: Case) -> None:
    """Run the CLI on ``case`` and assert the exit status, the one error line, no traceback and no written file."""
    for name, content in case.files.items():
        path = tmp_path / name
        if content is DIR:
            path.mkdir()
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    keep = tmp_path / KEEP_NAME
    keep.write_bytes(KEEP_BYTES)
    args = list(case.args) if "{keep}" in case.args else [*case.args, "-o", "{keep}"]
    args = [a.replace("{keep}", str(keep)).replace("{d}", str(tmp_path)) for a in args]
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))

    result = runner.invoke(app, args)

    shown = f"args: {args}\nexit: {result.exit_code}\nstdout: {result.stdout!r}\nstderr: {result.stderr!r}"
    # 1. exit status
    assert result.exit_code == case.code, shown
    # 2. exactly one line on stderr, "Error: ...", naming the culprit
    # schedule warnings (`warning: ...`, e.g. a OneCycleLR that will overrun) may come first
    lines = [line for line in result.stderr.splitlines() if not line.startswith("warning: ")]
    assert len(lines) == 1, shown
    assert lines[0].startswith("Error: "), shown
    for name in case.names:
        assert name.replace("{d}", str(tmp_path)) in lines[0], f"{name!r} not named\n{shown}"
    # 3. no traceback, and nothing escaped the CLI's own error handling
    assert "Traceback" not in result.stdout and "Traceback" not in result.stderr, shown
    assert result.exception is None or isinstance(result.exception, SystemExit), shown
    # 4. the old output is untouched and nothing else appeared (no *.tmp, no folder, no partial file)
    assert keep.read_bytes() == KEEP_BYTES, shown
    after = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    assert after == before, f"new paths: {sorted(set(after) - set(before))}\n{shown}"


CASES = [
    # -- scheduler arguments given as flags: non-positive counts --------------------------------------------
    pytest.param(flags("cosine", "--t-max", "0", names="--t-max: must be an integer > 0"), id="flag-t-max-zero"),
    pytest.param(flags("cosine", "--t-max", "-5", names="--t-max: must be an integer > 0"), id="flag-t-max-negative"),
    pytest.param(flags("restarts", "--t0", "0", names="--t0: must be an integer > 0"), id="flag-t0-zero"),
    pytest.param(
        flags("step", "--step-size", "0", names="--step-size: must be an integer > 0"), id="flag-step-size-zero"
    ),
    pytest.param(
        flags("linear", "--total-iters", "0", names="--total-iters: must be an integer > 0"),
        id="flag-total-iters-zero",
    ),
    pytest.param(
        flags("polynomial", "--total-iters", "-1", names="--total-iters: must be an integer > 0"),
        id="flag-total-iters-negative",
    ),
    pytest.param(
        flags(
            "cyclic", "--base-lr", "0.001", "--max-lr", "0.1", "--step-size-up", "0", names="--step-size-up: must be"
        ),
        id="flag-step-size-up-zero",
    ),
    pytest.param(flags("cosine", "--t-max", "5", "--epochs", "0", names="--epochs: must be"), id="flag-epochs-zero"),
    pytest.param(
        flags("cosine", "--t-max", "5", "--epochs", "-3", names="--epochs: must be"), id="flag-epochs-negative"
    ),
    pytest.param(
        flags("cosine", "--t-max", "5", "--steps-per-epoch", "0", names="--steps-per-epoch: must be"),
        id="flag-steps-per-epoch-zero",
    ),
    pytest.param(flags("cosine", "--t-max", "5", "--warmup", "0", names="--warmup: must be"), id="flag-warmup-zero"),
    # -- wrong kinds of number -------------------------------------------------------------------------------
    pytest.param(
        flags("restarts", "--t0", "5", "--t-mult", "1.5", names="--t-mult: expected an integer >= 1, got '1.5'"),
        id="flag-t-mult-fraction",
    ),
    pytest.param(
        flags("restarts", "--t0", "5", "--t-mult", "0", names="--t-mult: must be an integer >= 1"),
        id="flag-t-mult-zero",
    ),
    pytest.param(
        flags("cosine", "--t-max", "ten", names="--t-max: expected an integer > 0, got 'ten'"), id="flag-t-max-string"
    ),
    pytest.param(
        flags("cosine", "--t-max", "5", "--epochs", "1e3", names="--epochs: expected an integer, got '1e3'"),
        id="flag-epochs-float-text",
    ),
    pytest.param(
        flags("cosine", "--t-max", "5", "--lr", "0x10", names="--lr: expected a number, got '0x10'"),
        id="flag-lr-not-a-number",
    ),
    pytest.param(
        flags("cosine", "--t-max", "5", "--eta-min", "0.1,0.2", names="--eta-min: expected a number, got a list"),
        id="flag-eta-min-list",
    ),
    # -- negative LRs, NaN and inf in flags ------------------------------------------------------------------
    pytest.param(
        flags("cosine", "--t-max", "5", "--lr", "-0.1", names="--lr: must be a number >= 0"), id="flag-lr-negative"
    ),
    pytest.param(
        flags("cosine", "--t-max", "5", "--eta-min", "-1e-5", names="--eta-min: must be a number >= 0"),
        id="flag-eta-min-negative",
    ),
    pytest.param(
        flags("cosine", "--t-max", "5", "--lr", "nan", names="--lr: expected a finite number"), id="flag-lr-nan"
    ),
    pytest.param(
        flags("cosine", "--t-max", "5", "--lr", "inf", names="--lr: expected a finite number"), id="flag-lr-inf"
    ),
    pytest.param(
        flags("cosine", "--t-max", "5", "--lr", "1e309", names="--lr: expected a finite number"),
        id="flag-lr-overflows-to-inf",
    ),
    pytest.param(
        flags("exponential", "--gamma", "nan", names="--gamma: expected a finite number"), id="flag-gamma-nan"
    ),
    pytest.param(
        flags("cosine", "--t-max", "5", "--eta-min", "-inf", names="--eta-min: expected a finite number"),
        id="flag-eta-min-minus-inf",
    ),
    # -- out-of-range factors ---------------------------------------------------------------------------------
    pytest.param(
        flags("step", "--step-size", "3", "--gamma", "-0.5", names="--gamma: must be a number > 0"),
        id="flag-gamma-negative",
    ),
    pytest.param(flags("exponential", "--gamma", "0", names="--gamma: must be a number > 0"), id="flag-gamma-zero"),
    pytest.param(
        flags("constant", "--factor", "1.5", names="--factor: must be a number >= 0 and <= 1"),
        id="flag-factor-above-one",
    ),
    pytest.param(
        flags(
            "plateau",
            "--factor",
            "1",
            "--metrics",
            "{d}/val.txt",
            names="--factor: must be a number > 0 and < 1",
            files={"val.txt": "1.0\n0.9\n0.8\n"},
        ),
        id="flag-plateau-factor-one",
    ),
    pytest.param(
        flags("onecycle", "--max-lr", "0.1", "--pct-start", "1", names="--pct-start: must be a number > 0 and < 1"),
        id="flag-pct-start-one",
    ),
    pytest.param(
        flags("onecycle", "--max-lr", "0.1", "--pct-start", "0", names="--pct-start: must be a number > 0 and < 1"),
        id="flag-pct-start-zero",
    ),
    pytest.param(
        flags("cosine", "--t-max", "5", "--warmup", "2", "--warmup-start-factor", "0", names="--warmup-start-factor:"),
        id="flag-warmup-start-factor-zero",
    ),
    pytest.param(
        flags("cyclic", "--base-lr", "0.2", "--max-lr", "0.1", names=("--base-lr:", "above max_lr")),
        id="flag-base-lr-above-max-lr",
    ),
    pytest.param(
        flags("cyclic", "--base-lr", "0.01,0.02", "--max-lr", "0.1", names="--base-lr: a list needs one value per"),
        id="flag-base-lr-list-wrong-length",
    ),
    # -- milestones --------------------------------------------------------------------------------------------
    pytest.param(
        flags("multistep", "--milestones", "", names="--milestones: expected a non-empty list"),
        id="flag-milestones-empty",
    ),
    pytest.param(
        flags("multistep", "--milestones", "30,30", names="--milestones: repeats at 30"), id="flag-milestones-duplicate"
    ),
    pytest.param(
        flags("multistep", "--milestones", "80,30", names="--milestones: is not sorted at 30"),
        id="flag-milestones-unsorted",
    ),
    pytest.param(
        flags("multistep", "--milestones", "0,10", names="--milestones[0]: must be an integer > 0"),
        id="flag-milestone-zero",
    ),
    pytest.param(
        flags("multistep", "--milestones", "30,abc", names="--milestones: expected a list of integers"),
        id="flag-milestones-not-integers",
    ),
    # -- names: scheduler, optimizer, choices, options, commands ------------------------------------------------
    pytest.param(
        flags(
            "step", "--step-size", "2", "--optimizer", "adan", names=("--optimizer: unknown optimizer 'adan'", "Adam")
        ),
        id="flag-optimizer-unknown",
    ),
    pytest.param(
        flags("cyclic", "--base-lr", "0.01", "--max-lr", "0.1", "--mode", "triangle", names=("--mode:", "triangular")),
        id="flag-choice-unknown",
    ),
    pytest.param(flags("cosine", "--t-maxx", "5", names="No such option: --t-maxx"), id="flag-option-unknown"),
    pytest.param(flags("cosin", "--t-max", "5", names=("No such command 'cosin'", "cosine")), id="command-unknown"),
    pytest.param(flags("cosine", "--t-max", "5", "--every", "0", names="'--every'"), id="flag-every-zero"),
    pytest.param(
        flags("cosine", "--key", "model.scheduler", "--t-max", "5", names="--key needs --config"),
        id="flag-key-without-config",
    ),
    # -- lr_lambda expressions as flags --------------------------------------------------------------------------
    pytest.param(
        flags(
            "lambda",
            "--lr-lambda",
            "__import__('os').system('true')",
            names=("--lr-lambda:", "__import__", "not allowed"),
        ),
        id="flag-lambda-import",
    ),
    pytest.param(
        flags("lambda", "--lr-lambda", "(0.9).__class__", names=("--lr-lambda:", "__class__", "not allowed")),
        id="flag-lambda-attribute",
    ),
    pytest.param(
        flags("lambda", "--lr-lambda", "0.95 **", names="--lr-lambda: '0.95 **' is not a valid expression"),
        id="flag-lambda-syntax-error",
    ),
    pytest.param(flags("lambda", "--lr-lambda", "  ", names="--lr-lambda: empty expression"), id="flag-lambda-empty"),
    # -- ReduceLROnPlateau metrics -----------------------------------------------------------------------------
    pytest.param(
        flags("plateau", names=("ReduceLROnPlateau needs one metric per epoch", "--metrics")), id="plateau-no-metrics"
    ),
    pytest.param(
        flags(
            "plateau",
            "--metrics",
            "{d}/val.txt",
            "--epochs",
            "10",
            names="--metrics: 3 metric values for 10 epochs",
            files={"val.txt": "1.0\n0.9\n0.8\n"},
        ),
        id="plateau-too-few-metrics",
    ),
    pytest.param(
        flags(
            "plateau",
            "--metrics",
            "{d}/val.txt",
            names="--metrics {d}/val.txt:4: 'abc' is not a number",
            files={"val.txt": "val_loss\n1.0\n0.9\nabc\n0.8\n"},
        ),
        id="metrics-file-non-number",
    ),
    pytest.param(
        flags(
            "plateau",
            "--metrics",
            "{d}/val.txt",
            names="--metrics {d}/val.txt:2: 'nan' is not a finite number",
            files={"val.txt": "1.0\nnan\n0.8\n"},
        ),
        id="metrics-file-nan",
    ),
    pytest.param(
        flags(
            "plateau",
            "--metrics",
            "{d}/val.txt",
            names="--metrics {d}/val.txt: no numbers found",
            files={"val.txt": "val_loss\n"},
        ),
        id="metrics-file-no-numbers",
    ),
    pytest.param(
        flags("plateau", "--metrics", "{d}/missing.txt", names="--metrics {d}/missing.txt: no such file"),
        id="metrics-file-missing",
    ),
    # -- run length ----------------------------------------------------------------------------------------------
    pytest.param(
        flags("cosine", "--t-max", "5", "--epochs", "2000001", names=("--epochs:", "limit of 2,000,000")),
        id="too-long-run-epochs",
    ),
    pytest.param(
        flags(
            "cosine",
            "--t-max",
            "5",
            "--epochs",
            "1000",
            "--steps-per-epoch",
            "100000",
            names=("--epochs:", "limit of 2,000,000", "--steps-per-epoch"),
        ),
        id="too-long-run-steps-per-epoch",
    ),
    # -- YAML: arguments of the scheduler ---------------------------------------------------------------------------
    pytest.param(
        render(
            "scheduler:\n  name: CosineAnnealingWarmRestarts\n  T_0: 5\n  T_mul: 2\n",
            "{d}/wr.yaml:4: scheduler.T_mul: unknown argument of CosineAnnealingWarmRestarts",
            "did you mean T_mult?",
            name="wr.yaml",
        ),
        id="yaml-unknown-argument-suggests",
    ),
    pytest.param(
        render(
            "scheduler: {name: CosineAnealingLR, T_max: 10}\n",
            "{d}/c.yaml:1: scheduler.name: unknown scheduler 'CosineAnealingLR'",
            "did you mean CosineAnnealingLR",
        ),
        id="yaml-unknown-scheduler-suggests",
    ),
    pytest.param(
        render(
            "scheduler:\n  name: CosineAnnealingWarmRestarts\n  T_0: 5\n  T_mult: 1.5\n",
            "{d}/c.yaml:4: scheduler.T_mult: expected an integer, got 1.5",
        ),
        id="yaml-t-mult-fraction",
    ),
    pytest.param(
        render("scheduler:\n  name: CosineAnnealingWarmRestarts\n  T_0: 0\n", "{d}/c.yaml:3: scheduler.T_0: must be"),
        id="yaml-t0-zero",
    ),
    pytest.param(
        render(
            "scheduler: {name: CyclicLR, base_lr: 0.01, max_lr: 0.1, step_size_up: -4}\n",
            "{d}/c.yaml:1: scheduler.step_size_up: must be an integer > 0",
        ),
        id="yaml-step-size-up-negative",
    ),
    pytest.param(
        render("scheduler: {name: LinearLR, total_iters: 0}\n", "{d}/c.yaml:1: scheduler.total_iters: must be"),
        id="yaml-total-iters-zero",
    ),
    pytest.param(
        render(
            "scheduler:\n  name: CosineAnnealingWarmRestarts\n  T_0: ten\n",
            "{d}/c.yaml:3: scheduler.T_0: expected an integer, got the string 'ten'",
        ),
        id="yaml-string-for-integer",
    ),
    pytest.param(
        render(
            "scheduler:\n  name: CosineAnnealingLR\n  T_max: [10]\n",
            "{d}/c.yaml:3: scheduler.T_max: expected an integer, got a list",
        ),
        id="yaml-list-for-integer",
    ),
    pytest.param(
        render("epochs: 10\nlr: [0.1]\n" + STEP, "{d}/c.yaml:2: lr: expected a number, got a list"),
        id="yaml-list-for-lr",
    ),
    pytest.param(
        render(
            "scheduler:\n  name: CosineAnnealingLR\n  T_max: true\n",
            "{d}/c.yaml:3: scheduler.T_max: expected an integer, got true",
        ),
        id="yaml-bool-for-integer",
    ),
    pytest.param(
        render(
            "scheduler:\n  name: CosineAnnealingLR\n  T_max: 10\n  eta_min: -1.0e-5\n",
            "{d}/c.yaml:4: scheduler.eta_min: must be a number >= 0",
        ),
        id="yaml-eta-min-negative",
    ),
    pytest.param(render("lr: -0.1\n" + STEP, "{d}/c.yaml:1: lr: must be a number >= 0"), id="yaml-lr-negative"),
    pytest.param(
        render(
            "scheduler: {name: MultiStepLR, milestones: []}\n",
            "{d}/c.yaml:1: scheduler.milestones: expected a non-empty list",
        ),
        id="yaml-milestones-empty",
    ),
    pytest.param(
        render(
            "scheduler:\n  name: MultiStepLR\n  milestones: [10, 20, 20]\n",
            "{d}/c.yaml:3: scheduler.milestones: repeats at 20",
        ),
        id="yaml-milestones-duplicate",
    ),
    pytest.param(
        render(
            "scheduler:\n  name: MultiStepLR\n  milestones: [30, 10]\n",
            "{d}/c.yaml:3: scheduler.milestones: is not sorted at 10",
        ),
        id="yaml-milestones-unsorted",
    ),
    pytest.param(
        render(
            "scheduler: {name: OneCycleLR, max_lr: 0.1, pct_start: 1.5}\n",
            "{d}/c.yaml:1: scheduler.pct_start: must be a number > 0 and < 1",
        ),
        id="yaml-pct-start-above-one",
    ),
    pytest.param(
        render("scheduler: {name: ExponentialLR, gamma: 0}\n", "{d}/c.yaml:1: scheduler.gamma: must be a number > 0"),
        id="yaml-gamma-zero",
    ),
    pytest.param(
        render(
            "scheduler: {name: ConstantLR, factor: -0.5}\n",
            "{d}/c.yaml:1: scheduler.factor: must be a number >= 0 and <= 1",
        ),
        id="yaml-factor-negative",
    ),
    pytest.param(
        render(
            "scheduler: {name: CyclicLR, base_lr: 0.01, max_lr: 0.1, mode: triangle}\n",
            "{d}/c.yaml:1: scheduler.mode: expected one of",
            "did you mean triangular",
        ),
        id="yaml-choice-unknown",
    ),
    pytest.param(
        render(
            "scheduler: {name: StepLR, step_size: 2, last_epoch: 4}\n",
            "{d}/c.yaml:1: scheduler.last_epoch: lrviz always starts a schedule at epoch 0",
        ),
        id="yaml-last-epoch",
    ),
    pytest.param(
        render(
            "scheduler:\n  name: SequentialLR\n  milestones: [3, 6]\n  schedulers:\n"
            "    - {name: LinearLR, total_iters: 3}\n    - {name: CosineAnnealingLR, T_max: 10}\n",
            "{d}/c.yaml:3: scheduler.milestones: SequentialLR with 2 schedulers needs 1 milestone(s), got 2",
        ),
        id="yaml-sequential-milestone-count",
    ),
    pytest.param(
        render(
            "optimizer: {name: Adamm}\n" + STEP,
            "{d}/c.yaml:1: optimizer.name: unknown optimizer 'Adamm'",
            "did you mean Adam",
        ),
        id="yaml-optimizer-unknown",
    ),
    # -- YAML: NaN and inf (.nan, .inf), also inside optimizer options and metrics ------------------------------------
    pytest.param(
        render(
            "scheduler:\n  name: CosineAnnealingLR\n  T_max: 10\n  eta_min: .nan\n",
            "{d}/c.yaml:4: scheduler.eta_min: expected a finite number, got nan",
        ),
        id="yaml-eta-min-nan",
    ),
    pytest.param(
        render("optimizer: {name: Adam, lr: .inf}\n" + STEP, "{d}/c.yaml:1: optimizer.lr: expected a finite number"),
        id="yaml-lr-inf",
    ),
    pytest.param(
        render(
            "scheduler: {name: StepLR, step_size: 2, gamma: 1e400}\n",
            "{d}/c.yaml:1: scheduler.gamma: expected a finite number, got inf",
        ),
        id="yaml-float-overflows-to-inf",
    ),
    pytest.param(
        render(
            "optimizer:\n  name: AdamW\n  lr: 0.001\n  weight_decay: .nan\n" + STEP,
            "{d}/c.yaml:4: optimizer.weight_decay: expected a finite number, got nan",
        ),
        id="yaml-optimizer-option-nan",
    ),
    pytest.param(
        render(
            "optimizer:\n  name: Adam\n  betas: [0.9, .inf]\n" + STEP,
            "{d}/c.yaml:3: optimizer.betas: expected a finite number, got inf",
        ),
        id="yaml-optimizer-option-list-inf",
    ),
    pytest.param(
        render(
            "optimizer:\n  param_groups:\n    - {name: backbone, lr: 0.01}\n    - {name: head, lr: .nan}\n" + STEP,
            "{d}/c.yaml:4: optimizer.param_groups[1].lr: expected a finite number",
        ),
        id="yaml-param-group-lr-nan",
    ),
    pytest.param(
        render("metrics: [1.0, .nan, 0.5]\n" + PLATEAU, "{d}/c.yaml:1: metrics[1]: expected a finite number, got nan"),
        id="yaml-metrics-nan",
    ),
    pytest.param(
        render("metrics:\n  - 1.0\n  - -.inf\n" + PLATEAU, "metrics[1]: expected a finite number, got -inf"),
        id="yaml-metrics-minus-inf",
    ),
    pytest.param(
        render("metrics: [1.0, low]\n" + PLATEAU, "{d}/c.yaml:1: metrics[1]: expected a number, got the string 'low'"),
        id="yaml-metrics-string",
    ),
    # -- YAML: run keys ----------------------------------------------------------------------------------------------------
    pytest.param(render("epochs: 0\n" + STEP, "{d}/c.yaml:1: epochs: must be an integer > 0"), id="yaml-epochs-zero"),
    pytest.param(
        render(
            "epoch: 10\n" + STEP, "{d}/c.yaml:1: epoch: unknown key (did you mean epochs?)", "top-level keys are epochs"
        ),
        id="yaml-unknown-top-level-key",
    ),
    pytest.param(
        render("interval: hourly\n" + STEP, "{d}/c.yaml:1: interval: expected epoch or step, got the string 'hourly'"),
        id="yaml-interval-unknown",
    ),
    pytest.param(
        render("epochs: 100000\nsteps_per_epoch: 1000\n" + STEP, "{d}/c.yaml:1: epochs:", "limit of 2,000,000"),
        id="yaml-too-long-run",
    ),
    pytest.param(
        render(PLATEAU, "{d}/c.yaml:1: scheduler: ReduceLROnPlateau needs one metric per epoch"),
        id="yaml-plateau-no-metrics",
    ),
    pytest.param(
        render(
            "epochs: 10\nmetrics: [1.0, 0.9, 0.8]\n" + PLATEAU, "{d}/c.yaml:2: metrics: 3 metric values for 10 epochs"
        ),
        id="yaml-plateau-too-few-metrics",
    ),
    pytest.param(
        render(
            "metrics: [1, 2, 3, 4, 5]\nscheduler:\n  name: SequentialLR\n  milestones: [3]\n  schedulers:\n"
            "    - {name: LinearLR, total_iters: 3}\n    - {name: ReduceLROnPlateau}\n",
            "{d}/c.yaml:2: scheduler: ReduceLROnPlateau cannot be nested",
        ),
        id="yaml-plateau-nested",
    ),
    # -- YAML: the document itself --------------------------------------------------------------------------------------
    pytest.param(render("", "{d}/c.yaml: the file is empty"), id="yaml-empty"),
    pytest.param(render("# nothing here\n\n", "{d}/c.yaml: the file is empty"), id="yaml-comments-only"),
    pytest.param(render("- scheduler\n- StepLR\n", "{d}/c.yaml: the top level is a list"), id="yaml-top-level-list"),
    pytest.param(render("StepLR\n", "{d}/c.yaml: the top level is a str"), id="yaml-top-level-scalar"),
    pytest.param(
        render(
            "epochs: 10\nscheduler:\n  name: StepLR\n   step_size: 2\n", "{d}/c.yaml:4: mapping values are not allowed"
        ),
        id="yaml-syntax-error-indent",
    ),
    pytest.param(
        render("epochs: 10\nscheduler: {name: StepLR, step_size: 2\n", "{d}/c.yaml:3: expected ',' or '}'"),
        id="yaml-syntax-error-unclosed",
    ),
    pytest.param(
        render(
            "epochs: 10\nscheduler:\n  name: StepLR\n  step_size: 2\n  step_size: 3\n",
            "{d}/c.yaml:5: duplicate key 'scheduler.step_size' (first set on line 4)",
        ),
        id="yaml-duplicate-key",
    ),
    pytest.param(
        render(
            "epochs: !!python/object/apply:os.system ['touch pwned']\n" + STEP,
            "{d}/c.yaml:1: the tag",
            "python/object/apply:os.system is not allowed",
        ),
        id="yaml-python-object-apply-tag",
    ),
    pytest.param(
        render("scheduler: !!python/name:os.system\n", "{d}/c.yaml:1: the tag", "python/name:os.system is not allowed"),
        id="yaml-python-name-tag",
    ),
    pytest.param(
        render(ALIAS_BOMB + STEP, "{d}/c.yaml: the document with its aliases expanded", "LRVIZ_MAX_EXPANDED_NODES"),
        id="yaml-alias-bomb",
    ),
    pytest.param(render("a: &a [*a]\n" + STEP, "{d}/c.yaml:1: a recursive alias"), id="yaml-recursive-alias"),
    pytest.param(
        render("epochs: " + "[" * 20000 + "]" * 20000 + "\n" + STEP, "{d}/c.yaml", "LRVIZ_MAX_NESTING"),
        id="yaml-nested-too-deeply",
    ),
    pytest.param(render("? [a, b]\n: 1\n" + STEP, "{d}/c.yaml:1: found unhashable key"), id="yaml-unhashable-key"),
    # -- config files that cannot be read -------------------------------------------------------------------------------
    pytest.param(flags("render", "{d}/missing.yaml", names="{d}/missing.yaml: no such file"), id="config-missing"),
    pytest.param(
        flags("cosine", "--config", "{d}/missing.yaml", names="{d}/missing.yaml: no such file"),
        id="config-flag-missing",
    ),
    pytest.param(
        flags("render", "{d}/conf.yaml", names="{d}/conf.yaml: is a directory", files={"conf.yaml": DIR}),
        id="config-directory",
    ),
    pytest.param(
        render(b"scheduler:\x00\x01\x02\xff", "{d}/c.yaml: is a binary file"),
        id="config-binary",
    ),
    pytest.param(
        render("title: caf\xe9\n".encode("latin-1") + STEP.encode(), "{d}/c.yaml: is not UTF-8 text"),
        id="config-not-utf8",
    ),
    pytest.param(
        render("#" + "x" * (1024 * 1024) + "\n" + STEP, "{d}/c.yaml:", "larger than the 1,048,576-byte limit"),
        id="config-over-1mib",
    ),
    # -- Hydra / Lightning nodes and --key --------------------------------------------------------------------------------
    pytest.param(
        render(
            "scheduler:\n  _target_: os.system\n  command: touch pwned\n",
            "{d}/c.yaml:2: scheduler._target_: os.system is the project's own scheduler class, not one of "
            "torch.optim.lr_scheduler; lrviz imports a user's class only when asked: --allow-import os",
        ),
        id="hydra-target-os-system",
    ),
    pytest.param(
        render(
            "lr_scheduler:\n  class_path: subprocess.Popen\n  init_args: {args: ls}\n",
            "{d}/c.yaml:2: lr_scheduler.class_path: subprocess.Popen is the project's own scheduler class",
        ),
        id="lightning-class-path-subprocess",
    ),
    pytest.param(
        render(
            "optimizer: {_target_: os.system}\n" + STEP,
            "{d}/c.yaml:1: optimizer._target_: 'os.system' is not a torch.optim class; lrviz steps the schedule "
            "with a dummy torch optimizer, so name the closest one with --optimizer (e.g. adamw) and --lr",
        ),
        id="hydra-optimizer-target-os-system",
    ),
    pytest.param(
        flags(
            "cosine",
            "--config",
            "{d}/train.yaml",
            "--key",
            "model.sched",
            names=("{d}/train.yaml: --key model.sched: no key 'sched' under model", "did you mean scheduler?"),
            files={"train.yaml": "model:\n  scheduler:\n    _target_: torch.optim.lr_scheduler.CosineAnnealingLR\n"},
        ),
        id="key-names-missing-node",
    ),
    pytest.param(
        flags(
            "render",
            "{d}/train.yaml",
            "--key",
            "model.layers",
            names="{d}/train.yaml:2: model.layers: --key must name a mapping, got list",
            files={"train.yaml": "model:\n  layers: [1, 2]\n" + STEP},
        ),
        id="key-names-a-list",
    ),
    pytest.param(
        flags(
            "cosine",
            "--config",
            "{d}/step.yaml",
            names=(
                "{d}/step.yaml:2: scheduler.name: the file describes StepLR, but this command builds CosineAnnealingLR",
                "lrviz render",
            ),
            files={"step.yaml": "epochs: 5\n" + STEP},
        ),
        id="subcommand-config-mismatch",
    ),
    # -- lr_lambda in YAML -------------------------------------------------------------------------------------------------
    pytest.param(
        render(
            "scheduler:\n  name: LambdaLR\n  lr_lambda: \"__import__('os').system('touch pwned')\"\n",
            "{d}/c.yaml:3: scheduler.lr_lambda: the call",
            "__import__",
        ),
        id="yaml-lambda-import",
    ),
    pytest.param(
        render(
            'scheduler:\n  name: LambdaLR\n  lr_lambda: "epoch.__class__.__bases__"\n',
            "{d}/c.yaml:3: scheduler.lr_lambda: the expression 'epoch.__class__.__bases__' is not allowed",
        ),
        id="yaml-lambda-attribute",
    ),
    pytest.param(
        render(
            'scheduler:\n  name: LambdaLR\n  lr_lambda: "0.95 ** (epoch"\n',
            "{d}/c.yaml:3: scheduler.lr_lambda: '0.95 ** (epoch' is not a valid expression",
        ),
        id="yaml-lambda-syntax-error",
    ),
    # -- outputs ------------------------------------------------------------------------------------------------------------
    pytest.param(
        flags(
            "cosine", "--t-max", "5", "-o", "{keep}", "-o", "{d}/plot.bmp", names=("-o/--out {d}/plot.bmp", "'.bmp'")
        ),
        id="output-unknown-suffix",
    ),
    pytest.param(
        flags(
            "cosine", "--t-max", "5", "-o", "{keep}", "-o", "{d}/plot", names="-o/--out {d}/plot: unknown output format"
        ),
        id="output-no-suffix",
    ),
    pytest.param(
        flags("cosine", "--t-max", "5", "-o", "{keep}", "-o", "{keep}", names="-o/--out {d}/keep.csv: given twice"),
        id="output-given-twice",
    ),
    pytest.param(
        flags(
            "cosine",
            "--t-max",
            "5",
            "-o",
            "{keep}",
            "-o",
            "{d}/./keep.csv",
            names="-o/--out {d}/keep.csv: given twice",
        ),
        id="output-given-twice-spelled-differently",
    ),
    pytest.param(
        flags(
            "render",
            "{d}/a.yaml",
            "{d}/b.yaml",
            "-o",
            "{keep}",
            names=("-o/--out takes one config", "--out-dir"),
            files={"a.yaml": STEP, "b.yaml": STEP},
        ),
        id="render-o-with-several-configs",
    ),
    pytest.param(
        flags(
            "render",
            "{d}/a.yaml",
            "--out-dir",
            "{d}/plots",
            "--format",
            "png,bmp",
            names=("--format", "'.bmp'"),
            files={"a.yaml": STEP},
        ),
        id="render-format-unknown",
    ),
    pytest.param(
        flags(
            "cosine",
            "--t-max",
            "5",
            "-o",
            "{keep}",
            "-o",
            "{d}/blocker/out.csv",
            code=2,
            names="{d}/blocker/out.csv: a part of the path is a file",
            files={"blocker": "a regular file\n"},
        ),
        id="output-parent-is-a-file",
    ),
    pytest.param(
        flags(
            "cosine",
            "--t-max",
            "5",
            "-o",
            "{keep}",
            "-o",
            "{d}/plot.png",
            code=2,
            names="{d}/plot.png: is a directory",
            files={"plot.png": DIR},
        ),
        id="output-is-a-directory",
    ),
    # -- runtime failures: PyTorch raising while stepping, LR blowing up -------------------------------------------------
    pytest.param(
        flags(
            "onecycle",
            "--max-lr",
            "0.1",
            "--total-steps",
            "10",
            "--epochs",
            "20",
            code=2,
            names=("OneCycleLR raised at epoch 10", "total steps is 10"),
        ),
        id="runtime-onecycle-total-steps-too-short",
    ),
    pytest.param(
        render(
            "epochs: 10\nscheduler: {name: OneCycleLR, max_lr: 0.1, total_steps: 5}\n",
            "OneCycleLR raised at epoch 5",
            "total steps is 5",
            code=2,
        ),
        id="runtime-yaml-onecycle-total-steps-too-short",
    ),
    pytest.param(
        flags("lambda", "--lr-lambda", "epoch / 0", code=2, names="lr_lambda 'epoch / 0' failed at epoch 0"),
        id="runtime-lambda-division-by-zero",
    ),
    pytest.param(
        flags(
            "exponential",
            "--gamma",
            "10",
            "--epochs",
            "1000",
            code=2,
            names=("ExponentialLR(gamma=10)", "beyond what a float32 optimizer step can use"),
        ),
        id="runtime-lr-overflows",
    ),
    # -- defects found by this suite, now fixed (the reason says what used to happen) ------------------------------------
    fixed(
        flags("cosine", "--t-max", HUGE_INT, names="--t-max:"),
        "flag-t-max-huge-integer",
        "math.isfinite() on a 401-digit int raises OverflowError in config._number: "
        "'Error: internal error: OverflowError: int too large to convert to float', exit 1 instead of 2",
    ),
    fixed(
        render("epochs: " + HUGE_INT + "\n" + STEP, "{d}/c.yaml:1: epochs:"),
        "yaml-epochs-huge-integer",
        "same OverflowError in config._number for a YAML integer: internal error, exit 1, no file or key named",
    ),
    fixed(
        flags("restarts", "--t0", "5", "--t-mult", "100000", names="--t-mult"),
        "default-epochs-too-long-blames-epochs",
        "the run length derived from T_0/T_mult exceeds the limit, but the message blames 'epochs:' "
        "(never given) and does not mention --t-mult/--t0",
    ),
    fixed(
        render("optimizer: {name: SGD, foo: 1}\n" + STEP, "{d}/c.yaml:1: optimizer.foo"),
        "yaml-optimizer-unknown-option",
        "'Error: optimizer SGD: PyTorch rejected the options: SGD.__init__() got an unexpected keyword "
        "argument 'foo'' names neither the file nor the key path optimizer.foo",
    ),
    fixed(
        flags(
            "cosine",
            "--config",
            "{d}/train.yaml",
            "--key",
            "model.scheduler",
            names=("model.scheduler._target_", "os.system"),
            files={"train.yaml": "model:\n  scheduler:\n    _target_: os.system\n    command: touch pwned\n"},
        ),
        "hydra-nested-target-os-system",
        "a nested Hydra node with _target_: os.system is reported as 'no `scheduler:` mapping at "
        "model.scheduler'; the disallowed _target_ is not named",
    ),
    fixed(
        flags(
            "render",
            "{d}/a.yaml",
            "-o",
            "{keep}",
            "--out-dir",
            "{d}/plots",
            names=("-o/--out", "--out-dir"),
            files={"a.yaml": STEP},
        ),
        "render-o-and-out-dir-together",
        "-o is silently ignored when --out-dir is given: exit 0 and plots/a.png is written instead",
    ),
    fixed(
        flags(
            "cosine",
            "--t-max",
            "5",
            "-o",
            "{keep}",
            "-o",
            "{d}/new/sub/out.csv",
            "-o",
            "{d}/blocker/out.csv",
            code=2,
            names="{d}/blocker/out.csv: a part of the path is a file",
            files={"blocker": "a regular file\n"},
        ),
        "failed-write-leaves-new-folders",
        "AtomicWriter.open mkdirs each target's parent as it goes; when a later output fails, "
        "the folders new/ and new/sub/ are left behind although nothing was written",
    ),
]


@pytest.mark.parametrize("case", CASES)
def test_bad_input(case: Case, tmp_path: Path) -> None:
    check_bad_input(tmp_path, case)


def test_cases_are_distinct_and_enough() -> None:
    cases = [p.values[0] for p in CASES]
    assert len(cases) >= 45
    assert len({(c.args, tuple(sorted((k, repr(v)) for k, v in c.files.items()))) for c in cases}) == len(cases)


@pytest.mark.skipif(not Path("/dev/fd").is_dir(), reason="needs /dev/fd")
# Once failed: the 1 MiB limit was checked with stat().st_size, 0 for a pipe, so the whole stream was read.
def test_config_over_1mib_from_a_pipe(tmp_path: Path) -> None:
    data = ("#" + "x" * (2 * 1024 * 1024) + "\nepochs: 3\n" + STEP).encode()
    read_end, write_end = os.pipe()

    def feed() -> None:
        view = memoryview(data)
        try:
            while view:
                view = view[os.write(write_end, view[:65536]) :]
        except OSError:
            pass  # the reader went away without reading everything
        finally:
            os.close(write_end)

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    try:
        pipe = f"/dev/fd/{read_end}"
        check_bad_input(tmp_path, Case(("render", pipe), 2, (pipe, "1,048,576-byte limit")))
    finally:
        os.close(read_end)
        writer.join(timeout=10)

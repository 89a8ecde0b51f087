"""``lrviz.code`` for a torch run (frameworks/torch/code.py): the code, run as is, gives lrviz's curve exactly.

Each snippet's setup is exec()'d, a step pre-hook on the optimizer records every
param group's LR at each optimizer step, and the snippet's own training loop
is exec()'d: the recorded LRs must equal ``lrviz.simulate``'s curve with ``==``.
The snippets are also run through ``ruff format`` and ``ruff check`` as files.
"""

from __future__ import annotations

import ast
import copy
import math
import shutil
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import pytest

import lrviz
from lrviz.api import simulate
from lrviz.errors import ScheduleError
from lrviz.expr import Expression
from lrviz.frameworks.torch.code import METRIC_FUNCTION, _expr, pytorch_code
from lrviz.model import RunConfig
from lrviz.schedules import SCHEDULERS
from tests.conftest import make_run

METRICS = [1.0, 0.8, 0.7, 0.7, 0.7, 0.7, 0.6, 0.5, 0.5, 0.5, 0.5, 0.5, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4]


def _sample(spec: Any, steps_per_epoch: int) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "epochs": 16,
        "steps_per_epoch": steps_per_epoch,
        "optimizer": {"name": "Adam", "lr": 0.05, "betas": [0.9, 0.99]},
        "scheduler": {"name": spec.name, **copy.deepcopy(dict(spec.sample))},
    }
    if spec.name == "ReduceLROnPlateau":
        doc["metrics"] = METRICS
    return doc


SAMPLES = {f"{s.name}-x{n}": _sample(s, n) for s in SCHEDULERS for n in (1, 3)}
CASES: dict[str, dict[str, Any]] = {
    "warmup-cosine": {
        "epochs": 30,
        "warmup": 5,
        "optimizer": {"name": "AdamW", "lr": 3e-4, "weight_decay": 0.01},
        "scheduler": {"name": "CosineAnnealingLR", "T_max": 25, "eta_min": 1e-5},
    },
    "warmup-cosine-yaml": {
        "epochs": 20,
        "scheduler": {
            "name": "SequentialLR",
            "schedulers": [
                {"name": "LinearLR", "start_factor": 0.01, "end_factor": 1.0, "total_iters": 4},
                {"name": "CosineAnnealingLR", "T_max": 16, "eta_min": 1e-6},
            ],
            "milestones": [4],
        },
    },
    "two-param-groups": {
        "epochs": 12,
        "optimizer": {
            "name": "SGD",
            "lr": 0.1,
            "momentum": 0.9,
            "nesterov": True,
            "param_groups": [
                {"name": "backbone", "lr": 0.001, "weight_decay": 1e-4},
                {"name": "head with a rather long name, to push its line past 88 columns", "lr": 0.01},
            ],
        },
        "scheduler": {"name": "StepLR", "step_size": 3, "gamma": 0.5},
    },
    "two-groups-lambdas": {
        "epochs": 15,
        "optimizer": {"param_groups": [{"lr": 0.02}, {"lr": 0.2}]},
        "scheduler": {
            "name": "LambdaLR",
            "lr_lambda": ["min(1, (epoch + 1) / 5) * 0.5 * (1 + cos(pi * epoch / 15))", "0.9 ** floor(epoch / 3)"],
        },
    },
    "onecycle-per-step": {
        "epochs": 5,
        "steps_per_epoch": 8,
        "optimizer": {"name": "SGD", "lr": 0.01, "momentum": 0.9},
        "scheduler": {"name": "OneCycleLR", "max_lr": 0.4, "pct_start": 0.25, "anneal_strategy": "linear"},
    },
    "onecycle-total-steps-groups": {
        "epochs": 4,
        "steps_per_epoch": 5,
        "optimizer": {"name": "AdamW", "param_groups": [{"lr": 0.001}, {"lr": 0.01}]},
        "scheduler": {"name": "OneCycleLR", "max_lr": [0.01, 0.1], "total_steps": 20, "three_phase": True},
    },
    "restarts-fractional": {
        "epochs": 16,
        "steps_per_epoch": 4,
        "scheduler": {"name": "CosineAnnealingWarmRestarts", "T_0": 3, "T_mult": 2, "eta_min": 0.001},
    },
    "plateau-metrics": {
        "epochs": 20,
        "metrics": METRICS,
        "optimizer": {"name": "Adam", "lr": 0.001},
        "scheduler": {
            "name": "ReduceLROnPlateau",
            "mode": "min",
            "factor": 0.5,
            "patience": 2,
            "threshold_mode": "abs",
            "cooldown": 1,
        },
    },
    "plateau-max": {
        "epochs": 12,
        "metrics": [0.5, 0.6, 0.6, 0.6, 0.6, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7],
        "scheduler": {"name": "ReduceLROnPlateau", "mode": "max", "patience": 1, "min_lr": 0.01},
    },
    "nested-chained": {
        # (a ChainedScheduler after the first child of a SequentialLR makes PyTorch raise NotImplementedError)
        "epochs": 18,
        "steps_per_epoch": 2,
        "scheduler": {
            "name": "ChainedScheduler",
            "schedulers": [
                {
                    "name": "SequentialLR",
                    "schedulers": [
                        {"name": "ConstantLR", "factor": 0.25, "total_iters": 3},
                        {
                            "name": "MultiplicativeLR",
                            "lr_lambda": "0.9 if 2 <= epoch % 6 < 5 and not epoch == 4 else 1",
                        },
                    ],
                    "milestones": [3],
                },
                {"name": "MultiStepLR", "milestones": [5, 9], "gamma": 0.5},
            ],
        },
    },
    "warmup-onecycle-per-step": {
        "epochs": 6,
        "steps_per_epoch": 4,
        "warmup": 1,
        "scheduler": {"name": "OneCycleLR", "max_lr": 0.3},
    },
    "cosine-interval-step": {
        "epochs": 4,
        "steps_per_epoch": 3,
        "interval": "step",
        "scheduler": {"name": "CosineAnnealingLR", "T_max": 6},
    },
    "onecycle-interval-epoch": {
        "epochs": 10,
        "steps_per_epoch": 2,
        "interval": "epoch",
        "scheduler": {"name": "OneCycleLR", "max_lr": 0.2},
    },
    "integer-lr": {
        "epochs": 6,
        "optimizer": {"name": "SGD", "lr": 1, "param_groups": [{"lr": 2}, {}]},
        "scheduler": {"name": "LinearLR", "start_factor": 0.5, "total_iters": 3},
    },
    "cyclic-groups": {
        "epochs": 6,
        "steps_per_epoch": 5,
        "optimizer": {"name": "SGD", "momentum": 0.9, "param_groups": [{"lr": 0.01}, {"lr": 0.02}]},
        "scheduler": {"name": "CyclicLR", "base_lr": [0.001, 0.002], "max_lr": 0.1, "step_size_up": 4},
    },
}
ALL = {**SAMPLES, **CASES}


def run_snippet(run: RunConfig) -> tuple[list[list[float]], list[tuple[Any, ...]]]:
    """Exec the snippet: the LR of every group before each optimizer step, and what it printed."""
    code = pytorch_code(run)
    printed: list[tuple[Any, ...]] = []
    namespace: dict[str, Any] = {"print": lambda *args: printed.append(args)}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the snippet must run as cleanly as lrviz's own stepping
        exec(compile(code.setup, "<setup>", "exec"), namespace)  # noqa: S102 - our own generated code
        optimizer = namespace["optimizer"]
        seen: list[list[float]] = [[] for _ in optimizer.param_groups]

        def record(opt: Any, args: Any, kwargs: Any) -> None:
            for g, group in enumerate(opt.param_groups):
                seen[g].append(group["lr"])

        # a pre-hook runs inside every real optimizer.step(), before the update: the LR that step uses
        optimizer.register_step_pre_hook(record)
        if run.metrics is not None:
            assert METRIC_FUNCTION in namespace
            namespace[METRIC_FUNCTION] = lambda epoch: run.metrics[epoch]  # type: ignore[index]
        exec(compile(code.loop, "<loop>", "exec"), namespace)  # noqa: S102
    return seen, printed


@pytest.mark.parametrize("name", list(ALL))
def test_snippet_steps_exactly_as_lrviz(name: str) -> None:
    run = make_run(copy.deepcopy(ALL[name]))
    curve = simulate(run)
    seen, printed = run_snippet(run)
    assert seen == [list(series) for series in curve.lrs]  # exact: ==, not approx
    assert len(printed) == run.epochs
    n = run.steps_per_epoch
    for epoch, args in enumerate(printed):
        if len(run.optimizer.groups) == 1:
            assert args == (f"epoch {epoch}: lr {curve.lrs[0][epoch * n]}",)
        else:
            assert args == (f"epoch {epoch}: lr", [series[epoch * n] for series in curve.lrs])


def test_snippet_is_setup_then_loop_and_deterministic() -> None:
    run = make_run(copy.deepcopy(CASES["two-groups-lambdas"]))
    code = pytorch_code(run)
    text = lrviz.code(run)
    assert text == code.setup + "\n" + code.loop
    assert text == lrviz.code(make_run(copy.deepcopy(CASES["two-groups-lambdas"])))
    assert "from math import cos, floor, pi\n" in text
    assert "lambda epoch: 0.9 ** floor(epoch / 3)" in text
    assert code.loop.startswith("# Training loop")


def test_snippet_shapes() -> None:
    fractional = lrviz.code(make_run(copy.deepcopy(CASES["restarts-fractional"])))
    assert "scheduler.step(epoch + i / steps_per_epoch)" in fractional
    assert "steps_per_epoch = 4" in fractional
    onecycle = lrviz.code(make_run(copy.deepcopy(CASES["onecycle-per-step"])))
    assert "    epochs=5,\n    steps_per_epoch=8,\n" in onecycle
    assert "        scheduler.step()  # once per optimizer step" in onecycle
    total = lrviz.code(make_run(copy.deepcopy(CASES["onecycle-total-steps-groups"])))
    assert "total_steps=20" in total and "max_lr=[0.01, 0.1]" in total
    plateau = lrviz.code(make_run(copy.deepcopy(CASES["plateau-metrics"])))
    assert "scheduler.step(metric)" in plateau and f"def {METRIC_FUNCTION}(epoch):" in plateau
    groups = lrviz.code(make_run(copy.deepcopy(CASES["two-param-groups"])))
    assert '{"params": [params[0]], "lr": 0.001, "weight_decay": 0.0001},  # backbone' in groups
    assert "torch.optim.SGD(" in groups and "nesterov=True" in groups
    single = lrviz.code(make_run(copy.deepcopy(CASES["warmup-cosine"])))
    assert "model = torch.nn.Linear(10, 1)" in single
    assert "torch.optim.AdamW(model.parameters(), lr=0.0003, weight_decay=0.01)" in single


def test_standalone_snippet_runs() -> None:
    """Pasted as is (placeholders and all), each snippet runs without error."""
    for name in ("plateau-metrics", "nested-chained", "two-param-groups"):
        text = lrviz.code(make_run(copy.deepcopy(CASES[name])))
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            exec(compile(text, name, "exec"), {"print": lambda *args: None})  # noqa: S102


EXPRESSIONS = [
    "0.95 ** epoch",
    "-epoch ** 2",
    "(-epoch) ** 2",
    "2 ** -epoch",
    "2 ** 3 ** epoch",
    "(2 ** 3) ** epoch",
    "(epoch + 1) ** 0.5",
    "epoch - (1 - epoch)",
    "epoch - 1 - epoch",
    "epoch / (2 * 3)",
    "epoch // 3 % 2",
    "--epoch",
    "-(-epoch + 1)",
    "not (epoch < 3)",
    "(epoch < 3) < 2",
    "1 < epoch <= 4",
    "(1 if epoch else 2) if epoch > 3 else 3",
    "1 if epoch > 3 else 2 if epoch > 1 else 3",
    "1 if (epoch if epoch else 0) else 2",
    "(epoch or 1) and 2",
    "epoch or 1 and 2",
    "(epoch and 1) or 2",
    "not epoch and epoch",
    "-(not epoch) + 1",
    "max(1, epoch) ** 2 * e + pi",
    "min(1, (epoch + 1) / 5) * 0.5 * (1 + cos(pi * epoch / 15))",
    "abs(-epoch) + sqrt(epoch) + exp(-epoch) + log(epoch + 1) + sin(epoch) + ceil(epoch / 2)",
    "min(1e400, epoch) + 1.5e-07 + 3",
]


@pytest.mark.parametrize("source", EXPRESSIONS)
def test_lambda_source_is_the_same_expression(source: str) -> None:
    """The written expression parses to the same tree as the user's, so it computes the same values."""
    tree = ast.parse(source, mode="eval").body
    written = _expr(tree)
    assert ast.dump(ast.parse(written, mode="eval")) == ast.dump(ast.parse(source, mode="eval"))
    expression = Expression(source)
    names = {"min": min, "max": max, "abs": abs, **{n: getattr(math, n) for n in dir(math)}}
    as_python = eval(f"lambda epoch: {written}", names)  # noqa: S307 - our own generated code
    for epoch in (0, 1, 2, 3, 4, 7):
        try:
            expected = expression(epoch)
        except ScheduleError:
            continue  # lrviz refuses this value (a bool, a huge integer): no schedule uses it
        assert as_python(epoch) == expected


def _ruff() -> str:
    found = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    if found is None:
        pytest.fail("ruff is not installed: pip install -e '.[test]'")
    return found


def test_snippets_are_ruff_clean(tmp_path: Path) -> None:
    """Every snippet is as ``ruff format`` (default 88 columns) writes it, and lint-clean with lrviz's rules."""
    for name, doc in ALL.items():
        (tmp_path / f"{name.replace('-', '_')}.py").write_text(lrviz.code(make_run(copy.deepcopy(doc))))
    ruff = _ruff()
    formatted = subprocess.run(
        [ruff, "format", "--isolated", "--diff", "."], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert formatted.returncode == 0, formatted.stdout + formatted.stderr
    checked = subprocess.run(
        [ruff, "check", "--isolated", "--select", "E,W,F,I,B,UP", "--target-version", "py310", "."],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr

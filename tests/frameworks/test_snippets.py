"""Every snippet ``lrviz code`` prints, for every framework, runs and reproduces the curve it was printed for.

The rows are the real-world configs of ``tests/realworld`` that render (torch, Hugging Face,
timm, DeepSpeed; Hydra, Lightning and plain files): for each, ``lrviz code`` is run with the
row's own options, the printed script is executed as it is, and a global optimizer step
pre-hook records the LR of every optimizer step. Those LRs must equal (``==``) the row's
expected schedule, which the row computes with the framework's own class in a loop written
in the test helpers: the snippet is checked against the framework, not against lrviz.
"""

from __future__ import annotations

import contextlib
import importlib.util
import shlex
import sys
import types
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import torch
from torch.optim.optimizer import register_optimizer_step_pre_hook
from typer.testing import CliRunner

from lrviz.cli import app
from lrviz.frameworks.torch.code import METRIC_FUNCTION
from tests.realworld import test_issue18, test_realworld
from tests.realworld.helpers import CONFIGS, ENV_VARS, Case, Refusal, _argv, case_id, expected_lrs

#: Options of ``render`` that choose an output, which ``code`` does not take.
OUTPUT_OPTIONS = ("-o", "--output", "--format", "--out-dir")
#: Rows whose reference loop takes minutes (150,000 steps); test_codegen runs the same OneCycleLR code.
SLOW = test_realworld.SLOW


def _rows() -> list[Any]:
    rows = []
    for case in [*test_realworld.CASES, *test_issue18.CASES]:
        if isinstance(case.expect, Refusal) or not case.command.startswith("render ") or case_id(case) in SLOW:
            continue
        rows.append(pytest.param(case, id=case_id(case)))
    return rows


def hf_types() -> list[str]:
    """The transformers scheduler types (empty without transformers: those rows are not collected)."""
    if importlib.util.find_spec("transformers") is None:
        return []
    from lrviz.frameworks.hf.read import SCHEDULER_TYPES

    return list(SCHEDULER_TYPES)


def deepspeed_cases() -> list[str]:
    if importlib.util.find_spec("deepspeed") is None:
        return []
    from lrviz.frameworks.deepspeed.read import TYPES

    return list(TYPES)


def _code_argv(case: Case, metrics_file: Path) -> list[str]:
    words = _argv(case, metrics_file)[1:]
    out: list[str] = []
    skip = False
    for word in words:
        if skip:
            skip = False
        elif word in OUTPUT_OPTIONS:
            skip = True
        else:
            out.append(word)
    return ["code", *out]


@contextlib.contextmanager
def _recording(into: list[float]) -> Iterator[None]:
    """Every optimizer's first param group LR, just before each of its steps: the LR that step uses."""

    def hook(optimizer: torch.optim.Optimizer, args: Any, kwargs: Any) -> None:
        into.append(optimizer.param_groups[0]["lr"])

    handle = register_optimizer_step_pre_hook(hook)
    try:
        yield
    finally:
        handle.remove()


@contextlib.contextmanager
def _timm_scheduler_importable() -> Iterator[None]:
    """``from timm.scheduler import ...`` as a user's install gives it (timm here has no torchvision)."""
    from lrviz.frameworks.timm.step import timm_scheduler_module

    module = timm_scheduler_module()
    saved = {name: sys.modules.get(name) for name in ("timm", "timm.scheduler")}
    sys.modules["timm"] = types.ModuleType("timm")
    sys.modules["timm.scheduler"] = module
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = value


def run_snippet(text: str, metrics: tuple[float, ...] | None) -> list[float]:
    """Execute a printed snippet as a script; the LR of each optimizer step, in order."""
    if metrics is not None and f"def {METRIC_FUNCTION}(epoch):" in text:
        # torch's ReduceLROnPlateau snippet leaves the metric to the user: give it the row's.
        text = text.replace("    return 0.0\n", "    return __metrics__[epoch]\n", 1)
    lrs: list[float] = []
    namespace: dict[str, Any] = {"__name__": "__snippet__", "print": lambda *a, **k: None, "__metrics__": metrics}
    needs_timm = "from timm.scheduler import" in text
    with _recording(lrs), _timm_scheduler_importable() if needs_timm else contextlib.nullcontext():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exec(compile(text, "<lrviz code>", "exec"), namespace)  # noqa: S102 - lrviz's own output
    return lrs


@pytest.mark.parametrize("case", _rows())
def test_the_printed_snippet_reproduces_the_rows_curve(
    case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for module in case.requires:
        pytest.importorskip(module)
    for var in ENV_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(CONFIGS / case.cwd if case.cwd else tmp_path)
    metrics_file = tmp_path / "metrics.txt"
    if case.metrics is not None:
        metrics_file.write_text("".join(f"{m!r}\n" for m in case.metrics), encoding="utf-8")
    argv = _code_argv(case, metrics_file)
    result = CliRunner().invoke(app, argv)
    shown = f"lrviz {shlex.join(argv)}\nexit {result.exit_code}\nstderr:\n{result.stderr}"
    assert result.exit_code == 0, shown
    assert not isinstance(case.expect, Refusal)
    want = expected_lrs(case.expect, case.metrics)
    got = run_snippet(result.stdout, case.metrics)
    assert got == want, f"{shown}\n{result.stdout}"


def test_timms_plateau_snippet_passes_each_epochs_metric() -> None:
    import lrviz

    metrics = [1.0, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9]
    doc = {"sched": "plateau", "lr": 0.1, "epochs": 8, "warmup_epochs": 0, "patience_epochs": 1, "metrics": metrics}
    if importlib.util.find_spec("timm") is None:
        pytest.skip("timm is not installed")
    text = lrviz.code(doc)
    assert "scheduler.step(epoch + 1, eval_metrics[epoch])" in text
    curve = lrviz.simulate(doc)
    assert run_snippet(text, None) == curve.lr
    assert len(set(curve.lr)) > 1  # the metric plateaus, so the LR is cut: the metrics reached the scheduler


@pytest.mark.parametrize("name", sorted(hf_types()))
def test_every_hf_scheduler_types_snippet_reproduces_its_curve(name: str) -> None:
    import lrviz
    from tests.frameworks.hf import test_hf_schedulers as test_hf

    doc = {
        "lr_scheduler_type": name,
        "learning_rate": 3e-4,
        "warmup_steps": 10,
        "max_steps": 60,
        "lr_scheduler_kwargs": test_hf.KWARGS.get(name, {}),
    }
    if name in ("reduce_lr_on_plateau", "greedy"):
        doc |= {"eval_strategy": "steps", "eval_steps": 6, "metrics": test_hf.METRICS[:10]}
    curve = lrviz.simulate(doc)
    assert run_snippet(lrviz.code(doc), None) == curve.lr


@pytest.mark.parametrize("kind", sorted(deepspeed_cases()))
def test_every_deepspeed_types_snippet_reproduces_its_curve(kind: str) -> None:
    import lrviz
    from tests.frameworks.deepspeed import test_deepspeed_schedulers as test_deepspeed

    doc = test_deepspeed.doc(kind, test_deepspeed.CASES[kind])
    curve = lrviz.simulate(doc, epochs=test_deepspeed.STEPS)
    assert run_snippet(lrviz.code(lrviz.load(doc, epochs=test_deepspeed.STEPS)), None) == curve.lr

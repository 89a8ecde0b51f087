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


def run_printing(text: str) -> tuple[list[float], list[float]]:
    """Execute a snippet printing ``... lr X weight_decay Y``: the LRs and weight decays it printed."""
    lrs: list[float] = []
    decays: list[float] = []

    def capture(line: str) -> None:
        words = line.split()
        assert words[-4] == "lr" and words[-2] == "weight_decay", line
        lrs.append(float(words[-3]))
        decays.append(float(words[-1]))

    namespace: dict[str, Any] = {"__name__": "__snippet__", "print": capture}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(compile(text, "<lrviz code>", "exec"), namespace)  # noqa: S102 - lrviz's own output
    return lrs, decays


MMENGINE_EPOCHS = (
    "optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=1e-4))\n"
    "param_scheduler = [\n"
    "    dict(type='CosineAnnealingLR', by_epoch=True, begin=0, end=6),\n"
    "    dict(type='LinearParamScheduler', param_name='weight_decay', start_factor=0.5, by_epoch=True, end=6),\n"
    "]\n"
    "train_cfg = dict(by_epoch=True, max_epochs=6)\n"
)
FVCORE_PAIRS = {
    "trainer": {
        "max_epochs": 6,
        "optim": {
            "optimizer": {"_target_": "torch.optim.AdamW"},
            "options": {
                "lr": [{"scheduler": {"_target_": "fvcore.common.param_scheduler.CosineParamScheduler",
                                      "start_value": 0.1, "end_value": 0.01}}],
                "weight_decay": [
                    {"scheduler": {"_target_": "fvcore.common.param_scheduler.LinearParamScheduler",
                                   "start_value": 0.04, "end_value": 0.4}},
                    {"scheduler": {"_target_": "fvcore.common.param_scheduler.ConstantParamScheduler", "value": 0.0},
                     "param_names": ["*bias*"]},
                ],
            },
        },
    }
}  # fmt: skip


def weight_decay_cases(tmp: Path) -> dict[str, tuple[str, Any, dict[str, Any]]]:
    """Runs whose scheduler sets the weight decay: (the framework module, the source, load's options)."""
    from tests.frameworks.fvcore.test_fvcore_trainer import SAM2, SAM2_SETS
    from tests.frameworks.mmengine.test_mmengine import WEIGHT_DECAY

    (tmp / "wd_iters.py").write_text(WEIGHT_DECAY)
    (tmp / "wd_epochs.py").write_text(MMENGINE_EPOCHS)
    megatron = "torchrun pretrain_gpt.py --global-batch-size 8 --lr 1e-3 --train-iters 30 --lr-warmup-iters 5 "
    for style in ("linear", "cosine"):
        flags = f"--weight-decay-incr-style {style} --start-weight-decay 0.01 --end-weight-decay 0.1"
        (tmp / f"megatron_{style}.sh").write_text(megatron + flags + "\n")
    mm = {"allow_exec": True}
    return {
        "mmengine-iterations": ("mmengine", tmp / "wd_iters.py", mm),
        "mmengine-epochs": ("mmengine", tmp / "wd_epochs.py", {**mm, "steps_per_epoch": 4}),
        "megatron-linear": ("megatron", tmp / "megatron_linear.sh", {}),
        "megatron-cosine": ("megatron", tmp / "megatron_cosine.sh", {}),
        "fvcore-pairs": ("fvcore", FVCORE_PAIRS, {"steps_per_epoch": 5}),
        "fvcore-sam2": ("fvcore", SAM2, {"overrides": SAM2_SETS, "steps_per_epoch": 3}),
    }


@pytest.mark.parametrize(
    "name",
    ["mmengine-iterations", "mmengine-epochs", "megatron-linear", "megatron-cosine", "fvcore-pairs", "fvcore-sam2"],
)
def test_the_snippet_prints_the_weight_decay_lrviz_draws(name: str, tmp_path: Path) -> None:
    import lrviz

    module, source, options = weight_decay_cases(tmp_path)[name]
    pytest.importorskip({"megatron": "megatron.core"}.get(module, module))
    run = lrviz.load(source, param="weight_decay", **options)
    curve = lrviz.simulate(run)
    assert curve.second == "weight_decay" and curve.momenta is not None
    lrs, decays = run_printing(lrviz.code(run))
    assert lrs == curve.lr
    assert decays == list(curve.momenta[0])
    assert len(set(decays)) > 1 or name == "fvcore-sam2"  # SAM 2's weight decay is constant (0.1)
    assert "weight_decay" not in lrviz.code(lrviz.load(source, **options)).rsplit("print(", 1)[1].split("\n")[0]


def test_lrviz_code_param_weight_decay_prints_it(tmp_path: Path) -> None:
    import lrviz

    pytest.importorskip("megatron.core")
    script = tmp_path / "run.sh"
    script.write_text(
        "torchrun pretrain_gpt.py --global-batch-size 8 --lr 1e-3 --train-iters 12 --weight-decay-incr-style linear "
        "--start-weight-decay 0.0 --end-weight-decay 0.2\n"
    )
    result = CliRunner().invoke(app, ["code", str(script), "--param", "weight_decay"])
    assert result.exit_code == 0, result.output
    curve = lrviz.simulate(script, param="weight_decay")
    assert curve.momenta is not None
    assert run_printing(result.stdout) == (curve.lr, list(curve.momenta[0]))

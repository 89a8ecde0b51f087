"""Ultralytics files are refused naming their keys, and never with a torch curve "close to" theirs.

NeMo is stepped with its own classes where nemo-toolkit is installed (tests/frameworks/nemo); without
it the refusal names the install, and no curve.

NeMo's ``WarmupPolicy._get_warmup_lr`` starts its warmup at ``lr * 1 / (warmup_steps + 1)``
(nemo/core/optim/lr_scheduler.py), Ultralytics warms up per iteration inside
``BaseTrainer._do_train`` with ``np.interp`` and ``optimizer: auto`` replaces ``lr0``: no torch
schedule lrviz could name draws either curve, so no refusal suggests one.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from lrviz.cli.commands import app

runner = CliRunner()
REAL = Path(__file__).parents[2] / "realworld" / "configs"
#: What a refusal suggesting a differing curve would say.
SUGGESTIONS = ("lrviz lambda", "lrviz cosine", "--warmup", "closest", "CosineAnnealingLR", "LinearLR", "similar")


@pytest.mark.parametrize(
    ("name", "words"),
    [
        (
            "other_frameworks/ultralytics_yolo11_seg_args_optimizer_auto.yaml",
            ["lr0", "lrf", "cos_lr: False", "warmup_epochs", "optimizer: auto ignores lr0", "BaseTrainer._do_train"],
        ),
        (
            "other_dialects/ultralytics_yolov8_args_lr0_lrf_looks_like_timm.yaml",
            ["lr0", "lrf", "cos_lr", "warmup_epochs"],
        ),
        (
            "other_frameworks/ultralytics_wheat_weed_yolov8_args_optimizer_auto_cpu.yaml",
            ["lr0", "lrf", "cos_lr: False", "warmup_epochs", "optimizer: auto ignores lr0"],
        ),
        ("other_frameworks/ultralytics_egsmnet_yolov8_args_optimizer_sgd_pruning_fork.yaml", ["lr0", "lrf", "cos_lr"]),
        ("other_frameworks/yolov5_hyp_scratch_low.yaml", ["lr0", "lrf", "warmup_epochs", "--cos-lr"]),
    ],
)
def test_refused_naming_the_keys_and_no_other_curve(name: str, words: list[str]) -> None:
    result = runner.invoke(app, ["render", str(REAL / name)])
    assert result.exit_code == 2
    assert all(w in result.stderr for w in words), result.stderr
    assert not any(s in result.stderr for s in SUGGESTIONS), result.stderr
    assert result.stderr.count("\n") == 1  # one line


def test_without_nemo_toolkit_a_nemo_file_is_refused_naming_the_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "nemo" else real(name, *a))
    result = runner.invoke(app, ["render", str(REAL / "nemo/launcher_mt5_170m_warmup_annealing_ratio.yaml")])
    assert result.exit_code == 2
    assert "needs nemo-toolkit: pip install --no-deps nemo-toolkit wrapt" in result.stderr, result.stderr
    assert not any(s in result.stderr for s in SUGGESTIONS), result.stderr

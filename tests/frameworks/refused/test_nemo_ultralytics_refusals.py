"""Ultralytics files are refused naming their keys, and never with a torch curve "close to" theirs.

NeMo is stepped with its own classes where nemo-toolkit is installed (tests/frameworks/nemo); without
it the refusal names the install, and no curve.

NeMo's ``WarmupPolicy._get_warmup_lr`` starts its warmup at ``lr * 1 / (warmup_steps + 1)``
(nemo/core/optim/lr_scheduler.py), Ultralytics warms up per iteration inside
``BaseTrainer._do_train`` with ``np.interp`` and ``optimizer: auto`` replaces ``lr0``: no torch
schedule lrviz could name draws either curve, so no refusal suggests one. Ultralytics' warmup length
changed at 8.4.103 (the floor of 100 iterations went) and ``args.yaml`` records no release, so the
refusal names both rules and where the run logged its LR.
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
            ["lr0: 0.01", "lrf: 0.01", "cos_lr: False", "warmup_epochs: 3.0", "optimizer: auto ignores lr0", "nc"],
        ),
        (
            "other_dialects/ultralytics_yolov8_args_lr0_lrf_looks_like_timm.yaml",
            ["lr0", "lrf", "cos_lr", "warmup_epochs"],
        ),
        (
            "other_frameworks/ultralytics_wheat_weed_yolov8_args_optimizer_auto_cpu.yaml",
            ["lr0", "lrf", "cos_lr: False", "warmup_epochs", "optimizer: auto ignores lr0"],
        ),
        (
            "other_frameworks/ultralytics_egsmnet_yolov8_args_optimizer_sgd_pruning_fork.yaml",
            ["lr0: 0.01", "lrf", "cos_lr", "optimizer: SGD"],
        ),
        ("other_frameworks/yolov5_hyp_scratch_low.yaml", ["lr0", "lrf", "warmup_epochs", "--cos-lr"]),
    ],
)
def test_refused_naming_the_keys_and_no_other_curve(name: str, words: list[str]) -> None:
    result = runner.invoke(app, ["render", str(REAL / name)])
    assert result.exit_code == 2
    assert all(w in result.stderr for w in words), result.stderr
    assert not any(s in result.stderr for s in SUGGESTIONS), result.stderr
    assert result.stderr.count("\n") == 1  # one line


ARGS_YAML = [
    "other_frameworks/ultralytics_yolo11_seg_args_optimizer_auto.yaml",
    "other_dialects/ultralytics_yolov8_args_lr0_lrf_looks_like_timm.yaml",
    "other_frameworks/ultralytics_wheat_weed_yolov8_args_optimizer_auto_cpu.yaml",
    "other_frameworks/ultralytics_egsmnet_yolov8_args_optimizer_sgd_pruning_fork.yaml",
]


@pytest.mark.parametrize("name", ARGS_YAML)
def test_an_args_file_is_refused_naming_both_warmup_rules_and_the_log(name: str) -> None:
    """The trainer that wrote the file is unknown: the refusal names the two warmup rules, and results.csv."""
    result = runner.invoke(app, ["render", str(REAL / name)])
    assert result.exit_code == 2
    words = [
        "BaseTrainer._do_train",
        "max(round(warmup_epochs x batches), 100) iterations up to ultralytics 8.4.102",
        "round(min(warmup_epochs, epochs-1) x batches) from 8.4.103",
        "args.yaml does not record the release that wrote it",
        "results.csv: lr/pg0, lr/pg1, lr/pg2",
    ]
    assert all(w in result.stderr for w in words), result.stderr
    assert ("optimizer: auto ignores lr0" in result.stderr) == ("optimizer_sgd" not in name), result.stderr


def test_without_nemo_toolkit_a_nemo_file_is_refused_naming_the_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "nemo" else real(name, *a))
    result = runner.invoke(app, ["render", str(REAL / "nemo/launcher_mt5_170m_warmup_annealing_ratio.yaml")])
    assert result.exit_code == 2
    assert "needs nemo-toolkit: pip install --no-deps nemo-toolkit wrapt" in result.stderr, result.stderr
    assert not any(s in result.stderr for s in SUGGESTIONS), result.stderr

"""A litgpt run's log cannot be put on the optimizer-step axis when it accumulates gradients: refused, not misaligned.

litgpt's finetune loop (``litgpt/finetune/lora.py``) logs ``learning_rate`` with
``fabric.log_dict(metrics, step=iter_num)``, once per batch: with ``global_batch_size 8`` and
``micro_batch_size 1`` on one device an optimizer step is 8 batches, so logged step 8 is optimizer step 1.
The log here is written by Lightning Fabric's own CSVLogger with that call, the LRs from litgpt's own
``get_lr_scheduler`` stepped as the loop steps it.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from lrviz.cli import app

pytestmark = pytest.mark.skipif(importlib.util.find_spec("litgpt") is None, reason="litgpt is not installed")

REAL = Path(__file__).parents[2] / "realworld" / "configs" / "llm_litgpt" / "litgpt_llama-3.2-1B_lora.yaml"
#: the file's train.lr_warmup_steps, and the optimizer steps of 2 epochs of 48 samples at global batch 1
WARMUP, STEPS = 10, 96


def fabric_log(directory: Path, accumulation: int, batches: int = STEPS) -> Path:
    """``learning_rate`` at ``step=iter_num`` for every batch, as lora.py's loop logs it."""
    from lightning.fabric.loggers import CSVLogger
    from litgpt.finetune.lora import get_lr_scheduler

    model = torch.nn.Linear(2, 1)
    optimizer = torch.optim.AdamW(model.parameters(), lr=2e-4)
    scheduler = get_lr_scheduler(optimizer, warmup_steps=WARMUP, max_steps=batches // accumulation)
    logger = CSVLogger(str(directory), name="run", version=0)
    for iter_num in range(1, batches + 1):
        if iter_num % accumulation == 0:
            optimizer.step()
            scheduler.step()
        logger.log_metrics({"learning_rate": scheduler.get_last_lr()[0], "iter": iter_num}, step=iter_num)
    logger.finalize("success")
    (found,) = directory.rglob("metrics.csv")
    return found


def test_a_run_that_accumulates_is_refused_naming_why(tmp_path: Path) -> None:
    config = tmp_path / "lora.yaml"
    shutil.copy(REAL, config)
    log = fabric_log(tmp_path / "logs", accumulation=8)
    result = CliRunner().invoke(app, ["check", str(config), "--dataset-size", "400", "--against", str(log)])
    assert result.exit_code == 2, result.output
    assert "litgpt logs the LR at each batch" in result.stderr and "every 8 batches" in result.stderr
    assert "faster" not in result.output and "slower" not in result.output  # no diagnosis of misaligned steps


def test_without_accumulation_a_right_run_passes(tmp_path: Path) -> None:
    """Without accumulation logged step s holds the LR after s scheduler steps, the LR optimizer step s uses;
    the last logged step holds the LR after the run's last step (the ``litgpt`` convention), not a longer run."""
    import lrviz

    config = tmp_path / "lora.yaml"
    shutil.copy(REAL, config)
    flags = ["--dataset-size", "48", "--set", "train.global_batch_size=1"]
    run = lrviz.load(config, dataset_size=48, overrides=["train.global_batch_size=1"])
    assert (run.settings.warmup_steps, run.points) == (WARMUP, STEPS)  # type: ignore[attr-defined]
    log = fabric_log(tmp_path / "logs", accumulation=1)
    result = CliRunner().invoke(app, ["check", str(config), *flags, "--against", str(log)])
    assert result.exit_code == 0, result.output
    assert f"matches the plan at all {STEPS - 1} logged steps" in result.output
    longer = fabric_log(tmp_path / "longer", accumulation=1, batches=STEPS + 5)
    result = CliRunner().invoke(app, ["check", str(config), *flags, "--against", str(longer)])
    assert result.exit_code == 1 and "runs past the plan" in result.output

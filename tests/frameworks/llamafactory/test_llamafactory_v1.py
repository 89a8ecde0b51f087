"""LLaMA-Factory v1 files: BaseTrainer's constant LambdaLR over its step count, equal to a loop with that class."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

import lrviz
from lrviz.errors import ConfigError
from lrviz.frameworks import choose

CONFIGS = Path(__file__).parents[2] / "realworld" / "configs" / "llm_llamafactory"
V1 = sorted(CONFIGS.glob("lf_v1_*.yaml"))


def base_trainer_lrs(lr: float, steps: int) -> list[float]:
    """BaseTrainer's optimizer and scheduler (core/base_trainer.py), stepped as BaseTrainer.fit does."""
    model = torch.nn.Linear(2, 1)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda=lambda x: 1.0)
    seen = []
    for _ in range(steps):
        seen.append(optimizer.param_groups[0]["lr"])
        model(torch.ones(2)).sum().backward()
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad()
    return seen


@pytest.mark.parametrize("path", V1, ids=lambda p: p.name)
def test_each_real_v1_file_is_the_base_trainers_constant(path: Path) -> None:
    import yaml

    doc = yaml.safe_load(path.read_text())
    assert choose(doc, path.name).adapter == "llamafactory-v1"
    curve = lrviz.simulate(str(path))
    optim = doc.get("optim_config") or {}
    lr = optim.get("lr", 1e-3) if optim.get("name") == "muon" else float(doc["learning_rate"])
    assert list(curve.lrs[0]) == base_trainer_lrs(lr, doc["max_steps"])


def test_the_muon_plugin_ignores_learning_rate() -> None:
    curve = lrviz.simulate(str(CONFIGS / "lf_v1_train_full_muon_optim_config.yaml"))
    assert set(curve.lrs[0]) == {1e-3}
    found = {f.code: f.message for f in lrviz.diagnose(curve)}
    assert "never reads learning_rate (1e-05)" in found["llamafactory-v1-optimizer-lr"]


def doc(**keys: Any) -> dict[str, Any]:
    return {"model": "Qwen/Qwen3-0.6B", "model_class": "llm", "train_dataset": "data.yaml", **keys}


@pytest.mark.parametrize(
    ("keys", "options", "steps"),
    [
        ({"micro_batch_size": 2}, {"dataset_size": 101}, 3 * 50),  # floor(101 / 2) = 50, default 3 epochs
        ({"micro_batch_size": 2, "num_train_epochs": 1}, {"dataset_size": 101, "world_size": 4}, 12),  # 25 // 2
        (
            {"micro_batch_size": 1, "global_batch_size": 8, "num_train_epochs": 2},
            {"dataset_size": 100, "world_size": 2},
            24,
        ),
        ({"max_steps": 7, "num_train_epochs": 5}, {"dataset_size": 100}, 7),
    ],
)
def test_the_steps_are_base_trainers(keys: dict[str, Any], options: dict[str, Any], steps: int) -> None:
    curve = lrviz.simulate(doc(learning_rate=2e-5, **keys), **options)
    assert list(curve.lrs[0]) == base_trainer_lrs(2e-5, steps)


@pytest.mark.parametrize(
    ("keys", "options", "message"),
    [
        ({}, {}, "pass dataset_size N"),
        ({"lr_scheduler_config": {"name": "cosine"}}, {}, "not registered under LRSchedulerPlugin"),
        ({"optim_config": {"name": "adamw8bit"}, "max_steps": 3}, {}, "not registered under OptimizerPlugin"),
        ({"batching_strategy": "dynamic_batching"}, {"dataset_size": 10}, "set max_steps"),
        ({"global_batch_size": 3, "micro_batch_size": 2}, {"dataset_size": 10}, "must be divisible"),
    ],
)
def test_what_llamafactory_would_not_run_is_refused(
    keys: dict[str, Any], options: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        lrviz.load(doc(**keys), **options)


def test_the_classic_layout_stays_with_the_hf_adapter() -> None:
    classic = {"stage": "sft", "finetuning_type": "lora", "lr_scheduler_type": "cosine", "learning_rate": 1e-4}
    assert choose(classic, "x").adapter == "hf"


def test_code_builds_base_trainers_lambda_lr_and_gives_the_same_lrs() -> None:
    source = lrviz.code(doc(learning_rate=3e-4, max_steps=12))
    assert "LambdaLR(optimizer, lr_lambda=lambda x: 1.0)" in source
    printed: list[float] = []
    namespace: dict[str, Any] = {"print": lambda text: printed.append(float(text.rsplit(" ", 1)[1]))}
    exec(compile(source, "snippet", "exec"), namespace)  # noqa: S102 - our own output
    assert printed == list(lrviz.simulate(doc(learning_rate=3e-4, max_steps=12)).lrs[0])

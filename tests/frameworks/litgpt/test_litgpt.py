"""litgpt finetune configs: litgpt's own get_lr_scheduler, sized and stepped as its finetune scripts do."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
import torch
import yaml

import lrviz
from lrviz.errors import ConfigError
from lrviz.frameworks import choose

pytest.importorskip("litgpt")

CONFIGS = Path(__file__).parents[2] / "realworld" / "configs" / "llm_litgpt"
OLDER = CONFIGS / "litgpt_belerico_phi-2_lora_older_layout.yaml"  # train.learning_rate: refused, test below
FINETUNE = sorted(p for p in CONFIGS.glob("*.yaml") if "pretrain" not in p.name and p != OLDER)


def fit_lrs(lr: float, warmup: int, lr_max_steps: int, steps: int) -> list[float]:
    """litgpt's finetune: get_lr_scheduler(optimizer, warmup_steps, max_steps), stepped after each optimizer step."""
    from litgpt.finetune.lora import get_lr_scheduler

    model = torch.nn.Linear(2, 1)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr)
    scheduler = get_lr_scheduler(optimizer, warmup_steps=warmup, max_steps=lr_max_steps)
    seen = []
    for _ in range(steps):
        seen.append(optimizer.param_groups[0]["lr"])
        model(torch.ones(2)).sum().backward()
        optimizer.step()
        optimizer.zero_grad()
        scheduler.step()
    return seen


def expected(doc: dict[str, Any], dataset: int) -> tuple[int, int, int]:
    """(warmup, lr_max_steps, optimizer steps) of litgpt/finetune/lora.py for this file, written out for the test."""
    train = doc["train"]
    world = doc.get("devices", 1) * doc.get("num_nodes", 1)
    accum = train["global_batch_size"] // world // train["micro_batch_size"]
    batches = math.ceil(math.ceil(dataset / world) / train["micro_batch_size"])
    lr_max_steps = train["epochs"] * (batches // accum)
    steps = train["epochs"] * batches // accum
    if train.get("max_steps"):
        lr_max_steps, steps = min(lr_max_steps, train["max_steps"]), min(steps, train["max_steps"])
    return train.get("lr_warmup_steps", 100), lr_max_steps, steps


@pytest.mark.parametrize("path", FINETUNE, ids=lambda p: p.name)
def test_each_real_finetune_config_is_litgpts_loop(path: Path) -> None:
    doc = yaml.safe_load(path.read_text())
    assert choose(doc, path.name).adapter == "litgpt"
    warmup, lr_max_steps, steps = expected(doc, 1900)
    curve = lrviz.simulate(str(path), dataset_size=1900)
    lr = float(doc["optimizer"]["init_args"]["lr"])
    assert list(curve.lrs[0]) == fit_lrs(lr, warmup, lr_max_steps, steps)


def test_an_older_layouts_train_learning_rate_is_named_with_the_override_that_draws_it() -> None:
    with pytest.raises(
        ConfigError, match=r"train.learning_rate: an older litgpt's layout.*optimizer.init_args.lr=0.0002"
    ):
        lrviz.simulate(str(OLDER), dataset_size=1900)
    curve = lrviz.simulate(str(OLDER), dataset_size=1900, overrides=["optimizer.init_args.lr=0.0002"])
    warmup, lr_max_steps, steps = expected(yaml.safe_load(OLDER.read_text()), 1900)
    assert list(curve.lrs[0]) == fit_lrs(2e-4, warmup, lr_max_steps, steps)


@pytest.mark.parametrize(
    ("dataset", "overrides", "named"),
    [
        (10**11, [], ("yaml:74: train.epochs: 25,000,000,000 steps", "dataset_size 100,000,000,000")),
        (10**11, ["train.max_steps=3000000"], ("train.max_steps: 3,000,000 steps is",)),
    ],
    ids=["epochs", "max_steps"],
)
def test_a_run_past_the_point_limit_names_the_key_and_the_variable(
    dataset: int, overrides: list[str], named: tuple[str, ...]
) -> None:
    path = str(CONFIGS / "litgpt_llama-3.2-1B_lora.yaml")
    with pytest.raises(ConfigError, match="is more than the limit of") as refused:
        lrviz.load(path, dataset_size=dataset, overrides=overrides)
    assert all(n in str(refused.value) for n in (*named, "LRVIZ_MAX_POINTS=N")), str(refused.value)


def test_a_run_longer_than_its_schedule_and_min_lr_are_named() -> None:
    curve = lrviz.simulate(str(CONFIGS / "litgpt_llama-3.2-1B_lora.yaml"), dataset_size=1900)
    found = {f.code: f.message for f in lrviz.diagnose(curve)}
    assert "takes 475 optimizer steps but the schedule is sized for 474" in found["litgpt-steps-past-schedule"]
    assert "min_lr 6e-05 is not read" in found["litgpt-min-lr-ignored"]


def test_code_calls_litgpts_get_lr_scheduler_and_gives_the_same_lrs() -> None:
    run = lrviz.load(str(CONFIGS / "litgpt_mistral-7b_lora.yaml"), dataset_size=500)
    source = lrviz.code(run)
    assert "from litgpt.finetune.lora import get_lr_scheduler" in source
    printed: list[float] = []
    namespace: dict[str, Any] = {"print": lambda text: printed.append(float(text.rsplit(" ", 1)[1]))}
    exec(compile(source, "snippet", "exec"), namespace)  # noqa: S102 - our own output
    assert printed == list(lrviz.simulate(run).lrs[0])

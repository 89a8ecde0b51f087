"""axolotl's own schedulers (axolotl.utils.schedulers), chosen as SchedulerMixin.create_scheduler chooses them.

Each curve equals a loop that builds the scheduler with axolotl's own function or class, with the
arguments create_scheduler passes, and steps it once per optimizer step as the Trainer does.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch
import yaml

import lrviz
from lrviz.errors import ConfigError

schedulers = pytest.importorskip("axolotl.utils.schedulers")

CONFIGS = Path(__file__).parents[2] / "realworld" / "configs" / "llm_axolotl"
LR = 2e-4


def trainer_lrs(build: Callable[[torch.optim.Optimizer], Any], steps: int, lr: float = LR) -> list[float]:
    model = torch.nn.Linear(2, 1)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr)
    seen = []
    with warnings.catch_warnings():
        # JaggedLRRestartScheduler calls its inner scheduler's get_lr() outside step(): torch warns, in the run too
        warnings.filterwarnings("ignore", "To get the last learning rate", UserWarning)
        scheduler = build(optimizer)
        for _ in range(steps):
            seen.append(optimizer.param_groups[0]["lr"])
            model(torch.ones(2)).sum().backward()
            optimizer.step()
            optimizer.zero_grad()
            scheduler.step()
    return seen


def axolotl(**keys: Any) -> dict[str, Any]:
    # 1000 samples / (micro 2 x accumulation 5) = 100 steps; warmup_steps 10
    return {
        "base_model": "NousResearch/Llama-3.2-1B",
        "micro_batch_size": 2,
        "gradient_accumulation_steps": 5,
        "num_epochs": 1,
        "learning_rate": LR,
        "warmup_steps": 10,
        **keys,
    }


def cosine(optimizer: torch.optim.Optimizer) -> Any:
    from transformers import get_scheduler

    return get_scheduler("cosine", optimizer, num_warmup_steps=10, num_training_steps=100)


CASES: list[tuple[dict[str, Any], Callable[[torch.optim.Optimizer], Any]]] = [
    (
        {"lr_quadratic_warmup": True},
        lambda o: schedulers.get_cosine_schedule_with_quadratic_warmup(o, num_warmup_steps=10, num_training_steps=100),
    ),
    (
        {"cosine_min_lr_ratio": 0.1},
        lambda o: schedulers.get_cosine_schedule_with_min_lr(
            o, num_warmup_steps=10, num_training_steps=100, min_lr_ratio=0.1
        ),
    ),
    (
        {"cosine_min_lr_ratio": 0.1, "cosine_constant_lr_ratio": 0.5},
        lambda o: schedulers.get_cosine_schedule_with_warmup_decay_constant(
            o, num_warmup_steps=10, num_training_steps=100, min_lr_ratio=0.1, constant_lr_ratio=0.5
        ),
    ),
    (
        {"lr_scheduler": "rex", "cosine_min_lr_ratio": 0.2},
        lambda o: schedulers.RexLR(o, max_lr=LR, min_lr=LR * 0.2, total_steps=100, num_warmup_steps=10),
    ),
    (
        {"lr_scheduler": "one_cycle"},
        lambda o: torch.optim.lr_scheduler.OneCycleLR(
            o, max_lr=LR, total_steps=100, pct_start=0.1, anneal_strategy="cos"
        ),
    ),
    (
        {"lr_scheduler": "one_cycle", "lr_scheduler_kwargs": {"div_factor": 10, "anneal_strategy": "linear"}},
        lambda o: torch.optim.lr_scheduler.OneCycleLR(
            o, max_lr=LR, total_steps=100, pct_start=0.1, anneal_strategy="linear", div_factor=10
        ),
    ),
    (
        {"relora": True, "jagged_restart_steps": 30, "jagged_restart_warmup_steps": 5, "adapter": "lora"},
        lambda o: schedulers.JaggedLRRestartScheduler(o, cosine(o), 30, 5, 1, min_lr_scale=0.001),
    ),
    (
        {"jagged_restart_steps": 40, "cosine_min_lr_ratio": 0.05},
        lambda o: schedulers.JaggedLRRestartScheduler(
            o,
            schedulers.get_cosine_schedule_with_min_lr(
                o, num_warmup_steps=10, num_training_steps=100, min_lr_ratio=0.05
            ),
            40,
            10,
            1,
            min_lr_scale=0.05,
        ),
    ),
    ({"cosine_min_lr_ratio": 0}, cosine),  # 0 is falsy in create_scheduler: transformers' cosine
]


@pytest.mark.parametrize(("keys", "build"), CASES, ids=lambda v: ",".join(v) if isinstance(v, dict) else "")
def test_create_schedulers_choice_and_arguments(keys: dict[str, Any], build: Callable[..., Any]) -> None:
    curve = lrviz.simulate(axolotl(**keys), dataset_size=1000)
    assert list(curve.lrs[0]) == trainer_lrs(build, 100)


def test_jagged_restarts_are_marked_every_n_steps() -> None:
    curve = lrviz.simulate(axolotl(jagged_restart_steps=30), dataset_size=1000)
    assert curve.restarts == (30, 60, 90)


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ({"lr_scheduler": "log_sweep"}, "log_sweep is not a scheduler axolotl builds"),
        ({"relora": True}, "jagged_restart_steps must be set to use ReLoRA"),
        ({"cosine_min_lr_ratio": 1.5}, "between 0.0 and 1.0"),
    ],
)
def test_what_axolotl_refuses_is_refused(keys: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        lrviz.load(axolotl(**keys), dataset_size=1000)


def axolotl_total_and_warmup(doc: dict[str, Any], dataset: int) -> tuple[int, int]:
    """calculate_total_num_steps and _configure_warmup_and_logging (axolotl 067b021), written out for the test.

    With ``max_steps`` the Trainer runs ``cfg.max_steps or total_num_steps`` (core/builders/base.py).
    """
    accum = doc.get("gradient_accumulation_steps") or 1
    # num_epochs and micro_batch_size default to 1 in axolotl's HyperparametersConfig (not the Trainer's 3 and 8)
    total = math.ceil(dataset * doc.get("num_epochs", 1) / ((doc.get("micro_batch_size") or 1) * accum))
    if doc.get("max_steps"):
        assert doc.get("warmup_ratio") is None, "a ratio of which total: not in the corpus, not written out"
        total = doc["max_steps"]
    if doc.get("warmup_steps") is not None:
        warmup = doc["warmup_steps"]
    elif doc.get("warmup_ratio") is not None:
        warmup = int(doc["warmup_ratio"] * total)
    else:
        warmup = min(int(0.03 * total), 100)
    return total, 2 if warmup == 1 else warmup


def create_scheduler(doc: dict[str, Any], total: int, warmup: int) -> Callable[[torch.optim.Optimizer], Any]:
    """What SchedulerMixin.create_scheduler builds for one real config, written out for the test."""
    lr = float(doc["learning_rate"])
    ratio = doc.get("cosine_min_lr_ratio")

    def build(o: torch.optim.Optimizer) -> Any:
        if doc.get("lr_scheduler") == "rex":
            low = lr * ratio if ratio is not None else 0
            return schedulers.RexLR(o, max_lr=lr, min_lr=low, total_steps=total, num_warmup_steps=warmup)
        if doc.get("lr_quadratic_warmup"):
            return schedulers.get_cosine_schedule_with_quadratic_warmup(o, warmup, total)
        if ratio and doc.get("cosine_constant_lr_ratio"):
            return schedulers.get_cosine_schedule_with_warmup_decay_constant(
                o, warmup, total, ratio, doc["cosine_constant_lr_ratio"]
            )
        inner = (
            schedulers.get_cosine_schedule_with_min_lr(o, warmup, total, ratio)
            if ratio
            else cosine_over(o, warmup, total)
        )
        if doc.get("jagged_restart_steps"):
            return schedulers.JaggedLRRestartScheduler(
                o,
                inner,
                doc["jagged_restart_steps"],
                doc.get("jagged_restart_warmup_steps") or 10,
                doc.get("jagged_restart_anneal_steps") or 1,
                min_lr_scale=ratio or 0.001,
            )
        return inner

    return build


#: axolotl configs whose schedule is one of axolotl's own (its other configs are transformers': tests/frameworks/hf/test_hf_schedulers.py)
REAL = [*sorted(CONFIGS.glob("*.y*ml")), CONFIGS.parent / "hf" / "axolotl_llama3_3b_qat_cosine_min_lr_ratio.yaml"]


@pytest.mark.parametrize("path", REAL, ids=lambda p: p.name)
def test_each_real_axolotl_config_is_create_schedulers_scheduler(path: Path) -> None:
    doc: dict[str, Any] = yaml.safe_load(path.read_text())
    total, warmup = axolotl_total_and_warmup(doc, 4000)
    curve = lrviz.simulate(str(path), dataset_size=4000)
    assert list(curve.lrs[0]) == trainer_lrs(create_scheduler(doc, total, warmup), total, float(doc["learning_rate"]))


def cosine_over(optimizer: torch.optim.Optimizer, warmup: int, total: int) -> Any:
    from transformers import get_scheduler

    return get_scheduler("cosine", optimizer, num_warmup_steps=warmup, num_training_steps=total)


@pytest.mark.parametrize(
    "keys",
    [{"lr_scheduler": "rex"}, {"lr_quadratic_warmup": True, "jagged_restart_steps": 30}, {"jagged_restart_steps": 25}],
    ids=["rex", "quadratic+jagged", "cosine+jagged"],
)
def test_code_builds_axolotls_scheduler_and_gives_the_same_lrs(keys: dict[str, Any]) -> None:
    source = lrviz.code({**axolotl(**keys), "max_steps": 60})
    assert "from axolotl.utils import schedulers" in source
    printed: list[float] = []
    namespace: dict[str, Any] = {"print": lambda text: printed.append(float(text.rsplit(" ", 1)[1]))}
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "To get the last learning rate", UserWarning)
        exec(compile(source, "snippet", "exec"), namespace)  # noqa: S102 - our own output
    assert printed == list(lrviz.simulate({**axolotl(**keys), "max_steps": 60}).lrs[0])


@pytest.mark.parametrize(
    ("keys", "dataset", "names"),
    [
        ({"max_steps": 3_000_000}, None, "max_steps: 3,000,000 steps"),
        ({"num_epochs": 1000}, 100_000, "dataset_size 100,000: 100,000,000 steps"),  # the API names the argument
    ],
    ids=["max_steps", "num_epochs"],
)
def test_a_run_past_the_point_limit_names_the_key_and_the_variable(
    tmp_path: Path, keys: dict[str, Any], dataset: int | None, names: str
) -> None:
    path = tmp_path / "axolotl.yaml"
    doc = {"base_model": "x", "micro_batch_size": 1, "learning_rate": 1e-4, "datasets": [{"path": "x"}], **keys}
    path.write_text(yaml.safe_dump(doc))
    with pytest.raises(ConfigError) as err:
        lrviz.load(str(path), dataset_size=dataset)
    assert names in str(err.value) and "LRVIZ_MAX_POINTS" in str(err.value), str(err.value)

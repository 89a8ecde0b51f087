"""torchtune recipes: the lr_scheduler component, built and stepped as the recipe does, equal to torchtune's own loop."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path
from typing import Any

import pytest
import torch
import yaml

import lrviz
from lrviz.errors import ConfigError
from lrviz.frameworks import choose

if importlib.util.find_spec("torchtune") is None:  # with --no-deps (as CI installs it) `import torchtune` fails
    pytest.skip("torchtune is not installed", allow_module_level=True)

CONFIGS = Path(__file__).parents[2] / "realworld" / "configs" / "llm_torchtune"


def recipe_lrs(node: dict[str, Any] | None, lr: float, epochs: int, steps_per_epoch: int) -> list[float]:
    """A torchtune recipe's loop: config.instantiate(cfg.lr_scheduler, ...), then step() after each optimizer step.

    ``torchtune_modules`` gives torchtune's own ``torchtune.config`` also where torchtune is installed with
    ``--no-deps`` (as CI does), so ``import torchtune`` itself fails for want of torchao and datasets.
    """
    from omegaconf import OmegaConf

    from lrviz.frameworks.torchtune.step import torchtune_modules

    model = torch.nn.Linear(2, 1)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr)
    scheduler = None
    if node is not None:
        with torchtune_modules() as config:
            scheduler = config.instantiate(
                OmegaConf.create(node), optimizer, num_training_steps=epochs * steps_per_epoch, last_epoch=-1
            )
            assert type(scheduler).__module__ == "torch.optim.lr_scheduler"  # torchtune's LambdaLR factory
    seen = []
    for _ in range(epochs):
        for _ in range(steps_per_epoch):
            seen.append(optimizer.param_groups[0]["lr"])
            model(torch.ones(2)).sum().backward()
            optimizer.step()
            optimizer.zero_grad()
            if scheduler is not None:
                scheduler.step()
    return seen


def expected_steps_per_epoch(doc: dict[str, Any], dataset: int) -> int:
    """The recipe's steps_per_epoch (full_finetune_single_device.py 320-327), written out for the test."""
    steps = math.ceil(dataset / doc["batch_size"]) // doc.get("gradient_accumulation_steps", 1)
    cap = doc.get("max_steps_per_epoch")
    return cap if cap is not None and cap < steps else steps


#: real files refused, and what the refusal says (a Jinja template is no YAML; a component this torchtune lacks)
REFUSED = {
    "tt_amd_llama3_8b_lora_old_modules_component.yaml": "older torchtune's spelling",
    "tt_azureml_phi3_lora_jinja_placeholders.yaml": "expected <block end>",
    # no lr_scheduler and keys no torchtune recipe reads: the project's own recipe (new_era's builds a OneCycleLR)
    "tt_new_era_8b_full_inst_own_recipe_onecycle.yaml": "max_seq_len, sub_length, train_type are keys none of",
    "tt_personify_1b_full_fork_recipe_keys.yaml": "dump_every_n_step, trainable_param_regex are keys none of",
}


# the GRPO recipe counts num_steps batches with drop_last: test_grpo.py
@pytest.mark.parametrize(
    "path",
    sorted(p for p in CONFIGS.glob("*.yaml") if p.name not in REFUSED and "grpo" not in p.name),
    ids=lambda p: p.name,
)
def test_each_real_recipe_config_is_the_recipes_loop(path: Path) -> None:
    doc = yaml.safe_load(path.read_text())
    assert choose(doc, path.name).adapter == "torchtune"
    curve = lrviz.simulate(str(path), dataset_size=3000)
    steps = expected_steps_per_epoch(doc, 3000)
    assert list(curve.lrs[0]) == recipe_lrs(
        doc.get("lr_scheduler"), float(doc["optimizer"]["lr"]), doc["epochs"], steps
    )


def recipe(**keys: Any) -> dict[str, Any]:
    return {
        "model": {"_component_": "torchtune.models.llama3_2.lora_llama3_2_1b"},
        "checkpointer": {"_component_": "torchtune.training.FullModelHFCheckpointer"},
        "optimizer": {"_component_": "torch.optim.AdamW", "lr": 3e-4},
        "lr_scheduler": {
            "_component_": "torchtune.training.lr_schedulers.get_cosine_schedule_with_warmup",
            "num_warmup_steps": 10,
        },
        "batch_size": 4,
        "epochs": 2,
        **keys,
    }


def test_max_steps_per_epoch_caps_the_schedule_and_is_named() -> None:
    curve = lrviz.simulate(recipe(max_steps_per_epoch=20, gradient_accumulation_steps=2), dataset_size=1000)
    assert list(curve.lrs[0]) == recipe_lrs(recipe()["lr_scheduler"], 3e-4, 2, 20)
    found = {f.code: f.message for f in lrviz.diagnose(curve)}
    assert "cuts each epoch from 125 to 20" in found["torchtune-max-steps-per-epoch"]


def test_ranks_and_steps_per_epoch() -> None:
    # 1000 samples over 3 ranks: ceil -> 334 per rank, ceil(334 / 4) = 84 batches
    curve = lrviz.simulate(recipe(), dataset_size=1000, world_size=3)
    assert len(curve.lrs[0]) == 2 * 84
    given = lrviz.simulate(recipe(), steps_per_epoch=30)
    assert list(given.lrs[0]) == recipe_lrs(recipe()["lr_scheduler"], 3e-4, 2, 30)


@pytest.mark.parametrize(
    ("keys", "options", "message"),
    [
        ({}, {}, "pass dataset_size N"),
        (
            {"lr_scheduler": {"_component_": "my.project.sched", "num_warmup_steps": 1}},
            {"steps_per_epoch": 5},
            "not torchtune's scheduler",
        ),
        (
            {"lr_scheduler": {"_component_": "torchtune.training.lr_schedulers.get_cosine_schedule_with_warmup"}},
            {"steps_per_epoch": 5},
            "needs num_warmup_steps",
        ),
        ({"optimizer": {"_component_": "torch.optim.AdamW"}}, {"steps_per_epoch": 5}, "no lr"),
        ({"ppo_epochs": 2}, {"steps_per_epoch": 5}, "ppo_epochs"),
    ],
)
def test_what_lrviz_cannot_follow_is_refused(keys: dict[str, Any], options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        lrviz.load(recipe(**keys), **options)


def test_code_instantiates_the_component_and_gives_the_same_lrs() -> None:
    from lrviz.frameworks.torchtune.step import torchtune_modules

    run = lrviz.load(recipe(max_steps_per_epoch=15), dataset_size=1000)
    source = lrviz.code(run)
    assert "config.instantiate(" in source
    printed: list[float] = []
    namespace: dict[str, Any] = {"print": lambda text: printed.append(float(text.rsplit(" ", 1)[1]))}
    with torchtune_modules():  # `from torchtune import config` works here also with torchtune installed --no-deps
        exec(compile(source, "snippet", "exec"), namespace)  # noqa: S102 - our own output
    assert printed == list(lrviz.simulate(run).lrs[0])
    assert len(printed) == 2 * 15


@pytest.mark.parametrize(("name", "message"), sorted(REFUSED.items()))
def test_real_files_torchtune_would_not_run_are_refused(name: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        lrviz.load(str(CONFIGS / name), dataset_size=3000)


def test_lr_scheduler_null_says_a_torchtune_recipe_runs_the_file() -> None:
    path = CONFIGS / "tt_new_era_8b_full_inst_own_recipe_onecycle.yaml"
    curve = lrviz.simulate(str(path), steps_per_epoch=10, overrides=["lr_scheduler=null"])
    assert list(curve.lrs[0]) == recipe_lrs(None, 2e-5, 3, 10)
    assert any("no lr_scheduler: the recipe keeps optimizer.lr" in n for n in curve.run.notes)


def test_the_training_package_reexport_is_the_lr_schedulers_function() -> None:
    """torchtune.training.get_cosine_schedule_with_warmup: what torchtune/training/__init__.py imports, stepped as such."""
    spec = importlib.util.find_spec("torchtune")
    assert spec is not None and spec.submodule_search_locations is not None
    init = Path(next(iter(spec.submodule_search_locations))) / "training" / "__init__.py"
    assert "from torchtune.training.lr_schedulers import get_cosine_schedule_with_warmup" in init.read_text()
    node = {"_component_": "torchtune.training.get_cosine_schedule_with_warmup", "num_warmup_steps": 10}
    curve = lrviz.simulate(recipe(lr_scheduler=node), steps_per_epoch=30)
    assert list(curve.lrs[0]) == recipe_lrs(recipe()["lr_scheduler"], 3e-4, 2, 30)

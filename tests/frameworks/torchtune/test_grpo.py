"""torchtune's GRPO recipe: num_steps batches, ppo_epochs optimizer steps each, the scheduler stepped after each.

``recipes/dev/grpo_full_finetune_distributed.py`` sizes its schedule for one step per batch
(``num_training_steps = epochs x len(dataloader)``, ``drop_last=True``) and stops after ``num_steps``
batches; with ``ppo_epochs > 1`` it steps the scheduler past that size. Compared ``==`` with that loop,
written here with torchtune's own component.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest
import torch
import yaml

import lrviz
from lrviz.errors import ConfigError

if importlib.util.find_spec("torchtune") is None:  # with --no-deps (as CI installs it) `import torchtune` fails
    pytest.skip("torchtune is not installed", allow_module_level=True)

GRPO = Path(__file__).parents[2] / "realworld" / "configs" / "llm_torchtune" / "tt_3b_full_grpo_dev.yaml"


def grpo_lrs(node: dict[str, Any], lr: float, epochs: int, batches_per_epoch: int, num_steps: int, ppo: int) -> list:
    """The GRPO recipe's train(): per batch, ppo_epochs times optimizer.step() then lr_scheduler.step()."""
    from omegaconf import OmegaConf

    from lrviz.frameworks.torchtune.step import torchtune_modules

    model = torch.nn.Linear(2, 1)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr)
    with torchtune_modules() as config:
        scheduler = config.instantiate(
            OmegaConf.create(node), optimizer, num_training_steps=epochs * batches_per_epoch, last_epoch=-1
        )
    seen: list[float] = []
    steps_run = 0
    for _ in range(epochs):
        for _ in range(batches_per_epoch):
            for _ in range(ppo):
                seen.append(optimizer.param_groups[0]["lr"])
                model(torch.ones(2)).sum().backward()
                optimizer.step()
                optimizer.zero_grad()
                scheduler.step()
            steps_run += 1
            if steps_run == num_steps:
                return seen
    return seen


@pytest.mark.parametrize(
    ("overrides", "options", "epochs", "per_epoch", "num_steps", "ppo"),
    [
        ([], {"dataset_size": 7473, "world_size": 16}, 10, 468, 200, 1),  # ceil(7473 / 16) = 468 per rank
        (["batch_size=5"], {"dataset_size": 7473, "world_size": 16}, 10, 93, 200, 1),  # 468 // 5: drop_last
        (["ppo_epochs=3", "epochs=1"], {"steps_per_epoch": 150}, 1, 150, 200, 3),  # past the schedule's end
        (["ppo_epochs=2", "num_steps=1000", "epochs=2"], {"steps_per_epoch": 40}, 2, 40, 1000, 2),
    ],
)
def test_the_real_grpo_config_is_the_recipes_loop(
    overrides: list[str], options: dict[str, int], epochs: int, per_epoch: int, num_steps: int, ppo: int
) -> None:
    doc = yaml.safe_load(GRPO.read_text())
    curve = lrviz.simulate(str(GRPO), overrides=overrides, **options)
    want = grpo_lrs(doc["lr_scheduler"], float(doc["optimizer"]["lr"]), epochs, per_epoch, num_steps, ppo)
    assert list(curve.lrs[0]) == want
    assert len(want) == min(epochs * per_epoch, num_steps) * ppo


def test_stepping_past_the_schedule_and_num_steps_are_named() -> None:
    past = lrviz.simulate(str(GRPO), overrides=["ppo_epochs=3", "epochs=1"], steps_per_epoch=150)
    found = {f.code: f.message for f in lrviz.diagnose(past)}
    assert "takes 450 optimizer steps (ppo_epochs 3 per batch)" in found["torchtune-steps-past-schedule"]
    cut = lrviz.simulate(str(GRPO), steps_per_epoch=150)
    found = {f.code: f.message for f in lrviz.diagnose(cut)}
    assert "num_steps stops the GRPO run after 200 batches" in found["torchtune-num-steps-cuts-schedule"]
    assert "1,500 steps" in found["torchtune-num-steps-cuts-schedule"]


def test_code_steps_as_many_times_as_the_recipe() -> None:
    from lrviz.frameworks.torchtune.step import torchtune_modules

    run = lrviz.load(str(GRPO), overrides=["ppo_epochs=3", "epochs=1"], steps_per_epoch=150)
    source = lrviz.code(run)
    printed: list[float] = []
    namespace: dict[str, Any] = {"print": lambda text: printed.append(float(text.rsplit(" ", 1)[1]))}
    with torchtune_modules():
        exec(compile(source, "snippet", "exec"), namespace)  # noqa: S102 - our own output
    assert printed == list(lrviz.simulate(run).lrs[0]) and len(printed) == 450


def test_grpo_needs_num_steps_and_a_ppo_config_is_refused_naming_why(tmp_path: Path) -> None:
    doc = yaml.safe_load(GRPO.read_text())
    del doc["num_steps"]
    path = tmp_path / "grpo.yaml"
    path.write_text(yaml.safe_dump(doc))
    with pytest.raises(ConfigError, match="the GRPO recipe reads cfg.num_steps"):
        lrviz.load(str(path), steps_per_epoch=10)
    doc = yaml.safe_load(GRPO.read_text())
    del doc["grpo_samples"]
    doc["ppo_batch_size"] = 4
    path.write_text(yaml.safe_dump(doc))
    with pytest.raises(ConfigError, match=r"ppo_epochs: a PPO config .*builds no lr_scheduler"):
        lrviz.load(str(path), steps_per_epoch=10)

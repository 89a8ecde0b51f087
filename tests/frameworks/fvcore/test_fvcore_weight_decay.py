"""``--param weight_decay`` on SAM 2's trainer: the weight decay fvcore's schedulers set, == the trainer's loop.

The reference is written the way SAM 2 forms and steps its groups (facebookresearch/sam2 2b90b9f
``training/optimizer.py``): ``map_scheduler_cfgs_to_param_groups`` (131-170) makes a param group of
each ``itertools.product`` of the options' entries (here every pair has parameters); ``Optimizer``
calls ``step_schedulers(0.0)`` at construction and ``step_schedulers(where)`` sets each group's
``lr`` and ``weight_decay`` from its two schedulers (52-68) before ``optimizer.step()``, with
``where`` as ``Trainer.train_epoch`` computes it (``training/trainer.py`` 712-791). The scheduler
classes are fvcore's own.
"""

from __future__ import annotations

import importlib.util
import itertools
from pathlib import Path
from typing import Any

import pytest
import torch

import lrviz
from lrviz.errors import ConfigError

if importlib.util.find_spec("fvcore") is None:
    pytest.skip("fvcore is not installed: pip install 'lrviz[fvcore]'", allow_module_level=True)

from fvcore.common import param_scheduler as ps  # noqa: E402

SAM2 = Path(__file__).parents[2] / "realworld" / "configs" / "fvcore" / "sam2_1_hiera_b+_mose_finetune_cosine.yaml"
SAM2_SETS = [
    "trainer.max_epochs=40",
    "trainer.optim.options.lr.0.scheduler.end_value=5.0e-7",
    "trainer.optim.options.lr.1.scheduler.end_value=3.0e-7",
]


def reference(lrs: list[Any], decays: list[Any], max_epochs: int, batches: int) -> tuple[list[list[float]], ...]:
    """Each (lr, weight_decay) pair's values at every optimizer step of SAM 2's train_epoch."""
    pairs = list(itertools.product(lrs, decays))
    optimizer = torch.optim.AdamW([{"params": [torch.zeros(1, requires_grad=True)]} for _ in pairs])

    def step_schedulers(where: float) -> None:
        for group, (lr, decay) in zip(optimizer.param_groups, pairs, strict=True):
            group["lr"] = lr(where)
            group["weight_decay"] = decay(where)

    step_schedulers(0.0)
    got_lr: list[list[float]] = [[] for _ in pairs]
    got_wd: list[list[float]] = [[] for _ in pairs]
    for epoch in range(max_epochs):
        for data_iter in range(batches):
            where = float(epoch + float(data_iter) / batches) / max_epochs
            if where < 1.0:
                step_schedulers(where)
            for g, group in enumerate(optimizer.param_groups):
                got_lr[g].append(group["lr"])
                got_wd[g].append(group["weight_decay"])
            optimizer.step()
    return got_lr, got_wd


def node(name: str, **args: Any) -> dict[str, Any]:
    return {"_target_": f"fvcore.common.param_scheduler.{name}", **args}


def test_each_lr_and_weight_decay_pair_is_a_group_stepped_as_the_trainer_does() -> None:
    doc = {
        "trainer": {
            "max_epochs": 8,
            "optim": {
                "optimizer": {"_target_": "torch.optim.AdamW"},
                "options": {
                    "lr": [
                        {"scheduler": node("CosineParamScheduler", start_value=0.1, end_value=0.01)},
                        {
                            "scheduler": node("LinearParamScheduler", start_value=0.05, end_value=0.0),
                            "param_names": ["image_encoder.*"],
                        },
                    ],
                    "weight_decay": [
                        {"scheduler": node("CosineParamScheduler", start_value=0.04, end_value=0.4)},
                        {"scheduler": node("ConstantParamScheduler", value=0.0), "param_names": ["*bias*"]},
                    ],
                },
            },
        }
    }
    curve = lrviz.simulate(doc, steps_per_epoch=5, param="weight_decay")
    lrs, wds = reference(
        [ps.CosineParamScheduler(0.1, 0.01), ps.LinearParamScheduler(0.05, 0.0)],
        [ps.CosineParamScheduler(0.04, 0.4), ps.ConstantParamScheduler(0.0)],
        8,
        5,
    )
    assert curve.second == "weight_decay" and curve.momenta is not None
    assert [s.tolist() for s in curve.lrs] == lrs
    assert [s.tolist() for s in curve.momenta] == wds
    assert wds[0][-1] != wds[0][0]
    assert [g.name for g in curve.run.optimizer.groups] == [
        "lr default; weight_decay default",
        "lr default; weight_decay param_names: *bias*",
        "lr param_names: image_encoder.*; weight_decay default",
        "lr param_names: image_encoder.*; weight_decay param_names: *bias*",
    ]
    assert any("draws all 4 pairs" in n for n in curve.run.notes)


def test_sam2_mose_finetune_s_weight_decay() -> None:
    curve = lrviz.simulate(SAM2, overrides=SAM2_SETS, steps_per_epoch=20, param="weight_decay")
    base, vision = 5.0e-6, 3.0e-06
    lrs, wds = reference(
        [ps.CosineParamScheduler(base, 5.0e-7), ps.CosineParamScheduler(vision, 3.0e-7)],
        [ps.ConstantParamScheduler(0.1), ps.ConstantParamScheduler(0.0)],
        40,
        20,
    )
    assert curve.momenta is not None
    assert [s.tolist() for s in curve.lrs] == lrs and [s.tolist() for s in curve.momenta] == wds


def test_without_param_the_weight_decay_schedule_is_named() -> None:
    curve = lrviz.simulate(SAM2, overrides=SAM2_SETS, steps_per_epoch=2)
    assert any("weight_decay is scheduled too" in n and "weight_decay draws it" in n for n in curve.run.notes)
    assert len(curve.lrs) == 2


def test_param_weight_decay_without_a_weight_decay_list_is_refused() -> None:
    doc = {
        "trainer": {
            "max_epochs": 2,
            "optim": {"options": {"lr": [{"scheduler": node("ConstantParamScheduler", value=0.1)}]}},
        }
    }
    with pytest.raises(ConfigError, match="schedules no weight decay here"):
        lrviz.simulate(doc, steps_per_epoch=2, param="weight_decay")


def test_the_real_sam2_config_draws_its_weight_decay_with_the_legend_inside(tmp_path: Path) -> None:
    """Its 4 lr x weight_decay pairs make 8 long legend entries: they were wider than the figure, and the
    margin fit failed ("internal error: left cannot be >= right"); the legend now takes fewer columns."""
    from matplotlib.image import imread
    from typer.testing import CliRunner

    from lrviz.cli import app

    config = (
        Path(__file__).parents[2] / "realworld" / "configs" / "fvcore" / "sam2_1_hiera_b+_mose_finetune_cosine.yaml"
    )
    out = tmp_path / "sam2.png"
    ends = ["--set", "trainer.optim.options.lr.0.scheduler.end_value=5.0e-7"]  # ${divide:...}: a project resolver
    ends += ["--set", "trainer.optim.options.lr.1.scheduler.end_value=3.0e-7"]
    flags = [
        "--steps-per-epoch",
        "50",
        "--set",
        "trainer.max_epochs=40",
        *ends,
        "--param",
        "weight_decay",
        "-o",
        str(out),
    ]
    result = CliRunner().invoke(app, ["render", str(config), *flags])
    assert result.exit_code == 0, result.output
    image = imread(out)
    assert image.shape[1] == 1200  # the default 12-inch, 100 dpi figure: nothing drawn past its edge
    assert (image[:, :3, :3] == 1.0).all() and (image[:, -3:, :3] == 1.0).all()  # white margins both sides

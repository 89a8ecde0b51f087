"""fvcore param schedulers in SAM 2's (and VGGT's) trainer layout equal the trainer's own loop.

The reference loop is written here the way SAM 2's ``Trainer.train_epoch`` runs it
(facebookresearch/sam2 2b90b9f ``training/trainer.py`` 712-791; ``training/optimizer.py``
``Optimizer.__init__``): ``step_schedulers(0.0)`` at construction, then for each batch
``where = (epoch + data_iter / iters_per_epoch) / max_epochs`` and, when ``where < 1``,
each group's ``lr = scheduler(where)`` before ``optimizer.step()``. VGGT's loop runs
``limit_train_batches + 1`` batches (it breaks when ``data_iter > limit_train_batches``).
The scheduler classes are fvcore's own.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import torch
from typer.testing import CliRunner

import lrviz
from lrviz.cli.commands import app
from lrviz.errors import ConfigError

if importlib.util.find_spec("fvcore") is None:
    pytest.skip("fvcore is not installed: pip install 'lrviz[fvcore]'", allow_module_level=True)

from fvcore.common import param_scheduler as ps  # noqa: E402

runner = CliRunner()
REAL = Path(__file__).parents[2] / "realworld" / "configs" / "fvcore"
SAM2 = REAL / "sam2_1_hiera_b+_mose_finetune_cosine.yaml"
VGGT = REAL / "vggt_full_finetune_composite_linear_cosine.yaml"
#: SAM 2's custom OmegaConf resolvers (times, divide) run no code in lrviz: the values they compute, given
SAM2_SETS = [
    "trainer.max_epochs=40",
    "trainer.optim.options.lr.0.scheduler.end_value=5.0e-7",
    "trainer.optim.options.lr.1.scheduler.end_value=3.0e-7",
]


def reference(schedulers: list[Any], max_epochs: int, batches: int, divisor: int | None = None) -> list[list[float]]:
    """SAM 2's train_epoch over fvcore's classes: the LR of each param group at each optimizer step."""
    divisor = divisor or batches
    groups = [{"params": [torch.zeros(1, requires_grad=True)]} for _ in schedulers]
    optimizer = torch.optim.AdamW(groups)
    for group, scheduler in zip(optimizer.param_groups, schedulers, strict=True):
        group["lr"] = scheduler(0.0)
    out: list[list[float]] = [[] for _ in schedulers]
    for epoch in range(max_epochs):
        for data_iter in range(batches):
            exact_epoch = epoch + float(data_iter) / divisor
            where = float(exact_epoch) / max_epochs
            if where < 1.0:
                for group, scheduler in zip(optimizer.param_groups, schedulers, strict=True):
                    group["lr"] = scheduler(where)
            for g, group in enumerate(optimizer.param_groups):
                out[g].append(group["lr"])
            optimizer.step()
    return out


def sam2_doc(lr: list[dict[str, Any]], max_epochs: int = 10) -> dict[str, Any]:
    return {
        "trainer": {
            "max_epochs": max_epochs,
            "optim": {"optimizer": {"_target_": "torch.optim.AdamW"}, "options": {"lr": lr}},
        }
    }


def node(name: str, **args: Any) -> dict[str, Any]:
    return {"_target_": f"fvcore.common.param_scheduler.{name}", **args}


CASES = [
    (node("CosineParamScheduler", start_value=0.1, end_value=0.001), ps.CosineParamScheduler(0.1, 0.001)),
    (node("LinearParamScheduler", start_value=1e-6, end_value=0.1), ps.LinearParamScheduler(1e-6, 0.1)),
    (node("ConstantParamScheduler", value=0.05), ps.ConstantParamScheduler(0.05)),
    (node("ExponentialParamScheduler", start_value=0.1, decay=0.02), ps.ExponentialParamScheduler(0.1, 0.02)),
    (
        node("MultiStepParamScheduler", values=[0.1, 0.01, 0.001], milestones=[3, 7], num_updates=10),
        ps.MultiStepParamScheduler([0.1, 0.01, 0.001], num_updates=10, milestones=[3, 7]),
    ),
    (
        node("StepWithFixedGammaParamScheduler", base_value=0.1, num_decays=3, gamma=0.5, num_updates=10),
        ps.StepWithFixedGammaParamScheduler(0.1, 3, 0.5, 10),
    ),
    (node("PolynomialDecayParamScheduler", base_value=0.1, power=2.0), ps.PolynomialDecayParamScheduler(0.1, 2.0)),
    (
        node(
            "CompositeParamScheduler",
            schedulers=[
                node("LinearParamScheduler", start_value=0.0, end_value=0.1),
                node("CosineParamScheduler", start_value=0.1, end_value=0.0),
            ],
            lengths=[0.1, 0.9],
            interval_scaling=["rescaled", "fixed"],
        ),
        ps.CompositeParamScheduler(
            [ps.LinearParamScheduler(0.0, 0.1), ps.CosineParamScheduler(0.1, 0.0)], [0.1, 0.9], ["rescaled", "fixed"]
        ),
    ),
]


@pytest.mark.parametrize(("config", "scheduler"), CASES, ids=[c["_target_"].rpartition(".")[2] for c, _ in CASES])
@pytest.mark.parametrize("batches", [1, 7])
def test_each_scheduler_equals_the_trainer_loop(config: dict[str, Any], scheduler: Any, batches: int) -> None:
    curve = lrviz.simulate(sam2_doc([{"scheduler": config}]), steps_per_epoch=batches)
    assert curve.lrs[0].tolist() == reference([scheduler], 10, batches)[0]
    assert curve.run.points == 10 * batches


def test_each_entry_is_a_param_group_named_by_its_patterns() -> None:
    doc = sam2_doc(
        [
            {"scheduler": node("CosineParamScheduler", start_value=0.1, end_value=0.01)},
            {
                "scheduler": node("CosineParamScheduler", start_value=0.05, end_value=0.005),
                "param_names": ["image_encoder.*"],
            },
        ]
    )
    curve = lrviz.simulate(doc, steps_per_epoch=3)
    expected = reference([ps.CosineParamScheduler(0.1, 0.01), ps.CosineParamScheduler(0.05, 0.005)], 10, 3)
    assert [s.tolist() for s in curve.lrs] == expected
    assert [g.name for g in curve.run.optimizer.groups] == ["default", "param_names: image_encoder.*"]


def test_sam2_mose_finetune_with_its_resolved_values() -> None:
    curve = lrviz.simulate(SAM2, overrides=SAM2_SETS, steps_per_epoch=50)
    expected = reference([ps.CosineParamScheduler(5.0e-6, 5.0e-7), ps.CosineParamScheduler(3.0e-6, 3.0e-7)], 40, 50)
    assert [s.tolist() for s in curve.lrs] == expected
    notes = " ".join(curve.run.notes)
    assert "weight_decay is scheduled too" in notes and "layer decay" in notes
    assert "fvcore-end-not-reached" not in {f.code for f in curve.findings}  # 1999/2000 of a cosine: at its end


def test_a_sam2_fork_with_1000_epochs_and_its_resolved_values() -> None:
    """qimaqi/sam2_cbct: SAM 2.1's MOSE finetune with num_epochs 1000 and other learning rates' resolvers."""
    sets = ["trainer.max_epochs=1000", *SAM2_SETS[1:]]
    curve = lrviz.simulate(
        REAL / "sam2_cbct_hiera_t_amos_freeze_num_epochs_1000.yaml", overrides=sets, steps_per_epoch=2
    )
    expected = reference([ps.CosineParamScheduler(5.0e-6, 5.0e-7), ps.CosineParamScheduler(3.0e-6, 3.0e-7)], 1000, 2)
    assert [s.tolist() for s in curve.lrs] == expected


def test_a_coarse_where_never_reaches_end_value() -> None:
    curve = lrviz.simulate(sam2_doc([{"scheduler": node("LinearParamScheduler", start_value=0.1, end_value=0.0)}]))
    found = {f.code: f.message for f in curve.findings}
    assert curve.lrs[0][-1] == ps.LinearParamScheduler(0.1, 0.0)(0.9)  # the last where is 9/10
    assert "the last step's LR is 0.01, not 0:" in found["fvcore-end-not-reached"]


def test_sam2_custom_resolvers_are_named_not_run() -> None:
    with pytest.raises(ConfigError) as err:
        lrviz.load(SAM2, steps_per_epoch=50)
    text = str(err.value)
    assert "sam2_1_hiera_b+_mose_finetune_cosine.yaml" in text
    assert "end_value" in text and "uses the resolver 'divide', which lrviz does not run" in text


def test_every_value_a_project_resolver_computes_is_named_at_once() -> None:
    """Three ``${divide:...}``/``${times:...}`` values: one refusal with the three --set, not three tries."""
    from typer.testing import CliRunner

    from lrviz.cli import app

    ends = "trainer.optim.options.lr.{}.scheduler.end_value"
    result = CliRunner().invoke(app, ["render", str(SAM2), "--steps-per-epoch", "50"])
    assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1
    text = result.stderr.strip()
    assert text.startswith("Error: 3 values lrviz cannot resolve: ")
    assert ":259: trainer.optim.options.lr.1.scheduler.end_value: ${divide:${scratch.vision_lr},10}" in text
    assert ":60: trainer.max_epochs: ${times:${scratch.num_epochs},${scratch.phases_per_epoch}}" in text
    fix = f"set them with --set {ends.format(0)}=VALUE --set {ends.format(1)}=VALUE --set trainer.max_epochs=VALUE"
    assert text.endswith(fix)
    with pytest.raises(ConfigError) as err:  # the last one alone: its own message, as before
        lrviz.load(SAM2, steps_per_epoch=50, overrides=[f"{ends.format(0)}=5e-7", f"{ends.format(1)}=3e-7"])
    assert "trainer.max_epochs: ${times:" in str(err.value) and "values lrviz cannot resolve" not in str(err.value)
    curve = lrviz.simulate(
        SAM2,
        steps_per_epoch=50,
        overrides=[f"{ends.format(0)}=5e-7", f"{ends.format(1)}=3e-7", "trainer.max_epochs=40"],
    )
    assert curve.run.epochs == 40


def test_vggt_full_finetune_runs_limit_train_batches_plus_one() -> None:
    curve = lrviz.simulate(VGGT)
    composite = ps.CompositeParamScheduler(
        [ps.LinearParamScheduler(1e-8, 1e-4), ps.CosineParamScheduler(1e-4, 1e-8)],
        [0.05, 0.95],
        ["rescaled", "rescaled"],
    )
    assert curve.lrs[0].tolist() == reference([composite], 100, 801, divisor=800)[0]
    assert curve.run.points == 100 * 801
    found = {f.code: f.message for f in curve.findings}
    assert "each epoch runs 801 batches" in found["fvcore-extra-batch"]
    # the extra batch of the last epoch is at where = 1: skipped, so it repeats the LR before it
    assert curve.lrs[0][-1] == curve.lrs[0][-2]


def test_vggt_with_a_shorter_loader() -> None:
    curve = lrviz.simulate(VGGT, steps_per_epoch=500)
    composite = ps.CompositeParamScheduler(
        [ps.LinearParamScheduler(1e-8, 1e-4), ps.CosineParamScheduler(1e-4, 1e-8)],
        [0.05, 0.95],
        ["rescaled", "rescaled"],
    )
    assert curve.lrs[0].tolist() == reference([composite], 100, 500, divisor=800)[0]
    assert "fvcore-extra-batch" not in {f.code for f in curve.findings}


@pytest.mark.parametrize(
    "name",
    [
        "sam3_roboflow_v100_full_ft_inverse_sqrt_project_class.yaml",
        "sam3_odinw_text_only_train_inverse_sqrt_project_class.yaml",
    ],
)
def test_sam3_project_scheduler_is_refused_naming_it(name: str) -> None:
    result = runner.invoke(app, ["render", str(REAL / name)])
    assert result.exit_code == 2
    assert "sam3.train.optim.schedulers.InverseSquareRootParamScheduler" in result.stderr
    assert "options.lr.0.scheduler._target_" in result.stderr
    assert "not one of fvcore's param schedulers" in result.stderr


@pytest.mark.parametrize(
    ("lr", "message"),
    [
        (
            [{"scheduler": node("CosineParamSchedular", start_value=1, end_value=0)}],
            "(did you mean CosineParamScheduler or",
        ),
        ([{"scheduler": node("CosineParamScheduler", start_value=1, end_vlaue=0)}], "(did you mean end_value?)"),
        ([{"scheduler": node("CosineParamScheduler", start_value=1)}], "end_value"),
        (
            [
                {
                    "scheduler": node(
                        "CompositeParamScheduler",
                        schedulers=[node("ConstantParamScheduler", value=1)],
                        lengths=[0.5],
                        interval_scaling=["fixed"],
                    )
                }
            ],
            "lengths must be 1",
        ),
        (
            [
                {"scheduler": node("ConstantParamScheduler", value=1)},
                {"scheduler": node("ConstantParamScheduler", value=2)},
            ],
            "allows one entry",
        ),
    ],
)
def test_bad_nodes_are_refused_at_their_key(lr: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(ConfigError) as err:
        lrviz.load(sam2_doc(lr), steps_per_epoch=2)
    assert message in str(err.value)
    assert "options.lr" in str(err.value)


def test_an_empty_lr_list_and_a_forced_dialect_are_refused() -> None:
    with pytest.raises(ConfigError, match="no LR schedulers: the trainer keeps the optimizer's own lr"):
        doc = sam2_doc([])
        doc["trainer"]["optim"]["options"]["weight_decay"] = [{"scheduler": node("ConstantParamScheduler", value=0.1)}]
        lrviz.load(doc)
    with pytest.raises(ConfigError, match="outside the SAM 2 trainer's layout"):
        lrviz.load({"scheduler": {"name": "StepLR", "step_size": 3}}, dialect="fvcore")


def test_an_fvcore_node_outside_the_trainer_layout_is_refused() -> None:
    with pytest.raises(ConfigError, match="outside the SAM 2 trainer's layout"):
        lrviz.load(
            {
                "lr_multiplier": {
                    "_target_": "detectron2.solver.WarmupParamScheduler",
                    "scheduler": node("CosineParamScheduler", start_value=1.0, end_value=0.0),
                }
            }
        )


def test_resume_continues_the_same_curve() -> None:
    curve = lrviz.simulate(
        sam2_doc([{"scheduler": node("CosineParamScheduler", start_value=0.1, end_value=0.0)}]),
        steps_per_epoch=4,
        resume_at=3,
    )
    assert curve.resumed is not None and curve.resumed[0].tolist() == curve.lrs[0].tolist()


def test_code_runs_and_prints_the_rendered_curve(tmp_path: Path) -> None:
    run = lrviz.load(VGGT, steps_per_epoch=30, overrides=["max_epochs=4"])
    source = lrviz.code(run)
    assert "CompositeParamScheduler(schedulers=[LinearParamScheduler(" in source
    script = tmp_path / "snippet.py"
    script.write_text(source)
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, check=True, timeout=120).stdout
    printed = [float(line.rpartition(" ")[2]) for line in out.splitlines()]
    assert printed == lrviz.simulate(run).lrs[0].tolist()


def test_render_cli_and_explain() -> None:
    result = runner.invoke(app, ["render", str(VGGT), "--explain"])
    assert result.exit_code == 0, result.stderr
    assert "dialect: fvcore (decided by optim.options.lr.0.scheduler._target_" in result.stderr
    assert "read: limit_train_batches, optim, max_epochs" in result.stderr


FAST = """
import sys
import typer
from lrviz.cli import app
try:
    typer.main.get_command(app).main({args!r}, prog_name="lrviz")
except SystemExit:
    pass
print(sorted(m for m in ("fvcore", "espnet2") if m in sys.modules))
"""


@pytest.mark.parametrize("args", [["--help"], ["cosine", "--t-max", "3"], ["render", "nope.yaml"]])
def test_help_errors_and_torch_runs_import_no_fvcore(args: list[str]) -> None:
    result = subprocess.run([sys.executable, "-c", FAST.format(args=args)], capture_output=True, text=True, timeout=120)
    assert result.stdout.strip().splitlines()[-1] == "[]"

"""Megatron-LM's ``--yaml-cfg`` file and the weight decay its scheduler sets, == megatron-core's own loop.

The reference loop is the one of test_megatron.py: ``OptimizerParamScheduler`` built with the
arguments ``get_optimizer_param_scheduler`` passes (NVIDIA/Megatron-LM d98e8a64 ``training.py``
2553-2604) and stepped by the global batch after each iteration (3213-3223); the LR and the weight
decay of an iteration are read from the param group before its optimizer step. The YAML is read as
``megatron/training/yaml_arguments.py`` reads it: ``load_yaml`` replaces the flags, ``validate_yaml``
merges the ``model_parallel`` and ``language_model`` blocks into the top level.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from typer.testing import CliRunner

import lrviz
from lrviz.cli import app
from lrviz.errors import ConfigError

scheduler_module = pytest.importorskip("megatron.core.optimizer_param_scheduler")
REAL = Path(__file__).parents[2] / "realworld" / "configs" / "megatron"
runner = CliRunner()


def reference(iters: int, gbs: int, **kwargs: Any) -> tuple[list[float], list[float]]:
    """The LRs and weight decays of ``iters`` iterations of megatron-core's scheduler."""
    args: dict[str, Any] = {
        "init_lr": 0.0,
        "min_lr": 0.0,
        "start_wd": 0.01,
        "end_wd": 0.01,
        "wd_incr_style": "constant",
        "wd_incr_steps": iters * gbs,
        "use_checkpoint_opt_param_scheduler": False,
        "override_opt_param_scheduler": False,
        "wsd_decay_steps": None,
        "lr_wsd_decay_style": "exponential",
        **kwargs,
    }
    param = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.AdamW([param], lr=args["max_lr"])
    scheduler = scheduler_module.OptimizerParamScheduler(optimizer, **args)
    lrs, wds = [], []
    for _ in range(iters):
        lrs.append(optimizer.param_groups[0]["lr"])
        wds.append(optimizer.param_groups[0]["weight_decay"])
        optimizer.step()
        scheduler.step(increment=gbs)
    return lrs, wds


BLOCKS = """\
language_model:
  num_layers: 2
  hidden_size: 64
model_parallel:
  tensor_model_parallel_size: 2
  pipeline_model_parallel_size: 1
  context_parallel_size: 1
micro_batch_size: 4
rampup_batch_size: null
lr: 3.0e-4
min_lr: 3.0e-5
lr_decay_style: cosine
lr_decay_iters: null
lr_warmup_fraction: 0.1
lr_warmup_iters: 0
lr_warmup_init: 0.0
train_iters: 120
weight_decay: 0.1
start_weight_decay: null
end_weight_decay: null
weight_decay_incr_style: constant
"""


def test_a_yaml_cfg_file_with_megatron_s_blocks_is_read_as_validate_yaml_merges_them(tmp_path: Path) -> None:
    path = tmp_path / "gpt.yaml"
    path.write_text(BLOCKS)
    curve = lrviz.simulate(path, world_size=8)  # data parallel 8 // (tensor 2 from the block) = 4
    gbs = 4 * 4
    lrs, _ = reference(
        120,
        gbs,
        max_lr=3e-4,
        min_lr=3e-5,
        lr_warmup_steps=0.1 * 120 * gbs,
        lr_decay_steps=120 * gbs,
        lr_decay_style="cosine",
        start_wd=0.1,
        end_wd=0.1,
    )
    assert curve.lr == lrs
    assert curve.run.family == "megatron"
    assert any("not in the file: lr_wsd_decay_style" in n and "AttributeError" in n for n in curve.run.notes)


def test_a_key_in_a_block_and_at_the_top_is_refused_as_validate_yaml_refuses_it(tmp_path: Path) -> None:
    path = tmp_path / "twice.yaml"
    path.write_text(BLOCKS + "tensor_model_parallel_size: 4\n")
    with pytest.raises(ConfigError, match=r"model_parallel\.tensor_model_parallel_size: also set as"):
        lrviz.simulate(path, world_size=8)


def test_a_gpt_neox_yaml_or_one_megatron_key_is_not_read_as_megatron(tmp_path: Path) -> None:
    neox = Path(__file__).parents[2] / "realworld" / "configs" / "other_frameworks" / "gptneox_125M.yml"
    with pytest.raises(ConfigError, match="GPT-NeoX"):
        lrviz.simulate(neox)
    one = {"train_iters": 100, "lr_decay_style": "cosine", "lr_decay_iters": 100, "global_batch_size": 8}
    with pytest.raises(ConfigError, match="GPT-NeoX"):
        lrviz.simulate(one)


def test_a_command_s_yaml_cfg_replaces_its_flags_and_set_changes_the_file(tmp_path: Path) -> None:
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "gpt.yaml").write_text(BLOCKS)
    script = tmp_path / "conf" / "run.sh"  # the file is found beside the script too
    script.write_text("torchrun --nproc_per_node 8 pretrain_gpt.py --yaml-cfg gpt.yaml --lr 1e-3 --train-iters 5\n")
    curve = lrviz.simulate(script, overrides=["train_iters=60"])
    gbs = 4 * 4
    lrs, _ = reference(
        60,
        gbs,
        max_lr=3e-4,
        min_lr=3e-5,
        lr_warmup_steps=0.1 * 60 * gbs,
        lr_decay_steps=60 * gbs,
        lr_decay_style="cosine",
        start_wd=0.1,
        end_wd=0.1,
    )
    assert curve.lr == lrs  # --lr 1e-3 on the command line has no effect; --set reaches the file
    assert any("ignores the command's flags: --lr have no effect" in n for n in curve.run.notes)


def test_a_yaml_cfg_that_is_not_there_is_named(tmp_path: Path) -> None:
    script = tmp_path / "run.sh"
    script.write_text("torchrun pretrain_gpt.py --yaml-cfg nope.yaml\n")
    with pytest.raises(ConfigError, match=r"run\.sh:1: --yaml-cfg nope\.yaml: no such file"):
        lrviz.simulate(script)


def test_the_trainer_yaml_equals_the_loop() -> None:
    """examples/cli-arg-yaml-cfgs/trainer.yaml: 500,000 iterations of global batch 96 (drawn for 3,000)."""
    curve = lrviz.simulate(REAL / "megatron_lm_cli_arg_yaml_cfgs_trainer.yaml", overrides=["train_iters=3000"])
    lrs, _ = reference(
        3000,
        96,
        max_lr=6e-5,
        min_lr=6e-6,
        lr_warmup_steps=0.001 * 430000 * 96,
        lr_decay_steps=430000 * 96,
        lr_decay_style="cosine",
        start_wd=0.1,
        end_wd=0.1,
    )
    assert curve.lr == lrs


@pytest.mark.parametrize(
    ("name", "key", "line"),
    [
        ("megatron_lm_gpt3_gpt_config_rampup_batch_size.yaml", "rampup_batch_size", 139),
        ("megatron_lm_gpt3_gpt_config_step_batch_size_schedule.yaml", "step_batch_size_schedule", 139),
    ],
)
def test_megatron_s_own_gpt_config_is_refused_for_its_batch_ramp(name: str, key: str, line: int) -> None:
    with pytest.raises(ConfigError) as caught:
        lrviz.simulate(REAL / name)
    assert f"{name}:{line}: {key}:" in str(caught.value)
    assert f"{key}=null" in str(caught.value)


def test_megatron_s_own_gpt_config_without_the_ramp_equals_the_loop() -> None:
    """The sample-counted schedule of examples/gpt3/gpt_config.yaml; a 1,280 global batch keeps it short."""
    curve = lrviz.simulate(
        REAL / "megatron_lm_gpt3_gpt_config_rampup_batch_size.yaml",
        overrides=["rampup_batch_size=null", "global_batch_size=1280"],
    )
    iters = 268554688 // 1280
    lrs, _ = reference(
        iters,
        1280,
        max_lr=2.5e-4,
        min_lr=2.5e-5,
        lr_warmup_steps=81381,
        lr_decay_steps=255126953,
        lr_decay_style="cosine",
        start_wd=0.1,
        end_wd=0.1,
        wd_incr_steps=268554688,
    )
    assert curve.lr == lrs
    assert any(f.code == "megatron-counts-samples" for f in curve.findings)


def test_every_real_megatron_yaml_is_covered() -> None:
    assert len(list(REAL.glob("*.yaml"))) == 3


@pytest.mark.parametrize("style", ["constant", "linear", "cosine"])
def test_param_weight_decay_draws_what_the_scheduler_sets(tmp_path: Path, style: str) -> None:
    flags = (
        f"--weight-decay-incr-style {style} --start-weight-decay 0.01 --end-weight-decay 0.1"
        if style != "constant"
        else "--weight-decay 0.05"
    )
    script = tmp_path / "run.sh"
    script.write_text(f"torchrun pretrain_gpt.py --global-batch-size 8 --lr 1e-3 --train-iters 80 {flags}\n")
    curve = lrviz.simulate(script, param="weight_decay")
    start, end = (0.01, 0.1) if style != "constant" else (0.05, 0.05)
    lrs, wds = reference(
        80,
        8,
        max_lr=1e-3,
        lr_warmup_steps=0,
        lr_decay_steps=80 * 8,
        lr_decay_style="linear",
        start_wd=start,
        end_wd=end,
        wd_incr_style=style,
    )
    assert curve.second == "weight_decay" and curve.momenta is not None
    assert curve.lr == lrs and list(curve.momenta[0]) == wds
    assert (wds[-1] != wds[0]) == (style != "constant")


def test_param_weight_decay_on_the_command_line(tmp_path: Path) -> None:
    out = tmp_path / "wd.csv"
    command = (
        "torchrun pretrain_gpt.py --global-batch-size 8 --lr 1e-3 --train-iters 20 --weight-decay-incr-style linear "
        "--start-weight-decay 0.0 --end-weight-decay 0.2"
    )
    result = runner.invoke(app, ["render", "--command", command, "--param", "weight_decay", "-o", str(out)])
    assert result.exit_code == 0, result.output
    rows = [line.split(",") for line in out.read_text().splitlines()]
    assert rows[0] == ["step", "lr", "weight_decay", "restart"]
    assert float(rows[1][2]) == 0.0 and float(rows[-1][2]) == pytest.approx(0.19)

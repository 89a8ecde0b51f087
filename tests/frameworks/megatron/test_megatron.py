"""Megatron-LM launch flags, stepped == a loop over megatron-core's own OptimizerParamScheduler.

The reference loop is written here the way Megatron-LM trains (``training.py`` of NVIDIA/Megatron-LM
d98e8a64: ``get_optimizer_param_scheduler`` 2553-2606 builds the scheduler from the flags, in samples;
``train_step`` 3213-3223 calls ``step(increment=global_batch_size)`` after each iteration): the LR of
an iteration is read before its optimizer step. The scheduler class is megatron-core's own.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import torch

import lrviz
from lrviz.errors import ConfigError

scheduler_module = pytest.importorskip("megatron.core.optimizer_param_scheduler")
REAL = Path(__file__).parents[2] / "realworld" / "configs" / "launch" / "megatron"
BASE = "torchrun --nproc_per_node 8 pretrain_gpt.py --micro-batch-size 2 --global-batch-size 32 --lr 3e-4 "


def reference(iters: int, gbs: int, **kwargs: Any) -> list[float]:
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
    out = []
    for _ in range(iters):
        out.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step(increment=gbs)
    return out


def script(tmp_path: Path, flags: str) -> Path:
    path = tmp_path / "pretrain.sh"
    path.write_text(BASE + flags + "\n")
    return path


@pytest.mark.parametrize("style", ["constant", "linear", "cosine", "inverse-square-root"])
def test_each_decay_style_counts_iterations_in_samples(tmp_path: Path, style: str) -> None:
    path = script(tmp_path, f"--lr-decay-style {style} --min-lr 3e-5 --lr-warmup-iters 10 --train-iters 200")
    curve = lrviz.simulate(path)
    expected = reference(
        200, 32, max_lr=3e-4, min_lr=3e-5, lr_warmup_steps=10 * 32, lr_decay_steps=200 * 32, lr_decay_style=style
    )
    assert curve.lr == expected
    assert curve.run.family == "megatron"


@pytest.mark.parametrize("wsd", ["exponential", "linear", "cosine", "minus_sqrt"])
def test_wsd_with_each_decay_shape(tmp_path: Path, wsd: str) -> None:
    path = script(
        tmp_path,
        f"--lr-decay-style WSD --lr-wsd-decay-style {wsd} --lr-wsd-decay-iters 50 --lr-warmup-fraction 0.05 "
        "--train-iters 300 --lr-decay-iters 280",
    )
    decay = 280 * 32
    expected = reference(
        300,
        32,
        max_lr=3e-4,
        lr_warmup_steps=0.05 * decay,
        lr_decay_steps=decay,
        lr_decay_style="WSD",
        wsd_decay_steps=50 * 32,
        lr_wsd_decay_style=wsd,
    )
    assert lrviz.simulate(path).lr == expected


def test_sample_based_training(tmp_path: Path) -> None:
    path = script(
        tmp_path, "--lr-decay-style cosine --train-samples 10000 --lr-warmup-samples 640 --lr-warmup-init 1e-5"
    )
    curve = lrviz.simulate(path)
    expected = reference(
        10000 // 32,
        32,
        init_lr=1e-5,
        max_lr=3e-4,
        lr_warmup_steps=640,
        lr_decay_steps=10000,
        lr_decay_style="cosine",
        wd_incr_steps=10000,
    )
    assert curve.lr == expected
    assert any(f.code == "megatron-counts-samples" for f in curve.findings)


def test_global_batch_from_the_micro_batch_and_the_world(tmp_path: Path) -> None:
    path = tmp_path / "p.sh"
    path.write_text(
        "torchrun --nnodes 2 --nproc_per_node 8 pretrain_gpt.py --micro-batch-size 2 --tensor-model-parallel-size 2 "
        "--lr 1e-4 --train-iters 50 --lr-decay-style linear --start-weight-decay 0.0 --end-weight-decay 0.1 "
        "--weight-decay-incr-style linear\n"
    )
    gbs = 2 * (16 // 2)
    expected = reference(
        50,
        gbs,
        max_lr=1e-4,
        lr_warmup_steps=0,
        lr_decay_steps=50 * gbs,
        lr_decay_style="linear",
        start_wd=0.0,
        end_wd=0.1,
        wd_incr_style="linear",
    )
    assert lrviz.simulate(path).lr == expected


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        ("--train-iters 10 --lr-warmup-samples 5", "--lr-warmup-samples: Megatron refuses it with --train-iters"),
        ("--train-samples 100 --lr-decay-iters 5", "--lr-decay-iters: Megatron refuses it with --train-samples"),
        ("--lr-decay-style WSD --train-iters 10", "WSD needs --lr-wsd-decay-iters"),
        ("--lr-decay-style cosin --train-iters 10", "--lr-decay-style: expected one of"),
        ("--lr-decay-style linear", "either --train-iters or --train-samples"),
        ("--train-iters 10 --rampup-batch-size 16 16 1000", "--rampup-batch-size: the global batch grows"),
        ("--train-iters 10 --min-lr 1e-3", "OptimizerParamScheduler rejected"),
        ("--train-iters 10 --lr-warmup-iters 10", "OptimizerParamScheduler rejected"),
    ],
)
def test_what_megatron_refuses_is_refused_naming_the_flag(tmp_path: Path, flags: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        lrviz.simulate(script(tmp_path, flags))
    assert message in str(caught.value)


def test_code_prints_a_script_that_reproduces_the_curve(tmp_path: Path) -> None:
    path = script(tmp_path, "--lr-decay-style cosine --min-lr 1e-5 --lr-warmup-fraction 0.1 --train-iters 40")
    source = lrviz.code(path)
    out = subprocess.run([sys.executable, "-c", source], capture_output=True, text=True, check=True).stdout
    printed = [float(line.rsplit(" ", 1)[1]) for line in out.splitlines()]
    assert printed == lrviz.simulate(path).lr


#: Each real script: its flags as the reference arguments, or its refusal. The long runs are drawn with
#: --set train_iters=N (every other flag as the script gives it): the curve is the same prefix of the run.
REAL_CASES: dict[str, tuple[int, int, dict[str, Any]] | str] = {
    "bigscience_pretrain_gpt_tiny.sh": (
        10000,
        8,
        {
            "max_lr": 1.5e-4,
            "min_lr": 1e-5,
            "lr_warmup_steps": 0.01 * 5000 * 8,
            "lr_decay_steps": 5000 * 8,
            "lr_decay_style": "cosine",
        },
    ),
    "bigscience_pretrain_gpt_distributed.sh": (
        3000,
        64,
        {
            "max_lr": 1.5e-4,
            "min_lr": 1e-5,
            "lr_warmup_steps": 0.01 * 320000 * 64,
            "lr_decay_steps": 320000 * 64,
            "lr_decay_style": "cosine",
        },
    ),
    "megatron_lm_train_bert_340m_distributed.sh": (
        3000,
        32,
        {
            "max_lr": 1e-4,
            "min_lr": 1e-5,
            "lr_warmup_steps": 0.01 * 990000 * 32,
            "lr_decay_steps": 990000 * 32,
            "lr_decay_style": "linear",
        },
    ),
    "megatron_lm_train_mixtral_8x7b_distributed.sh": (
        3000,
        256,
        {
            "max_lr": 1e-4,
            "min_lr": 1e-5,
            "lr_warmup_steps": 500 * 256,
            "lr_decay_steps": 320000 * 256,
            "lr_decay_style": "cosine",
        },
    ),
    # flags in a string variable expanded unquoted ($GPT_ARGS), launched by python -m torch.distributed.launch
    "nnscaler_benchmark_gpt.sh": (
        10,
        128,
        {
            "max_lr": 1.5e-4,
            "lr_warmup_steps": 0.01 * 320000 * 128,
            "lr_decay_steps": 320000 * 128,
            "lr_decay_style": "cosine",
        },
    ),
    # TRAIN_STEPS=$((${LR_WARMUP_STEPS} + ${LR_DECAY_ITERS})): bash arithmetic is named, with --command as the way out
    "llmjp_v3_152m_sakura_train_bash_arithmetic.sh": "--train-iters $((${LR_WARMUP_STEPS} + ${LR_DECAY_ITERS}))",
    "megatron_lm_train_gpt3_175b_distributed.sh": "--step-batch-size-schedule: the global batch changes",
    "megatron_lm_mamba_train.sh": "sets only inside the block at line 7",
}


@pytest.mark.parametrize("name", sorted(REAL_CASES))
def test_real_scripts_equal_the_loop_or_are_refused_exactly(name: str) -> None:
    expected = REAL_CASES[name]
    if isinstance(expected, str):
        with pytest.raises(ConfigError) as caught:
            lrviz.simulate(REAL / name)
        assert expected in str(caught.value)
        return
    iters, gbs, kwargs = expected
    weight_decay = 0.1 if "mixtral" in name else 0.01
    overrides = [] if iters == 10000 else [f"train_iters={iters}"]
    curve = lrviz.simulate(REAL / name, overrides=overrides)
    if overrides:  # decay and warmup stay the script's; only the run is shorter
        assert curve.run.epochs == iters
    assert curve.lr == reference(iters, gbs, start_wd=weight_decay, end_wd=weight_decay, **kwargs)


def test_every_real_script_is_covered() -> None:
    assert sorted(p.name for p in REAL.glob("*.sh")) == sorted(REAL_CASES)


def test_a_gpt_neox_yaml_is_still_refused_as_gpt_neox() -> None:
    config = {"train_iters": 100, "lr_decay_style": "cosine", "lr_decay_iters": 100, "min_lr": 1e-5}
    with pytest.raises(ConfigError, match="GPT-NeoX"):
        lrviz.simulate(config)

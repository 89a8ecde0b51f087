"""A fresh-eyes audit of the core readers (TrainingArguments, launch scripts, LightningCLI, timm, DeepSpeed).

Every file under ``configs/core_audit/`` was copied unchanged from a public repository lrviz had
not read before (``SOURCES.md``). Each row is the command a user would type and either the
schedule the framework's own loop runs (``==``, through ``helpers.run_case``) or the refusal
expected. Three files came in with a wrong reading, fixed with them: transformers' ``mae.sh``
(``/usr/bin/env python3 run_mae.py ... | tee``) was "no training command found", and once read it
was drawn at the Trainer's default 5e-05 although run_mae.py sets the LR from its own
``--base_learning_rate`` (now refused naming that flag); Matcha-TTS's scheduler group file was
drawn once per epoch with its ``lightning_args: {interval: step, frequency: 10}`` unread and unsaid.
"""

from __future__ import annotations

import importlib.util
import types
import warnings
from pathlib import Path
from typing import Any

import pytest

import lrviz
from tests.realworld.helpers import CONFIGS, Case, HFSchedule, Refusal, Schedule, case_id, run_case

HERE = "core_audit"
VICUNA = f"{HERE}/launch_fastchat_train_vicuna_7b_torchrun16.sh"
QWEN_DS = f"{HERE}/qwen_ds_pair/finetune/finetune_ds.sh"
FIREFLY_SFT = f"{HERE}/firefly_pair/train_args/sft/full/qwen-7b-sft-full.json"
DS_BUILDS = "the DeepSpeed engine builds WarmupLR from this block"
AUTO = ('"auto" is filled in by the Hugging Face Trainer', "--set scheduler.params.warmup_min_lr=VALUE")
NOTE = ("note:", "SGD(lr=0.1)")  # the file names no optimizer: the default, said out loud

CASES: list[Case] = [
    Case(
        VICUNA,
        # torchrun --nproc_per_node=16: 10,000 samples / batch 2 = 5,000 batches, 313 per rank,
        # ceil(313 / 16) = 20 optimizer steps per epoch, 3 epochs; warmup ceil(0.04 x 60) = 3
        "render {file} --dataset-size 10000",
        HFSchedule("cosine", 2e-5, 3, 60),
        "torchrun's process count divides the batches; FSDP does not change the schedule",
    ),
    Case(
        f"{HERE}/launch_fastchat_train_lora_deepspeed_config_from_env.sh",
        "render {file} --dataset-size 10000",
        Refusal(
            (
                "launch_fastchat_train_lora_deepspeed_config_from_env.sh:27: --deepspeed $PATH_TO_DEEPSPEED_CONFIG_S2",
                "--command",
            )
        ),
        "a DeepSpeed config named by an environment variable may hold a scheduler: refused, with its line",
        label="refused",
    ),
    Case(
        f"{HERE}/launch_qwen_finetune_lora_single_gpu.sh",
        # 10,000 / batch 2 = 5,000 batches / accumulate 8 = 625 steps x 5 epochs; warmup ceil(0.01 x 3,125) = 32
        "render {file} --dataset-size 10000",
        HFSchedule("cosine", 3e-4, 32, 3125),
        "variables that do not touch the LR ($MODEL, $DATA) are left alone",
    ),
    Case(
        f"{HERE}/launch_transformers_mae_base_learning_rate.sh",
        "render {file} --dataset-size 10000",
        Refusal(
            (
                "launch_transformers_mae_base_learning_rate.sh:14: --base_learning_rate: learning_rate is not set",
                "--set learning_rate=VALUE",
            )
        ),
        "run_mae.py sets learning_rate from its own --base_learning_rate: the Trainer's default is not drawn",
        label="refused",
    ),
    Case(
        f"{HERE}/launch_transformers_mae_base_learning_rate.sh",
        # run_mae.py: 1.5e-4 x (256 x 1 x 1) / 256 = 1.5e-4; 10,000 / 256 = 40 steps x 5 epochs, warmup 10
        "render {file} --dataset-size 10000 --set learning_rate=1.5e-4",
        HFSchedule("cosine", 1.5e-4, 10, 200),
        "/usr/bin/env python3 ... 2>&1 | tee: the command is read; the LR given",
        label="set",
    ),
    Case(
        QWEN_DS,
        # run where it is launched: the Trainer fills ds_config_zero2.json's WarmupLR (all "auto") and the
        # DeepSpeed engine steps it in place of the cosine: 3,125 steps, warmup ceil(0.01 x 3,125) = 32, log warmup
        "render {file} --dataset-size 10000",
        Schedule(
            "deepspeed.WarmupLR",
            {"warmup_min_lr": 0, "warmup_max_lr": 1e-5, "warmup_num_steps": 32},
            epochs=3125,
            optimizer="AdamW",
            lr=1e-5,
            stderr=(DS_BUILDS, "warmup_min_lr=0, warmup_max_lr=1e-05, warmup_num_steps=32", "warmup_type=log"),
        ),
        "run where it is launched: ds_config_zero2.json's WarmupLR, filled by the Trainer, replaces the cosine",
        label="deepspeed",
        cwd=f"{HERE}/qwen_ds_pair",
    ),
    Case(
        QWEN_DS,
        # $(python -c ...) GPUs: 1 rank assumed and said; 10,000 / 16 = 625 steps x 5 epochs, warmup 32
        "render {file} --dataset-size 10000 --set deepspeed=null",
        HFSchedule("cosine", 1e-5, 32, 3125, stderr=("the process count is decided at run time",)),
        "the Trainer's own schedule once the DeepSpeed config is set aside",
        label="set",
        cwd=f"{HERE}/qwen_ds_pair",
    ),
    Case(
        f"{HERE}/qwen_ds_pair/finetune/ds_config_zero2.json",
        "render {file}",
        Refusal(AUTO),
        "a Trainer-filled DeepSpeed config on its own",
        label="auto",
    ),
    Case(
        FIREFLY_SFT,
        # 10,000 / batch 1 / accumulate 16 = 625 steps; ds_z3_config.json's WarmupLR, warmup_steps 100 filled in
        "render {file} --dataset-size 10000",
        Schedule(
            "deepspeed.WarmupLR",
            {"warmup_min_lr": 0, "warmup_max_lr": 1e-5, "warmup_num_steps": 100},
            epochs=625,
            optimizer="AdamW",
            lr=1e-5,
            stderr=(
                DS_BUILDS,
                "warmup_type=log",
                "fp16: fp16 with loss scaling skips the engine's lr_scheduler.step()",
            ),
        ),
        "Firefly's JSON TrainingArguments point at a ds_z3_config.json with WarmupLR: the engine's schedule, filled",
        label="deepspeed",
        cwd=f"{HERE}/firefly_pair",
    ),
    Case(
        FIREFLY_SFT,
        "render {file} --dataset-size 10000",
        HFSchedule("cosine", 1e-5, 100, 625, stderr=("ds_z3_config.json is not found",)),
        "away from the launch directory the DeepSpeed file is not found: drawn, and said",
        label="elsewhere",
    ),
    Case(
        f"{HERE}/firefly_pair/train_args/ds_z3_config.json",
        "render {file}",
        Refusal(AUTO),
        "a Trainer-filled DeepSpeed config on its own",
        label="auto",
    ),
    Case(
        f"{HERE}/firefly_pair/train_args/dpo/full/minicpm-2b-dpo-full.json",
        "render {file} --dataset-size 10000",
        HFSchedule("constant_with_warmup", 2e-4, 100, 625),
        "a DPO run through TRL's DPOTrainer, whose create_scheduler is the Trainer's",
    ),
    Case(
        f"{HERE}/launch_llava_v1_5_finetune_lora_mm_projector_lr.sh",
        # deepspeed without --num_gpus: 1 rank assumed and said; 10,000 / 16 = 625 batches / 2 = 313 steps
        "render {file} --dataset-size 10000",
        HFSchedule("cosine", 2e-4, 10, 313, stderr=("mm_projector_lr: not a key", "deepspeed --num_gpus not given")),
        "LLaVA's projector group LR is the script's own: group 0 drawn, the key named",
    ),
    Case(
        f"{HERE}/deepspeed_cscfi_ds_config_warmuplr_log.json",
        "render {file} --epochs 10 --steps-per-epoch 125",
        Schedule(
            "deepspeed.WarmupLR",
            {"warmup_min_lr": 0, "warmup_max_lr": 0.001, "warmup_num_steps": 1000},
            epochs=10,
            steps_per_epoch=125,
            optimizer="AdamW",
            lr=0.001,
            stderr=("warmup_type=log",),
        ),
        "DeepSpeed's WarmupLR with its default log warmup, said",
    ),
    Case(
        f"{HERE}/deepspeed_cscfi_ds_config_warmuplr_log.json",
        "render {file}",
        Refusal(("runs until training stops", "--epochs N")),
        "WarmupLR does not say how long the run is",
        label="refused",
    ),
    Case(
        f"{HERE}/hydra_detr_cosine_node_only.yaml",
        "render {file} --epochs 30",
        Schedule("CosineAnnealingLR", {"T_max": 30, "eta_min": 0.0}, epochs=30, stderr=NOTE),
        "a configs/scheduler/cosine.yaml group file on its own",
    ),
    Case(
        f"{HERE}/hydra_sparse_moes_partial_get_method_resolver.yaml",
        "render {file} --epochs 30",
        Refusal(("no scheduler found",)),
        "functools.partial of a project class named through a custom resolver: nothing drawn",
        label="refused",
    ),
    Case(
        f"{HERE}/lightning_cli_distillclip_image_model_own_schedule.yaml",
        "render {file}",
        Refusal(("lightning_cli_distillclip_image_model_own_schedule.yaml:2: model.class_path: DistillModel builds",)),
        "warm_steps/total_steps/lr are the model's own arguments: no scheduler is drawn",
        label="refused",
    ),
]


@pytest.mark.parametrize("case", [pytest.param(c, id=case_id(c)) for c in CASES])
def test_core_dialect_config(case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run_case(case, tmp_path, monkeypatch)


TIMM_SCRIPT = f"{HERE}/launch_hfexp_rafflesia_timm_train_cosine.sh"


def test_a_timm_train_py_launch_script_equals_train_pys_loop() -> None:
    """bolotyuh/hf-exp's copy of timm's train.py: create_scheduler_v2, stepped once per epoch (sched_on_updates off)."""
    if importlib.util.find_spec("timm") is None:  # timm's own __init__ needs torchvision; lrviz does not
        pytest.skip("timm is not installed")
    import torch

    from lrviz.frameworks.timm import read as timm_config
    from lrviz.frameworks.timm.step import timm_scheduler_module

    factory = timm_scheduler_module()
    flags = {"epochs": 10, "lr": 1e-4, "opt": "adamw", "sched": "cosine", "warmup_epochs": 0, "min_lr": 5e-5}
    flags |= {"warmup_lr": 1e-4, "cooldown_epochs": 0, "batch_size": 64, "grad_accum_steps": 1}
    args: dict[str, Any] = {key: default for key, _, default, _ in timm_config.ARGS} | flags
    param = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.AdamW([param], lr=args["lr"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        kwargs = factory.scheduler_kwargs(types.SimpleNamespace(**args))
        scheduler, num_epochs = factory.create_scheduler_v2(optimizer, **kwargs, updates_per_epoch=1)
    want = []
    for epoch in range(num_epochs):
        param.grad = torch.zeros(1)
        optimizer.step()
        want.append(optimizer.param_groups[0]["lr"])
        scheduler.step(epoch + 1)
    assert lrviz.simulate(CONFIGS / TIMM_SCRIPT).lr == want


MATCHA = f"{HERE}/hydra_matcha_tts_fork_cosine_lightning_args_step_frequency10.yaml"


def test_a_sibling_lightning_args_mapping_steps_the_scheduler_as_lightning_does() -> None:
    """Matcha-TTS passes `lightning_args.interval`/`.frequency` to Lightning: step, every 10 batches of an epoch.

    lrviz drew this file once per epoch, `lightning_args` unread and unsaid. Lightning steps a per-step
    scheduler when ``(batch_idx + 1) % frequency == 0``, batch_idx counted from 0 in each epoch
    (``training_epoch_loop._update_learning_rates``): with 25 batches an epoch, 2 steps, not 2.5.
    """
    import torch

    curve = lrviz.simulate(CONFIGS / MATCHA, epochs=3, steps_per_epoch=25)
    assert (curve.run.interval, curve.run.frequency) == ("step", 10)
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=100)
    want = []
    for _epoch in range(3):
        for batch_idx in range(25):
            want.append(optimizer.param_groups[0]["lr"])
            optimizer.step()
            if (batch_idx + 1) % 10 == 0:
                scheduler.step()
    assert list(curve.lrs[0]) == want


def test_every_core_audit_config_has_a_row() -> None:
    files = {p.relative_to(CONFIGS).as_posix() for p in (CONFIGS / HERE).rglob("*") if p.is_file()}
    assert sorted(files - {c.path for c in CASES} - {TIMM_SCRIPT, MATCHA}) == []

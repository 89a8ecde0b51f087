"""A trust audit of DeepSpeed ``scheduler`` blocks, timm launch scripts and LightningCLI configs lrviz had not read.

Every file under ``configs/ds_timm_lightning_audit/`` was copied unchanged from a public repository
(``SOURCES.md``). Each row is the command a user would type and either the schedule the framework's
own loop runs (``==``, through ``helpers.run_case``: DeepSpeed's class stepped after every optimizer
step, a LightningCLI scheduler once per epoch) or the refusal expected. Found and fixed with them:

* timm's ``sh distributed_train.sh N ARGS`` (sail-sg/metaformer) was "no training command found";
  it is timm's wrapper of ``torchrun --nproc_per_node=N train.py ARGS``, read as that command;
* ``--sched None`` / ``--sched none`` (a train.py ``type=str`` argument) reached timm's reader as
  null: "expected a timm scheduler name (did you mean none?)" even for ``none``, and
  ``--set sched=none`` removed the flag instead (timm's cosine default was drawn);
* the defaults note did not say which timm's train.py they were (metaformer's train.py is a
  timm 0.6.11 copy: warmup_lr 1e-6, min_lr 1e-5, cooldown_epochs 10, not timm 1.0's);
* a DeepSpeed ``"auto"`` was said to be the HF Trainer's in an Accelerate template (gpt4all,
  accelerate's own), whose values come from ``DummyOptim``/``DummyScheduler``;
* ``warmup_num_steps: 0`` (allenai/feb, written for deepspeed 0.5.1, which raised it to 2) was
  warned about as "after 2 warmup steps" and then rejected by the installed DeepSpeed;
* ClimaX's ``model: {lr, warmup_epochs, ...}`` (the module builds LinearWarmupCosineAnnealingLR
  itself) was "no scheduler found", naming none of the keys.
"""

from __future__ import annotations

import importlib.util
import warnings
from pathlib import Path

import pytest

import lrviz
from tests.realworld.helpers import CONFIGS, Case, Refusal, Schedule, case_id, run_case

HERE = "ds_timm_lightning_audit"
METAFORMER = f"{HERE}/metaformer_train_caformer_s18_grad_accum_distributed_train_sh.sh"
FINETUNE = f"{HERE}/metaformer_finetune_caformer_s18_384_sched_none.sh"
ACCELERATE = "or by Accelerate from the DummyOptim/DummyScheduler a training script passes to accelerator.prepare"
AUTO = ('"auto" is filled in by the Hugging Face Trainer', ACCELERATE)

CASES: list[Case] = [
    Case(
        f"{HERE}/accelerate_zero_stage2_warmupdecaylr_auto.json",
        "render {file}",
        Refusal((*AUTO, "--set scheduler.params.warmup_min_lr=VALUE")),
        "Accelerate's own template: every scheduler param is filled by DummyScheduler, said so",
    ),
    Case(
        f"{HERE}/gpt4all_ds_config_gptj_warmuplr_partial_auto.json",
        "render {file}",
        Refusal(
            (*AUTO, "--set scheduler.params.warmup_max_lr=VALUE", '(also "auto": scheduler.params.warmup_num_steps')
        ),
        "warmup_min_lr 0 and warmup_type linear written, the rest auto (train.py's DummyScheduler)",
    ),
    Case(
        f"{HERE}/gpt4all_ds_config_pythiaseek_warmupdecaylr_partial_auto.json",
        "render {file}",
        Refusal((*AUTO, "scheduler.params.total_num_steps")),
        "WarmupDecayLR with total_num_steps auto: Accelerate divides the script's count by the processes",
    ),
    Case(
        f"{HERE}/catid_cifar10deepspeed_onecycle_min_max_only.json",
        # 400 epochs (train.py's --max-epochs default) of 196 batches (50,000 / 256, no accumulation)
        "render {file} --epochs 400 --steps-per-epoch 196",
        Schedule(
            "deepspeed.OneCycle",
            {"cycle_min_lr": 1e-4, "cycle_max_lr": 4e-3},
            400,
            "AdamW",
            1e-4,
            steps_per_epoch=196,
            interval="step",
            stderr=(
                "DeepSpeed's defaults: decay_lr_rate=0.0, cycle_first_step_size=2000",
                "warning: OneCycle: the cycle (2,000 steps up, 2,000 down) ends at step 4,000 of 78,400; then the LR "
                "holds cycle_min_lr 0.0001 until training ends",
            ),
        ),
        "OneCycle with only its bounds: the 2,000-step default halves said, the run's length asked for",
    ),
    Case(
        f"{HERE}/catid_cifar10deepspeed_onecycle_min_max_only.json",
        "render {file}",
        Refusal(("DeepSpeed's OneCycle runs until training stops", "--epochs N [--steps-per-epoch S]")),
        "OneCycle has no length of its own",
        label="no-length",
    ),
    Case(
        f"{HERE}/allenai_feb_warmuplr_zero_warmup_steps.json",
        "render {file} --epochs 100",
        Refusal(
            (
                "scheduler.params.warmup_num_steps: 0 warmup steps: deepspeed 0.16 and older raised it to 2",
                "--set scheduler.params.warmup_num_steps=2",
            )
        ),
        "warmup_num_steps 0: old DeepSpeed clamped it to 2, the installed one rejects it; no contradicting warning",
    ),
    Case(
        f"{HERE}/allenai_feb_warmuplr_zero_warmup_steps.json",
        "render {file} --epochs 100 --set scheduler.params.warmup_num_steps=2",
        Schedule(
            "deepspeed.WarmupLR",
            {"warmup_min_lr": 3e-5, "warmup_max_lr": 3e-5, "warmup_num_steps": 2},
            100,
            "AdamW",
            3e-5,
            interval="step",
        ),
        "the run deepspeed 0.5.1 made of it: 3e-5 throughout",
        label="as-deepspeed-0.5",
    ),
    Case(
        f"{HERE}/deepspeed_tests_func_scheduler_warmuplr_no_optimizer.json",
        "render {file} --epochs 100",
        Schedule(
            "deepspeed.WarmupLR",
            {"warmup_min_lr": 0, "warmup_max_lr": 0.001, "warmup_num_steps": 10},
            100,
            interval="step",
            stderr=("no DeepSpeed optimizer given", "lrviz used SGD(lr=0.1)"),
        ),
        "no optimizer block: warmup_max_lr is written, so the stand-in's lr does not show",
    ),
    Case(
        f"{HERE}/deepspeed_torch_compile_z2_warmuplr_bf16.json",
        "render {file} --epochs 3000",
        Schedule(
            "deepspeed.WarmupLR",
            {"warmup_min_lr": 0, "warmup_max_lr": 0.001, "warmup_num_steps": 1000},
            3000,
            "AdamW",
            0.001,
            interval="step",
            stderr=("DeepSpeed's defaults: warmup_type=log",),
        ),
        "bf16 (no loss scaler, so no skipped steps and no fp16 caveat)",
    ),
    Case(
        f"{HERE}/terratorch_forestnet_cosine_tmax20_max_epochs100.yaml",
        "render {file}",
        Schedule(
            "CosineAnnealingLR",
            {"T_max": 20},
            100,
            "AdamW",
            1e-4,
            {"weight_decay": 0.05},
            stderr=("T_max=20 is a half period",),
        ),
        "LightningCLI steps it once per epoch; past T_max the cosine climbs back, warned",
    ),
    Case(
        f"{HERE}/climax_pretrain_model_warmup_steps_module_schedule.yaml",
        "render {file}",
        Refusal(("model: the LightningModule", "model.warmup_steps", "model.eta_min", "lr_scheduler: {class_path")),
        "the module builds LinearWarmupCosineAnnealingLR from model.*: its keys are named",
    ),
    Case(
        f"{HERE}/climax_global_forecast_model_warmup_epochs.yaml",
        "render {file}",
        Refusal(("model: the LightningModule", "model.warmup_epochs", "model.max_epochs")),
        "same layout, warmup_epochs/max_epochs counted in steps by the module",
    ),
    Case(
        FINETUNE,
        "render {file}",
        Refusal(("--sched: expected a timm scheduler name", "got 'None'", "--set sched=none draws that")),
        "timm 1.0 raises for 'None'; timm 0.6 (metaformer's pin) kept the LR: the fix is named",
    ),
    Case(
        FINETUNE,
        "render {file} --set sched=none",
        Schedule("ConstantLR", {"factor": 1.0, "total_iters": 0}, 30, "SGD", 1e-4),
        "--set sched=none: the LR stays at --lr 1e-4 for the 30 epochs",
        label="none",
    ),
]


@pytest.mark.parametrize("case", [pytest.param(c, id=case_id(c)) for c in CASES])
def test_ds_timm_lightning_config(case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run_case(case, tmp_path, monkeypatch)


def _timm_cosine(epochs: int, cooldown: int, **kwargs: float) -> list[float]:
    """train.py's loop over timm's CosineLRScheduler: the LR of each epoch, step(epoch + 1) after it."""
    import torch

    from lrviz.frameworks.timm.step import timm_scheduler_module

    cosine = timm_scheduler_module().CosineLRScheduler
    param = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.SGD([param], lr=8e-3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        scheduler = cosine(optimizer, t_initial=epochs, cycle_limit=1, t_in_epochs=True, **kwargs)
    want = []
    for epoch in range(scheduler.get_cycle_length() + cooldown):
        param.grad = torch.zeros(1)
        optimizer.step()
        want.append(optimizer.param_groups[0]["lr"])
        scheduler.step(epoch + 1)
    return want


def test_timms_distributed_train_sh_is_read_as_the_torchrun_command_it_runs() -> None:
    """metaformer: `sh distributed_train.sh $NUM_GPU $DATA_PATH --model ... --lr 8e-3 --warmup-epochs 20`.

    Read as ``torchrun --nproc_per_node=8 train.py ...``: 8 processes, timm 1.0's train.py defaults
    for what the script does not set (said in a note that names the version)."""
    if importlib.util.find_spec("timm") is None:
        pytest.skip("timm is not installed")
    curve = lrviz.simulate(CONFIGS / METAFORMER)
    assert any("timm 1.0's train.py defaults" in note for note in curve.run.notes), curve.run.notes
    assert curve.lr == _timm_cosine(300, 0, lr_min=0.0, warmup_lr_init=1e-5, warmup_t=20)


def test_a_copied_train_py_s_own_defaults_are_given_with_set() -> None:
    """metaformer's train.py is timm 0.6.11's: warmup_lr 1e-6, min_lr 1e-5, cooldown_epochs 10 (310 epochs);
    its create_scheduler builds CosineLRScheduler(t_initial=epochs, lr_min, warmup_lr_init, warmup_t,
    cycle_limit=1) and adds the cooldown, as timm 1.0 does for these arguments."""
    if importlib.util.find_spec("timm") is None:
        pytest.skip("timm is not installed")
    sets = ["warmup_lr=1e-6", "min_lr=1e-5", "cooldown_epochs=10"]
    curve = lrviz.simulate(CONFIGS / METAFORMER, overrides=sets)
    want = _timm_cosine(300, 10, lr_min=1e-5, warmup_lr_init=1e-6, warmup_t=20)
    assert len(want) == 310
    assert curve.lr == want


def test_timms_short_batch_flag_is_the_batch_size_lr_base_scales() -> None:
    """train.py's ``-b`` is ``--batch-size``: with no ``--lr``, ``lr = lr_base x sqrt(64 x 8 x 4 / 256)`` (lamb).

    Read as an unknown key ``b``, the default batch 128 gave 0.4 instead of 0.2828."""
    from lrviz.reading import build_run, load_command

    command = "torchrun --nproc_per_node=8 train.py /data --opt lamb -b 64 --grad-accum-steps 4 --epochs 10"
    run = build_run(load_command(command, dialect="timm"))
    assert run.optimizer.lr == 0.1 * (64 * 8 * 4 / 256) ** 0.5


def test_distributed_train_sh_without_a_count_says_the_processes_are_assumed() -> None:
    """``./distributed_train.sh $N ...`` with N unset: read as torchrun train.py, one process assumed, said."""
    from lrviz.config.shell import read_script

    launch = read_script("./distributed_train.sh $N /data --sched step --lr 0.1\n", "t.sh")
    assert (launch.launcher, launch.script, launch.wrapper, launch.processes) == (
        "torchrun",
        "train.py",
        "distributed_train.sh",
        None,
    )
    assert [w.text for w in launch.args] == ["/data", "--sched", "step", "--lr", "0.1"]
    assert "lrviz assumed 1: give the real one with --world-size N" in launch.notes[0]


def test_let_computes_the_batch_size_as_bash_does() -> None:
    """metaformer: ``let BATCH_SIZE=ALL_BATCH_SIZE/NUM_GPU/GRAD_ACCUM_STEPS`` (4096 / 8 / 4 = 128); ``/``
    truncates toward zero as bash's does; a ``let`` over a value the script does not set stays unknown, said so."""
    from lrviz.config.shell import read_script

    launch = read_script((CONFIGS / METAFORMER).read_text(encoding="utf-8"), "t.sh")
    assert [w.text for w in launch.args][launch.args.index(next(w for w in launch.args if w.text == "-b")) + 1] == "128"
    words = read_script("let A=-7/2 B=-7%2\nlet C=N+1\npython t.py --a $A --b $B --c $C\n", "t.sh").args
    assert [w.text for w in words] == ["--a", "-3", "--b", "-1", "--c", "$C"]
    assert words[-1].unknown == "$C, which the `let` at line 2 computes from values not set here"

"""A fresh-eyes audit of Megatron launch scripts, NeMo and ESPnet configs, and RL trainers' launch scripts.

Every file under ``configs/audit_megatron_nemo_espnet_rl/`` was copied unchanged from a public
repository lrviz had not read before (``SOURCES.md``). Each is read as a user would and held against
the framework itself: megatron-core's ``OptimizerParamScheduler`` stepped by the global batch, NeMo's
``compute_max_steps`` and scheduler classes, ESPnet's scheduler classes, transformers'
``get_scheduler`` (``==``), or the one-line refusal expected. What came in read wrong, fixed with
these files: NeMo's ``trainer.devices: -1`` (every GPU) was taken as -1 workers and the steps per
epoch counted as on one GPU, silently; Megatron-DeepSpeed's ``--lr-decay-tokens``/``--lr-warmup-tokens``
were a note while the curve was drawn over samples; a Megatron-DeepSpeed script whose flags sit in a
variable assigned inside an ``if`` said its flags "are not those of a framework"; ``deepspeed --module``
(OpenRLHF's launch) was "runs no .py script", and OpenRLHF's and verl's commands were offered
``--dialect`` (OpenRLHF's old flags were even claimed by diffusers); ESPnet's ``optim2`` refusal gave a
way out (``--set optim2=null``) that the next refusal (``scheduler2``) undid.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path
from typing import Any

import pytest
import torch

import lrviz
from lrviz.errors import ConfigError
from tests.realworld.helpers import CONFIGS, Case, HFSchedule, Refusal, case_id, run_case, sources_rows

HERE = "audit_megatron_nemo_espnet_rl"
FILES = CONFIGS / HERE


def path(name: str) -> str:
    return str(FILES / name)


# ---------------------------------------------------------------------------
# The command line, as a user types it: refusals, and the TRL run


CASES: list[Case] = [
    Case(
        f"{HERE}/megatron_llama3_8b_fp8_train_samples_decoupled_lr.sh",
        "render {file}",
        Refusal(("--train-samples: 15,258,789 iterations is more than 2,000,000 values", "LRVIZ_MAX_POINTS=N")),
        "1,953,125,000 samples / global batch 128: a real run past the point limit, named by its flag",
    ),
    Case(
        f"{HERE}/megatron_nvlm_sft_34b_command_in_if_block.sh",
        "render {file}",
        Refusal(("the training command is inside the block that starts at line 147", "--command")),
        "torchrun in an `if` (interactive vs batch): which command runs is decided at run time",
    ),
    Case(
        f"{HERE}/megatron_deepspeed_gpt_1.3B_lr_decay_tokens.sh",
        "render {file}",
        Refusal(
            (
                "pretrain_gpt.py ${megatron_options}: the command's flags are in ${megatron_options}",
                "only inside the block at line 283",
                "--command",
            )
        ),
        "the flags sit in a variable the script extends inside an `if`: named, not 'not a framework'",
    ),
    Case(
        f"{HERE}/megatron_deepspeed_gpt_1.3B_lr_decay_tokens.sh",
        "render --command 'deepspeed pretrain_gpt.py --lr-decay-tokens 300000000000 --lr-warmup-tokens "
        "3000000000 --micro-batch-size 8 --global-batch-size 512 --train-tokens 300000000000 --train-samples "
        "292968750 --lr 2e-4 --min-lr 1e-6 --lr-decay-style cosine --seq-length 2048'",
        Refusal(
            (
                "--command:1: --lr-decay-tokens: a Megatron-DeepSpeed flag (Megatron-LM has none)",
                "decays over consumed tokens",
                "--set lr_decay_tokens=null --set lr_warmup_tokens=null --set train_tokens=null",
            )
        ),
        "its command given whole: the token-counted schedule is refused (it was drawn over samples, with a note)",
        label="command",
    ),
    Case(
        f"{HERE}/megatron_t5_220m_train_iters_linear_load.sh",
        # as a fork's Slurm script spells two of them (--lr_warmup_samples, --lr_wsd_decay_samples)
        "render --command 'torchrun --nproc_per_node 1 pretrain_gpt.py --micro-batch-size 16 --global-batch-size "
        "16 --train-samples 12207050 --lr 1.0e-3 --lr-decay-style WSD --lr-wsd-decay-style linear "
        "--lr_warmup_samples 54931 --lr_wsd_decay_samples 1831057'",
        Refusal(("--command:1: --lr_warmup_samples: Megatron-LM's flag is --lr-warmup-samples", "would not start")),
        "a schedule flag spelled with underscores: Megatron's argparse stops on it; it was read as if dashed",
        label="underscores",
    ),
    Case(
        f"{HERE}/nemo_fastconformer_transducer_cosine_devices_all.yaml",
        "render {file} --dataset-size 16000",
        Refusal(("trainer.devices: -1 is every GPU", "devices x num_nodes", "--set trainer.devices=N")),
        "devices: -1 was -1 workers, the steps counted as on one GPU",
    ),
    Case(
        f"{HERE}/nemo_squeezeformer_ctc_noam_hold_devices_all.yaml",
        "render {file}",
        Refusal(("trainer.max_epochs: a NeMo NoamHoldAnnealing schedule sized by max_epochs 1000", "--dataset-size")),
        "sized by epochs: the data's size is asked for first",
    ),
    Case(
        f"{HERE}/nemo_radtts_dec_exp_decay_own_optimizer.yaml",
        "render {file}",
        Refusal(("NeMo has no scheduler exp_decay", "RadTTSModel (model.target)", "never reads sched")),
        "RadTTS builds a bare RAdam itself: the sched block is never read",
    ),
    Case(
        f"{HERE}/nemo_maxine_bnr_steplr_no_run_length.yaml",
        "render {file}",
        Refusal(("a NeMo StepLR schedule with neither trainer.max_steps nor max_epochs", "trainer.max_steps=N")),
        "max_epochs -1 and max_steps -1: Lightning trains until stopped",
    ),
    Case(
        f"{HERE}/espnet_ljspeech_jets_gan_optim2_scheduler2.yaml",
        "render {file}",
        Refusal(("optim2: a second optimizer (GAN tasks)", "--set optim2=null --set scheduler2=null")),
        "the GAN's discriminator optimizer: the way out names both keys",
    ),
    Case(
        f"{HERE}/openrlhf_train_ppo_ray_hybrid_engine.sh",
        "render {file}",
        Refusal(("openrlhf.cli.train_ppo_ray: OpenRLHF's own trainer builds the scheduler", "cosine_with_min_lr")),
        "OpenRLHF's dotted flags (--actor.adam.lr): named, not 'choose one with --dialect'",
    ),
    Case(
        f"{HERE}/openrlhf_train_ppo_ray_hybrid_engine.sh",
        "render --command 'deepspeed --module openrlhf.cli.train_sft --max_len 2048 --train_batch_size 256 "
        "--micro_train_batch_size 2 --max_epochs 1 --learning_rate 5e-6 --lr_warmup_ratio 0.03'",
        Refusal(("--command: openrlhf.cli.train_sft: OpenRLHF's own trainer",)),
        "deepspeed --module: the module is found (it was 'runs no .py script'), and OpenRLHF named (not diffusers)",
        label="deepspeed-module",
    ),
    Case(
        f"{HERE}/verl_sft_gsm8k_run_gemma_2b_hydra_overrides.sh",
        "render {file}",
        Refusal(("verl.trainer.fsdp_sft_trainer: a verl trainer, configured by Hydra overrides",)),
        "torchrun -m verl.trainer.fsdp_sft_trainer key=value ...: named as verl",
    ),
    Case(
        f"{HERE}/trl_s1_sft_multinode_torchrun.sh",
        # 1,000 samples / batch 1 / 16 ranks = 63 steps per epoch x 5 epochs = 315; warmup ceil(0.05 x 315) = 16
        "render {file} --dataset-size 1000 --world-size 16",
        HFSchedule("cosine", 1e-5, 16, 315, stderr=("warmup_ratio 0.05 read as warmup_steps 0.05",)),
        "TRL SFTConfig flags through torchrun; the GPU count comes from $(nvidia-smi), so it is given",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_audit_file(case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run_case(case, tmp_path, monkeypatch)


# ---------------------------------------------------------------------------
# Curves held against the framework's own classes


def _megatron(iters: int, gbs: int, **kwargs: Any) -> list[float]:
    """megatron-core's scheduler, stepped by the global batch after each iteration (training.py train_step)."""
    module = pytest.importorskip("megatron.core.optimizer_param_scheduler")
    param = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.AdamW([param], lr=kwargs["max_lr"])
    scheduler = module.OptimizerParamScheduler(
        optimizer,
        init_lr=0.0,
        start_wd=0.01,
        end_wd=0.01,
        wd_incr_steps=iters * gbs,
        wd_incr_style="constant",
        use_checkpoint_opt_param_scheduler=False,
        override_opt_param_scheduler=False,
        wsd_decay_steps=None,
        lr_wsd_decay_style="exponential",
        **kwargs,
    )
    out = []
    for _ in range(iters):
        out.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step(increment=gbs)
    return out


def test_megatron_t5_script_equals_megatron_core() -> None:
    """--train-iters 1,000,000 cut to 4,000 (both, with the decay) to keep the test short; --load is said."""
    pytest.importorskip("megatron.core")
    run = lrviz.load(
        path("megatron_t5_220m_train_iters_linear_load.sh"), overrides=["train_iters=4000", "lr_decay_iters=4000"]
    )
    assert any("--load: the run loads a checkpoint" in n for n in run.notes)
    curve = lrviz.simulate(run)
    # --global-batch-size 512, --lr-warmup-fraction .01 of the decay, linear to --min-lr 1e-5
    want = _megatron(
        4000,
        512,
        max_lr=1e-4,
        min_lr=1e-5,
        lr_warmup_steps=0.01 * 4000 * 512,
        lr_decay_steps=4000 * 512,
        lr_decay_style="linear",
    )
    assert list(curve.lrs[0]) == want


def _nemo(sched: dict[str, Any], lr: float, steps: int) -> list[float]:
    """NeMo's class from its registry with the sched block's arguments, stepped after each optimizer step."""
    pytest.importorskip("nemo")
    from lrviz.frameworks.nemo.step import lr_scheduler_module

    module = lr_scheduler_module()
    param = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.AdamW([param], lr=lr)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scheduler = module.AVAILABLE_SCHEDULERS[sched["name"]](
            optimizer, **{k: v for k, v in sched.items() if k != "name"}
        )
        seen = []
        for _ in range(steps):
            seen.append(optimizer.param_groups[0]["lr"])
            param.grad = torch.zeros(1)
            optimizer.step()
            scheduler.step()
    return seen


def test_nemo_devices_all_is_refused_and_a_given_count_is_nemos_compute_max_steps() -> None:
    pytest.importorskip("nemo")
    from lrviz.frameworks.nemo.step import lr_scheduler_module

    name = path("nemo_fastconformer_transducer_cosine_devices_all.yaml")
    with pytest.raises(ConfigError, match="trainer.devices: -1 is every GPU"):
        lrviz.load(name, dataset_size=160000)
    curve = lrviz.simulate(name, overrides=["trainer.devices=8", "trainer.max_epochs=20"], dataset_size=160000)
    steps = lr_scheduler_module().compute_max_steps(
        max_epochs=20,
        accumulate_grad_batches=1,
        limit_train_batches=1.0,
        num_workers=8,
        num_samples=160000,
        batch_size=16,
        drop_last=False,
    )
    assert steps == 25000 == len(curve.lrs[0])
    sched = {"name": "CosineAnnealing", "warmup_steps": 15000, "warmup_ratio": None, "min_lr": 5e-4}
    assert list(curve.lrs[0]) == _nemo({**sched, "max_steps": steps}, 5e-3, steps)


@pytest.mark.parametrize(("devices", "workers"), [([0, 1], 2), ("0,1,2", 3), ("4", 4), (2, 2), ("auto", None)])
def test_nemo_devices_as_lightning_counts_them(devices: Any, workers: int | None) -> None:
    """A list of devices is its length; "auto" (like -1) is known only on the machine, and refused."""
    sched = {"name": "CosineAnnealing", "warmup_steps": 2, "min_lr": 0.0}
    doc = {
        "trainer": {"max_epochs": 2, "devices": devices},
        "model": {"train_ds": {"batch_size": 4}, "optim": {"name": "adamw", "lr": 0.01, "sched": sched}},
    }
    if workers is None:
        with pytest.raises(ConfigError, match="trainer.devices: 'auto' is every GPU"):
            lrviz.load(doc, dataset_size=100)
        return
    assert lrviz.load(doc, dataset_size=100).epochs == 2 * math.ceil(math.ceil(100 / workers) / 4)


def test_nemo_canary_inverse_sqrt_equals_nemo_and_min_lr_is_said() -> None:
    """trainer.max_steps 100,000 cut to 6,000 (the warmup is 2,500)."""
    run = lrviz.load(path("nemo_canary_aed_inverse_sqrt_max_steps.yaml"), overrides=["trainer.max_steps=6000"])
    assert any(
        "min_lr: passed to NeMo's InverseSquareRootAnnealing, and does not change its LR" in n for n in run.notes
    )
    curve = lrviz.simulate(run)
    sched = {"name": "InverseSquareRootAnnealing", "warmup_steps": 2500, "warmup_ratio": None, "min_lr": 1e-6}
    assert list(curve.lrs[0]) == _nemo({**sched, "max_steps": 6000}, 3e-4, 6000)


def test_nemo_steplr_is_stepped_per_optimizer_step_as_nemo_does() -> None:
    """NeMo's prepare_lr_scheduler gives StepLR interval 'step': step_size 2 counts optimizer steps."""
    curve = lrviz.simulate(path("nemo_maxine_bnr_steplr_no_run_length.yaml"), overrides=["trainer.max_steps=1000"])
    assert list(curve.lrs[0]) == _nemo({"name": "StepLR", "gamma": 0.999, "step_size": 2}, 5e-4, 1000)


def _espnet(cls: Any, lr: float, steps: int, per_epoch: int, batch: bool, **conf: Any) -> list[float]:
    param = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.AdamW([param], lr=lr)
    scheduler = cls(optimizer, **conf)
    seen = []
    for k in range(steps):
        seen.append(optimizer.param_groups[0]["lr"])
        param.grad = torch.zeros(1)
        optimizer.step()
        if batch:
            scheduler.step()
        elif (k + 1) % per_epoch == 0:
            scheduler.step()
    return seen


def test_espnet_owsm_piecewise_warmup_equals_espnet() -> None:
    """max_epoch 45 cut to 5: 5 x 15,000 batch-stepped optimizer steps, the two-piece warmup to 60,000."""
    module = pytest.importorskip("espnet2.schedulers.piecewise_linear_warmup_lr")
    curve = lrviz.simulate(path("espnet_owsm_v31_medium_piecewise_warmup60k.yaml"), overrides=["max_epoch=5"])
    want = _espnet(
        module.PiecewiseLinearWarmupLR,
        2e-4,
        75000,
        15000,
        True,
        warmup_steps_list=[0, 30000, 60000],
        warmup_lr_list=[0.0, 5e-5, 2e-4],
    )
    assert list(curve.lrs[0]) == want


def test_espnet_jets_generator_curve_once_both_gan_keys_are_dropped() -> None:
    """ExponentialLR is an epoch scheduler in ESPnet: gamma once per 1,000 iterations (max_epoch cut to 3)."""
    pytest.importorskip("espnet2")
    name = path("espnet_ljspeech_jets_gan_optim2_scheduler2.yaml")
    with pytest.raises(ConfigError, match="scheduler2"):
        lrviz.load(name, overrides=["optim2=null"])
    curve = lrviz.simulate(name, overrides=["optim2=null", "scheduler2=null", "max_epoch=3"])
    want = _espnet(torch.optim.lr_scheduler.ExponentialLR, 2e-4, 3000, 1000, False, gamma=0.999875)
    assert list(curve.lrs[0]) == want
    assert math.isclose(curve.lrs[0][-1], 2e-4 * 0.999875**2)


def test_the_launchers_module_flag_names_the_module() -> None:
    from lrviz.config.shell import read_script

    for command in (
        "deepspeed --module pkg.train --lr 1",
        "torchrun --nproc_per_node 2 --module pkg.train --lr 1",
        "accelerate launch --module pkg.train --lr 1",
        "torchrun -m pkg.train --lr 1",
    ):
        launch = read_script(command, "--command")
        assert (launch.script, [w.text for w in launch.args]) == ("pkg.train", ["--lr", "1"]), command


def test_every_audit_file_has_a_source_row_and_a_test() -> None:
    rows = {local for local, *_ in sources_rows()}
    here = sorted(p.name for p in FILES.iterdir())
    assert len(here) == 14
    for name in here:
        assert f"tests/realworld/configs/{HERE}/{name}" in rows, name
    tested = {Path(c.path).name for c in CASES} | {
        "megatron_t5_220m_train_iters_linear_load.sh",
        "nemo_canary_aed_inverse_sqrt_max_steps.yaml",
        "espnet_owsm_v31_medium_piecewise_warmup60k.yaml",
    }
    assert set(here) <= tested

"""diffusers: a training script's command stepped as the script and accelerate step it, == a loop over diffusers' own class.

The reference loop is written here from the scripts (train_text_to_image.py 846-861, 889-899, 1050 of
huggingface/diffusers 58eb52c0; train_text_to_image_sdxl.py 983-993): ``get_scheduler`` from
``diffusers.optimization`` with the warmup and length the script computes, the LR read before each
optimizer step, and ``scheduler.step()`` called ``num_processes`` times per optimizer step, as
accelerate's prepared scheduler does.
"""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import lrviz
from lrviz.errors import ConfigError

optimization = pytest.importorskip("diffusers.optimization")
REAL = Path(__file__).parents[2] / "realworld" / "configs" / "launch" / "diffusers"


def reference(
    name: str, warmup: int, training: int, steps: int, calls: int, lr: float, cycles: int = 1, power: float = 1.0
) -> list[float]:
    param = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.AdamW([param], lr=lr)
    scheduler = optimization.get_scheduler(
        name, optimizer=optimizer, num_warmup_steps=warmup, num_training_steps=training, num_cycles=cycles, power=power
    )
    out = []
    for _ in range(steps):
        out.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        for _ in range(calls):
            scheduler.step()
    return out


def script(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "train.sh"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("name", "extra"),
    [
        ("linear", ""),
        ("cosine", ""),
        ("cosine_with_restarts", " --lr_num_cycles 3"),
        ("polynomial", " --lr_power 2.0"),
        ("constant", ""),
        ("constant_with_warmup", ""),
    ],
)
def test_every_scheduler_with_processes_equals_the_scripts_loop(tmp_path: Path, name: str, extra: str) -> None:
    path = script(
        tmp_path,
        "accelerate launch --num_processes 2 train_dreambooth_lora.py \\\n"
        f"  --lr_scheduler={name} --lr_warmup_steps=10 --max_train_steps=120 --learning_rate=2e-4{extra}\n",
    )
    curve = lrviz.simulate(path)
    cycles = 3 if "cycles" in extra else 1
    power = 2.0 if "power" in extra else 1.0
    # train_dreambooth_lora.py: warmup and length x num_processes; accelerate steps it twice per update
    assert curve.lr == reference(name, 10 * 2, 120 * 2, 120, 2, 2e-4, cycles, power)
    assert curve.run.epochs == 120


def test_a_script_that_scales_by_accumulation_is_cut_short_and_says_so(tmp_path: Path) -> None:
    path = script(
        tmp_path,
        "accelerate launch train_text_to_image_sdxl.py --gradient_accumulation_steps=4 --max_train_steps=100 "
        "--lr_scheduler=cosine --lr_warmup_steps=10 --learning_rate=1e-5\n",
    )
    curve = lrviz.simulate(path)
    assert curve.lr == reference("cosine", 40, 400, 100, 1, 1e-5)
    assert any(f.code == "diffusers-schedule-length" for f in curve.findings)


def test_epochs_and_the_dataset_as_the_script_counts_them(tmp_path: Path) -> None:
    path = script(
        tmp_path,
        "accelerate launch --num_processes=2 train_text_to_image.py --train_batch_size 4 "
        "--gradient_accumulation_steps 2 --num_train_epochs 3 --lr_scheduler linear --lr_warmup_steps 5\n",
    )
    curve = lrviz.simulate(path, dataset_size=1000)
    batches = math.ceil(1000 / 4)
    per_epoch = math.ceil(math.ceil(batches / 2) / 2)
    steps = 3 * per_epoch
    assert curve.lr == reference("linear", 5 * 2, steps * 2, steps, 2, 1e-4)  # 1e-4: the script's default
    assert not any(f.code == "diffusers-schedule-length" for f in curve.findings)


def test_a_script_sized_before_sharding_runs_past_its_schedule(tmp_path: Path) -> None:
    path = script(
        tmp_path,
        "accelerate launch --num_processes=2 train_controlnet_sd3.py --train_batch_size 4 "
        "--num_train_epochs 2 --lr_scheduler cosine --lr_warmup_steps 0 --learning_rate 1e-5\n",
    )
    curve = lrviz.simulate(path, dataset_size=100)
    sized = 2 * math.ceil(25 / 1)  # max_train_steps before accelerator.prepare: unsharded batches
    steps = 2 * math.ceil(math.ceil(25 / 2) / 1)
    assert curve.lr == reference("cosine", 0, sized * 2, steps, 2, 1e-5)
    assert any(f.code == "diffusers-schedule-length" for f in curve.findings)


def test_scale_lr_multiplies_as_the_script_does(tmp_path: Path) -> None:
    path = script(
        tmp_path,
        "accelerate launch --num_processes 4 train_text_to_image.py --scale_lr --learning_rate 1e-6 "
        "--train_batch_size 2 --gradient_accumulation_steps 3 --max_train_steps 10 --lr_scheduler constant\n",
    )
    curve = lrviz.simulate(path)
    assert curve.lr == [1e-6 * 3 * 2 * 4] * 10
    assert any("scale_lr" in n for n in curve.run.notes)


def test_a_yaml_config_that_calls_get_scheduler() -> None:
    config = {
        "lr_scheduler": "cosine",
        "lr_warmup_steps": 5,
        "max_train_steps": 40,
        "learning_rate": 3e-4,
        "train_batch_size": 8,
        "gradient_accumulation_steps": 1,
    }
    curve = lrviz.simulate(config)
    assert curve.run.family == "diffusers"
    assert curve.lr == reference("cosine", 5, 40, 40, 1, 3e-4)
    assert any("assumed the training code calls get_scheduler" in n for n in curve.run.notes)


def test_code_prints_a_script_that_reproduces_the_curve(tmp_path: Path) -> None:
    path = script(
        tmp_path,
        "accelerate launch --num_processes 3 train_text_to_image.py --lr_scheduler cosine_with_restarts "
        "--lr_num_cycles 2 --lr_warmup_steps 4 --max_train_steps 30 --learning_rate 1e-4\n",
    )
    source = lrviz.code(path)
    out = subprocess.run([sys.executable, "-c", source], capture_output=True, text=True, check=True).stdout
    printed = [float(line.rsplit(" ", 1)[1]) for line in out.splitlines()]
    assert printed == lrviz.simulate(path).lr


def test_unknown_script_and_bad_values_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not one of the diffusers example scripts lrviz knows.*--learning_rate"):
        lrviz.simulate(script(tmp_path, "accelerate launch my_train.py --lr_warmup_steps 5 --max_train_steps 9\n"))
    with pytest.raises(ConfigError, match=r"train.sh:1: --lr_scheduler: expected a diffusers scheduler name"):
        lrviz.simulate(script(tmp_path, "python train_text_to_image.py --lr_scheduler cosnie --max_train_steps 9\n"))
    with pytest.raises(ConfigError, match="without max_train_steps.*--dataset-size|dataset_size"):
        lrviz.simulate(script(tmp_path, "python train_text_to_image.py --lr_scheduler cosine --lr_warmup_steps 1\n"))


def test_an_unknown_script_is_refused_only_where_its_sizing_changes_the_curve(tmp_path: Path) -> None:
    command = "accelerate launch my_train.py --lr_scheduler constant_with_warmup --learning_rate 1e-4 "
    command += "--max_train_steps 20 --gradient_accumulation_steps 2 --lr_warmup_steps {}\n"
    with pytest.raises(ConfigError, match="does not know which this script uses"):
        lrviz.simulate(script(tmp_path, command.format(5)))
    curve = lrviz.simulate(script(tmp_path, command.format(0)))
    assert curve.lr == reference("constant_with_warmup", 0, 20, 20, 1, 1e-4)
    assert any("my_train.py is not a diffusers example script lrviz knows" in n for n in curve.run.notes)


#: Each real script: the reference arguments (name, warmup, training, steps, calls, lr) or the refusal.
REAL_CASES: dict[str, tuple[str, int, int, int, int, float] | str] = {
    "ms_swift_run_train_text_to_image_sdxl.sh": ("constant", 0, 40000, 10000, 1, 1e-6),
    "ms_swift_run_train_dreambooth_lora.sh": ("constant", 0, 500, 500, 1, 1e-4),
    "ms_swift_run_train_text_to_image_lora_epochs.sh": "without max_train_steps the script counts num_train_epochs 100",
    "pet_diffusion_lora_tuning.sh": ("constant", 0, 500, 500, 1, 1e-4),
    "fastql_finetune.sh": ("constant", 0, 400, 400, 1, 5e-6),
    "diffusers_sana_train_sana_sprint_diffusers.sh": ("constant", 500, 30000, 30000, 1, 1e-6),
    "diffusers_pixart_train_controlnet_hf_diffusers.sh": "without max_train_steps the script counts num_train_epochs",
    "diffusers_cosmos_train_lora.sh": "train_cosmos_predict25_lora.py is not one of the diffusers example scripts",
    # --lr_warmup_steps given twice: argparse keeps the last (0); the SDXL script multiplies by accumulation 4
    "llmga_train_llmga_s2_sdxl_t2i.sh": ("constant_with_warmup", 0, 200000, 50000, 1, 2e-5),
    # the project's own script: unknown, but constant with warmup 0 is the same curve whatever it multiplies by
    "llmga_train_llmga_s2_sdxl_inpaint.sh": ("constant_with_warmup", 0, 50000, 50000, 1, 2e-5),
}


@pytest.mark.parametrize("name", sorted(REAL_CASES))
def test_real_scripts_equal_the_loop_or_are_refused_exactly(name: str) -> None:
    expected = REAL_CASES[name]
    if isinstance(expected, str):
        with pytest.raises(ConfigError) as caught:
            lrviz.simulate(REAL / name)
        assert expected in str(caught.value)
        return
    assert lrviz.simulate(REAL / name).lr == reference(*expected)


def test_every_real_script_is_covered() -> None:
    assert sorted(p.name for p in REAL.glob("*.sh")) == sorted(REAL_CASES)


def test_the_epoch_based_real_script_with_a_dataset_size() -> None:
    curve = lrviz.simulate(REAL / "ms_swift_run_train_text_to_image_lora_epochs.sh", dataset_size=50)
    assert curve.lr == reference("constant", 0, 100 * 50, 100 * 50, 1, 1e-4)

"""mmengine: two detection projects' configs lrviz had not seen, == the Runner's loop or refused naming the fix.

The reference loop is test_mmengine.py's (mmengine's own scheduler classes stepped as ParamSchedulerHook
does); sources in tests/realworld/SOURCES.md.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

import lrviz
from lrviz.errors import ConfigError

if importlib.util.find_spec("mmengine") is None:
    pytest.skip("mmengine is not installed", allow_module_level=True)

from tests.frameworks.mmengine.test_mmengine import reference  # noqa: E402

REAL = Path(__file__).parents[2] / "realworld" / "configs" / "mmengine"
SADP = REAL / "SADPNet/configs/SADP_Net/SADP_Net.py"
SADP_SCHEDULE = REAL / "SADPNet/configs/_base_/schedules/schedule_1x_SADP_Net.py"
SPARSE = REAL / "sparse-maskrcnn-voc/schedule_sparse_1x.py"
WARMUP_THEN_STEPS = [
    {"type": "LinearLR", "start_factor": 0.001, "by_epoch": False, "begin": 0, "end": 1000},
    {"type": "MultiStepLR", "begin": 0, "end": 50, "by_epoch": True, "milestones": [24, 40], "gamma": 0.1},
]


def test_a_full_project_config_through_four_bases_equals_the_runner_loop() -> None:
    got = lrviz.simulate(SADP, allow_exec=True, dataset_size=1000, world_size=2)
    # 1000 samples / 2 GPUs = 500 per GPU; the dataset file's train_dataloader.batch_size 4 -> 125 iterations
    assert got.run.steps_per_epoch == 125 and got.points == 50 * 125
    assert got.lr == reference(WARMUP_THEN_STEPS, 1e-4, by_epoch=True, length=50, epoch_length=125)
    assert any("paramwise_cfg" in n for n in got.run.notes)  # decay_mult only: the base LR is drawn, and said
    assert any("auto_scale_lr: not enabled" in n for n in got.run.notes)


def test_its_schedule_file_alone_needs_only_the_iterations_per_epoch() -> None:
    got = lrviz.simulate(SADP_SCHEDULE, allow_exec=True, steps_per_epoch=100)
    assert got.lr == reference(WARMUP_THEN_STEPS, 1e-4, by_epoch=True, length=50, epoch_length=100)


def test_enabled_auto_scale_lr_without_a_batch_size_names_the_key_and_the_fixes() -> None:
    with pytest.raises(ConfigError) as caught:
        lrviz.simulate(SPARSE, allow_exec=True, steps_per_epoch=100)
    message = str(caught.value)
    assert "auto_scale_lr.enable: the Runner scales lr by GPUs x train_dataloader.batch_size" in message
    assert "batch_size" in message and "auto_scale_lr.enable=False" in message


def test_enabled_auto_scale_lr_with_the_batch_scales_as_runner_scale_lr() -> None:
    got = lrviz.simulate(SPARSE, allow_exec=True, steps_per_epoch=100, batch_size=2, world_size=4)
    lr = 2e-5 * (4 * 2 / 16)  # Runner.scale_lr: world x batch / base_batch_size
    assert got.run.optimizer.lr == lr
    schedulers = [
        {"type": "LinearLR", "start_factor": 0.001, "by_epoch": False, "begin": 0, "end": 1000},
        {"type": "MultiStepLR", "begin": 0, "end": 60, "by_epoch": True, "milestones": [45, 55], "gamma": 0.1},
    ]
    assert got.lr == reference(schedulers, lr, by_epoch=True, length=60, epoch_length=100)

"""mmengine: a Python config's schedulers equal a loop written with mmengine's own scheduler classes.

The reference loop is written here the way mmengine's Runner runs: each ``param_scheduler``
entry built from its class (``build_iter_from_epoch`` for ``convert_to_iter_based``, ``end``
defaulted to the loop's length), the LR read before every iteration (RuntimeInfoHook), the
``by_epoch=False`` schedulers stepped after every iteration and the others after every epoch
(ParamSchedulerHook).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import lrviz
from lrviz.cli.commands import app
from lrviz.errors import ConfigError

if importlib.util.find_spec("mmengine") is None:
    pytest.skip("mmengine is not installed", allow_module_level=True)

import torch  # noqa: E402

from lrviz.frameworks.mmengine.step import registry  # noqa: E402

registry()  # imports mmengine.optim as lrviz does (its torch.jit deprecation warning dropped)
from mmengine.optim import scheduler as mm  # noqa: E402

runner = CliRunner()
REAL = Path(__file__).parents[2] / "realworld" / "configs" / "mmengine"
SCHEDULE_1X = REAL / "mmdetection/configs/_base_/schedules/schedule_1x.py"
SCHEDULE_80K = REAL / "mmsegmentation/configs/_base_/schedules/schedule_80k.py"
SWIN = REAL / "mmpretrain/configs/_base_/schedules/imagenet_bs1024_adamw_swin.py"
BS256 = REAL / "mmpretrain/configs/_base_/schedules/imagenet_bs256.py"
RTMDET_S = REAL / "mmyolo/configs/rtmdet/rtmdet_s_syncbn_fast_8xb32-300e_coco.py"
YOLOV5 = REAL / "mmyolo/configs/yolov5/yolov5_s-v61_syncbn_8xb16-300e_coco.py"


def reference(
    schedulers: list[dict[str, Any]], lr: float, *, by_epoch: bool, length: int, epoch_length: int
) -> list[float]:
    """The Runner's loop over mmengine's classes; ``length`` is max_epochs (by_epoch) or max_iters."""
    param = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.SGD([param], lr=lr, momentum=0.9)
    max_epochs, max_iters = (length, length * epoch_length) if by_epoch else (1, length)
    built = []
    for cfg in schedulers:
        cfg = dict(cfg)
        cls = getattr(mm, cfg.pop("type"))
        cfg.setdefault("end", max_epochs if cfg.get("by_epoch", True) else max_iters)
        if cfg.pop("convert_to_iter_based", False):
            built.append(cls.build_iter_from_epoch(optimizer, epoch_length=epoch_length, **cfg))
        else:
            built.append(cls(optimizer, **cfg))
    out: list[float] = []
    epochs, iters = (length, epoch_length) if by_epoch else (1, length)
    for _ in range(epochs):
        for _ in range(iters):
            out.append(optimizer.param_groups[0]["lr"])
            param.grad = torch.zeros(1)
            optimizer.step()
            for s in built:
                if not s.by_epoch:
                    s.step()
        for s in built:
            if s.by_epoch and by_epoch:
                s.step()
    return out


def curve(path: Path, **options: Any) -> lrviz.Curve:
    return lrviz.simulate(path, allow_exec=True, **options)


def test_mmdet_schedule_1x_equals_the_runner_loop() -> None:
    got = curve(SCHEDULE_1X, batch_size=2, dataset_size=1000, world_size=8)
    # 1000 samples / 8 GPUs = 125 per GPU, batch 2 -> 63 iterations (the last batch kept)
    assert got.run.steps_per_epoch == 63 and got.points == 12 * 63
    want = reference(
        [
            {"type": "LinearLR", "start_factor": 0.001, "by_epoch": False, "begin": 0, "end": 500},
            {"type": "MultiStepLR", "begin": 0, "end": 12, "by_epoch": True, "milestones": [8, 11], "gamma": 0.1},
        ],
        0.02,
        by_epoch=True,
        length=12,
        epoch_length=63,
    )
    assert got.lr == want


def test_linear_warmup_ending_at_500_peaks_at_iteration_499_and_says_so() -> None:
    got = curve(SCHEDULE_1X, steps_per_epoch=1000)
    lrs = got.lr
    # mmengine: total_iters = end - begin - 1, so the ramp is over at 499 and 500 runs at the same LR
    assert lrs[499] == pytest.approx(0.02) and lrs[500] == lrs[499] and lrs[498] < lrs[499]
    found = [f for f in got.findings if f.code == "mmengine-ramp-ends-early"]
    assert len(found) == 1 and found[0].data["reached_at"] == 499
    assert "iteration 499, not 500" in found[0].message and "end=501" in found[0].message


def test_mmseg_iteration_based_poly_equals_the_runner_loop() -> None:
    got = curve(SCHEDULE_80K, epochs=3000)  # --epochs replaces max_iters: a short run of the same file
    assert got.run.unit == "step" and got.points == 3000
    want = reference(
        [{"type": "PolyLR", "eta_min": 1e-4, "power": 0.9, "begin": 0, "end": 80000, "by_epoch": False}],
        0.01,
        by_epoch=False,
        length=3000,
        epoch_length=0,
    )
    assert got.lr == want


def test_mmpretrain_swin_convert_to_iter_based_and_default_end() -> None:
    got = curve(SWIN, steps_per_epoch=5, epochs=40)
    want = reference(
        [
            {"type": "LinearLR", "start_factor": 1e-3, "by_epoch": True, "end": 20, "convert_to_iter_based": True},
            {"type": "CosineAnnealingLR", "eta_min": 1e-5, "by_epoch": True, "begin": 20},
        ],
        5e-4 * 1024 / 512,
        by_epoch=True,
        length=40,
        epoch_length=5,
    )
    assert got.lr == want


def test_epoch_schedulers_alone_need_no_dataset_size() -> None:
    got = curve(BS256)
    assert got.run.steps_per_epoch == 1 and got.points == 100
    assert got.lr == reference(
        [{"type": "MultiStepLR", "by_epoch": True, "milestones": [30, 60, 90], "gamma": 0.1}],
        0.1,
        by_epoch=True,
        length=100,
        epoch_length=1,
    )


def test_mmyolo_rtmdet_inherits_through_two_bases() -> None:
    got = curve(RTMDET_S, dataset_size=4000, world_size=8)  # batch 32 per GPU from train_dataloader
    assert got.run.steps_per_epoch == 16 and got.run.epochs == 300
    want = reference(
        [
            {"type": "LinearLR", "start_factor": 1e-5, "by_epoch": False, "begin": 0, "end": 1000},
            {
                "type": "CosineAnnealingLR",
                "eta_min": 0.004 * 0.05,
                "begin": 150,
                "end": 300,
                "T_max": 150,
                "by_epoch": True,
                "convert_to_iter_based": True,
            },
        ],
        0.004,
        by_epoch=True,
        length=300,
        epoch_length=16,
    )
    assert got.lr == want


def test_mmyolo_yolov5_param_scheduler_hook_is_refused_by_name() -> None:
    with pytest.raises(ConfigError, match="YOLOv5ParamSchedulerHook steps the LR its own way"):
        curve(YOLOV5, dataset_size=1000)


def test_the_iterations_needed_are_asked_for_with_the_flags() -> None:
    with pytest.raises(ConfigError, match="LinearLR \\(by_epoch=False\\) steps every iteration.*--dataset-size"):
        curve(SCHEDULE_1X)


def test_set_works_as_cfg_options() -> None:
    got = lrviz.simulate(
        SCHEDULE_1X, allow_exec=True, overrides=["optim_wrapper.optimizer.lr=0.04"], steps_per_epoch=100
    )
    assert got.run.optimizer.lr == 0.04 and max(got.lr) == pytest.approx(0.04)


def test_a_python_config_is_not_run_without_allow_exec() -> None:
    result = runner.invoke(app, ["render", str(SCHEDULE_1X)])
    assert result.exit_code == 2
    assert "--allow-exec" in result.output and "runs it" in result.output


def test_render_through_the_cli() -> None:
    result = runner.invoke(app, ["render", str(BS256), "--allow-exec", "--every", "30"])
    assert result.exit_code == 0, result.output
    assert "MultiStepLR" in result.output


def test_code_runs_and_prints_the_same_lrs() -> None:
    run = lrviz.load(SCHEDULE_1X, allow_exec=True, steps_per_epoch=50)
    source = lrviz.code(run)
    printed: list[float] = []
    namespace: dict[str, Any] = {"print": lambda text: printed.append(float(text.rsplit(" ", 1)[1]))}
    exec(compile(source, "snippet", "exec"), namespace)  # noqa: S102 - our own output
    assert printed == lrviz.simulate(run).lr


def test_resume_loads_every_scheduler_state() -> None:
    got = curve(SCHEDULE_1X, steps_per_epoch=100, resume_at=5)
    assert got.resumed is not None and list(got.resumed[0]) == got.lr


OTHER = Path(__file__).parents[2] / "realworld" / "configs" / "other_frameworks"


def test_mmpretrain_warmup_then_cosine_with_t_max_equals_the_runner_loop() -> None:
    got = curve(OTHER / "mmpretrain_bs256_200e_coslr_warmup.py", steps_per_epoch=3)
    want = reference(
        [
            {
                "type": "LinearLR",
                "start_factor": 0.25,
                "by_epoch": True,
                "begin": 0,
                "end": 5,
                "convert_to_iter_based": True,
            },
            {"type": "CosineAnnealingLR", "T_max": 195, "by_epoch": True, "begin": 5, "end": 200},
        ],
        0.1,
        by_epoch=True,
        length=200,
        epoch_length=3,
    )
    assert got.lr == want


def test_auto_scale_lr_applies_only_when_enabled() -> None:
    path = OTHER / "mmpretrain_bs256_epochstep.py"
    plain = curve(path)
    assert plain.run.optimizer.lr == 0.045
    scaled = lrviz.simulate(
        path,
        allow_exec=True,
        overrides=["auto_scale_lr.enable=True"],
        batch_size=64,
        world_size=8,
    )
    assert scaled.run.optimizer.lr == 0.045 * (8 * 64 / 256)  # Runner.scale_lr: world x batch / base
    assert any("base_batch_size 256" in n for n in scaled.run.notes)
    assert scaled.lr == reference(
        [{"type": "StepLR", "by_epoch": True, "step_size": 1, "gamma": 0.98}],
        0.045 * (8 * 64 / 256),
        by_epoch=True,
        length=300,
        epoch_length=1,
    )


def test_an_mmcv_1x_lr_config_is_refused_by_name() -> None:
    with pytest.raises(ConfigError, match="lr_config: the LR hook of mmcv 1.x configs"):
        curve(OTHER / "mmseg_schedule_160k_lr_config_poly.py")


def test_xtuner_train_loop_is_refused_by_name() -> None:
    path = REAL.parent / "llm_xtuner" / "xtuner_qwen_1_8b_qlora_alpaca_e3.py"
    with pytest.raises(ConfigError, match="xtuner.engine.runner.TrainLoop is not one of mmengine's train loops"):
        curve(path)


def test_allow_exec_runs_mmengine_configs_only() -> None:
    with pytest.raises(ConfigError, match="runs mmengine configs only"):
        curve(OTHER / "nanogpt_train_gpt2_config.py")


FAST_START = """
import sys
import typer
from lrviz.cli import app
try:
    typer.main.get_command(app).main({args!r}, prog_name="lrviz")
except SystemExit as exc:
    code = exc.code
print(code, sorted(m for m in ("torch", "mmengine") if m in sys.modules))
"""


@pytest.mark.parametrize(
    ("args", "want"),
    [
        (["render", "--help"], "0 []"),
        (["render", str(SCHEDULE_1X)], "2 []"),  # refused before anything is run or imported
        (["cosine", "--t-max", "3"], "0 ['torch']"),
    ],
)
def test_help_errors_and_torch_runs_import_no_mmengine(args: list[str], want: str) -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-c", FAST_START.format(args=args)], capture_output=True, text=True, timeout=120
    )
    assert result.stdout.strip().splitlines()[-1] == want, result.stderr


def _real_run(tmp_path: Path, config: Path, iters: int, *options: str) -> Path:
    import subprocess
    import sys

    work = tmp_path / "work_dir"
    script = Path(__file__).with_name("realrun.py")
    done = subprocess.run(
        [sys.executable, str(script), str(config), str(work), str(iters), *options],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return work


def test_check_against_a_real_runner_log(tmp_path: Path) -> None:
    """The Runner's own scalars.json (LoggerHook, step = iter + 1) matches the plan at every iteration."""
    work = _real_run(tmp_path, SCHEDULE_1X, 20, "train_cfg.max_epochs=4", "param_scheduler.0.end=30")
    args = ["check", str(SCHEDULE_1X), "--allow-exec", "--steps-per-epoch", "20", "--against", str(work)]
    sets = ["--set", "train_cfg.max_epochs=4", "--set", "param_scheduler.0.end=30"]
    result = runner.invoke(app, [*args, *sets])
    assert result.exit_code == 0, result.output
    assert "matches the plan at all 80 logged steps" in result.output
    wrong = runner.invoke(app, [*args[:-2], "--against", str(work), "--set", "train_cfg.max_epochs=4"])
    assert wrong.exit_code == 1  # the warmup's end left at 500: the log disagrees with that plan


def test_momentum_schedulers_and_a_weight_decay_scheduler(tmp_path: Path) -> None:
    config = tmp_path / "momentum.py"
    config.write_text(
        "optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.95, weight_decay=1e-4))\n"
        "param_scheduler = [\n"
        "    dict(type='CosineAnnealingLR', by_epoch=True, begin=0, end=10),\n"
        "    dict(type='CosineAnnealingMomentum', eta_min=0.85, by_epoch=True, begin=0, end=10),\n"
        "    dict(type='LinearParamScheduler', param_name='weight_decay', start_factor=0.5, by_epoch=True, end=10),\n"
        "]\n"
        "train_cfg = dict(by_epoch=True, max_epochs=10)\n"
    )
    got = lrviz.simulate(config, allow_exec=True, momentum=True)
    param = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.SGD([param], lr=0.1, momentum=0.95, weight_decay=1e-4)
    built = [
        mm.CosineAnnealingLR(optimizer, by_epoch=True, begin=0, end=10),
        mm.CosineAnnealingMomentum(optimizer, eta_min=0.85, by_epoch=True, begin=0, end=10),
        mm.LinearParamScheduler(optimizer, param_name="weight_decay", start_factor=0.5, by_epoch=True, end=10),
    ]
    lrs, moms = [], []
    for _ in range(10):
        lrs.append(optimizer.param_groups[0]["lr"])
        moms.append(optimizer.param_groups[0]["momentum"])
        param.grad = torch.zeros(1)
        optimizer.step()
        for s in built:
            s.step()
    assert got.lr == lrs and got.momenta is not None and list(got.momenta[0]) == moms
    assert any("LinearParamScheduler schedules weight_decay" in n for n in got.run.notes)


def test_code_of_an_iteration_based_loop_runs_and_prints_the_same_lrs() -> None:
    run = lrviz.load(SCHEDULE_80K, allow_exec=True, overrides=["param_scheduler.0.end=300"], epochs=300)
    source = lrviz.code(run)
    assert "for i in range(300):" in source
    printed: list[float] = []
    namespace: dict[str, Any] = {"print": lambda text: printed.append(float(text.rsplit(" ", 1)[1]))}
    exec(compile(source, "snippet", "exec"), namespace)  # noqa: S102 - our own output
    assert printed == lrviz.simulate(run).lr and printed[-1] < printed[0]


def test_an_iteration_scheduler_ending_at_max_epochs_is_named() -> None:
    got = lrviz.simulate(
        SCHEDULE_1X,
        allow_exec=True,
        overrides=["param_scheduler.1.by_epoch=False"],  # MultiStepLR(end=12) now counts iterations
        steps_per_epoch=50,
    )
    (found,) = [f for f in got.findings if f.code == "mmengine-iterations-as-epochs"]
    assert "end=12" in found.message and found.data["max_iters"] == 600
    assert not [f for f in curve(SCHEDULE_1X, steps_per_epoch=50).findings if f.code == "mmengine-iterations-as-epochs"]


def test_a_scheduler_the_registry_cannot_find_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "yolox_like.py"
    config.write_text(
        "optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.01, momentum=0.9))\n"
        "param_scheduler = [dict(type='mmdet.QuadraticWarmupLR', by_epoch=True, end=5, convert_to_iter_based=True)]\n"
        "train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=10)\n"
    )
    if importlib.util.find_spec("mmdet") is not None:
        pytest.skip("mmdet is installed: its QuadraticWarmupLR is found and stepped")
    with pytest.raises(ConfigError, match=r"param_scheduler\[0\]: mmdet.QuadraticWarmupLR is not one of mmengine's"):
        curve(config, steps_per_epoch=10)


def test_an_iteration_scheduler_without_end_runs_to_max_epochs_times_the_epoch_length(tmp_path: Path) -> None:
    config = tmp_path / "no_end.py"
    config.write_text(
        "optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9))\n"
        "param_scheduler = [dict(type='CosineAnnealingLR', by_epoch=False, begin=0)]\n"
        "train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=4)\n"
    )
    got = curve(config, steps_per_epoch=25)
    assert got.run.settings.schedulers[0]["end"] == 100  # type: ignore[union-attr]
    assert got.lr == reference(
        [{"type": "CosineAnnealingLR", "by_epoch": False, "begin": 0}], 0.1, by_epoch=True, length=4, epoch_length=25
    )


def test_without_the_extra_the_refusal_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "mmengine" else real(name, *a))
    with pytest.raises(ConfigError, match=r"needs mmengine: pip install 'lrviz\[mmengine\]'"):
        curve(BS256)


WEIGHT_DECAY = (
    "optim_wrapper = dict(optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05))\n"
    "param_scheduler = [\n"
    "    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=20),\n"
    "    dict(type='CosineAnnealingParamScheduler', param_name='weight_decay', eta_min=0.5, by_epoch=False,\n"
    "         begin=0, end=60),\n"
    "]\n"
    "train_cfg = dict(type='IterBasedTrainLoop', max_iters=60)\n"
)


def test_param_weight_decay_draws_what_mmengine_s_schedulers_set(tmp_path: Path) -> None:
    config = tmp_path / "wd.py"
    config.write_text(WEIGHT_DECAY)
    got = lrviz.simulate(config, allow_exec=True, param="weight_decay")
    param = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.AdamW([param], lr=1e-3, weight_decay=0.05)
    built = [
        mm.LinearLR(optimizer, start_factor=0.01, by_epoch=False, begin=0, end=20),
        mm.CosineAnnealingParamScheduler(
            optimizer, param_name="weight_decay", eta_min=0.5, by_epoch=False, begin=0, end=60
        ),
    ]
    lrs, decays = [], []
    for _ in range(60):
        lrs.append(optimizer.param_groups[0]["lr"])
        decays.append(optimizer.param_groups[0]["weight_decay"])
        param.grad = torch.zeros(1)
        optimizer.step()
        for s in built:
            s.step()
    assert got.second == "weight_decay" and got.momenta is not None
    assert got.lr == lrs and list(got.momenta[0]) == decays and decays[-1] != decays[0]


def test_param_weight_decay_on_the_command_line(tmp_path: Path) -> None:
    config = tmp_path / "wd.py"
    config.write_text(WEIGHT_DECAY)
    out = tmp_path / "wd.csv"
    result = runner.invoke(app, ["render", str(config), "--allow-exec", "--param", "weight_decay", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text().splitlines()[0] == "step,lr,weight_decay,restart"
    plain = runner.invoke(app, ["render", str(config), "--allow-exec"])
    assert (
        "CosineAnnealingParamScheduler schedules weight_decay" in plain.output
        and "--param weight_decay" in plain.output
    )


def test_param_weight_decay_is_refused_where_the_schedulers_never_change_it(tmp_path: Path) -> None:
    config = tmp_path / "torch.yaml"
    config.write_text("scheduler: {name: StepLR, step_size: 2}\nepochs: 4\n")
    result = runner.invoke(app, ["render", str(config), "--param", "weight_decay"])
    assert result.exit_code == 2 and "PyTorch's schedulers change the LR" in result.output
    wrong = runner.invoke(app, ["render", str(config), "--param", "wd"])
    assert wrong.exit_code == 2 and "one of lr, momentum, weight_decay" in wrong.output

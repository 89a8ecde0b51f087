"""The live guard (``lrviz.guard.LRGuard``) in the real HF Trainer, Lightning and Accelerate loops.

Each buggy run is stopped by the guard within its first 20 optimizer steps, with the diagnosis
``lrviz check`` gives for the same bug; each right run goes to its end with no warning.
"""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn

from lrviz.guard import LiveCheck, LRGuard, LRMismatchWarning
from tests import realruns

pytest.importorskip("transformers")
pytest.importorskip("lightning")
pytest.importorskip("accelerate")

COSINE = """\
scheduler:
  name: CosineAnnealingLR
  T_max: 24
optimizer: {name: SGD, lr: 0.1, momentum: 0.9}
epochs: 3
steps_per_epoch: 8
interval: step
"""


@pytest.fixture()
def cosine(tmp_path: Path) -> Path:
    path = tmp_path / "cosine.yaml"
    path.write_text(COSINE)
    return path


def _mismatches(record: list[warnings.WarningMessage]) -> list[str]:
    return [str(w.message) for w in record if issubclass(w.category, LRMismatchWarning)]


# ---------------------------------------------------------------------------
# Hugging Face Trainer


def _hf_train(out: Path, guard: LRGuard, *, sized_for: int = 1) -> Any:
    """transformers' Trainer: linear schedule, 4 warmup steps, 24 optimizer steps. ``sized_for=k`` passes
    the Trainer a scheduler built for k x the steps (warmup and total counted in batches with
    accumulation k: the usual mistake), which the Trainer steps once per optimizer step."""
    from transformers import Trainer, TrainingArguments, get_linear_schedule_with_warmup

    args = TrainingArguments(
        output_dir=str(out),
        per_device_train_batch_size=2,
        num_train_epochs=3,
        learning_rate=1e-3,
        warmup_steps=realruns.HF_WARMUP,
        lr_scheduler_type="linear",
        logging_steps=1,
        report_to=[],
        use_cpu=True,
        save_strategy="no",
        disable_tqdm=True,
        dataloader_num_workers=0,
    )
    model = realruns._Model()
    optimizers: Any = (None, None)
    if sized_for != 1:
        opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
        sched = get_linear_schedule_with_warmup(opt, realruns.HF_WARMUP * sized_for, realruns.HF_STEPS * sized_for)
        optimizers = (opt, sched)
    trainer = Trainer(model=model, args=args, train_dataset=realruns._Data(), callbacks=[guard], optimizers=optimizers)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        trainer.train()
    return trainer, _mismatches(record)


def test_hf_guard_is_a_trainer_callback_and_a_right_run_passes(tmp_path: Path) -> None:
    from transformers import TrainerCallback

    guard = LRGuard()  # the plan from the Trainer's own TrainingArguments and dataloader
    assert isinstance(guard, TrainerCallback) and isinstance(guard, LRGuard)
    trainer, mismatches = _hf_train(tmp_path, guard)
    assert mismatches == [] and guard.verdict is None
    assert trainer.state.global_step == realruns.HF_STEPS
    assert guard.check is not None and guard.check.observed == realruns.HF_STEPS


def test_hf_guard_stops_a_schedule_sized_for_4x_the_steps(tmp_path: Path) -> None:
    guard = LRGuard(on_mismatch="stop")
    trainer, mismatches = _hf_train(tmp_path, guard, sized_for=4)
    verdict = guard.verdict
    assert verdict is not None and verdict.kind == "slower"
    assert verdict.first_step == 1 and verdict.decided_at < 20
    assert trainer.state.global_step == verdict.decided_at + 1  # stopped after the step that decided
    assert len(mismatches) == 1 and "4x slower than the plan" in mismatches[0]


def test_hf_guard_with_warn_lets_the_run_finish(tmp_path: Path) -> None:
    guard = LRGuard(on_mismatch="warn")
    trainer, mismatches = _hf_train(tmp_path, guard, sized_for=4)
    assert trainer.state.global_step == realruns.HF_STEPS
    assert guard.verdict is not None and len(mismatches) == 1


def test_hf_guard_with_the_config_as_plan_agrees_with_check(tmp_path: Path) -> None:
    config = tmp_path / "args.yaml"
    config.write_text(
        "lr_scheduler_type: linear\nlearning_rate: 0.001\nwarmup_steps: 4\nnum_train_epochs: 3\n"
        "per_device_train_batch_size: 2\n"
    )
    guard = LRGuard(config, on_mismatch="stop", dataset_size=16)
    trainer, mismatches = _hf_train(tmp_path / "run", guard)
    assert mismatches == [] and trainer.state.global_step == realruns.HF_STEPS


# ---------------------------------------------------------------------------
# Lightning


def _lightning_train(out: Path, guard: LRGuard, *, interval: str | None) -> Any:
    import lightning as L
    from torch.utils.data import DataLoader, TensorDataset

    class Module(L.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.lin = nn.Linear(3, 1)

        def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
            x, y = batch
            return nn.functional.mse_loss(self.lin(x), y)

        def configure_optimizers(self) -> Any:
            opt = torch.optim.SGD(self.parameters(), lr=0.1, momentum=0.9)
            config: dict[str, Any] = {"scheduler": torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=24)}
            if interval is not None:
                config["interval"] = interval
            return {"optimizer": opt, "lr_scheduler": config}

    xs = torch.randn(32, 3, generator=torch.Generator().manual_seed(0))
    data = DataLoader(TensorDataset(xs, xs.sum(dim=1, keepdim=True)), batch_size=4)
    trainer = L.Trainer(
        max_epochs=3,
        accelerator="cpu",
        devices=1,
        logger=False,
        callbacks=[guard],
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        default_root_dir=str(out),
    )
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        trainer.fit(Module(), data)
    return trainer, _mismatches(record)


def test_lightning_guard_passes_a_right_run(cosine: Path, tmp_path: Path) -> None:
    import lightning as L

    guard = LRGuard(cosine, on_mismatch="stop")
    assert isinstance(guard, L.Callback)
    trainer, mismatches = _lightning_train(tmp_path, guard, interval="step")
    assert mismatches == [] and guard.verdict is None and trainer.global_step == 24


def test_lightning_guard_stops_interval_epoch(cosine: Path, tmp_path: Path) -> None:
    """No 'interval' in the scheduler dict: Lightning steps it once per epoch."""
    guard = LRGuard(cosine, on_mismatch="stop")
    trainer, mismatches = _lightning_train(tmp_path, guard, interval=None)
    verdict = guard.verdict
    assert verdict is not None and verdict.kind == "per_epoch" and verdict.decided_at < 20
    assert trainer.global_step == verdict.decided_at + 1 < 24
    assert len(mismatches) == 1 and "once per epoch" in mismatches[0] and "'interval': 'step'" in mismatches[0]


# ---------------------------------------------------------------------------
# Accelerate (a hand-written loop: guard.observe)


def _accelerate_train(guard: LRGuard, processes: int) -> tuple[int, list[str]]:
    """The real AcceleratedScheduler as it runs on ``processes`` processes (see realruns.accelerate_tb_run)."""
    from unittest import mock

    import accelerate.scheduler
    from accelerate import Accelerator

    class _State:
        num_processes = processes

    accelerator = Accelerator(cpu=True)
    model = nn.Linear(3, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=24)
    model, opt, sched = accelerator.prepare(model, opt, sched)
    steps = 0
    with (
        warnings.catch_warnings(record=True) as record,
        mock.patch.object(accelerate.scheduler, "AcceleratorState", _State),
    ):
        warnings.simplefilter("always")
        for step in range(24):
            x, y = realruns._batch(step)
            accelerator.backward(nn.functional.mse_loss(model(x), y))
            if guard.observe(step, opt):
                break
            opt.step()
            sched.step()
            opt.zero_grad()
            steps += 1
    return steps, _mismatches(record)


def test_accelerate_guard_right_and_per_process(cosine: Path) -> None:
    right = LRGuard(cosine, on_mismatch="stop")
    steps, mismatches = _accelerate_train(right, processes=1)
    assert steps == 24 and mismatches == [] and right.verdict is None
    buggy = LRGuard(cosine, on_mismatch="stop")
    steps, mismatches = _accelerate_train(buggy, processes=8)
    assert buggy.verdict is not None and buggy.verdict.kind == "faster" and buggy.verdict.decided_at < 20
    assert steps == buggy.verdict.decided_at
    assert "8x faster" in mismatches[0] and "Accelerate steps it once per process" in mismatches[0]
    # the plan that models the bug: --accelerate-processes 8
    modelled = LRGuard(cosine, on_mismatch="stop", accelerate_processes=8)
    steps, mismatches = _accelerate_train(modelled, processes=8)
    assert steps == 24 and mismatches == []


# ---------------------------------------------------------------------------
# LiveCheck itself


def test_live_check_waits_for_a_name_then_gives_up_after_patience() -> None:
    plan = [0.1 * (1 - k / 40) for k in range(40)]
    check = LiveCheck(plan, patience=3)
    assert all(check.observe(k, [plan[k]]) is None for k in range(5))
    noisy = [plan[k] * (1.5 if k % 2 else 0.7) for k in range(40)]
    assert check.observe(5, [noisy[5]]) is None  # first mismatch, no pattern yet
    assert check.observe(6, [noisy[6]]) is None and check.observe(7, [noisy[7]]) is None
    verdict = check.observe(8, [noisy[8]])
    assert verdict is not None and verdict.kind is None and verdict.first_step == 5 and verdict.decided_at == 8
    assert "no known pattern" in verdict.message
    assert check.observe(9, [noisy[9]]) is None  # decided once


def test_live_check_past_the_plan_is_a_mismatch() -> None:
    check = LiveCheck([0.1, 0.1, 0.1], patience=0)
    for k in range(3):
        assert check.observe(k, [0.1]) is None
    verdict = check.observe(3, [0.1])
    assert verdict is not None and "past the plan" in verdict.message


def test_bad_arguments_are_config_errors(cosine: Path) -> None:
    from lrviz.errors import ConfigError

    with pytest.raises(ConfigError, match="on_mismatch"):
        LRGuard(cosine, on_mismatch="explode")
    with pytest.raises(ConfigError, match="no plan"):
        LRGuard().observe(0, [0.1])


def test_the_guard_never_imports_matplotlib_or_a_framework() -> None:
    code = (
        "import sys, lrviz.guard as g; g.LRGuard([0.1, 0.1]).observe(0, [0.1]); "
        "print([m for m in ('matplotlib', 'transformers', 'lightning') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_hf_guard_that_cannot_plan_warns_and_never_stops(tmp_path: Path) -> None:
    """A schedule lrviz cannot build (here: a scheduler type it does not know) leaves the run unguarded."""
    from types import SimpleNamespace

    guard = LRGuard(on_mismatch="stop")
    args = SimpleNamespace(lr_scheduler_type="no_such_schedule", learning_rate=1e-3, get_warmup_steps=lambda n: 0)
    control = SimpleNamespace(should_training_stop=False)
    with pytest.warns(UserWarning, match="cannot plan this run"):
        guard.on_train_begin(args, SimpleNamespace(max_steps=10), control)
    opt = torch.optim.SGD(nn.Linear(1, 1).parameters(), lr=5.0)
    assert guard.on_pre_optimizer_step(args, SimpleNamespace(global_step=0), control, optimizer=opt) is control
    assert control.should_training_stop is False and guard.verdict is None

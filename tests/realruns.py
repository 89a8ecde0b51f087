"""Real training runs that write real logs, for the planned-vs-actual tests.

Each function trains a tiny model on synthetic data on the CPU for a few dozen
optimizer steps with the real framework (a plain torch loop with
``torch.utils.tensorboard.SummaryWriter``, Accelerate's ``AcceleratedScheduler``,
a Lightning ``Trainer`` with ``LearningRateMonitor`` + ``CSVLogger``, a Hugging
Face ``Trainer``) and returns the path of the log it wrote. The knobs reproduce
the bugs users find in their logs: the scheduler stepped k times per optimizer
step, accumulation not applied, ``interval: epoch`` instead of ``step``, a resume
that rebuilds the scheduler without its state, wrong steps per epoch, a scaled
base LR. The frameworks' warnings (few workers, tiny datasets) are silenced
inside the runs only.
"""

from __future__ import annotations

import contextlib
import shutil
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch
from torch import nn


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _batch(i: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(i)
    x = torch.randn(4, 3, generator=g)
    return x, x.sum(dim=1, keepdim=True)


# ---------------------------------------------------------------------------
# A plain torch loop writing TensorBoard


def torch_tb_run(
    out: Path,
    *,
    epochs: int = 3,
    batches: int = 8,
    t_max: int | None = None,
    lr: float = 0.1,
    sched_steps: int = 1,
    accumulate: int = 1,
    resume_at: int | None = None,
    resume_writer_dir: Path | None = None,
) -> Path:
    """SGD + CosineAnnealingLR(T_max) stepped per optimizer step; the LR read before each optimizer
    step is logged as ``lr`` at ``step=global_step`` (lrviz's own convention).

    ``sched_steps=k`` calls ``scheduler.step()`` k times per optimizer step; ``accumulate=A`` makes
    one optimizer step of A batches but (the bug) steps the scheduler after every batch;
    ``resume_at=s`` stops at optimizer step s and resumes with a fresh model, optimizer and
    scheduler whose state is not loaded, writing to a new event file (in ``resume_writer_dir``
    if given, else in ``out``, which then holds two event files).
    """
    from torch.utils.tensorboard import SummaryWriter

    steps = epochs * batches // accumulate
    t_max = t_max if t_max is not None else steps

    def build() -> tuple[nn.Module, torch.optim.Optimizer, Any]:
        model = nn.Linear(3, 1)
        opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
        return model, opt, torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=t_max)

    with _quiet():
        model, opt, sched = build()
        writer = SummaryWriter(str(out))
        step = 0
        batch_index = 0
        for _epoch in range(epochs):
            for _b in range(batches):
                if resume_at is not None and step == resume_at and batch_index % accumulate == 0:
                    writer.close()
                    model, opt, sched = build()  # the bug: the scheduler's state_dict is not loaded
                    writer = SummaryWriter(str(resume_writer_dir or out))
                    resume_at = None
                x, y = _batch(batch_index)
                loss = nn.functional.mse_loss(model(x), y) / accumulate
                loss.backward()
                batch_index += 1
                if batch_index % accumulate == 0:
                    writer.add_scalar("lr", opt.param_groups[0]["lr"], step)
                    writer.add_scalar("loss", loss.item(), step)
                    opt.step()
                    opt.zero_grad()
                    step += 1
                    if accumulate == 1:
                        for _ in range(sched_steps):
                            sched.step()
                if accumulate > 1:
                    sched.step()  # the bug: once per batch, not once per optimizer step
        writer.close()
    return out


def accelerate_tb_run(out: Path, *, processes: int, epochs: int = 3, batches: int = 8) -> Path:
    """The real ``accelerate.scheduler.AcceleratedScheduler`` as it runs on ``processes`` processes,
    in one process: ``AcceleratorState().num_processes`` reports ``processes``. It steps the wrapped
    scheduler once per process per optimizer step (accelerate/scheduler.py, ``step``); the schedule is
    sized for the per-process steps (``epochs * len(dataloader)``), the usual mistake."""
    from unittest import mock

    import accelerate.scheduler
    from accelerate import Accelerator
    from torch.utils.tensorboard import SummaryWriter

    class _State:
        num_processes = processes

    with _quiet():
        accelerator = Accelerator(cpu=True)
        model = nn.Linear(3, 1)
        opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs * batches)
        model, opt, sched = accelerator.prepare(model, opt, sched)
        assert isinstance(sched, accelerate.scheduler.AcceleratedScheduler)
        writer = SummaryWriter(str(out))
        step = 0
        with mock.patch.object(accelerate.scheduler, "AcceleratorState", _State):
            for _ in range(epochs * batches):
                x, y = _batch(step)
                accelerator.backward(nn.functional.mse_loss(model(x), y))
                writer.add_scalar("lr", opt.param_groups[0]["lr"], step)
                opt.step()
                sched.step()
                opt.zero_grad()
                step += 1
        writer.close()
    return out


# ---------------------------------------------------------------------------
# Lightning: LearningRateMonitor + CSVLogger


def lightning_run(
    out: Path,
    *,
    epochs: int = 3,
    batches: int = 8,
    interval: str | None = "step",
    accumulate: int = 1,
    scheduler: str = "cosine",
) -> Path:
    """A LightningModule with two param groups (SGD, lr 0.1 and 0.01) and CosineAnnealingLR sized for
    ``epochs * batches`` steps (the bug with ``accumulate`` > 1: counted in batches), or StepLR(1, 0.5)
    with ``scheduler="step"``. ``interval=None`` leaves the key out (Lightning's default is ``epoch``).
    Returns the ``metrics.csv``."""
    import lightning as L
    from lightning.pytorch.callbacks import LearningRateMonitor
    from lightning.pytorch.loggers import CSVLogger
    from torch.utils.data import DataLoader, TensorDataset

    class Module(L.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.lin = nn.Linear(3, 1)

        def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
            x, y = batch
            loss = nn.functional.mse_loss(self.lin(x), y)
            self.log("loss", loss)
            return loss

        def configure_optimizers(self) -> Any:
            opt = torch.optim.SGD(
                [{"params": [self.lin.weight], "lr": 0.1}, {"params": [self.lin.bias], "lr": 0.01}], lr=0.1
            )
            if scheduler == "cosine":
                sched: Any = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs * batches)
            else:
                sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
            config: dict[str, Any] = {"scheduler": sched}
            if interval is not None:
                config["interval"] = interval
            return {"optimizer": opt, "lr_scheduler": config}

    xs = torch.randn(batches * 4, 3, generator=torch.Generator().manual_seed(0))
    data = DataLoader(TensorDataset(xs, xs.sum(dim=1, keepdim=True)), batch_size=4)
    with _quiet():
        logger = CSVLogger(str(out), name="run", version=0)
        trainer = L.Trainer(
            max_epochs=epochs,
            accelerator="cpu",
            devices=1,
            logger=logger,
            callbacks=[LearningRateMonitor()],
            log_every_n_steps=1,
            accumulate_grad_batches=accumulate,
            enable_checkpointing=False,
            enable_progress_bar=False,
            enable_model_summary=False,
        )
        trainer.fit(Module(), data)
    return Path(logger.log_dir) / "metrics.csv"


# ---------------------------------------------------------------------------
# Hugging Face Trainer: trainer_state.json


class _Data(torch.utils.data.Dataset[dict[str, torch.Tensor]]):
    def __len__(self) -> int:
        return 16

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        x = torch.tensor([float(i) / 16, 1.0, -float(i) / 16])
        return {"x": x, "labels": x.sum(dim=0, keepdim=True)}


class _Model(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(3, 1)

    def forward(self, x: torch.Tensor, labels: torch.Tensor) -> dict[str, torch.Tensor]:
        y = self.lin(x)
        return {"loss": nn.functional.mse_loss(y, labels), "logits": y}


#: The Trainer's schedule in the HF runs: linear warmup over 4 steps, then linear decay to 0 at step 24.
HF_STEPS, HF_WARMUP = 24, 4


def hf_run(out: Path, *, lr: float = 1e-3, resume_at: int | None = None) -> Path:
    """transformers' Trainer: AdamW, ``lr_scheduler_type="linear"`` with 4 warmup steps, 16 samples in
    batches of 2 for 3 epochs (24 optimizer steps), ``logging_steps=1``. With ``resume_at=s`` it saves a
    checkpoint at step s, deletes its ``scheduler.pt`` (the Trainer then resumes without loading the
    scheduler: transformers/trainer.py ``_load_optimizer_and_scheduler`` only loads an existing file) and
    resumes from it in a second Trainer that also reports to TensorBoard (the resumed job's own log).
    Returns the final ``trainer_state.json``."""
    from transformers import Trainer, TrainingArguments

    def args(output: Path, **extra: Any) -> TrainingArguments:
        options: dict[str, Any] = {
            "output_dir": str(output),
            "per_device_train_batch_size": 2,
            "num_train_epochs": 3,
            "learning_rate": lr,
            "warmup_steps": HF_WARMUP,
            "lr_scheduler_type": "linear",
            "logging_steps": 1,
            "report_to": [],
            "use_cpu": True,
            "save_strategy": "no",
            "disable_tqdm": True,
            "dataloader_num_workers": 0,
        }
        options.update(extra)
        return TrainingArguments(**options)

    with _quiet():
        if resume_at is None:
            trainer = Trainer(model=_Model(), args=args(out), train_dataset=_Data())
            trainer.train()
        else:
            first = Trainer(
                model=_Model(),
                args=args(out / "first", save_strategy="steps", save_steps=resume_at),
                train_dataset=_Data(),
            )
            first.train()
            checkpoint = out / "first" / f"checkpoint-{resume_at}"
            (checkpoint / "scheduler.pt").unlink()
            for later in (out / "first").glob("checkpoint-*"):
                if later != checkpoint:
                    shutil.rmtree(later)
            trainer = Trainer(
                model=_Model(),
                args=args(out, report_to=["tensorboard"]),
                train_dataset=_Data(),
            )
            trainer.train(resume_from_checkpoint=str(checkpoint))
        path = out / "trainer_state.json"
        trainer.state.save_to_json(str(path))
    return path

"""The live guard's cost per optimizer step, against a tiny training step (issue 20: under 1%).

Three loops of the same tiny model (nn.Linear(16, 1), batch 8, SGD + CosineAnnealingLR, CPU):
without a guard, with ``guard.observe(step, optimizer)`` before each ``optimizer.step()``, and a
transformers ``Trainer`` with and without ``LRGuard()`` as a callback. Rounds interleave the
variants so machine noise hits both; the report gives medians and the overhead in percent, and
the guard's own time per call measured alone.

    python bench/guard.py [--steps 2000] [--rounds 7]
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import torch
from torch import nn

from lrviz.guard import LiveCheck, LRGuard


def plain_loop(steps: int, guard: LRGuard | None) -> float:
    torch.manual_seed(0)
    model = nn.Linear(16, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)
    x, y = torch.randn(8, 16), torch.randn(8, 1)
    start = time.perf_counter()
    for step in range(steps):
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        if guard is not None and guard.observe(step, opt):
            break
        opt.step()
        opt.zero_grad()
        sched.step()
    return time.perf_counter() - start


def observe_alone(steps: int) -> float:
    plan = [0.1] * steps
    check = LiveCheck(plan)
    start = time.perf_counter()
    for step in range(steps):
        check.observe(step, [0.1])
    return (time.perf_counter() - start) / steps


def guard_observe_alone(steps: int) -> float:
    model = nn.Linear(16, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    guard = LRGuard([0.1] * steps)
    start = time.perf_counter()
    for step in range(steps):
        guard.observe(step, opt)
    return (time.perf_counter() - start) / steps


def hf_trainer(steps: int, guarded: bool) -> float:
    from transformers import Trainer, TrainingArguments

    class Data(torch.utils.data.Dataset[dict[str, torch.Tensor]]):
        def __len__(self) -> int:
            return steps * 2

        def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
            x = torch.full((16,), float(i % 7))
            return {"x": x, "labels": x[:1]}

    class Model(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lin = nn.Linear(16, 1)

        def forward(self, x: torch.Tensor, labels: torch.Tensor) -> dict[str, torch.Tensor]:
            out = self.lin(x)
            return {"loss": nn.functional.mse_loss(out, labels), "logits": out}

    args = TrainingArguments(
        output_dir="/tmp/lrviz-bench-guard",
        per_device_train_batch_size=2,
        num_train_epochs=1,
        learning_rate=1e-3,
        warmup_steps=10,
        logging_steps=10**9,
        report_to=[],
        use_cpu=True,
        save_strategy="no",
        disable_tqdm=True,
    )
    callbacks = [LRGuard(on_mismatch="stop")] if guarded else []
    trainer = Trainer(model=Model(), args=args, train_dataset=Data(), callbacks=callbacks)
    start = time.perf_counter()
    trainer.train()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--skip-hf", action="store_true")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    steps = args.steps
    guard_plan = {
        "scheduler": {"name": "CosineAnnealingLR", "T_max": steps},
        "optimizer": {"name": "SGD", "lr": 0.1, "momentum": 0.9},
        "epochs": 1,
        "steps_per_epoch": steps,
        "interval": "step",
    }
    bare, guarded = [], []
    for _ in range(args.rounds):
        bare.append(plain_loop(steps, None))
        guard = LRGuard(guard_plan, on_mismatch="stop")
        guarded.append(plain_loop(steps, guard))
        assert guard.verdict is None and guard.check is not None and guard.check.observed == steps
    b, g = statistics.median(bare), statistics.median(guarded)
    print(
        f"plain loop, {steps} steps: {b / steps * 1e6:.1f} us/step bare, {g / steps * 1e6:.1f} us/step guarded: "
        f"overhead {100 * (g - b) / b:+.2f}%"
    )
    alone = statistics.median(observe_alone(steps) for _ in range(args.rounds))
    print(f"LiveCheck.observe alone: {alone * 1e6:.2f} us/call = {100 * alone / (b / steps):.2f}% of the bare step")
    alone = statistics.median(guard_observe_alone(steps) for _ in range(args.rounds))
    print(
        f"LRGuard.observe(step, optimizer) alone: {alone * 1e6:.2f} us/call = {100 * alone / (b / steps):.2f}% of the bare step"
    )
    if not args.skip_hf:
        hb, hg = [], []
        for _ in range(max(3, args.rounds // 2)):
            hb.append(hf_trainer(steps // 4, False))
            hg.append(hf_trainer(steps // 4, True))
        b, g = statistics.median(hb), statistics.median(hg)
        n = steps // 4
        print(
            f"transformers Trainer, {n} steps: {b / n * 1e6:.0f} us/step bare, {g / n * 1e6:.0f} us/step with "
            f"LRGuard(): overhead {100 * (g - b) / b:+.2f}%"
        )


if __name__ == "__main__":
    main()

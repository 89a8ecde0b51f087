"""Shared helpers: a reference training loop written straight against PyTorch.

``reference_lrs`` is what a user's training script sees: a real optimizer over
real parameters with real gradients, ``optimizer.step()`` then the scheduler
step, reading ``param_groups[i]["lr"]`` before each optimizer step. It builds
schedulers from the YAML-shaped dict directly (lr_lambda via a real Python
lambda), sharing no code with lrviz's engine.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import torch
from hypothesis import settings
from torch.optim import lr_scheduler

import lrviz
from lrviz.model import RunConfig

# CI runs the property tests on a fixed set of examples, so a run's result does not depend on
# luck; locally they explore new random examples each time.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


def make_run(doc: dict[str, Any]) -> RunConfig:
    """A run from a config shaped like a YAML file, read as a user's ``lrviz.load(mapping)`` reads it."""
    return lrviz.load(doc)


def _ref_scheduler(node: dict[str, Any], opt: torch.optim.Optimizer) -> Any:
    node = dict(node)
    cls = getattr(lr_scheduler, node.pop("name"))
    if "lr_lambda" in node:
        src = node["lr_lambda"]
        node["lr_lambda"] = (
            [eval(f"lambda epoch: {s}", {"__builtins__": {}, "min": min, "max": max}) for s in src]  # noqa: S307 - tests only
            if isinstance(src, list)
            else eval(f"lambda epoch: {src}", {"__builtins__": {}, "min": min, "max": max})  # noqa: S307
        )
    if "schedulers" in node:
        children = [_ref_scheduler(c, opt) for c in node.pop("schedulers")]
        if cls is lr_scheduler.ChainedScheduler:
            return cls(children, optimizer=opt)
        return cls(opt, schedulers=children, **node)
    return cls(opt, **node)


def reference_lrs(
    scheduler: dict[str, Any],
    *,
    epochs: int,
    steps_per_epoch: int = 1,
    optimizer: str = "SGD",
    lrs: tuple[float, ...] = (0.1,),
    options: dict[str, Any] | None = None,
    interval: str = "epoch",
    metrics: list[float] | None = None,
) -> list[list[float]]:
    """LR per param group at every optimizer step of a plain training loop."""
    torch.manual_seed(0)
    params = [torch.nn.Parameter(torch.randn(4)) for _ in lrs]
    opt = getattr(torch.optim, optimizer)(
        [{"params": [p], "lr": lr} for p, lr in zip(params, lrs, strict=True)], **(options or {})
    )
    sched = _ref_scheduler(scheduler, opt)
    fractional = scheduler["name"] == "CosineAnnealingWarmRestarts" and steps_per_epoch > 1 and interval == "epoch"
    seen: list[list[float]] = [[] for _ in lrs]
    for epoch in range(epochs):
        for i in range(steps_per_epoch):
            for g, group in enumerate(opt.param_groups):
                seen[g].append(group["lr"])
            opt.zero_grad()
            loss = sum((p**2).sum() for p in params)
            loss.backward()  # type: ignore[union-attr]
            opt.step()
            if fractional:
                sched.step(epoch + i / steps_per_epoch)
            elif interval == "step":
                sched.step()
        if interval == "epoch" and not fractional:
            if metrics is not None:
                sched.step(metrics[epoch])
            else:
                sched.step()
    return seen


@pytest.fixture
def plateau_metrics() -> list[float]:
    # improves, stalls, improves, stalls: two reductions with patience 2
    return [1.0, 0.8, 0.7, 0.7, 0.7, 0.7, 0.6, 0.5, 0.5, 0.5, 0.5, 0.5, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4]

"""The dummy optimizer lrviz steps schedules with: the real torch.optim class over throw-away parameters.

The parameters never get gradients, so ``optimizer.step()`` is a no-op for them; and a
real step never changes a param-group entry a scheduler reads (``tests/engine/test_simulate_equals_pytorch.py``
checks this for every optimizer). Used by ``engine`` (torch schedulers) and
``frameworks`` (transformers, timm).
"""

from __future__ import annotations

import types
from typing import Any

import torch

from lrviz.errors import ConfigError
from lrviz.model import RunConfig

_TORCH_ERRORS = (
    ValueError,
    TypeError,
    KeyError,
    IndexError,
    ZeroDivisionError,
    OverflowError,
    NotImplementedError,
)

#: The largest float32: an optimizer step over float32 parameters fails with a larger LR.
FLOAT32_MAX = 3.4028234663852886e38


def _no_grad_step(self: torch.optim.Optimizer, closure: Any = None) -> None:
    """``optimizer.step()`` for parameters that never have gradients: nothing to update."""


def build_optimizer(run: RunConfig, *, dummy_step: bool = True) -> torch.optim.Optimizer:
    """The optimizer class the config names, over one throw-away parameter per param group."""
    cfg = run.optimizer
    cls = getattr(torch.optim, cfg.name)
    groups: list[dict[str, Any]] = [
        {"params": [torch.zeros(1, requires_grad=True)], "lr": g.lr, **g.options} for g in cfg.groups
    ]
    try:
        optimizer: torch.optim.Optimizer = cls(groups, lr=cfg.lr, **cfg.options)
    except _TORCH_ERRORS as exc:
        raise ConfigError(f"optimizer {cfg.name}: PyTorch rejected the options: {exc}") from None
    if dummy_step:
        optimizer.step = types.MethodType(_no_grad_step, optimizer)  # type: ignore[method-assign]
    return optimizer

"""The registry mirrors PyTorch: names, argument order and defaults, and name resolution."""

from __future__ import annotations

import inspect

import pytest
from torch.optim import lr_scheduler

from lrviz.errors import ConfigError
from lrviz.schedules import OPTIMIZER_ARGS, REQUIRED, SCHEDULERS, get_optimizer, get_scheduler

SKIPPED = {"optimizer", "last_epoch", "verbose", "scale_fn"}  # not user-settable here


@pytest.mark.parametrize("spec", SCHEDULERS, ids=lambda s: s.name)
def test_arguments_mirror_pytorch_signature(spec) -> None:  # type: ignore[no-untyped-def]
    params = inspect.signature(getattr(lr_scheduler, spec.name)).parameters
    torch_args = [n for n in params if n not in SKIPPED]
    assert [a.name for a in spec.args] == torch_args
    for arg in spec.args:
        default = params[arg.name].default
        if default is inspect.Parameter.empty:
            assert arg.default is REQUIRED, arg.name
        else:
            assert arg.default == default, arg.name


def test_every_public_scheduler_is_registered() -> None:
    public = {
        n
        for n, obj in vars(lr_scheduler).items()
        if inspect.isclass(obj) and issubclass(obj, lr_scheduler.LRScheduler) and not n.startswith("_")
    } - {"LRScheduler"}
    assert public <= {s.name for s in SCHEDULERS}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("cosine", "CosineAnnealingLR"),
        ("restarts", "CosineAnnealingWarmRestarts"),
        ("steplr", "StepLR"),
        ("one_cycle_lr", "OneCycleLR"),
        ("SGDR", "CosineAnnealingWarmRestarts"),
    ],
)
def test_names_and_aliases_resolve(name: str, expected: str) -> None:
    assert get_scheduler(name).name == expected


def test_unknown_scheduler_suggests_closest() -> None:
    with pytest.raises(ConfigError, match=r"unknown scheduler 'CosineAnealingLR' \(did you mean CosineAnnealingLR"):
        get_scheduler("CosineAnealingLR")
    with pytest.raises(ConfigError, match="valid: CosineAnnealingLR"):
        get_scheduler("zzzz")


def test_optimizer_names() -> None:
    assert get_optimizer("adamw") == "AdamW"
    with pytest.raises(ConfigError, match="did you mean Adam"):
        get_optimizer("Adan")


@pytest.mark.parametrize("name", sorted(OPTIMIZER_ARGS))
def test_optimizer_options_mirror_pytorch(name: str) -> None:
    import torch

    params = inspect.signature(getattr(torch.optim, name).__init__).parameters
    assert OPTIMIZER_ARGS[name] == tuple(p for p in params if p not in ("self", "params"))

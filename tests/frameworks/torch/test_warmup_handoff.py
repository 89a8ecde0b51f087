"""The warmup -> decay handoff of SequentialLR (issue 20): lrviz/frameworks/torch/handoff.py.

Each curve is stepped by lrviz and compared ``==`` with a loop written here with PyTorch's own
classes, so the jump the finding names is the one PyTorch produces; a close config that hands
over cleanly gets no finding.
"""

from __future__ import annotations

from typing import Any

import pytest
import torch
from torch.optim.lr_scheduler import CosineAnnealingLR, LinearLR, SequentialLR

import lrviz
from lrviz.frameworks._text import plain


def _config(milestone: int, total_iters: int, end_factor: float = 1.0, epochs: int = 12) -> dict[str, Any]:
    return {
        "optimizer": {"name": "SGD", "lr": 0.1},
        "epochs": epochs,
        "scheduler": {
            "name": "SequentialLR",
            "milestones": [milestone],
            "schedulers": [
                {"name": "LinearLR", "start_factor": 0.1, "end_factor": end_factor, "total_iters": total_iters},
                {"name": "CosineAnnealingLR", "T_max": epochs - milestone},
            ],
        },
    }


def _torch_loop(milestone: int, total_iters: int, end_factor: float = 1.0, epochs: int = 12) -> list[float]:
    """The same schedule, stepped once per epoch as a training loop does."""
    param = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([param], lr=0.1)
    warmup = LinearLR(optimizer, start_factor=0.1, end_factor=end_factor, total_iters=total_iters)
    decay = CosineAnnealingLR(optimizer, T_max=epochs - milestone)
    scheduler = SequentialLR(optimizer, [warmup, decay], milestones=[milestone])
    out = []
    for _ in range(epochs):
        out.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return out


def _codes(curve: lrviz.Curve) -> list[str]:
    return [f.code for f in curve.findings]


def test_a_warmup_cut_by_the_milestone_jumps_and_is_named() -> None:
    curve = lrviz.simulate(_config(milestone=5, total_iters=10))
    lrs = list(curve.lrs[0])
    assert lrs == _torch_loop(milestone=5, total_iters=10)
    assert lrs[5] / lrs[4] > 2  # the real classes jump at the milestone: 0.046 -> 0.1
    (finding,) = [f for f in curve.findings if f.code == "handoff-jump"]
    assert f"from {plain(lrs[4], 4)} to {plain(lrs[5], 4)} at epoch 5" in finding.message
    assert "total_iters=10" in finding.message and "set total_iters=5" in finding.message
    assert finding.data["at"] == 5 and finding.data["from"] == lrs[4] and finding.data["to"] == lrs[5]


def test_a_warmup_ending_below_the_lr_jumps_and_is_named() -> None:
    curve = lrviz.simulate(_config(milestone=5, total_iters=5, end_factor=0.5))
    assert list(curve.lrs[0]) == _torch_loop(milestone=5, total_iters=5, end_factor=0.5)
    (finding,) = [f for f in curve.findings if f.code == "handoff-jump"]
    assert "end_factor=0.5" in finding.message


@pytest.mark.parametrize(("milestone", "total_iters"), [(5, 5), (6, 5), (3, 3)])
def test_a_clean_handoff_has_no_finding(milestone: int, total_iters: int) -> None:
    curve = lrviz.simulate(_config(milestone=milestone, total_iters=total_iters))
    assert list(curve.lrs[0]) == _torch_loop(milestone=milestone, total_iters=total_iters)
    assert "handoff-jump" not in _codes(curve) and "sequential-milestone-zero" not in _codes(curve)


def test_milestone_zero_is_stepped_as_pytorch_does_and_names_the_pytorch_issue() -> None:
    curve = lrviz.simulate(_config(milestone=0, total_iters=5))
    assert list(curve.lrs[0]) == _torch_loop(milestone=0, total_iters=5)
    (finding,) = [f for f in curve.findings if f.code == "sequential-milestone-zero"]
    assert "pytorch/pytorch#185872" in finding.message and torch.__version__ in finding.message
    assert "leave LinearLR and the 0 out" in finding.message


def test_the_handoff_is_found_per_step_too() -> None:
    config = {**_config(milestone=50, total_iters=100, epochs=4), "steps_per_epoch": 30, "interval": "step"}
    config["scheduler"]["schedulers"][1]["T_max"] = 70
    curve = lrviz.simulate(config)
    (finding,) = [f for f in curve.findings if f.code == "handoff-jump"]
    assert "at step 50" in finding.message

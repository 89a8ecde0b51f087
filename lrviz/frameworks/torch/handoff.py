"""The warmup -> decay handoff of ``SequentialLR``: where the recorded LR jumps instead of handing over.

Two reported failures, both read from the curve PyTorch's own classes recorded:

* **milestone 0** (pytorch/pytorch#185872): ``SequentialLR(milestones=[0, ...])``, used to "test with
  no warmup", started at the first scheduler's LR (its constructor set it) in PyTorch releases without
  the fix, and its first ``step()`` skipped the next scheduler's step 0 (``milestones[idx - 1] ==
  last_epoch`` compared 0 with 1): that scheduler started one step late, from the wrong LR. The curve
  is the installed torch's (2.13 has the fix); the finding says what an older torch does.
* **a warmup cut short or ending elsewhere**: a ``LinearLR`` warmup whose ``total_iters`` runs past
  the milestone, or whose ``end_factor`` is not 1, hands over at a factor the next scheduler does
  not start from (it starts from the optimizer's own LR), so the LR jumps at the milestone by more
  than a warmup step.

Only the first param group is looked at, like the other curve rules; every number shown is a recorded LR.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from lrviz.frameworks._text import count as _n
from lrviz.frameworks._text import lr as _lr
from lrviz.frameworks._text import plain as _plain
from lrviz.model import Curve, Finding

if TYPE_CHECKING:
    from lrviz.model import SchedulerConfig

#: A jump is a change at the milestone more than this many times the warmup's own last step.
JUMP = 2.0


def findings(curve: Curve, node: SchedulerConfig, offset: int, end: int, unit: str, stride: int) -> list[Finding]:
    """Findings for the ``SequentialLR`` ``node`` in charge of scheduler steps [offset, end) of ``curve``."""
    milestones = [int(m) for m in node.args.get("milestones", ())]
    lrs = curve.lrs[0]
    found: list[Finding] = []
    for i, milestone in enumerate(milestones):
        if i + 1 >= len(node.children):
            break
        before, after = node.children[i], node.children[i + 1]
        at = offset + milestone
        if milestone == 0:
            found.append(_zero(lrs, before, after, at, unit, stride))
            continue
        if at >= end or at == 0:
            continue
        own = milestone - (milestones[i - 1] if i else 0)  # the steps ``before`` runs
        jump = _jump(lrs, before, after, at, own, unit, stride)
        if jump is not None:
            found.append(jump)
    return found


def _zero(lrs: Any, before: SchedulerConfig, after: SchedulerConfig, at: int, unit: str, stride: int) -> Finding:
    first = lrs[at * stride]
    version = _torch_version()
    return Finding(
        "sequential-milestone-zero",
        f"SequentialLR: milestone 0 hands over to {after.name} before {before.name} runs a step; this curve "
        f"(starting at {_lr(first)}) is what the installed torch {version} does, but a PyTorch without the fix "
        f"for pytorch/pytorch#185872 starts at {before.name}'s LR and its first step() skips {after.name}'s "
        f"{unit} 0, so {after.name} starts one {unit} late from the wrong LR; leave {before.name} and the 0 out "
        "of schedulers and milestones instead",
        {"scheduler": "SequentialLR", "milestone": 0, "first": before.name, "next": after.name, "torch": version},
    )


def _torch_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("torch")
    except PackageNotFoundError:  # pragma: no cover - the curve was stepped by torch
        return "?"


def _jump(
    lrs: Any, before: SchedulerConfig, after: SchedulerConfig, at: int, own: int, unit: str, stride: int
) -> Finding | None:
    if before.name != "LinearLR":
        return None  # ConstantLR's jump at the milestone is its design; a decay may hand over anyhow
    start = float(before.args.get("start_factor", 1 / 3))
    end_factor = float(before.args.get("end_factor", 1.0))
    iters = int(before.args.get("total_iters", 5))
    if end_factor <= start:
        return None  # not a warmup
    last, new = lrs[at * stride - 1], lrs[at * stride]
    previous = lrs[at * stride - 1 - stride] if at * stride - 1 - stride >= 0 else last
    step = abs(last - previous)
    if abs(new - last) <= JUMP * step + 1e-9 * max(abs(new), abs(last)) or math.isclose(new, last, rel_tol=1e-9):
        return None
    if iters > own:
        cause = (
            f"LinearLR's total_iters={_n(iters)} is longer than the {_n(own)} {unit}s it runs before the milestone, "
            f"so the warmup is cut at {_plain(last / new, 3)}x the LR {after.name} starts from"
        )
        fix = f"set total_iters={_n(own)} or move the milestone {_n(iters - own)} {unit}s later"
    elif not math.isclose(end_factor, 1.0):
        cause = f"LinearLR ends at end_factor={_plain(end_factor, 3)} and {after.name} starts from the optimizer's LR"
        fix = "set end_factor=1.0, or scale the next scheduler's LR"
    else:
        cause = f"{after.name} does not start where the warmup ends"
        fix = "check the next scheduler's first LR"
    direction = "jumps up" if new > last else "drops"
    return Finding(
        "handoff-jump",
        f"SequentialLR: the LR {direction} from {_lr(last)} to {_lr(new)} at {unit} {_n(at)}, where LinearLR "
        f"hands over to {after.name}: {cause}; {fix}",
        {"scheduler": "SequentialLR", "at": at, "from": last, "to": new, "first": "LinearLR", "next": after.name},
    )

"""What makes a run log a pattern, in the words of the plan's framework (the ``faster`` and ``lag`` diagnoses).

``lrviz.comparison.log`` finds a pattern the same way for every plan: the scheduler stepped k times per
optimizer step (``faster``), or it skipped k optimizer steps (``lag``). What makes a trainer do that
differs by trainer, and a diagnosis that names another trainer's cause sends the user to the wrong
setting. The plan's adapter says its own (``Adapter.mismatch_cause``: Megatron-LM's fp16 skipped
iterations and sample-counting scheduler, litgpt's accumulation and devices); without one, the words
are PyTorch's, Accelerate's and the HF Trainer's, the loops most plans run in.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from lrviz import frameworks
from lrviz.comparison.reports import diagnosis
from lrviz.model import Finding, RunConfig

#: ``(code, factor) -> the framework's cause and fix``, or None for the generic wording
Explain = Callable[[str, int], "str | None"]


def generic(code: str, factor: int) -> str | None:
    """No framework's own words: the generic ones."""
    return None


def explainer(plan: Any) -> Explain:
    """The plan's framework's words for a pattern (``plan`` a ``Curve`` or a ``RunConfig``; anything else: generic)."""
    run = plan if isinstance(plan, RunConfig) else getattr(plan, "run", None)
    if not isinstance(run, RunConfig):
        return generic
    adapter = frameworks.for_run(run)
    return lambda code, factor: adapter.mismatch_cause(run, code, factor)


def faster(k: int, explain: Explain) -> Finding:
    """log[s] == plan[k*s + r]: the scheduler stepped k times per optimizer step."""
    cause = explain("faster", k) or (
        f"Accelerate steps it once per process: on {k} processes size the schedule for {k} x the steps of the "
        f"prepared dataloader (or pass split_batches=True); with gradient accumulation {k}, call scheduler.step() "
        "only when the optimizer steps"
    )
    return diagnosis(
        "faster",
        f"the log runs {k}x faster than the plan: the scheduler steps {k} times per optimizer step. {cause}",
        factor=k,
    )


def lag(lag: int, first: int, holds: Sequence[tuple[int, int]], explain: Explain) -> Finding:
    """log[s] == plan[s - lag(s)]: the scheduler skipped ``lag`` optimizer steps, held at ``holds`` (K, STEP)."""
    merged = merge_holds(holds)
    how = f"model it with --skipped-steps {skipped_steps(merged)}"
    if len(merged) > 3:
        how = f"it grew {len(merged)} times: look for overflowing gradients ({how})"
    cause = explain("lag", lag) or (
        f"the scheduler did not step on {lag} optimizer step(s) (AMP's GradScaler skips optimizer.step() when "
        "gradients overflow, and the HF Trainer and Accelerate then skip scheduler.step()): expected in the first "
        "steps of fp16 training"
    )
    return diagnosis(
        "lag",
        f"the log lags the plan by {lag} optimizer step(s) from step {first}: {cause}; {how}",
        factor=lag,
        step=first,
    )


def merge_holds(holds: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """``holds`` with the holds of one plan step added up, in step order (the same held plan)."""
    total: dict[int, int] = {}
    for k, at in holds:
        total[at] = total.get(at, 0) + k
    return [(k, at) for at, k in sorted(total.items()) if k]


def skipped_steps(holds: Sequence[tuple[int, int]]) -> str:
    """The shortest ``--skipped-steps`` value for ``holds`` (``K`` for ``K@0``; ``7,1@15``, not ``1,1,...,1@15``)."""
    return ",".join(f"{k}@{at}" if at else str(k) for k, at in merge_holds(holds))

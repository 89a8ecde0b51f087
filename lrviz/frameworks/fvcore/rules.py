"""fvcore's traps under SAM 2's trainer: ``where`` never reaches 1 (the last LR is not ``end_value``); VGGT's extra batch."""

from __future__ import annotations

import math

from lrviz.frameworks.fvcore.read import instantiate, param_scheduler_module, settings
from lrviz.model import Curve, Finding, RunConfig


def run_findings(run: RunConfig) -> list[Finding]:
    fw = settings(run)
    if fw.iters_per_epoch <= fw.divisor:
        return []
    return [
        Finding(
            "fvcore-extra-batch",
            f"limit_train_batches {fw.divisor}: each epoch runs {fw.iters_per_epoch} batches (the loop breaks when "
            f"data_iter > {fw.divisor}); the extra one uses the next epoch's LR, and in the last epoch `where` "
            "reaches 1, so the trainer skips the update and that step keeps the previous LR",
            {"limit_train_batches": fw.divisor, "batches": fw.iters_per_epoch},
        )
    ]


def curve_findings(curve: Curve) -> list[Finding]:
    """The value the schedule heads for at ``where`` -> 1 against the last LR the run uses."""
    fw = settings(curve.run)
    module = param_scheduler_module()
    found = []
    for g, node in enumerate(fw.schedulers):
        series = curve.lrs[g]
        try:
            end = float(instantiate(module, node)(math.nextafter(1.0, 0.0)))  # where -> 1, as near as a float gets
        except (TypeError, ValueError, RuntimeError, IndexError):
            continue
        last = series[-1] if series else end
        span = max(series) - min(series) if series else 0.0
        end = 0.0 if abs(end) <= 1e-9 * span else end  # the float just under 1 leaves a trace of the slope
        if span and abs(last - end) > 0.01 * span:
            found.append(
                Finding(
                    "fvcore-end-not-reached",
                    f"{fw.groups[g]}: the last step's LR is {last:.6g}, not {end:.6g}: SAM 2's trainer calls "
                    f"{node['class']} with where < 1, the last time at (N - 1) / N of the run",
                    {"group": g, "last": last, "end": end},
                )
            )
    return found

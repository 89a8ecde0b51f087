"""ESPnet's traps: WarmupLR/NoamLR never decay to a floor; a warmup longer than the run."""

from __future__ import annotations

from lrviz.frameworks.espnet.read import settings
from lrviz.model import Curve, Finding, RunConfig


def run_findings(run: RunConfig) -> list[Finding]:
    fw = settings(run)
    warmup = fw.conf.get("warmup_steps")
    total = run.points if run.interval == "step" else None
    found = []
    # optimizer step k reads the LR of step_num k (last_epoch + 1): the peak is step warmup_steps, inside a run as long
    if isinstance(warmup, int | float) and total is not None and warmup > total:
        found.append(
            Finding(
                "espnet-warmup-longer-than-run",
                f"{fw.cls}: warmup_steps {warmup:,} is longer than the run ({total:,} optimizer steps): the LR "
                "never reaches its peak",
                {"warmup_steps": warmup, "steps": total},
            )
        )
    return found


def curve_findings(curve: Curve) -> list[Finding]:
    fw = settings(curve.run)
    series = curve.lrs[0]
    if fw.cls not in ("WarmupLR", "NoamLR") or not series:
        return []
    peak = max(series)
    return (
        [
            Finding(
                "espnet-inverse-sqrt-tail",
                f"{fw.cls}: after the warmup the LR decays as 1/sqrt(step) with no floor and no end: at the last step it "
                f"is {series[-1] / peak:.1%} of its peak, and it would keep falling if training ran longer",
                {"last": series[-1], "peak": peak},
            )
        ]
        if peak > 0 and series[-1] < peak  # a run that ends in (or at the end of) the warmup has no tail
        else []
    )

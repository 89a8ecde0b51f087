"""mmengine's traps: a LinearLR/PolyLR that ends one step early, schedulers outside the run, epoch schedulers never stepped."""

from __future__ import annotations

from lrviz.frameworks.mmengine.read import settings
from lrviz.model import Curve, Finding, RunConfig

#: schedulers whose ramp spans ``end - begin - 1`` steps (``self.total_iters = end - begin - 1``)
_SHORT = ("LinearLR", "LinearMomentum", "LinearParamScheduler", "PolyLR", "PolyMomentum", "PolyParamScheduler")


def run_findings(run: RunConfig) -> list[Finding]:
    fw = settings(run)
    found = []
    length = fw.max_epochs if fw.by_epoch else fw.max_iters
    for cfg, where in zip(fw.schedulers, fw.where, strict=True):
        kind, begin, end = str(cfg["type"]), int(cfg.get("begin", 0)), cfg["end"]
        by_epoch = bool(cfg.get("by_epoch", True))
        converted = bool(cfg.get("convert_to_iter_based")) and by_epoch
        unit = "iteration" if (not by_epoch or converted) else "epoch"
        if kind in _SHORT and isinstance(end, int) and end - begin >= 2 and unit == "iteration" and not converted:
            found.append(
                Finding(
                    "mmengine-ramp-ends-early",
                    f"{where}: {kind}(begin={begin}, end={end}) ramps over end - begin - 1 = {end - begin - 1} "
                    f"iterations: the LR reaches its final factor at iteration {end - 1}, not {end} (mmengine sets "
                    f"total_iters = end - begin - 1; torch's LinearLR(total_iters={end - begin}) reaches it at "
                    f"{end}); set end={end + 1} for a ramp of {end - begin} iterations",
                    {"scheduler": kind, "begin": begin, "end": end, "reached_at": end - 1},
                )
            )
        if fw.by_epoch and not by_epoch and end == fw.max_epochs and fw.max_iters > fw.max_epochs:
            found.append(
                Finding(
                    "mmengine-iterations-as-epochs",
                    f"{where}: {kind}(by_epoch=False, end={end}) counts iterations, and {end} is max_epochs: it ends "
                    f"{end} iterations into a run of {fw.max_iters:,}; for epochs set by_epoch=True "
                    "(convert_to_iter_based=True to step it every iteration)",
                    {"scheduler": kind, "end": end, "max_iters": fw.max_iters},
                )
            )
        if not fw.by_epoch and by_epoch and not converted:
            found.append(
                Finding(
                    "mmengine-epoch-scheduler-in-iter-loop",
                    f"{where}: {kind} has by_epoch=True in an IterBasedTrainLoop, which never ends an epoch: "
                    "ParamSchedulerHook never steps it; set by_epoch=False (and begin/end in iterations)",
                    {"scheduler": kind},
                )
            )
        elif unit == "epoch" and fw.by_epoch and begin >= length:
            found.append(
                Finding(
                    "mmengine-scheduler-never-runs",
                    f"{where}: {kind} begins at epoch {begin}, but training ends after {length} epochs: it never acts",
                    {"scheduler": kind, "begin": begin, "length": length},
                )
            )
        elif unit == "epoch" and fw.by_epoch and isinstance(end, int) and end > length:
            found.append(
                Finding(
                    "mmengine-scheduler-cut",
                    f"{where}: {kind} runs to epoch {end}, but training ends after {length} epochs: the run stops "
                    f"{end - length} epochs before the schedule's end",
                    {"scheduler": kind, "end": end, "length": length},
                )
            )
    return found


def curve_findings(curve: Curve) -> list[Finding]:
    return []

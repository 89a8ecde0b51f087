"""The Python API: load a run, step it, look at it, save it, compare and check it.

Everything the ``lrviz`` command does is one of these calls; the command adds flags,
printing and exit codes. In a notebook::

    import lrviz
    from torch.optim.lr_scheduler import CosineAnnealingWarmRestarts

    curve = lrviz.simulate(lambda opt: CosineAnnealingWarmRestarts(opt, T_0=5, T_mult=2), epochs=35)
    curve                      # shows itself: a small chart and the summary
    curve.restart_epochs       # [5, 15]
    fig = lrviz.plot(curve)    # a matplotlib Figure
    lrviz.save(curve, "lr.png", "lr.csv")
    lrviz.check("train.yaml", against="runs/exp1").ok

The functions live in ``lrviz.api.core``, ``lrviz.api.runs`` (``load``, ``simulate``, ``explain``,
``diagnose``, ``code``) and ``lrviz.api.plans`` (``plan_restarts``, ``plan_run``, ``save_plans``). Beside them, for a front end such as the
command line: ``lrviz.api.terminal`` (the table, the chart and the one-line summary as text),
``lrviz.api.frontend`` (reading a config with the front end's own flag names in its messages, the
tables its flags are generated from, the files it writes) and ``lrviz.api.reports`` (CI summaries,
annotations and SARIF). This package imports none of them until a name is used (PEP 562), so that
``lrviz --help`` stays fast; torch and matplotlib are imported when a run is stepped or a figure drawn.

Nothing here changes the calling process: no forking, no ``os._exit``, no
writes into torch's caches, no replaced warning handler.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lrviz._lazy import lazy

if TYPE_CHECKING:
    from lrviz.api.core import (
        CURVES,
        Baseline,
        CheckReport,
        Comparison,
        Tolerance,
        check,
        compare,
        load_baseline,
        plot,
        read_log,
        save,
        watch,
    )
    from lrviz.api.plans import plan_restarts, plan_run, save_plans
    from lrviz.api.runs import RunOptions, SchedulerFactory, Source, code, diagnose, explain, load, simulate

__all__ = [
    "CURVES",
    "Baseline",
    "CheckReport",
    "Comparison",
    "RunOptions",
    "SchedulerFactory",
    "Source",
    "Tolerance",
    "check",
    "code",
    "compare",
    "diagnose",
    "explain",
    "load",
    "load_baseline",
    "plan_restarts",
    "plan_run",
    "plot",
    "read_log",
    "save",
    "save_plans",
    "simulate",
    "watch",
]


#: Where each name lives: what loads and steps a run, and the plans, are lighter than the rest.
_HOME = {
    **dict.fromkeys(("plan_restarts", "plan_run", "save_plans"), "plans"),
    **dict.fromkeys(
        ("RunOptions", "SchedulerFactory", "Source", "code", "diagnose", "explain", "load", "simulate"), "runs"
    ),
}


__getattr__, __dir__ = lazy(
    "lrviz.api", {name: f"lrviz.api.{_HOME.get(name, 'core')}" for name in __all__}, globals(), __all__
)

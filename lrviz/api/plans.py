"""Plans for CosineAnnealingWarmRestarts that end with training: listed, run, written (``lrviz plan``)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from lrviz.model import Curve, RunConfig
from lrviz.plan import Candidate
from lrviz.plan import plan_restarts as plan
from lrviz.render import DEFAULT_DPI, DEFAULT_STYLE

__all__ = ["PLAN_PLOTS", "Candidate", "plan_restarts", "plan_run", "save_plans"]

PathLike = str | os.PathLike[str]


def plan_restarts(
    epochs: int, *, t_0: int | None = None, t_mult: int | None = None, max_cycles: int | None = None
) -> list[Candidate]:
    """The (T_0, T_mult) of CosineAnnealingWarmRestarts whose last cycle ends exactly at ``epochs``, useful first."""
    return plan(epochs, t_0=t_0, t_mult=t_mult, max_cycles=max_cycles, useful_first=True)


#: The plans ``save_plans`` draws, at most (one small chart each).
PLAN_PLOTS = 12


def plan_run(plan: Candidate, *, lr: float | None = None) -> RunConfig:
    """The run of one ``plan_restarts`` plan: CosineAnnealingWarmRestarts with its (T_0, T_mult), ``lr`` or SGD's 0.1."""
    from lrviz.reading import build_run, from_document

    return build_run(from_document({**plan.document(), **({} if lr is None else {"lr": lr})}, "plan"))


def save_plans(
    plans: Sequence[Candidate],
    *paths: PathLike,
    curves: Sequence[Curve] | None = None,
    lr: float | None = None,
    style: str = DEFAULT_STYLE,
    dpi: int = DEFAULT_DPI,
    size: tuple[float, float] | None = None,
) -> list[Path]:
    """Write ``plan_restarts`` plans: every plan to .csv/.json, the first ``PLAN_PLOTS`` as small multiples
    to .png/.svg/.pdf, each stepped by PyTorch (``curves``: those already stepped, in the plans' order).
    ``size`` defaults to 12 inches wide and 2.6 inches a row.

    Each kind of file appears whole or not at all (nothing is half written or replaced).
    """
    from lrviz.render import PLOT_SUFFIXES, check_outputs, write_figure

    targets = [Path(p) for p in paths]
    check_outputs(targets, "paths")
    figures = [p for p in targets if p.suffix.lower() in PLOT_SUFFIXES]
    data = [p for p in targets if p not in figures]
    if data:
        from lrviz.output import AtomicWriter
        from lrviz.render.data import write_plans_csv, write_plans_json

        with AtomicWriter() as writer:
            for path in data:
                with writer.open(path) as handle:
                    (write_plans_json if path.suffix.lower() == ".json" else write_plans_csv)(plans, handle)
    if figures:
        from lrviz.render.plot import build_small_multiples
        from lrviz.simulation import simulate

        shown = list(plans[:PLAN_PLOTS])
        drawn = list(curves) if curves is not None else [simulate(plan_run(p, lr=lr)) for p in shown]
        titles = [p.describe() for p in shown[: len(drawn)]]
        write_figure(build_small_multiples(drawn, titles, style=style, dpi=dpi, size=size), figures)
    return targets

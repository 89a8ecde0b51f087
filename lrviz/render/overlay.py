"""The plan against a run's logged LR, on the optimizer-step axis (``lrviz check --against``)."""

from __future__ import annotations

from typing import Any

import matplotlib
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from lrviz.model import Curve
from lrviz.render.layout import fit as _fit
from lrviz.render.options import DEFAULT_DPI, DEFAULT_SIZE, DEFAULT_STYLE, check_plot_options
from lrviz.render.plot import _MARKS, _new_figure, _rc
from lrviz.render.ticks import plain_number, y_scale


def build_log_figure(
    curve: Curve,
    log: Any,
    report: Any,
    *,
    log_y: bool = False,
    title: str | None = None,
    dpi: int = DEFAULT_DPI,
    size: tuple[float, float] = DEFAULT_SIZE,
    style: str = DEFAULT_STYLE,
) -> Figure:
    """Plan against a run's logged LR, on the optimizer-step axis, the first divergence marked.

    ``log`` is a ``runlog.RunLog`` (steps already in lrviz's convention), ``report`` the
    ``actual.LogReport`` comparing them.
    """
    check_plot_options(dpi=dpi, size=size, style=style)
    marks = _MARKS[style]
    with matplotlib.rc_context(_rc(style)):
        fig = _new_figure(size, dpi)
        ax = fig.add_subplot()
        for g, series in enumerate(curve.lrs):
            name = "plan" if len(curve.lrs) == 1 else f"plan: {curve.group_names[g]}"
            steps = np.arange(len(series))
            ax.plot(
                steps, np.frombuffer(series, dtype=float), label=name, linewidth=1.4, drawstyle="steps-post", gid="plan"
            )
        for series in log.series:
            steps = np.frombuffer(series.steps, dtype=np.int64)
            values = np.frombuffer(series.values, dtype=float)
            ax.plot(
                steps, values, linestyle="none", marker=".", markersize=4, label=f"logged: {series.name}", gid="log"
            )
        for group in report.groups:
            if group.first_diff is not None:
                ax.axvline(
                    group.first_diff,
                    color=marks["restart"],
                    linestyle="--",
                    linewidth=1,
                    gid="divergence",
                    label=f"first differs at step {plain_number(group.first_diff)}",
                )
                break
        y_scale(ax, log_y)
        ax.xaxis.set_major_formatter(FuncFormatter(plain_number))
        ax.set_xlabel("optimizer step")
        ax.set_ylabel("learning rate")
        verdict = "matches the plan" if report.ok else "differs from the plan"
        ax.set_title(title or f"{report.source}: {verdict}", fontsize=11, parse_math=False)
        ax.grid(True, alpha=0.3)
        ax.legend(loc="best", fontsize=9)
        _fit(fig, [ax.title], [])
    return fig

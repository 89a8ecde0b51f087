"""``lrviz plan``: the (T_0, T_mult) whose last cycle ends with training."""

from __future__ import annotations

from typing import Annotated

import typer

from lrviz.api.frontend import PLOT_SUFFIXES, check_outputs
from lrviz.cli.options import DpiOption, LrOption, OutOption, SizeOption, StyleOption, _typed, plot_options


def plan_command(
    epochs: Annotated[int, typer.Option("--epochs", "-e", metavar="N", help="Total training epochs.")],
    t_0: Annotated[int | None, typer.Option("--t0", metavar="N", help="Only plans with this T_0.")] = None,
    t_mult: Annotated[int | None, typer.Option("--t-mult", metavar="N", help="Only plans with this T_mult.")] = None,
    max_cycles: Annotated[
        int | None, typer.Option("--max-cycles", metavar="N", help="Only plans with at most N cycles.")
    ] = None,
    out: OutOption = None,
    lr: LrOption = None,
    dpi: DpiOption = None,
    size: SizeOption = None,
    style: StyleOption = None,
) -> None:
    """List the (T_0, T_mult) of CosineAnnealingWarmRestarts whose last cycle ends exactly at --epochs.

    Training that ends at the bottom of a cycle ends at the lowest LR, as the cosine-annealing
    advice goes. Useful plans come first: cycles that grow (T_mult >= 2) with T_0 >= 2, fewest
    cycles first; then equal cycles (T_mult = 1); degenerate ones (T_0 = 1, or one huge cycle
    after a tiny one) last. With -o x.png/svg/pdf, draws the first plans as small multiples,
    each stepped by PyTorch; -o x.csv/json writes every plan.
    """
    from lrviz.api.plans import PLAN_PLOTS, plan_restarts, plan_run, save_plans

    outputs = list(out or [])
    check_outputs(outputs)
    plot = plot_options(dpi, size, style)
    plans = plan_restarts(epochs, t_0=t_0, t_mult=t_mult, max_cycles=max_cycles)
    if not plans:
        print(f"no (T_0, T_mult) with 2 or more whole cycles ends exactly at epoch {epochs}")
        return
    shown = plans[:PLAN_ROWS]
    for plan in shown:
        restarts = plan.restarts if plan.cycles <= 12 else (*plan.restarts[:10], "...")
        print(f"{plan.describe()}; restarts at {', '.join(map(str, restarts))}")
    if len(plans) > len(shown):
        print(f"... and {len(plans) - len(shown)} more (narrow with --t0, --t-mult or --max-cycles)")
    curves = None
    if any(p.suffix.lower() in PLOT_SUFFIXES for p in outputs):
        from lrviz.cli._torch import simulate  # the command's own speed-up around the API's run

        doc_lr = None if lr is None else _typed("lr", lr, "--lr")
        curves = [simulate(plan_run(p, lr=doc_lr)) for p in shown[:PLAN_PLOTS]]
    if outputs:
        save_plans(plans, *outputs, curves=curves, **plot)
    for path in outputs:
        print(f"wrote {path}")


PLAN_ROWS = 30

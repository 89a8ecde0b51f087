"""``lrviz plan``: the (T_0, T_mult) whose last cycle ends with training."""

from __future__ import annotations

from typing import Annotated

import typer

from lrviz.cli.options import DpiOption, LrOption, OutOption, SizeOption, StyleOption, _typed, plot_options
from lrviz.render import PLOT_SUFFIXES, check_outputs


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
    from lrviz.plan import plan_restarts

    outputs = list(out or [])
    check_outputs(outputs)
    plot = plot_options(dpi, size, style)
    plans = plan_restarts(epochs, t_0=t_0, t_mult=t_mult, max_cycles=max_cycles, useful_first=True)
    if not plans:
        print(f"no (T_0, T_mult) with 2 or more whole cycles ends exactly at epoch {epochs}")
        return
    shown = plans[:PLAN_ROWS]
    for plan in shown:
        restarts = plan.restarts if plan.cycles <= 12 else (*plan.restarts[:10], "...")
        print(f"{plan.describe()}; restarts at {', '.join(map(str, restarts))}")
    if len(plans) > len(shown):
        print(f"... and {len(plans) - len(shown)} more (narrow with --t0, --t-mult or --max-cycles)")
    figures = [p for p in outputs if p.suffix.lower() in PLOT_SUFFIXES]
    data = [p for p in outputs if p not in figures]
    if data:
        from lrviz.output import AtomicWriter
        from lrviz.render.data import write_plans_csv, write_plans_json

        with AtomicWriter() as writer:
            for path in data:
                with writer.open(path) as handle:
                    (write_plans_json if path.suffix.lower() == ".json" else write_plans_csv)(plans, handle)
    if figures:
        from lrviz.cli._torch import simulate
        from lrviz.reading import build_run, from_document
        from lrviz.render import write_figure
        from lrviz.render.plot import build_small_multiples

        doc_lr = {} if lr is None else {"lr": _typed("lr", lr, "--lr")}
        curves = [simulate(build_run(from_document({**p.document(), **doc_lr}, "plan"))) for p in shown[:PLAN_PLOTS]]
        write_figure(build_small_multiples(curves, [p.describe() for p in shown[:PLAN_PLOTS]], **plot), figures)
    for path in outputs:
        print(f"wrote {path}")


PLAN_ROWS = 30
PLAN_PLOTS = 12

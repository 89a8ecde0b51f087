"""CSV and JSON output: every point, floats written with ``repr`` so they round-trip exactly.

Curves (``write_csv``/``write_json``), comparisons (``write_compare_*``) and
restart plans (``write_plans_csv``/``write_plans_json``: one row or object per
(T_0, T_mult), in the order given).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import IO, Any

from lrviz.comparison.curves import Comparison
from lrviz.diagnostics import check_curve, run_findings
from lrviz.model import Curve, scheduler_dict
from lrviz.plan import Candidate

#: Plans with more cycles than this are written without their list of restarts (T_0=1, T_mult=1 has one per epoch).
MAX_PLAN_RESTARTS = 1000


def _columns(curve: Curve, base: str) -> list[str]:
    n = len(curve.lrs)
    return [base] if n == 1 else [f"{base}_{i}" for i in range(n)]


def write_csv(curve: Curve, out: IO[bytes]) -> None:
    """Header ``epoch[,step],lr|lr_0,lr_1..[,momentum..],restart[,milestone][,reduced]``."""
    text = io.TextIOWrapper(out, encoding="utf-8", newline="")
    writer = csv.writer(text, lineterminator="\n")
    per_step = curve.steps_per_epoch > 1
    header = [curve.run.unit, *(["step"] if per_step else []), *_columns(curve, "lr")]
    if curve.momenta is not None:
        header += _columns(curve, curve.second)
    if curve.resumed is not None:
        header += _columns(curve, "lr_resumed")
    header.append("restart")
    flags = [set(curve.restarts)]
    if curve.run.milestones:
        header.append("milestone")
        flags.append(set(curve.milestones))
    if curve.run.metrics is not None:
        header.append("reduced")
        flags.append(set(curve.reductions))
    writer.writerow(header)
    series = list(curve.lrs) + (list(curve.momenta) if curve.momenta is not None else [])
    series += list(curve.resumed) if curve.resumed is not None else []
    points = range(curve.points)
    columns: list[Any] = [curve.epochs() if per_step else points, *([points] if per_step else []), *series]
    columns += [[1 if k in f else 0 for k in points] if f else [0] * curve.points for f in flags]
    writer.writerows(zip(*columns, strict=True))  # column by column: a million rows in about a second
    text.flush()
    text.detach()


def to_dict(curve: Curve) -> dict[str, Any]:
    """The curve in lrviz's one JSON layout (``Curve.to_dict``), its diagnostics those of the run and curve."""
    return curve.to_dict(findings=[*run_findings(curve.run), *check_curve(curve)])


def write_json(curve: Curve, out: IO[bytes]) -> None:
    """One object, one top-level key per line (series stay on one line each)."""
    items = [f" {json.dumps(k)}: {json.dumps(v, allow_nan=False)}" for k, v in to_dict(curve).items()]
    out.write(("{\n" + ",\n".join(items) + "\n}\n").encode("utf-8"))


def write_compare_csv(cmp: Comparison, out: IO[bytes]) -> None:
    """``epoch`` then one LR column per schedule, named by its label; empty where it has no point."""
    text = io.TextIOWrapper(out, encoding="utf-8", newline="")
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["epoch", *cmp.labels])
    for i, x in enumerate(cmp.epochs):
        writer.writerow([x, *("" if col[i] is None else col[i] for col in cmp.columns)])
    text.flush()
    text.detach()


def write_compare_json(cmp: Comparison, out: IO[bytes]) -> None:
    data = {
        "labels": list(cmp.labels),
        "schedulers": [scheduler_dict(c.run.scheduler) for c in cmp.curves],
        "epoch": list(cmp.epochs),
        "lr": {label: list(col) for label, col in zip(cmp.labels, cmp.columns, strict=True)},
        "restarts": {label: c.restart_epochs for label, c in zip(cmp.labels, cmp.curves, strict=True)},
        "differences": {
            "against": cmp.labels[0],
            "first_differs_at": cmp.first_diff,
            "max_abs": cmp.max_abs,
            "max_abs_at": cmp.max_abs_at,
            "max_rel": cmp.max_rel if cmp.max_rel != float("inf") else None,
            "max_rel_at": cmp.max_rel_at,
        },
    }
    items = [f" {json.dumps(k)}: {json.dumps(v, allow_nan=False)}" for k, v in data.items()]
    out.write(("{\n" + ",\n".join(items) + "\n}\n").encode("utf-8"))


def _plan_restarts(plan: Candidate) -> list[int] | None:
    return list(plan.restarts) if plan.cycles - 1 <= MAX_PLAN_RESTARTS else None


def write_plans_csv(plans: Sequence[Candidate], out: IO[bytes]) -> None:
    """Header ``T_0,T_mult,cycles,epochs,lengths,restarts``; lengths and restarts space-separated.

    Lengths and restarts are left empty past MAX_PLAN_RESTARTS cycles.
    """
    text = io.TextIOWrapper(out, encoding="utf-8", newline="")
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["T_0", "T_mult", "cycles", "epochs", "lengths", "restarts"])
    for plan in plans:
        restarts = _plan_restarts(plan)
        lengths = " ".join(map(str, plan.lengths)) if restarts is not None else ""
        writer.writerow([plan.t_0, plan.t_mult, plan.cycles, plan.epochs, lengths, " ".join(map(str, restarts or []))])
    text.flush()
    text.detach()


def write_plans_json(plans: Sequence[Candidate], out: IO[bytes]) -> None:
    """``{"plans": [{"T_0", "T_mult", "cycles", "epochs", "lengths", "restarts"}, ...]}``, one plan a line.

    ``lengths`` and ``restarts`` are null past MAX_PLAN_RESTARTS cycles.
    """
    items = []
    for plan in plans:
        restarts = _plan_restarts(plan)
        entry = {
            "T_0": plan.t_0,
            "T_mult": plan.t_mult,
            "cycles": plan.cycles,
            "epochs": plan.epochs,
            "lengths": list(plan.lengths) if restarts is not None else None,
            "restarts": restarts,
        }
        items.append("  " + json.dumps(entry))
    out.write(('{"plans": [\n' + ",\n".join(items) + ("\n" if items else "") + "]}\n").encode("utf-8"))

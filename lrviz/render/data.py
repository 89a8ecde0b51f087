"""CSV and JSON output: every point, floats written with ``repr`` so they round-trip exactly."""

from __future__ import annotations

import csv
import io
import json
from typing import IO, Any

from lrviz.config import SchedulerConfig
from lrviz.curve import Curve
from lrviz.expr import Expression


def _columns(curve: Curve, base: str) -> list[str]:
    n = len(curve.lrs)
    return [base] if n == 1 else [f"{base}_{i}" for i in range(n)]


def write_csv(curve: Curve, out: IO[bytes]) -> None:
    """Header ``epoch[,step],lr|lr_0,lr_1..[,momentum..],restart[,milestone][,reduced]``."""
    text = io.TextIOWrapper(out, encoding="utf-8", newline="")
    writer = csv.writer(text, lineterminator="\n")
    per_step = curve.steps_per_epoch > 1
    header = ["epoch", *(["step"] if per_step else []), *_columns(curve, "lr")]
    if curve.momenta is not None:
        header += _columns(curve, "momentum")
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
    for k in range(curve.points):
        row: list[Any] = [curve.epoch_at(k)]
        if per_step:
            row.append(k)
        row.extend(s[k] for s in series)
        row.extend(1 if k in f else 0 for f in flags)
        writer.writerow(row)
    text.flush()
    text.detach()


def scheduler_dict(cfg: SchedulerConfig) -> dict[str, Any]:
    """The scheduler node in the YAML shape: ``{"name": ..., <args>..., "schedulers": [...]}``."""
    out: dict[str, Any] = {"name": cfg.name}
    for key, value in cfg.args.items():
        out[key] = _plain(value)
    if cfg.children:
        out["schedulers"] = [scheduler_dict(c) for c in cfg.children]
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, Expression):
        return value.source
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def to_dict(curve: Curve) -> dict[str, Any]:
    run = curve.run
    groups = []
    for g, cfg in enumerate(run.optimizer.groups):
        entry: dict[str, Any] = {"name": cfg.name, "lr": list(curve.lrs[g])}
        if curve.momenta is not None:
            entry["momentum"] = list(curve.momenta[g])
        groups.append(entry)
    data: dict[str, Any] = {
        "label": run.label,
        "scheduler": scheduler_dict(run.scheduler),
        "optimizer": {
            "name": run.optimizer.name,
            **{k: _plain(v) for k, v in run.optimizer.options.items()},
            "param_groups": [{"name": g.name, "lr": g.lr, **g.options} for g in run.optimizer.groups],
        },
        "epochs": run.epochs,
        "steps_per_epoch": run.steps_per_epoch,
        "interval": run.interval,
        "epoch": curve.epochs(),
        "groups": groups,
        "restarts": curve.restart_epochs,
        "summary": curve.summary(),
    }
    if run.milestones:
        data["milestones"] = curve.events(curve.milestones)
    if run.metrics is not None:
        data["reductions"] = curve.events(curve.reductions)
    return data


def write_json(curve: Curve, out: IO[bytes]) -> None:
    """One object, one top-level key per line (series stay on one line each)."""
    items = [f" {json.dumps(k)}: {json.dumps(v, allow_nan=False)}" for k, v in to_dict(curve).items()]
    out.write(("{\n" + ",\n".join(items) + "\n}\n").encode("utf-8"))

"""Markdown for GitHub Actions' job summary: a table per run and a Unicode sparkline per schedule.

``append_step_summary`` appends (never overwrites) to the file named by
``GITHUB_STEP_SUMMARY`` when that variable is set, and does nothing otherwise.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from lrviz.errors import OutputError
from lrviz.model import Curve

BLOCKS = "▁▂▃▄▅▆▇█"


def sparkline(values: Sequence[float], width: int = 40) -> str:
    """``width`` block characters; each shows the highest value of its share of the points."""
    n = len(values)
    if n == 0:
        return ""
    cols = min(width, n)
    tops = [max(values[i * n // cols : max((i + 1) * n // cols, i * n // cols + 1)]) for i in range(cols)]
    low, high = min(values), max(values)
    if high == low:
        return BLOCKS[len(BLOCKS) // 2] * cols
    scale = (len(BLOCKS) - 1) / (high - low)
    return "".join(BLOCKS[round((v - low) * scale)] for v in tops)


def _fmt(x: float | int) -> str:
    return f"{x:.4g}"


def curves_table(rows: Sequence[tuple[str, Curve]]) -> list[str]:
    """Markdown table lines: config, scheduler, epochs, min/max/final LR, restarts, sparkline."""
    out = [
        "| config | scheduler | epochs | min LR | max LR | final LR | restarts | curve |",
        "|---|---|---:|---:|---:|---:|---|---|",
    ]
    for name, curve in rows:
        stats = curve.summary()
        restarts = ", ".join(_fmt(x) for x in curve.restart_epochs) or "–"
        scheduler = curve.run.scheduler.describe().replace("|", "\\|")
        out.append(
            f"| `{name}` | {scheduler} | {curve.run.epochs} | {_fmt(stats['min'])} | {_fmt(stats['max'])} | "
            f"{_fmt(stats['final'])} | {restarts} | `{sparkline(curve.lrs[0])}` |"
        )
    notes = []
    from lrviz.diagnostics import check_curve, run_findings

    for name, curve in rows:
        notes += [f"- `{name}`: {f.message}" for f in [*run_findings(curve.run), *check_curve(curve)]]
    if notes:
        out += ["", "Diagnostics:", "", *notes]
    return out


def append_step_summary(title: str, lines: Sequence[str], env: dict[str, str] | None = None) -> Path | None:
    """Append a ``### title`` section to $GITHUB_STEP_SUMMARY; None when the variable is unset."""
    target = (env if env is not None else os.environ).get("GITHUB_STEP_SUMMARY")
    if not target:
        return None
    path = Path(target)
    text = f"### {title}\n\n" + "\n".join(lines) + "\n\n"
    try:
        with path.open("a", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        raise OutputError(f"GITHUB_STEP_SUMMARY={path}: cannot append: {exc.strerror or exc}") from None
    return path

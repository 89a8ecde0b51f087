"""GitHub Actions output: Markdown for the job summary, and annotations on the config line of a failed check.

``append_step_summary`` appends (never overwrites) to the file named by
``GITHUB_STEP_SUMMARY`` when that variable is set, and does nothing otherwise.
``github_annotations`` turns failed checks into ``::error file=...,line=...::``
workflow commands when ``GITHUB_ACTIONS=true`` (the runner sets it), so each shows
on the pull request's diff at the line of the expectation or scheduler that failed.
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


#: The keys where a config states its schedule, in the order they are looked for (torch/Lightning/Hydra,
#: Hugging Face TrainingArguments, timm args.yaml); the annotation of a failed baseline or log points there.
SCHEDULE_KEYS = ("scheduler", "lr_scheduler", "lr_scheduler_type", "sched")


def github_annotations(
    config: Path, failures: Sequence[str], key: str | None = None, env: dict[str, str] | None = None
) -> list[str]:
    """One ``::error`` workflow command per failure, at the config line it concerns; [] outside GitHub Actions.

    A failed expectation points at its ``expect.NAME`` line (when the config states it); a
    baseline or log that differs points at the scheduler node (``--key`` when given), else line 1.
    """
    if (env if env is not None else os.environ).get("GITHUB_ACTIONS") != "true":
        return []
    lines = _key_lines(config)
    node: tuple[str | int, ...] | None = None
    if key:
        node = tuple(int(p) if p.isdigit() else p for p in key.split("."))
    else:
        found = [k for k in lines if k and k[-1] in SCHEDULE_KEYS]
        node = min(found, key=len) if found else None
    out = []
    for failure in failures:
        name = failure.split(":", 1)[0]
        line = lines.get(("expect", name)) or (lines.get(node) if node else None) or 1
        out.append(
            f"::error file={_property(config.as_posix())},line={line},title={_property('lrviz check')}::"
            f"{_data(f'{config}: {failure}')}"
        )
    return out


def _key_lines(config: Path) -> dict[tuple[str | int, ...], int]:
    """Key path -> line of a YAML/JSON config; empty when it cannot be read (the check itself said why)."""
    from lrviz.config.files import read_yaml
    from lrviz.errors import LrvizError

    try:
        return dict(read_yaml(config)[1])
    except (LrvizError, OSError):
        return {}


def _data(text: str) -> str:
    """Escape a workflow command's message, as the runner's toolkit does."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    """Escape a workflow command's property value (file, title)."""
    return _data(text).replace(":", "%3A").replace(",", "%2C")

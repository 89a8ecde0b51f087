"""A run's logged LR against the plan, for ``check --against`` and ``compare CONFIG LOG``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from lrviz.errors import ConfigError


def _read_log(path: Path, x: str | None, y: str | None) -> Any:
    from lrviz.runlog import read_log

    return read_log(path, x=x, y=y)


def _against_log(
    curve: Any, log: Any, path: Path, rtol: float, atol: float, outputs: list[Path], config: Path
) -> list[str]:
    """Compare the plan with a run's log: print the report, draw the overlay, return the failures."""
    from lrviz.actual import compare_log

    report = compare_log(curve, log, steps_per_epoch=curve.steps_per_epoch, rtol=rtol, atol=atol)
    for line in report.describe():
        print(line, file=sys.stderr if not report.ok else sys.stdout)
    if not report.ok or outputs:
        from lrviz.render import write_figure
        from lrviz.render.overlay import build_log_figure

        stream = sys.stderr if not report.ok else sys.stdout
        targets = outputs or [Path(f"{config.stem}-vs-{path.name.split('.')[0] or 'log'}.png")]
        if not outputs and (targets[0].exists() or targets[0].is_symlink()):
            # a name nobody asked for: an existing file of that name is never replaced
            print(
                f"{targets[0]} exists; the overlay was not drawn over it (give -o {targets[0]} to replace it)",
                file=stream,
            )
            targets = []
        if targets:
            write_figure(build_log_figure(curve, log, report), targets)
        for target in targets:
            print(f"wrote {target}", file=stream)
    if report.ok:
        return []
    return [
        f"{path}: the logged LR differs from the plan" + (f" ({report.diagnoses[0].kind})" if report.diagnoses else "")
    ]


_LOG_SUFFIXES = (".csv", ".jsonl")


def _is_log(path: Path) -> bool:
    """A run's log rather than a config: a run directory, trainer_state.json, an event file, a CSV/JSONL."""
    name = path.name
    return (
        path.is_dir()
        or name == "trainer_state.json"
        or name.startswith("events.out.tfevents")
        or path.suffix.lower() in _LOG_SUFFIXES
    )


def _compare_with_logs(
    configs: list[Path], logs: list[Path], key: str | None, options: dict[str, Any], outputs: list[Path], quiet: bool
) -> None:
    """``lrviz compare CONFIG LOG``: the plan against each log, reported; never a failing exit."""
    from lrviz.actual import compare_log
    from lrviz.cli._torch import simulate
    from lrviz.cli.files import _read, _sources
    from lrviz.cli.show import notes

    sources = _sources(configs, options)
    if len(sources) != 1:
        raise ConfigError("compare a run's log against one config: lrviz compare CONFIG LOG [LOG ...]")
    run = _read(sources[0], key, options)
    notes(run, quiet)
    curve = simulate(run)
    for path in logs:
        log = _read_log(path, None, None)
        report = compare_log(curve, log, steps_per_epoch=curve.steps_per_epoch)
        for line in report.describe():
            print(line)
        if outputs:
            from lrviz.render import write_figure
            from lrviz.render.overlay import build_log_figure

            write_figure(build_log_figure(curve, log, report), outputs)
            for target in outputs:
                print(f"wrote {target}")

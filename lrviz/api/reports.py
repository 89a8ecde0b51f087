"""Reports for CI: the GitHub step summary, workflow annotations at the config line, SARIF files.

``lrviz check`` writes them; a notebook rarely needs them. Nothing here imports torch or matplotlib.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from lrviz.model import Curve

__all__ = ["annotation_commands", "save_sarif", "step_summary", "summary_annotations"]


def step_summary(title: str, rows: Sequence[tuple[str, Curve]], lines: Sequence[str] = ()) -> Path | None:
    """Append a ``### title`` section to ``$GITHUB_STEP_SUMMARY``: a table of the curves (config, scheduler,
    epochs, LR range, restarts, a sparkline), then ``lines``; None (nothing written) when it is unset."""
    from lrviz.summary import append_step_summary, curves_table

    return append_step_summary(title, [*curves_table(list(rows)), *lines])


def summary_annotations(config: Path, failures: Sequence[str], key: str | None = None) -> list[str]:
    """One ``::error`` workflow command per failed check (an expectation at its ``expect.NAME`` line, a
    baseline at the scheduler node ``key`` names)."""
    from lrviz.summary import github_annotations

    return github_annotations(config, list(failures), key, env={"GITHUB_ACTIONS": "true"})


def annotation_commands(
    config: Path, found: Sequence[tuple[str | None, str]], *, kinds_only: bool = False
) -> list[str]:
    """One ``::error file=CONFIG,line=N::...`` workflow command per (diagnosis kind or None, message), placed
    at the config key that explains it (``lrviz.annotations``); ``kinds_only``: the diagnosed ones only."""
    from lrviz.annotations import annotate, github

    return github([n for n in annotate(config, found) if n.kind or not kinds_only])


def save_sarif(config: Path, found: Sequence[tuple[str | None, str]], *paths: Path) -> None:
    """The failures as a SARIF report (code scanning) in each path; all appear together or none does."""
    from lrviz._version import __version__
    from lrviz.annotations import annotate, sarif_bytes
    from lrviz.output import AtomicWriter

    data = sarif_bytes(annotate(config, found), __version__)
    with AtomicWriter() as writer:
        for target in paths:
            with writer.open(target) as handle:
                handle.write(data)

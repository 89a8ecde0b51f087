"""``lrviz precommit-check``: the pre-commit hook ``lrviz-check`` (``.pre-commit-hooks.yaml``).

pre-commit passes every changed file that matches the hook's ``files:`` pattern at once;
``lrviz check`` takes one config. This command checks each config that has something to
check, a baseline ``BASELINES/<stem>.csv`` or an ``expect:`` mapping, exactly as
``lrviz check`` does (in one process, so torch is imported once), skips the other files
(a changed config without expectations, or a YAML file that is no config), and exits
with the worst status. The hook ``lrviz-render`` needs no such help: ``lrviz render``
takes many files, and pre-commit fails when it rewrites a committed plot.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from lrviz.api.frontend import has_expectations


def precommit_command(run: Callable[[list[str]], int]) -> Callable[..., None]:
    """The ``precommit-check`` command, running each ``lrviz check`` through ``run(args) -> exit status``
    (``lrviz.cli.commands`` passes its own group: this module never imports the app that registers it)."""

    def precommit_check(
        configs: Annotated[
            list[Path] | None, typer.Argument(metavar="CONFIG...", help="Changed config files.", show_default=False)
        ] = None,
        baselines: Annotated[
            Path,
            typer.Option("--baselines", metavar="DIR", help="Where baselines live: DIR/<config stem>.csv."),
        ] = Path("baselines"),
    ) -> None:
        """Check each changed config that has a baseline (DIR/<stem>.csv) or `expect:`; skip the others (pre-commit)."""
        from lrviz.cli.show import _Failed

        worst = checked = failed = 0
        for config in configs or []:
            baseline = baselines / f"{config.stem}.csv"
            args = ["check", str(config), "--quiet"]
            if baseline.is_file():
                args += ["--baseline", str(baseline)]
            elif not has_expectations(config):
                continue
            checked += 1
            code = run(args)
            failed += code != 0
            worst = max(worst, code)
        if worst:
            raise _Failed(f"{failed} of {checked} checked config(s) failed", worst)

    return precommit_check

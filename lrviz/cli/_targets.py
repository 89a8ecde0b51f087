"""Which files a file command reads and writes, checked before any work: no output replaces an input."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lrviz.api.frontend import check_outputs
from lrviz.errors import ConfigError


def _inputs(sources: Sequence[Path | None], options: dict[str, Any], *more: Path | None) -> list[Path]:
    """Every file a command reads, so no output replaces one: configs, the --config-dir project, --metrics, logs."""
    found: list[Path] = [s for s in sources if s is not None]
    if options.get("config_dir") is not None:
        found.append(Path(options["config_dir"]))
    if options.get("metrics") is not None:
        found.append(Path(options["metrics"]))
    found += [p for p in more if p is not None]
    return found


def _batch_targets(
    sources: Sequence[Path | None], options: dict[str, Any], out_dir: Path, suffixes: Sequence[str]
) -> dict[Path, tuple[Path, ...]]:
    """Each config's files in --out-dir, checked before any work: two configs with one stem would
    write the same files (the second replacing the first), and no file may replace an input."""
    by_stem: dict[str, Path] = {}
    targets: dict[Path, tuple[Path, ...]] = {}
    for source in sources:
        path = source if source is not None else Path(options["config_dir"]) / str(options["config_name"])
        first = by_stem.get(path.stem)
        if first is not None:
            raise ConfigError(
                f"{first} and {path}: both would be written as {out_dir / path.stem}.*; "
                "render them into different --out-dir folders, or rename one"
            )
        by_stem[path.stem] = path
        targets[path] = tuple(out_dir / f"{path.stem}{s}" for s in suffixes)
    check_outputs([t for ts in targets.values() for t in ts], "--out-dir", inputs=_inputs(sources, options))
    return targets

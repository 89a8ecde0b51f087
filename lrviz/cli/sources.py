"""Which configs a command reads (files, or a Hydra project by --config-dir/--config-name) and reading one."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lrviz.cli.options import flag_values
from lrviz.config import from_flags, merge
from lrviz.errors import ConfigError
from lrviz.model import RunConfig

COMMAND = Path("command")  # the source that stands for --command's text


def _sources(files: Sequence[Path] | None, options: dict[str, Any]) -> list[Path | None]:
    """The configs a command reads: the files, then the Hydra project (None) when --config-dir is given."""
    config_dir, config_name = options.get("config_dir"), options.get("config_name")
    if (config_dir is None) != (config_name is None):
        raise ConfigError("--config-dir and --config-name go together, e.g. --config-dir conf --config-name train")
    sources: list[Path | None] = list(files or [])
    if config_dir is not None:
        sources.append(None)
    if options.get("command") is not None:
        sources.append(COMMAND)
    if not sources:
        raise ConfigError("give a config file, or a Hydra project: --config-dir DIR --config-name NAME")
    return sources


def _name(source: Path | None, options: dict[str, Any]) -> Path:
    """How a source is named in messages and output files (a composed project by its primary config)."""
    return source if source is not None else Path(options["config_dir"]) / str(options["config_name"])


def _read(source: Path | None, key: str | None, options: dict[str, Any]) -> RunConfig:
    """One config, read as its dialect says, with --set applied first and the run flags merged on top."""
    from lrviz.reading import build_run, load_command, load_composed, load_file  # off the --help path

    sets = tuple(options.get("set") or ())
    allow = tuple(options.get("allow_import") or ())
    env = tuple(options.get("allow_env") or ())
    dialect = options.get("dialect")
    if source is COMMAND:
        layer = load_command(str(options["command"]), "--command", dialect=dialect, sets=sets)
    elif source is None:
        layer = load_composed(
            Path(options["config_dir"]),
            str(options["config_name"]),
            key,
            sets=sets,
            allow_import=allow,
            allow_env=env,
            dialect=dialect,
        )
    else:
        layer = load_file(
            source,
            key,
            sets=sets,
            allow_import=allow,
            allow_env=env,
            dialect=dialect,
            allow_exec=bool(options.get("allow_exec")),
        )
    return build_run(merge(layer, from_flags(flag_values(options))))


def _one_source(config: Path | None, options: dict[str, Any]) -> list[Path | None]:
    sources = _sources([config] if config is not None else [], options)
    if len(sources) > 1:
        raise ConfigError("give one config: a file, or --config-dir DIR --config-name NAME")
    return sources

"""Which configs a command reads (files, or a Hydra project by --config-dir/--config-name) and reading one."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lrviz.api.frontend import read_config
from lrviz.cli.options import flag_values
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
    return read_config(
        source if source is not COMMAND and source is not None else None,
        command=str(options["command"]) if source is COMMAND else None,
        config_dir=Path(options["config_dir"]) if source is None else None,
        config_name=str(options["config_name"]) if source is None else None,
        key=key,
        sets=tuple(options.get("set") or ()),
        allow_import=tuple(options.get("allow_import") or ()),
        allow_env=tuple(options.get("allow_env") or ()),
        allow_exec=bool(options.get("allow_exec")),
        dialect=options.get("dialect"),
        flags=lambda: flag_values(options),  # after the config: its errors come first
    )


def _one_source(config: Path | None, options: dict[str, Any]) -> list[Path | None]:
    sources = _sources([config] if config is not None else [], options)
    if len(sources) > 1:
        raise ConfigError("give one config: a file, or --config-dir DIR --config-name NAME")
    return sources

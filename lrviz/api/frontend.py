"""What a front end needs beside the API's functions: reading a config in its own vocabulary, and its tables.

The ``lrviz`` command is one such front end; a notebook needs none of this. Here:

- ``read_config``: a config file, a Hydra project or a training command, read as ``lrviz.load`` reads
  it, with the run options given as the front end's own flags (``{("epochs",): ("--epochs", 100)}``),
  so that messages name the flag. Notes keep their option placeholders (``lrviz.errors.render_options``
  spells them, with the front end's flag map); ``lrviz.load`` spells them as keywords.
- ``run_from_flags`` and ``framework_run``: a run from flags alone (``lrviz cosine ...``, ``lrviz hf ...``).
- the tables flags are generated from (``SCHEDULERS``, ``RUN_OPTIONS``, ``FORMATS``, each framework's
  arguments and the run options it takes), checks made before any work (``check_outputs``,
  ``check_plot_options``), and what a command writes (``write_outputs``, ``writer_for``).
- ``doctor`` and ``versions``: what is installed, from package metadata.

Everything imported at the top is what the command line loads to build its flags anyway; the
reader and the frameworks' registry are imported when a config is read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from lrviz.config import Layer, from_flags, merge, parse_expectations, parse_flag_value
from lrviz.config.layer import RUN_OPTIONS
from lrviz.environment import doctor, versions
from lrviz.inputs import forget as forget_inputs
from lrviz.keys import KeyPath
from lrviz.model import Curve, Finding, RunConfig
from lrviz.render import (
    FORMATS,
    PLOT_SUFFIXES,
    check_outputs,
    check_plot_options,
    import_renderers,
    stdout_format,
    write_outputs,
    writer_for,
)
from lrviz.schedules import OPTIMIZERS, REQUIRED, SCHEDULERS, SchedulerSpec, get_scheduler

__all__ = [
    "FORMATS",
    "OPTIMIZERS",
    "PLOT_SUFFIXES",
    "REQUIRED",
    "RUN_OPTIONS",
    "SCHEDULERS",
    "Flags",
    "SchedulerSpec",
    "check_outputs",
    "check_plot_options",
    "curve_findings",
    "doctor",
    "forget_inputs",
    "framework_arguments",
    "framework_run",
    "framework_run_options",
    "get_scheduler",
    "has_expectations",
    "import_renderers",
    "parse_expectations",
    "parse_flag_value",
    "read_config",
    "run_from_flags",
    "run_warnings",
    "stdout_format",
    "versions",
    "write_outputs",
    "writer_for",
]

#: Run options as a front end's flags: {key path in a run: (the flag as typed, its typed value)}.
Flags = Mapping[KeyPath, tuple[str, Any]]


def read_config(
    path: Path | None = None,
    *,
    command: str | None = None,
    config_dir: Path | None = None,
    config_name: str | None = None,
    key: str | None = None,
    sets: Sequence[str] = (),
    allow_import: Sequence[str] = (),
    allow_env: Sequence[str] = (),
    allow_exec: bool = False,
    dialect: str | None = None,
    flags: Flags | Callable[[], Flags] | None = None,
) -> RunConfig:
    """One config, read as its dialect says, with ``sets`` (``KEY=VALUE``) applied first and ``flags`` on top.

    Exactly one source: ``path`` (a file), ``command`` (a training command's text, read as ``--command``)
    or ``config_dir`` with ``config_name`` (a Hydra project composed by Hydra). ``flags`` may be a function
    returning them: it is called after the config is read, so a config's error is reported before a flag's.
    Raises ``lrviz.ConfigError`` naming the file, line and key (or flag) of anything invalid.
    """
    from lrviz.reading import build_run  # the frameworks' registry: once a config is read
    from lrviz.simulation import read_layer

    layer = read_layer(
        path,
        command=command,
        config_dir=config_dir,
        config_name=config_name,
        key=key,
        sets=sets,
        allow_import=allow_import,
        allow_env=allow_env,
        allow_exec=allow_exec,
        dialect=dialect,
    )
    return build_run(merge(layer, from_flags((flags() if callable(flags) else flags) or {})))


def run_from_flags(flags: Flags) -> RunConfig:
    """A torch run from flags alone (``lrviz cosine --t-max 10``): ``("scheduler", "name")`` names the class."""
    from lrviz.reading import build_run

    return build_run(from_flags(flags))


def framework_run(family: str, data: Mapping[str, Any], where: Mapping[KeyPath, str]) -> RunConfig:
    """A framework's run from a command's flags: ``data`` holds ``{"document": {...}}`` as the framework's
    file would, plus run options (``epochs``, ``metrics``, ``title``, ...); ``where`` names the flag of each
    key path, so messages name the flag."""
    from lrviz.reading import build_run

    return build_run(Layer(dict(data), dict(where), "flags", foreign=True, adapter=family, dialect=family))


def framework_run_options(family: str) -> frozenset[str]:
    """The run options (``epochs``, ``steps_per_epoch``, ``metrics``, ...) a framework's runs take from flags."""
    from lrviz import frameworks

    return frameworks.get(family).applies


def framework_arguments(family: str) -> list[tuple[str, str, str]]:
    """A framework's scheduler arguments as ``(name, kind, help)``, in the framework's own spelling:
    ``hf`` (``TrainingArguments``), ``timm`` (``create_scheduler_v2``) or ``deepspeed`` (its schedulers' params)."""
    if family == "hf":
        from lrviz.frameworks.hf.read import ARGS as HF

        return list(HF)
    if family == "timm":
        from lrviz.frameworks.timm.read import ARGS as TIMM

        return [(name, kind, help_text) for name, kind, _, help_text in TIMM]
    if family == "deepspeed":
        from lrviz.frameworks.deepspeed.read import ARGS as DEEPSPEED

        return list(DEEPSPEED)
    raise ValueError(f"family: one of hf, timm, deepspeed, got {family!r}")


def run_warnings(run: RunConfig) -> list[str]:
    """The pitfalls lrviz sees in a run before it is stepped (the command's first ``warning:`` lines)."""
    from lrviz.diagnostics import check_run

    return check_run(run)


def curve_findings(curve: Curve) -> list[Finding]:
    """The pitfalls lrviz sees in a stepped curve (``lrviz.diagnose`` is these and the run's together)."""
    from lrviz.diagnostics import check_curve

    return list(check_curve(curve))


def has_expectations(config: Path) -> bool:
    """Whether ``config`` is a YAML/JSON file with a top-level ``expect:`` mapping (``lrviz check`` has
    something to check); False for a file that cannot be read as one."""
    from lrviz.config.files import read_yaml
    from lrviz.errors import LrvizError

    try:
        document, _ = read_yaml(config)
    except LrvizError:
        return False
    return isinstance(document.get("expect"), dict)

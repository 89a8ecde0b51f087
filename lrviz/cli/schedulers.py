"""One subcommand per common scheduler, generated from the registry, and ``lrviz list``.

Each scheduler argument in ``schedules.py`` becomes a kebab-case flag; the shared
run options come from ``options.py``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from lrviz.api.frontend import (
    OPTIMIZERS,
    REQUIRED,
    SCHEDULERS,
    Flags,
    SchedulerSpec,
    check_outputs,
    parse_flag_value,
    read_config,
    run_from_flags,
)
from lrviz.cli.options import _COMMON_DEFAULTS, COMMON, _default_text, flag_values, plot_options
from lrviz.cli.show import show_command
from lrviz.errors import ConfigError
from lrviz.keys import KeyPath


def _scheduler_param(arg: Any) -> inspect.Parameter:
    extra = " (required)" if arg.default is REQUIRED else f" (default: {_default_text(arg.default)})"
    if arg.kind == "bool":
        flag = arg.flag_name
        option = typer.Option(f"{flag}/--no-{flag[2:]}", help=arg.help + extra, show_default=False)
        annotation: Any = Annotated[bool | None, option]
    else:
        metavar = {
            "int": "N",
            "optional_int": "N",
            "ints": "N,N,...",
            "choice": "|".join(arg.choices),
            "expr": "EXPR",
            "floats": "X",
        }.get(arg.kind, "X")
        names = [arg.flag_name]
        kebab = "--" + arg.name.lower().replace("_", "-")
        if kebab != arg.flag_name:
            names.append(kebab)  # PyTorch spells it T_0: both --t0 and --t-0 work
        option = typer.Option(*names, help=arg.help + extra, metavar=metavar, show_default=False)
        annotation = Annotated[str | None, option]
    return inspect.Parameter(f"s_{arg.name}", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=annotation)


def make_command(spec: SchedulerSpec) -> Callable[..., None]:
    params = [_scheduler_param(a) for a in spec.args if a.cli]
    common = dict(COMMON)
    common["epochs"] = Annotated[
        str | None,
        typer.Option("--epochs", "-e", metavar="N", help=f"Epochs to simulate. (default: {spec.epochs_help})"),
    ]
    if spec.name == "ReduceLROnPlateau":
        common["metrics"] = Annotated[
            Path | None,
            typer.Option(
                "--metrics",
                metavar="FILE",
                help="Validation metric per epoch: one number per line (a header and CSV columns are fine; the last column is read).",
            ),
        ]
    for name, annotation in common.items():
        params.append(
            inspect.Parameter(
                name, inspect.Parameter.KEYWORD_ONLY, default=_COMMON_DEFAULTS.get(name), annotation=annotation
            )
        )

    def command(**kwargs: Any) -> None:
        _run_scheduler_command(spec, kwargs)

    command.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    command.__annotations__ = {p.name: p.annotation for p in params}
    command.__name__ = spec.command or spec.name
    command.__doc__ = f"{spec.name}: {spec.summary}"
    return command


def _flag_values(spec: SchedulerSpec, kwargs: dict[str, Any]) -> Flags:
    values: dict[KeyPath, tuple[str, Any]] = {("scheduler", "name"): (f"lrviz {spec.command}", spec.name)}
    for arg in spec.args:
        if not arg.cli:
            continue
        raw = kwargs.get(f"s_{arg.name}")
        if raw is None:
            continue
        value = raw if arg.kind == "bool" else parse_flag_value(arg, raw, arg.flag_name)
        values[("scheduler", arg.name)] = (arg.flag_name, value)
    values.update(flag_values(kwargs))
    if kwargs.get("title") is not None:
        values[("title",)] = ("--title", kwargs["title"])
    return values


def _run_scheduler_command(spec: SchedulerSpec, kwargs: dict[str, Any]) -> None:
    outputs = list(kwargs.get("out") or [])
    check_outputs(outputs, stdout=True, inputs=[Path(p) for p in (kwargs.get("config"), kwargs.get("metrics")) if p])
    plot_options(kwargs.get("dpi"), kwargs.get("size"), kwargs.get("style"))  # bad plot flags: before any work
    flags = _flag_values(spec, kwargs)
    if kwargs.get("config") is not None:
        run = read_config(kwargs["config"], key=kwargs.get("key"), sets=tuple(kwargs.get("set") or ()), flags=flags)
    elif kwargs.get("key") or kwargs.get("set"):
        raise ConfigError(f"{'--key' if kwargs.get('key') else '--set'} needs --config FILE")
    else:
        run = run_from_flags(flags)
    show_command(run, outputs, kwargs)


def list_schedulers() -> None:
    """List the schedulers, their subcommands and aliases, and their arguments with PyTorch's defaults."""
    from rich.console import Console
    from rich.markup import escape

    console = Console(highlight=False)
    for spec in SCHEDULERS:
        how = f"lrviz {spec.command}" if spec.command else "YAML only"
        aliases = f"; aliases: {', '.join(spec.aliases)}" if spec.aliases else ""
        console.print(f"[bold]{spec.name}[/bold]  ({how}{aliases}; steps per {spec.interval})")
        args = ", ".join(a.name if a.required else f"{a.name}={_default_text(a.default)}" for a in spec.args)
        console.print(f"  {escape(args)}")
        console.print(f"  [dim]{escape(spec.summary)}[/dim]")
    console.print(f"optimizers: {', '.join(OPTIMIZERS)}")

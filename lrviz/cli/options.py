"""Options shared by several commands, and how a run key maps to its flag.

Core modules name keys (``epochs``); ``FLAGS`` maps them to the flags the user
typed (``--epochs``), so error messages from the core read as the command line does.
"""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from lrviz.api.frontend import FORMATS, RUN_OPTIONS, SCHEDULERS, check_plot_options
from lrviz.errors import ConfigError, LrvizError
from lrviz.keys import KeyPath

OutOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--out",
        "-o",
        metavar="FILE",
        help=f"Write a file; the suffix picks the format ({', '.join(FORMATS)}). Repeatable. "
        "Without -o, a table is printed.",
    ),
]
EpochsOption = Annotated[str | None, typer.Option("--epochs", "-e", metavar="N", help="Epochs to simulate.")]
StepsPerEpochOption = Annotated[
    str | None,
    typer.Option(
        "--steps-per-epoch", metavar="N", help="Optimizer steps per epoch: record N points per epoch. (default: 1)"
    ),
]
LrOption = Annotated[str | None, typer.Option("--lr", metavar="LR", help="Initial learning rate. (default: 0.1)")]
OptimizerOption = Annotated[
    str | None,
    typer.Option("--optimizer", metavar="NAME", help="Dummy optimizer: sgd, adam, adamw, ... (default: sgd)"),
]
WarmupOption = Annotated[
    str | None,
    typer.Option(
        "--warmup", metavar="EPOCHS", help="Prepend a LinearLR warmup of this many epochs (joined by SequentialLR)."
    ),
]
WarmupStartFactorOption = Annotated[
    str | None,
    typer.Option("--warmup-start-factor", metavar="F", help="LR factor at the start of the warmup. (default: 0.01)"),
]
LogYOption = Annotated[bool, typer.Option("--log-y", help="Logarithmic LR axis.")]
TitleOption = Annotated[
    str | None, typer.Option("--title", help="Plot title. (default: the scheduler and its arguments)")
]
MomentumOption = Annotated[
    bool, typer.Option("--momentum", help="Also record momentum (or Adam's beta1): plot axis, CSV/JSON columns.")
]
EveryOption = Annotated[int | None, typer.Option("--every", metavar="K", min=1, help="Table: show every K-th point.")]
ResumeOption = Annotated[
    int | None,
    typer.Option(
        "--resume-at",
        metavar="EPOCH",
        help="Also simulate a checkpoint at EPOCH: state_dicts saved, fresh optimizer and scheduler loaded, "
        "then continued; overlaid and compared with the uninterrupted run.",
    ),
]
DatasetSizeOption = Annotated[
    str | None,
    typer.Option("--dataset-size", metavar="N", help="Training samples: with --batch-size, sets the steps per epoch."),
]
BatchSizeOption = Annotated[str | None, typer.Option("--batch-size", metavar="N", help="Samples per batch (per rank).")]
GradAccumOption = Annotated[
    str | None, typer.Option("--grad-accum", metavar="N", help="Batches per optimizer step (gradient accumulation).")
]
WorldSizeOption = Annotated[str | None, typer.Option("--world-size", metavar="N", help="Data-parallel ranks (GPUs).")]
AccelerateOption = Annotated[
    str | None,
    typer.Option(
        "--accelerate-processes",
        metavar="N",
        help="The scheduler is wrapped by Accelerate on N processes: without --split-batches it is stepped N times "
        "per optimizer step, as AcceleratedScheduler does.",
    ),
]
SplitBatchesOption = Annotated[
    bool | None,
    typer.Option(
        "--split-batches/--no-split-batches",
        help="Accelerate's split_batches (one step per optimizer step).",
        show_default=False,
    ),
]
DpiOption = Annotated[
    int | None, typer.Option("--dpi", metavar="N", help="Plot resolution in dots per inch. (default: 100)")
]
SizeOption = Annotated[
    str | None, typer.Option("--size", metavar="WxH", help="Plot size in inches, e.g. 12x6. (default: 12x6)")
]
StyleOption = Annotated[
    str | None, typer.Option("--style", metavar="light|dark", help="Plot colours. (default: light)")
]
IntervalOption = Annotated[
    str | None,
    typer.Option("--interval", metavar="epoch|step", help="How often the scheduler steps (Lightning's interval)."),
]
ChartOption = Annotated[
    bool | None,
    typer.Option(
        "--chart/--no-chart",
        help="Draw a Unicode chart of the curve above the table. (default: on when the output is a terminal)",
        show_default=False,
    ),
]
PrintCodeOption = Annotated[
    bool, typer.Option("--print-code", help="Print the PyTorch code for this optimizer and scheduler instead.")
]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="Do not print warnings about the schedule.")]
ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", metavar="FILE", help="Read a YAML config; flags override it."),
]
KeyOption = Annotated[
    str | None,
    typer.Option("--key", metavar="PATH", help="Dotted path of the scheduler node in a larger training config."),
]
SetOption = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        "-s",
        metavar="KEY=VALUE",
        help="Override or fill a key of the config before it is read (OmegaConf dotlist: "
        "trainer.max_epochs=100, model.scheduler.T_max=20). Repeatable.",
    ),
]
AllowImportOption = Annotated[
    list[str] | None,
    typer.Option(
        "--allow-import",
        metavar="PACKAGE",
        help="Let a config name its own scheduler class from PACKAGE (e.g. myproject): imports and RUNS that "
        "project's code, from the current directory. Repeatable.",
    ),
]
ParamOption = Annotated[
    str,
    typer.Option(
        "--param",
        metavar="lr|momentum|weight_decay",
        help="The optimizer value drawn beside the LR, as vis_scheduler.py's -p: momentum (as --momentum), or "
        "weight_decay where the framework's schedulers change it (mmengine's param_name='weight_decay', "
        "Megatron's --weight-decay-incr-style). (default: lr)",
        show_default=False,
    ),
]
CommandOption = Annotated[
    str | None,
    typer.Option(
        "--command",
        metavar="'CMD'",
        help="A training command (python/accelerate launch/torchrun/"
        "deepspeed SCRIPT --flags) read as its framework's config, as a .sh file is.",
    ),
]


def second_series(param: str, options: dict[str, Any]) -> bool:
    """``--param``: whether a second series is recorded beside the LR (weight decay is passed to the reader)."""
    if param not in ("lr", "momentum", "weight_decay"):
        raise ConfigError(f"--param {param}: one of lr, momentum, weight_decay")
    if param == "weight_decay":
        options["param"] = param
    return param != "lr"  # drawn as --momentum draws momentum


AllowExecOption = Annotated[
    bool,
    typer.Option(
        "--allow-exec",
        help="Read an OpenMMLab/mmengine Python config (config.py): RUNS the file and its _base_ files with "
        "mmengine's Config.fromfile, as OpenMMLab's tools do; --set then works as their --cfg-options.",
    ),
]
AllowEnvOption = Annotated[
    list[str] | None,
    typer.Option(
        "--allow-env",
        metavar="NAME",
        help="Let ${oc.env:NAME} in a config read the environment variable NAME (also LRVIZ_ALLOW_ENV=A,B). "
        "Without it, lrviz reads no environment variable a config names. Repeatable.",
    ),
]
#: The log options ``check`` and ``watch`` share.
LogXColumnOption = Annotated[
    str | None, typer.Option("--x", metavar="COLUMN", help="The step column of a CSV/JSONL log.")
]
LogYColumnOption = Annotated[
    str | None, typer.Option("--y", metavar="COLUMN", help="The LR column (or tag, or metric) of a log.")
]
RunNameOption = Annotated[
    str | None, typer.Option("--run", metavar="NAME", help="The run of a tracker's store: name or id.")
]
SkippedStepsOption = Annotated[
    str | None,
    typer.Option(
        "--skipped-steps",
        metavar="K[@STEP],...",
        help="The run's scheduler did not step on K optimizer steps at STEP (default 0): AMP's GradScaler "
        "skips steps whose gradients overflow. Comma-separated for several.",
    ),
]
DialectOption = Annotated[
    str | None,
    typer.Option(
        "--dialect",
        metavar="NAME",
        help="Read the config as this framework's (hf, axolotl, llamafactory, trl, timm, deepspeed, torch, ...) "
        "when its keys do not say which.",
    ),
]
ExplainOption = Annotated[
    bool,
    typer.Option("--explain", help="Say where every number of the run came from, and what was done with each key."),
]
ConfigDirOption = Annotated[
    Path | None,
    typer.Option("--config-dir", metavar="DIR", help="A Hydra project's config folder: compose it as Hydra does."),
]
ConfigNameOption = Annotated[
    str | None,
    typer.Option("--config-name", metavar="NAME", help="The primary config in --config-dir (e.g. train)."),
]
MetricsOption = Annotated[
    Path | None,
    typer.Option(
        "--metrics",
        metavar="FILE",
        help="Validation metric per epoch for ReduceLROnPlateau: one number per line (the last CSV column is read).",
    ),
]

COMMON: dict[str, Any] = {
    "epochs": EpochsOption,
    "steps_per_epoch": StepsPerEpochOption,
    "lr": LrOption,
    "optimizer": OptimizerOption,
    "warmup": WarmupOption,
    "warmup_start_factor": WarmupStartFactorOption,
    "out": OutOption,
    "log_y": LogYOption,
    "title": TitleOption,
    "dpi": DpiOption,
    "size": SizeOption,
    "style": StyleOption,
    "momentum": MomentumOption,
    "every": EveryOption,
    "chart": ChartOption,
    "print_code": PrintCodeOption,
    "resume_at": ResumeOption,
    "dataset_size": DatasetSizeOption,
    "batch_size": BatchSizeOption,
    "grad_accum": GradAccumOption,
    "world_size": WorldSizeOption,
    "interval": IntervalOption,
    "accelerate_processes": AccelerateOption,
    "split_batches": SplitBatchesOption,
    "quiet": QuietOption,
    "config": ConfigOption,
    "key": KeyOption,
    "set": SetOption,
}
#: The options of the commands that read config files (render, compare, check, code): how to read
#: the file (--set, --config-dir, --allow-import) and the run flags applied to every file.
FILE_OPTIONS: dict[str, Any] = {
    "set": SetOption,
    "config_dir": ConfigDirOption,
    "config_name": ConfigNameOption,
    "allow_import": AllowImportOption,
    "allow_exec": AllowExecOption,
    "allow_env": AllowEnvOption,
    "dialect": DialectOption,
    "explain": ExplainOption,
    "epochs": EpochsOption,
    "steps_per_epoch": StepsPerEpochOption,
    "interval": IntervalOption,
    "metrics": MetricsOption,
    "lr": LrOption,
    "optimizer": OptimizerOption,
    "warmup": WarmupOption,
    "dataset_size": DatasetSizeOption,
    "batch_size": BatchSizeOption,
    "grad_accum": GradAccumOption,
    "world_size": WorldSizeOption,
    "accelerate_processes": AccelerateOption,
    "split_batches": SplitBatchesOption,
}
_COMMON_DEFAULTS: dict[str, Any] = {"log_y": False, "momentum": False, "quiet": False, "print_code": False}
#: The run flags: --epochs, --lr, ... (kebab-case of the option's name); --metrics, --title and labels
#: are handled by the commands that take them.
_FLAG_PATHS: dict[str, tuple[KeyPath, str]] = {
    name: (path, "--" + name.replace("_", "-"))
    for name, path in RUN_OPTIONS.items()
    if name not in ("metrics", "label", "title")
}
_INT_FLAGS = {
    "epochs",
    "steps_per_epoch",
    "warmup",
    "dataset_size",
    "batch_size",
    "grad_accum",
    "world_size",
    "accelerate_processes",
}
_FLOAT_FLAGS = {"lr", "warmup_start_factor"}


def _typed(name: str, text: str, flag: str) -> Any:
    try:
        if name in _INT_FLAGS:
            return int(text)
        if name in _FLOAT_FLAGS:
            return float(text)
    except ValueError:
        kind = "an integer" if name in _INT_FLAGS else "a number"
        raise ConfigError(f"{flag}: expected {kind}, got {text!r}") from None
    return text


def _default_text(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


#: How the CLI spells the run options core messages refer to (``errors.option``): key -> flag.
FLAGS: dict[str, str] = {
    **{key: flag for key, (_, flag) in _FLAG_PATHS.items()},
    "metrics": "--metrics",
    "key": "--key",
    "config": "--config",
    "resume_at": "--resume-at",
    "baseline": "--baseline",
    "t_0": "--t0",
    "t_mult": "--t-mult",
    "max_cycles": "--max-cycles",
    "overrides": "--set",
    "against": "--against",
    "skipped_steps": "--skipped-steps",
    "run": "--run",
    "x": "--x",
    "y": "--y",
    "allow_import": "--allow-import",
    "allow_exec": "--allow-exec",
    "allow_env": "--allow-env",
    "dialect": "--dialect",
    "config_dir": "--config-dir",
    "config_name": "--config-name",
    "dpi": "--dpi",
    "size": "--size",
    "style": "--style",
    **{f"scheduler.{arg.name}": arg.flag_name for spec in SCHEDULERS for arg in spec.args if arg.cli},
    "dataset_size": "--dataset-size",
    "world_size": "--world-size",
    "max_steps": "--max-steps",
}


def with_file_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Give a file command the ``FILE_OPTIONS`` it does not declare itself; it gets them as ``options``."""
    hints = typing.get_type_hints(command, include_extras=True)
    own = [
        p.replace(annotation=hints[p.name])
        for p in inspect.signature(command).parameters.values()
        if p.name != "options"
    ]
    names = {p.name for p in own}
    extra = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=annotation)
        for name, annotation in FILE_OPTIONS.items()
        if name not in names
    ]

    @functools.wraps(command)
    def wrapper(**kwargs: Any) -> Any:
        options = {name: kwargs.pop(name) for name in FILE_OPTIONS if name not in names and name in kwargs}
        return command(**kwargs, options=options)

    params = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own] + extra
    wrapper.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in params}
    return wrapper


def flag_values(options: dict[str, Any]) -> dict[KeyPath, tuple[str, Any]]:
    """The run flags among ``options`` as {config path: (flag, typed value)}."""
    values: dict[KeyPath, tuple[str, Any]] = {}
    for name, (path, flag) in _FLAG_PATHS.items():
        raw = options.get(name)
        if raw is not None:
            values[path] = (flag, _typed(name, raw, flag))
    if options.get("metrics") is not None:
        values[("metrics",)] = ("--metrics", options["metrics"])
    return values


def plot_options(dpi: int | None, size: str | None, style: str | None) -> dict[str, Any]:
    """--dpi/--size/--style as the renderers' keyword arguments (checked by ``render.check_plot_options``)."""
    out: dict[str, Any] = {}
    if dpi is not None:
        out["dpi"] = dpi
    if size is not None:
        w, sep, h = size.lower().partition("x")
        try:
            out["size"] = (float(w), float(h))
        except ValueError:
            raise ConfigError(f"--size: expected WIDTHxHEIGHT in inches, e.g. 12x6, got {size!r}") from None
        if not sep:
            raise ConfigError(f"--size: expected WIDTHxHEIGHT in inches, e.g. 12x6, got {size!r}")
    if style is not None:
        out["style"] = style
    try:
        check_plot_options(**out)
    except LrvizError as exc:
        raise ConfigError("--" + exc.message) from None
    return out

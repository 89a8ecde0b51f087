"""``lrviz hf TYPE``, ``lrviz timm SCHED`` and ``lrviz deepspeed TYPE``: a framework's arguments as flags.

The flags are the framework's own argument names in kebab case (``--warmup-steps``,
``--lr-cycle-limit``, ``--warmup-num-steps``), generated from the tables in ``config/hf.py``,
``config/timm.py`` and ``config/deepspeed.py``; they make the same document a file would
hold (for DeepSpeed: ``scheduler: {type, params}`` and ``optimizer: {type, params: {lr}}``),
which ``config.families`` validates in the same place.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from lrviz.api.frontend import check_outputs, framework_arguments, framework_run, framework_run_options
from lrviz.cli.options import COMMON
from lrviz.cli.show import show_command
from lrviz.errors import ConfigError
from lrviz.keys import KeyPath

#: The common options these commands take (the rest do not apply to a framework's run).
_SHARED = (
    "out",
    "log_y",
    "title",
    "dpi",
    "size",
    "style",
    "every",
    "chart",
    "quiet",
    "print_code",
    "resume_at",
    "momentum",
)
#: The stepping flags each framework's command takes: the run options its files take from flags too
#: (its adapter's ``applies``), so ``lrviz timm cosine --steps-per-epoch 20`` works as ``render`` does.
_FLAG_HELP = {
    "epochs": "Epochs to simulate.",
    "steps_per_epoch": "Optimizer steps per epoch.",
    "batch_size": "Samples per batch (per rank).",
    "dataset_size": "Training samples (the dataset size).",
    "world_size": "Data-parallel ranks (GPUs).",
    "max_steps": "Optimizer steps to show (default: total_num_steps).",
}


def _run_flags(family: str) -> dict[str, tuple[str, str]]:
    applies = framework_run_options(family)
    return {key: (flag_of(key), help_text) for key, help_text in _FLAG_HELP.items() if key in applies}


#: ``lrviz deepspeed``'s optimizer block: (key, kind, help), read as optimizer.type and optimizer.params.lr.
_DEEPSPEED_OPTIMIZER = (
    ("optimizer", "str", "The config's optimizer type (Adam, AdamW, SGD, ...; default: none, SGD(lr=0.1))."),
    ("lr", "float", "The optimizer's lr (WarmupCosineLR scales it; WarmupLR warms up to it by default)."),
)
_METRICS = Annotated[
    Path | None,
    typer.Option("--metrics", metavar="FILE", help="Metric values for plateau schedulers, one per line."),
]


def flag_of(key: str) -> str:
    return "--" + key.replace("_", "-")


def _parse(kind: str, text: str, flag: str) -> Any:
    try:
        if kind == "int":
            return int(text)
        if kind.startswith("float"):
            if kind.endswith("_or_none") and text.lower() in ("none", "null"):
                return None
            return float(text)
        if kind in ("ints", "floats_or_none"):
            if text.lower() in ("none", "null"):
                return None
            items = [t for t in text.replace(" ", ",").split(",") if t]
            return [int(t) if kind == "ints" else float(t) for t in items]
        if kind == "json":
            value = json.loads(text)
            if not isinstance(value, dict):
                raise ValueError
            return value
    except ValueError:
        expects = {
            "int": "an integer",
            "ints": "integers separated by commas",
            "floats_or_none": "numbers separated by commas",
            "json": "a JSON object, e.g. '{\"num_cycles\": 2}'",
        }.get(kind, "a number")
        raise ConfigError(f"{flag}: expected {expects}, got {text!r}") from None
    return text


def _command(
    family: str,
    argument: str,
    args: list[tuple[str, str, str]],
    aliases: dict[str, str],
) -> Callable[..., None]:
    own = {key for key, _, _ in args}
    run_flags = {key: flag for key, flag in _run_flags(family).items() if key not in own}  # timm's own --epochs
    params = [
        inspect.Parameter(
            "name",
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
            annotation=Annotated[str, typer.Argument(metavar=argument, help=f"The {family} scheduler name.")],
        )
    ]
    for key, kind, help_text in args:
        names = [flag_of(key), *([aliases[key]] if key in aliases else [])]
        if kind == "bool":
            option = typer.Option(f"{names[0]}/--no-{names[0][2:]}", help=help_text, show_default=False)
            annotation: Any = Annotated[bool | None, option]
        else:
            option = typer.Option(*names, help=help_text, show_default=False)
            annotation = Annotated[str | None, option]
        params.append(
            inspect.Parameter(f"a_{key}", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=annotation)
        )
    for key, (flag, help_text) in run_flags.items():
        annotation = Annotated[str | None, typer.Option(flag, metavar="N", help=help_text)]
        params.append(inspect.Parameter(key, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=annotation))
    if "metrics" in framework_run_options(family):
        params.append(inspect.Parameter("metrics", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=_METRICS))
    for key in _SHARED:
        default = False if key in ("log_y", "quiet", "print_code", "momentum") else None
        params.append(inspect.Parameter(key, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=COMMON[key]))
    kinds = {key: kind for key, kind, _ in args}

    def command(**kwargs: Any) -> None:
        _run(family, kinds, kwargs, run_flags)

    command.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    command.__annotations__ = {p.name: p.annotation for p in params}
    command.__name__ = family
    return command


def _run(family: str, kinds: dict[str, str], kwargs: dict[str, Any], run_flags: dict[str, tuple[str, str]]) -> None:
    outputs = list(kwargs.get("out") or [])
    check_outputs(outputs, stdout=True, inputs=[Path(kwargs["metrics"])] if kwargs.get("metrics") else [])
    values = {key: kwargs.get(f"a_{key}") for key in kinds}
    if family == "deepspeed":
        document, where = _deepspeed_document(kwargs["name"], kinds, values)
    else:
        name_key = "lr_scheduler_type" if family == "hf" else "sched"
        document = {name_key: kwargs["name"]}
        where = {("document", name_key): f"lrviz {family} {kwargs['name']}"}
        where.update({("document", key): flag_of(key) for key in kinds})  # messages name the flag, given or not
        for key, kind in kinds.items():
            raw = values[key]
            if raw is not None:
                document[key] = raw if kind == "bool" else _parse(kind, raw, flag_of(key))
    data: dict[str, Any] = {"document": document}
    for key, (flag, _) in run_flags.items():
        if kwargs.get(key) is not None:
            data[key] = _parse("int", kwargs[key], flag)
            where[(key,)] = flag
    if kwargs.get("metrics") is not None:
        data["metrics"] = kwargs["metrics"]
        where[("metrics",)] = "--metrics"
    if kwargs.get("title") is not None:
        data["title"] = kwargs["title"]
    run = framework_run(family, data, where)
    show_command(run, outputs, kwargs)


def _deepspeed_document(
    name: str, kinds: dict[str, str], values: dict[str, Any]
) -> tuple[dict[str, Any], dict[KeyPath, str]]:
    """``{scheduler: {type, params}, optimizer: {type, params: {lr}}}`` from the flags, and where each came from."""
    params: dict[str, Any] = {}
    where: dict[KeyPath, str] = {
        ("document", "scheduler", "type"): f"lrviz deepspeed {name}",
        ("document", "optimizer"): "--optimizer",
        ("document", "optimizer", "params", "lr"): "--lr",
    }
    for key, kind in kinds.items():
        if key in ("optimizer", "lr"):
            continue
        where[("document", "scheduler", "params", key)] = flag_of(key)
        if values[key] is not None:
            params[key] = values[key] if kind == "bool" else _parse(kind, values[key], flag_of(key))
    document: dict[str, Any] = {"scheduler": {"type": name, "params": params}}
    if values["optimizer"] is not None or values["lr"] is not None:
        optimizer: dict[str, Any] = {"type": values["optimizer"] or "AdamW"}
        if values["lr"] is not None:
            optimizer["params"] = {"lr": _parse("float", values["lr"], "--lr")}
        document["optimizer"] = optimizer
    return document, where


def hf_command() -> Callable[..., None]:
    return _command("hf", "TYPE", framework_arguments("hf"), {"learning_rate": "--lr"})


def timm_command() -> Callable[..., None]:
    return _command("timm", "SCHED", framework_arguments("timm"), {})


def deepspeed_command() -> Callable[..., None]:
    return _command("deepspeed", "TYPE", [*_DEEPSPEED_OPTIMIZER, *framework_arguments("deepspeed")], {})

"""Layouts of a torch training config that name no torch class lrviz can read, refused with the way out.

A training config that holds no torch scheduler node is often written for a project's
own registry of names (``name: cosine_restart``, ``_name_:``, ``class_name``/``params``,
pytorch-template's ``type``/``args``). ``refuse`` raises one ``ConfigError`` naming the
layout, the node and what to write instead. It never guesses a schedule. Other
frameworks' files (NeMo, ESPnet, yacs, Ultralytics, ...) are recognised by their own
adapters before this (``lrviz.frameworks.refused``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from lrviz.errors import ConfigError, option
from lrviz.frameworks.base import looks_like_lr_key, mappings
from lrviz.keys import KeyPath, dotted

Where = Callable[[KeyPath], str]


def refuse(data: Mapping[str, Any], label: str, where: Where, *, strong_only: bool = False) -> None:
    """Raise a ConfigError naming the dialect of ``data`` when it is one lrviz recognises.

    ``strong_only``: only the dialects whose signature cannot be an lrviz or torch config
    (checked before anything else is read); the rest once no scheduler node was found.
    """
    strong = (_root_registry,)
    weak = (
        _class_name_params,
        _type_args,
        _registry_name,
        _class_as_key,
        _target_params,
        _classless_node,
        _scheduler_in_code,
    )
    for check in strong if strong_only else (*strong, *weak):
        message = check(data, where)
        if message is not None:
            raise ConfigError(message)


def _class_name_params(data: Mapping[str, Any], where: Where) -> str | None:
    for path, node in mappings(data):
        lowered = {str(k).lower(): k for k in node}
        if "class_name" in lowered and ("params" in lowered or "args" in lowered):
            name = node[lowered["class_name"]]
            params = lowered.get("params", lowered.get("args"))
            return (
                f"{where((*path, lowered['class_name']))}: a class_name/params layout (class_name: {name}) is "
                "turned into a scheduler by the project's own code; lrviz does not guess how; write it as "
                f"`scheduler: {{name: {str(name).rsplit('.', 1)[-1]}, ...}}` with the keys under {params} "
                "(PyTorch's argument names)"
            )
    return None


def _root_registry(data: Mapping[str, Any], where: Where) -> str | None:
    name = data.get("name")
    if isinstance(name, str) and (isinstance(data.get("args"), Mapping) or "policy" in data):
        return (
            f"{where(('name',))}: a project-registry layout (name: {name} with "
            f"{'args' if 'args' in data else 'policy'}) is mapped to a scheduler by the project's own code; lrviz "
            "reads `name:` only as a torch.optim.lr_scheduler class with PyTorch's arguments beside it "
            "(e.g. `name: OneCycleLR` and `max_lr: 0.1`)"
        )
    return None


def _type_args(data: Mapping[str, Any], where: Where) -> str | None:
    for path, node in mappings(data):
        kind = node.get("type")
        if isinstance(kind, str) and isinstance(node.get("args"), Mapping) and path and "sched" in str(path[-1]):
            return (
                f"{where((*path, 'type'))}: a type/args layout ({path[-1]}.type: {kind}, as in pytorch-template) is "
                "turned into a scheduler by the project's own code (getattr(module, type)(optimizer, **args)); "
                f"lrviz does not guess the module; write `scheduler: {{name: {kind}, ...}}` with the keys under args"
            )
    return None


def _class_as_key(data: Mapping[str, Any], where: Where) -> str | None:
    from lrviz.schedules import SCHEDULERS

    names = {s.name for s in SCHEDULERS}
    for path, node in mappings(data):
        for k, v in node.items():
            if k in names and isinstance(v, Mapping):
                return (
                    f"{where((*path, k))}: the scheduler class is used as a key ({k}: {{...}}), a layout the "
                    f"project's own code reads; lrviz reads `name: {k}` (or `_target_: torch.optim.lr_scheduler.{k}`) "
                    "with the arguments beside it"
                )
    return None


def _classless_node(data: Mapping[str, Any], where: Where) -> str | None:
    """A scheduler node with arguments but no class: the class is fixed in code or chosen by a defaults list."""
    for path, node in mappings(data):
        for key in ("lr_scheduler", "scheduler"):
            sched = node.get(key)
            if not isinstance(sched, Mapping) or any(k in sched for k in ("class_path", "_target_", "name", "type")):
                continue
            dotted_key = ".".join(str(p) for p in (*path, key))
            if isinstance(data.get("defaults"), list):
                return (
                    f"{where((*path, key))}: {dotted_key} sets arguments but names no class; the class comes from "
                    f"the project's `defaults:` list: compose it with {option('config_dir')} DIR "
                    f"{option('config_name')} NAME"
                )
            return (
                f"{where((*path, key))}: {dotted_key} sets arguments but names no class (the project's LightningCLI "
                "code fixes it); add `class_path: torch.optim.lr_scheduler.<Class>`, e.g. "
                f"{option('overrides')} {dotted_key}.class_path=torch.optim.lr_scheduler.StepLR"
            )
    return None


def _target_params(data: Mapping[str, Any], where: Where) -> str | None:
    """latent-diffusion/sgm's ``scheduler_config: {target: ldm.lr_scheduler.X, params: {...}}``."""
    for path, node in mappings(data):
        target = node.get("target")
        if isinstance(target, str) and "." in target and path and "sched" in str(path[-1]).lower():
            return (
                f"{where((*path, 'target'))}: a target/params node ({path[-1]}.target: {target}) is built by the "
                "project's instantiate_from_config and stepped by its own code (a LambdaLR around the project's "
                "function); lrviz cannot step the project's class"
            )
    return None


def _scheduler_in_code(data: Mapping[str, Any], where: Where) -> str | None:
    """LightningCLI's ``model: {class_path: Task, init_args: {lr, patience, ...}}``: the task builds its scheduler."""
    model = data.get("model")
    if isinstance(model, Mapping) and "class_path" not in model and isinstance(data.get("trainer"), Mapping):
        # the model class fixed in the project's LightningCLI(Model) call: ClimaX's `model: {lr, warmup_epochs, ...}`
        keys = [
            str(k)
            for k in model
            if looks_like_lr_key(str(k)) or str(k) in ("eta_min", "schedule", "max_epochs", "max_steps")
        ]
        # a schedule's own argument beside the LR (a weight decay such as `w_decay` is not one)
        if any(k not in ("lr", "learning_rate", "max_epochs", "max_steps") and "w_decay" not in k for k in keys):
            return (
                f"{where(('model',))}: the LightningModule (its class fixed in the project's LightningCLI call) "
                f"builds its optimizer and scheduler in its own configure_optimizers from its arguments "
                f"({', '.join(f'model.{k}' for k in keys)}), so lrviz cannot see which scheduler runs or how often it "
                "steps; name it in the config (LightningCLI's lr_scheduler: {class_path: torch.optim.lr_scheduler...}) "
                "or use the matching lrviz command"
            )
    if not isinstance(model, Mapping) or not isinstance(model.get("class_path"), str):
        return None
    init: Mapping[str, Any] = model["init_args"] if isinstance(model.get("init_args"), Mapping) else {}
    shaping = [str(k) for k in init if looks_like_lr_key(str(k)) or str(k) in ("patience", "schedule", "lr")]
    given = f" ({', '.join(shaping)})" if shaping else ""
    return (
        f"{where(('model', 'class_path'))}: {model['class_path']} builds its optimizer and scheduler in its own "
        f"configure_optimizers; the config gives only its arguments{given}, so lrviz cannot see which scheduler "
        "runs; name it in the config (LightningCLI's lr_scheduler: {class_path: torch.optim.lr_scheduler...}) or "
        "use the matching lrviz command"
    )


def _schedule_path(path: KeyPath) -> bool:
    """A path inside the schedule's part of a config (a scheduler or optimizer node), not a model's."""
    return any(word in str(part).lower() for part in path for word in ("sched", "optim", "lr"))


def _registry_name(data: Mapping[str, Any], where: Where) -> str | None:
    for path, node in mappings(data):
        if isinstance(node.get("_name_"), str) and _schedule_path(path):
            name = node["_name_"]
            return (
                f"{where((*path, '_name_'))}: a project-registry name (_name_: {name}) is mapped to a class by the "
                "project's own code; lrviz cannot know which; name the torch class instead "
                "(`_target_: torch.optim.lr_scheduler.CosineAnnealingLR`) or use the matching lrviz command"
            )
    name = data.get("name")
    if isinstance(name, str) and name.islower() and ("args" in data or "policy" in data or "milestones" in data):
        return (
            f"{where(('name',))}: a project-registry name (name: {name}) is mapped to a scheduler by the project's "
            "own code; lrviz reads `name:` only as a torch.optim.lr_scheduler class name (e.g. StepLR, OneCycleLR)"
        )
    sched = data.get("scheduler")
    if isinstance(sched, str) and sched.islower() and "." not in sched:  # ReLoRA's `scheduler: cosine_restarts`
        sched = {"name": sched}
    if isinstance(sched, Mapping) and isinstance(sched.get("name"), str) and sched["name"].islower():
        return (
            f"{where(('scheduler', 'name'))}: {sched['name']!r} is not a torch.optim.lr_scheduler class; it is "
            "a name the training framework (e.g. Composer, the project's registry) maps to its own scheduler; "
            "lrviz cannot step it; name the torch class (e.g. CosineAnnealingLR) or use the matching lrviz command"
        )
    return None


def describe_path(path: KeyPath) -> str:
    """How a path is typed on the command line (``--key``): dots, list indices as numbers."""
    return ".".join(str(p) for p in path) if path else dotted(path)

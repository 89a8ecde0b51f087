"""Config dialects lrviz cannot read, recognised so the refusal names the dialect and the way out.

A training config that holds no torch scheduler node is usually written for another
framework's own scheduler classes (NeMo, ESPnet, detectron2's yacs, Composer,
Ultralytics) or for a project's registry of names. ``refuse`` raises one ``ConfigError``
naming the dialect, the node, and, where there is one, the torch scheduler or lrviz
command that gives the same curve. It never guesses a schedule. (DeepSpeed's
``scheduler: {type, params}`` is read, not refused: see ``config.deepspeed``.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from lrviz.errors import ConfigError, option
from lrviz.keys import KeyPath, dotted

Where = Callable[[KeyPath], str]

_NEMO = {
    "CosineAnnealing": "CosineAnnealingLR after a LinearLR warmup (`lrviz cosine --warmup N`)",
    "WarmupAnnealing": "LinearLR after a warmup (`lrviz linear`)",
    "PolynomialDecayAnnealing": "PolynomialLR (`lrviz polynomial`)",
    "PolynomialHoldDecayAnnealing": "PolynomialLR after a hold (`lrviz polynomial`)",
    "InverseSquareRootAnnealing": "Hugging Face inverse_sqrt (lr_scheduler_type: inverse_sqrt)",
    "NoamAnnealing": "the Noam schedule: Hugging Face inverse_sqrt with warmup",
    "SquareRootAnnealing": "LambdaLR with lr_lambda: 'sqrt(1 - epoch / N)'",
}
_DETECTRON2 = {
    "WarmupMultiStepLR": "MultiStepLR(milestones=SOLVER.STEPS, gamma=SOLVER.GAMMA) after a LinearLR warmup of "
    "SOLVER.WARMUP_ITERS steps: `lrviz multistep --milestones A,B --gamma G --warmup N`",
    "WarmupCosineLR": "CosineAnnealingLR(T_max=SOLVER.MAX_ITER) after a LinearLR warmup: `lrviz cosine --warmup N`",
    "WarmupPolyLR": "PolynomialLR(total_iters=SOLVER.MAX_ITER, power=SOLVER.POLY_LR_POWER) after a LinearLR warmup: "
    "`lrviz polynomial --warmup N`",
}
_ESPNET = {
    "warmuplr": "the Noam schedule (linear warmup, then 1/sqrt(step)): Hugging Face inverse_sqrt with warmup",
    "noamlr": "the Noam schedule: Hugging Face inverse_sqrt with warmup",
    "warmupsteplr": "StepLR after a LinearLR warmup (`lrviz step --warmup N`)",
    "cosineannealinglr": "CosineAnnealingLR (`lrviz cosine`)",
}


def refuse(data: Mapping[str, Any], label: str, where: Where, *, strong_only: bool = False) -> None:
    """Raise a ConfigError naming the dialect of ``data`` when it is one lrviz recognises.

    ``strong_only``: only the dialects whose signature cannot be an lrviz or torch config
    (checked before anything else is read); the rest once no scheduler node was found.
    """
    strong = (_nemo, _espnet, _yacs, _ultralytics, _root_registry)
    weak = (_class_name_params, _type_args, _registry_name, _class_as_key, _classless_node)
    for check in strong if strong_only else (*strong, *weak):
        message = check(data, where)
        if message is not None:
            raise ConfigError(message)


def _nodes(node: Any, base: KeyPath = (), depth: int = 0) -> Iterator[tuple[KeyPath, Mapping[str, Any]]]:
    if isinstance(node, Mapping) and depth <= 8:
        yield base, node
        for k, v in node.items():
            yield from _nodes(v, (*base, k), depth + 1)
    elif isinstance(node, list) and depth <= 8:
        for i, v in enumerate(node):
            yield from _nodes(v, (*base, i), depth + 1)


def _nemo(data: Mapping[str, Any], where: Where) -> str | None:
    for path, node in _nodes(data):
        sched = node.get("sched")
        if isinstance(sched, Mapping) and isinstance(sched.get("name"), str):
            name = sched["name"]
            same = _NEMO.get(name, "no torch class of the same name")
            return (
                f"{where((*path, 'sched', 'name'))}: a NeMo scheduler (sched.name: {name}) is NeMo's own class "
                f"(nemo.core.optim.lr_scheduler), built by NeMo's trainer; lrviz does not read NeMo configs; "
                f"the closest torch schedule: {same}"
            )
    return None


def _espnet(data: Mapping[str, Any], where: Where) -> str | None:
    name = data.get("scheduler")
    if isinstance(name, str) and ("scheduler_conf" in data or name.lower() in _ESPNET):
        same = _ESPNET.get(name.lower(), "no torch class of the same name")
        return (
            f"{where(('scheduler',))}: an ESPnet scheduler name (scheduler: {name}, with scheduler_conf) is "
            f"ESPnet's own class; lrviz does not read ESPnet configs; the same curve: {same}"
        )
    return None


def _yacs(data: Mapping[str, Any], where: Where) -> str | None:
    keys = [k for k in data if isinstance(k, str)]
    if not keys or not all(k.isupper() for k in keys if k.isalpha() or "_" in k):
        return None
    solver = data.get("SOLVER") if isinstance(data.get("SOLVER"), Mapping) else None
    scheduler = data.get("SCHEDULER") if isinstance(data.get("SCHEDULER"), Mapping) else None
    if solver is not None:
        name = str(solver.get("LR_SCHEDULER_NAME", "WarmupMultiStepLR"))
        same = _DETECTRON2.get(name, "no torch class of the same name")
        return (
            f"{where(('SOLVER',))}: a yacs/detectron2 config (SOLVER.LR_SCHEDULER_NAME: {name}) is read by "
            f"detectron2's own build_lr_scheduler; lrviz does not read yacs configs; the torch equivalent: {same}"
        )
    if scheduler is not None:
        return (
            f"{where(('SCHEDULER',))}: an upper-case yacs-style config (SCHEDULER: ...) is read by the project's "
            "own code, which maps its keys to a scheduler; lrviz does not guess that mapping; write the torch "
            "scheduler as `scheduler: {name: CosineAnnealingLR, T_max: ...}` or use the matching lrviz command"
        )
    return None


def _class_name_params(data: Mapping[str, Any], where: Where) -> str | None:
    for path, node in _nodes(data):
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
    for path, node in _nodes(data):
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
    for path, node in _nodes(data):
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
    for path, node in _nodes(data):
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


def _registry_name(data: Mapping[str, Any], where: Where) -> str | None:
    for path, node in _nodes(data):
        if isinstance(node.get("_name_"), str):
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
    if isinstance(sched, Mapping) and isinstance(sched.get("name"), str) and sched["name"].islower():
        return (
            f"{where(('scheduler', 'name'))}: {sched['name']!r} is not a torch.optim.lr_scheduler class; it is "
            "a name the training framework (e.g. Composer, the project's registry) maps to its own scheduler; "
            "lrviz cannot step it; name the torch class (e.g. CosineAnnealingLR) or use the matching lrviz command"
        )
    return None


def _ultralytics(data: Mapping[str, Any], where: Where) -> str | None:
    if "lr0" in data and "lrf" in data:
        cos = data.get("cos_lr")
        return (
            f"{where(('lr0',))}: an Ultralytics args file (lr0, lrf, cos_lr: {cos}): Ultralytics' trainer builds "
            "its scheduler in code (a LambdaLR); lrviz does not read Ultralytics configs; the same curve: "
            "`lrviz lambda --lr-lambda '(1 - epoch / EPOCHS) * (1 - LRF) + LRF'` (linear) with --warmup"
        )
    return None


def describe_path(path: KeyPath) -> str:
    """How a path is typed on the command line (``--key``): dots, list indices as numbers."""
    return ".".join(str(p) for p in path) if path else dotted(path)

"""How a node of a training config names its torch scheduler class: ``_target_``, ``class_path``,
``name``, a ``functools.partial`` around one, or mmcv's ``type``; and the refusal of a project's own class.

Shared by ``training`` (finding the scheduler nodes in a document) and ``nodes`` (reading one).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from lrviz.config.interpolation import Unresolved
from lrviz.errors import ConfigError, option

TORCH_SCHEDULER = "torch.optim.lr_scheduler."


def names_a_class(node: Any) -> bool:
    return isinstance(node, Mapping) and ("_target_" in node or "class_path" in node)


#: Classes other packages re-export that are torch schedulers with the same values: LightningCLI's
#: ReduceLROnPlateau subclass only adds the `monitor` argument.
ALIASES = {
    "lightning.pytorch.cli.ReduceLROnPlateau": "ReduceLROnPlateau",
    "pytorch_lightning.cli.ReduceLROnPlateau": "ReduceLROnPlateau",
}


def is_torch_scheduler_node(node: Any, known: Any) -> bool:
    """A mapping whose ``_target_``/``class_path``/``name`` names a torch scheduler."""
    if not isinstance(node, Mapping):
        return False
    name = partial_target(node) or node.get("_target_") or node.get("class_path") or node.get("name")
    name = name or type_name(node, known)
    return isinstance(name, str) and (name.startswith(TORCH_SCHEDULER) or name in ALIASES or known(name))


_GET_METHOD = re.compile(r"^\$\{\s*(?:get_method|get_class)\s*:\s*([\w.]+)\s*\}$")


def partial_target(node: Any) -> str | None:
    """``{_target_: functools.partial, _args_: ["${get_method: torch.optim.lr_scheduler.StepLR}"]}``: the class.

    Hydra's ``get_method`` resolver is the project's to register, so lrviz never runs it; the class
    path inside it is read as text.
    """
    if not isinstance(node, Mapping) or node.get("_target_") != "functools.partial":
        return None
    args = node.get("_args_")
    first = args[0] if isinstance(args, list) and args else None
    text = first.raw if isinstance(first, Unresolved) else first
    if not isinstance(text, str):
        return None
    found = _GET_METHOD.match(text.strip())
    path = found.group(1) if found else text.strip()
    return path if path.count(".") >= 1 and all(p.isidentifier() for p in path.split(".")) else None


def unwrap_partial(node: dict[str, Any]) -> dict[str, Any]:
    """A functools.partial node as the node of the class it wraps (its keyword arguments kept)."""
    target = partial_target(node)
    if target is None:
        return node
    return {"_target_": target, **{k: v for k, v in node.items() if k not in ("_target_", "_args_")}}


def type_name(node: Mapping[str, Any], known: Any) -> str | None:
    """``{type: MultiStepLR, milestones: [...]}`` (RT-DETR, mmcv-style): a torch class named by ``type``."""
    kind = node.get("type")
    if isinstance(kind, str) and not any(k in node for k in ("_target_", "class_path", "name", "params", "args")):
        return kind if known(kind) else None
    return None


def refuse_custom(name: str, where: str) -> ConfigError:
    """The error for a project's own scheduler class named without the opt-in."""
    package = name.split(".", 1)[0]
    return ConfigError(
        f"{where}: {name} is the project's own scheduler class, not one of torch.optim.lr_scheduler; lrviz imports "
        f"a user's class only when asked: {option('allow_import')} {package} (this runs that project's code, "
        "imported from the current directory)"
    )

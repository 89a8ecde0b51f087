"""The dummy optimizer's config: a torch.optim class, its options and its param groups, validated.

Options the registry knows are checked at once; any other is looked up in the installed
torch class (``signatures.py``), so options of other torch versions are accepted.
"""

from __future__ import annotations

from typing import Any

from lrviz.config.layer import Layer
from lrviz.config.values import describe_value, number
from lrviz.errors import ConfigError, option
from lrviz.model import GroupConfig, OptimizerConfig
from lrviz.schedules import OPTIMIZER_ARGS, get_optimizer, get_scheduler, suggest
from lrviz.signatures import OPTIMIZER_MODULE, parameters

#: Upper bound on the number of param groups.
MAX_GROUPS = 64


def build_optimizer(raw: Any, layer: Layer) -> OptimizerConfig:
    where = layer.at(("optimizer",))
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a mapping with `name:` and `lr:`")
    name = get_optimizer_at(raw.get("name", "SGD"), layer.at(("optimizer", "name")))
    lr = number(raw.get("lr", 0.1), layer.at(("optimizer", "lr")), integer=False, bound=_NONNEG)
    options: dict[str, Any] = {}
    for k, v in raw.items():
        if k in ("name", "lr", "param_groups"):
            continue
        _check_option_name(name, k, layer.at(("optimizer", k)))
        options[k] = _option_value(v, layer.at(("optimizer", k)))
    groups_raw = raw.get("param_groups")
    groups: list[GroupConfig] = []
    if groups_raw is None:
        groups.append(GroupConfig("group 0", lr, {}))
    else:
        gwhere = layer.at(("optimizer", "param_groups"))
        if not isinstance(groups_raw, list) or not groups_raw:
            raise ConfigError(f"{gwhere}: expected a non-empty list of mappings like {{lr: 0.01}}")
        if len(groups_raw) > MAX_GROUPS:
            raise ConfigError(f"{gwhere}: more than {MAX_GROUPS} param groups")
        for i, g in enumerate(groups_raw):
            gw = layer.at(("optimizer", "param_groups", i))
            if not isinstance(g, dict):
                raise ConfigError(f"{gw}: expected a mapping like {{name: head, lr: 0.01}}")
            glr = number(
                g.get("lr", lr), layer.at(("optimizer", "param_groups", i, "lr")), integer=False, bound=_NONNEG
            )
            gname = g.get("name", f"group {i}")
            if not isinstance(gname, str | int):
                raise ConfigError(f"{gw}.name: expected a string")
            gopts = {}
            for k, v in g.items():
                if k in ("lr", "name", "params"):
                    continue
                _check_option_name(name, k, layer.at(("optimizer", "param_groups", i, k)))
                gopts[k] = _option_value(v, layer.at(("optimizer", "param_groups", i, k)))
            groups.append(GroupConfig(str(gname), glr, gopts))
        names = [g.name for g in groups]
        for n in names:
            if names.count(n) > 1:
                raise ConfigError(f"{gwhere}: the group name {n!r} is used twice")
    return OptimizerConfig(name, lr, options, tuple(groups))


_NONNEG = get_scheduler("CosineAnnealingLR").arg("eta_min").bound  # type: ignore[union-attr]


def _check_option_name(optimizer: str, key: Any, where: str) -> None:
    """An option the registry knows, or one the installed torch class takes (looked up only then)."""
    if key in OPTIMIZER_ARGS[optimizer]:
        return
    installed = parameters(OPTIMIZER_MODULE, optimizer)
    valid = installed if installed is not None else OPTIMIZER_ARGS[optimizer]
    if key not in valid:
        raise ConfigError(
            f"{where}: unknown option of {optimizer}{suggest(str(key), valid)}; it takes {', '.join(valid)}"
        )


def get_optimizer_at(name: Any, where: str) -> str:
    if isinstance(name, str) and "." in name:
        raise ConfigError(
            f"{where}: {name!r} is not a torch.optim class; lrviz steps the schedule with a dummy torch optimizer, "
            f"so name the closest one with {option('optimizer')} (e.g. adamw) and {option('lr')}"
        )
    try:
        return get_optimizer(str(name))
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc.message}") from None


def _option_value(value: Any, where: str) -> Any:
    if isinstance(value, bool | str) or value is None:
        return value
    if isinstance(value, int | float):
        return number(value, where, integer=False)
    if isinstance(value, list) and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value):
        return tuple(number(v, f"{where}", integer=False) for v in value)
    raise ConfigError(
        f"{where}: expected a number, a string, true/false or a list of numbers, got {describe_value(value)}"
    )

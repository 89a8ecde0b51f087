"""OmegaConf interpolation, ``--set`` overrides and Hydra composition, done by OmegaConf and Hydra themselves.

A training config may say ``T_max: ${trainer.max_epochs}``, ``${..epochs}``,
``${oc.env:EPOCHS,100}`` or ``???``. ``resolve`` hands the document to OmegaConf (the
library Hydra and Lightning use), applies ``--set`` overrides as an OmegaConf dotlist,
and returns plain data in which every value OmegaConf could resolve is resolved. A value
it could not resolve becomes an ``Unresolved`` marker carrying the reason and the fix;
it is an error only when lrviz reads that key (``take``), so a ``${...}`` or ``???`` in
a part of the file lrviz never reads (model sizes, data paths) is left alone. Only
OmegaConf's own resolvers (``oc.env``, ``oc.select``, ...) exist here: a project's
custom resolvers are never registered, so they never run.

``compose`` builds a Hydra project's config exactly as its training script would see it,
through Hydra's compose API. Both libraries are imported only when a file needs them.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lrviz.errors import ConfigError, option
from lrviz.keys import KeyPath, dotted


@dataclass(frozen=True)
class Unresolved:
    """A value OmegaConf could not resolve: an error once lrviz reads it."""

    raw: str  # the text in the file: ``${trainer.max_epochs}`` or ``???``
    reason: str  # one sentence: what is wrong and how to fix it


def needs_resolution(data: Any) -> bool:
    """Whether a document uses interpolation (``${...}``) or mandatory values (``???``)."""
    if isinstance(data, str):
        return "${" in data or data == "???"
    if isinstance(data, Mapping):
        return any(needs_resolution(v) for v in data.values())
    if isinstance(data, list):
        return any(needs_resolution(v) for v in data)
    return False


def parse_sets(sets: Sequence[str]) -> list[str]:
    """Check ``KEY=VALUE`` overrides before anything is read (the values are parsed by OmegaConf, as YAML)."""
    out = []
    for item in sets:
        key, sep, _ = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ConfigError(f"{option('overrides')} {item!r}: expected KEY=VALUE, e.g. trainer.max_epochs=100")
        if not re.fullmatch(r"[~+]{0,2}[A-Za-z_][\w\-/@]*(\.[\w\-@]+)*", key):
            raise ConfigError(
                f"{option('overrides')} {item!r}: {key!r} is not a dotted key (letters, digits, _ and ., "
                "e.g. model.scheduler.T_max)"
            )
        out.append(item)
    return out


def resolve(data: Mapping[str, Any], sets: Sequence[str], label: str, lines: Mapping[KeyPath, int]) -> dict[str, Any]:
    """``data`` with ``sets`` applied and every interpolation OmegaConf can resolve resolved."""
    import yaml
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    from lrviz.config.files import _Loader as YAML12

    rejected: dict[str, Unresolved] = {}
    cfg: Any = OmegaConf.create(_screen(data, (), rejected))
    for item in parse_sets(sets):
        key, _, text = item.partition("=")
        key = key.strip().lstrip("+")
        try:
            if key.startswith("~"):
                raise ValueError("~ deletes a key only when composing a Hydra project (--config-dir)")
            # as OmegaConf's dotlist parses it: YAML with 1.2 floats (1e-4 is a number)
            value = yaml.load(text, Loader=YAML12) if text.strip() else None
            OmegaConf.update(cfg, key, value, merge=True, force_add=True)  # list indices work: a.schedulers.1.T_max
        except (OmegaConfBaseException, yaml.YAMLError, ValueError) as exc:
            raise ConfigError(f"{option('overrides')} {item!r}: {_first_line(exc)}") from None
    out: dict[str, Any] = _restore(_plain(cfg, (), _Where(label, lines)), rejected)
    return out


def compose(config_dir: Path, config_name: str, sets: Sequence[str]) -> tuple[dict[str, Any], str, list[str]]:
    """The config a Hydra app sees: ``config_dir``/``config_name`` composed with overrides ``sets``."""
    parse_sets([s for s in sets if not s.startswith(("~", "+"))])
    if not config_dir.is_dir():
        raise ConfigError(f"{option('config_dir')} {config_dir}: no such directory")
    name = config_name[:-5] if config_name.endswith(".yaml") else config_name
    label = f"{config_dir / name}.yaml (composed by Hydra)"
    try:
        import hydra  # noqa: F401
    except ImportError:
        raise ConfigError(
            f"{option('config_dir')}: composing a Hydra project needs hydra-core: pip install 'lrviz[hydra]'"
        ) from None
    overrides = list(sets)
    notes: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cfg = _compose(config_dir, name, overrides, label, notes)
    notes += [f"{label}: Hydra: {_first_line(Exception(str(w.message)))}" for w in caught or ()]
    out: dict[str, Any] = _plain(cfg, (), _Where(label, {}))
    return out, label, notes


def _compose(config_dir: Path, name: str, overrides: list[str], label: str, notes: list[str]) -> Any:
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    try:
        try:
            with initialize_config_dir(config_dir=str(config_dir.resolve()), version_base=None):
                cfg = hydra_compose(config_name=name, overrides=overrides)
        except HydraException as exc:
            # Hydra's own logging groups (hydra-colorlog) play no part in the schedule: use Hydra's defaults
            missing = re.findall(r"Could not find '(hydra/(?:job|hydra)_logging)/[\w-]+'", str(exc))
            if not missing:
                raise
            overrides += [f"{group}=default" for group in ("hydra/job_logging", "hydra/hydra_logging")]
            with initialize_config_dir(config_dir=str(config_dir.resolve()), version_base=None):
                cfg = hydra_compose(config_name=name, overrides=overrides)
            notes.append(
                f"{label}: a Hydra logging plugin it names is not installed; composed with Hydra's default logging"
            )
    except (HydraException, OmegaConfBaseException, ValueError) as exc:
        text = " ".join(line.strip() for line in str(exc).splitlines() if line.strip())  # Hydra's fix is on line 2
        if "Could not override" in text and "+" not in text:
            text += " (to add a key the config does not have, write it as +key=value)"
        raise ConfigError(f"{label}: Hydra could not compose the config: {text}") from None
    return cfg


def take(value: Any, where: str) -> Any:
    """``value`` with nothing unresolved in it, or a ConfigError at ``where`` saying what to set."""
    if isinstance(value, Unresolved):
        raise ConfigError(f"{where}: {value.reason}")
    if isinstance(value, dict):
        for k, v in value.items():
            take(v, f"{where}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            take(v, f"{where}[{i}]")
    return value


# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Where:
    label: str
    lines: Mapping[KeyPath, int]


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _plain(node: Any, path: KeyPath, where: _Where) -> Any:
    """A resolved plain copy of an OmegaConf container; leaves that fail become ``Unresolved``."""
    from omegaconf import DictConfig, ListConfig, OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    if isinstance(node, DictConfig):
        keys: list[Any] = list(node.keys())
    elif isinstance(node, ListConfig):
        keys = list(range(len(node)))
    else:
        return node
    out: Any = {} if isinstance(node, DictConfig) else []
    for key in keys:
        here = (*path, key)
        try:
            value = node[key]
        except OmegaConfBaseException as exc:
            raw = _raw(node, key)
            value = Unresolved(raw, _reason(exc, raw, here))
        else:
            if isinstance(value, DictConfig | ListConfig):
                value = _plain(value, here, where)
            elif OmegaConf.is_missing(node, key):  # pragma: no cover - access raises first
                value = Unresolved("???", _reason(None, "???", here))
        if isinstance(out, dict):
            out[key] = value
        else:
            out.append(value)
    return out


def _screen(node: Any, path: KeyPath, rejected: dict[str, Unresolved]) -> Any:
    """A copy where each string OmegaConf's grammar rejects (it checks them all on create) is a placeholder."""
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    if isinstance(node, Mapping):
        return {k: _screen(v, (*path, k), rejected) for k, v in node.items()}
    if isinstance(node, list):
        return [_screen(v, (*path, i), rejected) for i, v in enumerate(node)]
    if isinstance(node, str) and "${" in node:
        try:
            OmegaConf.create({"v": node})
        except OmegaConfBaseException as exc:
            me = dotted(path).replace("[", ".").replace("]", "")
            placeholder = f"lrviz-rejected-{len(rejected)}"
            rejected[placeholder] = Unresolved(
                node,
                f"{node!r} is not a valid OmegaConf interpolation ({_first_line(exc)}); "
                f"fix it, or set it with {option('overrides')} {me}=VALUE",
            )
            return placeholder
    return node


def _restore(node: Any, rejected: dict[str, Unresolved]) -> Any:
    if not rejected:
        return node
    if isinstance(node, dict):
        return {k: _restore(v, rejected) for k, v in node.items()}
    if isinstance(node, list):
        return [_restore(v, rejected) for v in node]
    return rejected.get(node, node) if isinstance(node, str) else node


def _raw(node: Any, key: Any) -> str:
    try:
        inner = node._get_node(key)
        return str(inner._value()) if inner is not None else "?"
    except Exception:  # pragma: no cover - OmegaConf internals differ across versions
        return "?"


def _reason(exc: BaseException | None, raw: str, path: KeyPath) -> str:
    """What is wrong with one value, and the ``--set`` that fixes it."""
    me = dotted(path).replace("[", ".").replace("]", "")
    fix = f"set it with {option('overrides')} {me}=VALUE"
    name = type(exc).__name__ if exc is not None else "MissingMandatoryValue"
    text = _first_line(exc) if exc is not None else ""
    if name == "MissingMandatoryValue" or raw == "???":
        return f"is ??? (a value the file leaves to be filled in); {fix}"
    if name == "InterpolationToMissingValueError":
        target = re.search(r"Missing mandatory value: (\S+)", text)
        key = target.group(1) if target else raw.strip("${}")
        return f"{raw} points at {key}, which is ??? in the file; set it with {option('overrides')} {key}=VALUE"
    if name == "InterpolationKeyError":
        target = re.search(r"key '([^']+)'", text)
        key = target.group(1) if target else "a key"
        if key.startswith("."):
            return f"{raw} points at {key} (relative), which is not in the file; {fix}"
        return f"{raw} points at {key}, which is not in the file; set it with {option('overrides')} {key}=VALUE"
    if name == "UnsupportedInterpolationType":
        resolver = re.search(r"type (\S+)", text)
        what = resolver.group(1) if resolver else "a custom resolver"
        return f"{raw} uses the resolver {what!r}, which lrviz does not run (it runs no project code); {fix}"
    if "Recursive interpolation" in text:
        return f"{raw} refers back to itself through other keys (a cycle); {fix}"
    if "Environment variable" in text:
        var = re.search(r"Environment variable '([^']+)'", text)
        env = var.group(1) if var else "it names"
        return f"{raw}: the environment variable {env} is not set; set it, give a default (${{oc.env:{env},VALUE}}), or {fix}"
    return f"{raw} cannot be resolved ({text}); {fix}"

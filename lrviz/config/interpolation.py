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

import contextlib
import os
import re
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lrviz import budget
from lrviz.config.cost import within_budget
from lrviz.errors import ConfigError, option, redact
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
    total = sum(len(item) for item in sets)
    if budget.CONFIG_BYTES.exceeded(total):
        raise budget.CONFIG_BYTES.refusal(option("overrides"), f"{total:,} characters of KEY=VALUE overrides")
    for item in sets:
        key, sep, _ = item.partition("=")
        key = key.strip()
        segments = key.count(".") + 1
        if budget.KEY_SEGMENTS.exceeded(segments):
            raise budget.KEY_SEGMENTS.refusal(f"{option('overrides')} {key[:40]}...", f"a key of {segments:,} segments")
        if not sep or not key:
            raise ConfigError(f"{option('overrides')} {item!r}: expected KEY=VALUE, e.g. trainer.max_epochs=100")
        if not re.fullmatch(r"[~+]{0,2}[A-Za-z_][\w\-/@]*(\.[\w\-@]+)*", key):
            raise ConfigError(
                f"{option('overrides')} {item!r}: {key!r} is not a dotted key (letters, digits, _ and ., "
                "e.g. model.scheduler.T_max)"
            )
        out.append(item)
    return out


def resolve(
    data: Mapping[str, Any],
    sets: Sequence[str],
    label: str,
    lines: Mapping[KeyPath, int],
    *,
    allow_env: Sequence[str] = (),
) -> dict[str, Any]:
    """``data`` with ``sets`` applied and every interpolation OmegaConf can resolve within the budget resolved.

    ``${oc.env:NAME}`` reads only the variables named in ``allow_env`` or ``LRVIZ_ALLOW_ENV``.
    """
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    from lrviz.config.files import parse_yaml

    rejected: dict[str, Unresolved] = {}
    cfg: Any = OmegaConf.create(_screen(data, (), rejected))
    for item in parse_sets(sets):
        key, _, text = item.partition("=")
        key = key.strip().lstrip("+")
        try:
            if key.startswith("~"):
                raise ValueError("~ deletes a key only when composing a Hydra project (--config-dir)")
            # as OmegaConf's dotlist parses it: YAML with 1.2 floats (1e-4 is a number), within the budget
            value, _ = parse_yaml(text, f"{option('overrides')} {item[:80]!r}", value=True)
            budget.nesting(value, f"{option('overrides')} {key}")
            OmegaConf.update(cfg, key, value, merge=True, force_add=True)  # list indices work: a.schedulers.1.T_max
        except (OmegaConfBaseException, ValueError) as exc:
            raise ConfigError(f"{option('overrides')} {item[:200]!r}: {_first_line(exc)}") from None
    if sets:
        cfg = OmegaConf.create(_screen(OmegaConf.to_container(cfg, resolve=False), (), rejected))
    cfg = within_budget(cfg, rejected, Unresolved)
    with _environment(allow_env):
        out: dict[str, Any] = _restore(_plain(cfg, (), _Where(label, lines)), rejected)
    return out


def compose(
    config_dir: Path,
    config_name: str,
    sets: Sequence[str],
    *,
    allow_import: Sequence[str] = (),
    allow_env: Sequence[str] = (),
) -> tuple[dict[str, Any], str, list[str]]:
    """The config a Hydra app sees: ``config_dir``/``config_name`` composed with overrides ``sets``.

    Every YAML file of the project is read first as any config file is (size, aliases, nesting), and
    Hydra searches only ``file://`` folders inside ``config_dir``: a ``pkg://`` or ``structured://``
    search path imports its package, so it is refused unless ``allow_import`` names the package.
    """
    parse_sets([s for s in sets if not s.startswith(("~", "+"))])
    if not config_dir.is_dir():
        raise ConfigError(f"{option('config_dir')} {config_dir}: no such directory")
    name = config_name[:-5] if config_name.endswith(".yaml") else config_name
    label = f"{config_dir / name}.yaml (composed by Hydra)"
    _check_project(config_dir, name, sets, allow_import)
    try:
        import hydra  # noqa: F401
    except ImportError:
        raise ConfigError(
            f"{option('config_dir')}: composing a Hydra project needs hydra-core: pip install 'lrviz[hydra]'"
        ) from None
    overrides = list(sets)
    notes: list[str] = []
    with warnings.catch_warnings(record=True) as caught, _environment(allow_env):
        warnings.simplefilter("always")
        cfg = _compose(config_dir, name, overrides, label, notes)  # a defaults list may say ${oc.env:...} too
    notes += [f"{label}: Hydra: {_first_line(Exception(str(w.message)))}" for w in caught or ()]
    from omegaconf import OmegaConf

    rejected: dict[str, Unresolved] = {}
    cfg = OmegaConf.create(_screen(OmegaConf.to_container(cfg, resolve=False), (), rejected))
    cfg = within_budget(cfg, rejected, Unresolved)
    with _environment(allow_env):
        out: dict[str, Any] = _restore(_plain(cfg, (), _Where(label, {})), rejected)
    return out, label, notes


def _check_project(config_dir: Path, name: str, sets: Sequence[str], allow_import: Sequence[str]) -> None:
    """Read every YAML file of a Hydra project within the budget, and refuse search paths that import code."""
    from lrviz.config.files import parse_yaml, read_yaml

    root = config_dir.resolve()
    count = 0
    primary: Any = None
    for folder, dirs, files in os.walk(config_dir):
        dirs.sort()
        for file in sorted(files):
            if not file.endswith((".yaml", ".yml")):
                continue
            count += 1
            if budget.PROJECT_FILES.exceeded(count):
                raise budget.PROJECT_FILES.refusal(
                    f"{option('config_dir')} {config_dir}", f"more than {count - 1:,} YAML files"
                )
            path = Path(folder, file)
            try:
                data, _ = read_yaml(path)
            except ConfigError as exc:
                if "the top level is" in exc.message or "the file is empty" in exc.message:
                    continue  # a list or an empty file: Hydra's business, not a budget question
                raise
            if Path(folder).resolve() == root and Path(file).stem == name:
                primary = data
    entries: list[tuple[str, str]] = []
    hydra_node = primary.get("hydra") if isinstance(primary, dict) else None
    if isinstance(hydra_node, dict) and isinstance(hydra_node.get("searchpath"), list):
        entries += [(str(e), f"{config_dir / name}.yaml: hydra.searchpath") for e in hydra_node["searchpath"]]
    for item in sets:
        key, _, text = item.partition("=")
        if key.strip().lstrip("+~") == "hydra.searchpath":
            value, _ = parse_yaml(text, f"{option('overrides')} {item[:80]!r}", value=True)
            values = value if isinstance(value, list) else [value]
            entries += [(str(e), f"{option('overrides')} hydra.searchpath") for e in values]
    for entry, where in entries:
        scheme, sep, rest = entry.partition("://")
        if not sep:
            scheme, rest = "file", entry
        if scheme == "file":
            place = Path(rest)
            inside = (
                [(base / place).resolve() for base in (Path.cwd(), config_dir)]
                if not place.is_absolute()
                else [place.resolve()]
            )
            if any(p == root or root in p.parents for p in inside):
                continue
            raise ConfigError(
                f"{where}: {entry!r} is outside {option('config_dir')} {config_dir}; lrviz composes a project "
                "from its own folder only (copy the configs into it)"
            )
        package = rest.split("/")[0]
        if scheme == "pkg" and any(package == a or package.startswith(a + ".") for a in allow_import):
            continue
        raise ConfigError(
            f"{where}: {entry!r} makes Hydra import {package or 'a module'} to find its configs; lrviz runs no "
            f"code unless asked: pass {option('allow_import')} {package.split('.')[0] or 'PACKAGE'} if you trust it"
        )


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


#: Environment variables ``${oc.env:NAME}`` may read, besides those given to ``resolve``: a comma-separated list.
ALLOW_ENV_VARIABLE = "LRVIZ_ALLOW_ENV"


class EnvNotAllowed(KeyError):
    """``${oc.env:NAME}`` of a variable nobody allowed."""


@contextlib.contextmanager
def _environment(allow_env: Sequence[str]) -> Iterator[None]:
    """While resolving: ``oc.env`` reads only allowed variables, and every value it returns is redacted
    from error messages. OmegaConf's own resolver is put back afterwards."""
    from omegaconf.basecontainer import BaseContainer
    from omegaconf.omegaconf import OmegaConf

    allowed = {n.strip() for n in allow_env if n.strip()}
    allowed |= {n.strip() for n in os.environ.get(ALLOW_ENV_VARIABLE, "").split(",") if n.strip()}
    marker = object()

    def env(key: str, default: Any = marker) -> str | None:
        if key not in allowed:
            raise EnvNotAllowed(key)
        if key in os.environ:
            value = os.environ[key]
            redact(value, key)
            return value
        if default is marker:
            raise KeyError(f"Environment variable '{key}' not found")
        return str(default) if default is not None else None

    resolvers = BaseContainer._resolvers
    original = resolvers.get("oc.env")
    resolvers.pop("oc.env", None)
    OmegaConf.register_new_resolver("oc.env", env, use_cache=False)
    try:
        yield
    finally:
        resolvers.pop("oc.env", None)
        if original is not None:
            resolvers["oc.env"] = original


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
    if name == "InterpolationResolutionError" and "EnvNotAllowed" in text:
        var = re.search(r"EnvNotAllowed raised while resolving interpolation: '?([^'\s]+)", text)
        env = var.group(1) if var else "a variable"
        return (
            f"{raw} reads the environment variable {env}, which lrviz reads only when asked: pass "
            f"{option('allow_env')} {env} (or set {ALLOW_ENV_VARIABLE}={env}), or {fix}"
        )
    if "Recursive interpolation" in text:
        return f"{raw} refers back to itself through other keys (a cycle); {fix}"
    if "Environment variable" in text:
        var = re.search(r"Environment variable '([^']+)'", text)
        env = var.group(1) if var else "it names"
        return f"{raw}: the environment variable {env} is not set; set it, give a default (${{oc.env:{env},VALUE}}), or {fix}"
    return f"{raw} cannot be resolved ({text}); {fix}"

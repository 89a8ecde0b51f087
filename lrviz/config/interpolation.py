"""OmegaConf interpolation, ``--set`` overrides and Hydra composition, done by OmegaConf and Hydra themselves.

A training config may say ``T_max: ${trainer.max_epochs}``, ``${..epochs}``,
``${oc.env:EPOCHS,100}`` or ``???``. ``resolve`` hands the document to OmegaConf (the
library Hydra and Lightning use), applies ``--set`` overrides as an OmegaConf dotlist,
and returns the document as lazy containers (``lrviz.config.lazy``): a value is resolved
when lrviz reads it, within the budget, and never otherwise (``lrviz.config.resolution``).
A value OmegaConf could not resolve reads as an ``Unresolved`` marker carrying the reason
and the fix; it is an error only when lrviz takes that key (``take``), so a ``${...}``,
``???`` or an interpolation bomb in a part of the file lrviz never reads (model sizes,
data paths) is left alone, unresolved. Only
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
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from lrviz import budget
from lrviz.config.resolution import ALLOW_ENV_VARIABLE, Resolver, Unresolved, environment, first_line
from lrviz.errors import ConfigError, option
from lrviz.keys import KeyPath

__all__ = ["ALLOW_ENV_VARIABLE", "Unresolved", "compose", "needs_resolution", "parse_sets", "resolve", "take"]


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

    if not sets:
        return Resolver(data, allow_env).document()
    held: dict[str, str] = {}  # the file's interpolations stay out of OmegaConf until read

    def hold(node: Any) -> Any:
        if isinstance(node, Mapping):
            return {k: hold(v) for k, v in node.items()}
        if isinstance(node, list):
            return [hold(v) for v in node]
        if isinstance(node, str) and "${" in node:
            held[f"lrviz-held-{len(held)}"] = node
            return f"lrviz-held-{len(held) - 1}"
        return node

    def restore(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: restore(v) for k, v in node.items()}
        if isinstance(node, list):
            return [restore(v) for v in node]
        return held.get(node, node) if isinstance(node, str) else node

    cfg: Any = OmegaConf.create(hold(data))
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
            raise ConfigError(f"{option('overrides')} {item[:200]!r}: {first_line(exc)}") from None
    raw: dict[str, Any] = restore(OmegaConf.to_container(cfg, resolve=False))
    return Resolver(raw, allow_env).document()


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
    with warnings.catch_warnings(record=True) as caught, environment(allow_env):
        warnings.simplefilter("always")
        cfg = _compose(
            config_dir, name, overrides, label, notes, allow_import
        )  # a defaults list may say ${oc.env:...} too
    notes += [f"{label}: Hydra: {first_line(Exception(str(w.message)))}" for w in caught or ()]
    from omegaconf import OmegaConf

    raw: dict[str, Any] = OmegaConf.to_container(cfg, resolve=False)  # type: ignore[assignment]
    return Resolver(raw, allow_env).document(), label, notes


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


def _compose(
    config_dir: Path, name: str, overrides: list[str], label: str, notes: list[str], allow_import: Sequence[str]
) -> Any:
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    try:
        try:
            with (
                _core_plugins_only(allow_import),
                initialize_config_dir(config_dir=str(config_dir.resolve()), version_base=None),
            ):
                cfg = hydra_compose(config_name=name, overrides=overrides)
        except HydraException as exc:
            # Hydra's own logging groups (hydra-colorlog) play no part in the schedule: use Hydra's defaults
            missing = re.findall(r"Could not find '(hydra/(?:job|hydra)_logging)/[\w-]+'", str(exc))
            if not missing:
                raise
            overrides += [f"{group}=default" for group in ("hydra/job_logging", "hydra/hydra_logging")]
            with (
                _core_plugins_only(allow_import),
                initialize_config_dir(config_dir=str(config_dir.resolve()), version_base=None),
            ):
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


@contextlib.contextmanager
def _core_plugins_only(allow_import: Sequence[str]) -> Iterator[None]:
    """While composing: Hydra finds its plugins among its own (``hydra._internal.core_plugins``) and the
    ``hydra_plugins`` packages ``allow_import`` names (``hydra_plugins`` for all). Hydra otherwise imports
    every installed ``hydra_plugins.*`` module to look for plugins: code no config asked for."""
    import importlib

    from hydra.core.plugins import Plugins
    from hydra.core.singleton import Singleton

    allowed = [a for a in allow_import if a == "hydra_plugins" or a.startswith("hydra_plugins.")]
    original = Plugins._scan_all_plugins

    def scan(modules: list[Any]) -> Any:
        if "hydra_plugins" in allowed:
            return original(modules)
        chosen = [m for m in modules if m.__name__ != "hydra_plugins"]
        for name in allowed:
            try:
                chosen.append(importlib.import_module(name))
            except ImportError:
                raise ConfigError(
                    f"{option('allow_import')} {name}: no such Hydra plugin package is installed"
                ) from None
        return original(chosen)

    Singleton._instances.pop(Plugins, None)  # plugins found before (another compose) are found again, here
    Plugins._scan_all_plugins = staticmethod(scan)  # type: ignore[method-assign]
    try:
        yield
    finally:
        Plugins._scan_all_plugins = staticmethod(original)  # type: ignore[method-assign]
        Singleton._instances.pop(Plugins, None)  # a later Hydra app in this process scans as Hydra does


class UnresolvedError(ConfigError):
    """A value OmegaConf could not resolve was read (``take``): a reader may name all of them (``take_all``)."""


def take(value: Any, where: str) -> Any:
    """``value`` with nothing unresolved in it, or a ConfigError at ``where`` saying what to set."""
    if isinstance(value, Unresolved):
        raise UnresolvedError(f"{where}: {value.reason}")
    if isinstance(value, dict):
        for k, v in value.items():
            take(v, f"{where}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            take(v, f"{where}[{i}]")
    return value


def take_all(values: Sequence[tuple[Any, KeyPath]], where: Callable[[KeyPath], str]) -> None:
    """``take`` for the values a reader needs together, given with their key paths: every value in them that
    is unresolved is named in one ConfigError (with the ``--set`` for each), so a config with three values
    lrviz cannot resolve is fixed in one go, not in three tries. ``where(path)`` places a value in the file."""
    found = [leaf for value, path in values for leaf in _unresolved(value, path)]
    if len(found) == 1:
        raise UnresolvedError(f"{where(found[0][0])}: {found[0][1].reason}")
    if found:
        keys = [m.group(1) for _, u in found for m in [_SET.search(u.reason)] if m is not None]
        named = "; ".join(f"{where(path)}: {_SET_TAIL.sub('', u.reason)}" for path, u in found)
        fix = " ".join(f"{option('overrides')} {key}=VALUE" for key in dict.fromkeys(keys))
        raise UnresolvedError(f"{len(found)} values lrviz cannot resolve: {named}; set them with {fix}")


_SET = re.compile(re.escape(option("overrides")) + r" (\S+)=VALUE$")
_SET_TAIL = re.compile("; set it with " + re.escape(option("overrides")) + r" \S+=VALUE$")


def _unresolved(value: Any, path: KeyPath) -> Iterator[tuple[KeyPath, Unresolved]]:
    if isinstance(value, Unresolved):
        yield path, value
    elif isinstance(value, Mapping):
        for key in value:
            yield from _unresolved(value[key], (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _unresolved(item, (*path, i))

"""A config file, a Hydra project or a parsed document -> the adapter that reads it -> a validated run.

``config`` turns text into documents (YAML/JSON, OmegaConf interpolation, Hydra's
compose); ``lrviz.frameworks`` chooses the adapter on evidence (``choose``), and that
adapter reads the document into a layer and builds the run. This is the only place the
two meet: ``config`` knows no framework, and no adapter reads files.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from lrviz import frameworks
from lrviz.config.layer import Layer
from lrviz.errors import ConfigError, option
from lrviz.frameworks import base
from lrviz.keys import KeyPath
from lrviz.model import RunConfig

#: Suffixes of configs that are programs: reading one means running it.
_CODE_SUFFIXES = {".py": "a Python config (OpenMMLab/mmengine, detectron2 LazyConfig)"}
#: Config formats lrviz does not parse.
_OTHER_FORMATS = {
    ".toml": "a TOML config (torchtitan, ...)",
    ".ini": "an INI config",
    ".cfg": "an INI config",
}
#: Suffixes of launch scripts: their one training command's flags are the config (``load_command``).
_SCRIPT_SUFFIXES = (".sh", ".bash")


def load_file(
    path: Path,
    key: str | None = None,
    *,
    sets: Sequence[str] = (),
    allow_import: tuple[str, ...] = (),
    allow_env: tuple[str, ...] = (),
    dialect: str | None = None,
    allow_exec: bool = False,
) -> Layer:
    """Read a YAML or JSON config (optionally the node at dotted ``key``) into a layer of the adapter it is for.

    ``sets`` are ``KEY=VALUE`` overrides applied to the document first (OmegaConf's dotlist);
    OmegaConf is imported only when they are given or the file interpolates (``${...}``, ``???``).
    ``dialect`` picks the adapter when the file's evidence does not (``--dialect``).
    ``allow_exec`` lets an mmengine Python config be run to read it (``--allow-exec``); ``sets``
    then are mmengine's ``--cfg-options``.
    """
    from lrviz.config.files import read_document  # PyYAML only when a file is read
    from lrviz.config.interpolation import needs_resolution, resolve

    kind = _CODE_SUFFIXES.get(Path(path).suffix.lower())
    if kind is not None:
        return _program(Path(path), kind, key, sets, allow_import, dialect, allow_exec)
    if Path(path).suffix.lower() in _SCRIPT_SUFFIXES:
        from lrviz.config.shell import script_text

        return load_command(script_text(Path(path)), str(path), dialect=dialect, sets=sets)
    other = _OTHER_FORMATS.get(Path(path).suffix.lower())
    if other is not None:
        raise ConfigError(f"{path}: {other}: lrviz reads YAML and JSON configs only")
    data, lines = read_document(path)
    notes = []
    if isinstance(data.get("defaults"), list):
        notes.append(
            f"{path}: its `defaults:` list is not composed when the file is read on its own; to compose it as "
            f"Hydra does, use {option('config_dir')} DIR {option('config_name')} NAME"
        )
    if sets or needs_resolution(data):
        data = resolve(data, sets, str(path), lines, allow_env=allow_env)
    layer = from_document(data, path, key, lines, allow_import=allow_import, dialect=dialect)
    layer.notes[:0] = notes
    return layer


def _program(
    path: Path,
    kind: str,
    key: str | None,
    sets: Sequence[str],
    allow_import: tuple[str, ...],
    dialect: str | None,
    allow_exec: bool,
) -> Layer:
    """A config that is a program: run by the framework whose config it is (``Adapter.reads_program``), if allowed.

    Which framework's it is is judged from its text; only that framework's own loader runs it,
    and only with ``allow_exec``. A program no adapter recognises is never run."""
    readers = [a for a in frameworks.adapters() if a.program]
    adapter = next((a for a in readers if a.reads_program(path)), None)
    if adapter is not None:
        if not allow_exec:
            raise ConfigError(adapter.program_refusal(path))
        return adapter.read_program(path, key, sets, allow_import, dialect)
    runs = " or ".join(a.program for a in readers)
    raise ConfigError(
        f"{path}: {kind} is a program: reading it means running it, and lrviz does not run config files; "
        "lrviz reads YAML and JSON configs"
        + (
            f" ({option('allow_exec')} runs {runs} configs only: this file sets none of their keys)"
            if allow_exec
            else ""
        )
    )


def load_command(text: str, label: str = "--command", *, dialect: str | None = None, sets: Sequence[str] = ()) -> Layer:
    """A launch script's (or ``--command``'s) training command read as a config of the framework its flags are for.

    The command is found and expanded by ``config.shell``; its flags become a document
    (``frameworks.command``) that ``frameworks.choose`` assigns on evidence; the adapter may
    retype the words with its framework's own parser (``Adapter.read_command``). The
    launcher's process count is the run's world size.
    """
    from lrviz.config.shell import read_script
    from lrviz.frameworks import command

    launch = read_script(text, label)
    parsed = command.document(launch)
    overridden = command.override(parsed, sets)
    data = {**parsed.data, "__script__": launch.script}
    if launch.wrapper is not None:  # the launcher script is evidence of the framework (timm's distributed_train.sh)
        data["__wrapper__"] = launch.wrapper
    evidence = frameworks.choose(data, f"{label} ({launch.script})", dialect)
    adapter = frameworks.get(evidence.adapter)
    # a word after the script that is a whole unknown expansion (`${megatron_options}` assigned in an `if`) may hold flags
    hidden = [w for w in parsed.positional if w.unknown and w.text.startswith("$")]
    if evidence.adapter == frameworks.TORCH and hidden:
        raise ConfigError(
            f"{label}:{hidden[0].line}: {launch.script} {hidden[0].text}: the command's flags are in "
            f"{hidden[0].unknown}; lrviz does not run the script, so it cannot read them: give the command with "
            "--command '...'"
        )
    if evidence.adapter == frameworks.TORCH:
        raise ConfigError(
            f"{label}:{launch.line}: {launch.script}: its flags are not those of a framework lrviz reads from a "
            "command (Hugging Face TrainingArguments, diffusers' training scripts, Megatron-LM); choose one with "
            f"{option('dialect')} NAME if it is one"
        )
    inventory = adapter.inventory(evidence.dialect)
    for key in command.unresolved(parsed):
        if key not in overridden:
            kind = inventory.kind(key)
            if kind is not None and kind.name != "NO_EFFECT" or kind is None and base.looks_like_lr_key(key):
                command.refuse_unresolved(parsed, key)
    if adapter.config_file_key is not None and adapter.config_file_key in parsed.data:
        layer = _command_file(adapter, parsed, label, overridden)
        document = layer.data["document"]
    else:
        document = adapter.read_command(parsed)
        layer = adapter.read_document(document, label, None, {}, ())
        for key in document:
            layer.where[("document", key)] = parsed.at(key)
    if launch.processes is not None and "world_size" in adapter.applies:
        layer.data["world_size"] = launch.processes.value
        layer.where[("world_size",)] = launch.processes.where
    if "script" in adapter.applies:
        layer.data["script"] = launch.script
        layer.where[("script",)] = f"{label}:{launch.line}: {launch.script}"
    layer.adapter, layer.dialect, layer.decided_by = adapter.name, evidence.dialect, evidence.keys
    layer.top_keys = tuple(document)
    for word in hidden:
        layer.notes.append(
            f"{label}:{word.line}: {word.text}: flags in {word.unknown} were not read (lrviz does not run the script)"
        )
    for note in launch.notes:  # the process count decided at run time: dropped when --world-size gives it
        layer.note_unless_set((("world_size",),), note)
    return layer


def _command_file(adapter: base.Adapter, parsed: Any, label: str, overridden: set[str]) -> Layer:
    """The file a command's config flag names (Megatron's ``--yaml-cfg``), read in place of the command's flags.

    Looked for as the run would open it (from the directory it starts in, taken to be the current one),
    then beside the script; the command's other flags that set the schedule are said to be ignored.
    ``--set`` changes the file's keys."""
    from lrviz.config.files import read_document
    from lrviz.frameworks import command

    key = str(adapter.config_file_key)
    command.refuse_unresolved(parsed, key)
    value = parsed.data[key]
    where = parsed.at(key)
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{where}: expected one file name, got {value!r}")
    candidates = [Path(value)] if Path(value).is_absolute() else [Path(value), Path(label).parent / value]
    path = next((p for p in candidates if p.is_file()), None)
    if path is None:
        looked = " or ".join(dict.fromkeys(str(p) for p in candidates))
        raise ConfigError(
            f"{where} {value}: no such file ({looked}); the run reads it when it starts: give it on its own, "
            f"lrviz render FILE.yaml"
        )
    data, lines = read_document(path)
    layer = adapter.read_document(data, path, None, lines, ())
    for name in overridden - {key}:
        if name in parsed.data:
            layer.data["document"][name] = parsed.data[name]
            layer.where[("document", name)] = parsed.at(name)
        else:
            layer.data["document"].pop(name, None)
    inventory = adapter.inventory(adapter.name)
    ignored = [
        parsed.flags[k].flag
        for k in parsed.data
        if k != key and k not in overridden and inventory.kind(k) not in (None, base.KeyKind.NO_EFFECT)
    ]
    if ignored:
        layer.notes.append(
            f"{where}: the run takes its settings from this file and ignores the command's flags: "
            f"{', '.join(ignored)} have no effect"
        )
    return layer


def load_composed(
    config_dir: Path,
    config_name: str,
    key: str | None = None,
    *,
    sets: Sequence[str] = (),
    allow_import: tuple[str, ...] = (),
    allow_env: tuple[str, ...] = (),
    dialect: str | None = None,
) -> Layer:
    """A Hydra project's config, composed by Hydra as the training script sees it, as a layer."""
    from lrviz.config.interpolation import compose

    data, label, notes = compose(config_dir, config_name, sets, allow_import=allow_import, allow_env=allow_env)
    layer = from_document(data, label, key, {}, allow_import=allow_import, dialect=dialect)
    layer.notes[:0] = notes
    return layer


def from_document(
    data: Mapping[str, Any],
    path: Path | str = "<config>",
    key: str | None = None,
    lines: Mapping[KeyPath, int] | None = None,
    *,
    allow_import: tuple[str, ...] = (),
    dialect: str | None = None,
) -> Layer:
    """A layer from an already-parsed document, read by the adapter its keys point to."""
    label = str(path)
    if not isinstance(data, Mapping):
        raise ConfigError(f"{label}: the top level must be a mapping")
    if isinstance(data.get("log_history"), list):
        raise ConfigError(
            f"{label}: a trainer_state.json is a run's log, not its config; compare it with the plan: "
            f"lrviz check CONFIG {option('against')} {label}"
        )
    if key and dialect is None:  # --key picks a scheduler node: torch's reading
        evidence = frameworks.Evidence(frameworks.TORCH, "hydra", 0, (f"the node picked by key {key}",))
    else:
        evidence = frameworks.choose(data, label, dialect)
    adapter = frameworks.get(evidence.adapter)
    layer = adapter.read_document(data, path, key, lines or {}, allow_import)
    layer.adapter, layer.dialect, layer.decided_by = adapter.name, evidence.dialect, evidence.keys
    layer.top_keys = tuple(str(k) for k in data)
    return layer


def build_run(layer: Layer) -> RunConfig:
    """Validate a merged layer into a run: the adapter that read it builds it.

    A framework adapter builds its run from the document alone; what reading the file found
    (a launch script's process count decided at run time) is added to its notes here."""
    run = frameworks.get(layer.adapter).read(layer)
    if layer.adapter != frameworks.TORCH:
        found = [n for n in layer.live_notes() if n not in run.notes]
        if found:
            run = dataclasses.replace(run, notes=(*found, *run.notes))
    return run


def explain(run: RunConfig) -> list[str]:
    """Where every number of the run came from, which dialect was read and why, and what each key did."""
    lines = list(run.accounting) or ["dialect: torch (decided by flags)"]
    width = max((len(what) for what, _, _ in run.sources), default=0)
    for what, value, source in run.sources:
        shown = f"{what} = {value}" if value else what
        lines.append(f"{shown.ljust(width + 3 + max(len(v) for _, v, _ in run.sources))}  from {source}")
    if run.geometry:
        lines.append(f"arithmetic: {run.geometry}")
    return lines


__all__ = ["build_run", "explain", "from_document", "load_command", "load_composed", "load_file"]

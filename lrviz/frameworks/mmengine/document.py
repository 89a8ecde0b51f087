"""An mmengine Python config -> a plain document, as OpenMMLab's tools read it (this RUNS the file).

``mmengine.Config.fromfile`` executes the file and its ``_base_`` files and merges them, then
``--set KEY=VALUE`` overrides are merged as ``--cfg-options`` are (mmengine's own ``DictAction``
parses them, then ``Config.merge_from_dict``), which is what ``tools/analysis_tools/vis_scheduler.py``
does. ``custom_imports`` are not imported: lrviz steps mmengine's own schedulers and refuses
any other. Only the adapter's ``read_program`` calls this, and only when ``--allow-exec`` was given.
"""

from __future__ import annotations

import argparse
import importlib
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lrviz.errors import ConfigError, option
from lrviz.frameworks.base import one_line, require

#: Names an mmengine config assigns at its top level (``_base_``, the Runner's keys, and the mmcv 1.x
#: keys mmengine's Config still reads, so that an mmdet 2.x schedule is named for what it is).
_MARKS = re.compile(
    r"^(_base_|param_scheduler|optim_wrapper|train_cfg|default_hooks|train_dataloader|lr_config|runner|"
    r"optimizer_config|checkpoint_config)\s*=",
    re.M,
)


def looks_like_mmengine(path: Path) -> bool:
    """Whether a ``.py`` file assigns the names an mmengine config does (read as text, never run)."""
    try:
        text = path.read_text("utf-8", "replace")[:200_000]
    except OSError:
        return False
    return len(set(_MARKS.findall(text))) >= 2


def load(path: Path, sets: Sequence[str]) -> dict[str, Any]:
    """Run the config (and its ``_base_`` files) with mmengine and return it as plain dicts and lists."""
    require("mmengine", "mmengine")
    config = importlib.import_module("mmengine.config")
    Config, DictAction = config.Config, config.DictAction  # noqa: N806 - mmengine's class names

    if not path.is_file():
        raise ConfigError(f"{path}: no such file")
    try:
        cfg = Config.fromfile(str(path), import_custom_modules=False)
    except ConfigError:
        raise
    except Exception as exc:  # the file is a program: anything it raises is its own error
        raise ConfigError(f"{path}: mmengine's Config.fromfile failed: {one_line(exc) or type(exc).__name__}") from None
    if sets:
        parser = argparse.ArgumentParser(add_help=False, exit_on_error=False)
        parser.add_argument("--cfg-options", nargs="+", action=DictAction)
        bad = [s for s in sets if "=" not in s]
        if bad:
            raise ConfigError(f"{option('overrides')} {bad[0]}: expected KEY=VALUE (mmengine's --cfg-options)")
        try:
            parsed = parser.parse_args(["--cfg-options", *sets])
            cfg.merge_from_dict(parsed.cfg_options)
        except Exception as exc:
            raise ConfigError(f"{option('overrides')}: mmengine could not merge it: {one_line(exc)}") from None
    data: dict[str, Any] = _plain(cfg.to_dict())
    return data


def _plain(value: Any) -> Any:
    """Dicts, lists and scalars only (mmengine's ConfigDict and tuples included)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value

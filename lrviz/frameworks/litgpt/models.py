"""The model's ``block_size`` from the installed litgpt's own ``litgpt/config.py``, loaded alone.

``litgpt/pretrain.py`` sets ``model.max_seq_length`` to it when ``train.max_seq_length`` is not given,
so it sizes the iterations. ``litgpt/__init__`` would import the models, torch and lightning just to
read a number; ``litgpt/config.py`` needs PyYAML alone.
"""

from __future__ import annotations

import importlib.util
import sys
from functools import cache

from lrviz.errors import ConfigError
from lrviz.frameworks.base import one_line

_MISSING = "needs litgpt: pip install --no-deps litgpt (with lightning and jsonargparse installed)"


@cache
def model_block_size(name: str) -> int | None:
    """``litgpt.Config.from_name(name).block_size`` of the installed litgpt, or None for a name it does not know.

    Only ``litgpt/config.py`` is run (it needs PyYAML alone): ``litgpt/__init__`` would import the models,
    torch and lightning just to read a number. The module is loaded under a private name and dropped.
    """
    spec = importlib.util.find_spec("litgpt")
    if spec is None or spec.submodule_search_locations is None:
        raise ConfigError(_MISSING)
    path = next(iter(spec.submodule_search_locations)) + "/config.py"
    config_spec = importlib.util.spec_from_file_location("_lrviz_litgpt_config", path)
    if config_spec is None or config_spec.loader is None:
        raise ConfigError(f"litgpt is installed without its config module ({path}); reinstall litgpt")
    module = importlib.util.module_from_spec(config_spec)
    sys.modules[config_spec.name] = module  # dataclasses look their module up while the class is made
    try:
        config_spec.loader.exec_module(module)
        config = module.Config.from_name(name)
    except ValueError:  # from_name: "'name' is not a supported config name"
        return None
    except Exception as exc:  # noqa: BLE001 - litgpt's own module: any failure is reported, one line
        raise ConfigError(f"litgpt's config module failed to load: {one_line(exc) or type(exc).__name__}") from None
    finally:
        sys.modules.pop(config_spec.name, None)
    return None if config is None else int(config.block_size)

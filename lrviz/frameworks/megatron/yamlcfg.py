"""Megatron-LM's ``--yaml-cfg FILE``: a YAML file that replaces the command's flags.

Megatron-LM reads it in ``megatron/training/yaml_arguments.py`` (NVIDIA/Megatron-LM d98e8a64):
``load_yaml`` (``yaml.safe_load``, then every mapping a ``SimpleNamespace``) replaces the parsed
flags entirely ("argparse arguments will be ignored", ``arguments.py`` 137-140), and
``validate_yaml`` finally merges the ``model_parallel`` and ``language_model`` blocks into the
top level (``SimpleNamespace(**args.__dict__, **args.model_parallel.__dict__)``, then the same with
``language_model``), so a key written twice stops the run. No argparse default applies: a key the
scheduler reads and the file lacks is an ``AttributeError`` at run time. The world size comes from
the launcher (``WORLD_SIZE``), as for flags.

Which YAML is Megatron's is told by keys GPT-NeoX's YAML (the other Megatron-style file, refused in
``frameworks.refused``) does not have: the two blocks and Megatron's own argument names.
Nothing here imports megatron, torch or a YAML parser.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lrviz.errors import ConfigError
from lrviz.frameworks.base import STRONG, WEAK, Evidence

#: the blocks ``validate_yaml`` merges into the top level, in its order
BLOCKS = ("model_parallel", "language_model")
#: Megatron argument names GPT-NeoX's config has no key for (its neox_args at EleutherAI/gpt-neox ea7aefd8)
OWN = (
    "global_batch_size",
    "micro_batch_size",
    "lr_warmup_fraction",
    "lr_warmup_iters",
    "lr_warmup_samples",
    "lr_warmup_init",
    "lr_decay_samples",
    "train_samples",
    "weight_decay_incr_style",
    "start_weight_decay",
    "end_weight_decay",
    "use_checkpoint_opt_param_scheduler",
    "override_opt_param_scheduler",
    "lr_wsd_decay_style",
    "lr_wsd_decay_iters",
    "lr_wsd_decay_samples",
)
#: names both have (GPT-NeoX's strong keys among them): they tell nothing apart
SHARED = ("lr", "min_lr", "lr_decay_style", "lr_decay_iters", "train_iters", "weight_decay", "seq_length")


def detect(name: str, data: Mapping[str, Any]) -> Evidence:
    """Evidence that a YAML document is a Megatron ``--yaml-cfg`` file: at least two of its own names."""
    blocks = [b for b in BLOCKS if isinstance(data.get(b), Mapping)]
    nested = {k for b in blocks for k in data[b]}
    own = [k for k in OWN if k in data or k in nested]
    if len(blocks) + len(own) < 2:
        return Evidence(name, name)
    shared = [k for k in SHARED if k in data]
    keys = (*blocks, *own, *shared)
    score = STRONG * (len(blocks) + len(own)) + WEAK * len(shared)
    return Evidence(name, name, score, keys, tuple(shared))


def flatten(data: Mapping[str, Any], label: str) -> tuple[dict[str, Any], dict[str, tuple[str, ...]]]:
    """The arguments as ``validate_yaml`` leaves them, and the key path each came from."""
    doc: dict[str, Any] = {}
    paths: dict[str, tuple[str, ...]] = {}
    for key, value in data.items():
        if key in BLOCKS and isinstance(value, Mapping):
            continue
        doc[str(key)] = value
        paths[str(key)] = (str(key),)
    for block in BLOCKS:
        node = data.get(block)
        if not isinstance(node, Mapping):
            continue
        for key, value in node.items():
            if str(key) in doc:
                first = ".".join(paths[str(key)])
                raise ConfigError(
                    f"{label}: {block}.{key}: also set as {first}; Megatron's validate_yaml merges the {block} "
                    "block into the top level and stops on a key given twice: keep one"
                )
            doc[str(key)] = value
            paths[str(key)] = (block, str(key))
    return doc, paths


def missing(doc: Mapping[str, Any], read: tuple[str, ...]) -> list[str]:
    """The arguments the scheduler reads that the file does not set (Megatron's run would stop on them)."""
    return [key for key in read if key not in doc]

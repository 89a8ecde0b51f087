"""Megatron-LM / megatron-core: a launch command's flags (``pretrain_gpt.py --lr ... --lr-decay-style cosine``).

Read by ``read`` (Megatron's defaults and ``get_optimizer_param_scheduler``'s sample arithmetic),
stepped by ``step`` (megatron-core's ``OptimizerParamScheduler`` over a plain torch optimizer,
advanced by the global batch size each iteration), checked by ``rules``, written out by ``code``;
``keys`` classifies every Megatron argument. A launch command is read, and Megatron's ``--yaml-cfg``
file (``yamlcfg``: on its own, or named by a command's ``--yaml-cfg``, whose file then replaces
the command's flags as in Megatron); another YAML with Megatron-style keys is GPT-NeoX's (refused in
``frameworks.refused``). ``--param weight_decay`` draws the weight decay the scheduler sets.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lrviz.config.layer import Layer
from lrviz.frameworks.base import Evidence, Inventory, LibraryAdapter, score_keys
from lrviz.keys import KeyPath

if TYPE_CHECKING:
    from lrviz.frameworks._stepping import Progress
    from lrviz.model import Curve, RunConfig

_STRONG = (
    "lr_decay_style",
    "lr_decay_iters",
    "lr_decay_samples",
    "lr_warmup_iters",
    "lr_warmup_fraction",
    "lr_warmup_samples",
    "train_iters",
    "train_samples",
    "global_batch_size",
    "tensor_model_parallel_size",
    "pipeline_model_parallel_size",
    "yaml_cfg",
)
_WEAK = ("lr", "min_lr", "micro_batch_size", "num_layers", "hidden_size", "seq_length", "num_attention_heads")


class Megatron(LibraryAdapter):
    modules = "lrviz.frameworks.megatron"
    stepper = "TrainingLoop"
    name = "megatron"
    title = "Megatron-LM"
    package = "megatron.core"
    extra = "megatron"
    applies = frozenset({"world_size", "param"})
    config_file_key = "yaml_cfg"
    own_keys = {
        "lr": "--lr VALUE",
        "epochs": "--train-iters N (or --train-samples N)",
        "batch_size": "--global-batch-size N",
    }

    def detect(self, data: Mapping[str, Any]) -> Evidence:
        if "__script__" not in data:  # a --yaml-cfg file; other Megatron-style YAML is GPT-NeoX's (refused there)
            from lrviz.frameworks.megatron import yamlcfg

            return yamlcfg.detect(self.name, data)
        evidence = score_keys(self.name, self.name, data, _STRONG, _WEAK)
        if evidence.keys == ("yaml_cfg",) and not str(data["__script__"]).rsplit("/", 1)[-1].startswith("pretrain_"):
            return Evidence(self.name, self.name)  # one flag is no evidence
        script = str(data["__script__"]).rsplit("/", 1)[-1]
        if evidence and script.startswith("pretrain_"):
            return Evidence(
                self.name, self.name, evidence.score + 1, (*evidence.keys, script), (*evidence.weak, script)
            )
        return evidence if any(k in _STRONG for k in evidence.keys) else Evidence(self.name, self.name)

    def read_command(self, parsed: Any) -> dict[str, Any]:
        """The flags; one that sets the schedule spelled with underscores is refused: Megatron-LM's argparse
        (``allow_abbrev=False``, dashes only) stops on ``--lr_warmup_samples`` with "unrecognized arguments"."""
        from lrviz.errors import ConfigError
        from lrviz.frameworks.megatron.read import ARGS

        for key, flag in parsed.flags.items():
            if flag.line and "_" in flag.flag.lstrip("-") and key in {k for k, _, _ in ARGS}:
                raise ConfigError(
                    f"{parsed.at(key)}: Megatron-LM's flag is --{key.replace('_', '-')}; its argparse stops on "
                    f"{flag.flag} (unrecognized arguments), so the run would not start: spell it with dashes"
                )
        return dict(parsed.data)

    def inventory(self, dialect: str) -> Inventory:
        from lrviz.frameworks.megatron import keys

        return keys.INVENTORY

    def caveats(self, dialect: str) -> Mapping[str, str]:
        from lrviz.frameworks.megatron import keys

        return keys.CAVEATS

    def read_document(
        self,
        data: Mapping[str, Any],
        path: Path | str,
        key: str | None,
        lines: Mapping[KeyPath, int],
        allow_import: tuple[str, ...],
    ) -> Layer:
        """A ``--yaml-cfg`` file with its two blocks merged into the top level, as ``validate_yaml`` does.

        A command's flags are flat already; the keys a file lacks are said for a file only."""
        from lrviz.frameworks.megatron import yamlcfg
        from lrviz.frameworks.megatron.read import ARGS

        doc, paths = yamlcfg.flatten(data, str(path))
        layer = Layer({"document": doc}, {}, str(path), foreign=True, adapter=self.name)
        for name, kp in paths.items():
            line = lines.get(kp)
            layer.where[("document", name)] = f"{path}:{line}: {'.'.join(kp)}" if line else f"{path}: {'.'.join(kp)}"
        unset = yamlcfg.missing(doc, tuple(k for k, _, _ in ARGS))
        if unset and isinstance(path, Path):
            layer.notes.append(
                f"{path}: not in the file: {', '.join(unset)}; Megatron's --yaml-cfg applies no flag defaults "
                "(a key its run reads and the file lacks stops it with AttributeError); lrviz used the flags' defaults"
            )
        return layer

    def mismatch_cause(self, run: RunConfig, code: str, factor: int) -> str | None:
        from lrviz.frameworks.megatron import rules

        return rules.mismatch_cause(run, code, factor)

    def samples_per_step(self, run: RunConfig) -> int | str:
        """The global batch size, when it is the same every iteration (``consumed_train_samples`` grows by
        it, training.py 4811-4818)."""
        from lrviz.frameworks.megatron.read import settings

        fw = settings(run)
        return fw.batch_varies or fw.increment

    def simulate(self, run: RunConfig, *, momentum: bool = False, progress: Progress | None = None) -> Curve:
        """The LRs, and beside them (``param: weight_decay``) the weight decay the scheduler sets."""
        from lrviz.frameworks.megatron.read import settings

        second = settings(run).second
        curve = super().simulate(run, momentum=momentum or second == "weight_decay", progress=progress)
        return curve if second != "weight_decay" else dataclasses.replace(curve, second=second)

"""OpenMMLab mmengine (mmdet, mmseg, mmpretrain, mmyolo): a Python config's ``param_scheduler``, stepped as the Runner does.

The config is a program: ``document`` runs it with mmengine's ``Config.fromfile`` (``_base_``
inheritance, ``--set`` as ``--cfg-options``), only with ``--allow-exec``. Read by ``read``
(what the Runner decides before training: the loop, each scheduler's ``end``, the iterations
per epoch), stepped by ``step`` (mmengine's own scheduler classes, as ParamSchedulerHook steps
them), checked by ``rules``, written out by ``code``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lrviz.config.layer import Layer
from lrviz.errors import ConfigError, option
from lrviz.frameworks.base import STRONG, Evidence, Inventory, KeyKind, LibraryAdapter, Progress, score_keys
from lrviz.model import Curve, RunConfig

#: Top-level names only an mmengine config assigns.
_STRONG = ("param_scheduler", "optim_wrapper", "default_hooks", "default_scope", "lr_config")
_WEAK = ("train_cfg", "train_dataloader", "val_evaluator", "env_cfg", "log_processor", "auto_scale_lr", "vis_backends")

#: The keys ``Runner.from_cfg`` reads (mmengine/runner/runner.py); the LR follows from the first group.
_READ = frozenset(
    {"param_scheduler", "optim_wrapper", "train_cfg", "train_dataloader", "auto_scale_lr", "default_hooks"}
)
_RUNNER = frozenset(
    {
        "model",
        "work_dir",
        "val_dataloader",
        "test_dataloader",
        "val_cfg",
        "test_cfg",
        "val_evaluator",
        "test_evaluator",
        "custom_hooks",
        "data_preprocessor",
        "load_from",
        "resume",
        "launcher",
        "env_cfg",
        "log_processor",
        "log_level",
        "visualizer",
        "default_scope",
        "randomness",
        "experiment_name",
        "compile",
        "cfg",
        "custom_imports",
        "vis_backends",
        "strategy",
        "model_wrapper_cfg",
        # mmcv 1.x keys beside lr_config (refused): no LR of their own
        "optimizer_config",
        "checkpoint_config",
        "runner",
        "evaluation",
    }
)


@dataclass(frozen=True)
class _RunnerInventory(Inventory):
    """mmengine's Runner reads a fixed set of keys: any other top-level name is a config variable.

    A variable (``base_lr``, ``max_epochs``) has no effect of its own: its value is already in the
    keys the Runner reads (``optim_wrapper.optimizer.lr``, ``train_cfg.max_epochs``).
    """

    def kind(self, key: str) -> KeyKind | None:
        return super().kind(key) or KeyKind.NO_EFFECT


_INVENTORY = _RunnerInventory(
    modelled=_READ,
    no_effect=_RUNNER,
    unmodelled={
        "lr_config": "lr_config: the LR hook of mmcv 1.x configs (mmdet 2.x, mmseg 0.x), which mmengine's Runner "
        "does not read; mmengine configs schedule with param_scheduler",
    },
)


class MMEngine(LibraryAdapter):
    modules = "lrviz.frameworks.mmengine"
    stepper = "RunnerLoop"
    name = "mmengine"
    title = "mmengine config"
    dialects = ("openmmlab",)
    program = "mmengine"
    package = "mmengine"
    extra = "mmengine"
    applies = frozenset({"epochs", "steps_per_epoch", "dataset_size", "batch_size", "world_size", "param"})
    own_keys = {
        "optimizer": "optim_wrapper.optimizer.lr=VALUE (or optim_wrapper.optimizer.type=NAME)",
        "grad_accum": "optim_wrapper.accumulative_counts=N (mmengine still steps the schedulers every iteration)",
        "warmup": "param_scheduler='[dict(type=\"LinearLR\", by_epoch=False, begin=0, end=N), ...]'",
        "interval": "param_scheduler.0.by_epoch=False",
    }

    def simulate(self, run: RunConfig, *, momentum: bool = False, progress: Progress | None = None) -> Curve:
        """The LRs, and beside them momentum or (``param: weight_decay``) the weight decay mmengine's schedulers set."""
        from lrviz.frameworks.mmengine.read import settings

        second = settings(run).second
        curve = super().simulate(run, momentum=momentum or second != "momentum", progress=progress)
        return curve if second == "momentum" else dataclasses.replace(curve, second=second)

    def detect(self, data: Mapping[str, Any]) -> Evidence:
        return score_keys(self.name, self.name, data, _STRONG, _WEAK)

    def reads_program(self, path: Path) -> bool:
        from lrviz.frameworks.mmengine import document

        return document.looks_like_mmengine(path)

    def program_refusal(self, path: Path) -> str:
        return (
            f"{path}: an OpenMMLab/mmengine Python config is a program: reading it runs it and its _base_ "
            f"files (mmengine's Config.fromfile); pass {option('allow_exec')} if you trust it"
        )

    def read_program(
        self, path: Path, key: str | None, sets: Sequence[str], allow_import: tuple[str, ...], dialect: str | None
    ) -> Layer:
        """An mmengine Python config, run by mmengine's ``Config.fromfile``.

        Its scheduler dicts use torch's class names (``LinearLR``), so torch's reader would claim them;
        a file mmengine's own loader ran is mmengine's when it assigns an mmengine config's keys.
        """
        from lrviz.frameworks.mmengine import document

        if dialect not in (None, self.name, *self.dialects):
            raise ConfigError(f"{option('dialect')} {dialect}: a Python config is read as an mmengine config only")
        if key:
            raise ConfigError(f"{option('key')} {key}: an mmengine config's schedulers are its param_scheduler list")
        data = document.load(path, sets)
        evidence = self.detect(data)
        if evidence.score < STRONG:
            raise ConfigError(
                f"{path}: mmengine ran it, but it sets none of an mmengine config's keys (param_scheduler, "
                "optim_wrapper, train_cfg)"
            )
        layer = self.read_document(data, path, key, {}, allow_import)
        layer.adapter, layer.dialect = self.name, evidence.dialect
        layer.decided_by = ("mmengine's Config.fromfile", *evidence.keys)
        layer.top_keys = tuple(str(k) for k in data)
        return layer

    def inventory(self, dialect: str) -> Inventory:
        return _INVENTORY

"""fvcore param schedulers in the SAM 2 trainer's layout, stepped as that trainer steps them.

A SAM 2 (or SAM 2-derived) training config gives each param group's LR as an fvcore
``ParamScheduler`` Hydra node under ``trainer.optim.options.lr``; the trainer calls it with
``where``, the fraction of training done, before every optimizer step. Read by ``read``,
stepped by ``step`` (``fvcore.common.param_scheduler``), checked by ``rules``, written out
by ``code``. ``INVENTORY`` names the top-level keys of these trainers' configs; any other key
whose name looks like an LR setting gets a note.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from lrviz.frameworks.base import STRONG, Evidence, Inventory, LibraryAdapter
from lrviz.frameworks.fvcore.nodes import MODULE, fvcore_targets

if TYPE_CHECKING:
    from lrviz.frameworks._stepping import Progress
    from lrviz.model import Curve, RunConfig

#: Top-level keys of SAM 2 / SAM 3 / VGGT training configs: read (the trainer block, or VGGT's flat layout) or
#: no effect on the LR (data, model, logging, launcher). Any other key is listed as unknown.
INVENTORY = Inventory(
    frozenset({"trainer", "optim", "max_epochs", "limit_train_batches"}),
    frozenset(
        (
            "defaults scratch dataset vos launcher submitit paths data model logging checkpoint loss distributed "
            "cuda exp_name img_size num_workers seed_value accum_steps patch_size limit_val_batches val_epoch_freq "
            "mode device env_variables all_roboflow_supercategories"
        ).split()
    ),
    {},
)


class Fvcore(LibraryAdapter):
    modules = "lrviz.frameworks.fvcore"
    stepper = "Sam2Trainer"
    name = "fvcore"
    title = "SAM 2/VGGT trainer (fvcore)"
    dialects = ("sam2",)
    owns_modules = (MODULE,)
    package = "fvcore"
    extra = "fvcore"
    applies = frozenset({"steps_per_epoch", "param"})
    own_keys = {"epochs": "trainer.max_epochs=N (VGGT's layout: max_epochs=N)"}

    def inventory(self, dialect: str) -> Inventory:
        return INVENTORY

    def simulate(self, run: RunConfig, *, momentum: bool = False, progress: Progress | None = None) -> Curve:
        """The LRs, and beside them (``param: weight_decay``) the weight decay the options' schedulers set."""
        from lrviz.frameworks.fvcore.read import settings

        second = settings(run).second
        curve = super().simulate(run, momentum=momentum or second == "weight_decay", progress=progress)
        return curve if second != "weight_decay" else dataclasses.replace(curve, second=second)

    def detect(self, data: Mapping[str, Any]) -> Evidence:
        """Each ``_target_`` naming a class of fvcore's scheduler module: a module only fvcore spells.

        The module is this adapter's (``owns_modules``), so torch's reader withdraws its claim on those
        nodes and on the document's other class nodes (the trainer's, the model's)."""
        found = fvcore_targets(data)
        return Evidence(self.name, self.name, STRONG * len(found), tuple(found[:3]))

"""NVIDIA NeMo configs (``model.optim.sched``, ``trainer``), as NeMo's ``ModelPT.setup_optimization`` runs them.

Read by ``read`` (the step count NeMo gives its scheduler), stepped by ``step`` (NeMo's own
``prepare_lr_scheduler`` and classes of ``nemo.core.optim.lr_scheduler``, once per optimizer
step), checked by ``rules``, written out by ``code``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lrviz.frameworks.base import STRONG, Evidence, Inventory, LibraryAdapter
from lrviz.frameworks.nemo.nodes import nemo_sched


class NeMo(LibraryAdapter):
    modules = "lrviz.frameworks.nemo"
    stepper = "SetupOptimization"
    name = "nemo"
    title = "NVIDIA NeMo"
    package = "nemo"
    extra = "nemo"
    applies = frozenset({"dataset_size"})
    own_keys = {
        "lr": "model.optim.lr=VALUE",
        "epochs": "trainer.max_steps=N (or trainer.max_epochs=N)",
        "world_size": "trainer.devices=N (and trainer.num_nodes=N)",
    }

    def detect(self, data: Mapping[str, Any]) -> Evidence:
        """``optim.sched.name`` is NeMo's alone; its configs also hold Hydra class nodes (models), which must not tie."""
        found = nemo_sched(data)
        if found is None:
            return Evidence(self.name, self.name)
        return Evidence(self.name, self.name, 5 * STRONG, (".".join(map(str, (*found[0], "sched", "name"))),))

    def inventory(self, dialect: str) -> Inventory:
        from lrviz.frameworks.nemo import read

        return read.INVENTORY

    def caveats(self, dialect: str) -> Mapping[str, str]:
        from lrviz.frameworks.nemo import read

        return read.CAVEATS

"""ESPnet (espnet2): a training config's ``scheduler`` / ``scheduler_conf``, stepped as its trainer does.

Read by ``read`` (the task's argparse defaults and ``scheduler_classes``), stepped by ``step``
(``espnet2.schedulers.*`` and torch's, batch- or epoch-stepped by the class's base), checked by
``rules``, written out by ``code``; ``keys`` classifies the config's keys. WeNet configs share
the ``scheduler`` / ``scheduler_conf`` spelling but not ESPnet's trainer: they are named and
refused (``lrviz.frameworks.refused.WeNet``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lrviz.frameworks.base import STRONG, WEAK, Evidence, Inventory, LibraryAdapter, score_keys

#: ESPnet training-config keys no other format spells so (espnet2/tasks/abs_task.py, espnet2/tasks/asr.py).
_STRONG = ("best_model_criterion", "keep_nbest_models", "batch_bins", "num_iters_per_epoch", "frontend_conf", "specaug")
_WEAK = ("optim", "optim_conf", "max_epoch", "accum_grad", "batch_type", "encoder", "encoder_conf", "patience")
#: WeNet's keys beside ``scheduler``: its own trainer, refused by name.
WENET = ("dataset_conf", "tokenizer", "tokenizer_conf", "train_engine", "cmvn", "cmvn_conf")


class ESPnet(LibraryAdapter):
    modules = "lrviz.frameworks.espnet"
    stepper = "Trainer"
    name = "espnet"
    title = "ESPnet"
    owns_keys = ("scheduler_conf",)
    package = "espnet2"
    extra = "espnet"
    applies = frozenset({"steps_per_epoch"})
    own_keys = {
        "epochs": "max_epoch=N",
        "lr": "optim_conf.lr=VALUE",
        "optimizer": "optim_conf.lr=VALUE (and optim=NAME)",
        "grad_accum": "accum_grad=N",
    }

    def detect(self, data: Mapping[str, Any]) -> Evidence:
        if any(k in data for k in WENET):
            return Evidence(self.name, self.name)
        evidence = score_keys(self.name, self.name, data, _STRONG, _WEAK)
        if isinstance(data.get("scheduler"), str) and "scheduler_conf" in data:
            # a scheduler name with its kwargs in a sibling `scheduler_conf` is ESPnet's spelling (WeNet's, whose
            # keys are ruled out above): `scheduler_conf` is this adapter's key (owns_keys), so lrviz's own format,
            # which also takes a bare `scheduler: steplr`, is not claimed for this document
            return Evidence(
                self.name,
                self.name,
                STRONG + WEAK + evidence.score,
                ("scheduler", "scheduler_conf", *evidence.keys),
                ("scheduler", *evidence.weak),
            )
        return evidence if any(k in _STRONG for k in evidence.keys) else Evidence(self.name, self.name)

    def inventory(self, dialect: str) -> Inventory:
        from lrviz.frameworks.espnet import keys

        return keys.INVENTORY

    def caveats(self, dialect: str) -> Mapping[str, str]:
        from lrviz.frameworks.espnet import keys

        return keys.CAVEATS

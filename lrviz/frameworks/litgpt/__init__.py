"""litgpt finetune configs (``config_hub/finetune/*.yaml``: ``train:``, ``optimizer:``, ``devices``), as its scripts run them.

Read by ``read`` (the finetune scripts' step count), stepped by ``step`` (litgpt's own
``get_lr_scheduler``, once per optimizer step), checked by ``rules``, written out by ``code``.
Pretraining configs (``train.max_tokens``: dialect ``litgpt-pretrain``) are read by ``pretrain`` and
stepped with ``litgpt/pretrain.py``'s own ``get_lr``, called per iteration as its ``fit`` calls it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lrviz.frameworks.base import STRONG, WEAK, Evidence, Inventory, LibraryAdapter
from lrviz.model import RunConfig

#: ``litgpt.args.TrainArgs`` fields (litgpt 26857050)
TRAIN_ARGS = (
    "save_interval log_interval global_batch_size micro_batch_size lr_warmup_steps lr_warmup_fraction epochs "
    "max_tokens max_steps max_time max_seq_length tie_embeddings max_norm min_lr"
).split()


#: TrainArgs fields that say litgpt, and the finetune/pretrain scripts' own top-level arguments
_OWN_TRAIN = ("global_batch_size", "micro_batch_size", "lr_warmup_steps", "lr_warmup_fraction", "max_tokens")
#: the dialect of a pretraining config (``train.max_tokens``: litgpt/pretrain.py)
PRETRAIN = "litgpt-pretrain"
_TOP = ("checkpoint_dir", "out_dir", "logger_name", "precision", "devices", "num_nodes", "initial_checkpoint_dir")


class LitGPT(LibraryAdapter):
    modules = "lrviz.frameworks.litgpt"
    stepper = "Script"
    name = "litgpt"
    title = "litgpt"
    dialects = (PRETRAIN,)
    package = "litgpt"
    extra = "litgpt"
    applies = frozenset({"dataset_size"})
    own_keys = {
        "optimizer": "optimizer.init_args.lr=VALUE",
        "lr": "optimizer.init_args.lr=VALUE",
        "epochs": "train.epochs=N",
        "batch_size": "train.micro_batch_size=N",
        "world_size": "devices=N (and num_nodes=N)",
    }

    def detect(self, data: Mapping[str, Any]) -> Evidence:
        """A ``train:`` block of TrainArgs fields beside litgpt's own top-level keys; one shared key decides nothing.

        ``global_batch_size`` alone is no evidence (Hydra projects have a ``train.global_batch_size`` too):
        two TrainArgs fields and one of litgpt's script arguments (``checkpoint_dir``, ``out_dir``, ...)."""
        train = data.get("train")
        if not isinstance(train, Mapping):
            return Evidence(self.name, self.name)
        own = [f"train.{k}" for k in _OWN_TRAIN if k in train]
        top = [k for k in _TOP if k in data]
        if len(own) < 2 or not top:
            return Evidence(self.name, self.name)
        dialect = PRETRAIN if train.get("max_tokens") else self.name
        return Evidence(self.name, dialect, STRONG * len(own) + WEAK * len(top), (*own, *top), tuple(top))

    def inventory(self, dialect: str) -> Inventory:
        from lrviz.frameworks.litgpt import read

        return read.PRETRAIN_INVENTORY if dialect == PRETRAIN else read.INVENTORY

    def caveats(self, dialect: str) -> Mapping[str, str]:
        from lrviz.frameworks.litgpt import read

        return read.PRETRAIN_CAVEATS if dialect == PRETRAIN else read.CAVEATS

    def log_alignment(self, run: RunConfig) -> str | None:
        """litgpt logs ``learning_rate`` at the batch, ``fabric.log_dict(metrics, step=iter_num)`` (finetune;
        pretrain: ``iter_num - 1``): with gradient accumulation a logged step is not an optimizer step."""
        accumulation = getattr(run.settings, "accumulation", 1)
        if accumulation <= 1:
            return None
        return (
            f"litgpt logs the LR at each batch (step=iter_num), and this run takes an optimizer step every "
            f"{accumulation} batches (gradient accumulation): lrviz cannot put such a log on the plan's "
            "optimizer steps yet, so it does not compare them"
        )

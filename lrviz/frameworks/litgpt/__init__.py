"""litgpt finetune configs (``config_hub/finetune/*.yaml``: ``train:``, ``optimizer:``, ``devices``), as its scripts run them.

Read by ``read`` (the finetune scripts' step count), stepped by ``step`` (litgpt's own
``get_lr_scheduler``, once per optimizer step), checked by ``rules``, written out by ``code``.
Pretraining configs (``train.max_tokens``: dialect ``litgpt-pretrain``) are read by ``pretrain`` and
stepped with ``litgpt/pretrain.py``'s own ``get_lr``, called per iteration as its ``fit`` calls it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from lrviz.frameworks.base import STRONG, WEAK, Evidence, Inventory, LibraryAdapter
from lrviz.model import RunConfig

if TYPE_CHECKING:
    from lrviz.logs.axis import LogAxis

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

    def mismatch_cause(self, run: RunConfig, code: str, factor: int) -> str | None:
        from lrviz.frameworks.litgpt import rules

        return rules.mismatch_cause(run, code, factor)

    def log_axis(self, run: RunConfig) -> LogAxis:
        """litgpt logs ``learning_rate`` at the batch, not the optimizer step (its gradient accumulation is
        ``TrainArgs.gradient_accumulation_iters``, the settings' ``accumulation``):

        * finetune (``finetune/lora.py`` 353-366, 376-402; ``full.py``, ``adapter.py``, ``adapter_v2.py`` alike):
          ``fabric.log_dict(metrics, step=iter_num)`` at every batch, ``iter_num`` 1-based, with
          ``scheduler.get_last_lr()[0]`` after the scheduler stepped on the batches that end an accumulation:
          logged step ``s`` is optimizer step ``s // A``;
        * pretrain (``pretrain.py`` 324, 341-345, 365-401): ``step=iter_num - 1``, only on the iterations that end an
          accumulation, with the LR ``get_lr`` set for that iteration: optimizer step ``(s - (A - 1)) // A``.
        """
        from lrviz.frameworks.litgpt import pretrain
        from lrviz.logs.axis import LogAxis

        if isinstance(run.settings, pretrain.PretrainSettings):
            a = run.settings.accumulation
            return LogAxis(a, a - 1, "litgpt-pretrain", aligned=True, what="iteration")
        return LogAxis(getattr(run.settings, "accumulation", 1), 0, "litgpt", what="batch")

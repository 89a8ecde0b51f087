"""DeepSpeed: a ``ds_config.json``'s ``scheduler: {type, params}`` block, stepped as the engine does.

Read by ``read`` (the block and the optimizer block), stepped by ``step``
(``deepspeed.runtime.lr_schedules``), checked by ``rules``, written out by ``code``.
The key inventory is the DeepSpeed config's top level: ``scheduler`` and ``optimizer``
are read; the rest (batch sizes, ZeRO, precision, logging) do not change the schedule,
whose length is ``total_num_steps`` or the run's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lrviz.frameworks.base import STRONG, Evidence, Inventory, LibraryAdapter, score_keys

_STRONG = (
    "zero_optimization",
    "train_micro_batch_size_per_gpu",
    "train_batch_size",
    "gradient_clipping",
    "zero_allow_untested_optimizer",
    "steps_per_print",
    "wall_clock_breakdown",
)

INVENTORY = Inventory(
    frozenset({"scheduler", "optimizer"}),
    frozenset(
        {
            "train_batch_size",
            "train_micro_batch_size_per_gpu",
            "gradient_accumulation_steps",
            "gradient_clipping",
            "zero_optimization",
            "zero_allow_untested_optimizer",
            "zero_force_ds_cpu_optimizer",
            "fp16",
            "bf16",
            "amp",
            "steps_per_print",
            "wall_clock_breakdown",
            "dump_state",
            "prescale_gradients",
            "gradient_predivide_factor",
            "sparse_gradients",
            "communication_data_type",
            "seq_parallel_communication_data_type",
            "activation_checkpointing",
            "flops_profiler",
            "tensorboard",
            "wandb",
            "csv_monitor",
            "comet",
            "elasticity",
            "aio",
            "data_efficiency",
            "curriculum_learning",
            "compression_training",
            "checkpoint",
            "data_types",
            "memory_breakdown",
            "pipeline",
            "autotuning",
            "nebula",
            "comms_logger",
            "monitor_config",
            "hybrid_engine",
            "weight_quantization",
            "torch_autocast",
            "compile",
            "timers",
            "load_universal_checkpoint",
            "use_node_local_storage",
            "graph_harvesting",
            "disable_allgather",
            "zero_optimization_stage",
            "sparse_attention",
            "tensor_parallel",
            "train_micro_batch_size",
            "eigenvalue",
            "progressive_layer_drop",
        }
    ),
    {},
)
CAVEATS = {
    "fp16": "fp16 with dynamic loss scaling skips scheduler.step() on every overflow, so a real run's LR lags "
    "this plan by the skipped steps",
}


class DeepSpeed(LibraryAdapter):
    modules = "lrviz.frameworks.deepspeed"
    stepper = "Engine"
    name = "deepspeed"
    title = "DeepSpeed"
    package = "deepspeed"
    extra = "deepspeed"
    applies = frozenset({"max_steps", "epochs", "steps_per_epoch"})
    own_keys = {"optimizer": "optimizer.params.lr=VALUE", "lr": "optimizer.params.lr=VALUE"}

    def detect(self, data: Mapping[str, Any]) -> Evidence:
        from lrviz.frameworks.deepspeed import read

        if read.is_block(data.get("scheduler")):
            evidence = score_keys(self.name, self.name, data, _STRONG)
            return Evidence(self.name, self.name, evidence.score + 3 * STRONG, ("scheduler", *evidence.keys))
        # without a scheduler block, DeepSpeed's keys are shared: GPT-NeoX, HF and Lightning configs carry them
        return score_keys(self.name, self.name, data, (), _STRONG)

    def inventory(self, dialect: str) -> Inventory:
        return INVENTORY

    def caveats(self, dialect: str) -> Mapping[str, str]:
        return CAVEATS

"""The keys of torchtune's recipe configs (``recipes/configs/**.yaml`` of meta-pytorch/torchtune bd2a0fc7), classified.

A recipe reads its config with ``cfg.get``/``cfg.<key>``; the keys below are those the
finetuning, DPO, distillation and GRPO recipes read. Components (``model``, ``tokenizer``,
``loss``, ...) are built with ``config.instantiate`` and do not touch the LR.
"""

from __future__ import annotations

from lrviz.frameworks.base import Inventory

READ = frozenset(
    {
        "lr_scheduler",
        "optimizer",
        "epochs",
        "max_steps_per_epoch",
        "gradient_accumulation_steps",
        "batch_size",
        "ppo_epochs",
        "num_steps",  # the GRPO recipe's length in batches
    }
)
CAVEATS = {
    "dataset": "the steps per epoch follow the dataset's length (after packing, with packed: true): give "
    "--dataset-size as the samples (or packs) the recipe's loader sees",
    "resume_from_checkpoint": "the run resumes from a checkpoint: the recipe continues this schedule from its "
    "global step (last_epoch = global_step - 1)",
    "tensor_parallel_dim": "tensor parallelism shares each batch across ranks: give --world-size as the "
    "data-parallel size",
    "context_parallel_dim": "context parallelism shares each batch across ranks: give --world-size as the "
    "data-parallel size",
    "data_parallel_shard_dim": "the data-parallel size is the ranks that each read their own batches: give "
    "--world-size as that size",
    "data_parallel_replicate_dim": "the data-parallel size is the ranks that each read their own batches: give "
    "--world-size as that size",
}
NO_EFFECT = frozenset(
    (
        "output_dir model tokenizer checkpointer ref_checkpointer teacher_checkpointer teacher_model loss kd_loss "
        "kd_ratio seed shuffle optimizer_in_bwd clip_grad_norm compile device dtype enable_activation_checkpointing "
        "enable_activation_offloading activation_offloading_use_streams custom_sharded_layers fsdp_cpu_offload "
        "fsdp_reshard_after_forward cpu_offload metric_logger log_every_n_steps log_peak_memory_stats log_level "
        "profiler save_adapter_weights_only save_every_n_steps keep_last_n_checkpoints collate_fn "
        "dataset_val run_val_every_n_steps quantizer fake_quant_after_n_steps low_cpu_ram "
        "save_last_epoch_only ppo_batch_size ppo_backward_batches gradient_accumulation_steps_ref "
        "forward_batch_size generation stop_token_ids max_generated_tokens temperature top_k "
        "min_response_length penalise_no_eos reward_penalty value_clip_range gamma lmbda kl_coeff "
        "whiten_rewards epsilon value_coeff grpo_samples reward_model reward_checkpointer value_checkpointer "
        "policy_model value_model ref_policy_checkpointer policy_checkpointer tensor_parallel_plan "
        "inference grpo_size cuda_graphs dataloader "
        # the other top-level keys of torchtune's own configs (bd2a0fc7): validation, variables, older recipes
        "batch_size_val name base_model_path save_every_n_epochs datasets reward_functions fsdp ac_mode ac_option "
        "memory_efficient_fsdp_wrap"
    ).split()
)
INVENTORY = Inventory(READ, NO_EFFECT | frozenset(CAVEATS), {})

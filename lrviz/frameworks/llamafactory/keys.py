"""Every argument of LLaMA-Factory's v1 parser, classified.

``HfArgumentParser([ModelArguments, DataArguments, TrainingArguments, SampleArguments])``
(``src/llamafactory/v1/config/arg_parser.py``) of hiyouga/LLaMA-Factory at ff6d4d12 (2026-08-18).
"""

from __future__ import annotations

from lrviz.frameworks.base import Inventory

READ = frozenset(
    {
        "learning_rate",
        "num_train_epochs",
        "max_steps",
        "micro_batch_size",
        "global_batch_size",
        "batching_strategy",
        "dp_size",
        "cp_size",
        "lr_scheduler_config",
        "optim_config",
    }
)
CAVEATS = {
    "dist_config": "with name: deepspeed, BaseTrainer hands its LambdaLR to deepspeed.initialize, and a scheduler "
    "block in the DeepSpeed config file would replace it; FSDP2 and DDP step it as built",
    "resume_from_checkpoint": "the run resumes from a checkpoint: it continues this schedule from its step",
}
NO_EFFECT = frozenset(
    (
        "output_dir cutoff_len max_grad_norm bf16 batching_workers enable_activation_checkpointing cp_mode "
        "mp_replicate_size mp_shard_size dist_timeout seed full_determinism save_steps save_epochs save_ckpt_as_hf "
        "save_total_limit logging_steps pref_loss pref_beta pref_ftx simpo_gamma dpo_label_smoothing ld_alpha "
        "model custom_chat_template trust_remote_code flash_attn model_class init_config peft_config kernel_config "
        "quant_config train_dataset eval_dataset sample_backend max_new_tokens"
    ).split()
)
INVENTORY = Inventory(READ, NO_EFFECT | frozenset(CAVEATS), {})

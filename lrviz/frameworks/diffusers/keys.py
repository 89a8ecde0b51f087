"""Every flag of diffusers' example training scripts, classified.

The flags are the ``add_argument`` names of the scripts listed in ``scripts.SCRIPTS`` (and
``train_text_to_image.py``'s family) at huggingface/diffusers 58eb52c0. Read ones are
``read.DEFAULTS``; caveats change the LR of some parameters or the step count in ways the
command alone cannot tell and are said in a note; the rest are model, data, logging and
checkpointing flags.
"""

from __future__ import annotations

from lrviz.frameworks.base import Inventory
from lrviz.frameworks.diffusers.read import DEFAULTS

READ = frozenset(DEFAULTS)
CAVEATS = {
    "text_encoder_lr": "text_encoder_lr gives the text encoder's parameters their own LR; the curve is the main "
    "group's, the text encoder follows the same shape from its own LR",
    "train_text_encoder": "train_text_encoder adds the text encoder's parameters as a second param group with the "
    "same schedule",
    "train_text_encoder_frac": "train_text_encoder_frac stops training the text encoder part-way; the main group's "
    "schedule is unchanged",
    "train_text_encoder_ti_frac": "train_text_encoder_ti_frac stops the textual-inversion embeddings part-way; the "
    "main group's schedule is unchanged",
    "optimizer": "optimizer: with prodigy, the LR shown is the multiplier of Prodigy's own adaptive step size "
    "(the scripts recommend learning_rate 1.0 with it)",
    "resume_from_checkpoint": "the run resumes from a checkpoint: it continues this schedule from its step",
    "num_epochs": "num_epochs is train_unconditional.py's count, which sizes its scheduler from the dataloader "
    "length; lrviz reads num_train_epochs and max_train_steps",
    "max_train_samples": "max_train_samples truncates the dataset: give --dataset-size as the samples kept",
    "repeats": "repeats repeats the instance images each epoch: give --dataset-size as the samples seen per epoch",
}
#: Flags of the scripts that change neither the LR nor the number of optimizer steps.
NO_EFFECT = frozenset(
    (
        "adam_beta1 adam_beta2 adam_epsilon adam_weight_decay adam_weight_decay_text_encoder allow_tf32 "
        "cache_dir cache_latents caption_column center_crop checkpointing_steps checkpoints_total_limit "
        "class_data_dir class_labels_conditioning class_prompt clip_skip conditioning_dropout_prob "
        "conditioning_image_column controlnet_model_name_or_path dataloader_num_workers dataset_config_name "
        "dataset_name ddpm_beta_schedule ddpm_num_inference_steps ddpm_num_steps do_edm_style_training "
        "dream_detail_preservation dream_training edit_prompt_column edited_image_column ema_inv_gamma "
        "ema_max_decay ema_power enable_npu_flash_attention enable_xformers_memory_efficient_attention "
        "eval_batch_size foreach_ema gradient_checkpointing guidance_scale hub_model_id hub_private_repo "
        "hub_token image_column image_interpolation_mode initializer_token input_perturbation "
        "instance_data_dir instance_prompt learnable_property local_rank logger logging_dir logit_mean "
        "logit_std lora_alpha lora_blocks lora_dropout lora_layers lora_unet_blocks max_grad_norm "
        "max_sequence_length mixed_precision mode_scale model_config_name_or_path no_safe_serialization "
        "noise_offset non_ema_revision num_class_images num_new_tokens_per_abstraction num_validation_images "
        "num_vectors offload_ema offset_noise original_image_column output_dir output_kohya_format "
        "overwrite_output_dir placeholder_token pre_compute_text_embeddings precondition_outputs "
        "prediction_type preserve_input_precision pretrained_model_name_or_path "
        "pretrained_vae_model_name_or_path prior_generation_precision prior_loss_weight prodigy_beta3 "
        "prodigy_decouple prodigy_safeguard_warmup prodigy_use_bias_correction proportion_empty_prompts "
        "push_to_hub random_flip rank report_to resolution revision sample_batch_size save_as_full_pipeline "
        "save_images_epochs save_model_epochs save_steps seed set_grads_to_none skip_save_text_encoder "
        "snr_gamma text_encoder_use_attention_mask timestep_bias_begin timestep_bias_end "
        "timestep_bias_multiplier timestep_bias_portion timestep_bias_strategy token_abstraction "
        "tokenizer_max_length tokenizer_name tracker_project_name train_data_dir train_text_encoder_ti "
        "upcast_before_saving use_8bit_adam use_blora use_dora use_ema val_image_url validation_epochs "
        "validation_image validation_images validation_prompt validation_prompts validation_scheduler "
        "validation_steps variant weighting_scheme with_prior_preservation "
    ).split()
)

INVENTORY = Inventory(READ, NO_EFFECT | frozenset(CAVEATS), {})

"""Every argument of timm's ``train.py`` (an ``args.yaml`` dumps them all), classified.

The read ones are ``read.ARGS`` plus ``sched``; the rest are the data, model, augmentation
and logging arguments of ``train.py`` (and of widely used forks: FasterViT, MambaVision,
DeiT-style scripts) that do not change the LR or the number of updates.
"""

from __future__ import annotations

from lrviz.frameworks.base import Inventory
from lrviz.frameworks.timm.read import _PASSED, ARGS

READ = frozenset({"sched", "start_epoch", *(key for key, *_ in ARGS), *_PASSED})

CAVEATS = {
    "layer_decay": "layer_decay gives each layer its own LR (scaled from lr); the curve is the base group's, "
    "the others follow the same shape",
    "epoch_repeats": "epoch_repeats repeats the dataset within an epoch, so the updates per epoch grow: give "
    "--dataset-size as the samples seen per epoch",
    "resume": "the run resumes from a checkpoint: it continues this schedule from its epoch",
}

NO_EFFECT = frozenset(
    (
        "ThreeAugment aa activation_tracker amp ampere_sparsity aot_autograd apex_amp attn_drop_rate aug_repeats "
        "aug_splits bce_loss bce_target_thresh bn_eps bn_momentum bn_tf channels_last checkpoint_hist class_map "
        "clip_grad clip_mode cls_weight color_jitter crop_pct cutmix cutmix_minmax data_dir data_len dataset "
        "dataset_download dense_weight dist_bn drop drop_block drop_connect drop_path drop_rate experiment finetune "
        "fuser gp grad_checkpointing ground_truth hflip img_size initial_checkpoint input_size interpolation jsd "
        "jsd_loss loadcheckpoint local_rank log_dir log_interval log_wandb mean mesa mesa_start_ratio mixup "
        "mixup_mode mixup_off_epoch mixup_prob mixup_switch_prob model model_ema model_ema_decay "
        "model_ema_force_cpu momentum native_amp no_aug no_ddp_bb no_prefetcher no_resume_opt no_saver num_classes "
        "opt_betas opt_eps output pin_mem pretrained ratio recount recovery_interval remode reprob resplit "
        "save_images scale smoothing split_bn std sync_bn tag token_label token_label_data token_label_size "
        "torchscript train_interpolation train_split tta use_multi_epochs_loader val_split validate_only "
        "validation_batch_size validation_batch_size_multiplier vflip weight_decay worker_seeding workers "
        "amp_dtype amp_impl bce_pos_weight bce_sum model_dtype model_kwargs model_ema_warmup num_classes "
        "dataset_trust_remote_code input_img_mode input_key target_key train_num_samples val_num_samples "
        "train_crop_mode color_jitter_prob grayscale_prob gaussian_blur_prob naflex_loader naflex_max_seq_len "
        "naflex_train_seq_lens opt_kwargs pretrained_path resume_opt synchronize_step torchcompile torchcompile_mode "
        "device device_modules head_init_bias head_init_scale layer_decay_min_scale layer_decay_no_opt_scale "
        "fast_norm checkpoint_hist eval_interval"
    ).split()
)

INVENTORY = Inventory(READ, NO_EFFECT | frozenset(CAVEATS), {})

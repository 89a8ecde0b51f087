"""Every argument of timm's ``train.py`` (an ``args.yaml`` dumps them all), classified.

The read ones are ``read.ARGS`` plus ``sched``; the rest are the data, model, augmentation
and logging arguments of ``train.py`` (and of widely used forks: FasterViT, MambaVision,
DeiT-style scripts) that do not change the LR or the number of updates.
"""

from __future__ import annotations

from lrviz.frameworks.base import Inventory
from lrviz.frameworks.timm.read import _PASSED, ARGS

READ = frozenset({"sched", "start_epoch", *(key for key, *_ in ARGS), *_PASSED})

_CAVEATS = {
    "layer_decay": "layer_decay gives each layer its own LR (scaled from lr); the curve is the base group's, "
    "the others follow the same shape",
    "epoch_repeats": "epoch_repeats repeats the dataset within an epoch, so the updates per epoch grow: give "
    "--dataset-size as the samples seen per epoch",
    "resume": "the run resumes from a checkpoint: it continues this schedule from its epoch",
}

#: Every ``add_argument`` dest of timm's ``train.py`` at pytorch-image-models aa4b5850 (2026-08-08):
#: ``tests/frameworks/timm`` checks that each is read, a caveat, or reviewed as no effect.
TRAIN_PY = frozenset(
    (
        "aa amp amp_dtype aug_repeats aug_splits batch_size bce_loss bce_pos_weight bce_sum bce_target_thresh "
        "bn_eps bn_momentum channels_last checkpoint_hist class_map clip_grad clip_mode color_jitter "
        "color_jitter_prob config cooldown_epochs crop_pct cutmix cutmix_minmax data data_dir dataset "
        "dataset_download dataset_trust_remote_code decay_epochs decay_milestones decay_rate device "
        "device_modules dist_bn distill_loss_weight drop drop_block drop_connect drop_path epoch_repeats "
        "epochs eval_metric experiment fast_norm fuser gaussian_blur_prob gp grad_accum_steps "
        "grad_checkpointing grayscale_prob head_init_bias head_init_scale hflip img_size in_chans "
        "initial_checkpoint input_img_mode input_key input_size interpolation jsd_loss kd_distill_type "
        "kd_loss_type kd_model_name kd_student_feature_dim kd_teacher_feature_dim kd_temperature "
        "kd_token_distill_type layer_decay layer_decay_min_scale layer_decay_no_opt_scale local_rank "
        "log_interval log_wandb lr lr_base lr_base_scale lr_base_size lr_cycle_decay lr_cycle_limit "
        "lr_cycle_mul lr_k_decay lr_noise lr_noise_pct lr_noise_std mean min_lr mixup mixup_mode "
        "mixup_off_epoch mixup_prob mixup_switch_prob model model_dtype model_ema model_ema_decay "
        "model_ema_force_cpu model_ema_warmup model_kwargs momentum naflex_loader naflex_loss_scale "
        "naflex_max_seq_len naflex_patch_size_probs naflex_patch_sizes naflex_patchify_channels_first "
        "naflex_train_seq_lens no_aug no_ddp_bb no_prefetcher no_resume_opt num_classes opt opt_betas opt_eps "
        "opt_kwargs output patience_epochs pin_mem pretrained pretrained_path ratio recount recovery_interval "
        "remode reprob resplit resume save_images scale sched sched_on_updates seed smoothing split_bn "
        "start_epoch std sync_bn synchronize_step target_key task_loss_weight torchcompile torchcompile_mode "
        "torchscript train_batch_sizes train_batches_per_epoch train_crop_mode train_img_sizes "
        "train_interpolation train_num_samples train_size_probs train_size_random_mix train_size_schedule "
        "train_size_schedule_spread train_split tta use_multi_epochs_loader val_interval val_num_samples "
        "val_split validation_batch_size variable_batch_loss_scale vflip wandb_project wandb_resume_id "
        "wandb_tags warmup_epochs warmup_lr warmup_prefix weight_decay worker_seeding workers "
    ).split()
)
#: Arguments of forks' train.py (FasterViT, MambaVision, DeiT-style scripts) seen in real args.yaml files.
FORKS = frozenset(
    (
        "ThreeAugment activation_tracker ampere_sparsity aot_autograd apex_amp attn_drop_rate bn_tf cls_weight data_len "
        "dense_weight drop_rate finetune ground_truth jsd loadcheckpoint log_dir mesa mesa_start_ratio native_amp "
        "no_saver tag token_label token_label_data token_label_size validate_only validation_batch_size_multiplier"
    ).split()
)
#: train.py arguments that change the updates per epoch or the LR of some groups: said in a note when set.
CAVEATS = {
    **_CAVEATS,
    "train_batches_per_epoch": "train_batches_per_epoch caps the batches of an epoch: the updates per epoch follow it",
    "train_num_samples": "train_num_samples sets an iterable dataset's length: give --dataset-size as it",
    "train_batch_sizes": "train_batch_sizes varies the batch size, so the updates per epoch vary",
    "train_size_schedule": "train_size_schedule varies the batch size over training",
}
NO_EFFECT = (TRAIN_PY | FORKS) - READ - frozenset(CAVEATS)

INVENTORY = Inventory(READ, NO_EFFECT | frozenset(CAVEATS), {})

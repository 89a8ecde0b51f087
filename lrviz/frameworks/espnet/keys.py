"""Every key of an ESPnet training config (an ``exp/*/config.yaml`` dumps them all), classified.

The read ones set the optimizer, the scheduler and the run's length. The rest are the
model, data, iterator and logging arguments of ``espnet2/tasks/abs_task.py`` and the ASR/TTS
tasks that change neither the LR nor the number of optimizer steps per epoch once
``num_iters_per_epoch`` (or ``--steps-per-epoch``) gives it.
"""

from __future__ import annotations

from lrviz.frameworks.base import Inventory

READ = frozenset(
    {"scheduler", "scheduler_conf", "optim", "optim_conf", "max_epoch", "accum_grad", "num_iters_per_epoch"}
)

UNMODELLED = {
    "optim2": "optim2: a second optimizer (GAN tasks), with its own scheduler2",
    "scheduler2": "scheduler2: a second scheduler (GAN tasks) for optim2",
    "exclude_weight_decay": "exclude_weight_decay: splits the parameters into groups built by the task's code",
}

CAVEATS = {
    "use_amp": "use_amp: a step whose gradient is not finite skips optimizer.step() and scheduler.step() "
    "together, so a real run's batch-stepped LR lags this plan by the skipped steps",
    "resume": "resume: the run continues from its checkpoint's epoch and scheduler state, on this same curve",
}

NO_EFFECT = frozenset(
    (
        "patience batch_type batch_size batch_bins valid_batch_type valid_batch_size valid_batch_bins valid_max_cache_size "
        "max_cache_size max_cache_fd allow_multi_rates iterator_type sort_in_batch sort_batch shuffle_within_batch "
        "fold_length chunk_length chunk_shift_ratio num_cache_chunks chunk_excluded_key_prefixes chunk_default_fs "
        "chunk_max_abs_length multiple_iterator train_data_path_and_name_and_type valid_data_path_and_name_and_type "
        "train_shape_file valid_shape_file allow_variable_data_keys drop_last_iter init init_param ignore_init_mismatch "
        "freeze_param best_model_criterion keep_nbest_models nbest_averaging_interval early_stopping_criterion "
        "val_scheduler_criterion grad_clip grad_clip_type grad_noise log_interval num_att_plot no_forward_run "
        "use_matplotlib use_tensorboard create_graph_in_tensorboard use_wandb wandb_project wandb_id wandb_entity "
        "wandb_name wandb_model_log_interval detect_anomaly use_lora use_adapter adapter save_lora_only lora_conf "
        "adapter_conf pretrain_path pretrain_key model model_conf e2e_conf encoder encoder_conf decoder decoder_conf "
        "frontend frontend_conf specaug specaug_conf normalize normalize_conf preencoder preencoder_conf "
        "postencoder postencoder_conf ctc_conf joint_net_conf transducer_decoder transducer_decoder_conf "
        "token_list token_type bpemodel non_linguistic_symbols cleaner g2p input_size output_dir ngpu seed "
        "num_workers dist_backend dist_init_method dist_world_size dist_rank local_rank dist_master_addr "
        "dist_master_port dist_launcher multiprocessing_distributed unused_parameters sharded_ddp "
        "gradient_as_bucket_view ddp_comm_hook cudnn_enabled cudnn_benchmark cudnn_deterministic use_deepspeed "
        "deepspeed_config collect_stats write_collected_feats print_config log_level dry_run iterator_type "
        "use_preprocessor speech_volume_normalize rir_scp rir_apply_prob noise_scp noise_apply_prob noise_db_range "
        "short_noise_thres aux_ctc aux_ctc_tasks required use_nested_dict preprocessor preprocessor_conf "
        "tts tts_conf pitch_extract pitch_extract_conf pitch_normalize pitch_normalize_conf energy_extract "
        "energy_extract_conf energy_normalize energy_normalize_conf feats_extract feats_extract_conf odim "
        "lm lm_conf ctc_weight lsm_weight length_normalized_loss report_cer report_wer sym_space sym_blank "
        "use_amp_dtype use_tf32 save_strategy train_dtype src_tokenizer_encode_conf tgt_tokenizer_encode_conf"
    ).split()
)

INVENTORY = Inventory(READ, NO_EFFECT | frozenset(CAVEATS), UNMODELLED)

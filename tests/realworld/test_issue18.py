"""Evidence for issue 18 ("never a silent wrong curve") on 73 configs lrviz had never seen.

Each row is the command a new user types on one file of ``tests/realworld/configs`` added for
the issue (``SOURCES.md``: provenance; ``GROUND_TRUTH.md``: what the framework does with each
file, from its own source). A row either renders and is compared ``==`` with a loop written here
with the framework's own class (``HFSchedule``: ``transformers.get_scheduler`` stepped as the
Trainer steps it; ``Schedule``: the torch class stepped as a training loop does), and the notes
that say what lrviz could not see; or is refused in one line naming the framework and the key.

``test_every_new_config_has_a_row`` keeps the table complete: a config added to the corpus
without a row fails.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from tests.realworld.helpers import CONFIGS, Case, HFSchedule, Refusal, Schedule, case_id, run_case

HF = ("transformers",)
MAX_SAMPLES = "max_samples caps the training set"
WARMUP_RATIO = "warmup_ratio 0.1 read as warmup_steps 0.1"
N = "--dataset-size 1000"

CASES: list[Case] = [
    # ---------------------------------------------------------------- LLaMA-Factory, classic layout (HF Trainer)
    Case(
        "llm_llamafactory/lf_qwen3_lora_dpo_cosine.yaml",
        f"render {{file}} {N}",
        HFSchedule("cosine", 5e-6, 38, 375, stderr=(WARMUP_RATIO, MAX_SAMPLES)),
        "max_samples said",
        HF,
    ),
    Case(
        "llm_llamafactory/lf_qwen3_lora_sft_ds3_deepspeed_relative.yaml",
        f"render {{file}} {N}",
        HFSchedule("cosine", 1e-4, 150, 1500, stderr=("examples/deepspeed/ds_z3_config.json is not found",)),
        "a deepspeed: file the Trainer opens from the launch directory, not found: said",
        HF,
    ),
    Case(
        "llm_llamafactory/lf_llama3_galore_layerwise_full_sft.yaml",
        f"render {{file}} {N}",
        HFSchedule("cosine", 1e-5, 300, 3000, stderr=("galore_layerwise builds one optimizer and scheduler",)),
        "caveat key said",
        HF,
    ),
    Case(
        "llm_llamafactory/lf_llama3_loraplus_lr_ratio.yaml",
        f"render {{file}} {N}",
        HFSchedule("cosine", 1e-4, 38, 375, stderr=("loraplus_lr_ratio gives the LoRA B matrices",)),
        "a key that gives other groups their own LR: said",
        HF,
    ),
    Case(
        "llm_llamafactory/lf_llama3_badam_full_sft.yaml",
        f"render {{file}} {N}",
        HFSchedule("cosine", 1e-5, 38, 375, stderr=(MAX_SAMPLES,)),
        "read as TrainingArguments",
        HF,
    ),
    Case(
        "llm_llamafactory/lf_qwen2_muon_full_sft.yaml",
        f"render {{file}} {N}",
        HFSchedule("cosine", 1e-5, 38, 375),
        "read as TrainingArguments",
        HF,
    ),
    Case(
        "llm_llamafactory/lf_qwen3_lora_pretrain.yaml",
        f"render {{file}} {N}",
        HFSchedule("cosine", 1e-4, 38, 375, stderr=("pre-training packs the text into cutoff_len blocks",)),
        "stage: pt packing said",
        HF,
    ),
    # ---------------------------------------------------------------- LLaMA-Factory v1 layout: never axolotl
    # BaseTrainer's LambdaLR(lambda x: 1.0) over max_steps (tests/frameworks/llamafactory has the step arithmetic)
    *(
        Case(
            f"llm_llamafactory/{name}",
            "render {file}",
            Schedule("LambdaLR", {"lr_lambda": "1.0"}, epochs=steps, lr=lr, interval="step", stderr=stderr),
            "dialect by evidence: micro_batch_size is no axolotl evidence beside model_class; v1's constant LambdaLR",
        )
        for name, lr, stderr, steps in (
            ("lf_v1_dynamic_batching.yaml", 1e-4, (), 10),
            ("lf_v1_train_full_deepspeed_dist_config.yaml", 1e-4, ("hands its LambdaLR to deepspeed.initialize",), 10),
            ("lf_v1_train_full_muon_optim_config.yaml", 1e-3, ("never reads learning_rate (1e-05)",), 10),
            ("lf_v1_train_lora_sft_constant.yaml", 1e-4, (), 10),
            # second and third repositories: projects that carry LLaMA-Factory's v1 examples as they were
            ("lf_v1_tennisexpert_train_full_fsdp2.yaml", 1e-4, ("trains at a constant LR (0.0001)",), 10),
            ("lf_v1_lfactory_freeze_sft.yaml", 2e-5, ("trains at a constant LR (2e-05)",), 10),
            ("lf_v1_lfactory_npu_longctx_cp_size.yaml", 1e-5, ("for all 100 steps",), 100),
            # upstream's MTP resume example (its resume_from_checkpoint commented out; mtp_config named as unknown)
            ("lf_v1_mtp_resume_from_checkpoint_commented.yaml", 1e-4, ("for all 20 steps",), 20),
        )
    ),
    # ---------------------------------------------------------------- axolotl
    # axolotl's own schedulers are stepped (tests/frameworks/axolotl compares each file's curve with axolotl's
    # classes); without the dataset size the steps are unknown, and the refusal says what to pass
    *(
        Case(
            f"llm_axolotl/{name}",
            "render {file}",
            Refusal(("axolotl counts the steps from the dataset size", "--dataset-size")),
            "axolotl's own scheduler keys are read; the step count needs the dataset size",
        )
        for name in (
            "axolotl_btlm_ft_quadratic_warmup.yml",
            "axolotl_llama2_gptq_lora_quadratic_warmup.yml",
            "axolotl_llama2_relora_jagged_restart.yml",
            "axolotl_llama3_3b_fp8_cosine_constant_lr_ratio_0.yaml",
            "axolotl_glm47_qlora_rex.yaml",
        )
    ),
    # axolotl configs of a second repository (rayonlabs/G.O.D's miner templates): max_steps sets the run
    Case(
        "llm_axolotl/axolotl_god_base_max_steps_1_warmup_1.yml",
        "render {file}",
        HFSchedule(
            "cosine",
            2e-4,
            2,
            1,
            stderr=("the warmup of 2 steps is not shorter than the run (1 steps)", "max_steps = 1 overrides"),
        ),
        "axolotl turns warmup_steps 1 into 2 (_configure_warmup_and_logging); max_steps needs no dataset size",
        HF,
    ),
    Case(
        "llm_axolotl/axolotl_god_base_max_steps_500.yml",
        "render {file}",
        HFSchedule("cosine", 2e-4, 10, 500, stderr=("adamw_bnb_8bit: the LR curve does not depend on it",)),
        "axolotl's max_steps: the Trainer's cosine over 500 steps",
        HF,
    ),
    Case(
        "llm_axolotl/axolotl_god_base_grpo_max_steps_10.yml",
        "render {file}",
        HFSchedule("cosine", 2e-4, 10, 10, stderr=("the warmup of 10 steps is not shorter than the run",)),
        "axolotl GRPO (rl: grpo) with max_steps: a warmup as long as the run, said",
        HF,
    ),
    Case(
        "llm_litgpt/litgpt_belerico_phi-2_lora_older_layout.yaml",
        f"render {{file}} {N}",
        Refusal(("train.learning_rate: an older litgpt's layout", "--set optimizer.init_args.lr=0.0002")),
        "an older litgpt's train.learning_rate: named, with the override that draws the same schedule",
    ),
    # the fresh-eyes audit: axolotl's own defaults (cosine, num_epochs 1, micro_batch_size 1, its warmup rule), said
    Case(
        "llm_axolotl/axolotl_shakespeare_qwen_lora_max_steps_no_scheduler.yaml",
        "render {file}",
        HFSchedule("cosine", 2e-4, 10, 500, stderr=("lr_scheduler is not set: axolotl's default is cosine",)),
        "no lr_scheduler: axolotl's cosine, said as its default",
        HF,
    ),
    Case(
        "llm_axolotl/axolotl_warrungu_mistral_chat_no_warmup.yml",
        "render {file} --dataset-size 1000",
        HFSchedule(
            "cosine", 2e-5, 22, 750, stderr=("warmup_steps and warmup_ratio are not set: axolotl's default, 22 steps",)
        ),
        "no warmup keys: axolotl's min(int(0.03 x 750), 100) = 22, said",
        HF,
    ),
    Case(
        "llm_axolotl/axolotl_sharding_cot_smollm_custom_type.yml",
        "render {file} --dataset-size 1000",
        HFSchedule("cosine", 2e-5, 10, 750),
        "a custom dataset type and empty keys: ceil(1000 x 3 / (1 x 4)) steps",
        HF,
    ),
    Case(
        "llm_torchtune/tt_new_era_8b_full_inst_own_recipe_onecycle.yaml",
        "render {file} --steps-per-epoch 10",
        Refusal(("max_seq_len, sub_length, train_type are keys none of torchtune's recipes read", "lr_scheduler=null")),
        "no lr_scheduler and a project's own recipe (which builds a OneCycleLR): refused, not drawn flat",
    ),
    Case(
        "llm_torchtune/tt_personify_1b_full_fork_recipe_keys.yaml",
        "render {file} --steps-per-epoch 10",
        Refusal(("dump_every_n_step, trainable_param_regex are keys none of torchtune's recipes read",)),
        "a fork's recipe keys without lr_scheduler: refused naming them",
    ),
    Case(
        "deepspeed/axolotl_yi34b_pair/examples/01-ai/config-34b.yml",
        f"render {{file}} {N}",
        Refusal(("config-34b.yml:39: batch_size", "please set only one of gradient_accumulation_steps or batch_size")),
        "axolotl's own validation: this 2023 file sets both",
        HF,
        label="as-is",
    ),
    Case(
        "deepspeed/axolotl_yi34b_pair/examples/01-ai/config-34b.yml",
        f"render {{file}} {N} --set batch_size=null",
        Refusal(("config-34b.yml:64: deepspeed", "scheduler block (type WarmupDecayLR)", "--set deepspeed=null")),
        "the DeepSpeed file found from the launch directory replaces the schedule: refused",
        HF,
        cwd="deepspeed/axolotl_yi34b_pair",
        label="launch-dir",
    ),
    Case(
        "deepspeed/axolotl_yi34b_pair/examples/01-ai/config-34b.yml",
        f"render {{file}} {N} --set batch_size=null --set deepspeed=null",
        HFSchedule("cosine", 2e-5, 100, 94, stderr=("val_set_size splits part of the dataset off",)),
        "axolotl's arithmetic: one ceil over the run (ceil(1000 x 3 / 32) = 94, not the Trainer's 96)",
        HF,
        label="no-deepspeed",
    ),
    # ---------------------------------------------------------------- TRL, alignment-handbook, open-r1
    Case(
        "llm_trl/trl_cli_example_config_cosine.yaml",
        f"render {{file}} {N}",
        HFSchedule(
            "cosine", 1e-4, 0, 375, stderr=("num_train_epochs is not set: lrviz used the Trainer's default, 3",)
        ),
        "a default that shapes the curve: said",
        HF,
    ),
    Case(
        "llm_trl/openr1_distill_7b_sft_cosine_with_min_lr.yaml",
        f"render {{file}} {N}",
        HFSchedule("cosine_with_min_lr", 4e-5, 10, 315, {"min_lr_rate": 0.1}),
        "TRL SFTConfig",
        HF,
    ),
    Case(
        "llm_trl/openr1_olympiccoder_7b_sft.yaml",
        f"render {{file}} {N}",
        HFSchedule("cosine_with_min_lr", 1e-5, 19, 630, {"min_lr_rate": 0.1}),
        "TRL SFTConfig",
        HF,
    ),
    Case(
        "llm_trl/openr1_qwen25_grpo_demo.yaml",
        f"render {{file}} {N}",
        HFSchedule("cosine", 2e-5, 2, 16, stderr=("GRPO: each prompt is generated num_generations times",)),
        "GRPO's generations: said",
        HF,
    ),
    Case(
        "llm_alignment_handbook/ah_smollm3_sft.yaml",
        f"render {{file}} {N}",
        HFSchedule("cosine_with_min_lr", 2e-5, 75, 2500, {"min_lr_rate": 0.1}, stderr=("packing joins samples",)),
        "TRL packing: said",
        HF,
    ),
    Case(
        "llm_alignment_handbook/ah_zephyr_7b_dpo_qlora.yaml",
        f"render {{file}} {N}",
        HFSchedule("cosine", 5e-6, 7, 63),
        "alignment-handbook's dataset_mixer is no open-instruct evidence",
        HF,
    ),
    # ---------------------------------------------------------------- frameworks with their own loops: named
    Case(
        "llm_openinstruct/oi_sft_default_linear_max_train_samples.yaml",
        "render {file}",
        Refusal(("an open-instruct config", "rounded down")),
        "own loop: refused, not read as TrainingArguments",
    ),
    Case(
        "llm_openinstruct/oi_olmo2_7b_sft.yaml",
        "render {file}",
        Refusal(("an open-instruct config",)),
        "own loop: refused",
    ),
    Case(
        "llm_openinstruct/oi_dpo_default.yaml",
        "render {file}",
        Refusal(("cannot tell which framework", "open-instruct", "--dialect NAME")),
        "two dialects close: both listed with --dialect",
    ),
    Case(
        "llm_openinstruct/oi_dpo_default.yaml",
        "render {file} --dialect open-instruct",
        Refusal(("an open-instruct config",)),
        "--dialect decides",
        label="dialect",
    ),
    *(
        Case(
            f"llm_torchtune/{name}",
            "render {file}",
            Refusal(("the recipe counts the steps from the dataset", "--dataset-size", "--steps-per-epoch")),
            "torchtune is not TrainingArguments; its curve is torchtune's (tests/frameworks/torchtune)",
        )
        for name in (
            "tt_11b_lora_multi_dataset_max_steps_per_epoch.yaml",
            "tt_3b_full_grpo_dev.yaml",
            "tt_llama2_7b_lora_dpo.yaml",
            "tt_llama31_8b_full_no_scheduler.yaml",
            "tt_llama32_1b_lora_single_device_cosine.yaml",
            "tt_odissei_7b_full_low_memory_optimizer_in_bwd.yaml",
        )
    ),
    # torchtune recipe configs of other repositories (odissei-benchmarks, farshadghodsian, Azure)
    Case(
        "llm_torchtune/tt_odissei_1b_lora_packed_max_steps_per_epoch_512.yaml",
        "render {file}",
        Refusal(
            ("--dataset-size N (the samples, or packs with packed: true)", "--steps-per-epoch 512 draws the capped run")
        ),
        "torchtune's max_steps_per_epoch: the refusal offers the capped run",
    ),
    Case(
        "llm_torchtune/tt_amd_llama3_8b_lora_old_modules_component.yaml",
        "render {file}",
        Refusal(
            (
                "torchtune.modules.get_cosine_schedule_with_warmup is an older torchtune's spelling",
                "name the scheduler torchtune.training.lr_schedulers.get_cosine_schedule_with_warmup",
            )
        ),
        "a component the installed torchtune lacks: refused as its recipe fails, not an internal error",
    ),
    Case(
        "llm_torchtune/tt_azureml_phi3_lora_jinja_placeholders.yaml",
        "render {file}",
        Refusal(("tt_azureml_phi3_lora_jinja_placeholders.yaml:31:", "expected <block end>")),
        "a Jinja template ({{model_dir}}) is no YAML until rendered: refused at its line",
    ),
    # litgpt: finetune configs are stepped with litgpt's get_lr_scheduler (tests/frameworks/litgpt compares each)
    *(
        Case(
            f"llm_litgpt/{name}",
            "render {file}",
            Refusal(("litgpt counts the steps from the training set's length", "--dataset-size")),
            "litgpt's finetune scripts: the step count needs the training split's size",
        )
        for name in (
            "litgpt_gemma-2b_qlora.yaml",
            "litgpt_llama-3.1-8b_full.yaml",
            "litgpt_llama-3.2-1B_lora.yaml",
            "litgpt_mistral-7b_lora.yaml",
            # a second repository: automl/automated-sub-network-selection's own copies of litgpt's config_hub
            "litgpt_automl_llama-2-7b_lora.yaml",
            "litgpt_automl_llama-3.1-70b_full-more-params.yaml",
            "litgpt_automl_pythia-1b_lora.yaml",
        )
    ),
    # litgpt pretraining: litgpt/pretrain.py's get_lr per iteration (tests/frameworks/litgpt compares each); every
    # config_hub file says `devices: auto`, and the world size divides the token budget
    *(
        Case(
            f"llm_litgpt/{name}",
            "render {file}",
            Refusal(("devices", "divides max_tokens by the world size", "devices=N")),
            "litgpt pretraining: the world size that divides the token budget is asked for",
        )
        for name in (
            "litgpt_pretrain_tinyllama.yaml",
            "litgpt_pretrain_debug.yaml",
            "litgpt_pretrain_tinystories.yaml",
            "litgpt_pretrain_microllama.yaml",
            # second and third repositories: calvintwr/litgpt (a fork whose fit and get_lr are litgpt's) and
            # puppyapple/Chinese_LLM_From_Scratch (run with `litgpt pretrain --config`)
            "litgpt_calvintwr_pretrain_htxsutd-tinyllama.yaml",
            "litgpt_calvintwr_pretrain_htxsutd-llama3b.yaml",
            "litgpt_calvintwr_pretrain_htxsutd-llama8b.yaml",
            "litgpt_calvintwr_pretrain_htxsutd.yaml",
            "litgpt_puppyapple_pretrain_microstories.yaml",
        )
    ),
    Case(
        "llm_litgpt/litgpt_puppyapple_pretrain_microstories.yaml",
        "render {file} --set devices=1",
        Refusal(("train.max_tokens", "11,444,091 optimizer steps is more than the limit", "LRVIZ_MAX_POINTS")),
        "litgpt pretraining of 3e12 tokens at 32 x 512 a micro-batch: over the point limit, refused naming max_tokens",
        label="devices",
    ),
    Case(
        "llm_litgpt/litgpt_pretrain_microllama.yaml",
        "render {file} --set devices=1",
        Refusal(("train.max_tokens", "optimizer steps is more than the limit", "LRVIZ_MAX_POINTS")),
        "litgpt pretraining over the point limit: refused naming max_tokens",
        label="devices",
    ),
    *(
        Case(f"llm_verl/{name}", "render {file}", Refusal(("a verl config", "lr_warmup_steps_ratio")), "verl named")
        for name in (
            "easyr1_config.yaml",
            "verl_optim_fsdp_group.yaml",
            "verl_ppo_trainer_warmup_style_2025.yaml",
            "verl_sft_trainer_cosine.yaml",
        )
    ),
    *(
        Case(
            f"llm_openrlhf/{name}",
            "render {file}",
            Refusal(("the training command is inside the block that starts at line", "--command '...'")),
            "a launch script is read as bash reads it; its command runs inside an `if`, so it is refused by line",
        )
        for name in ("openrlhf_train_dpo_llama.sh", "openrlhf_train_sft.sh")
    ),
    Case(
        "llm_relora/relora_1b_cosine_restarts.yaml",
        "render {file}",
        Refusal(("'cosine_restarts' is not a torch.optim.lr_scheduler class",)),
        "a project's registry name, not lrviz's own names",
    ),
    Case(
        "llm_xtuner/xtuner_qwen_1_8b_qlora_alpaca_e3.py",
        "render {file}",
        Refusal(("mmengine Python config is a program", "--allow-exec")),
        "an mmengine Python config is run only when asked (tests/frameworks/mmengine reads it with --allow-exec)",
    ),
    *(
        Case(
            f"other_frameworks/{name}",
            "render {file}",
            Refusal(("mmengine Python config is a program", "--allow-exec")),
            "an mmengine Python config is run only when asked (tests/frameworks/mmengine reads it with --allow-exec)",
        )
        for name in (
            "mmdet_schedule_1x_param_scheduler.py",
            "mmpretrain_bs256_200e_coslr_warmup.py",
            "mmpretrain_bs256_epochstep.py",
            "mmseg_schedule_160k_lr_config_poly.py",
        )
    ),
    *(
        Case(
            f"other_frameworks/{name}",
            "render {file}",
            Refusal(("a Python config", "lrviz does not run config files")),
            "a Python config, never a YAML error",
        )
        for name in ("nanogpt_train_gpt2_config.py", "yolox_s_exp.py")
    ),
    Case("other_frameworks/torchtitan_llama3_8b.toml", "render {file}", Refusal(("a TOML config",)), "TOML named"),
    Case(
        "other_frameworks/gptneox_125M.yml",
        "render {file}",
        Refusal(("gptneox_125M.yml:82: lr_decay_style", "Megatron-LM/GPT-NeoX")),
        "NeoX, not DeepSpeed",
    ),
    Case(
        "other_frameworks/fairseq_wav2vec2_base_polynomial_decay.yaml",
        "render {file}",
        Refusal(("lr_scheduler._name", "fairseq's own scheduler")),
        "fairseq named",
    ),
    Case("other_frameworks/dinov2_ssl_default_config.yaml", "render {file}", Refusal(("a DINOv2 config",)), "DINOv2"),
    Case("other_frameworks/dinov2_vitl16_short_optim.yaml", "render {file}", Refusal(("a DINOv2 config",)), "DINOv2"),
    Case(
        "other_frameworks/ldm_lsun_churches_scheduler_config.yaml",
        "render {file}",
        Refusal(("scheduler_config.target", "ldm.lr_scheduler.LambdaLinearScheduler")),
        "ldm target/params",
    ),
    Case(
        "other_frameworks/sgm_imagenet_f8_cond_scheduler_config.yaml",
        "render {file}",
        Refusal(("scheduler_config.target", "sgm.lr_scheduler.LambdaLinearScheduler")),
        "sgm target/params",
    ),
    Case(
        "other_frameworks/slowfast_charades_yacs_lr_policy.yaml",
        "render {file}",
        Refusal(("SOLVER.LR_POLICY", "PySlowFast")),
        "SlowFast's own policy, not detectron2's",
    ),
    Case(
        "other_frameworks/swin_base_384_finetune_yacs.yaml",
        "render {file}",
        Refusal(("upper-case yacs-style config",)),
        "yacs",
    ),
    Case(
        "other_frameworks/olmo2_7b_stage1_scheduler_name.yaml",
        "render {file}",
        Refusal(("'cosine_with_warmup' is not a torch.optim.lr_scheduler class",)),
        "a trainer's own name",
    ),
    Case(
        "other_frameworks/speechbrain_aishell_transformer_noam.yaml",
        "render {file}",
        Refusal(("!apply:speechbrain.utils.seed_everything is not allowed",)),
        "code tags never run",
    ),
    Case(
        "other_frameworks/ultralytics_yolo11_seg_args_optimizer_auto.yaml",
        "render {file}",
        Refusal(("an Ultralytics args file", "optimizer: auto ignores lr0")),
        "Ultralytics, no differing hint",
    ),
    Case(
        "other_frameworks/ultralytics_wheat_weed_yolov8_args_optimizer_auto_cpu.yaml",
        "render {file}",
        Refusal(("an Ultralytics args file", "optimizer: auto ignores lr0", "BaseTrainer._do_train")),
        "Ultralytics (a third repository), no differing hint",
    ),
    Case(
        "other_frameworks/ultralytics_egsmnet_yolov8_args_optimizer_sgd_pruning_fork.yaml",
        "render {file}",
        Refusal(
            (
                "an Ultralytics args file (lr0: 0.01, lrf: 0.01, cos_lr: False, warmup_epochs: 3.0, optimizer: SGD):",
                "BaseTrainer._do_train",
            )
        ),
        "Ultralytics with optimizer: SGD (lr0 is used: no optimizer: auto remark), a fork's extra keys",
    ),
    Case(
        "other_frameworks/yolov5_hyp_scratch_low.yaml",
        "render {file}",
        Refusal(("a YOLO hyperparameter file", "--cos-lr flag")),
        "YOLOv5 hyp",
    ),
    Case(
        "other_frameworks/yolov7_hyp_scratch_p5.yaml",
        "render {file}",
        Refusal(("a YOLO hyperparameter file",)),
        "YOLOv7 hyp",
    ),
    Case(
        "other_frameworks/wenet_aishell_conformer_scheduler_warmuplr_conf.yaml",
        "render {file}",
        Refusal(("a WeNet scheduler (scheduler: warmuplr", "wenet.utils.scheduler")),
        "WeNet, not ESPnet",
    ),
    Case(
        "other_frameworks/wenet_librispeech_squeezeformer_noamholdannealing.yaml",
        "render {file}",
        Refusal(("a WeNet scheduler (scheduler: NoamHoldAnnealing",)),
        "WeNet, not ESPnet",
    ),
    Case(
        "lightning_cli_more/torchgeo_l7irish_lr_patience_plateau.yaml",
        "render {file}",
        Refusal(("model.class_path: SemanticSegmentationTask builds its optimizer and scheduler", "(lr, patience)")),
        "a LightningCLI task that fixes its scheduler in code: named, with its LR arguments",
    ),
    Case(
        "lightning_cli_more/torchgeo_mocov2_model_init_args_schedule.yaml",
        "render {file}",
        Refusal(("model.class_path: MoCoTask builds its optimizer and scheduler", "(lr, schedule)")),
        "a LightningCLI task that fixes its scheduler in code",
    ),
    # ---------------------------------------------------------------- torch layouts read, not refused
    Case(
        "other_frameworks/rtdetr_optimizer_multisteplr_type.yml",
        "render {file}",
        Schedule(
            "MultiStepLR",
            {"milestones": [1000], "gamma": 0.1},
            epochs=72,
            optimizer="AdamW",
            lr=1e-4,
            options={"betas": [0.9, 0.999], "weight_decay": 1e-4},
            stderr=("epoches: read as the number of epochs (72)", "the project's own param groups"),
        ),
        "`lr_scheduler: {type: MultiStepLR}` read (RT-DETR's registry names a torch class)",
    ),
    Case(
        "other_frameworks/rtdetrv2_optimizer_multisteplr_linearwarmup.yml",
        "render {file}",
        Schedule(
            "MultiStepLR",
            {"milestones": [1000], "gamma": 0.1},
            epochs=72,
            optimizer="AdamW",
            lr=1e-4,
            options={"betas": [0.9, 0.999], "weight_decay": 1e-4},
            stderr=("lr_warmup_scheduler: not read; it looks like part of the schedule",),
        ),
        "an unread warmup wrapper: said",
    ),
    Case(
        "hydra_more/hotpp_amazon_optimizer_partial_steplr.yaml",
        "render {file}",
        Schedule(
            "StepLR",
            {"step_size": 5, "gamma": 0.8},
            epochs=60,
            optimizer="Adam",
            lr=1e-3,
            options={"weight_decay": 0.0},
        ),
        "optimizer_partial: found (not SGD(lr=0.1))",
    ),
    Case(
        "hydra_more/hotpp_mimiciv_optimizer_partial.yaml",
        "render {file}",
        Schedule(
            "StepLR",
            {"step_size": 5, "gamma": 0.8},
            epochs=30,
            optimizer="Adam",
            lr=1e-3,
            options={"weight_decay": 0.0},
        ),
        "optimizer_partial: found",
    ),
    Case(
        "hydra_more/flashattn_scheduler_target_transformers_linear_warmup.yaml",
        "render {file}",
        Refusal(("give the number of epochs (--epochs)", "outside torch.optim.lr_scheduler")),
        "a transformers function node is read, not refused as a project class",
        HF,
    ),
    Case(
        "hydra_more/flashattn_scheduler_target_transformers_linear_warmup.yaml",
        "render {file} --set num_warmup_steps=10 --set num_training_steps=100 --epochs 100",
        HFSchedule("linear", 0.1, 10, 100, stderr=("no optimizer node found",)),
        "transformers.get_linear_schedule_with_warmup stepped as the node says",
        HF,
        label="set",
    ),
    Case(
        "hydra_more/flashattn_scheduler_target_project_timm_wrapper.yaml",
        "render {file}",
        Refusal(("the project's own scheduler class", "--allow-import src")),
        "a project class needs the opt-in",
    ),
    Case(
        "hydra_more/flashattn_owt_base_experiment_eval_resolvers.yaml",
        "render {file}",
        Refusal(("train.scheduler sets arguments but names no class", "--config-dir")),
        "classless node",
    ),
    Case(
        "hydra_more/hyenadna_genomic_benchmark_eval_resolvers.yaml",
        "render {file}",
        Refusal(("scheduler sets arguments but names no class",)),
        "a model's _name_ is not the scheduler's",
    ),
    Case(
        "hydra_more/safari_scheduler_name_cosine_warmup_timm.yaml",
        "render {file}",
        Refusal(("_name_: cosine_warmup_timm",)),
        "registry name",
    ),
    Case(
        "hydra_more/safari_scheduler_name_multistep.yaml",
        "render {file}",
        Refusal(("_name_: multistep",)),
        "registry name",
    ),
    # ---------------------------------------------------------------- DeepSpeed
    Case(
        "deepspeed/dsexamples_cifar_ds_config_warmuplr.json",
        "render {file}",
        Refusal(("WarmupLR runs until training stops", "--epochs N")),
        "a run length DeepSpeed does not have",
        ("deepspeed",),
    ),
    Case(
        "deepspeed/llava_zero3_offload_warmuplr_auto.json",
        "render {file}",
        Refusal(('"auto" is filled in by the Hugging Face Trainer', "--set scheduler.params.warmup_min_lr=VALUE")),
        "auto named",
        ("deepspeed",),
    ),
]


def _param(case: Case) -> object:
    return pytest.param(case, id=case_id(case))


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_issue18_config(case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run_case(case, tmp_path, monkeypatch)


def _new_configs() -> set[str]:
    """The files issue 18 added: every config under the categories it introduced, plus its DeepSpeed pair."""
    categories = ("llm_", "hydra_more", "other_frameworks", "timm_more", "deepspeed", "lightning_cli_more")
    out = set()
    for path in CONFIGS.rglob("*"):
        rel = path.relative_to(CONFIGS).as_posix()
        if path.is_file() and rel.startswith(categories) and "/deepspeed/zero" not in rel:
            out.add(rel)
    return out


def test_every_new_config_has_a_row() -> None:
    rows = {c.path for c in CASES} | {"timm_more/gcvit_small_timm_yml.yml"}  # gcvit: test below
    assert sorted(_new_configs() - rows) == []


def test_an_unknown_lr_key_in_a_timm_args_file_is_named() -> None:
    """GCViT's args.yaml carries `lr_ep`, which timm's train.py does not have: drawn, and named."""
    if importlib.util.find_spec("timm") is None:  # timm's own __init__ needs torchvision; lrviz does not
        pytest.skip("timm is not installed")
    path = CONFIGS / "timm_more/gcvit_small_timm_yml.yml"
    result = subprocess.run(
        [sys.executable, "-m", "lrviz", "render", str(path), "-o", "-"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "note: lr_ep: not a key timm is known to read" in result.stderr

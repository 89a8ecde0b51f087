"""Evidence for issue 11 ("Read the training configs people already have") on real configs.

Every file under ``tests/realworld/configs`` was copied byte for byte from a public repository
(``SOURCES.md``). Each row below is one command a user would type on one of those files, and
either the schedule PyTorch runs for the file's numbers, written out by hand, or the refusal
expected. ``helpers.run_case`` runs the command in-process and compares the CSV it writes
with a plain PyTorch training loop (``tests.conftest.reference_lrs``) with ``==``.

The rows describe the behaviour issue 11 asks for, not what lrviz does today: many fail until
it is implemented. The ``item=`` of a row names the issue-11 item it exercises. Out of scope
here: ``hf/`` and ``timm/`` (read by a separate effort).

Conventions used in the expectations:
- A scheduler node's own ``optimizer:`` key (``???`` or a MONAI ``@optimizer``) is the binding
  Hydra/MONAI fill in code; it is never read, so it never causes an error.
- Where the file has no optimizer, lrviz uses SGD(lr=0.1) and says so in a ``note:`` line.
- ``verbose`` is accepted and dropped (torch 2.13 no longer takes it); ``last_epoch: -1`` is
  passed through.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.realworld.helpers import (
    CONFIGS,
    Case,
    Refusal,
    Schedule,
    case_id,
    falling_every,
    rising_every,
    run_case,
    sources_rows,
)

NOTE = ("note:", "SGD(lr=0.1)")  # the file names no optimizer: the default, said out loud
ADAMW_BETAS = (0.9, 0.999)

CASES: list[Case] = [
    # ------------------------------------------------------------------ hydra_node (one node per file)
    Case(
        "hydra_node/acls_multistep_nested_object_interp.yaml",
        "render {file} --key object --epochs 80",
        # `${scheduler.milestones}` assumes the group is mounted at `scheduler`; in the file alone
        # there is no `scheduler` key, so the target is outside the file.
        Refusal(("acls_multistep_nested_object_interp.yaml:7", "object.milestones", "--set scheduler.milestones=")),
        item="interpolation target not in file -> exit 2 naming file:line, key, --set fix",
        label="refused",
    ),
    Case(
        "hydra_node/acls_multistep_nested_object_interp.yaml",
        "render {file} --key object --set scheduler.milestones=[40,60] --set scheduler.gamma=0.1 --epochs 80",
        Schedule("MultiStepLR", {"milestones": [40, 60], "gamma": 0.1}, epochs=80, stderr=NOTE),
        item="--set (OmegaConf dotlist, list value) + --key on a nested _target_ node; verbose accepted",
        label="set",
    ),
    Case(
        "hydra_node/acls_plateau_nested_object_interp.yaml",
        "render {file} --key object --metrics {metrics} --epochs 60",
        Refusal(("acls_plateau_nested_object_interp.yaml:8", "object.factor", "--set scheduler.gamma=")),
        item="interpolation target not in file -> exit 2",
        metrics=falling_every(60, 15),
        label="refused",
    ),
    Case(
        "hydra_node/acls_plateau_nested_object_interp.yaml",
        "render {file} --key object --set scheduler.gamma=0.5 --set scheduler.patience=10 --metrics {metrics} --epochs 60",
        Schedule("ReduceLROnPlateau", {"mode": "min", "factor": 0.5, "patience": 10}, epochs=60, stderr=NOTE),
        item="--set + ReduceLROnPlateau with --metrics on render",
        metrics=falling_every(60, 15),
        label="set",
    ),
    Case(
        "hydra_node/dl_toolbox_linearlr_partial_interp_max_epochs.yaml",
        "render {file}",
        Refusal(
            (
                "dl_toolbox_linearlr_partial_interp_max_epochs.yaml:5",
                "total_iters",
                "--set trainer.max_epochs=",
            )
        ),
        item="${trainer.max_epochs} pointing outside the file -> exit 2 with the --set fix",
        label="refused",
    ),
    Case(
        "hydra_node/dl_toolbox_linearlr_partial_interp_max_epochs.yaml",
        # `--set trainer.max_epochs=20` both fills total_iters and is the run length
        # (trainer.max_epochs is read for epochs); `start_factor: 1.` is the float 1.0.
        "render {file} --set trainer.max_epochs=20",
        Schedule("LinearLR", {"start_factor": 1.0, "end_factor": 0.01, "total_iters": 20}, epochs=20, stderr=NOTE),
        item="root _target_ + _partial_; --set resolves ${trainer.max_epochs}; trainer.max_epochs = run length",
        label="set",
    ),
    Case(
        "hydra_node/dl_toolbox_multisteplr_partial.yaml",
        "render {file} --epochs 200",
        Schedule("MultiStepLR", {"milestones": [160], "gamma": 0.1}, epochs=200, stderr=NOTE),
        item="root _target_ node with _partial_, all values in the file; default-optimizer note",
    ),
    Case(
        "hydra_node/dl_toolbox_onecycle_partial_interp_epoch_steps.yaml",
        # No --steps-per-epoch here: the run's value must not silently stand in for the
        # file's unresolved `${datamodule.epoch_steps}`.
        "render {file} --epochs 100",
        Refusal(
            (
                "dl_toolbox_onecycle_partial_interp_epoch_steps.yaml:5",
                "steps_per_epoch",
                "--set datamodule.epoch_steps=",
            )
        ),
        item="interpolation target not in file -> exit 2 (file without trailing newline)",
        label="refused",
    ),
    Case(
        "hydra_node/dl_toolbox_onecycle_partial_interp_epoch_steps.yaml",
        "render {file} --set datamodule.epoch_steps=50 --epochs 100 --steps-per-epoch 50",
        Schedule(
            "OneCycleLR",
            {"max_lr": 0.001, "epochs": 100, "steps_per_epoch": 50},
            epochs=100,
            steps_per_epoch=50,
            interval="step",
            stderr=NOTE,
        ),
        item="--set + run flags; verbose: True accepted; commented-out key ignored",
        label="set",
    ),
    Case(
        "hydra_node/dl_toolbox_polynomiallr_partial_interp_max_steps.yaml",
        "render {file} --epochs 20 --steps-per-epoch 100 --interval step",
        Refusal(
            (
                "dl_toolbox_polynomiallr_partial_interp_max_steps.yaml:4",
                "total_iters",
                "--set trainer.max_steps=",
            )
        ),
        item="${trainer.max_steps} pointing outside the file -> exit 2",
        label="refused",
    ),
    Case(
        "hydra_node/dl_toolbox_polynomiallr_partial_interp_max_steps.yaml",
        # total_iters counts optimizer steps (it is max_steps), so the user steps per step.
        "render {file} --set trainer.max_steps=2000 --epochs 20 --steps-per-epoch 100 --interval step",
        Schedule(
            "PolynomialLR",
            {"power": 0.9, "total_iters": 2000},
            epochs=20,
            steps_per_epoch=100,
            interval="step",
            stderr=NOTE,
        ),
        item="--set + --interval step on render",
        label="set",
    ),
    Case(
        "hydra_node/graphsplinenets_cosine_target_only_no_args.yaml",
        "render {file} --epochs 30",
        Refusal(("graphsplinenets_cosine_target_only_no_args.yaml", "T_max")),
        item="root _target_ missing a required torch argument -> exit 2 naming it",
        label="refused",
    ),
    Case(
        "hydra_node/graphsplinenets_cosine_target_only_no_args.yaml",
        "render {file} --set T_max=30 --epochs 30",
        Schedule("CosineAnnealingLR", {"T_max": 30}, epochs=30, stderr=NOTE),
        item="--set adds a key to a root node (`# @package` comment ignored)",
        label="set",
    ),
    Case(
        "hydra_node/hpprc_cosine_annealing_optimizer_missing.yaml",
        # `optimizer: ???` (line 6) comes first but is the scheduler's binding, never read;
        # the error is about T_max (line 7).
        "render {file} --epochs 50",
        Refusal(("hpprc_cosine_annealing_optimizer_missing.yaml:7", "T_max", "--set T_max=")),
        item="??? (mandatory missing) -> exit 2 with file:line and --set fix; optimizer: ??? not read",
        label="refused",
    ),
    Case(
        "hydra_node/hpprc_cosine_annealing_optimizer_missing.yaml",
        "render {file} --set T_max=50 --epochs 50",
        Schedule("CosineAnnealingLR", {"T_max": 50, "eta_min": 0, "last_epoch": -1}, epochs=50, stderr=NOTE),
        item="--set fills ???; last_epoch: -1 and verbose: False accepted",
        label="set",
    ),
    Case(
        "hydra_node/hpprc_cosine_warm_restarts.yaml",
        "render {file} --set T_0=10 --epochs 30",
        Schedule(
            "CosineAnnealingWarmRestarts",
            {"T_0": 10, "T_mult": 1, "eta_min": 0, "last_epoch": -1},
            epochs=30,
            stderr=NOTE,
        ),
        item="--set fills T_0: ???; last_epoch/verbose accepted",
    ),
    Case(
        "hydra_node/hpprc_exponential_gamma_missing.yaml",
        "render {file} --epochs 30",
        Refusal(("hpprc_exponential_gamma_missing.yaml:7", "gamma", "--set gamma=")),
        item="??? -> exit 2 naming file:line, key and --set fix",
    ),
    Case(
        "hydra_node/hpprc_onecycle_full_args.yaml",
        "render {file} --epochs 10 --steps-per-epoch 100",
        Refusal(("hpprc_onecycle_full_args.yaml:7", "max_lr", "--set max_lr=")),
        item="??? -> exit 2 (empty values `total_steps:` are null, not errors)",
        label="refused",
    ),
    Case(
        "hydra_node/hpprc_onecycle_full_args.yaml",
        # total_steps/epochs/steps_per_epoch are null (empty) in the file: torch would raise, lrviz
        # fills total_steps from the run (10 x 100), as it does for its own files.
        "render {file} --set max_lr=0.1 --epochs 10 --steps-per-epoch 100",
        Schedule(
            "OneCycleLR",
            {
                "max_lr": 0.1,
                "total_steps": 1000,
                "pct_start": 0.3,
                "anneal_strategy": "cos",
                "cycle_momentum": True,
                "base_momentum": 0.85,
                "max_momentum": 0.95,
                "div_factor": 25.0,
                "final_div_factor": 10000.0,
                "three_phase": False,
                "last_epoch": -1,
            },
            epochs=10,
            steps_per_epoch=100,
            interval="step",
            stderr=NOTE,
        ),
        item="every torch kwarg accepted (nulls, last_epoch, verbose); --set fills ???",
        label="set",
    ),
    Case(
        "hydra_node/kandinsky_cosine_warm_restarts_partial.yaml",
        "render {file} --epochs 45",
        Schedule("CosineAnnealingWarmRestarts", {"T_0": 15}, epochs=45, stderr=NOTE),
        item="root _target_ + _partial_: true, all values in the file",
    ),
    Case(
        "hydra_node/kernela_steplr_no_trailing_newline.yaml",
        "render {file} --epochs 20",
        Schedule("StepLR", {"step_size": 5, "gamma": 0.5}, epochs=20, stderr=NOTE),
        item="root _target_ node without _partial_, all values in the file",
    ),
    Case(
        "hydra_node/poet_plateau_min_lr_5e-5_string_in_yaml11.yaml",
        # A flat loss: reductions every 16 epochs, down to the min_lr floor (5e-5 is a float).
        "render {file} --metrics {metrics} --epochs 150",
        Schedule(
            "ReduceLROnPlateau",
            {"mode": "min", "factor": 0.3, "patience": 15, "min_lr": 5e-5},
            epochs=150,
            stderr=NOTE,
        ),
        item="root _target_ ReduceLROnPlateau + --metrics; `5e-5` read as a float (OmegaConf)",
        metrics=(1.0,) * 150,
    ),
    Case(
        "hydra_node/transferable_samplers_onecycle_named_cosine_interp.yaml",
        "render {file} --interval epoch",
        Refusal(
            (
                "transferable_samplers_onecycle_named_cosine_interp.yaml:6",
                "max_lr",
                "--set model.optimizer.lr=",
            )
        ),
        item="${model.optimizer.lr} pointing outside the file -> exit 2",
        label="refused",
    ),
    Case(
        "hydra_node/transferable_samplers_onecycle_named_cosine_interp.yaml",
        # Stepped per epoch, as the file's comment says: total_steps = max_epochs = 100.
        # OneCycleLR sets the LR itself, so the optimizer's lr does not change the curve.
        "render {file} --set model.optimizer.lr=0.001 --set trainer.max_epochs=100 --interval epoch",
        Schedule(
            "OneCycleLR",
            {
                "max_lr": 0.001,
                "total_steps": 100,
                "pct_start": 0.05,
                "anneal_strategy": "cos",
                "cycle_momentum": False,
                "div_factor": 500.0,
                "final_div_factor": 1.0,
            },
            epochs=100,
            lr=0.001,
            interval="epoch",
        ),
        item="two --set values; `5e2` a float; --interval epoch overrides OneCycleLR's per-step default",
        label="set",
    ),
    Case(
        "hydra_node/transferable_samplers_steplr_partial_comment_tail.yaml",
        "render {file} --epochs 500",
        Schedule("StepLR", {"step_size": 125, "gamma": 0.25}, epochs=500, stderr=NOTE),
        item="root _target_ + _partial_, inline comments and a comment tail",
    ),
    # ------------------------------------------------------------------ hydra_full (whole training configs)
    Case(
        "hydra_full/autoware_frnet_onecycle_interp_max_steps.yaml",
        # max_epochs: -1 (unlimited) and max_steps: 150000 -> 150000 steps = 100 epochs of 1500
        # (val_check_interval: 1500 is the project's own "epoch"). `${trainer.max_steps}` and
        # `${model.optimizer.lr}` resolve inside the file; the many `???` elsewhere are not read.
        "render {file} --steps-per-epoch 1500",
        Schedule(
            "OneCycleLR",
            {"total_steps": 150000, "max_lr": 0.01, "pct_start": 0.2, "div_factor": 25.0, "final_div_factor": 100.0},
            epochs=100,
            steps_per_epoch=1500,
            interval="step",
            optimizer="AdamW",
            lr=0.01,
            options={"betas": ADAMW_BETAS, "weight_decay": 0.01, "eps": 1e-6},
        ),
        item="interpolation inside the file; lazy (??? elsewhere ignored); trainer.max_steps; optimizer beside",
    ),
    Case(
        "hydra_full/autoware_ptv3_seg_onecycle_maxlr_list_no_total_steps.yaml",
        # max_lr has one value per param group (2) but the file's optimizer is one group; the
        # second group comes from project code (`optimizer_group_overrides`). torch raises.
        "render {file} --steps-per-epoch 100",
        Refusal(("autoware_ptv3_seg_onecycle_maxlr_list_no_total_steps.yaml:39", "model.scheduler.max_lr")),
        item="torch's own validation as a one-line exit 2 naming file:line and key path",
    ),
    Case(
        "hydra_full/dl_toolbox_experiment_resisc_scheduler_package_override.yaml",
        # module.scheduler has no class: it comes from `override /scheduler@module.scheduler: poly`.
        "render {file}",
        Refusal(
            (
                "dl_toolbox_experiment_resisc_scheduler_package_override.yaml",
                "module.scheduler",
                "--config-dir",
            )
        ),
        item="scheduler class only in the defaults list -> exit 2 pointing to Hydra composition",
    ),
    Case(
        "hydra_full/jetssl_experiment_train_classifier_custom_resolver_underscores.yaml",
        "render {file}",
        Refusal(
            (
                "jetssl_experiment_train_classifier_custom_resolver_underscores.yaml",
                "model.scheduler",
                "--config-dir",
            )
        ),
        item="experiment override without the class -> exit 2; custom resolver ${min:...} never runs",
    ),
    Case(
        "hydra_full/kandinsky_experiment_coco_person_override.yaml",
        "render {file}",
        Schedule("CosineAnnealingWarmRestarts", {"T_0": 15}, epochs=2000, stderr=NOTE),
        item="scheduler found at model.scheduler; trainer.max_epochs; no optimizer -> note",
        label="default-optimizer",
    ),
    Case(
        "hydra_full/kandinsky_experiment_coco_person_override.yaml",
        # The user knows the project's optimizer (model/segmentation.yaml: Adam 1e-4).
        "render {file} --optimizer adam --lr 1e-4",
        Schedule("CosineAnnealingWarmRestarts", {"T_0": 15}, epochs=2000, optimizer="Adam", lr=1e-4),
        item="run flags --optimizer/--lr on render",
        label="flags",
    ),
    Case(
        "hydra_full/kandinsky_model_segmentation_defaults_scheduler_group.yaml",
        # The root _target_ is a LightningModule; the scheduler is `defaults: [scheduler: cosine]`.
        "render {file}",
        Refusal(("kandinsky_model_segmentation_defaults_scheduler_group.yaml", "--config-dir")),
        item="scheduler only through the defaults list -> exit 2 pointing to composition",
    ),
    # ------------------------------------------------------------------ hydra_project (composition)
    Case(
        "hydra_project_lightning_hydra_template/configs/train.yaml",
        # hydra/default.yaml names the hydra-colorlog plugin; paths.* need PROJECT_ROOT (unset: not read).
        "render --config-dir {configs}/hydra_project_lightning_hydra_template/configs --config-name train"
        " --set experiment=example --metrics {metrics}",
        Schedule(
            "ReduceLROnPlateau",
            {"mode": "min", "factor": 0.1, "patience": 10},
            epochs=10,
            optimizer="Adam",
            lr=0.002,
            options={"weight_decay": 0.0},
        ),
        item="Hydra compose API with --set override (experiment=example); model.optimizer; max_epochs",
        metrics=falling_every(10, 20),
        requires=("hydra",),  # without hydra-colorlog, lrviz composes with Hydra's default logging (a note)
        label="lightning-hydra-template",
    ),
    Case(
        "hydra_project_autoware_ml_calibration/configs/tasks/calibration_status/calibration_status_classifier/resnet18_nuscenes.yaml",
        # _partial_ injected by defaults/modules/model.yaml; ${oc.env:AUTOWARE_ML_DATA_PATH} (unset)
        # and the custom resolver in run.yaml are not read.
        "render --config-dir {configs}/hydra_project_autoware_ml_calibration/configs"
        " --config-name tasks/calibration_status/calibration_status_classifier/resnet18_nuscenes",
        Schedule(
            "CosineAnnealingLR",
            {"T_max": 30, "eta_min": 1e-8, "last_epoch": -1},
            epochs=30,
            optimizer="AdamW",
            lr=0.001,
            options={"weight_decay": 0.01, "betas": ADAMW_BETAS, "eps": 1e-8},
        ),
        item="Hydra compose with a nested config name; oc.env without default never resolved",
        requires=("hydra",),
    ),
    Case(
        "hydra_project_pytorch_template_hydra_branch/conf/train.yaml",
        # Hydra 1.0 layout: Hydra 1.3 refuses it ("Multiple values for hydra/job_logging").
        "render --config-dir {configs}/hydra_project_pytorch_template_hydra_branch/conf --config-name train --epochs 20",
        Refusal(("hydra/job_logging",)),
        item="a composition error -> one Error line, exit 2 (and Hydra's warnings not shown)",
        requires=("hydra",),
        label="pytorch-template-hydra-1.0",
    ),
    Case(
        "hydra_project_autoware_ml_calibration/configs/tasks/calibration_status/calibration_status_classifier/resnet18_base.yaml",
        # The same numbers from the single file (not composed): no _partial_, 1e-8 a float.
        "render {file}",
        Schedule(
            "CosineAnnealingLR",
            {"T_max": 30, "eta_min": 1e-8, "last_epoch": -1},
            epochs=30,
            optimizer="AdamW",
            lr=0.001,
            options={"weight_decay": 0.01, "betas": ADAMW_BETAS, "eps": 1e-8},
        ),
        item="last_epoch: -1 accepted; model.optimizer beside model.scheduler; trainer.max_epochs",
    ),
    Case(
        "hydra_project_pytorch_template_hydra_branch/conf/model/mnist_lenet.yaml",
        "render {file} --set learning_rate=0.001 --set weight_decay=0 --set scheduler_gamma=0.1 --epochs 120",
        Refusal(("mnist_lenet.yaml:15", "lr_scheduler.step_size", "--set scheduler_step_size=")),
        item="interpolation into another group file -> exit 2 naming the one still missing",
        label="refused",
    ),
    Case(
        "hydra_project_pytorch_template_hydra_branch/conf/model/mnist_lenet.yaml",
        # 120 epochs (the project trains 20) so that the step_size=50 drops show.
        "render {file} --set learning_rate=0.001 --set weight_decay=0 --set scheduler_step_size=50"
        " --set scheduler_gamma=0.1 --epochs 120",
        Schedule(
            "StepLR",
            {"step_size": 50, "gamma": 0.1},
            epochs=120,
            optimizer="Adam",
            lr=0.001,
            options={"weight_decay": 0, "amsgrad": True},
        ),
        item="four --set values resolve root-level interpolations; root optimizer + lr_scheduler",
        label="set",
    ),
    # ------------------------------------------------------------------ lightning_cli
    Case(
        "lightning_cli/deepflame_hy41_anchors_merge_plateau_monitor.yaml",
        "render {file} --metrics {metrics}",
        Schedule(
            "ReduceLROnPlateau",
            {"mode": "min", "factor": 0.5, "patience": 5, "min_lr": 1e-5},
            epochs=500,
            optimizer="AdamW",
            lr=1e-3,
        ),
        item="LightningCLI short class_path (AdamW, ReduceLROnPlateau); monitor dropped; anchors/merge keys",
        metrics=falling_every(500, 20),
    ),
    Case(
        "lightning_cli/fts_defaults_cosine_warm_restarts_pl_lrs_cfg.yaml",
        # DEBATABLE: the optimizer is `optimizer_init`, sibling of `lr_scheduler_init` (the pair
        # finetuning-scheduler passes to its module); the search list names only
        # optimizer/optim. The file says AdamW 1e-5, so that is the expectation.
        "render {file}",
        Schedule(
            "CosineAnnealingWarmRestarts",
            {"T_0": 1, "T_mult": 2, "eta_min": 1e-7},
            epochs=1000,
            optimizer="AdamW",
            lr=1e-5,
            options={"weight_decay": 1e-5, "eps": 1e-7},
        ),
        item="class_path/init_args nested under model.init_args; optimizer beside the node; max_epochs",
    ),
    Case(
        "lightning_cli/fts_implicit_reinit_steplr_callback.yaml",
        "render {file} --epochs 10",
        Refusal(
            (
                "--key",
                "model.init_args.lr_scheduler_init",
                "trainer.callbacks.1.init_args.reinit_lr_cfg.lr_scheduler_init",
            )
        ),
        item="several scheduler nodes -> exit 2 listing them as --key values (list index in a path)",
        label="several",
    ),
    Case(
        "lightning_cli/fts_implicit_reinit_steplr_callback.yaml",
        "render {file} --key model.init_args.lr_scheduler_init --epochs 10",
        Schedule("StepLR", {"step_size": 1, "gamma": 0.7}, epochs=10, stderr=NOTE),
        item="--key picks one of several nodes; overlay config without optimizer -> note",
        label="key-model",
    ),
    Case(
        "lightning_cli/fts_implicit_reinit_steplr_callback.yaml",
        "render {file} --key trainer.callbacks.1.init_args.reinit_lr_cfg.lr_scheduler_init --epochs 10",
        Schedule("StepLR", {"step_size": 1, "gamma": 0.7}, epochs=10, stderr=NOTE),
        item="--key indexes a list (trainer.callbacks.1)",
        label="key-callback",
    ),
    Case(
        "lightning_cli/lightningtests_optimizer_and_scheduler_null.yaml",
        "render {file}",
        Refusal(("lightningtests_optimizer_and_scheduler_null.yaml", "lr_scheduler")),
        item="LightningCLI dump with lr_scheduler: null -> exit 2 saying there is no scheduler",
    ),
    Case(
        "lightning_cli/otx_efficientnet_b0_nested_model_scheduler_plateau.yaml",
        # DEBATABLE: `lightning.pytorch.cli.ReduceLROnPlateau` is the class LightningCLI resolves the
        # short name `ReduceLROnPlateau` to (torch's class plus `monitor`), so it is read as
        # torch's ReduceLROnPlateau rather than refused as a user class. max_epochs sits under
        # OTX's `overrides:`, so the user gives --epochs; `${as_torch_dtype:...}` is not read.
        "render {file} --epochs 90 --metrics {metrics}",
        Schedule(
            "ReduceLROnPlateau",
            {"mode": "max", "factor": 0.1, "patience": 1},
            epochs=90,
            optimizer="SGD",
            lr=0.0049,
            options={"momentum": 0.9, "weight_decay": 0.0001},
        ),
        item="class_path nested under model.init_args; optimizer beside; custom resolver never runs",
        metrics=rising_every(90, 5),
    ),
    Case(
        "lightning_cli/terratorch_eurosat_plateau_short_classpath_monitor.yaml",
        "render {file} --metrics {metrics}",
        Schedule("ReduceLROnPlateau", {}, epochs=200, optimizer="AdamW", lr=1e-4, options={"weight_decay": 0.05}),
        item="LightningCLI root optimizer/lr_scheduler; `1.e-4`; monitor dropped; trainer.max_epochs",
        metrics=falling_every(200, 25),
    ),
    Case(
        "lightning_cli/terratorch_prithvi_burnscars_plateau_factor_patience.yaml",
        # The tutorial trains 1 epoch; the user asks for 50 to see the reductions.
        "render {file} --epochs 50 --metrics {metrics}",
        Schedule(
            "ReduceLROnPlateau",
            {"factor": 0.5, "patience": 5},
            epochs=50,
            optimizer="AdamW",
            lr=1e-4,
            options={"weight_decay": 0.1},
        ),
        item="LightningCLI short class_path + --epochs over trainer.max_epochs",
        metrics=falling_every(50, 10),
    ),
    Case(
        "lightning_cli/terratorch_substation_cosine_tmax20_max_epochs10.yaml",
        # T_max=20 > max_epochs=10: the run stops half way down the cosine.
        "render {file}",
        Schedule(
            "CosineAnnealingLR", {"T_max": 20}, epochs=10, optimizer="AdamW", lr=1e-4, options={"weight_decay": 0.05}
        ),
        item="LightningCLI class_path at root (works today)",
    ),
    Case(
        "lightning_cli/vinhng10_noise_fit_subcommand_no_class_path.yaml",
        # The classes are fixed in code (add_lr_scheduler_args); the file cannot say which.
        "render {file}",
        Refusal(("vinhng10_noise_fit_subcommand_no_class_path.yaml", "fit.lr_scheduler", "class_path")),
        item="lr_scheduler without class_path under `fit:` -> exit 2 naming the key",
    ),
    # ------------------------------------------------------------------ lightning_dict
    Case(
        "lightning_dict/mchad_scheduler_dict_interval_step_custom_wrapper.yaml",
        "render {file} --epochs 10",
        Refusal(("src.utils.scheduler.CosineSchedulerWrapper", "--allow-import")),
        item="user's own scheduler class refused (before its interpolations are resolved)",
    ),
    Case(
        "lightning_dict/proteinworkshop_flash_linear_warmup_cosine_interval_step.yaml",
        "render {file} --epochs 10",
        Refusal(("flash.core.optimizers.LinearWarmupCosineAnnealingLR", "--allow-import")),
        item="third-party scheduler class refused without --allow-import",
    ),
    Case(
        "lightning_dict/proteinworkshop_plateau_dict_monitor_strict.yaml",
        "render {file} --epochs 40 --metrics {metrics}",
        Schedule("ReduceLROnPlateau", {"mode": "min", "factor": 0.6, "patience": 5}, epochs=40, stderr=NOTE),
        item="Lightning scheduler dict (scheduler/interval/frequency/monitor/strict/name)",
        metrics=falling_every(40, 10),
    ),
    # ------------------------------------------------------------------ json (MONAI bundles, pytorch-template)
    Case(
        "json/monai_brats_generative_diffusion_multisteplr.json",
        # optimizer.lr is "@lr": a MONAI reference lrviz reads -> refused, not guessed from root `lr`.
        "render {file}",
        Refusal(("MONAI", "optimizer.lr")),
        item="MONAI @ reference in a key lrviz reads -> exit 2 naming MONAI (noise_scheduler not a candidate)",
    ),
    Case(
        "json/monai_brats_mri_seg_train_cosine_tmax_ref.json",
        "render {file} --epochs 300",
        Refusal(("MONAI", "monai_brats_mri_seg_train_cosine_tmax_ref.json")),
        item="MONAI @ references (T_max: @epochs, lr: @learning_rate) -> exit 2",
        label="refused",
    ),
    Case(
        "json/monai_brats_mri_seg_train_cosine_tmax_ref.json",
        "render {file} --set lr_scheduler.T_max=300 --set optimizer.lr=1e-4 --epochs 300",
        Schedule(
            "CosineAnnealingLR", {"T_max": 300}, epochs=300, optimizer="Adam", lr=1e-4, options={"weight_decay": 1e-5}
        ),
        item="--set on a JSON config replaces the @ references",
        label="set",
    ),
    Case(
        "json/monai_endoscopic_tool_seg_train_warm_restarts.json",
        # Every value lrviz reads is literal; `optimizer: "@optimizer"` in the node is the binding.
        "render {file} --epochs 100",
        Schedule("CosineAnnealingWarmRestarts", {"T_0": 100, "T_mult": 1}, epochs=100, optimizer="Adam", lr=1e-4),
        item="JSON read like YAML; root optimizer/lr_scheduler _target_ (works today)",
    ),
    Case(
        "json/monai_maisi_ct_train_polynomiallr_expr.json",
        "render {file}",
        Refusal(("MONAI", "monai_maisi_ct_train_polynomiallr_expr.json")),
        item="MONAI $-expression / @ reference at lr_schedule.lr_scheduler -> exit 2",
    ),
    Case(
        "json/monai_spleen_ct_seg_train_steplr.json",
        "render {file} --epochs 800",
        Refusal(("Novograd",)),
        item="optimizer outside torch.optim (MONAI's Novograd) -> exit 2 naming it",
        label="refused",
    ),
    Case(
        "json/monai_spleen_ct_seg_train_steplr.json",
        # step_size 5000 > 800 epochs: flat at the file's lr 0.002.
        "render {file} --epochs 800 --optimizer sgd",
        Schedule("StepLR", {"step_size": 5000, "gamma": 0.1}, epochs=800, optimizer="SGD", lr=0.002),
        item="--optimizer replaces the class, keeps the file's lr",
        label="optimizer-flag",
    ),
    Case(
        "json/pytorch_template_config_steplr_type_args.json",
        # DEBATABLE: victoresque/pytorch-template's `type`/`args` names torch classes; the issue
        # lists it under no dialect, so this row expects a precise refusal, not a reading.
        "render {file}",
        Refusal(("pytorch_template_config_steplr_type_args.json", "lr_scheduler", "type")),
        item="type/args layout -> exit 2 naming the layout",
    ),
    # ------------------------------------------------------------------ custom_class
    Case(
        "custom_class/autoware_centerpoint_cyclic_cosine_max_lr_factor_missing.yaml",
        "render {file}",
        Refusal(("autoware_ml.utils.schedulers.cyclic_cosine_annealing.CyclicCosineAnnealingLR", "--allow-import")),
        item="user's own class refused (before its ??? argument)",
    ),
    Case(
        "custom_class/covr_cosine_schedule_interp_trainer_max_epochs.yaml",
        "render {file} --epochs 10",
        Refusal(("src.tools.scheduler.CosineSchedule", "--allow-import")),
        item="root _target_ of a user class refused",
    ),
    Case(
        "custom_class/dl_toolbox_swa_two_schedulers_lambda_custom.yaml",
        "render {file} --epochs 60",
        Refusal(("--key", "schedulers.constant", "schedulers.swa")),
        item="several scheduler nodes -> exit 2 listing --key values",
        label="several",
    ),
    Case(
        "custom_class/dl_toolbox_swa_two_schedulers_lambda_custom.yaml",
        "render {file} --key schedulers.constant --epochs 60",
        Schedule("ConstantLR", {"factor": 1}, epochs=60, stderr=NOTE),
        item="--key picks the torch node",
        label="key-constant",
    ),
    Case(
        "custom_class/dl_toolbox_swa_two_schedulers_lambda_custom.yaml",
        "render {file} --key schedulers.swa --epochs 60",
        Refusal(("dl_toolbox.schedulers.SwaLR", "lr_lambda only as an expression")),
        item="a user class inside a torch node (LambdaLR's lr_lambda) refused: lr_lambda is only ever an expression",
        label="key-swa",
    ),
    Case(
        "custom_class/jetssl_linear_warmup_cosine_decay_partial.yaml",
        "render {file} --epochs 10",
        Refusal(("mltools.mltools.lightning_utils.linear_warmup_cosine_decay", "--allow-import")),
        item="user's function as _target_ refused",
    ),
    Case(
        "custom_class/monai_lung_nodule_train_gradual_warmup.json",
        "render {file}",
        Refusal(("scripts.warmup_scheduler.GradualWarmupScheduler", "--allow-import scripts")),
        item="user class in a MONAI bundle refused (lr_scheduler is the run's; after_scheduler is only noted)",
    ),
    Case(
        "custom_class/monai_pediatric_ct_train_linear_warmup_cosine.yaml",
        "render {file}",
        Refusal(("scripts.lr_scheduler.LinearWarmupCosineAnnealingLR", "--allow-import")),
        item="user class in a MONAI YAML bundle refused",
    ),
    # ------------------------------------------------------------------ other_dialects (refused, named; DeepSpeed read)
    Case(
        "other_dialects/cassava_upper_class_name_params_cosinewarm.yaml",
        "render {file}",
        Refusal(("cassava_upper_class_name_params_cosinewarm.yaml", "SCHEDULER")),
        item="CLASS_NAME/PARAMS (upper-case) layout refused",
    ),
    Case(
        "other_dialects/cassava_upper_class_name_params_onecycle.yaml",
        "render {file}",
        Refusal(("cassava_upper_class_name_params_onecycle.yaml", "SCHEDULER")),
        item="CLASS_NAME/PARAMS (upper-case) layout refused",
    ),
    Case(
        "other_dialects/deepspeed_hf_tests_zero2_warmuplr_auto.json",
        "render {file}",
        Refusal(('scheduler.params.warmup_min_lr: "auto"', "--set scheduler.params.warmup_min_lr=VALUE")),
        item='DeepSpeed "auto" (filled in by the HF Trainer) refused naming the key and the --set fix',
        requires=("deepspeed",),
    ),
    Case(
        "other_dialects/deepspeed_matsuolab_warmup_cosine_lr.json",
        "render {file}",
        Schedule(
            "deepspeed.WarmupCosineLR",
            {"total_num_steps": 128, "warmup_num_steps": 10},
            epochs=128,
            optimizer="AdamW",
            lr=0.001,
            interval="step",
            stderr=("note: optimizer AdamW: DeepSpeed builds",),
        ),
        item="DeepSpeed scheduler {type, params} stepped with deepspeed's own class, total_num_steps long",
        requires=("deepspeed",),
    ),
    Case(
        "other_dialects/deepspeed_stanford_alpaca_warmup_decay_lr_auto.json",
        "render {file}",
        Refusal(('scheduler.params.total_num_steps: "auto"', "--set scheduler.params.total_num_steps=VALUE")),
        item='DeepSpeed "auto" (filled in by the HF Trainer) refused naming the key and the --set fix',
        requires=("deepspeed",),
    ),
    Case(
        "other_dialects/deepspeed_transpeeder_warmup_decay_lr.json",
        "render {file}",
        Schedule(
            "deepspeed.WarmupDecayLR",
            {"warmup_min_lr": 1e-6, "warmup_max_lr": 1e-5, "warmup_num_steps": 100, "total_num_steps": 1000},
            epochs=1000,
            optimizer="AdamW",  # DeepSpeed's "Adam" is FusedAdam in AdamW mode
            lr=1e-5,
            interval="step",
            stderr=("note: optimizer Adam: DeepSpeed builds FusedAdam",),
        ),
        item="DeepSpeed scheduler {type, params} stepped with deepspeed's own class, total_num_steps long",
        requires=("deepspeed",),
    ),
    Case(
        "other_dialects/detectron2_base_rcnn_fpn_yacs_solver.yaml",
        "render {file}",
        Refusal(("detectron2_base_rcnn_fpn_yacs_solver.yaml", "yacs")),
        item="yacs upper-case keys refused",
    ),
    Case(
        "other_dialects/detectron2_deeplab_base_lr_scheduler_name_warmuppoly.yaml",
        "render {file}",
        Refusal(("detectron2_deeplab_base_lr_scheduler_name_warmuppoly.yaml", "yacs")),
        item="yacs upper-case keys refused",
    ),
    Case(
        "other_dialects/espnet_an4_transformer_warmuplr.yaml",
        "render {file}",
        Refusal(("ESPnet", "warmuplr")),
        item="ESPnet `scheduler: warmuplr` refused",
    ),
    Case(
        "other_dialects/fts_explicit_phase_keyed_reinit_schedule.yaml",
        "render {file}",
        Refusal(("--key", "1.new_lr_scheduler.lr_scheduler_init", "2.new_lr_scheduler.lr_scheduler_init")),
        item="several scheduler nodes (integer top-level keys) -> --key list",
        label="several",
    ),
    Case(
        "other_dialects/fts_explicit_phase_keyed_reinit_schedule.yaml",
        # 21 epochs = three whole cycles (3 + 6 + 12).
        "render {file} --key 2.new_lr_scheduler.lr_scheduler_init --epochs 21",
        Schedule("CosineAnnealingWarmRestarts", {"T_0": 3, "T_mult": 2, "eta_min": 1e-7}, epochs=21, stderr=NOTE),
        item="--key through an integer mapping key",
        label="key",
    ),
    Case(
        "other_dialects/litgpt_llama2_7b_lora_implicit_warmup_cosine.yaml",
        # Looks like LightningCLI (optimizer class_path) but litgpt's schedule is implied by
        # train.lr_warmup_steps, not a node: the litgpt adapter reads it (tests/frameworks/litgpt)
        # once it knows the training split's size.
        "render {file}",
        Refusal(("litgpt_llama2_7b_lora_implicit_warmup_cosine.yaml", "litgpt counts the steps", "--dataset-size")),
        item="litgpt finetune config -> the litgpt adapter, which needs the dataset size",
    ),
    Case(
        "other_dialects/llm_foundry_mpt125m_composer_cosine_with_warmup_ba.yaml",
        "render {file}",
        Refusal(("cosine_with_warmup", "scheduler.name")),
        item="Composer `name:` that is not a torch scheduler refused",
    ),
    Case(
        "other_dialects/nemo_marblenet_optim_sched_polynomial_hold_decay.yaml",
        "render {file}",
        Refusal(("NeMo", "PolynomialHoldDecayAnnealing")),
        item="NeMo optim.sched refused",
    ),
    Case(
        "other_dialects/nemo_titanet_small_sched_cosine_annealing.yaml",
        # `CosineAnnealing` would resolve to lrviz's CosineAnnealingLR alias; NeMo's has a warmup.
        "render {file}",
        Refusal(("NeMo", "CosineAnnealing")),
        item="NeMo sched: {name: CosineAnnealing} refused, not read as the torch alias",
    ),
    Case(
        "other_dialects/oml_registry_name_args_one_cycle.yaml",
        # DEBATABLE: `one_cycle` resolves to OneCycleLR in lrviz; OML's `args:` wrapper is not
        # lrviz's layout, so it is refused naming `args`.
        "render {file}",
        Refusal(("oml_registry_name_args_one_cycle.yaml", "args")),
        item="registry `name:` + `args:` layout refused",
    ),
    Case(
        "other_dialects/pl_gaze_yacs_upper_scheduler_cosine.yaml",
        "render {file}",
        Refusal(("pl_gaze_yacs_upper_scheduler_cosine.yaml", "yacs")),
        item="yacs upper-case keys refused",
    ),
    Case(
        "other_dialects/s4_experiment_cifar_cosine_warmup_name.yaml",
        "render {file}",
        Refusal(("s4_experiment_cifar_cosine_warmup_name.yaml", "scheduler")),
        item="a scheduler node without a class (registry project) -> exit 2",
    ),
    Case(
        "other_dialects/s4_scheduler_plateau_name.yaml",
        "render {file}",
        Refusal(("_name_", "plateau")),
        item="project registry `_name_: plateau` refused",
    ),
    Case(
        "other_dialects/s4_scheduler_timm_cosine_name.yaml",
        "render {file}",
        Refusal(("_name_", "timm_cosine")),
        item="project registry `_name_: timm_cosine` refused",
    ),
    Case(
        "other_dialects/tensor_reloaded_classname_as_key_onecycle.yaml",
        "render {file}",
        Refusal(("tensor_reloaded_classname_as_key_onecycle.yaml", "OneCycleLR")),
        item="torch class name used as a key -> exit 2 naming it",
    ),
    Case(
        "other_dialects/ultralytics_yolov8_args_lr0_lrf_looks_like_timm.yaml",
        # Not timm's args.yaml (lr0/lrf/cos_lr): must not be misread as one.
        "render {file}",
        Refusal(("ultralytics_yolov8_args_lr0_lrf_looks_like_timm.yaml", "scheduler")),
        item="ultralytics args.yaml refused, not read as timm",
    ),
    Case(
        "other_dialects/zhengzangw_registry_name_step.yaml",
        # DEBATABLE: `name: step` is lrviz's own alias for StepLR, but this project's `step` takes
        # milestones (and `policy`, `warmup: null`): refused, with a line number.
        "render {file}",
        Refusal(("zhengzangw_registry_name_step.yaml:",)),
        item="registry `name: step` colliding with an lrviz alias -> exit 2",
    ),
]

# Every file in these categories has at least one row (hf/ and timm/ are another effort's).
COVERED = ("hydra_node", "hydra_full", "lightning_cli", "lightning_dict", "json", "custom_class", "other_dialects")
SLOW = {"autoware_frnet_onecycle_interp_max_steps"}  # 150,000 reference steps with real gradients


def _param(case: Case) -> object:
    marks = [pytest.mark.slow] if case_id(case) in SLOW else []
    return pytest.param(case, id=case_id(case), marks=marks)


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_realworld_config(case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run_case(case, tmp_path, monkeypatch)


def test_rows_cover_every_config_of_the_categories() -> None:
    files = {p.relative_to(CONFIGS).as_posix() for d in COVERED for p in (CONFIGS / d).iterdir() if p.is_file()}
    rows = {c.path for c in CASES}
    assert files - rows == set(), "config files without a row"
    assert all((CONFIGS / c.path).is_file() for c in CASES), "a row names a missing file"
    assert len({case_id(c) for c in CASES}) == len(CASES), "row ids must be unique"
    compositions = [c for c in CASES if "--config-dir" in c.command]
    assert len(compositions) >= 2 and all("hydra" in c.requires for c in compositions)


def test_sources_lists_every_config_file_with_a_commit() -> None:
    rows = sources_rows()
    listed = [local for local, *_ in rows]
    assert len(listed) == len(set(listed)), "a file is listed twice"
    on_disk = {
        f"tests/realworld/configs/{p.relative_to(CONFIGS).as_posix()}" for p in CONFIGS.rglob("*") if p.is_file()
    }
    assert set(listed) - on_disk == set(), "SOURCES.md lists files that do not exist"
    assert on_disk - set(listed) == set(), "files missing from SOURCES.md"
    for local, repo, upstream, commit, category in rows:
        assert len(commit) == 40 and all(ch in "0123456789abcdef" for ch in commit), (local, commit)
        assert repo.count("/") == 1 and upstream, local
        assert local.split("/")[3].startswith(category), (local, category)

"""Frameworks lrviz recognises but does not step yet: each refusal names the framework, the keys and what to do.

Each is an adapter whose ``detect`` scores its framework's own keys, so a file is named
for what it is (never read as another framework's on one shared key), and whose ``build``
refuses in one line. No refusal suggests a torch schedule "close to" the framework's:
a different curve is not the run's.
"""

from __future__ import annotations

from array import array
from collections.abc import Mapping
from typing import Any, ClassVar

from lrviz.config.layer import Layer
from lrviz.errors import ConfigError
from lrviz.frameworks.base import STRONG, Adapter, Evidence, Fields, Progress, score_keys
from lrviz.model import Curve, RunConfig


class Refused(Adapter):
    """An adapter that recognises its framework's files and refuses to draw them."""

    #: top-level keys unique to the framework, and keys it shares with others
    strong: ClassVar[tuple[str, ...]] = ()
    weak: ClassVar[tuple[str, ...]] = ()
    #: the framework's own Python packages: a launch command running one (``python -m verl.trainer.main_ppo``,
    #: ``deepspeed --module openrlhf.cli.train_sft``) is the framework's, whatever its flags look like
    packages: ClassVar[tuple[str, ...]] = ()

    def detect(self, data: Mapping[str, Any]) -> Evidence:
        """Its own keys' score; shared keys count only beside at least one key unique to the framework."""
        script = _module(data.get("__script__"))
        if script and script.split(".")[0] in self.packages:
            return Evidence(self.name, self.name, 3 * STRONG, (script,))
        evidence = score_keys(self.name, self.name, data, self.strong, self.weak)
        return evidence if any(k in self.strong for k in evidence.keys) else Evidence(self.name, self.name)

    def read_command(self, parsed: Any) -> dict[str, Any]:
        """The flags, and the script or module the command runs (for the refusal to name)."""
        return {**parsed.data, "__script__": parsed.launch.script}

    def build(self, layer: Layer) -> RunConfig:
        script = _module(Fields(layer).doc.get("__script__"))
        if script and script.split(".")[0] in self.packages:
            raise ConfigError(self.command_refusal(Fields(layer), script))
        raise ConfigError(self.refusal(Fields(layer)))

    def command_refusal(self, f: Fields, script: str) -> str:
        """The refusal of a launch command that runs the framework's own trainer ``script``."""
        return f"{f.prefix}{script}: {self.title}'s own trainer; lrviz does not step {self.title} schedules yet"

    def refusal(self, f: Fields) -> str:
        raise NotImplementedError

    def simulate(self, run: RunConfig, *, momentum: bool = False, progress: Progress | None = None) -> Curve:
        raise ConfigError(f"lrviz does not step {self.title} schedules")

    def simulate_resume(self, run: RunConfig, resume_at: int) -> tuple[array[float], ...]:
        raise ConfigError(f"lrviz does not step {self.title} schedules")

    def code(self, run: RunConfig) -> str:
        raise ConfigError(f"lrviz does not step {self.title} schedules")

    def refuse_options(self, layer: Layer) -> None:
        """The refusal itself says what to do; flags are not the problem."""


class WeNet(Refused):
    """WeNet spells its scheduler as ESPnet does (``scheduler`` + ``scheduler_conf``) but builds it in its own code."""

    name = "wenet"
    title = "WeNet"
    #: WeNet's keys beside ``scheduler`` (``lrviz.frameworks.espnet.WENET``, kept here so the packages stay apart)
    own = ("dataset_conf", "tokenizer", "tokenizer_conf", "train_engine", "cmvn", "cmvn_conf")

    def detect(self, data: Mapping[str, Any]) -> Evidence:
        marks = tuple(k for k in self.own if k in data)
        if isinstance(data.get("scheduler"), str) and "scheduler_conf" in data and marks:
            return Evidence(
                self.name, self.name, 2 * STRONG + STRONG * len(marks), ("scheduler", "scheduler_conf", *marks)
            )
        return Evidence(self.name, self.name)

    def refusal(self, f: Fields) -> str:
        return (
            f"{f.at('scheduler')}: a WeNet scheduler (scheduler: {f.doc.get('scheduler')}, with scheduler_conf) "
            "is WeNet's own class (wenet.utils.scheduler), stepped by its trainer; lrviz does not step WeNet "
            "schedules yet (ESPnet's configs, which spell it the same way, are read)"
        )


class Yacs(Refused):
    name = "yacs"
    title = "yacs/detectron2"

    def detect(self, data: Mapping[str, Any]) -> Evidence:
        keys = [k for k in data if isinstance(k, str)]
        if not keys or not all(k.isupper() for k in keys if k.isalpha() or "_" in k):
            return Evidence(self.name, self.name)
        found = tuple(k for k in ("SOLVER", "SCHEDULER", "MODEL", "DATASETS", "INPUT") if k in data)
        return Evidence(self.name, self.name, STRONG * len(found), found)

    def refusal(self, f: Fields) -> str:
        solver = f.doc.get("SOLVER")
        if isinstance(solver, Mapping) and "LR_POLICY" in solver:
            return (
                f"{f.at('SOLVER', 'LR_POLICY')}: a yacs config with SOLVER.LR_POLICY: {solver['LR_POLICY']} "
                "(PySlowFast's lr_policy.py computes the LR per iteration itself); lrviz does not step it"
            )
        if isinstance(solver, Mapping):
            name = solver.get("LR_SCHEDULER_NAME", "WarmupMultiStepLR")
            return (
                f"{f.at('SOLVER')}: a yacs/detectron2 config (SOLVER.LR_SCHEDULER_NAME: {name}) is read by "
                "detectron2's own build_lr_scheduler (its warmup is its own, per iteration); lrviz does not step "
                "detectron2 schedules yet"
            )
        where = f.at("SCHEDULER") if "SCHEDULER" in f.doc else f.prefix.rstrip(": ")
        return (
            f"{where}: an upper-case yacs-style config (SCHEDULER: ...) is read by the project's own code, which maps its keys to "
            "a scheduler; lrviz does not guess that mapping; write the torch scheduler as "
            "`scheduler: {name: CosineAnnealingLR, T_max: ...}` or use the matching lrviz command"
        )


class Ultralytics(Refused):
    """Ultralytics' ``args.yaml`` and YOLOv5/v7 hyp files: the schedule is trainer code, and the file does not say which.

    ``BaseTrainer._do_train`` warms every group up per iteration with ``np.interp`` over ``nw``
    iterations, then a ``LambdaLR`` stepped per epoch. ``nw`` is ``max(round(warmup_epochs * nb), 100)``
    up to ultralytics 8.4.102 and ``round(min(warmup_epochs, epochs - 1) * nb)`` from 8.4.103 (no
    floor), and ``optimizer: auto`` picks its optimizer and LR by a rule that also changed (8.3.0:
    SGD above 10,000 iterations, AdamW below; 8.4.0: SGD / MuSGD; 8.4.100 and 8.4.190: MuSGD /
    AdamW). An ``args.yaml`` records no version, so one release's trainer stepped here can draw a
    curve the run did not follow (4 batches per epoch and ``warmup_epochs: 3``: 12 warmup iterations
    from 8.4.103, 100 before): refused, naming the keys and where the run logged its LR.
    """

    name = "ultralytics"
    title = "Ultralytics/YOLO"
    strong = ("lr0", "lrf", "warmup_bias_lr", "warmup_momentum", "cos_lr", "nbs")
    weak = ("warmup_epochs", "imgsz", "mosaic", "close_mosaic")

    def refusal(self, f: Fields) -> str:
        if "cos_lr" not in f.doc and "optimizer" not in f.doc:  # a YOLOv5/v7 hyp file: train.py's flags pick lf
            return (
                f"{f.at('lr0')}: a YOLO hyperparameter file (lr0, lrf, warmup_epochs: {f.doc.get('warmup_epochs')}): "
                "the repository's train.py builds its scheduler in code (a LambdaLR, linear or one-cycle by its "
                "--cos-lr flag) and warms it up per iteration; lrviz does not step YOLO schedules yet"
            )
        optimizer = f.doc.get("optimizer")
        auto = (
            ", and optimizer: auto ignores lr0, picking the optimizer and its LR from the class count nc and the "
            "iteration count by a rule that also changed"
            if str(optimizer).lower() == "auto"
            else ""
        )
        return (
            f"{f.at('lr0')}: an Ultralytics args file (lr0: {f.doc.get('lr0')}, lrf: {f.doc.get('lrf')}, cos_lr: "
            f"{f.doc.get('cos_lr')}, warmup_epochs: {f.doc.get('warmup_epochs')}, optimizer: {optimizer}): "
            "Ultralytics' trainer steps a LambdaLR scheduler per epoch and warms each group up per iteration inside "
            "BaseTrainer._do_train, over "
            "max(round(warmup_epochs x batches), 100) iterations up to ultralytics 8.4.102 and "
            f"round(min(warmup_epochs, epochs-1) x batches) from 8.4.103{auto}; args.yaml does not record the release "
            "that wrote it, so lrviz does not step Ultralytics schedules (the run logged its LR per epoch in "
            "results.csv: lr/pg0, lr/pg1, lr/pg2)"
        )


class Verl(Refused):
    name = "verl"
    title = "verl"
    strong = (
        "actor_rollout_ref",
        "critic",
        "algorithm",
        "reward_model",
        "lr_warmup_steps_ratio",
        "warmup_style",
        "ulysses_sequence_parallel_size",
        "use_remove_padding",
    )
    weak = ("trainer", "data", "optim", "total_training_steps", "lr_warmup_steps", "min_lr_ratio")
    packages = ("verl",)

    def detect(self, data: Mapping[str, Any]) -> Evidence:
        base = super().detect(data)
        optim = data.get("optim")
        if isinstance(optim, Mapping):  # verl's SFT trainer: optim.{lr_warmup_steps_ratio, warmup_style}
            own = tuple(f"optim.{k}" for k in ("lr_warmup_steps_ratio", "warmup_style", "lr_scheduler") if k in optim)
            if own:
                return Evidence(self.name, self.name, base.score + STRONG * len(own), (*own, *base.keys))
        return base

    def refusal(self, f: Fields) -> str:
        return (
            f"{f.prefix}a verl config (its optim blocks: lr, lr_warmup_steps_ratio, warmup_style, min_lr_ratio, "
            "total_training_steps): verl's trainers build their own warmup and decay (verl/utils/torch_functional.py); "
            "lrviz does not step verl schedules yet"
        ).lstrip()

    def command_refusal(self, f: Fields, script: str) -> str:
        return (
            f"{f.prefix}{script}: a verl trainer, configured by Hydra overrides of its config "
            "(optim.lr, optim.lr_warmup_steps_ratio, optim.lr_scheduler_type, trainer.total_epochs, ...): verl "
            "builds its own warmup and decay (verl/utils/torch_functional.py); lrviz does not step verl schedules yet"
        )


class GptNeox(Refused):
    """A YAML config with Megatron-style keys and none of Megatron's own: GPT-NeoX's (``megatron`` reads a
    Megatron-LM launch command and its ``--yaml-cfg`` file)."""

    name = "gpt-neox"
    title = "GPT-NeoX"
    strong = (
        "lr_decay_style",
        "lr-decay-style",
        "lr_decay_iters",
        "lr-decay-iters",
        "train_iters",
        "train-iters",
        "lr_warmup_iters",
        "lr-warmup-iters",
    )
    weak = ("min_lr", "min-lr", "warmup", "seq_length", "seq-length", "num_layers", "num-layers")

    def detect(self, data: Mapping[str, Any]) -> Evidence:
        if "__script__" in data:  # a launch command's flags: Megatron-LM's, read by its adapter
            return Evidence(self.name, self.name)
        return super().detect(data)

    def refusal(self, f: Fields) -> str:
        key = next((k for k in ("lr_decay_style", "lr-decay-style", "train_iters", "train-iters") if f.given(k)), "")
        where = f.at(key) if key else f.prefix.rstrip(": ")
        return (
            f"{where}: a Megatron-LM/GPT-NeoX YAML config (lr_decay_style, train_iters, lr_decay_iters, warmup) "
            "without Megatron-LM's own keys (global_batch_size, lr_warmup_iters, ...): GPT-NeoX's, whose own "
            "AnnealingLR counts iterations itself; lrviz does not step GPT-NeoX schedules yet (Megatron-LM's launch "
            "commands and --yaml-cfg files are read: lrviz render train.sh)"
        )


class Fairseq(Refused):
    name = "fairseq"
    title = "fairseq"
    strong = ("optimization", "criterion", "distributed_training")
    weak = ("common", "dataset", "checkpoint", "task", "lr_scheduler", "optimizer")

    def detect(self, data: Mapping[str, Any]) -> Evidence:
        node = data.get("lr_scheduler")
        base = super().detect(data)
        if isinstance(node, Mapping) and isinstance(node.get("_name"), str):
            return Evidence(self.name, self.name, base.score + STRONG, ("lr_scheduler._name", *base.keys))
        return base

    def refusal(self, f: Fields) -> str:
        node = f.doc.get("lr_scheduler")
        name = node.get("_name") if isinstance(node, Mapping) else None
        where = f.at("lr_scheduler", "_name") if name else f.prefix.rstrip(": ")
        return (
            f"{where}: a fairseq config (lr_scheduler._name: {name}): fairseq's own scheduler "
            "(fairseq/optim/lr_scheduler), stepped per update by its trainer; lrviz does not step fairseq "
            "schedules yet"
        )


class OpenInstruct(Refused):
    name = "open-instruct"
    title = "open-instruct"
    strong = (
        "dataset_mixer_list",
        "max_train_samples",
        "with_tracking",
        "use_flash_attn",
        "reduce_loss",
        "chat_template_name",
        "dataset_mix_dir",
        "use_slow_tokenizer",
        "add_bos",
    )
    weak = (
        "dataset_mixer",
        "learning_rate",
        "lr_scheduler_type",
        "warmup_ratio",
        "num_train_epochs",
        "num_epochs",
        "per_device_train_batch_size",
        "gradient_accumulation_steps",
    )

    def refusal(self, f: Fields) -> str:
        return (
            f"{f.prefix}an open-instruct config: its own finetune.py/dpo loop builds the scheduler (warmup = "
            "int(total x warmup_ratio), rounded down, where the Trainer rounds up), so reading it as "
            "TrainingArguments would be wrong by a step; lrviz does not step open-instruct's loop yet"
        ).lstrip()


class OpenRLHF(Refused):
    """OpenRLHF's trainers (``openrlhf.cli.train_sft``, ``train_ppo_ray``, ...) take argparse flags and build
    their scheduler themselves: ``lr_scheduler`` (default ``cosine_with_min_lr``), ``lr_warmup_ratio``,
    ``min_lr_ratio``, over a ``max_steps`` they compute from the data (OpenRLHF/OpenRLHF 3c3be623)."""

    name = "openrlhf"
    title = "OpenRLHF"
    packages = ("openrlhf",)
    strong = ("micro_train_batch_size", "actor_learning_rate", "critic_learning_rate", "micro_rollout_batch_size")

    def refusal(self, f: Fields) -> str:
        return self.command_refusal(f, "an OpenRLHF command")

    def command_refusal(self, f: Fields, script: str) -> str:
        return (
            f"{f.prefix}{script}: OpenRLHF's own trainer builds the scheduler (lr_scheduler, default "
            "cosine_with_min_lr, with lr_warmup_ratio and min_lr_ratio) over the steps it counts from the data, "
            "the batch sizes and max_epochs; lrviz does not step OpenRLHF schedules yet"
        )


class Dinov2(Refused):
    name = "dinov2"
    title = "DINOv2"
    strong = ("dino", "ibot", "student", "teacher", "crops")
    weak = ("optim", "train", "evaluation")

    def refusal(self, f: Fields) -> str:
        return (
            f"{f.at('optim')}: a DINOv2 config (optim.base_lr, warmup_epochs, scaling_rule): DINOv2 builds its "
            "own CosineScheduler arrays per iteration (dinov2/train/train.py); lrviz does not step them yet"
        )


ADAPTERS: tuple[Refused, ...] = (
    WeNet(),
    Yacs(),
    Ultralytics(),
    Verl(),
    GptNeox(),
    Fairseq(),
    OpenInstruct(),
    OpenRLHF(),
    Dinov2(),
)


def _module(script: Any) -> str:
    """A command's ``-m`` module, or its script as a dotted module (``verl/trainer/main_ppo.py``), or ""."""
    if not isinstance(script, str):
        return ""
    return script.removesuffix(".py").lstrip("./").replace("/", ".")

"""Hugging Face transformers: ``TrainingArguments`` files, as LLaMA-Factory, TRL and axolotl spell them.

Read by ``read`` (the Trainer's step and warmup arithmetic), stepped by ``step``
(``get_scheduler``, as ``Trainer.create_scheduler`` calls it), checked by ``rules``,
written out by ``code``; ``keys`` classifies every key these files hold.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from lrviz.frameworks.base import WEAK, Evidence, Inventory, LibraryAdapter, score_keys

if TYPE_CHECKING:
    from lrviz.logs.axis import LogAxis
    from lrviz.model import RunConfig

#: TrainingArguments fields that no other format uses.
_HF_STRONG = ("lr_scheduler_type", "per_device_train_batch_size", "num_train_epochs", "lr_scheduler_kwargs")
_HF_WEAK = ("learning_rate", "warmup_steps", "warmup_ratio", "max_steps", "gradient_accumulation_steps", "output_dir")
#: LLaMA-Factory's classic layout: TrainingArguments plus its own model/data/finetuning arguments.
_LLAMAFACTORY = ("stage", "finetuning_type", "template", "lora_target", "cutoff_len", "dataset_dir")
#: TRL / alignment-handbook recipes: TrainingArguments plus TRL's config fields.
_TRL = ("dataset_text_field", "max_seq_length", "dataset_mixture", "use_peft", "dataset_name", "beta", "loss_type")
#: axolotl's own spellings.
_AXOLOTL_STRONG = (
    "micro_batch_size",
    "cosine_min_lr_ratio",
    "cosine_constant_lr_ratio",
    "base_model",
    "sequence_len",
    "sample_packing",
    "val_set_size",
    "lr_quadratic_warmup",
)
_AXOLOTL_WEAK = (
    "relora",
    "num_epochs",
    "lr_scheduler",
    "datasets",
    "adapter",
    "lora_r",
    "wandb_project",
    "special_tokens",
)


class HuggingFace(LibraryAdapter):
    modules = "lrviz.frameworks.hf"
    stepper = "Trainer"
    name = "hf"
    title = "Hugging Face TrainingArguments"
    dialects = ("axolotl", "llamafactory", "trl")
    package = "transformers"
    extra = "hf"
    log_convention = "transformers"
    applies = frozenset({"dataset_size", "world_size", "metrics"})
    own_keys = {
        "optimizer": "learning_rate=VALUE (and optim=...)",
        "lr": "learning_rate=VALUE",
        "epochs": "num_train_epochs=N (or max_steps=N)",
        "batch_size": "per_device_train_batch_size=N",
        "grad_accum": "gradient_accumulation_steps=N",
    }

    def detect(self, data: Mapping[str, Any]) -> Evidence:
        hf = score_keys(self.name, "hf", data, _HF_STRONG, _HF_WEAK)
        axolotl = score_keys(self.name, "axolotl", data, _AXOLOTL_STRONG, _AXOLOTL_WEAK + _HF_WEAK)
        strong_axolotl = axolotl.score > WEAK * len(axolotl.keys)  # at least one key only axolotl spells so
        if isinstance(data.get("lr_scheduler"), Mapping):  # a scheduler node, not axolotl's scheduler name
            strong_axolotl = False
        if strong_axolotl and axolotl.score > hf.score:
            return axolotl
        if not hf:
            return Evidence(self.name, "hf")
        if hf.score == len(hf.weak):  # only shared keys: no sub-dialect on top of that
            return hf
        for dialect, marks in (("llamafactory", _LLAMAFACTORY), ("trl", _TRL)):
            found = tuple(k for k in marks if k in data)
            if found:
                return Evidence(self.name, dialect, hf.score + WEAK * len(found), hf.keys + found, hf.weak + found)
        return hf

    def inventory(self, dialect: str) -> Inventory:
        from lrviz.frameworks.hf import keys

        base = keys.TRAINING_ARGUMENTS
        extra = {"llamafactory": keys.LLAMAFACTORY, "trl": keys.TRL, "axolotl": keys.AXOLOTL}.get(dialect)
        caveats = frozenset(keys.CAVEATS_BY_DIALECT.get(dialect, {}))
        return (base | extra if extra else base) | Inventory(no_effect=caveats)

    def read_command(self, parsed: Any) -> dict[str, Any]:
        from lrviz.frameworks.hf.command import typed_flags

        return typed_flags(parsed)

    def caveats(self, dialect: str) -> Mapping[str, str]:
        from lrviz.frameworks.hf import keys

        return keys.CAVEATS_BY_DIALECT.get(dialect, keys.CAVEATS)

    def log_axis(self, run: RunConfig) -> LogAxis | None:
        """A run whose DeepSpeed config has a scheduler block: the engine steps that scheduler inside
        ``accelerator.backward()``, before the Trainer reads ``get_last_lr()`` for its log, so the
        ``learning_rate`` logged at ``global_step`` s is the LR of optimizer step s (0-based), one step ahead
        of a plain Trainer's log: the after-step numbering of transformers < 4.51 (``with_deepspeed``)."""
        if getattr(run.settings, "deepspeed", None) is None:
            return None
        from lrviz.logs.axis import LogAxis

        return LogAxis(1, 0, "transformers<4.51", what="logged step (the DeepSpeed engine's scheduler)")

"""The Hugging Face key inventories: every field of the installed transformers is classified, and no
LR-shaped key of axolotl's schema is waved through as "no effect"."""

from __future__ import annotations

import dataclasses

import pytest

from lrviz.frameworks.base import KeyKind, looks_like_lr_key
from lrviz.frameworks.hf import HuggingFace, axolotl_schema, keys

transformers = pytest.importorskip("transformers")


@pytest.mark.parametrize("cls", ["TrainingArguments", "Seq2SeqTrainingArguments"])
def test_every_installed_field_is_classified(cls: str) -> None:
    fields = {f.name for f in dataclasses.fields(getattr(transformers, cls))}
    inventory = HuggingFace().inventory("hf")
    unclassified = sorted(f for f in fields if inventory.kind(f) is None)
    assert unclassified == [], f"transformers {transformers.__version__} has fields lrviz does not classify"


def test_the_fields_lrviz_reads_are_fields_of_some_transformers() -> None:
    installed = {f.name for f in dataclasses.fields(transformers.TrainingArguments)}
    renamed_since_4x = {"warmup_ratio", "evaluation_strategy"}
    assert keys.READ - installed <= renamed_since_4x


def test_no_key_is_in_two_classes() -> None:
    for dialect in ("hf", "axolotl", "llamafactory", "trl"):
        inventory = HuggingFace().inventory(dialect)
        assert not inventory.modelled & inventory.no_effect, dialect
        assert not set(inventory.unmodelled) & inventory.no_effect, dialect


def test_lr_shaped_axolotl_fields_are_reviewed_one_by_one() -> None:
    """A schema field whose name says it touches the LR is read, refused or a caveat: never a default."""
    explicit = keys.AXOLOTL_READ | set(keys.AXOLOTL_UNMODELLED) | set(keys.AXOLOTL_CAVEATS)
    # the optimizer's decay; Q-GaLore's projection and SimPO's loss margins (not the LR)
    reviewed_harmless = {"weight_decay", "qgalore_gamma_proj", "simpo_gamma"}
    lr_shaped = {f for f in axolotl_schema.FIELDS if looks_like_lr_key(f)}
    assert lr_shaped, "the pattern finds the schema's LR keys"
    assert sorted(lr_shaped - explicit - reviewed_harmless) == []


def test_axolotl_reads_its_own_schedulers_and_refuses_what_it_does_not_step() -> None:
    inventory = HuggingFace().inventory("axolotl")
    for key in ("lr_quadratic_warmup", "relora", "jagged_restart_steps", "cosine_constant_lr_ratio"):
        assert inventory.kind(key) is KeyKind.MODELLED
    for key in ("lr_groups", "relora_steps"):  # separate param groups; older releases' ReLoRA scheduler
        assert inventory.kind(key) is KeyKind.UNMODELLED
    assert inventory.kind("micro_batch_size") is KeyKind.MODELLED
    assert inventory.kind("lora_r") is KeyKind.NO_EFFECT

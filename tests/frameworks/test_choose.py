"""Choosing the adapter on evidence: never on one key, close calls refused with --dialect."""

from __future__ import annotations

import pytest

from lrviz import frameworks
from lrviz.errors import ConfigError
from lrviz.frameworks.base import Adapter


def test_one_shared_key_is_no_evidence() -> None:
    assert frameworks.choose({"learning_rate": 1e-4, "model": {}}, "x.yaml").adapter == "torch"


def test_a_torch_scheduler_node_decides_whatever_else_the_file_holds() -> None:
    doc = {
        "learning_rate": 1e-4,
        "max_steps": 10,
        "warmup_steps": 2,
        "lr_scheduler_type": "cosine",
        "scheduler": {"_target_": "torch.optim.lr_scheduler.StepLR", "step_size": 2},
    }
    assert frameworks.choose(doc, "x.yaml").adapter == "torch"


def test_llamafactory_v1_is_not_axolotl_for_its_micro_batch_size() -> None:
    doc = {
        "model_class": "llm",
        "train_dataset": "data.yaml",
        "optim_config": {"name": "adamw"},
        "micro_batch_size": 1,
        "global_batch_size": 8,
        "num_train_epochs": 1,
    }
    chosen = frameworks.choose(doc, "v1.yaml")
    assert (chosen.adapter, chosen.dialect) == ("llamafactory-v1", "llamafactory-v1")
    assert "model_class" in chosen.keys


def test_torchtune_is_not_trainingarguments() -> None:
    doc = {
        "lr_scheduler": {
            "_component_": "torchtune.training.lr_schedulers.get_cosine_schedule_with_warmup",
            "num_warmup_steps": 100,
        },
        "optimizer": {"_component_": "torch.optim.AdamW", "lr": 2e-5},
        "epochs": 1,
        "gradient_accumulation_steps": 8,
        "max_steps_per_epoch": None,
        "checkpointer": {"_component_": "x"},
    }
    assert frameworks.choose(doc, "r.yaml").adapter == "torchtune"


def test_two_close_dialects_are_refused_naming_both_and_the_flag() -> None:
    doc = {"lr_scheduler_type": "cosine", "sched_on_updates": True}
    with pytest.raises(ConfigError) as err:
        frameworks.choose(doc, "both.yaml")
    message = str(err.value)
    assert "both.yaml: cannot tell which framework" in message
    assert "hf (score 3: lr_scheduler_type)" in message and "timm (score 3: sched_on_updates)" in message
    assert "dialect NAME" in message


def test_the_dialect_flag_decides() -> None:
    doc = {"lr_scheduler_type": "cosine", "sched_on_updates": True}
    chosen = frameworks.choose(doc, "both.yaml", dialect="timm")
    assert chosen.adapter == "timm"
    assert frameworks.choose({}, "x", dialect="axolotl").dialect == "axolotl"
    with pytest.raises(ConfigError, match="not a dialect lrviz knows"):
        frameworks.choose(doc, "both.yaml", dialect="keras")


@pytest.mark.parametrize("adapter", frameworks.adapters(), ids=lambda a: a.name)
def test_every_adapter_is_registered_once_and_implements_the_protocol(adapter: Adapter) -> None:
    assert frameworks.get(adapter.name) is adapter
    assert adapter.title
    assert not adapter.detect({})  # an empty document is no evidence for anyone

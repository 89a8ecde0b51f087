"""Detection without a special weight: each adapter owns its modules and keys, and torch withdraws from them.

``Adapter.owns_modules`` / ``owns_keys`` are declared once per adapter; ``frameworks.others(name)``
gives an adapter what the rest own, and torch's reader, which looks through every class node,
claims none of theirs. So fvcore and ESPnet documents are chosen on their own evidence, a few
points, not on a weight made to outrank torch's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import lrviz
from lrviz import frameworks
from lrviz.config.files import read_document
from lrviz.errors import ConfigError
from lrviz.frameworks.base import STRONG, WEAK, Owners

FVCORE = "fvcore.common.param_scheduler"
REAL = Path(__file__).parents[1] / "realworld" / "configs"


def cosine(**extra: Any) -> dict[str, Any]:
    return {"_target_": f"{FVCORE}.CosineParamScheduler", "start_value": 1.0, "end_value": 0.0, **extra}


def test_a_node_in_a_module_fvcore_owns_is_not_claimed_by_torch() -> None:
    doc = {"scheduler": cosine(), "model": {"_target_": "sam2.modeling.SAM2Train"}}
    torch = frameworks.get("torch")
    # on its own, torch's reader would claim the node under `scheduler` (to refuse a project's class by name)
    assert torch.detect(doc).score > 0
    withdrawn = torch.detect_among(doc, frameworks.others("torch"))
    assert withdrawn.score == 0 and not withdrawn
    chosen = frameworks.choose(doc, "x.yaml")
    assert (chosen.adapter, chosen.score, chosen.keys) == ("fvcore", STRONG, ("scheduler._target_",))


def test_a_module_is_owned_at_its_dotted_boundary_only() -> None:
    owners = frameworks.others("torch")
    assert owners.of_target(f"{FVCORE}.CosineParamScheduler") == "fvcore"
    assert owners.of_target(f" {FVCORE}.CosineParamScheduler ") == "fvcore"
    assert owners.of_target(f"{FVCORE}_extra.CosineParamScheduler") is None
    assert owners.of_target("fvcore.nn.FlopCountAnalysis") is None
    assert owners.of_node({"class_path": f"{FVCORE}.LinearParamScheduler"}) == "fvcore"
    assert frameworks.others("fvcore").of_target(f"{FVCORE}.CosineParamScheduler") is None  # its own


def test_a_torch_scheduler_beside_an_fvcore_node_is_still_torchs() -> None:
    doc = {
        "scheduler": {"_target_": "torch.optim.lr_scheduler.StepLR", "step_size": 2},
        "weight_decay": {"scheduler": cosine()},
    }
    torch = frameworks.get("torch").detect_among(doc, frameworks.others("torch"))
    assert (torch.score, torch.keys) == (100, ("scheduler",))
    assert frameworks.choose(doc, "x.yaml").adapter == "torch"


def test_a_third_party_module_no_adapter_owns_is_torchs_as_before() -> None:
    doc = {"scheduler": {"_target_": "mypkg.schedulers.WarmupCosine", "warmup": 10}, "model": {"_target_": "m.M"}}
    assert frameworks.others("torch").in_document(doc) is None
    chosen = frameworks.choose(doc, "x.yaml")
    assert (chosen.adapter, chosen.dialect, chosen.score) == ("torch", "hydra", 100)
    with pytest.raises(ConfigError, match=r"mypkg\.schedulers\.WarmupCosine is the project's own scheduler class"):
        lrviz.load(doc)


def test_a_project_class_beside_fvcore_nodes_is_left_to_the_fvcore_reader() -> None:
    """SAM 3: its LR is a project class; its weight decay an fvcore one. fvcore's reader names the class."""
    project = {"_target_": "sam3.train.optim.schedulers.InverseSquareRootParamScheduler", "base_lr": 1e-4}
    doc = {
        "trainer": {"optim": {"options": {"lr": [{"scheduler": project}], "weight_decay": [{"scheduler": cosine()}]}}}
    }
    assert frameworks.get("torch").detect_among(doc, frameworks.others("torch")).score == 0
    assert frameworks.choose(doc, "x.yaml").adapter == "fvcore"


def test_espnets_scheduler_conf_is_its_own_so_lrvizs_format_is_not_claimed() -> None:
    bare = {"scheduler": "steplr"}
    assert frameworks.choose(bare, "x.yaml").dialect == "lrviz"  # lrviz's own format, as before
    espnet = {**bare, "scheduler_conf": {"step_size": 2}}
    assert frameworks.get("torch").detect_among(espnet, frameworks.others("torch")).score == 0
    chosen = frameworks.choose(espnet, "x.yaml")
    assert (chosen.adapter, chosen.score) == ("espnet", STRONG + WEAK)


def test_each_module_and_key_has_one_owner() -> None:
    declared = [(m, a.name) for a in frameworks.adapters() for m in a.owns_modules]
    modules = [m for m, _ in declared]
    assert len(modules) == len(set(modules))
    for m, owner in declared:  # no owner's module sits inside another's
        assert [o for n, o in declared if o != owner and (m + ".").startswith(n + ".")] == []
    keys = [k for a in frameworks.adapters() for k in a.owns_keys]
    assert len(keys) == len(set(keys))
    assert Owners.of(frameworks.adapters()).of_target(f"{FVCORE}.X") == "fvcore"


@pytest.mark.parametrize(
    ("path", "adapter"),
    [
        ("fvcore/sam2_1_hiera_b+_mose_finetune_cosine.yaml", "fvcore"),
        ("fvcore/sam3_odinw_text_only_train_inverse_sqrt_project_class.yaml", "fvcore"),
        ("fvcore/vggt_full_finetune_composite_linear_cosine.yaml", "fvcore"),
        ("espnet/mini_an4_asr_transducer_debug_warmuplr.yaml", "espnet"),
        ("espnet/ljspeech_tts_fastspeech2_noamlr_num_iters.yaml", "espnet"),
    ],
)
def test_real_configs_are_chosen_on_their_own_evidence(path: str, adapter: str) -> None:
    data, _ = read_document(REAL / path)
    evidence = [a.detect_among(data, frameworks.others(a.name)) for a in frameworks.adapters()]
    scores = {e.adapter: e.score for e in evidence if e}
    assert max(scores, key=lambda k: scores[k]) == adapter
    assert scores[adapter] < 100 and scores.get("torch", 0) == 0, scores  # no weight made to outrank torch's
    assert frameworks.choose(data, path).adapter == adapter

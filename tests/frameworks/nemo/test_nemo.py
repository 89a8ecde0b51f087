"""NeMo configs: NeMo's own prepare_lr_scheduler, stepped as Lightning steps it, equal to a loop of NeMo's classes.

Needs nemo-toolkit installed with ``--no-deps`` (its pinned Lightning would replace the installed one):
``lrviz.frameworks.nemo.step.lr_scheduler_module`` loads ``nemo.core.optim.lr_scheduler`` without
running ``nemo/core/__init__.py``. The loop here builds the class by name from NeMo's own registry
(``AVAILABLE_SCHEDULERS``) with the arguments ``setup_optimization`` passes, and the step count of
epoch-sized runs is NeMo's ``compute_max_steps``.
"""

from __future__ import annotations

import copy
import importlib.util
import sys
import warnings
from pathlib import Path
from typing import Any

import pytest
import torch

import lrviz
from lrviz.errors import ConfigError
from lrviz.frameworks import choose, for_run

if importlib.util.find_spec("nemo") is None:
    pytest.skip("nemo-toolkit is not installed (pip install --no-deps nemo-toolkit wrapt)", allow_module_level=True)

from lrviz.frameworks.nemo.step import BARE, lr_scheduler_module  # noqa: E402 - after the skip

REAL = Path(__file__).parents[2] / "realworld" / "configs"
#: NeMo-Framework-Launcher's runs are 600,000 to 13,800,000 steps: cut to a test's length with trainer.max_steps
SHORT = 3000


def nemo_lrs(sched: dict[str, Any], lr: float, steps: int) -> list[float]:
    """NeMo's class from its registry, built with the sched block's arguments, stepped after each optimizer step."""
    module = lr_scheduler_module()
    args = {k: v for k, v in sched.items() if k != "name"}
    model = torch.nn.Linear(2, 1)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scheduler = module.AVAILABLE_SCHEDULERS[sched["name"]](optimizer, **args)
        seen = []
        for _ in range(steps):
            seen.append(optimizer.param_groups[0]["lr"])
            model(torch.ones(2)).sum().backward()
            optimizer.step()
            optimizer.zero_grad()
            scheduler.step()
    return seen


def document(name: str) -> dict[str, Any]:
    """The file as NeMo reads it: OmegaConf's YAML (``6e-5`` is a float there, a string to PyYAML)."""
    from omegaconf import OmegaConf

    doc: dict[str, Any] = OmegaConf.to_container(OmegaConf.load(REAL / name), resolve=False)  # type: ignore[assignment]
    return doc


@pytest.mark.parametrize(
    "name",
    [
        "nemo/launcher_gpt3_126m_cosine_constant_steps.yaml",
        "nemo/launcher_bert_110m_cosine_constant_steps.yaml",
        "nemo/launcher_mt5_170m_warmup_annealing_ratio.yaml",
    ],
)
def test_launcher_configs_sized_by_trainer_max_steps(name: str) -> None:
    doc = document(name)
    assert choose(doc, name).adapter == "nemo"
    doc["trainer"]["max_steps"] = SHORT
    sched = {**doc["model"]["optim"]["sched"], "max_steps": SHORT}
    curve = lrviz.simulate(doc)
    assert list(curve.lrs[0]) == nemo_lrs(sched, float(doc["model"]["optim"]["lr"]), SHORT)


def test_a_run_past_the_point_limit_is_refused() -> None:
    """The refusal names the key that sized the run and the variable that raises the limit."""
    with pytest.raises(ConfigError, match="13,800,000 steps is more than the limit") as refused:
        lrviz.load(str(REAL / "nemo/launcher_bert_110m_cosine_constant_steps.yaml"))
    assert "yaml:19: trainer.max_steps: " in str(refused.value) and "LRVIZ_MAX_POINTS=N" in str(refused.value)


@pytest.mark.parametrize(
    "name",
    [
        "other_dialects/nemo_titanet_small_sched_cosine_annealing.yaml",
        "other_dialects/nemo_marblenet_optim_sched_polynomial_hold_decay.yaml",
    ],
)
def test_epoch_sized_configs_take_nemos_compute_max_steps(name: str) -> None:
    doc = document(name)
    trainer, train_ds = doc["trainer"], doc["model"]["train_ds"]
    steps = lr_scheduler_module().compute_max_steps(
        max_epochs=trainer["max_epochs"],
        accumulate_grad_batches=trainer.get("accumulate_grad_batches", 1),
        limit_train_batches=trainer.get("limit_train_batches", 1.0),
        num_workers=trainer.get("devices", 1) * trainer.get("num_nodes", 1),
        num_samples=5000,
        batch_size=train_ds["batch_size"],
        drop_last=train_ds.get("drop_last", False),
    )
    curve = lrviz.simulate(str(REAL / name), dataset_size=5000)
    sched = {**doc["model"]["optim"]["sched"], "max_steps": steps}
    assert list(curve.lrs[0]) == nemo_lrs(sched, float(doc["model"]["optim"]["lr"]), steps)


@pytest.mark.parametrize(
    ("name", "options", "message"),
    [
        ("other_dialects/nemo_titanet_small_sched_cosine_annealing.yaml", {}, "sized by max_epochs 250: NeMo counts"),
        ("nemo/aligner_gpt_dpo_cosine_constant_steps.yaml", {}, "pass dataset_size N"),
        ("nemo/aligner_gpt_dpo_cosine_constant_steps.yaml", {"dataset_size": 100}, "model.train_ds.batch_size"),
    ],
)
def test_what_the_file_cannot_say_is_refused(name: str, options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        lrviz.load(str(REAL / name), **options)


def sched_doc(**sched: Any) -> dict[str, Any]:
    return {"trainer": {"max_steps": 50}, "model": {"optim": {"name": "adamw", "lr": 0.01, "sched": sched}}}


def test_the_warmup_starts_at_lr_over_warmup_plus_one_and_is_said() -> None:
    curve = lrviz.simulate(sched_doc(name="WarmupAnnealing", warmup_steps=9, min_lr=0.001))
    assert curve.lrs[0][0] == 0.01 * 1 / 10
    assert list(curve.lrs[0]) == nemo_lrs(
        {"name": "WarmupAnnealing", "warmup_steps": 9, "min_lr": 0.001, "max_steps": 50}, 0.01, 50
    )
    found = {f.code: f.message for f in lrviz.diagnose(curve)}
    assert "lr/10), not at 0" in found["nemo-warmup-start"]


def test_cosine_with_constant_steps_warms_up_from_zero_and_no_trap_is_claimed() -> None:
    curve = lrviz.simulate(sched_doc(name="CosineAnnealing", warmup_steps=5, constant_steps=10, min_lr=0.001))
    assert curve.lrs[0][0] == 0.0
    assert "nemo-warmup-start" not in {f.code for f in lrviz.diagnose(curve)}


def test_a_constant_tail_that_leaves_no_decay_is_said() -> None:
    """The launcher's gpt3 126m run cut to SHORT steps: its 100,000 constant steps leave CosineAnnealing no decay,
    so NeMo drops to min_lr when the warmup ends; the full 600,000-step run decays and is not flagged."""
    doc = document("nemo/launcher_gpt3_126m_cosine_constant_steps.yaml")
    doc["trainer"]["max_steps"] = SHORT
    curve = lrviz.simulate(doc)
    sched = doc["model"]["optim"]["sched"]
    warmup, min_lr = sched["warmup_steps"], float(sched["min_lr"])
    assert curve.lrs[0][warmup + 1] == min_lr < curve.lrs[0][warmup - 1]  # NeMo's own curve: the drop
    found = {f.code: f.message for f in lrviz.diagnose(curve)}
    assert "leave no decay in max_steps=3,000" in found["nemo-no-decay"]
    full = lrviz.load(document("nemo/launcher_gpt3_126m_cosine_constant_steps.yaml"))  # 600,000 steps: not stepped
    assert "nemo-no-decay" not in {f.code for f in for_run(full).run_findings(full)}


@pytest.mark.parametrize(
    ("sched", "message"),
    [
        ({"name": "ReduceLROnPlateau"}, "once per epoch"),
        ({"name": "CosineAnnealing", "args": {"_target_": "my.Params"}}, "takes the class's arguments from args"),
        ({"name": "CosineAnnealing", "_target_": "my.Params"}, "runs no project code"),
        ({"name": "NoSuchAnnealing"}, "NeMo has no scheduler NoSuchAnnealing"),
    ],
)
def test_what_nemo_would_not_step_per_optimizer_step_is_refused(sched: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        lrviz.simulate(sched_doc(**sched))


def test_code_runs_nemos_prepare_lr_scheduler_and_gives_the_same_lrs() -> None:
    run = lrviz.load(sched_doc(name="CosineAnnealing", warmup_ratio=0.1, min_lr=0.0005))
    source = lrviz.code(run)
    assert "prepare_lr_scheduler(optimizer, sched, None)" in source
    printed: list[float] = []
    namespace: dict[str, Any] = {"print": lambda text: printed.append(float(text.rsplit(" ", 1)[1]))}
    lr_scheduler_module()
    saved = copy.copy(sys.modules)
    try:  # NeMo's package __init__ needs its pinned Lightning: its packages as lrviz loads them
        for name in BARE:
            spec = importlib.util.find_spec(name)
            assert spec is not None
            sys.modules.setdefault(name, importlib.util.module_from_spec(spec))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exec(compile(source, "snippet", "exec"), namespace)  # noqa: S102 - our own output
    finally:
        for name in BARE:
            if sys.modules.get(name) is not saved.get(name):
                sys.modules.pop(name, None)
    assert printed == list(lrviz.simulate(run).lrs[0])
    assert len(printed) == 50

"""Every key of NeMo's ``sched`` block is read, named in a note, or refused, as NeMo's own code treats it.

The classification (``lrviz.frameworks.nemo.keys``) is checked against the installed nemo-toolkit:
the table of each class's arguments against the classes' signatures, and each kind of key
against NeMo's own ``prepare_lr_scheduler``: a read key changes NeMo's curve and lrviz draws
that curve (``==``); a no-effect key leaves NeMo's curve as it is; a refused key makes NeMo fail.
"""

from __future__ import annotations

import importlib.util
import inspect
import warnings
from pathlib import Path
from typing import Any

import pytest
import torch

import lrviz
from lrviz.errors import ConfigError

if importlib.util.find_spec("nemo") is None:
    pytest.skip("nemo-toolkit is not installed (pip install --no-deps nemo-toolkit wrapt)", allow_module_level=True)

from lrviz.frameworks.nemo.keys import CLASS_ARGS, INERT, NO_EFFECT, REQUIRED  # noqa: E402 - after the skip
from lrviz.frameworks.nemo.read import EPOCH_SCHEDULERS  # noqa: E402
from lrviz.frameworks.nemo.step import lr_scheduler_module  # noqa: E402

REAL = Path(__file__).parents[2] / "realworld" / "configs"
STEPS = 40
LR = 0.01
#: the arguments a class cannot be built without (or, for T5InverseSquareRootAnnealing, NeMo fails without)
NEEDED: dict[str, dict[str, Any]] = {
    "NoamAnnealing": {"d_model": 16},
    "StepLR": {"step_size": 7},
    "CyclicLR": {"base_lr": 0.001, "max_lr": 0.01, "step_size_up": 6},
    "T5InverseSquareRootAnnealing": {"constant_steps": 4},
    "NoamHoldAnnealing": {"warmup_steps": 4},
}
#: a value other than the default for each argument, in a 40-step run
OTHER: dict[str, Any] = {
    "warmup_steps": 6,
    "warmup_ratio": 0.2,
    "hold_steps": 5,
    "hold_ratio": 0.25,
    "constant_steps": 10,
    "constant_ratio": 0.25,
    "min_lr": 0.004,
    "power": 2.0,
    "cycle": True,
    "d_model": 64,
    "decay_rate": 1.0,
    "step_size": 3,
    "gamma": 0.5,
    "base_lr": 0.002,
    "max_lr": 0.005,
    "step_size_up": 3,
    "step_size_down": 9,
    "mode": "triangular2",
    "scale_mode": "iterations",
    "cycle_momentum": False,
    "base_momentum": 0.5,
    "max_momentum": 0.95,
}
#: (class, argument) pairs passed to NeMo that leave its LR curve as it is in this run beyond the ones ``INERT``
#: names (those get a note): CyclicLR's scale_mode (used only with a scale_fn) and gamma (only in exp_range mode);
#: PolynomialHoldDecayAnnealing's cycle (its decay passes decay_steps only when the warmup is longer than the hold)
UNCHANGED = {("CyclicLR", "scale_mode"), ("CyclicLR", "gamma"), ("PolynomialHoldDecayAnnealing", "cycle")}
#: NeMo's own failure: SquareRootConstantPolicy computes 1/constant_steps**0.5 from the argument, None with a ratio
FAILS_IN_NEMO = {("T5InverseSquareRootAnnealing", "constant_ratio")}
#: a callable: not a value a config file holds
NOT_IN_A_FILE = ("max_steps", "last_epoch", "scale_fn")
STEPPED = [n for n in CLASS_ARGS if n not in EPOCH_SCHEDULERS]


def class_args(cls: type) -> dict[str, Any]:
    """The keyword arguments ``cls(optimizer, **kwargs)`` accepts: its ``__init__``'s, then through ``**kwargs``
    its bases' (the most derived default wins), as ``CLASS_ARGS`` records them."""
    out: dict[str, Any] = {}
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        params = list(inspect.signature(init).parameters.values())[1:]
        for p in params:
            if p.name != "optimizer" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL):
                out.setdefault(p.name, REQUIRED if p.default is p.empty else p.default)
        if not any(p.kind == p.VAR_KEYWORD for p in params):
            break
    return out


def nemo(sched: dict[str, Any]) -> list[float]:
    """NeMo's own prepare_lr_scheduler on ``sched`` (max_steps set), stepped after each optimizer step."""
    module = lr_scheduler_module()
    model = torch.nn.Linear(1, 1)
    optimizer = torch.optim.AdamW(model.parameters(), lr=LR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scheduler = module.prepare_lr_scheduler(optimizer, {**sched, "max_steps": STEPS}, None)["scheduler"]
        seen = []
        for _ in range(STEPS):
            seen.append(optimizer.param_groups[0]["lr"])
            optimizer.step()
            scheduler.step()
    return seen


def doc(**sched: Any) -> dict[str, Any]:
    return {"trainer": {"max_steps": STEPS}, "model": {"optim": {"name": "adamw", "lr": LR, "sched": sched}}}


def base(name: str) -> dict[str, Any]:
    return {"name": name, **NEEDED.get(name, {})}


def test_the_table_of_arguments_is_the_installed_classes() -> None:
    module = lr_scheduler_module()
    assert list(CLASS_ARGS) == list(module.AVAILABLE_SCHEDULERS)
    for name, cls in module.AVAILABLE_SCHEDULERS.items():
        assert CLASS_ARGS[name] == class_args(cls), name


@pytest.mark.parametrize(("name", "key"), [(n, k) for n in STEPPED for k in CLASS_ARGS[n] if k not in NOT_IN_A_FILE])
def test_each_argument_is_drawn_as_nemo_draws_it_and_a_note_names_those_that_change_nothing(
    name: str, key: str
) -> None:
    sched = {**base(name), key: OTHER[key]}
    if key.endswith("_ratio"):  # NeMo asserts a ratio and its step count are not both given
        sched.pop(key.replace("_ratio", "_steps"), None)
    if (name, key) in FAILS_IN_NEMO:
        with pytest.raises(TypeError):
            nemo(sched)
        with pytest.raises(ConfigError, match=f"NeMo's {name} rejected the arguments"):
            lrviz.simulate(doc(**sched))
        return
    curve = lrviz.simulate(doc(**sched))
    assert list(curve.lrs[0]) == nemo(sched)
    inert = key in INERT.get(name, {})
    assert (list(curve.lrs[0]) == nemo(base(name))) == (inert or (name, key) in UNCHANGED)
    lines = lrviz.explain(curve.run)
    (read,) = [x.split(": read: ")[1].split(", ") for x in lines if x.startswith("model.optim.sched: read:")]
    assert (key in read) != inert
    assert (
        any(f"sched.{key}: passed to NeMo's {name}, and does not change its LR" in n for n in curve.run.notes) == inert
    )


@pytest.mark.parametrize("key", sorted(NO_EFFECT))
def test_a_key_nemo_reads_for_lightning_only_is_named_and_leaves_the_curve(key: str) -> None:
    sched = {"name": "CosineAnnealing", "warmup_steps": 5, key: "val_loss" if key == "monitor" else True}
    assert nemo(sched) == nemo({"name": "CosineAnnealing", "warmup_steps": 5})
    curve = lrviz.simulate(doc(**sched))
    assert list(curve.lrs[0]) == nemo(sched)
    assert any(f"model.optim.sched.{key}: prepare_lr_scheduler" in n for n in curve.run.notes)
    assert f"model.optim.sched: no effect on the LR: {key}" in lrviz.explain(curve.run)


@pytest.mark.parametrize(
    ("name", "key"),
    [
        (n, k)
        for n in STEPPED
        for k in ("interval", "frequency", "iters_per_batch", "hold_steps", "power")
        if k not in CLASS_ARGS[n]
    ],
)
def test_a_key_the_class_does_not_take_fails_in_nemo_and_is_refused(name: str, key: str) -> None:
    sched = {**base(name), key: "step" if key == "interval" else 1}
    nemo(base(name))  # builds without it
    with pytest.raises((TypeError, ValueError), match=key):
        nemo(sched)
    with pytest.raises(ConfigError, match=rf"sched.{key}: NeMo's prepare_lr_scheduler passes {key}.* remove it"):
        lrviz.load(doc(**sched))


def test_last_epoch_other_than_minus_one_fails_in_nemo_and_is_refused() -> None:
    sched = {"name": "CosineAnnealing", "last_epoch": 3}
    with pytest.raises(KeyError, match="initial_lr"):
        nemo(sched)
    with pytest.raises(ConfigError, match=r"sched.last_epoch: last_epoch 3: .*set it to -1"):
        lrviz.load(doc(**sched))
    assert list(lrviz.simulate(doc(name="CosineAnnealing", last_epoch=-1)).lrs[0]) == nemo(sched | {"last_epoch": -1})


def test_a_params_block_is_read_as_nemo_moves_it_into_sched() -> None:
    sched = {"name": "CosineAnnealing", "min_lr": 0.0, "params": {"warmup_steps": 5, "min_lr": 0.001}}
    curve = lrviz.simulate(doc(**sched))
    assert list(curve.lrs[0]) == nemo(sched) == nemo({"name": "CosineAnnealing", "warmup_steps": 5, "min_lr": 0.001})
    assert "model.optim.sched: read: name, min_lr, warmup_steps" in lrviz.explain(curve.run)


def test_args_is_refused_saying_what_nemo_does_with_it() -> None:
    """With ``args.name: auto``, NeMo drops ``args.params`` (moved up first) for the Params class's defaults."""
    sched = {"name": "CosineAnnealing", "args": {"name": "auto", "params": {"warmup_steps": 5, "min_lr": 0.001}}}
    assert nemo(sched) == nemo({"name": "CosineAnnealing"})
    with pytest.raises(ConfigError, match=r"sched.args: with sched.args, .* move them there"):
        lrviz.load(doc(**sched))


@pytest.mark.parametrize(
    ("sched", "message"),
    [
        ({"name": "NoSuchAnnealing"}, r"sched.name: NeMo has no scheduler NoSuchAnnealing \(AVAILABLE_SCHEDULERS: "),
        ({"name": "NoamAnnealing"}, r"sched: NeMo's NoamAnnealing needs d_model; set model.optim.sched.d_model="),
        ({"name": "CosineAnnealing", "cls": "my.Params"}, r"sched.cls: NeMo instantiates this class path"),
    ],
)
def test_what_nemo_cannot_build_is_refused_before_stepping(sched: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        lrviz.load(doc(**sched))


@pytest.mark.parametrize(
    "name",
    [
        "nemo/launcher_gpt3_126m_cosine_constant_steps.yaml",
        "nemo/launcher_mt5_170m_warmup_annealing_ratio.yaml",
        "nemo/launcher_bert_110m_cosine_constant_steps.yaml",
        "nemo/aligner_gpt_dpo_cosine_constant_steps.yaml",
        "other_dialects/nemo_titanet_small_sched_cosine_annealing.yaml",
        "other_dialects/nemo_marblenet_optim_sched_polynomial_hold_decay.yaml",
    ],
)
def test_every_sched_key_of_the_real_configs_is_accounted_for(name: str) -> None:
    from omegaconf import OmegaConf

    sched = OmegaConf.to_container(OmegaConf.load(REAL / name))["model"]["optim"]["sched"]  # type: ignore[index]
    lines = lrviz.explain(str(REAL / name), dataset_size=1000, overrides=["trainer.max_steps=100"])
    (read,) = [x.split(": read: ")[1].split(", ") for x in lines if x.startswith("model.optim.sched: read:")]
    assert sorted(read) == sorted(sched)

"""timm's key inventory: every train.py argument is classified, and LR-shaped ones are read or a caveat."""

from __future__ import annotations

from pathlib import Path

import yaml

from lrviz.frameworks.base import KeyKind, looks_like_lr_key
from lrviz.frameworks.timm import Timm, keys

CORPUS = Path(__file__).parents[2] / "realworld" / "configs"


def test_every_train_py_argument_is_classified() -> None:
    inventory = Timm().inventory("timm")
    assert sorted(a for a in keys.TRAIN_PY if inventory.kind(a) is None) == []


def test_lr_shaped_arguments_are_read_or_a_caveat() -> None:
    # the optimizer's weight decay and the model EMA's own decay and warmup: none is the LR
    reviewed_harmless = {
        "weight_decay",
        "layer_decay_min_scale",
        "layer_decay_no_opt_scale",
        "model_ema_decay",
        "model_ema_warmup",
    }
    loose = sorted(
        a for a in keys.TRAIN_PY if looks_like_lr_key(a) and a not in keys.READ | set(keys.CAVEATS) | reviewed_harmless
    )
    assert loose == []


def test_the_real_args_files_hold_no_unknown_lr_key() -> None:
    """Every args.yaml of the corpus: each key is classified, or (unknown) does not look like an LR key."""
    inventory = Timm().inventory("timm")
    files = [p for p in CORPUS.rglob("*.y*ml") if "timm" in p.parent.name]
    seen = 0
    for path in files:
        data = yaml.safe_load(path.read_text())
        if not isinstance(data, dict) or not isinstance(data.get("sched"), str):
            continue
        seen += 1
        unknown = [k for k in data if inventory.kind(str(k)) is None and looks_like_lr_key(str(k))]
        assert unknown in ([], ["lr_ep"]), f"{path.name}: {unknown}"
    assert seen >= 3
    assert inventory.kind("sched") is KeyKind.MODELLED

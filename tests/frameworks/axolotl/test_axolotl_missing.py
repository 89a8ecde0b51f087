"""Without axolotl installed, a config that needs one of its own schedulers is refused naming the install command."""

from __future__ import annotations

import importlib.util

import pytest

import lrviz
from lrviz.errors import ConfigError
from lrviz.frameworks.hf import axolotl_step


def test_an_axolotl_scheduler_without_axolotl_names_the_no_deps_install(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        axolotl_step.importlib.util, "find_spec", lambda name: None if name == "axolotl" else real(name)
    )
    doc = {"base_model": "m", "micro_batch_size": 1, "num_epochs": 1, "lr_scheduler": "rex", "max_steps": 20}
    with pytest.raises(ConfigError, match=r"pip install --no-deps axolotl"):
        lrviz.simulate(doc)

"""A figure made before its curve (``plot.prepare``, while torch imports) plots the same bytes."""

from __future__ import annotations

import io
from typing import Any

import pytest

from lrviz.engine import simulate
from lrviz.model import Curve
from lrviz.render import import_renderers, plot
from tests.conftest import make_run

CURVES: dict[str, dict[str, Any]] = {
    "cosine": {"scheduler": {"name": "CosineAnnealingLR", "T_max": 5}, "epochs": 50},
    "restarts": {"scheduler": {"name": "CosineAnnealingWarmRestarts", "T_0": 5, "T_mult": 2}, "epochs": 40},
    "milestones": {"scheduler": {"name": "MultiStepLR", "milestones": [10, 30], "gamma": 0.5}, "epochs": 40},
    "steps": {
        "scheduler": {"name": "OneCycleLR", "max_lr": 0.1},
        "epochs": 20,
        "steps_per_epoch": 30,
        "optimizer": {"name": "SGD", "lr": 0.01, "momentum": 0.9},
    },
}
OPTIONS: list[dict[str, Any]] = [
    {},
    {"log_y": True},
    {"momentum": True},
    {"style": "dark"},
    {"dpi": 72, "size": (6.0, 4.0), "title": "a title long enough to be wrapped " * 3},
]


def _png(curve: Curve, **options: Any) -> bytes:
    out = io.BytesIO()
    plot.save_figure(plot.build_figure(curve, **options), out, "png")
    return out.getvalue()


@pytest.mark.parametrize("name", CURVES)
@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: ",".join(o) or "default")
def test_a_prepared_figure_is_taken_and_plots_the_same_bytes(name: str, options: dict[str, Any]) -> None:
    curve = simulate(make_run(CURVES[name]), momentum=bool(options.get("momentum")))
    plot._READY.clear()
    fresh = _png(curve, **options)
    shape = {k: options[k] for k in ("dpi", "size", "style") if k in options}
    plot.prepare(**shape)
    assert len(plot._READY) == 1
    assert _png(curve, **options) == fresh
    assert not plot._READY  # it was taken, not left aside


def test_a_prepared_figure_of_another_shape_is_left_and_one_is_kept_per_shape(tmp_path: Any) -> None:
    curve = simulate(make_run(CURVES["cosine"]))
    plot._READY.clear()
    import_renderers([tmp_path / "a.png", tmp_path / "b.csv"])  # the command's call, at the default shape
    import_renderers([tmp_path / "a.svg"])
    assert list(plot._READY) == [(plot.DEFAULT_SIZE, plot.DEFAULT_DPI, plot.DEFAULT_STYLE)]
    fresh = _png(curve, dpi=80)
    assert len(plot._READY) == 1
    plot._READY.clear()
    assert _png(curve, dpi=80) == fresh
    import_renderers([tmp_path / "a.csv"])
    assert not plot._READY

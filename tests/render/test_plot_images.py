"""Every kind of plot, as users see it: compared with committed baseline images, and its text checked.

Each case in ``CASES`` draws one figure (linear, log axis, param groups, momentum,
resume overlay, optimizer-step axis, long title, compare overlay, plan small
multiples, dark style) and compares its PNG with ``tests/render/baseline_images/<case>.png``
using ``matplotlib.testing.compare.compare_images`` with a tolerance (RMS of the
pixel difference), never a hash: text rendering differs across FreeType versions.

To regenerate the baselines after an intended change, run

    LRVIZ_UPDATE_BASELINES=1 pytest tests/render/test_plot_images.py

then look at every changed image before committing it. A failed comparison leaves
the new image and a ``-failed-diff`` image beside each other in pytest's tmp_path.

The text checks need no baseline: after a draw, every text of the figure (tick labels
included) must be plain text, no mathtext left over (``$``, ``^{``), and lie inside
the figure (a y label once fell off the left edge).
"""

from __future__ import annotations

import io
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from matplotlib.figure import Figure
from matplotlib.testing.compare import compare_images
from matplotlib.text import Text

from lrviz.api import simulate
from lrviz.comparison import compare
from lrviz.errors import ConfigError
from lrviz.model import Curve
from lrviz.plan import plan_restarts
from lrviz.render import check_plot_options, write_outputs
from lrviz.render.plot import build_compare_figure, build_figure, build_small_multiples, save_figure
from tests.conftest import make_run

BASELINES = Path(__file__).parent / "baseline_images"
UPDATE = os.environ.get("LRVIZ_UPDATE_BASELINES") == "1"
#: RMS difference (0-255 grey levels) allowed: room for anti-aliasing and hinting, far below a moved label.
TOLERANCE = 3.0

RESTARTS = {"epochs": 50, "scheduler": {"name": "CosineAnnealingWarmRestarts", "T_0": 5, "T_mult": 2}}


def _curve(doc: dict[str, Any], **kwargs: Any) -> Curve:
    return simulate(make_run(doc), **kwargs)


def _linear() -> Figure:
    return build_figure(_curve(RESTARTS))


def _log_y() -> Figure:
    return build_figure(_curve({"epochs": 120, "scheduler": {"name": "ExponentialLR", "gamma": 0.9}}), log_y=True)


def _log_y_narrow() -> Figure:  # less than a decade: minor ticks get labels too
    doc = {"epochs": 20, "scheduler": {"name": "CosineAnnealingLR", "T_max": 20, "eta_min": 0.03}}
    return build_figure(_curve(doc), log_y=True)


def _groups() -> Figure:
    doc = {
        "epochs": 30,
        "optimizer": {"param_groups": [{"name": "backbone", "lr": 0.001}, {"name": "head", "lr": 0.01}]},
        "scheduler": {"name": "CosineAnnealingLR", "T_max": 30},
    }
    return build_figure(_curve(doc))


def _momentum() -> Figure:
    doc = {
        "epochs": 10,
        "steps_per_epoch": 100,
        "optimizer": {"name": "SGD", "lr": 0.1, "momentum": 0.9},
        "scheduler": {"name": "OneCycleLR", "max_lr": 0.5},
    }
    return build_figure(_curve(doc, momentum=True), momentum=True)


def _crowded() -> Figure:  # small LRs, a step axis on top, a twin axis and a legend of many rows
    doc = {
        "epochs": 40,
        "steps_per_epoch": 50,
        "optimizer": {"name": "SGD", "momentum": 0.9, "param_groups": [{"name": f"group {i}"} for i in range(4)]},
        "scheduler": {"name": "OneCycleLR", "max_lr": [5e-6, 4e-6, 3e-6, 2e-6]},
    }
    return build_figure(_curve(doc, momentum=True), momentum=True)


def _resume() -> Figure:
    run = make_run(RESTARTS)
    curve = simulate(run, resume_at=20)
    return build_figure(curve)


def _step_axis() -> Figure:  # a million steps: thousands separators, no 1e6 offset
    doc = {"epochs": 5, "steps_per_epoch": 200_000, "scheduler": {"name": "OneCycleLR", "max_lr": 0.1}}
    return build_figure(_curve(doc))


def _long_title() -> Figure:
    doc = {
        "epochs": 100,
        "scheduler": {
            "name": "SequentialLR",
            "milestones": [5, 50],
            "schedulers": [
                {"name": "LinearLR", "start_factor": 0.01, "total_iters": 5},
                {"name": "CosineAnnealingWarmRestarts", "T_0": 10, "T_mult": 2, "eta_min": 1e-5},
                {"name": "ExponentialLR", "gamma": 0.95},
            ],
        },
    }
    return build_figure(_curve(doc), log_y=True)


def _compare() -> Figure:
    other = {"epochs": 50, "scheduler": {"name": "CosineAnnealingWarmRestarts", "T_0": 10, "T_mult": 1}}
    return build_compare_figure(compare([_curve(RESTARTS), _curve(other)], ["T_mult 2", "T_mult 1"]))


def _plan() -> Figure:
    plans = plan_restarts(75, max_cycles=4)
    curves = [simulate(make_run(p.document())) for p in plans]
    return build_small_multiples(curves, [p.describe() for p in plans])


def _dark() -> Figure:
    doc = {**RESTARTS, "steps_per_epoch": 4}
    return build_figure(_curve(doc), log_y=True, style="dark", size=(8, 4), dpi=120)


CASES: dict[str, Callable[[], Figure]] = {
    "linear": _linear,
    "log_y": _log_y,
    "log_y_narrow": _log_y_narrow,
    "groups": _groups,
    "momentum": _momentum,
    "crowded": _crowded,
    "resume": _resume,
    "step_axis": _step_axis,
    "long_title": _long_title,
    "compare": _compare,
    "plan": _plan,
    "dark": _dark,
}


@pytest.fixture(scope="module")
def figures() -> dict[str, Figure]:
    return {name: make() for name, make in CASES.items()}


@pytest.mark.parametrize("name", CASES)
def test_matches_baseline(name: str, figures: dict[str, Figure], tmp_path: Path) -> None:
    expected = BASELINES / f"{name}.png"
    actual = tmp_path / f"{name}.png"
    with actual.open("wb") as out:
        save_figure(figures[name], out, "png")
    if UPDATE:
        BASELINES.mkdir(exist_ok=True)
        shutil.copyfile(actual, expected)
        return
    if not expected.exists():
        pytest.fail(f"no baseline {expected}; make it with LRVIZ_UPDATE_BASELINES=1 pytest {__file__}")
    failure = compare_images(str(expected), str(actual), tol=TOLERANCE)
    assert failure is None, failure


def _texts(fig: Figure) -> list[Text]:
    """Every text a draw of ``fig`` actually draws (tick labels outside the view are not)."""
    drawn: list[Text] = []
    draw = Text.draw

    def record(self: Text, renderer: Any) -> None:
        if self.get_visible() and self.get_text().strip():
            drawn.append(self)
        draw(self, renderer)

    Text.draw = record  # type: ignore[method-assign]
    try:
        fig.canvas.draw()
    finally:
        Text.draw = draw  # type: ignore[method-assign]
    return drawn


@pytest.mark.parametrize("name", CASES)
def test_text_is_plain_and_inside(name: str, figures: dict[str, Figure]) -> None:
    fig = figures[name]
    texts = _texts(fig)
    assert len(texts) > 5
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    for text in texts:
        content = text.get_text()
        assert "$" not in content and "^{" not in content and "\\" not in content, content
        box = text.get_window_extent(renderer)
        assert box.x0 >= -0.5 and box.y0 >= -0.5, (content, box)
        assert box.x1 <= fig.bbox.width + 0.5 and box.y1 <= fig.bbox.height + 0.5, (content, box)


def test_log_ticks_are_unicode_powers(figures: dict[str, Figure]) -> None:
    labels = [t.get_text() for t in _texts(figures["log_y"]) if t.get_text().startswith("10")]
    assert "10⁻²" in labels and "10⁻⁴" in labels
    narrow = [t.get_text() for t in _texts(figures["log_y_narrow"])]
    assert "10⁻¹" in narrow and any("×10⁻²" in t for t in narrow)


def test_step_axis_has_no_offset(figures: dict[str, Figure]) -> None:
    texts = [t.get_text() for t in _texts(figures["step_axis"])]
    assert "1,000,000" in texts
    assert not any("1e6" in t or "1e+06" in t for t in texts)


def test_long_title_wraps(figures: dict[str, Figure]) -> None:
    title = figures["long_title"].axes[0].get_title()
    assert title.count("\n") >= 2 and "ExponentialLR(gamma=0.95)" in title


def test_onecycle_title_shows_the_lr_it_sets(figures: dict[str, Figure]) -> None:
    title = figures["momentum"].axes[0].get_title()
    assert "peak LR 0.5 (set by OneCycleLR)" in title and "lr=0.1" not in title
    doc = {
        "epochs": 4,
        "steps_per_epoch": 10,
        "interval": "step",
        "scheduler": {"name": "CyclicLR", "base_lr": 0.01, "max_lr": 0.1, "step_size_up": 5},
    }
    assert "LR 0.01 to 0.1 (set by CyclicLR)" in build_figure(_curve(doc)).axes[0].get_title()


def test_legends(figures: dict[str, Figure]) -> None:
    (resume_legend,) = [a.get_legend() for a in figures["resume"].axes if a.get_legend()]
    assert "checkpoint at epoch 20" in [t.get_text() for t in resume_legend.get_texts()]
    fig = figures["momentum"]
    legends = [a.get_legend() for a in fig.axes if a.get_legend()]
    assert len(legends) == 1  # one legend for both axes
    labels = [t.get_text() for t in legends[0].get_texts()]
    assert labels == ["learning rate", "momentum"]
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    box = legends[0].get_window_extent(renderer)
    for ax in fig.axes:  # outside both axes, so it covers no curve
        assert not box.overlaps(ax.get_window_extent(renderer))


def test_a_tall_legend_stays_under_the_axis_label_and_a_power_of_ten_goes_in_the_label(
    figures: dict[str, Figure],
) -> None:
    fig = figures["crowded"]
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    ax, twin = fig.axes[0], fig.axes[-1]
    (legend,) = [a.get_legend() for a in fig.axes if a.get_legend()]
    assert len(legend.get_texts()) == 8
    box = legend.get_window_extent(renderer)
    assert box.y1 < ax.xaxis.label.get_window_extent(renderer).y0  # under "epoch", not over it
    assert box.y0 >= 0  # and inside the figure
    assert ax.get_ylabel() == "learning rate (×10⁻⁶)" and twin.get_ylabel() == "momentum"
    assert not ax.yaxis.get_offset_text().get_visible()  # no "1e−6" under the optimizer-step labels on top
    assert figures["linear"].axes[0].get_ylabel() == "learning rate"  # no step axis: matplotlib's own offset


def test_options_set_size_and_dpi(figures: dict[str, Figure]) -> None:
    assert tuple(figures["dark"].get_size_inches()) == (8, 4) and figures["dark"].dpi == 120
    assert tuple(figures["linear"].get_size_inches() * figures["linear"].dpi) == (1200, 600)
    out = io.BytesIO()
    save_figure(figures["dark"], out, "png")
    assert out.getvalue()[16:24] == (960).to_bytes(4, "big") + (480).to_bytes(4, "big")


def test_options_are_reproducible(tmp_path: Path) -> None:
    curve = _curve(RESTARTS)
    names = ["a.png", "a.svg", "a.pdf"]
    options: dict[str, Any] = {"style": "dark", "dpi": 72, "size": (6, 3.5), "log_y": True}
    first = write_outputs(curve, [tmp_path / "1" / n for n in names], **options)
    second = write_outputs(curve, [tmp_path / "2" / n for n in names], **options)
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name


@pytest.mark.parametrize(
    ("options", "key"),
    [
        ({"dpi": 0}, "dpi"),
        ({"dpi": 72.5}, "dpi"),
        ({"dpi": True}, "dpi"),
        ({"size": (12,)}, "size"),
        ({"size": (0, 6)}, "size"),
        ({"size": (float("nan"), 6)}, "size"),
        ({"size": "12x6"}, "size"),
        ({"size": (100, 100), "dpi": 1000}, "size"),
        ({"style": "neon"}, "style"),
    ],
)
def test_bad_options_name_their_key(options: dict[str, Any], key: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=f"^{key}: "):
        check_plot_options(**options)
    with pytest.raises(ConfigError, match=f"^{key}: "):
        write_outputs(_curve(RESTARTS), [tmp_path / "x.png"], **options)
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(("size", "steps"), [((6, 3), 100), ((4, 2.5), 1000), ((12, 6), 5_000)])
def test_optimizer_step_labels_never_run_together(size: tuple[float, float], steps: int) -> None:
    """The top axis's step numbers (20,000 and wider) fit side by side however narrow the figure."""
    doc = {
        "epochs": 200,
        "steps_per_epoch": steps,
        "scheduler": {"name": "LinearLR", "total_iters": 200},
    }  # to 1,000,000
    fig = build_figure(_curve(doc), size=size, dpi=60)
    fig.canvas.draw()
    (top,) = fig.axes[0].child_axes
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    boxes = [t.get_window_extent(renderer) for t in top.xaxis.get_ticklabels() if t.get_visible() and t.get_text()]
    inside = [b for b in boxes if b.x1 >= 0 and b.x0 <= fig.bbox.width]
    assert len(inside) >= 3
    assert all(a.x1 < b.x0 for a, b in zip(inside, inside[1:], strict=False)), [(b.x0, b.x1) for b in inside]

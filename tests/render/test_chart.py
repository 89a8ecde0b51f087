"""The terminal chart: its size, where the curve's extremes and the event marks land, long curves.

The plot area is decoded back into braille dots, so the tests assert on positions,
not on how the characters look.
"""

from __future__ import annotations

import os
import time
from array import array
from typing import Any

import pytest

from lrviz.api import simulate
from lrviz.errors import ConfigError
from lrviz.model import Curve
from lrviz.render import chart
from lrviz.render.chart import build_chart, point_column
from tests.conftest import make_run

BRAILLE = range(0x2800, 0x2900)
# (row, column) of each bit of a braille cell
BITS = {0x01: (0, 0), 0x02: (1, 0), 0x04: (2, 0), 0x40: (3, 0), 0x08: (0, 1), 0x10: (1, 1), 0x20: (2, 1), 0x80: (3, 1)}


def _restarts(epochs: int = 50, **extra: Any) -> Curve:
    doc = {"epochs": epochs, "scheduler": {"name": "CosineAnnealingWarmRestarts", "T_0": 5, "T_mult": 2}, **extra}
    return simulate(make_run(doc))


def _layout(text: str) -> tuple[list[str], int]:
    """The lines, and the column where the plot starts (after the y axis)."""
    lines = text.split("\n")
    return lines, next(line for line in lines if "┤" in line).index("┤") + 1


def dots(text: str) -> set[tuple[int, int]]:
    """Every braille dot of the plot area as (dot row, dot column), (0, 0) at the top left."""
    lines, start = _layout(text)
    found = set()
    for r, line in enumerate(lines):
        for c, ch in enumerate(line[start:]):
            if ord(ch) in BRAILLE:
                for bit, (dr, dc) in BITS.items():
                    if (ord(ch) - 0x2800) & bit:
                        found.add((4 * r + dr, 2 * c + dc))
    return found


def marker_row(text: str) -> tuple[str, int]:
    """The row of event marks (the one above the x axis) and the plot's first column."""
    lines, start = _layout(text)
    axis = next(i for i, line in enumerate(lines) if "└" in line)
    return lines[axis - 1][start:], start


def plot_width(text: str) -> int:
    lines, start = _layout(text)
    return len(lines[0]) - start


@pytest.mark.parametrize(("width", "height"), [(80, 40), (200, 40), (40, 8), (30, 4), (120, 13)])
def test_size_is_exact(width: int, height: int) -> None:
    text = build_chart(_restarts(), width, height)
    lines = text.split("\n")
    assert len(lines) == height
    assert {len(line) for line in lines} == {width}
    assert "\x1b" not in text and not text.endswith("\n")


def top_columns(text: str) -> set[int]:
    """Plot columns holding a dot in the highest dot row that has any."""
    found = dots(text)
    top = min(r for r, _ in found)
    return {c // 2 for r, c in found if r == top}


def test_highest_dot_is_in_the_column_of_the_maximum() -> None:
    run = make_run({"epochs": 40, "steps_per_epoch": 25, "scheduler": {"name": "OneCycleLR", "max_lr": 0.1}})
    curve = simulate(run)
    series = curve.lrs[0]
    peak = series.index(max(series))
    for width in (50, 80, 200):
        text = build_chart(curve, width, 20)
        assert min(r for r, _ in dots(text)) == 0
        col = point_column(peak, curve.points, plot_width(text))
        # values within half a dot of the peak share its row; the peak's column is the middle of them
        tops = top_columns(text)
        assert col in tops and tops == set(range(min(tops), max(tops) + 1))


def test_a_spike_is_the_only_highest_dot() -> None:
    run = make_run({"epochs": 500, "scheduler": {"name": "StepLR", "step_size": 10}})
    for peak in (0, 1, 137, 250, 499):
        series = array("d", [0.05] * 500)
        series[peak] = 0.1
        text = build_chart(Curve(run=run, lrs=(series,)), 70, 10)
        assert top_columns(text) == {point_column(peak, 500, plot_width(text))}


def test_lowest_dot_is_in_the_column_of_the_minimum() -> None:
    curve = _restarts(30)  # the lowest LR is the last epoch of the second cycle, epoch 14
    series = curve.lrs[0]
    low = series.index(min(series))
    text = build_chart(curve, 80, 20)
    found = dots(text)
    bottom = max(r for r, _ in found)
    assert point_column(low, curve.points, plot_width(text)) in {c // 2 for r, c in found if r == bottom}


@pytest.mark.parametrize("width", [80, 200, 41])
def test_restart_marks_are_at_the_restart_columns(width: int) -> None:
    curve = _restarts()
    assert list(curve.restarts) == [5, 15, 35]
    text = build_chart(curve, width, 20)
    row, _ = marker_row(text)
    marks = [i for i, ch in enumerate(row) if ch == "↺"][:3]
    assert marks == [point_column(k, curve.points, plot_width(text)) for k in (5, 15, 35)]
    # the jump back to the peak is drawn in the same column
    found = dots(text)
    for col in marks:
        assert (0, 2 * col) in found or (0, 2 * col + 1) in found


def test_restarts_with_several_steps_per_epoch() -> None:
    curve = _restarts(50, steps_per_epoch=4)  # restarts land one step after the epoch boundary
    text = build_chart(curve, 120, 16)
    row, _ = marker_row(text)
    width = plot_width(text)
    assert [i for i, ch in enumerate(row) if ch == "↺"][:3] == [
        point_column(k, curve.points, width) for k in curve.restarts
    ]


def test_legend_and_axes() -> None:
    text = build_chart(_restarts(), 80, 20)
    lines = text.split("\n")
    row, start = marker_row(text)
    assert row.rstrip().endswith("(↺ restart)") and row.count("↺") == 4
    assert lines[0].split("┤")[0].strip() == "0.1"  # the maximum labels the top row
    bottom = next(line for line in reversed(lines[:-3]) if "┤" in line)
    assert bottom.split("┤")[0].strip() == "0.000616"  # and the minimum the bottom one
    labels = lines[-1]
    assert labels.startswith("   epoch") and labels.rstrip().endswith("50")
    width = plot_width(text)
    for epoch in (0, 5, 35):
        col = start + point_column(epoch, 50, width)
        assert labels[col : col + len(str(epoch))] == str(epoch)
        assert lines[-2][col] == "┬"


def test_milestones_and_reductions_are_marked(plateau_metrics: list[float]) -> None:
    warm = simulate(make_run({"epochs": 30, "warmup": 5, "scheduler": {"name": "CosineAnnealingLR", "T_max": 25}}))
    assert "→ milestone" in build_chart(warm, 80, 12)
    plateau = simulate(
        make_run({"metrics": plateau_metrics, "scheduler": {"name": "ReduceLROnPlateau", "patience": 2}})
    )
    row, _ = marker_row(build_chart(plateau, 80, 12))
    assert row.count("↓") >= 2
    assert "↺" not in row


def test_one_point() -> None:
    curve = Curve(
        run=make_run({"epochs": 1, "scheduler": {"name": "StepLR", "step_size": 1}}), lrs=(array("d", [0.1]),)
    )
    text = build_chart(curve, 30, 5)
    lines = text.split("\n")
    assert len(lines) == 5 and {len(line) for line in lines} == {30}
    found = dots(text)
    assert {c for _, c in found} == set(range(2 * plot_width(text)))  # one flat line across
    assert len({r for r, _ in found}) == 1
    assert "0.1┤" in text
    assert build_chart(curve, 30, 5, log_y=True).count("\n") == 4


def test_two_million_points_quickly() -> None:
    n = 2_000_000
    series = array("d", range(1_200_000)) + array("d", range(800_000, 0, -1))  # peak at 1,199,999
    run = make_run({"epochs": 20_000, "steps_per_epoch": 100, "scheduler": {"name": "StepLR", "step_size": 10}})
    curve = Curve(run=run, lrs=(series,), restarts=(300_000, 1_500_000))
    assert curve.points == n
    began = time.perf_counter()
    text = build_chart(curve, 200, 30)
    assert time.perf_counter() - began < 3.0  # about 0.2 s: one pass of min/max over array slices
    lines = text.split("\n")
    assert len(lines) == 30 and {len(line) for line in lines} == {200}
    width = plot_width(text)
    tops = top_columns(text)
    assert point_column(1_199_999, n, width) in tops and len(tops) <= 2
    row, _ = marker_row(text)
    assert [i for i, ch in enumerate(row) if ch == "↺"][:2] == [point_column(k, n, width) for k in (300_000, 1_500_000)]


def test_few_points_are_drawn_as_steps() -> None:
    """Four epochs of StepLR: each epoch's LR spans a quarter of the width, the drop sits at its column."""
    curve = simulate(make_run({"epochs": 4, "scheduler": {"name": "StepLR", "step_size": 2, "gamma": 0.5}}))
    text = build_chart(curve, 45, 8)
    width = plot_width(text)
    found = dots(text)
    top_cols = sorted(c for r, c in found if r == 0)
    assert top_cols == list(range(0, 2 * 2 * width // 4))  # epochs 0 and 1, up to point 2's first dot column


def test_all_param_groups_are_drawn() -> None:
    doc = {
        "epochs": 10,
        "optimizer": {"param_groups": [{"lr": 0.01}, {"lr": 0.1}]},
        "scheduler": {"name": "CosineAnnealingLR", "T_max": 9},
    }
    text = build_chart(simulate(make_run(doc)), 60, 12)
    assert text.startswith("  0.1┤")  # the larger group sets the top
    assert "0┤" in text


def test_log_scale_labels() -> None:
    curve = simulate(make_run({"epochs": 40, "scheduler": {"name": "ExponentialLR", "gamma": 0.8}}))
    text = build_chart(curve, 60, 16, log_y=True)
    labels = [line.split("┤")[0].strip() for line in text.split("\n") if "┤" in line]
    assert labels[0] == "0.1" and "0.01" in labels and "0.001" in labels
    # on a log scale the decay runs from the top dot row to the bottom one
    found = dots(text)
    assert min(r for r, _ in found) == 0 and max(r for r, _ in found) == 4 * 14 - 1


def test_too_small_is_an_error() -> None:
    with pytest.raises(ConfigError, match="height 3"):
        build_chart(_restarts(), 80, 3)
    with pytest.raises(ConfigError, match="too narrow"):
        build_chart(_restarts(), 12, 20)


def test_default_size_is_the_terminals(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chart.shutil, "get_terminal_size", lambda *a: os.terminal_size((100, 30)))
    lines = build_chart(_restarts()).split("\n")
    assert len(lines) == 15 and {len(line) for line in lines} == {100}
    assert len(build_chart(_restarts(), height=6).split("\n")) == 6


def _three_groups() -> Curve:
    doc = {
        "epochs": 30,
        "optimizer": {
            "param_groups": [
                {"name": "backbone", "lr": 0.05},
                {"name": "head", "lr": 0.1},
                {"name": "bias", "lr": 0.02},
            ]
        },
        "scheduler": {"name": "CosineAnnealingWarmRestarts", "T_0": 10},
    }
    return simulate(make_run(doc))


def test_param_groups_are_told_apart_without_colour() -> None:
    text = build_chart(_three_groups(), 80, 16)
    lines = text.split("\n")
    assert len(lines) == 16 and {len(line) for line in lines} == {80}
    legend = lines[-1].strip()
    assert "backbone" in legend and "head" in legend and "bias" in legend
    samples = [part.rsplit(" ", 1)[0].strip() for part in legend.split("   ")]
    assert len(set(samples)) == 3  # each group's sample line differs
    # the second group is dotted where it is flat: its top row (the head's peak) has gaps
    flat_top = lines[0].split("┤")[1][:4]
    assert flat_top != "⠉⠉⠉⠉"
    assert "\x1b" not in text


def test_ascii_chart() -> None:
    text = build_chart(_restarts(20), 80, 14, ascii=True)
    assert text.isascii()
    lines = text.split("\n")
    assert {len(line) for line in lines} == {80}
    assert "(* restart)" in text and "+" in lines[0] and "|" in text
    row, start = marker_row(build_chart(_restarts(20), 80, 14))
    ascii_row = next(line for line in lines if "* restart" in line)[start:]
    assert [i for i, c in enumerate(row) if c == "↺"] == [i for i, c in enumerate(ascii_row) if c == "*"]
    groups = build_chart(_three_groups(), 80, 16, ascii=True)
    assert groups.isascii() and "+++ head" in groups and "xxx bias" in groups

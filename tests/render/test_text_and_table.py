"""The terminal text: wrapping at word boundaries, encodings, a table thinned to fit under the chart."""

from __future__ import annotations

import io
import re

import pytest
from rich.console import Console

from lrviz.api import simulate
from lrviz.model import Curve
from lrviz.render.table import build_table, fit_rows, print_table, rows_to_show, spacing_to_fit
from lrviz.render.text import can_encode, short_list, summary_line, wrap
from tests.conftest import make_run

WARNING = (
    "warning: CosineAnnealingWarmRestarts: the run ends mid-cycle: cycle 3 runs from epoch 15 to the next restart "
    "at 35, and the last epoch (19) has LR 0.0904508, 90% of the cycle's peak 0.1; train 1,000 or 35 epochs"
)


def _restarts(epochs: int, t_0: int = 5, t_mult: int = 2) -> Curve:
    return simulate(
        make_run({"epochs": epochs, "scheduler": {"name": "CosineAnnealingWarmRestarts", "T_0": t_0, "T_mult": t_mult}})
    )


@pytest.mark.parametrize("width", [20, 37, 50, 80, 81, 120])
def test_wrap_breaks_only_at_spaces(width: int) -> None:
    text = wrap(WARNING, width, indent="  ")
    lines = text.split("\n")
    assert all(len(line) <= width or len(line.split()) == 1 for line in lines)  # a longer word stands alone
    assert all(line.startswith("  ") for line in lines[1:])
    assert " ".join(line.strip() for line in lines) == WARNING  # nothing lost, nothing split
    words = set(WARNING.split())
    assert all(w in words for line in lines for w in line.split())
    assert "0.0904508," in text.split() and "1,000" in text.split()


def test_wrap_keeps_a_long_word_whole_and_keeps_newlines() -> None:
    assert wrap("a 0.000123456789012345 b", 10) == "a\n0.000123456789012345\nb"
    assert wrap("one\ntwo", 80) == "one\ntwo"


def test_can_encode() -> None:
    cp1252 = io.TextIOWrapper(io.BytesIO(), encoding="cp1252")
    assert not can_encode(cp1252, "↺") and can_encode(cp1252, "epoch")
    assert can_encode(io.TextIOWrapper(io.BytesIO(), encoding="utf-8"), "↺⠉")
    assert can_encode(io.BytesIO(), "↺")  # no encoding: UTF-8


def test_summary_shortens_a_long_restart_list() -> None:
    assert short_list([5, 15, 35]) == "5, 15, 35"
    curve = _restarts(200, 1, 1)
    line = summary_line(curve)
    assert "restarts at 1, 2, 3, 4, 5, ..., 199 (199 restarts)" in line
    assert summary_line(_restarts(50)).endswith("restarts at 5, 15, 35")


def _printed(curve: Curve, width: int = 80, encoding: str = "utf-8", **kwargs: object) -> str:
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding=encoding, newline="")
    console = Console(file=stream, width=width, force_terminal=True, color_system=None)
    print_table(curve, console, **kwargs)  # type: ignore[arg-type]
    stream.flush()
    return raw.getvalue().decode(encoding)


def test_rows_have_no_trailing_spaces() -> None:
    text = _printed(_restarts(50))
    assert "↺ restart" in text
    assert not [line for line in text.split("\n") if line != line.rstrip()]


def test_table_is_thinned_to_fit_under_the_chart() -> None:
    curve = _restarts(200)
    assert len(rows_to_show(curve, None)) == 200
    text = _printed(curve, max_rows=30)
    rows = [line for line in text.split("\n") if re.match(r"^\s+\d+\s", line)]
    assert len(rows) <= 30
    epochs = [int(r.split()[0]) for r in rows]
    assert {5, 15, 35, 75, 155, 199} <= set(epochs)  # restarts and the last stay
    assert "to keep the chart in view" in text and "--every 1" in text and "-o FILE.csv" in text
    assert _printed(curve, max_rows=30) == text  # deterministic
    # an explicit --every wins; a short run is not thinned
    assert "to keep the chart in view" not in _printed(curve, every=1, max_rows=30)
    assert "to keep the chart in view" not in _printed(_restarts(20), max_rows=30)


def test_spacing_to_fit() -> None:
    curve = _restarts(1000, 7, 3)
    for limit in (15, 40, 100):
        k = spacing_to_fit(curve, limit)
        assert len(rows_to_show(curve, k)) <= limit
        assert k == 1 or len(rows_to_show(curve, max(1, k - k // 8 - 1))) > limit or k <= limit
    many = _restarts(300, 1, 1)  # 299 restarts: events alone overflow any small table
    assert spacing_to_fit(many, 10) == 300
    steps = simulate(
        make_run({"epochs": 100, "steps_per_epoch": 8, "scheduler": {"name": "CosineAnnealingLR", "T_max": 100}})
    )
    assert spacing_to_fit(steps, 20) % 8 == 0


def test_fit_rows() -> None:
    assert fit_rows(24, terminal_lines=60) == 32
    assert fit_rows(24, terminal_lines=20) == 10


def test_cp1252_console_gets_ascii_marks() -> None:
    text = _printed(_restarts(20), encoding="cp1252")
    assert "* restart" in text and "↺" not in text
    table, _ = build_table(_restarts(20), ascii=True)
    assert table.row_count == 20


def test_note_and_summary_wrap_on_a_terminal_only() -> None:
    curve = _restarts(1000, 7, 3)
    text = _printed(curve, width=60)
    assert max(len(line) for line in text.split("\n")) <= 60
    raw = io.StringIO()
    print_table(curve, Console(file=raw, width=60, force_terminal=False))
    assert summary_line(curve) in raw.getvalue().split("\n")  # a log or pipe gets one line

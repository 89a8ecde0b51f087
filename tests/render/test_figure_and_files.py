"""Renderers: the figure's data, CSV/JSON round trips, valid and reproducible image files."""

from __future__ import annotations

import csv
import io
import json
import struct
from pathlib import Path

import pytest

from lrviz.api import simulate
from lrviz.errors import ConfigError, OutputError
from lrviz.model import Curve
from lrviz.render import check_outputs, write_outputs
from lrviz.render.data import write_csv, write_json
from lrviz.render.plot import build_figure
from lrviz.render.table import build_table, rows_to_show, summary_line
from tests.conftest import make_run


@pytest.fixture(scope="module")
def restarts() -> Curve:
    return simulate(
        make_run({"epochs": 50, "scheduler": {"name": "CosineAnnealingWarmRestarts", "T_0": 5, "T_mult": 2}})
    )


def test_figure_data_and_marks(restarts: Curve) -> None:
    fig = build_figure(restarts, log_y=True)
    ax = fig.axes[0]
    (line,) = [ln for ln in ax.lines if ln.get_gid() == "lr"]
    assert list(line.get_ydata())[:-1] == list(restarts.lrs[0])
    assert list(line.get_xdata()) == [*range(50), 50]
    assert line.get_drawstyle() == "steps-post"
    marks = [ln.get_xdata()[0] for ln in ax.lines if ln.get_gid() == "restart"]
    assert marks == [5, 15, 35]
    assert [t.get_text() for t in ax.texts] == ["restart 5", "restart 15", "restart 35"]
    assert ax.get_yscale() == "log"
    assert ax.get_xlabel() == "epoch" and ax.get_ylabel() == "learning rate"
    assert "CosineAnnealingWarmRestarts(T_0=5, T_mult=2)" in ax.get_title()
    assert tuple(fig.get_size_inches() * fig.dpi) == (1200, 600)


def test_csv_round_trips_exactly(restarts: Curve) -> None:
    buf = io.BytesIO()
    write_csv(restarts, buf)
    rows = list(csv.DictReader(io.StringIO(buf.getvalue().decode())))
    assert list(rows[0]) == ["epoch", "lr", "restart"]
    assert [float(r["lr"]) for r in rows] == list(restarts.lrs[0])
    assert [int(r["epoch"]) for r in rows if r["restart"] == "1"] == [5, 15, 35]


def test_csv_with_groups_steps_and_momentum() -> None:
    run = make_run(
        {
            "epochs": 3,
            "steps_per_epoch": 4,
            "optimizer": {"momentum": 0.9, "param_groups": [{"lr": 0.1}, {"lr": 0.01}]},
            "scheduler": {"name": "OneCycleLR", "max_lr": [0.1, 0.01]},
        }
    )
    curve = simulate(run, momentum=True)
    buf = io.BytesIO()
    write_csv(curve, buf)
    rows = list(csv.reader(io.StringIO(buf.getvalue().decode())))
    assert rows[0] == ["epoch", "step", "lr_0", "lr_1", "momentum_0", "momentum_1", "restart"]
    assert [r[0] for r in rows[1:6]] == ["0", "0.25", "0.5", "0.75", "1"]
    assert [float(r[3]) for r in rows[1:]] == list(curve.lrs[1])


def test_json(restarts: Curve) -> None:
    buf = io.BytesIO()
    write_json(restarts, buf)
    data = json.loads(buf.getvalue())
    assert data["scheduler"] == {"name": "CosineAnnealingWarmRestarts", "T_0": 5, "T_mult": 2}
    assert data["epochs"] == 50 and data["restarts"] == [5, 15, 35]
    assert data["groups"][0]["lr"] == list(restarts.lrs[0])
    assert data["summary"]["max"] == 0.1


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", head[16:24])


def test_files_are_valid_and_reproducible(restarts: Curve, tmp_path: Path) -> None:
    names = ["a.png", "a.svg", "a.pdf", "a.csv", "a.json"]
    first = write_outputs(restarts, [tmp_path / "1" / n for n in names])
    second = write_outputs(restarts, [tmp_path / "2" / n for n in names])
    assert _png_size(first[0]) == (1200, 600)
    assert first[1].read_text().lstrip().startswith("<?xml")
    assert first[2].read_bytes().startswith(b"%PDF")
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name
    for path in first:
        text = path.read_bytes()
        assert b"CreationDate" not in text and b"Matplotlib v" not in text and b"<dc:date>" not in text
    assert not list(tmp_path.rglob("*.tmp"))


def test_failed_render_leaves_old_files_and_no_temp(
    restarts: Curve, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = tmp_path / "keep.csv"
    old.write_text("old")
    import lrviz.render.data as data

    def boom(curve: Curve, out: object) -> None:
        raise OutputError("disk full")

    monkeypatch.setattr(data, "write_json", boom)
    with pytest.raises(OutputError):
        write_outputs(restarts, [old, tmp_path / "x.json"])
    assert old.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.csv"]


def test_check_outputs() -> None:
    check_outputs([Path("a.PNG"), Path("b.csv")])
    with pytest.raises(ConfigError, match=r"unknown output format \('.bmp'\)"):
        check_outputs([Path("a.bmp")])
    with pytest.raises(ConfigError, match="no suffix"):
        check_outputs([Path("plot")])
    with pytest.raises(ConfigError, match="given twice"):
        check_outputs([Path("a.png"), Path("./a.png")])


def test_table_and_summary(restarts: Curve) -> None:
    table, note = build_table(restarts)
    assert note is None and table.row_count == 50
    assert summary_line(restarts).endswith("restarts at 5, 15, 35")
    long = simulate(
        make_run({"epochs": 1000, "scheduler": {"name": "CosineAnnealingWarmRestarts", "T_0": 7, "T_mult": 3}})
    )
    rows = rows_to_show(long, None)
    assert len(rows) < 120 and 999 in rows and set(long.restarts) <= set(rows)
    table, note = build_table(long)
    assert note is not None and "--every" in note
    assert rows_to_show(long, 100)[:3] == [0, 6, 7]  # every 100th, plus each restart and the point before it


def test_titles_are_plain_text(restarts: Curve, tmp_path: Path) -> None:
    # a stray $ must not be parsed as mathtext (which raises on "$\frac{$")
    (path,) = write_outputs(restarts, [tmp_path / "t.png"], title="$\\frac{$ cost")
    assert path.stat().st_size > 10_000
    assert build_figure(restarts, title="$x$").axes[0].get_title() == "$x$"

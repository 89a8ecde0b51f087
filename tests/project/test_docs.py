"""The documentation site, built as CI builds it (mkdocs --strict: any warning fails), and its gallery's coverage.

The gallery is drawn by lrviz at build time (scripts/gallery.py via scripts/mkdocs_hooks.py);
these tests check that every scheduler and framework the README lists, and every name the
CLI itself accepts for `lrviz hf`, `lrviz timm` and `lrviz deepspeed`, has a plot there.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lrviz.cli import app

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import gallery  # noqa: E402

sys.path.remove(str(ROOT / "scripts"))


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return out


def test_site_builds_with_every_page_and_the_api_reference(site: Path) -> None:
    pages = sorted(p.relative_to(ROOT / "docs").with_suffix("").as_posix() for p in (ROOT / "docs").rglob("*.md"))
    for page in pages:
        built = site / ("index.html" if page == "index" else f"{page}/index.html")
        assert built.is_file(), page
    api = (site / "api" / "index.html").read_text()
    import lrviz

    for name in lrviz.__all__:
        if not name.startswith("_") and name != "Run":
            assert f'id="lrviz.{name}"' in api, name  # an entry generated from the docstring
    assert "A validated run from a config file" in api  # lrviz.load's docstring


def test_gallery_is_drawn_at_build_time_with_each_command(site: Path) -> None:
    import html
    import shlex

    page = (site / "gallery" / "index.html").read_text()
    text = html.unescape(re.sub(r"<[^>]+>", "", page))
    for entry in gallery.ENTRIES:
        image = site / "gallery" / entry.image
        assert image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", entry.image
        assert f'src="../{entry.image}"' in page or f'src="{entry.image}"' in page, entry.image
        assert f"lrviz {shlex.join(entry.command())}" in text, entry.name  # the command that drew it
    assert not list((ROOT / "docs").glob("gallery*")), "the gallery is generated, never committed"


def _readme_table() -> dict[str, list[str]]:
    """The README's 'What lrviz steps' table: framework -> the schedules it lists."""
    text = (ROOT / "README.md").read_text()
    section = text.split("## What lrviz steps", 1)[1].split("\n## ", 1)[0]
    rows = [line.split("|")[1:-1] for line in section.splitlines() if line.startswith("| ") and "---" not in line]
    return {cells[0].strip(): [n.strip() for n in cells[1].split(",")] for cells in rows[1:]}


def test_every_scheduler_and_framework_the_readme_lists_has_a_gallery_plot() -> None:
    table = _readme_table()
    assert set(table) == {
        "PyTorch",
        "Training configs",
        "Hugging Face transformers",
        "timm",
        "DeepSpeed",
        "OpenMMLab mmengine",
        "diffusers",
        "Megatron-LM",
        "fvcore",
        "ESPnet",
        "axolotl",
        "LLaMA-Factory v1",
        "torchtune",
        "litgpt",
        "NVIDIA NeMo",
    }
    for framework, names in table.items():
        (section,) = [s for s in gallery.SECTIONS if s.startswith(framework)]
        drawn = {e.name for e in gallery.ENTRIES if e.section == section}
        assert set(names) <= drawn, (framework, set(names) - drawn)


def _accepted(command: str) -> list[str]:
    """The names `lrviz COMMAND` accepts, as its own error message lists them."""
    result = CliRunner().invoke(app, [command, "no-such-schedule"])
    assert result.exit_code == 2
    names = re.split(r"(?:one of|lrviz steps) ", result.stderr.strip())[-1]
    return [n.strip() for n in names.split(",")]


@pytest.mark.parametrize(
    ("command", "section"), [("hf", gallery.HF), ("timm", gallery.TIMM), ("deepspeed", gallery.DS)]
)
def test_every_framework_schedule_the_cli_accepts_has_a_gallery_plot(command: str, section: str) -> None:
    accepted = _accepted(command)
    assert len(accepted) >= 5, accepted
    drawn = {e.name for e in gallery.ENTRIES if e.section == section}
    assert set(accepted) <= drawn, set(accepted) - drawn
    readme = _readme_table()[next(k for k in _readme_table() if section.startswith(k))]
    assert set(accepted) <= set(readme), "the README's table misses a schedule the CLI accepts"


def test_every_torch_scheduler_lrviz_lists_has_a_gallery_plot() -> None:
    result = CliRunner().invoke(app, ["list"], env={"COLUMNS": "200"})
    listed = re.findall(r"^(\w+)  \(", result.stdout, re.M)
    assert "CosineAnnealingWarmRestarts" in listed and "ChainedScheduler" in listed
    drawn = {e.name for e in gallery.ENTRIES if e.section == gallery.TORCH}
    assert set(listed) <= drawn, set(listed) - drawn


def test_readme_keeps_the_quick_start_and_the_ci_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    (test_command,) = [line for line in ci.splitlines() if line.startswith("DS_BUILD_OPS=0 pip install")]
    assert readme.count(test_command) == 2  # Quick start and Develop, verbatim
    assert "pip install torch==2.13.0 . && lrviz restarts --t0 5 --t-mult 2 --epochs 35 -o restarts.png" in readme
    assert len(readme.splitlines()) < 100  # one screen and links; the rest lives in docs/

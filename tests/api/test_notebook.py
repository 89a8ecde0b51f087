"""examples/quickstart.ipynb runs, top to bottom, in a real Jupyter kernel (nbclient): the API as a
notebook user meets it. It loads a Hydra project, simulates, plots, checks a logged run, and saves."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


def test_the_quickstart_notebook_runs_and_finds_the_bug(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    nbclient = pytest.importorskip("nbclient")
    nbformat = pytest.importorskip("nbformat")
    pytest.importorskip("ipykernel")
    shutil.copytree(EXAMPLES, tmp_path / "examples")
    # the kernel imports this checkout's lrviz, whichever way the tests were started
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    notebook = nbformat.read(tmp_path / "examples" / "quickstart.ipynb", as_version=4)
    nbclient.NotebookClient(
        notebook, timeout=300, resources={"metadata": {"path": str(tmp_path / "examples")}}
    ).execute()
    texts = ["".join(o.get("text", "") for o in cell.get("outputs", [])) for cell in notebook.cells]
    assert "CosineAnnealingLR(T_max=12, eta_min=1e-05) | AdamW(lr=0.001) | 12 epochs" in texts[1]
    check = next(t for t in texts if t.startswith(("True", "False")))
    assert check.splitlines()[0] == "False" and "\nfaster - " in check  # the scheduler stepped 2x per epoch
    assert texts[-1].splitlines()[-1] == "True"  # the saved JSON read back as a baseline
    out = tmp_path / "examples" / "out"
    assert json.loads((out / "lr.json").read_text())["schema"] == "lrviz.curve/1"
    assert (out / "lr.png").read_bytes().startswith(b"\x89PNG") and (out / "lr.csv").read_text().startswith("epoch,")
    images = [o for cell in notebook.cells for o in cell.get("outputs", []) if "image/png" in o.get("data", {})]
    assert images, "the plot cell shows the figure"

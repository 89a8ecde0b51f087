"""torchtune, axolotl, litgpt and NeMo are imported only when a config needs them: never by --help, an error, or a torch run."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = ROOT / "tests" / "realworld" / "configs"
PROBE = """
import sys
import typer
from lrviz.cli import app
try:
    typer.main.get_command(app).main({args!r}, prog_name="lrviz")
except SystemExit as exc:
    code = exc.code
heavy = ("torchtune", "torchtune.config", "torchao", "axolotl", "litgpt", "nemo", "lightning", "transformers", "matplotlib")
print("LOADED", code, sorted(m for m in heavy if m in sys.modules))
"""


def run(args: list[str], cwd: Path) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(args=args)], capture_output=True, text=True, env=env, cwd=cwd, timeout=300
    )
    return result.stdout.splitlines()[-1]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--help"], "LOADED 0 []"),
        (["render", "--help"], "LOADED 0 []"),
        # an error: the steps need the dataset size; nothing heavy is imported to say so
        (["render", str(CONFIGS / "llm_torchtune" / "tt_llama31_8b_full_no_scheduler.yaml")], "LOADED 2 []"),
        (
            ["render", str(CONFIGS / "llm_llamafactory" / "lf_v1_train_lora_sft_constant.yaml"), "-o", "v1.csv"],
            "LOADED 0 []",
        ),
        (["render", str(CONFIGS / "llm_litgpt" / "litgpt_mistral-7b_lora.yaml")], "LOADED 2 []"),
        (["render", str(CONFIGS / "nemo" / "aligner_gpt_dpo_cosine_constant_steps.yaml")], "LOADED 2 []"),
        (["cosine", "--t-max", "5", "--epochs", "6", "-o", "t.csv"], "LOADED 0 []"),
    ],
    ids=["help", "render-help", "torchtune-error", "llamafactory-v1-csv", "litgpt-error", "nemo-error", "torch-csv"],
)
def test_no_yaml_framework_is_imported(args: list[str], expected: str, tmp_path: Path) -> None:
    assert run(args, tmp_path) == expected


def test_a_torchtune_render_imports_torchtune_but_not_axolotl(tmp_path: Path) -> None:
    if importlib.util.find_spec("torchtune") is None:  # installed with --no-deps: `import torchtune` needs torchao
        pytest.skip("torchtune is not installed")
    config = CONFIGS / "llm_torchtune" / "tt_llama32_1b_lora_single_device_cosine.yaml"
    line = run(["render", str(config), "--dataset-size", "1000", "-o", "tt.csv"], tmp_path)
    assert line.startswith("LOADED 0") and "'torchtune.config'" in line  # its scheduler's module alone
    assert "axolotl" not in line and "matplotlib" not in line

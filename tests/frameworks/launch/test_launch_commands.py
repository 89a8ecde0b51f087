"""Launch scripts and --command through the CLI: HF Trainer commands typed by HfArgumentParser, exit codes, imports."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

import lrviz
from lrviz.cli.commands import app
from lrviz.errors import ConfigError

transformers = pytest.importorskip("transformers")
REAL = Path(__file__).parents[2] / "realworld" / "configs" / "launch" / "hf"
runner = CliRunner()


def hf_reference(name: str, lr: float, warmup: int, total: int) -> list[float]:
    """The Trainer's loop: get_scheduler as Trainer.create_scheduler calls it, one step per optimizer step."""
    param = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.AdamW([param], lr=lr)
    scheduler = transformers.get_scheduler(name, optimizer, num_warmup_steps=warmup, num_training_steps=total)
    out = []
    for _ in range(total):
        out.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return out


def test_an_hf_command_is_typed_by_hfargumentparser(tmp_path: Path) -> None:
    path = tmp_path / "run.sh"
    path.write_text(
        "python run_clm.py --model_name_or_path gpt2 --do_train --bf16 \\\n"
        "  --lr_scheduler_type cosine --warmup_steps 0.1 --max_steps 300 --learning_rate 3e-4 --output_dir out\n"
    )
    curve = lrviz.simulate(path)
    assert curve.run.family == "hf"
    assert curve.lr == hf_reference("cosine", 3e-4, math.ceil(0.1 * 300), 300)


@pytest.mark.parametrize(
    ("name", "lr", "per_device", "ranks", "epochs", "warmup_ratio"),
    [
        ("transnormerllm_finetune_run.sh", 1e-4, 2, 1, 1, 0.1),  # --nproc_per_node=$GPUs: 1 rank assumed, said
        ("mini_llama2_chinese_sft.sh", 3e-4, 16, 8, 2, 0.05),
        ("mini_llama2_chinese_pretrain.sh", 3e-4, 8, 8, 1, 0.05),
    ],
)
def test_real_hf_scripts_equal_the_trainers_loop(
    name: str, lr: float, per_device: int, ranks: int, epochs: int, warmup_ratio: float
) -> None:
    curve = lrviz.simulate(REAL / name, dataset_size=10000)
    batches = math.ceil(10000 / per_device)
    per_rank = math.ceil(batches / ranks)
    total = epochs * per_rank
    assert curve.lr == hf_reference("cosine", lr, math.ceil(warmup_ratio * total), total)
    if ranks == 1:
        assert any("--world-size" in n for n in curve.run.notes)


def test_every_real_hf_script_is_covered() -> None:
    assert sorted(p.name for p in REAL.glob("*.sh")) == sorted(
        ["transnormerllm_finetune_run.sh", "mini_llama2_chinese_sft.sh", "mini_llama2_chinese_pretrain.sh"]
    )


def test_an_unresolved_value_of_a_read_flag_is_refused_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "run.sh"
    path.write_text(
        "LR=$1\npython run_clm.py \\\n  --lr_scheduler_type linear \\\n  --learning_rate $LR --max_steps 9\n"
    )
    with pytest.raises(ConfigError, match=r"run.sh:4: --learning_rate \$1: the value depends on \$1"):
        lrviz.simulate(path)


def test_render_command_and_script_through_the_cli(tmp_path: Path) -> None:
    command = (
        "torchrun --nproc_per_node 4 pretrain_gpt.py --lr 1e-3 --lr-decay-style linear --train-iters 20 "
        "--global-batch-size 16"
    )
    result = runner.invoke(app, ["render", "--command", command, "-o", str(tmp_path / "c.csv")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "c.csv").read_text().count("\n") == 21
    bad = runner.invoke(app, ["render", "--command", command.replace("--train-iters 20", "")])
    assert bad.exit_code == 2
    assert "either --train-iters or --train-samples" in bad.output
    override = runner.invoke(
        app, ["render", "--command", command, "--set", "train_iters=5", "-o", str(tmp_path / "s.csv")]
    )
    assert override.exit_code == 0, override.output
    assert (tmp_path / "s.csv").read_text().count("\n") == 6


CHECK_IMPORTS = """
import sys
import typer
from lrviz.cli import app
try:
    typer.main.get_command(app).main({args!r}, prog_name="lrviz")
except SystemExit as exc:
    code = exc.code
print(code, sorted(m for m in ("torch", "diffusers", "megatron", "transformers") if m in sys.modules))
"""


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["render", "--help"], "0 []"),
        (["render", "--command", "python x.py --lr_scheduler cosine"], "2 []"),  # refused before any framework
        (["render", "--command", "echo no command"], "2 []"),
        (["cosine", "--t-max", "3"], "0 ['torch']"),
    ],
)
def test_help_errors_and_torch_runs_import_no_framework(args: list[str], expected: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", CHECK_IMPORTS.format(args=args)], capture_output=True, text=True, timeout=300
    )
    assert result.stdout.strip().splitlines()[-1] == expected, result.stderr

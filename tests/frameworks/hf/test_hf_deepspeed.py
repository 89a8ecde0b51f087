"""A TrainingArguments run whose DeepSpeed config has a scheduler block: the DeepSpeed engine's schedule, filled by the Trainer.

Two references, neither lrviz's: a real ``Trainer`` with a real DeepSpeed engine on the CPU (in a
subprocess: it initialises torch.distributed), whose optimizer's LR is recorded at every optimizer
step; and a loop written here with transformers' own ``HfTrainerDeepSpeedConfig`` fill and
``deepspeed.runtime.lr_schedules``' class, stepped as ``engine.step()`` steps it. Mismatches
transformers rejects are refused with its reason.
"""

from __future__ import annotations

import copy
import functools
import json
import math
import os
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import pytest
import torch
from typer.testing import CliRunner

import lrviz
from lrviz.cli.commands import app
from lrviz.errors import ConfigError
from lrviz.frameworks.hf import with_deepspeed

transformers = pytest.importorskip("transformers")
pytest.importorskip("deepspeed")

runner = CliRunner()
CONFIGS = Path(__file__).parents[2] / "realworld" / "configs"

#: A real Trainer + DeepSpeed engine (ZeRO 0, the Trainer's own AdamW) on 1 CPU process; prints the LR
#: each optimizer step used (on_optimizer_step runs after optimizer.step(), before the engine's scheduler.step()).
TRAINER = """
import json, os, sys
import torch
from transformers import Trainer, TrainingArguments

class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.w = torch.nn.Linear(2, 1)
    def forward(self, x, labels=None):
        return {"loss": ((self.w(x).squeeze(-1) - labels) ** 2).mean()}

class Data(torch.utils.data.Dataset):
    def __len__(self):
        return int(sys.argv[2])
    def __getitem__(self, i):
        return {"x": torch.ones(2), "labels": torch.tensor(1.0)}

used = []  # the LR each optimizer step runs with, read as torch's optimizer.step() starts
from torch.optim.optimizer import register_optimizer_step_pre_hook
register_optimizer_step_pre_hook(lambda opt, a, k: used.append(opt.param_groups[0]["lr"]))

spec = json.loads(sys.argv[1])
args = TrainingArguments(output_dir=sys.argv[3], report_to=[], save_strategy="no", disable_tqdm=True, logging_steps=1, **spec)
trainer = Trainer(model=Model(), args=args, train_dataset=Data())
trainer.train()
trainer.state.save_to_json(os.path.join(sys.argv[3], "trainer_state.json"))
print("LRS " + json.dumps(used))
print("LOG " + json.dumps([h["learning_rate"] for h in trainer.state.log_history if "learning_rate" in h]))
"""

#: DeepSpeed blocks as the fine-tuning repositories write them: every schedule param "auto".
WARMUP_LR = {
    "type": "WarmupLR",
    "params": dict.fromkeys(("warmup_min_lr", "warmup_max_lr", "warmup_num_steps"), "auto"),
}
WARMUP_DECAY = {
    "type": "WarmupDecayLR",
    "params": {**WARMUP_LR["params"], "total_num_steps": "auto", "warmup_type": "linear"},
}
BATCH_AUTO = dict.fromkeys(
    ("train_micro_batch_size_per_gpu", "gradient_accumulation_steps", "train_batch_size", "gradient_clipping"), "auto"
)


def _real_trainer(
    ds: dict[str, Any], spec: dict[str, Any], samples: int, tmp_path: Path
) -> tuple[list[float], list[float]]:
    """(the LR each optimizer step ran with, the learning_rate the Trainer logged at each step)."""
    env = {**os.environ, "RANK": "0", "WORLD_SIZE": "1", "LOCAL_RANK": "0", "MASTER_ADDR": "127.0.0.1"}
    env |= {"MASTER_PORT": str(29500 + os.getpid() % 1000), "PYTHONWARNINGS": "ignore"}
    argv = [sys.executable, "-c", TRAINER, json.dumps({**spec, "deepspeed": ds}), str(samples), str(tmp_path / "out")]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = {x[:4]: json.loads(x[4:]) for x in result.stdout.splitlines() if x[:4] in ("LRS ", "LOG ")}
    return [float(v) for v in lines["LRS "]], [float(v) for v in lines["LOG "]]


@pytest.mark.parametrize(
    ("block", "samples", "warmup"),
    [
        (WARMUP_DECAY, 42, 0.2),  # 21 batches / accumulate 2: 11 steps an epoch, the last on one batch
        (WARMUP_LR, 40, 3),  # WarmupLR's default log warmup (warmup_type not given)
    ],
    ids=["WarmupDecayLR", "WarmupLR"],
)
def test_a_real_trainer_with_a_deepspeed_engine_steps_what_lrviz_draws(
    block: dict[str, Any], samples: int, warmup: float, tmp_path: Path
) -> None:
    ds = {"scheduler": block, **BATCH_AUTO, "zero_optimization": {"stage": 0}}
    spec = {"per_device_train_batch_size": 2, "gradient_accumulation_steps": 2, "learning_rate": 1e-3}
    spec |= {"warmup_steps": warmup, "num_train_epochs": 3, "lr_scheduler_type": "cosine"}
    (tmp_path / "ds.json").write_text(json.dumps(ds))
    used, logged = _real_trainer(ds, spec, samples, tmp_path)
    curve = lrviz.simulate({**spec, "deepspeed": str(tmp_path / "ds.json")}, dataset_size=samples)
    assert curve.run.scheduler.name == block["type"]
    assert curve.lr == used
    # the engine steps the scheduler inside accelerator.backward(), before the Trainer reads get_last_lr():
    # the learning_rate logged at step k + 1 is the LR of optimizer step k + 1, not k's (a plain Trainer's)
    assert logged == [*curve.lr[1:], logged[-1]]
    # and check reads that log on the plan's steps: the right run passes
    report = lrviz.check(curve, against=tmp_path / "out" / "trainer_state.json")
    assert report.ok, [f.message for f in report.findings]


def _trainer_engine_loop(ds: dict[str, Any], args: dict[str, Any], total: int) -> list[float]:
    """transformers' fill (trainer_config_process, trainer_config_finalize), then the engine's scheduler, stepped."""
    from deepspeed.runtime import lr_schedules
    from transformers.integrations.deepspeed import HfTrainerDeepSpeedConfig, unset_hf_deepspeed_config

    namespace = types.SimpleNamespace(**{**with_deepspeed.ARG_DEFAULTS, "world_size": 1, **args})
    namespace.get_warmup_steps = functools.partial(transformers.TrainingArguments.get_warmup_steps, namespace)
    config = HfTrainerDeepSpeedConfig(copy.deepcopy(ds))
    config.trainer_config_process(namespace)
    config.trainer_config_finalize(namespace, types.SimpleNamespace(config=types.SimpleNamespace(hidden_size=8)), total)
    unset_hf_deepspeed_config()
    filled = config.config
    lr = filled["optimizer"]["params"]["lr"] if "optimizer" in filled else args["learning_rate"]
    param = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.AdamW([param], lr=lr)
    scheduler = getattr(lr_schedules, filled["scheduler"]["type"])(optimizer, **filled["scheduler"]["params"])
    seen = []
    for _ in range(total):
        seen.append(optimizer.param_groups[0]["lr"])
        param.grad = torch.zeros(1)
        optimizer.step()
        scheduler.step()
    return seen


#: The Trainer's defaults for the arguments trainer_config_process reads that lrviz takes from the run.
TRAINER_DEFAULTS = {"per_device_train_batch_size": 8, "gradient_accumulation_steps": 1}

#: Real DeepSpeed configs from fine-tuning repositories (tests/realworld/SOURCES.md), with TrainingArguments.
REAL = [
    "core_audit/qwen_ds_pair/finetune/ds_config_zero2.json",
    "core_audit/firefly_pair/train_args/ds_z3_config.json",
    "deepspeed/llava_zero3_offload_warmuplr_auto.json",
    "other_dialects/deepspeed_hf_tests_zero2_warmuplr_auto.json",
    "other_dialects/deepspeed_stanford_alpaca_warmup_decay_lr_auto.json",
]


@pytest.mark.parametrize("name", REAL)
def test_real_deepspeed_configs_equal_the_trainer_and_engine_loop(name: str) -> None:
    ds = json.loads((CONFIGS / name).read_text())
    args = {"learning_rate": 2e-5, "warmup_steps": 0.03, "per_device_train_batch_size": 4}
    args |= {"gradient_accumulation_steps": 8, "bf16": True, "weight_decay": 0.0}
    curve = lrviz.simulate({**args, "num_train_epochs": 3, "deepspeed": str(CONFIGS / name)}, dataset_size=52_002)
    total = 3 * math.ceil(math.ceil(52_002 / 4) / 8)  # 1,626 optimizer steps an epoch
    assert len(curve.lr) == total
    assert curve.lr == _trainer_engine_loop(ds, args, total)
    assert any("the DeepSpeed engine builds" in n for n in curve.run.notes)


def _render(tmp_path: Path, ds: dict[str, Any], args: str) -> Any:
    (tmp_path / "ds.json").write_text(json.dumps(ds))
    (tmp_path / "args.yaml").write_text(args + "\nlr_scheduler_type: linear\nmax_steps: 50\ndeepspeed: ds.json\n")
    return runner.invoke(app, ["render", str(tmp_path / "args.yaml"), "-o", str(tmp_path / "out.csv")])


def test_a_value_transformers_finds_mismatched_is_refused_with_its_reason(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    block = {"type": "WarmupLR", "params": {"warmup_max_lr": 1e-3, "warmup_num_steps": 10}}
    result = _render(tmp_path, {"scheduler": block}, "learning_rate: 2.0e-5\nwarmup_steps: 10")
    assert result.exit_code == 2
    assert "ds.json: transformers' Trainer rejects this DeepSpeed config with these arguments" in result.stderr
    assert "Please correct the following DeepSpeed config values that mismatch TrainingArguments values" in (
        result.stderr
    )
    assert "ds scheduler.params.warmup_max_lr=0.001 vs hf learning_rate=2e-05" in result.stderr
    assert not (tmp_path / "out.csv").exists()
    # warmup_num_steps 10 against the Trainer's max(1, get_warmup_steps(50)) = 1: refused too
    result = _render(tmp_path, {"scheduler": block}, "learning_rate: 1.0e-3")
    assert "ds scheduler.params.warmup_num_steps=10 vs hf warmup_steps=1" in result.stderr


def test_an_optimizer_block_without_a_scheduler_is_checked_too(tmp_path: Path, monkeypatch: Any) -> None:
    """The Trainer's schedule then runs on DeepSpeed's optimizer, whose lr must still match learning_rate."""
    monkeypatch.chdir(tmp_path)
    result = _render(tmp_path, {"optimizer": {"type": "AdamW", "params": {"lr": 1e-4}}}, "learning_rate: 2.0e-5")
    assert result.exit_code == 2
    assert "ds optimizer.params.lr=0.0001 vs hf learning_rate=2e-05" in result.stderr
    result = _render(tmp_path, {"optimizer": {"type": "AdamW", "params": {"lr": "auto"}}}, "learning_rate: 2.0e-5")
    assert result.exit_code == 0, result.output
    result = _render(tmp_path, {"optimizer": {"type": "AdamW", "params": {}}}, "learning_rate: 2.0e-5")
    assert result.exit_code == 2
    assert "ds.json:1: optimizer.params: no lr, so DeepSpeed's AdamW takes its own default lr" in result.stderr


def test_an_auto_the_trainer_does_not_fill_is_refused(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    block = {"type": "WarmupCosineLR", "params": {"total_num_steps": "auto", "cos_min_ratio": "auto"}}
    result = _render(tmp_path, {"scheduler": block}, "learning_rate: 2.0e-5")
    assert result.exit_code == 2
    assert 'ds.json:1: scheduler.params.cos_min_ratio: "auto", but the Trainer fills only' in result.stderr


def test_a_torch_scheduler_in_the_block_is_refused(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    result = _render(tmp_path, {"scheduler": {"type": "StepLR", "params": {"step_size": 5}}}, "learning_rate: 0.1")
    assert result.exit_code == 2
    assert "ds.json:1: scheduler.type: StepLR is not one of DeepSpeed's schedulers" in result.stderr
    assert "--set deepspeed=null" in result.stderr


def test_the_code_snippet_runs_and_the_findings_name_deepspeeds_class(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ds.json").write_text(json.dumps({"scheduler": WARMUP_DECAY}))
    args = {
        "lr_scheduler_type": "linear",
        "learning_rate": 1e-3,
        "max_steps": 40,
        "warmup_steps": 4,
        "deepspeed": "ds.json",
    }
    source = lrviz.code(args)
    namespace: dict[str, Any] = {}
    exec(compile(source.replace("print(", "_ = ("), "snippet", "exec"), namespace)  # noqa: S102 - our own output
    assert namespace["scheduler"].last_batch_iteration == 39  # from -1, stepped 40 times
    curve = lrviz.simulate(args)
    codes = {f.code: f.message for f in lrviz.diagnose(curve)}
    assert codes["hf-zero-lr-first-step"].startswith("WarmupDecayLR (the DeepSpeed config's)")


def test_an_inline_deepspeed_mapping_is_read_as_a_file_is() -> None:
    args = {"lr_scheduler_type": "linear", "learning_rate": 1e-3, "max_steps": 30, "warmup_steps": 5}
    curve = lrviz.simulate({**args, "deepspeed": {"scheduler": WARMUP_DECAY}})
    assert curve.lr == _trainer_engine_loop(
        {"scheduler": WARMUP_DECAY}, {**TRAINER_DEFAULTS, "learning_rate": 1e-3, "warmup_steps": 5}, 30
    )


def test_the_tables_here_match_the_installed_libraries() -> None:
    from deepspeed.runtime import lr_schedules

    assert sorted(with_deepspeed.TYPES) == sorted(lr_schedules.VALID_LR_SCHEDULES)
    fields = {f.name: f.default for f in transformers.TrainingArguments.__dataclass_fields__.values()}
    assert {k: fields[k] for k in with_deepspeed.ARG_DEFAULTS} == with_deepspeed.ARG_DEFAULTS


def test_a_bad_training_argument_is_named(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ds.json").write_text(json.dumps({"scheduler": WARMUP_LR}))
    with pytest.raises(ConfigError, match="fp16: expected true or false"):
        lrviz.load({"lr_scheduler_type": "linear", "max_steps": 40, "fp16": "maybe", "deepspeed": "ds.json"})

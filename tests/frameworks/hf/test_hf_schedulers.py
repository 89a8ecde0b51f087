"""Hugging Face transformers: every SchedulerType equals a loop stepped as the Trainer steps it.

The reference loops are written here, the way ``Trainer._run_epoch`` steps: read the LR,
``optimizer.step()``, ``lr_scheduler.step()``; plateau/greedy get ``step(metric)`` after an
evaluation. The step arithmetic is pinned against the Trainer's own methods.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
import torch
from typer.testing import CliRunner

import lrviz
from lrviz.cli.commands import app
from lrviz.errors import ConfigError
from lrviz.frameworks.hf import read as hf_config
from lrviz.frameworks.hf import values as hf_values

transformers = pytest.importorskip("transformers")

runner = CliRunner()
REAL = Path(__file__).parents[2] / "realworld" / "configs" / "hf"
INSTALLED_TYPES = [t.value for t in transformers.SchedulerType]

#: Arguments some types require (``get_scheduler`` raises without them).
KWARGS: dict[str, dict[str, Any]] = {
    "cosine_with_min_lr": {"min_lr_rate": 0.1},
    "cosine_warmup_with_min_lr": {"min_lr": 1e-5},
    "warmup_stable_decay": {"num_decay_steps": 20},
    "polynomial": {"lr_end": 1e-6, "power": 2.0},
    "cosine_with_restarts": {"num_cycles": 3},
    "reduce_lr_on_plateau": {"patience": 0, "factor": 0.5},
    "greedy": {"patience": 1, "min_lr": 1e-6, "warmup": 0},
}
METRICS = [1.0, 0.9, 0.95, 0.97, 0.99, 1.2, 1.3, 0.5, 0.6, 0.7, 0.8]


def reference(
    name: str, lr: float, warmup: int, total: int, kwargs: dict[str, Any], evals: dict[int, float]
) -> list[float]:
    """The Trainer's loop: LR of optimizer step k, read after optimizer.step() and before scheduler.step()."""
    param = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.AdamW([param], lr=lr)
    scheduler = transformers.get_scheduler(
        name, optimizer, num_warmup_steps=warmup, num_training_steps=total, scheduler_specific_kwargs=dict(kwargs)
    )
    out = []
    for step in range(total):
        param.grad = torch.zeros(1)
        optimizer.step()
        out.append(optimizer.param_groups[0]["lr"])
        if name in hf_values.METRIC_TYPES:
            if step + 1 in evals:
                scheduler.step(evals[step + 1])
        else:
            scheduler.step()
    return out


def test_the_registry_lists_every_installed_scheduler_type() -> None:
    assert sorted(INSTALLED_TYPES) == sorted(hf_config.SCHEDULER_TYPES)


@pytest.mark.parametrize("name", INSTALLED_TYPES)
def test_every_scheduler_type_equals_the_trainers_loop(name: str) -> None:
    kwargs = KWARGS.get(name, {})
    doc: dict[str, Any] = {
        "lr_scheduler_type": name,
        "learning_rate": 3e-4,
        "warmup_steps": 10,
        "max_steps": 100,
        "lr_scheduler_kwargs": kwargs,
    }
    evals: dict[int, float] = {}
    if name in hf_values.METRIC_TYPES:
        doc.update(eval_strategy="steps", eval_steps=9, metrics=METRICS)
        evals = {9 * (i + 1): m for i, m in enumerate(METRICS) if 9 * (i + 1) < 100}
    curve = lrviz.simulate(doc)
    assert curve.lr == reference(name, 3e-4, 10, 100, kwargs, evals)
    assert curve.run.unit == "step" and curve.points == 100


@pytest.mark.parametrize(
    ("dataset", "batch", "accum", "epochs", "drop_last", "warmup"),
    [
        (1003, 8, 4, 2.5, False, 0.1),
        (1000, 8, 1, 3.0, False, 100),
        (1003, 8, 4, 1.0, True, 0.05),
        (17, 4, 3, 2.0, False, 2.7),
        (5, 8, 2, 1.0, False, 0.5),
    ],
)
def test_total_and_warmup_steps_are_the_trainers(
    tmp_path: Path, dataset: int, batch: int, accum: int, epochs: float, drop_last: bool, warmup: float
) -> None:
    """Trainer.set_initial_training_values and TrainingArguments.get_warmup_steps give the same numbers."""
    args = transformers.TrainingArguments(
        output_dir=str(tmp_path),
        report_to="none",
        use_cpu=True,
        per_device_train_batch_size=batch,
        gradient_accumulation_steps=accum,
        num_train_epochs=epochs,
        dataloader_drop_last=drop_last,
        warmup_steps=warmup,
    )

    class Samples(torch.utils.data.Dataset[dict[str, torch.Tensor]]):
        def __len__(self) -> int:
            return dataset

        def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
            return {"x": torch.zeros(1)}

    trainer = transformers.Trainer(model=torch.nn.Linear(1, 1), args=args, train_dataset=Samples())
    values = trainer.set_initial_training_values(args, trainer.get_train_dataloader())
    max_steps = values[-1]
    run = lrviz.load(
        {
            "lr_scheduler_type": "linear",
            "per_device_train_batch_size": batch,
            "gradient_accumulation_steps": accum,
            "num_train_epochs": epochs,
            "dataloader_drop_last": drop_last,
            "warmup_steps": warmup,
        },
        dataset_size=dataset,
    )
    assert run.epochs == max_steps
    assert run.settings.num_warmup_steps == args.get_warmup_steps(max_steps)


def test_world_size_shards_the_batches_as_accelerate_does() -> None:
    # 1000 samples / batch 8 = 125 batches; 4 ranks -> ceil(125 / 4) = 32; accumulate 3 -> 11 per epoch
    run = lrviz.load(
        {"per_device_train_batch_size": 8, "gradient_accumulation_steps": 3, "num_train_epochs": 2},
        dataset_size=1000,
        world_size=4,
    )
    assert run.epochs == 22
    assert "4 ranks = 32 per rank (ceil)" in (run.geometry or "")


def test_warmup_ratio_is_read_as_a_fractional_warmup_steps_with_a_note() -> None:
    run = lrviz.load({"lr_scheduler_type": "cosine", "warmup_ratio": 0.1, "max_steps": 95})
    assert run.settings.num_warmup_steps == 10  # ceil(9.5)
    assert any("warmup_ratio" in n for n in run.notes)


def test_cli_prints_the_arithmetic_and_writes_the_trainers_values(tmp_path: Path) -> None:
    out = tmp_path / "hf.csv"
    result = runner.invoke(
        app,
        [
            "hf",
            "cosine",
            "--lr",
            "2e-5",
            "--warmup-steps",
            "0.1",
            "--num-train-epochs",
            "3",
            "--per-device-train-batch-size",
            "8",
            "--gradient-accumulation-steps",
            "4",
            "--dataset-size",
            "5000",
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "625 batches (ceil) / accumulate 4 = 157 optimizer steps (ceil); 3 epochs = 471 steps" in result.stdout
    assert "warmup ceil(0.1 x 471) = 48 steps" in result.stdout
    rows = out.read_text().splitlines()
    assert rows[0] == "step,lr,restart"
    values = [float(r.split(",")[1]) for r in rows[1:]]
    assert values == reference("cosine", 2e-5, 48, 471, {}, {})
    assert "LR is 0 at step 0" in result.stderr


def test_cosine_with_restarts_marks_its_restarts_and_warns_without_num_cycles() -> None:
    curve = lrviz.simulate({"lr_scheduler_type": "cosine_with_restarts", "max_steps": 40, "warmup_steps": 4})
    assert curve.restarts == ()
    assert any(f.code == "hf-no-restart" for f in curve.findings)
    curve = lrviz.simulate(
        {"lr_scheduler_type": "cosine_with_restarts", "max_steps": 40, "lr_scheduler_kwargs": {"num_cycles": 3}}
    )
    assert curve.restarts == (14, 27)  # the steps where the LR jumps back up, read from the curve


def test_findings_warmup_longer_than_the_run_and_max_steps_over_epochs() -> None:
    curve = lrviz.simulate({"lr_scheduler_type": "linear", "max_steps": 10, "warmup_steps": 20, "num_train_epochs": 3})
    codes = {f.code for f in curve.findings}
    assert {"hf-warmup-longer-than-run", "hf-max-steps-overrides-epochs", "hf-zero-lr-first-step"} <= codes


def test_a_deepspeed_file_the_trainer_would_open_but_lrviz_cannot_find_is_said(tmp_path: Path) -> None:
    args = tmp_path / "args.yaml"
    args.write_text("lr_scheduler_type: cosine\nmax_steps: 50\ndeepspeed: configs/ds_z3.json\n")
    result = runner.invoke(app, ["render", str(args), "-o", str(tmp_path / "o.csv")])
    assert result.exit_code == 0, result.output
    assert "configs/ds_z3.json is not found from the current directory" in result.stderr


def test_resume_at_loads_the_state_dicts_as_the_trainer_does() -> None:
    curve = lrviz.simulate({"lr_scheduler_type": "cosine", "max_steps": 50, "warmup_steps": 5}, resume_at=20)
    assert curve.resumed is not None and list(curve.resumed[0]) == curve.lr


def test_code_prints_the_get_scheduler_call_and_the_loop_and_it_runs(tmp_path: Path) -> None:
    source = lrviz.code({"lr_scheduler_type": "cosine", "max_steps": 30, "warmup_steps": 3, "learning_rate": 1e-3})
    assert 'get_scheduler(\n    "cosine"' in source
    namespace: dict[str, Any] = {}
    exec(compile(source.replace("print(", "_ = ("), "snippet", "exec"), namespace)  # noqa: S102 - our own output
    assert namespace["scheduler"].last_epoch == 30


def test_compare_overlays_an_hf_cosine_on_a_torch_config(tmp_path: Path) -> None:
    hf = tmp_path / "hf.yaml"
    hf.write_text("lr_scheduler_type: cosine\nlearning_rate: 0.1\nmax_steps: 50\n")
    torch_cfg = tmp_path / "torch.yaml"
    torch_cfg.write_text("epochs: 50\nlr: 0.1\nscheduler: {name: CosineAnnealingLR, T_max: 50}\n")
    out = tmp_path / "cmp.csv"
    result = runner.invoke(app, ["compare", str(hf), str(torch_cfg), "-o", str(out)])
    assert result.exit_code == 0, result.output
    header = out.read_text().splitlines()[0]
    assert header == "epoch,hf,torch"


def test_check_against_a_baseline(tmp_path: Path) -> None:
    cfg = tmp_path / "args.json"
    cfg.write_text(json.dumps({"lr_scheduler_type": "linear", "max_steps": 30, "warmup_steps": 3}))
    base = tmp_path / "base.csv"
    assert runner.invoke(app, ["render", str(cfg), "-o", str(base)]).exit_code == 0
    assert runner.invoke(app, ["check", str(cfg), "--baseline", str(base)]).exit_code == 0
    cfg.write_text(json.dumps({"lr_scheduler_type": "linear", "max_steps": 30, "warmup_steps": 4}))
    result = runner.invoke(app, ["check", str(cfg), "--baseline", str(base)])
    assert result.exit_code == 1 and "first differs at epoch 1" in result.output


# ---------------------------------------------------------------------------
# Bad input: one line, exit 2, nothing written


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["hf", "coside", "--max-steps", "10"],
            "lrviz hf coside: expected a transformers SchedulerType (did you mean cosine?)",
        ),
        (["hf", "cosine", "--max-steps", "x"], "--max-steps: expected an integer, got 'x'"),
        (["hf", "cosine"], "pass --dataset-size N (the training samples), or set --max-steps"),
        (["hf", "cosine", "--max-steps", "10", "--learning-rate", "-1"], "--learning-rate: must be >= 0"),
        (["hf", "cosine", "--max-steps", "10", "--warmup-steps", "-1"], "--warmup-steps: must be >= 0"),
        (["hf", "cosine", "--max-steps", "10", "--warmup-ratio", "2"], "--warmup-ratio: must be <= 1"),
        (["hf", "cosine", "--num-train-epochs", "0", "--dataset-size", "9"], "--num-train-epochs: must be > 0"),
        (["hf", "cosine", "--dataset-size", "0"], "--dataset-size: expected an integer >= 1"),
        (["hf", "cosine", "--dataset-size", "9", "--world-size", "x"], "--world-size: expected an integer, got 'x'"),
        (
            ["hf", "cosine", "--max-steps", "9", "--per-device-train-batch-size", "0"],
            "--per-device-train-batch-size: must be >= 1",
        ),
        (
            ["hf", "cosine", "--max-steps", "9", "--gradient-accumulation-steps", "1.5"],
            "--gradient-accumulation-steps: expected an integer",
        ),
        (
            ["hf", "cosine", "--max-steps", "9", "--lr-scheduler-kwargs", "{nope"],
            "--lr-scheduler-kwargs: expected a JSON object",
        ),
        (
            ["hf", "cosine", "--max-steps", "9", "--lr-scheduler-kwargs", '{"num_cycle": 2}'],
            "--lr-scheduler-kwargs.num_cycle: transformers' cosine scheduler rejected this value",
        ),
        (
            ["hf", "reduce_lr_on_plateau", "--max-steps", "9"],
            "--eval-strategy: lr_scheduler_type reduce_lr_on_plateau requires an eval strategy",
        ),
        (
            ["hf", "reduce_lr_on_plateau", "--max-steps", "9", "--eval-strategy", "steps", "--eval-steps", "2"],
            "reduce_lr_on_plateau steps on an evaluation metric",
        ),
        (["hf", "cosine", "--max-steps", "9", "--eval-steps", "0"], None),
    ],
)
def test_bad_flags_exit_2_with_one_line_and_write_nothing(tmp_path: Path, argv: list[str], message: str | None) -> None:
    out = tmp_path / "x.png"
    result = runner.invoke(app, [*argv, "-o", str(out)])
    if message is None:  # eval_steps only matters for metric-driven types
        assert result.exit_code == 0
        return
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert "Traceback" not in result.output
    assert not out.exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "lr_scheduler_type: 3\nmax_steps: 5\n",
            "args.yaml:1: lr_scheduler_type: expected a transformers SchedulerType",
        ),
        (
            "lr_scheduler_type: cosine\nmax_steps: 5\nlearning_rate: fast\n",
            "args.yaml:3: learning_rate: expected a number",
        ),
        ("lr_scheduler_type: cosine\nmax_steps: 5.5\n", "args.yaml:2: max_steps: expected an integer"),
        (
            "lr_scheduler_type: cosine\nmax_steps: 5\ndataloader_drop_last: 1\n",
            "args.yaml:3: dataloader_drop_last: expected true or false",
        ),
        (
            "lr_scheduler_type: cosine\nmax_steps: 5\nlr_scheduler_kwargs: [1]\n",
            "args.yaml:3: lr_scheduler_kwargs: expected a mapping",
        ),
        (
            "lr_scheduler_type: cosine\nmax_steps: 5\nlr_scheduler_kwargs: '{x'\n",
            "args.yaml:3: lr_scheduler_kwargs: not valid JSON",
        ),
        (
            "lr_scheduler_type: cosine\nmax_steps: 5\nlr_scheduler_kwargs: {num_cycles: [1]}\n",
            "args.yaml:3: lr_scheduler_kwargs.num_cycles: expected a number",
        ),
        (
            "learning_rate: 1.0e-4\nnum_epochs: 3\nwarmup_steps: 5\n",
            "args.yaml: cannot tell which framework this file is for (the evidence is weak): hf (score 2: "
            "learning_rate, warmup_steps)",
        ),
        (
            "lr_scheduler: cosine\nnum_epochs: 1\nmicro_batch_size: 2\ncosine_min_lr_ratio: 1.1\n",
            "args.yaml:4: cosine_min_lr_ratio: axolotl asserts cosine_min_lr_ratio must be between 0.0 and 1.0",
        ),
    ],
)
def test_bad_keys_in_a_file_exit_2_naming_the_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "args.yaml"
    path.write_text(text)
    result = runner.invoke(app, ["render", str(path), "--dataset-size", "100", "-o", str(tmp_path / "x.csv")])
    assert result.exit_code == 2, result.output
    assert result.stderr.count("Error:") == 1 and message in result.stderr.replace(str(tmp_path) + "/", "")
    assert not (tmp_path / "x.csv").exists()


def test_weak_evidence_is_refused_until_the_dialect_is_chosen(tmp_path: Path) -> None:
    path = tmp_path / "args.yaml"
    path.write_text("learning_rate: 1.0e-4\nnum_epochs: 3\nwarmup_steps: 5\n")
    result = runner.invoke(app, ["render", str(path), "--dataset-size", "100", "--dialect", "hf"])
    assert result.exit_code == 2
    assert "args.yaml:2: num_epochs: not a TrainingArguments field (did you mean num_train_epochs?)" in result.stderr
    result = runner.invoke(app, ["render", str(path), "--dataset-size", "100", "--dialect", "axolotl", "-o", "-"])
    assert result.exit_code == 0, result.stderr  # axolotl spells it num_epochs
    # axolotl: ceil(100 x 3 epochs / 1 per step): micro_batch_size defaults to 1 in axolotl, not the Trainer's 8
    assert len(result.stdout.splitlines()) == 1 + 300


def test_training_args_bin_is_refused_without_unpickling(tmp_path: Path) -> None:
    path = tmp_path / "training_args.bin"
    path.write_bytes(b"\x80\x04not really")
    result = runner.invoke(app, ["render", str(path)])
    assert result.exit_code == 2
    assert "is a pickle; lrviz never unpickles files" in result.stderr and "JSON or YAML" in result.stderr


def test_without_transformers_a_config_that_needs_it_exits_2(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "transformers" else real(name, *a)
    )
    result = runner.invoke(app, ["hf", "cosine", "--max-steps", "5", "-o", str(tmp_path / "x.png")])
    assert result.exit_code == 2
    assert result.stderr.strip() == "Error: needs transformers: pip install 'lrviz[hf]'"
    with pytest.raises(ConfigError, match=r"needs transformers"):
        lrviz.load({"lr_scheduler_type": "cosine", "max_steps": 5})


# ---------------------------------------------------------------------------
# Real configs (tests/realworld/SOURCES.md): the user's command; values == the Trainer's loop, or the refusal

DATASET = 1000


def _expected(doc: dict[str, Any]) -> list[float]:
    """The reference from the document's own numbers, with the Trainer's arithmetic for 1000 samples."""
    batch = doc.get("per_device_train_batch_size", doc.get("micro_batch_size", 8))
    accum = doc.get("gradient_accumulation_steps", 1)
    epochs = float(doc.get("num_train_epochs", doc.get("num_epochs", 3)))
    upe = max(math.ceil(math.ceil(DATASET / batch) / accum), 1)
    total = math.ceil(epochs * upe)
    ratio = doc.get("warmup_ratio")
    steps = doc.get("warmup_steps", 0)
    warmup = int(steps) if steps >= 1 else math.ceil(total * (steps or ratio or 0))
    name = doc.get("lr_scheduler_type", doc.get("lr_scheduler", "cosine" if "micro_batch_size" in doc else "linear"))
    lr = float(doc.get("learning_rate", 5e-5))
    return reference(name, lr, warmup, total, doc.get("lr_scheduler_kwargs") or {}, {})


REAL_CASES = {
    "alignment_handbook_smollm3_apo_cosine_with_min_lr.yaml": None,
    "alignment_handbook_zephyr141b_orpo_inverse_sqrt.yaml": None,
    "alignment_handbook_zephyr7b_sft_full.yaml": None,
    "axolotl_gptoss20b_constant_with_warmup_deepspeed.yaml": None,
    "axolotl_llama3_lora_1b_cosine.yml": None,
    "llamafactory_megatron_qwen3_moe_constant.yaml": None,
    "llamafactory_qwen3_full_sft_deepspeed.yaml": None,
    "llamafactory_qwen3_lora_sft.yaml": None,
    "swin_eurosat_training_args_not_trainingarguments_keys.json": "cannot tell which framework this file is for",
}


@pytest.mark.parametrize("name", sorted(REAL_CASES))
def test_real_config(name: str, tmp_path: Path) -> None:
    from lrviz.config.files import read_yaml

    path = REAL / name
    out = tmp_path / "out.csv"
    result = runner.invoke(app, ["render", str(path), "--dataset-size", str(DATASET), "-o", str(out)])
    refusal = REAL_CASES[name]
    if refusal is not None:
        assert result.exit_code == 2 and refusal in result.stderr, result.output
        assert not out.exists()
        return
    assert result.exit_code == 0, result.output
    doc, _ = read_yaml(path)
    values = [float(r.split(",")[1]) for r in out.read_text().splitlines()[1:]]
    assert values == _expected(doc)


@pytest.mark.parametrize(
    ("name", "outcome"),
    [
        ("deepspeed_hf_tests_zero2_warmuplr_auto.json", 'scheduler.params.warmup_min_lr: "auto" is filled in'),
        ("deepspeed_matsuolab_warmup_cosine_lr.json", None),
        (
            "deepspeed_stanford_alpaca_warmup_decay_lr_auto.json",
            'scheduler.params.total_num_steps: "auto" is filled in',
        ),
        ("deepspeed_transpeeder_warmup_decay_lr.json", None),
    ],
)
def test_real_deepspeed_configs_are_read_or_their_auto_values_named(name: str, outcome: str | None) -> None:
    """DeepSpeed configs given directly are stepped with deepspeed's classes (tests/frameworks/deepspeed/test_deepspeed_schedulers.py)."""
    pytest.importorskip("deepspeed")
    path = Path(__file__).parents[2] / "realworld" / "configs" / "other_dialects" / name
    result = runner.invoke(app, ["render", str(path), "-q"])
    if outcome is None:
        assert result.exit_code == 0, result.output
        assert "deepspeed Warmup" in result.stdout
    else:
        assert result.exit_code == 2
        assert result.stderr.count("\n") == 1 and outcome in result.stderr


def test_help_errors_and_torch_runs_never_import_the_frameworks(tmp_path: Path) -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from lrviz.cli.commands import app\n"
        "from typer.testing import CliRunner\n"
        "r = CliRunner()\n"
        "r.invoke(app, ['hf', '--help']); r.invoke(app, ['hf', 'coside']); r.invoke(app, ['timm', '--help'])\n"
        "heavy = sorted(m for m in ('torch', 'matplotlib', 'transformers', 'timm') if m in sys.modules)\n"
        "r.invoke(app, ['cosine', '--t-max', '5', '--no-chart'])\n"
        "late = sorted(m for m in ('transformers', 'timm', 'timm.scheduler') if m in sys.modules)\n"
        "print(heavy, late)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[] []"


def test_a_scripts_own_learning_rate_argument_is_not_replaced_by_the_trainers_default(tmp_path: Path) -> None:
    # transformers' run_mae.py sets learning_rate = base_learning_rate x total batch / 256 (its own argument)
    path = tmp_path / "mae.sh"
    path.write_text("python run_mae.py --base_learning_rate 1.5e-4 --lr_scheduler_type cosine --max_steps 10\n")
    with pytest.raises(ConfigError, match=r"mae.sh:1: --base_learning_rate: learning_rate is not set, and "):
        lrviz.simulate(path)
    given = lrviz.simulate(path, overrides=["learning_rate=1.5e-4"])
    assert max(given.lr) == 1.5e-4


def test_a_trl_file_without_learning_rate_is_refused_not_drawn_at_the_trainers_default() -> None:
    trl = {"lr_scheduler_type": "cosine", "max_steps": 10, "per_device_train_batch_size": 2, "dataset_text_field": "t"}
    with pytest.raises(
        ConfigError, match=r"learning_rate is not set, and the file reads as TRL's .*SFTConfig's is 2e-05"
    ):
        lrviz.load(trl)
    assert lrviz.load({k: v for k, v in trl.items() if k != "dataset_text_field"}).optimizer.lr == 5e-05
    assert lrviz.load({**trl, "learning_rate": 2e-5}).optimizer.lr == 2e-5

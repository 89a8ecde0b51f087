"""The documentation's gallery: every scheduler and framework schedule, drawn by lrviz itself at build time.

    python scripts/gallery.py OUT_DIR          # OUT_DIR/*.png and OUT_DIR/gallery.md

Each entry is an ``lrviz`` command line, run in-process through the real CLI (the same code
as the installed ``lrviz``) in OUT_DIR; the page shows the plot it wrote and, under it, that
exact command (and any file it reads). A command that fails fails the docs build. The mkdocs
hook (scripts/mkdocs_hooks.py) runs this for every build; nothing in the gallery is drawn by hand.
Plots are small (``--size 6x3 --dpi 60``) so the whole gallery takes seconds.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import re
import shlex
import sys
from dataclasses import dataclass, field
from pathlib import Path

SMALL = ["--size", "6x3", "--dpi", "60", "--quiet"]


@dataclass(frozen=True)
class Entry:
    """One plot: which section, the name it covers, the command (without ``lrviz``), files it reads."""

    section: str
    name: str
    args: tuple[str, ...]
    files: dict[str, str] = field(default_factory=dict)

    @property
    def image(self) -> str:
        slug = re.sub(r"[^a-z0-9_]+", "-", self.name.lower()).strip("-")
        return f"{self.section.split()[0].lower()}-{slug}.png"

    def command(self) -> list[str]:
        return [*self.args, *SMALL, "-o", self.image]


def _e(section: str, name: str, command: str, files: dict[str, str] | None = None) -> Entry:
    return Entry(section, name, tuple(shlex.split(command)), files or {})


METRICS = "".join(f"{v}\n" for v in [1.0, 0.8, 0.7, 0.65, 0.64, 0.64, 0.64, 0.64, 0.63, 0.63] * 3)
TORCH = "PyTorch (torch.optim.lr_scheduler)"
HF = "Hugging Face transformers (get_scheduler)"
TIMM = "timm (create_scheduler_v2)"
DS = "DeepSpeed (deepspeed.runtime.lr_schedules)"
CONFIGS = "Training configs"

ENTRIES: tuple[Entry, ...] = (
    _e(TORCH, "CosineAnnealingLR", "cosine --t-max 20 --epochs 21"),
    _e(TORCH, "CosineAnnealingWarmRestarts", "restarts --t0 5 --t-mult 2 --epochs 35"),
    _e(TORCH, "StepLR", "step --step-size 10 --gamma 0.5 --epochs 40"),
    _e(TORCH, "MultiStepLR", "multistep --milestones 30,80 --epochs 100"),
    _e(TORCH, "ExponentialLR", "exponential --gamma 0.9 --epochs 30"),
    _e(TORCH, "LinearLR", "linear --start-factor 0.1 --total-iters 10 --epochs 20"),
    _e(TORCH, "ConstantLR", "constant --factor 0.5 --total-iters 5 --epochs 15"),
    _e(TORCH, "PolynomialLR", "polynomial --total-iters 20 --power 2 --epochs 25"),
    _e(TORCH, "CyclicLR", "cyclic --base-lr 0.01 --max-lr 0.1 --step-size-up 50 --epochs 4 --steps-per-epoch 100"),
    _e(TORCH, "OneCycleLR", "onecycle --max-lr 0.1 --epochs 10 --steps-per-epoch 50"),
    _e(TORCH, "LambdaLR", 'lambda --lr-lambda "0.95 ** epoch" --epochs 40'),
    _e(TORCH, "MultiplicativeLR", 'multiplicative --lr-lambda "0.9 if epoch < 10 else 0.98" --epochs 30'),
    _e(TORCH, "ReduceLROnPlateau", "plateau --patience 2 --metrics metrics.txt --epochs 30", {"metrics.txt": METRICS}),
    _e(
        TORCH,
        "SequentialLR",
        "render warmup_cosine.yaml",
        {
            "warmup_cosine.yaml": "epochs: 50\n"
            "scheduler:\n"
            "  name: SequentialLR\n"
            "  milestones: [5]\n"
            "  schedulers:\n"
            "    - {name: LinearLR, start_factor: 0.01, total_iters: 5}\n"
            "    - {name: CosineAnnealingLR, T_max: 45}\n"
        },
    ),
    _e(
        TORCH,
        "ChainedScheduler",
        "render chained.yaml",
        {
            "chained.yaml": "epochs: 40\n"
            "scheduler:\n"
            "  name: ChainedScheduler\n"
            "  schedulers:\n"
            "    - {name: ConstantLR, factor: 0.1, total_iters: 5}\n"
            "    - {name: ExponentialLR, gamma: 0.95}\n"
        },
    ),
    _e(
        CONFIGS,
        "Hydra",
        "render cosine.yaml --set trainer.max_epochs=30",
        {
            "cosine.yaml": "_target_: torch.optim.lr_scheduler.CosineAnnealingLR\n"
            "T_max: ${trainer.max_epochs}\n"
            "eta_min: 1.0e-4\n"
        },
    ),
    _e(
        CONFIGS,
        "LightningCLI",
        "render lightning.yaml",
        {
            "lightning.yaml": "trainer:\n"
            "  max_epochs: 30\n"
            "optimizer:\n"
            "  class_path: torch.optim.AdamW\n"
            "  init_args: {lr: 1.0e-3}\n"
            "lr_scheduler:\n"
            "  class_path: torch.optim.lr_scheduler.StepLR\n"
            "  init_args: {step_size: 10, gamma: 0.3}\n"
        },
    ),
    _e(
        CONFIGS,
        "TrainingArguments",
        "render training_args.yaml --dataset-size 4000",
        {
            "training_args.yaml": "learning_rate: 2.0e-5\n"
            "lr_scheduler_type: cosine\n"
            "warmup_steps: 0.1\n"
            "num_train_epochs: 2\n"
            "per_device_train_batch_size: 16\n"
        },
    ),
    _e(
        CONFIGS,
        "axolotl",
        "render axolotl.yaml --dataset-size 2000",
        {
            "axolotl.yaml": "learning_rate: 2.0e-4\n"
            "lr_scheduler: cosine\n"
            "warmup_steps: 10\n"
            "num_epochs: 2\n"
            "micro_batch_size: 4\n"
            "gradient_accumulation_steps: 2\n"
        },
    ),
    _e(
        CONFIGS,
        "timm args.yaml",
        "render args.yaml",
        {
            "args.yaml": "sched: cosine\n"
            "epochs: 30\n"
            "lr: 0.01\n"
            "warmup_epochs: 3\n"
            "warmup_lr: 1.0e-4\n"
            "min_lr: 1.0e-4\n"
            "cooldown_epochs: 5\n"
        },
    ),
    _e(
        CONFIGS,
        "DeepSpeed config",
        "render ds_config.json",
        {
            "ds_config.json": '{\n  "optimizer": {"type": "AdamW", "params": {"lr": 1e-4}},\n'
            '  "scheduler": {"type": "WarmupDecayLR", "params": {"warmup_min_lr": 0, "warmup_max_lr": 1e-4,\n'
            '                "warmup_num_steps": 50, "total_num_steps": 500}}\n}\n'
        },
    ),
    *(
        _e(HF, name, f"hf {name} --lr 2e-5 --max-steps 200 --warmup-steps 20{extra}", files)
        for name, extra, files in (
            ("linear", "", None),
            ("cosine", "", None),
            ("cosine_with_restarts", " --lr-scheduler-kwargs '{\"num_cycles\": 3}'", None),
            ("polynomial", ' --lr-scheduler-kwargs \'{"power": 2, "lr_end": 1e-7}\'', None),
            ("constant", "", None),
            ("constant_with_warmup", "", None),
            ("inverse_sqrt", "", None),
            (
                "reduce_lr_on_plateau",
                " --eval-strategy steps --eval-steps 10 --metrics metrics.txt --lr-scheduler-kwargs '{\"patience\": 2}'",
                {"metrics.txt": METRICS[: len(METRICS) * 2 // 3]},
            ),
            ("cosine_with_min_lr", " --lr-scheduler-kwargs '{\"min_lr_rate\": 0.1}'", None),
            ("cosine_warmup_with_min_lr", " --lr-scheduler-kwargs '{\"min_lr_rate\": 0.1}'", None),
            ("warmup_stable_decay", " --lr-scheduler-kwargs '{\"num_decay_steps\": 50}'", None),
            (
                "greedy",
                " --eval-strategy steps --eval-steps 10 --metrics metrics.txt --lr-scheduler-kwargs '{\"patience\": 2}'",
                {"metrics.txt": METRICS[: len(METRICS) * 2 // 3]},
            ),
        )
    ),
    *(
        _e(TIMM, name, f"timm {name} --lr 0.01 --epochs 30 --warmup-epochs 3 --warmup-lr 1e-4{extra}", files)
        for name, extra, files in (
            ("cosine", " --min-lr 1e-4 --cooldown-epochs 5", None),
            ("tanh", " --min-lr 1e-4", None),
            ("step", " --decay-epochs 10 --decay-rate 0.5", None),
            ("multistep", " --decay-milestones 10,20 --decay-rate 0.3", None),
            ("plateau", " --patience-epochs 2 --decay-rate 0.5 --metrics metrics.txt", {"metrics.txt": METRICS}),
            ("poly", " --min-lr 1e-4", None),
            ("wsd", " --decay-epochs 10", None),
            ("rsqrt", " --decay-epochs 10", None),
            ("constant", "", None),
            ("none", "", None),
        )
    ),
    _e(DS, "WarmupLR", "deepspeed WarmupLR --lr 3e-4 --warmup-num-steps 50 --max-steps 200"),
    _e(
        DS,
        "WarmupDecayLR",
        "deepspeed WarmupDecayLR --warmup-max-lr 1e-4 --warmup-num-steps 50 --total-num-steps 200",
    ),
    _e(DS, "WarmupCosineLR", "deepspeed WarmupCosineLR --lr 1e-4 --warmup-num-steps 50 --total-num-steps 200"),
    _e(
        DS,
        "OneCycle",
        "deepspeed OneCycle --cycle-min-lr 1e-5 --cycle-max-lr 1e-3 --cycle-first-step-size 50 --max-steps 200",
    ),
    _e(
        DS,
        "LRRangeTest",
        "deepspeed LRRangeTest --lr-range-test-min-lr 1e-5 --lr-range-test-step-size 20 --max-steps 200",
    ),
)

#: OpenMMLab mmengine: real mmdet/mmseg/mmpretrain schedule files (tests/realworld/configs, SOURCES.md).
MM = "OpenMMLab mmengine (param_scheduler, stepped as the Runner does)"
_REAL = Path(__file__).resolve().parents[1] / "tests" / "realworld" / "configs"


def _mm(name: str, config: str, flags: str) -> Entry:
    path = _REAL / config
    return _e(MM, name, f"render {path.name} --allow-exec {flags}", {path.name: path.read_text()})


ENTRIES += (
    _mm("LinearLR", "mmengine/mmdetection/configs/_base_/schedules/schedule_1x.py", "--steps-per-epoch 100"),
    _mm("MultiStepLR", "mmengine/mmpretrain/configs/_base_/schedules/imagenet_bs256.py", ""),
    _mm(
        "CosineAnnealingLR",
        "mmengine/mmpretrain/configs/_base_/schedules/imagenet_bs1024_adamw_swin.py",
        "--steps-per-epoch 10",
    ),
    _mm(
        "PolyLR",
        "mmengine/mmsegmentation/configs/_base_/schedules/schedule_80k.py",
        "--set train_cfg.max_iters=8000 --set param_scheduler.0.end=8000",
    ),
    _mm("StepLR", "other_frameworks/mmpretrain_bs256_epochstep.py", ""),
)

#: The frameworks lrviz reads from their own files or launch scripts, each drawn from a real file in
#: tests/realworld/configs (SOURCES.md: provenance), copied under its upstream name. Any flag beyond the
#: file's own settings (a dataset size, a shorter run, a value behind a project's resolver) is in the command.
DIFFUSERS = "diffusers (get_scheduler, from the training script's flags)"
MEGATRON = "Megatron-LM (OptimizerParamScheduler, from the launch script)"
FVCORE = "fvcore (param schedulers, stepped as the SAM 2 and VGGT trainers step them)"
ESPNET = "ESPnet (espnet2.schedulers, stepped as its Trainer does)"
AXOLOTL = "axolotl (its own schedulers, inside the Hugging Face Trainer)"
LF1 = "LLaMA-Factory v1 (BaseTrainer's scheduler)"
TORCHTUNE = "torchtune (the recipe's lr_scheduler component)"
LITGPT = "litgpt (the finetune scripts' get_lr_scheduler, pretrain.py's get_lr)"
NEMO = "NVIDIA NeMo (prepare_lr_scheduler, max_steps as setup_optimization sets it)"


def _real(section: str, name: str, config: str, upstream: str, flags: str = "") -> Entry:
    """An entry that renders ``config`` (under tests/realworld/configs) copied as ``upstream``, its real name."""
    text = (_REAL / config).read_text()
    return _e(section, name, f"render {shlex.quote(upstream)} {flags}", {upstream: text})


ENTRIES += (
    _real(DIFFUSERS, "constant", "launch/diffusers/fastql_finetune.sh", "finetune.sh"),
    _real(MEGATRON, "cosine", "launch/megatron/bigscience_pretrain_gpt_tiny.sh", "pretrain_gpt_tiny.sh"),
    _real(
        MEGATRON,
        "linear",
        "launch/megatron/megatron_lm_train_bert_340m_distributed.sh",
        "train_bert_340m_distributed.sh",
        "--set train_iters=20000 --set lr_decay_iters=20000",
    ),
    _real(
        FVCORE,
        "CosineParamScheduler",
        "fvcore/sam2_1_hiera_b+_mose_finetune_cosine.yaml",
        "sam2.1_hiera_b+_MOSE_finetune.yaml",
        "--steps-per-epoch 50 --set trainer.max_epochs=40"
        " --set trainer.optim.options.lr.0.scheduler.end_value=5.0e-7"
        " --set trainer.optim.options.lr.1.scheduler.end_value=3.0e-7",
    ),
    _real(
        FVCORE,
        "CompositeParamScheduler",
        "fvcore/vggt_full_finetune_composite_linear_cosine.yaml",
        "full_finetune.yaml",
    ),
    _real(ESPNET, "NoamLR", "espnet/ljspeech_tts_fastspeech2_noamlr_num_iters.yaml", "train_fastspeech2.yaml"),
    _real(
        ESPNET,
        "WarmupLR",
        "other_dialects/espnet_an4_transformer_warmuplr.yaml",
        "train_asr_transformer.yaml",
        "--steps-per-epoch 100",
    ),
    _real(AXOLOTL, "RexLR", "llm_axolotl/axolotl_glm47_qlora_rex.yaml", "glm4.7-qlora.yaml", "--dataset-size 1000"),
    _real(
        AXOLOTL,
        "JaggedLRRestartScheduler",
        "llm_axolotl/axolotl_llama2_relora_jagged_restart.yml",
        "relora.yml",
        "--dataset-size 1000",
    ),
    _real(
        AXOLOTL,
        "get_cosine_schedule_with_quadratic_warmup",
        "llm_axolotl/axolotl_btlm_ft_quadratic_warmup.yml",
        "btlm-ft.yml",
        "--dataset-size 1000",
    ),
    _real(LF1, "constant", "llm_llamafactory/lf_v1_train_lora_sft_constant.yaml", "train_lora_sft.yaml"),
    _real(
        TORCHTUNE,
        "get_cosine_schedule_with_warmup",
        "llm_torchtune/tt_llama32_1b_lora_single_device_cosine.yaml",
        "1B_lora_single_device.yaml",
        "--dataset-size 51760",
    ),
    _real(LITGPT, "get_lr_scheduler", "llm_litgpt/litgpt_llama-3.2-1B_lora.yaml", "lora.yaml", "--dataset-size 1000"),
    _real(LITGPT, "get_lr", "llm_litgpt/litgpt_pretrain_tinystories.yaml", "tinystories.yaml", "--set devices=4"),
    _real(
        NEMO,
        "CosineAnnealing",
        "other_dialects/nemo_titanet_small_sched_cosine_annealing.yaml",
        "titanet-small.yaml",
        "--dataset-size 5000",
    ),
    _real(
        NEMO,
        "WarmupAnnealing",
        "nemo/launcher_mt5_170m_warmup_annealing_ratio.yaml",
        "170m.yaml",
        "--set trainer.max_steps=10000",
    ),
)

SECTIONS = (
    TORCH,
    CONFIGS,
    HF,
    TIMM,
    DS,
    MM,
    DIFFUSERS,
    MEGATRON,
    FVCORE,
    ESPNET,
    AXOLOTL,
    LF1,
    TORCHTUNE,
    LITGPT,
    NEMO,
)


def run(entry: Entry, out: Path) -> str:
    """Run the entry's command through lrviz's CLI in ``out``; the captured output. SystemExit when it fails."""
    import typer

    from lrviz.cli import app

    for name, text in entry.files.items():
        (out / name).write_text(text)
    here = os.getcwd()
    captured_out, captured_err = io.StringIO(), io.StringIO()
    try:
        os.chdir(out)
        with contextlib.redirect_stdout(captured_out), contextlib.redirect_stderr(captured_err):
            code = typer.main.get_command(app).main(entry.command(), prog_name="lrviz", standalone_mode=False)
    finally:
        os.chdir(here)
    if code != 0 or not (out / entry.image).is_file():
        raise SystemExit(
            f"gallery: `lrviz {shlex.join(entry.command())}` exited {code}\n{captured_out.getvalue()}{captured_err.getvalue()}"
        )
    return captured_out.getvalue()


def page(entries: tuple[Entry, ...] = ENTRIES) -> str:
    """The gallery's Markdown: one section per framework, each plot with the command that drew it."""
    lines = [
        "# Gallery",
        "",
        "Every scheduler and framework schedule lrviz steps, drawn by lrviz itself when these docs were built",
        "(`scripts/gallery.py`). Under each plot is the exact command that drew it; run it to get the same file.",
        "The gallery's plots are small (`--size 6x3 --dpi 60`); leave those flags out for full-size ones.",
        "",
    ]
    for section in SECTIONS:
        lines += [f"## {section}", ""]
        for entry in (e for e in entries if e.section == section):
            lines += [f"### {entry.name}", "", f"![{entry.name}]({entry.image})", ""]
            for name, text in entry.files.items():
                if name == "metrics.txt":
                    lines += [f"`{name}`: one metric value per line ({text.count(chr(10))} values).", ""]
                    continue
                lang = {".json": "json", ".py": "python", ".sh": "bash"}.get(Path(name).suffix, "yaml")
                lines += [f"`{name}`:", "", f"```{lang}", text.rstrip("\n"), "```", ""]
            lines += ["```", f"lrviz {shlex.join(entry.command())}", "```", ""]
    return "\n".join(lines)


def build(out: Path, page_name: str = "gallery.md") -> list[Path]:
    """Draw every entry into ``out`` and write the page ``out/page_name``; the files written."""
    out.mkdir(parents=True, exist_ok=True)
    for entry in ENTRIES:
        run(entry, out)
    (out / page_name).write_text(page())
    return [out / e.image for e in ENTRIES] + [out / page_name]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    args = parser.parse_args(argv)
    written = build(args.out)
    print(f"gallery: {len(written) - 1} plots and gallery.md in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

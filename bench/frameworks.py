"""What the optional frameworks cost: their import, and an HF cosine of 100,000 steps.

DeepSpeed: ``import deepspeed.runtime.lr_schedules`` runs ``deepspeed/__init__.py`` (accelerator
detection, ~400 modules); measured here through lrviz's loader, which also drops its stdout log line.

    python bench/frameworks.py        # medians of 5 fresh processes each, and as ratios to `import torch`
    python bench/frameworks.py litgpt # only the cases whose name holds "litgpt" (and import torch)

diffusers and Megatron (issue 19), measured 2026-12-02 with 3 interleaved rounds under a load average
of ~10 (import torch alone 13.9 s there): diffusers.optimization 2.12 x import torch, megatron.core's
scheduler 3.41 x (megatron/core/__init__ imports ~150 modules), a 100,000-step diffusers render 2.35 x,
a 100,000-iteration Megatron render 2.96 x.

litgpt pretraining (issue 19), 2026-12-02 at a load average of ~5.7 (import torch 3.80 s there):
litgpt.pretrain's get_lr through lrviz's loader 2.64 x import torch, a 100,000-step render (200,000
iterations) 2.47 x; bench/README.md has the table.

The budget (issue 12): `lrviz hf cosine --max-steps 100000` costs no more than
`import transformers` (with torch) + 0.3 s.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

MMSEG_80K = (
    Path(__file__).resolve().parents[1]
    / "tests/realworld/configs/mmengine/mmsegmentation/configs/_base_/schedules/schedule_80k.py"
)
CASES = {
    "import torch": [sys.executable, "-c", "import torch"],
    "import torch + transformers.get_scheduler": [
        sys.executable,
        "-c",
        "import torch; from transformers import get_scheduler",
    ],
    "import torch + timm.scheduler (lrviz's loader)": [
        sys.executable,
        "-c",
        "import torch; from lrviz.frameworks.timm.step import timm_scheduler_module; timm_scheduler_module()",
    ],
    "import torch + deepspeed.runtime.lr_schedules (lrviz's loader)": [
        sys.executable,
        "-c",
        "import torch; from lrviz.frameworks.deepspeed.step import deepspeed_lr_schedules; deepspeed_lr_schedules()",
    ],
    "lrviz deepspeed WarmupCosineLR --total-num-steps 100000 -o x.csv": [
        sys.executable,
        "-m",
        "lrviz",
        "deepspeed",
        "WarmupCosineLR",
        "--total-num-steps",
        "100000",
        "--warmup-num-steps",
        "1000",
        "--lr",
        "3e-4",
        "-q",
        "-o",
        "/tmp/lrviz_bench_deepspeed.csv",
    ],
    "lrviz hf cosine --max-steps 100000 -o x.csv": [
        sys.executable,
        "-m",
        "lrviz",
        "hf",
        "cosine",
        "--max-steps",
        "100000",
        "--warmup-steps",
        "0.1",
        "-q",
        "-o",
        "/tmp/lrviz_bench_hf.csv",
    ],
    # fw-launch: diffusers and Megatron-LM, read from a launch command (lrviz[diffusers], lrviz[megatron])
    "import torch + diffusers.optimization": [sys.executable, "-c", "import torch, diffusers.optimization"],
    "import torch + megatron.core.optimizer_param_scheduler": [
        sys.executable,
        "-W",
        "ignore",
        "-c",
        "import torch, megatron.core.optimizer_param_scheduler",
    ],
    "lrviz render --command 'accelerate launch train_text_to_image.py ...' (100,000 steps)": [
        sys.executable,
        "-m",
        "lrviz",
        "render",
        "--command",
        "accelerate launch --num_processes 2 train_text_to_image.py --lr_scheduler cosine --lr_warmup_steps 500 "
        "--max_train_steps 100000 --learning_rate 1e-4",
        "-q",
        "-o",
        "/tmp/lrviz_bench_diffusers.csv",
    ],
    "lrviz render --command 'torchrun pretrain_gpt.py ...' (100,000 iterations)": [
        sys.executable,
        "-W",
        "ignore",
        "-m",
        "lrviz",
        "render",
        "--command",
        "torchrun --nproc_per_node 8 pretrain_gpt.py --lr 3e-4 --min-lr 3e-5 --lr-decay-style cosine "
        "--lr-warmup-iters 2000 --train-iters 100000 --global-batch-size 512",
        "-q",
        "-o",
        "/tmp/lrviz_bench_megatron.csv",
    ],
    # fvcore (SAM 2 trainer layout) and ESPnet: their scheduler modules' import, and a 100,000-step render of a
    # real config (SAM 2's cosine with its resolvers' values given: 40 epochs x 2,500 batches; ESPnet's
    # FastSpeech2 recipe: 1,000 epochs x 800 // 8 optimizer steps)
    "import torch + fvcore.common.param_scheduler": [
        sys.executable,
        "-c",
        "import torch; import fvcore.common.param_scheduler",
    ],
    "import torch + espnet2.schedulers (abs_scheduler, warmup_lr, noam_lr)": [
        sys.executable,
        "-c",
        "import torch; import espnet2.schedulers.abs_scheduler, espnet2.schedulers.warmup_lr, espnet2.schedulers.noam_lr",
    ],
    "lrviz render sam2.1 MOSE finetune (fvcore cosine, 100,000 steps) -o x.csv": [
        sys.executable,
        "-m",
        "lrviz",
        "render",
        "tests/realworld/configs/fvcore/sam2_1_hiera_b+_mose_finetune_cosine.yaml",
        "--steps-per-epoch",
        "2500",
        "--set",
        "trainer.max_epochs=40",
        "--set",
        "trainer.optim.options.lr.0.scheduler.end_value=5.0e-7",
        "--set",
        "trainer.optim.options.lr.1.scheduler.end_value=3.0e-7",
        "-q",
        "-o",
        "/tmp/lrviz_bench_fvcore.csv",
    ],
    "lrviz render espnet fastspeech2 (noamlr, 100,000 steps) -o x.csv": [
        sys.executable,
        "-m",
        "lrviz",
        "render",
        "tests/realworld/configs/espnet/ljspeech_tts_fastspeech2_noamlr_num_iters.yaml",
        "-q",
        "-o",
        "/tmp/lrviz_bench_espnet.csv",
    ],
    "lrviz timm cosine --epochs 300 -o x.csv": [
        sys.executable,
        "-m",
        "lrviz",
        "timm",
        "cosine",
        "--lr",
        "0.1",
        "-q",
        "-o",
        "/tmp/lrviz_bench_timm.csv",
    ],
    # mmengine (OpenMMLab): the import of its scheduler registry, and mmseg's 80k PolyLR schedule run
    # for 100,000 iterations (--epochs replaces max_iters) through the Python config loader
    "import torch + mmengine.registry.PARAM_SCHEDULERS": [
        sys.executable,
        "-c",
        "import torch; from mmengine.registry import PARAM_SCHEDULERS; PARAM_SCHEDULERS.get('PolyLR')",
    ],
    "lrviz render schedule_80k.py --allow-exec --epochs 100000 -o x.csv": [
        sys.executable,
        "-m",
        "lrviz",
        "render",
        str(MMSEG_80K),
        "--allow-exec",
        "--epochs",
        "100000",
        "-q",
        "-o",
        "/tmp/lrviz_bench_mmengine.csv",
    ],
}

# axolotl's own schedulers, LLaMA-Factory v1, torchtune and litgpt (issue 19): each import through lrviz's loader,
# and each file's schedule over 100,000 optimizer steps
YAML_FRAMEWORKS = {
    "tt.yaml": (
        "model: {_component_: torchtune.models.llama3_2.lora_llama3_2_1b}\n"
        "checkpointer: {_component_: torchtune.training.FullModelHFCheckpointer}\n"
        "optimizer: {_component_: torch.optim.AdamW, lr: 3.0e-4}\n"
        "lr_scheduler: {_component_: torchtune.training.lr_schedulers.get_cosine_schedule_with_warmup, "
        "num_warmup_steps: 100}\nbatch_size: 4\nepochs: 1\nmax_steps_per_epoch: null\n"
    ),
    "litgpt.yaml": (
        "devices: 1\ntrain: {global_batch_size: 1, micro_batch_size: 1, lr_warmup_steps: 100, epochs: 1}\n"
        "optimizer: {class_path: torch.optim.AdamW, init_args: {lr: 2.0e-4}}\n"
    ),
    "lf_v1.yaml": "model: Qwen/Qwen3-0.6B\nmodel_class: llm\ntrain_dataset: d.yaml\nlearning_rate: 1.0e-4\nmax_steps: 100000\n",
    "axolotl.yaml": (
        "base_model: m\nsequence_len: 2048\nmicro_batch_size: 1\nnum_epochs: 1\nlearning_rate: 2.0e-4\n"
        "lr_scheduler: rex\nwarmup_steps: 100\nmax_steps: 100000\n"
    ),
}
BENCH_DIR = "/tmp/lrviz_bench_yaml_frameworks"
CASES.update(
    {
        "import torch + torchtune.config and its scheduler (lrviz's loader)": [
            sys.executable,
            "-c",
            "import torch; from lrviz.frameworks.torchtune.step import torchtune_modules\n"
            "with torchtune_modules(): pass",
        ],
        "import torch + litgpt.finetune.lora.get_lr_scheduler": [
            sys.executable,
            "-c",
            "import torch; from lrviz.frameworks.litgpt.step import get_lr_scheduler; get_lr_scheduler()",
        ],
        "lrviz render litgpt finetune, 100,000 steps": [
            *(sys.executable, "-m", "lrviz", "render", f"{BENCH_DIR}/litgpt.yaml", "--dataset-size", "100000"),
            *("-q", "-o", f"{BENCH_DIR}/litgpt.csv"),
        ],
        "import torch + axolotl.utils.schedulers": [
            sys.executable,
            "-c",
            "import torch; from lrviz.frameworks.hf.axolotl_step import schedulers_module; schedulers_module()",
        ],
        "lrviz render torchtune recipe, 100,000 steps": [
            *(sys.executable, "-m", "lrviz", "render", f"{BENCH_DIR}/tt.yaml", "--steps-per-epoch", "100000"),
            *("-q", "-o", f"{BENCH_DIR}/tt.csv"),
        ],
        "lrviz render LLaMA-Factory v1, 100,000 steps": [
            *(sys.executable, "-m", "lrviz", "render", f"{BENCH_DIR}/lf_v1.yaml", "-q", "-o", f"{BENCH_DIR}/v1.csv"),
        ],
        "lrviz render axolotl rex, 100,000 steps": [
            *(sys.executable, "-m", "lrviz", "render", f"{BENCH_DIR}/axolotl.yaml", "-q", "-o", f"{BENCH_DIR}/ax.csv"),
        ],
    }
)

# NeMo (issue 19): nemo.core.optim.lr_scheduler through lrviz's loader, and a CosineAnnealing of 100,000 steps
YAML_FRAMEWORKS["nemo.yaml"] = (
    "trainer: {max_steps: 100000}\n"
    "model: {optim: {name: adamw, lr: 1.0e-3, sched: {name: CosineAnnealing, warmup_steps: 1000, min_lr: 1.0e-5}}}\n"
)
CASES.update(
    {
        "import torch + nemo.core.optim.lr_scheduler (lrviz's loader)": [
            sys.executable,
            "-c",
            "import torch; from lrviz.frameworks.nemo.step import lr_scheduler_module; lr_scheduler_module()",
        ],
        "lrviz render NeMo CosineAnnealing, 100,000 steps": [
            *(sys.executable, "-m", "lrviz", "render", f"{BENCH_DIR}/nemo.yaml", "-q", "-o", f"{BENCH_DIR}/nemo.csv"),
        ],
    }
)

# litgpt pretraining (issue 19): litgpt/pretrain.py's get_lr through lrviz's loader (litgpt.pretrain imports lightning
# and litgpt's model), and 100,000 optimizer steps of it: 200,000 iterations (get_lr per iteration, an optimizer step
# every 2: global_batch_size 8 / micro_batch_size 4), max_tokens 409,600,000 at 4 x 512 tokens an iteration
YAML_FRAMEWORKS["litgpt_pretrain.yaml"] = (
    "model_name: pythia-14m\nout_dir: out/pretrain\ndevices: 1\n"
    "train: {global_batch_size: 8, micro_batch_size: 4, lr_warmup_steps: 2000, max_tokens: 409600000, "
    "max_seq_length: 512, max_norm: 1.0, min_lr: 4.0e-5}\n"
    "optimizer: {class_path: torch.optim.AdamW, init_args: {lr: 4.0e-4}}\n"
)
CASES.update(
    {
        "import torch + litgpt.pretrain.get_lr (lrviz's loader)": [
            sys.executable,
            "-c",
            "import torch; from lrviz.frameworks.litgpt.step import _module; _module('litgpt.pretrain', 'pretrain')",
        ],
        "lrviz render litgpt pretrain, 100,000 steps (200,000 iterations)": [
            *(sys.executable, "-m", "lrviz", "render", f"{BENCH_DIR}/litgpt_pretrain.yaml"),
            *("-q", "-o", f"{BENCH_DIR}/litgpt_pretrain.csv"),
        ],
    }
)


def write_yaml_frameworks() -> None:
    from pathlib import Path

    Path(BENCH_DIR).mkdir(exist_ok=True)
    for name, text in YAML_FRAMEWORKS.items():
        (Path(BENCH_DIR) / name).write_text(text)


def main() -> None:
    """``python bench/frameworks.py [WORD ...]``: every case, or those whose name holds one of the words (and
    ``import torch``, the ratios' floor)."""
    write_yaml_frameworks()
    words = sys.argv[1:]
    cases = {n: a for n, a in CASES.items() if not words or n == "import torch" or any(w in n for w in words)}
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(5):
        for name, argv in cases.items():  # alternating, so drift hits every case alike
            start = time.perf_counter()
            subprocess.run(argv, check=True, capture_output=True)
            times[name].append(time.perf_counter() - start)
    torch_alone = statistics.median(times["import torch"])
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{median:6.2f} s  {median / torch_alone:5.2f} x import torch  {name}")


if __name__ == "__main__":
    main()

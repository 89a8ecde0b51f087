"""What is installed around lrviz, read from package metadata: never by importing torch or a framework.

``versions`` gives the lines ``lrviz --version`` prints (what a bug report needs);
``doctor`` says which extras are installed, what a missing one would enable and how
to install it, and whether torch is a CPU, CUDA or ROCm build. Everything comes from
``importlib.metadata`` and, for torch's build, from the text of ``torch/version.py``
in the installed distribution, so both answer in milliseconds.
"""

from __future__ import annotations

import platform
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from lrviz._version import __version__

__all__ = ["EXTRAS", "Extra", "TorchBuild", "doctor", "torch_build", "versions"]


@dataclass(frozen=True)
class Extra:
    """An optional dependency group of lrviz: its distributions, what it enables, how to install it."""

    name: str
    distributions: tuple[str, ...]
    enables: str
    install: str
    #: distributions the extra cannot declare (their pins would replace torch or lightning): installed with
    #: ``pip install --no-deps`` beside it, and needed as much as ``distributions``
    separately: tuple[str, ...] = ()

    @property
    def needs(self) -> tuple[str, ...]:
        return self.distributions + self.separately


#: The extras of ``pyproject.toml`` (``test`` and ``all`` aside), in the order ``doctor`` lists them.
EXTRAS: tuple[Extra, ...] = (
    Extra(
        "hf",
        ("transformers",),
        "`lrviz hf`, TrainingArguments / LLaMA-Factory / TRL / axolotl files",
        "pip install 'lrviz[hf]'",
    ),
    Extra(
        "timm",
        ("timm",),
        "`lrviz timm`, timm train.py args.yaml files",
        "pip install --no-deps 'timm>=1.0' numpy  (lrviz imports only timm.scheduler; --no-deps keeps your torch)",
    ),
    Extra(
        "deepspeed",
        ("deepspeed",),
        "`lrviz deepspeed`, ds_config.json files",
        "DS_BUILD_OPS=0 pip install 'lrviz[deepspeed]'  (no op is compiled)",
    ),
    Extra(
        "diffusers",
        ("diffusers",),
        "diffusers training-script commands (train.sh, --command) and configs that call get_scheduler",
        "pip install 'lrviz[diffusers]'",
    ),
    Extra(
        "megatron",
        ("megatron-core",),
        "Megatron-LM launch commands (pretrain_gpt.py --lr-decay-style ...)",
        "pip install 'lrviz[megatron]'",
    ),
    Extra(
        "fvcore",
        ("fvcore",),
        "SAM 2 / VGGT training configs: fvcore param schedulers in optim.options.lr",
        "pip install 'lrviz[fvcore]'",
    ),
    Extra(
        "espnet",
        ("espnet", "typeguard"),
        "ESPnet training configs: scheduler / scheduler_conf, stepped with espnet2.schedulers",
        "pip install --no-deps espnet typeguard  (lrviz imports only espnet2.schedulers; --no-deps keeps your torch)",
    ),
    Extra(
        "torchtune",
        ("torchtune",),
        "torchtune recipe configs (lr_scheduler component, epochs, max_steps_per_epoch)",
        "pip install --no-deps torchtune  (lrviz imports only torchtune.config and its scheduler module)",
    ),
    Extra(
        "litgpt",
        ("litgpt",),
        "litgpt finetune and pretrain configs (train: lr_warmup_steps, epochs, max_tokens, global/micro batch sizes)",
        "pip install --no-deps litgpt  (it imports with lightning and jsonargparse; --no-deps keeps your torch "
        "and huggingface-hub)",
    ),
    Extra(
        "nemo",
        ("wrapt",),
        "NeMo configs (model.optim.sched through NeMo's own prepare_lr_scheduler, trainer.max_steps)",
        "pip install 'lrviz[nemo]' && pip install --no-deps nemo-toolkit  (lrviz loads only its scheduler module; "
        "--no-deps keeps your torch and lightning)",
        separately=("nemo-toolkit",),
    ),
    Extra(
        "hydra",
        ("hydra-core",),
        "composing a Hydra project: --config-dir/--config-name",
        "pip install 'lrviz[hydra]'",
    ),
    Extra(
        "tensorboard",
        ("tensorboard", "google-crc32c"),
        "`lrviz check --against` TensorBoard event files",
        "pip install 'lrviz[tensorboard]'",
    ),
    Extra(
        "wandb",
        ("wandb",),
        "`lrviz check --against` W&B offline runs (run-*.wandb), read with wandb's own record definitions",
        "pip install 'lrviz[wandb]'",
    ),
    Extra(
        "mmengine",
        ("mmengine",),
        "OpenMMLab/mmengine Python configs (mmdet, mmseg, mmpretrain, mmyolo): render CONFIG.py --allow-exec",
        "pip install 'lrviz[mmengine]'",
    ),
)


@dataclass(frozen=True)
class TorchBuild:
    """The installed torch: its version and which accelerator it was built for (None: not installed)."""

    version: str | None
    cuda: str | None = None
    rocm: str | None = None

    @property
    def kind(self) -> str:
        """``CPU``, ``CUDA 12.1``, ``ROCm 6.2``, or ``not installed``."""
        if self.version is None:
            return "not installed"
        if self.cuda:
            return f"CUDA {self.cuda}"
        if self.rocm:
            return f"ROCm {self.rocm}"
        return "CPU"


def _version_of(distribution: str) -> str | None:
    from importlib import metadata  # here, not at the top: every command imports this module (``lrviz --version``)

    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


_FIELD = re.compile(r"^(cuda|hip|rocm)\s*(?::[^=]*)?=\s*'([^']*)'", re.M)


def torch_build() -> TorchBuild:
    """torch's version and build, from ``torch/version.py`` as installed (torch itself is not imported)."""
    version = _version_of("torch")
    if version is None:
        return TorchBuild(None)
    from importlib import metadata

    fields: dict[str, str] = {}
    try:
        located = metadata.distribution("torch").locate_file("torch/version.py")
        text = Path(str(located)).read_text(encoding="utf-8")
        fields = {m.group(1): m.group(2) for m in _FIELD.finditer(text)}
    except (OSError, UnicodeDecodeError):  # an unusual layout: the version alone still helps
        pass
    return TorchBuild(version, fields.get("cuda"), fields.get("rocm") or fields.get("hip"))


def versions() -> list[str]:
    """``lrviz X``, Python and platform, torch and its build, then each installed extra's distribution."""
    build = torch_build()
    lines = [
        f"lrviz {__version__}",
        f"Python {platform.python_version()} ({sys.platform}, {platform.machine() or 'unknown machine'})",
        f"torch {build.version} ({build.kind} build)" if build.version else "torch not installed",
    ]
    for extra in EXTRAS:
        for name in extra.needs:
            found = _version_of(name)
            if found is not None:
                lines.append(f"{name} {found}")
    return lines


def doctor() -> tuple[list[str], bool]:
    """The report ``lrviz doctor`` prints, and whether lrviz can run at all (torch installed)."""
    build = torch_build()
    lines = [f"lrviz {__version__} on Python {platform.python_version()} ({sys.platform})"]
    if build.version is None:
        lines.append(
            "torch: not installed; lrviz needs it: pip install torch --index-url https://download.pytorch.org/whl/cpu"
        )
    elif build.kind == "CPU":
        lines.append(f"torch {build.version}: CPU build (all lrviz needs)")
    else:
        lines.append(
            f"torch {build.version}: {build.kind} build (works; lrviz itself needs only the CPU build, "
            "from https://download.pytorch.org/whl/cpu, far smaller to install in CI)"
        )
    for extra in EXTRAS:
        found = [(name, _version_of(name)) for name in extra.needs]
        if all(v is not None for _, v in found):
            have = ", ".join(f"{n} {v}" for n, v in found)
            lines.append(f"[{extra.name}] installed: {have}; enables {extra.enables}")
        else:
            lines.append(f"[{extra.name}] not installed: would enable {extra.enables}; {extra.install}")
    return lines, build.version is not None

"""A failed planned-vs-actual check as CI annotations: SARIF 2.1.0 and GitHub workflow commands.

Each mismatch points at the config line that explains it, found by the diagnosis' kind: the
schedule's length (``T_max``, ``num_training_steps``, ...) for a log running faster or slower, the
``interval`` for a per-epoch/per-step stepping, the optimizer's ``lr`` for a scaled LR, ``epochs``
and ``steps_per_epoch`` for a run longer or shorter than planned, the warmup for a warmup handoff;
the scheduler's own line otherwise. Lines come from the YAML/JSON file itself (``yaml.compose``
keeps each key's position), so the annotation lands on the pull request's diff.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: Keys that explain each diagnosis kind, in the order they are looked for.
_LENGTH = (
    "T_max",
    "total_steps",
    "total_iters",
    "num_training_steps",
    "max_steps",
    "total_num_steps",
    "num_train_epochs",
    "T_0",
    "t_initial",
    "step_size",
    "milestones",
    "steps_per_epoch",
    "epochs",
)
KEYS: dict[str | None, tuple[str, ...]] = {
    "faster": ("accelerate_processes", "split_batches", *_LENGTH),
    "slower": ("gradient_accumulation_steps", "grad_accum", "accumulate_grad_batches", *_LENGTH),
    "per_epoch": ("interval", "steps_per_epoch"),
    "per_step": ("interval", "steps_per_epoch"),
    "scaled": ("lr", "learning_rate", "max_lr", "base_lr"),
    "past_plan": ("steps_per_epoch", "epochs", "max_epochs", "max_steps", "num_train_epochs"),
    "ends_early": ("steps_per_epoch", "epochs", "max_epochs", "max_steps", "num_train_epochs"),
    "warmup": ("warmup_steps", "warmup", "warmup_ratio", "milestones", "total_iters"),
    "restart": ("scheduler", "lr_scheduler", "lr_scheduler_type"),
    "shifted": ("scheduler", "lr_scheduler", "lr_scheduler_type"),
    None: ("scheduler", "lr_scheduler", "lr_scheduler_type", "sched"),
}
_FALLBACK = ("scheduler", "lr_scheduler", "lr_scheduler_type", "sched")


@dataclass(frozen=True)
class Annotation:
    """One failure, placed on a line of the config."""

    config: Path
    line: int  # 1-based; 1 when no key was found
    key: str | None
    title: str
    message: str
    kind: str | None


def key_lines(config: Path) -> dict[str, int]:
    """The first line (1-based) of every mapping key in a YAML or JSON file, depth first, in file order."""
    import yaml

    try:
        text = config.read_text(encoding="utf-8")
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return {}
    found: dict[str, int] = {}
    stack: list[Any] = [root] if root is not None else []
    while stack:
        node = stack.pop(0)
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    found.setdefault(str(key.value), key.start_mark.line + 1)
                stack.append(value)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return found


def locate(config: Path, kind: str | None, lines: dict[str, int] | None = None) -> tuple[int, str | None]:
    """The line of the key that explains ``kind`` in ``config`` (and the key), or (1, None)."""
    lines = key_lines(config) if lines is None else lines
    for key in (*KEYS.get(kind, ()), *_FALLBACK):
        if key in lines:
            return lines[key], key
    return 1, None


def annotate(config: Path, failures: Iterable[tuple[str | None, str]]) -> list[Annotation]:
    """Annotations for (diagnosis kind or None, message) failures of one config."""
    lines = key_lines(config)
    out = []
    for kind, message in failures:
        line, key = locate(config, kind, lines)
        title = f"lrviz: the logged LR differs from the plan ({kind})" if kind else "lrviz: check failed"
        if key is not None:
            message = f"{message} [{key}]"
        out.append(Annotation(config, line, key, title, message, kind))
    return out


def github(annotations: Sequence[Annotation]) -> list[str]:
    """GitHub Actions workflow commands: ``::error file=...,line=...,title=...::message``."""

    def escape(text: str, prop: bool = False) -> str:
        text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        return text.replace(":", "%3A").replace(",", "%2C") if prop else text

    return [
        f"::error file={escape(a.config.as_posix(), True)},line={a.line},title={escape(a.title, True)}::{escape(a.message)}"
        for a in annotations
    ]


def sarif(annotations: Sequence[Annotation], version: str) -> dict[str, Any]:
    """A SARIF 2.1.0 log of the annotations (one rule per diagnosis kind), for code scanning uploads."""
    kinds = sorted({a.kind or "mismatch" for a in annotations})
    rules = [
        {
            "id": f"lrviz/{kind}",
            "name": kind,
            "shortDescription": {"text": f"logged LR differs from the plan: {kind}"},
        }
        for kind in kinds
    ]
    results = [
        {
            "ruleId": f"lrviz/{a.kind or 'mismatch'}",
            "level": "error",
            "message": {"text": a.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": a.config.as_posix()},
                        "region": {"startLine": a.line},
                    }
                }
            ],
        }
        for a in annotations
    ]
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "lrviz", "version": version, "rules": rules}}, "results": results}],
    }


def sarif_bytes(annotations: Sequence[Annotation], version: str) -> bytes:
    return (json.dumps(sarif(annotations, version), indent=2, sort_keys=False) + "\n").encode()

"""DeepSpeed's scheduler classes and their parameters: names, defaults, types and flag help.

``PARAMS`` lists each class's arguments (deepspeed 0.19.8 ``runtime/lr_schedules.py`` 352-358,
483-497, 725-731, 814-821, 865-872); ``tests/frameworks/deepspeed/test_deepspeed_schedulers.py``
compares it with the installed signatures. ``ARGS`` makes ``lrviz deepspeed``'s flags.
"""

from __future__ import annotations

from typing import Any

#: A parameter without a default (the class raises without it).
REQUIRED = "<required>"

#: The classes of ``deepspeed.runtime.lr_schedules`` and their arguments after ``optimizer``
#: (``last_batch_iteration``, the resume index, is left to the class): (name, default).
PARAMS: dict[str, tuple[tuple[str, Any], ...]] = {
    "WarmupLR": (
        ("warmup_min_lr", 0.0),
        ("warmup_max_lr", None),
        ("warmup_num_steps", 1000),
        ("warmup_type", "log"),
    ),
    "WarmupDecayLR": (
        ("total_num_steps", REQUIRED),
        ("warmup_min_lr", 0.0),
        ("warmup_max_lr", 0.001),
        ("warmup_num_steps", 1000),
        ("warmup_type", "log"),
    ),
    "WarmupCosineLR": (
        ("total_num_steps", REQUIRED),
        ("warmup_min_ratio", 0.0),
        ("warmup_num_steps", 1000),
        ("cos_min_ratio", 0.0001),
        ("warmup_type", "log"),
    ),
    "OneCycle": (
        ("cycle_min_lr", REQUIRED),
        ("cycle_max_lr", REQUIRED),
        ("decay_lr_rate", 0.0),
        ("cycle_first_step_size", 2000),
        ("cycle_second_step_size", None),
        ("cycle_first_stair_count", 0),
        ("cycle_second_stair_count", None),
        ("decay_step_size", 0),
        ("cycle_momentum", True),
        ("cycle_min_mom", 0.8),
        ("cycle_max_mom", 0.9),
        ("decay_mom_rate", 0.0),
    ),
    "LRRangeTest": (
        ("lr_range_test_min_lr", 0.001),
        ("lr_range_test_step_size", 2000),
        ("lr_range_test_step_rate", 1.0),
        ("lr_range_test_staircase", False),
    ),
}
TYPES = tuple(PARAMS)

_HELP = {
    "warmup_min_lr": "LR at the start of the warmup (WarmupLR, WarmupDecayLR).",
    "warmup_max_lr": "LR at the end of the warmup (WarmupLR: default the optimizer's lr).",
    "warmup_num_steps": "Warmup steps (at least 2).",
    "warmup_type": "log or linear warmup.",
    "total_num_steps": "Total optimizer steps (WarmupDecayLR, WarmupCosineLR); also the run's length.",
    "warmup_min_ratio": "WarmupCosineLR: the warmup starts at this ratio of the optimizer's lr.",
    "cos_min_ratio": "WarmupCosineLR: the cosine ends at this ratio of the optimizer's lr.",
    "cycle_min_lr": "OneCycle: lower LR of the cycle.",
    "cycle_max_lr": "OneCycle: upper LR of the cycle.",
    "decay_lr_rate": "OneCycle: LR decay rate after the cycle.",
    "cycle_first_step_size": "OneCycle: steps of the rising half.",
    "cycle_second_step_size": "OneCycle: steps of the falling half (default: the first's).",
    "cycle_first_stair_count": "OneCycle: stairs in the rising half (0: continuous).",
    "cycle_second_stair_count": "OneCycle: stairs in the falling half.",
    "decay_step_size": "OneCycle: interval of the decay after the cycle (0: no decay).",
    "cycle_momentum": "OneCycle: cycle beta1 too (Adam/AdamW only).",
    "cycle_min_mom": "OneCycle: lower beta1.",
    "cycle_max_mom": "OneCycle: upper beta1.",
    "decay_mom_rate": "OneCycle: beta1 decay rate after the cycle.",
    "lr_range_test_min_lr": "LRRangeTest: starting LR.",
    "lr_range_test_step_size": "LRRangeTest: steps per LR increase interval.",
    "lr_range_test_step_rate": "LRRangeTest: increase per interval.",
    "lr_range_test_staircase": "LRRangeTest: increase in stairs instead of continuously.",
}
_INTS = {
    "warmup_num_steps",
    "total_num_steps",
    "cycle_first_step_size",
    "cycle_second_step_size",
    "cycle_first_stair_count",
    "cycle_second_stair_count",
    "decay_step_size",
    "lr_range_test_step_size",
}
_BOOLS = {"cycle_momentum", "lr_range_test_staircase"}


def kind(key: str) -> str:
    """How a parameter is typed: int, bool, str (warmup_type) or float."""
    if key in _INTS:
        return "int"
    if key in _BOOLS:
        return "bool"
    return "str" if key == "warmup_type" else "float"


#: Every parameter of the five classes, once: (key, kind, flag help). Makes ``lrviz deepspeed``'s flags.
ARGS: tuple[tuple[str, str, str], ...] = tuple(
    (key, kind(key), _HELP[key]) for key in dict.fromkeys(k for params in PARAMS.values() for k, _ in params)
)

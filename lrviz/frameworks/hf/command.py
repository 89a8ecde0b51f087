"""A launch command's flags typed by the installed transformers' own ``HfArgumentParser(TrainingArguments)``.

The HF example scripts (run_clm.py, run_glue.py, TRL's sft.py, ...) parse their command line with
``HfArgumentParser((ModelArguments, DataTrainingArguments, TrainingArguments))``; the
TrainingArguments part is the installed transformers' own, so its flags are typed by it here
(``--bf16`` with no value, ``--warmup_ratio 0.1``, ``--lr_scheduler_kwargs '{...}'``). The
script's own model and data arguments are not known to lrviz: they keep the generic reading
and are accounted like any other key. transformers is imported only here.
"""

from __future__ import annotations

import argparse
import contextlib
import io
from typing import Any, cast

from lrviz.errors import ConfigError
from lrviz.frameworks.base import require


def typed_flags(parsed: Any) -> dict[str, Any]:
    """The generic document with every TrainingArguments flag the command gives retyped by HfArgumentParser."""
    require("transformers", "hf")
    from transformers import HfArgumentParser, TrainingArguments

    parser = HfArgumentParser(cast(Any, TrainingArguments), exit_on_error=False)
    known = {option: action for action in parser._actions for option in action.option_strings if action.dest != "help"}
    document = dict(parsed.data)
    words: list[str] = []
    dests: dict[str, str] = {}
    for key, flag in parsed.flags.items():
        action = known.get(flag.flag) or known.get("--" + key)
        if action is None:
            continue
        dests[action.dest] = key
        words.append(flag.flag if flag.flag in known else "--" + key)
        words.extend(v.text for v in flag.values)
    try:
        with contextlib.redirect_stderr(io.StringIO()):
            namespace, _ = parser.parse_known_args(words)
    except (argparse.ArgumentError, SystemExit, ValueError, TypeError) as exc:
        names = str(getattr(exc, "argument_name", None) or "").split("/")
        key = next((k for k in parsed.flags if "--" + k in names or parsed.flags[k].flag in names), "")
        where = parsed.at(key) if key else parsed.launch.label
        raise ConfigError(f"{where}: HfArgumentParser(TrainingArguments) rejected it: {exc}") from None
    for dest, key in dests.items():
        value = getattr(namespace, dest)
        document.pop(key, None)
        document[dest] = value.value if hasattr(value, "value") and not isinstance(value, int | float | str) else value
        if dest != key:
            parsed.flags[dest] = parsed.flags[key]
    return document

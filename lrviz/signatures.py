"""The keyword arguments the installed torch classes accept, read without importing torch.

The registry in ``schedules.py`` validates the arguments lrviz knows (types, bounds) and
is checked against the installed torch by the tests. Anything else a config passes is
looked up here, in the installed class itself, so a keyword torch 2.2 to 2.14 accepts
(``last_epoch``, an option a newer release adds) is accepted and handed to torch as it
is. When torch is already imported this is ``inspect.signature``; otherwise the class's
source is read with ``ast`` (``import torch`` costs seconds; this costs milliseconds,
and only on this slow path).
"""

from __future__ import annotations

import ast
import functools
import importlib.util
import inspect
import sys
from pathlib import Path

SCHEDULER_MODULE = "torch.optim.lr_scheduler"
OPTIMIZER_MODULE = "torch.optim"


def parameters(module: str, name: str) -> tuple[str, ...] | None:
    """The keyword parameters of ``module.name``'s ``__init__`` (without self and the first positional), or None."""
    if "torch" in sys.modules:
        try:
            cls = getattr(importlib.import_module(module), name)
            params = list(inspect.signature(cls).parameters.values())
        except (AttributeError, ImportError, TypeError, ValueError):
            return None
        return tuple(p.name for p in params[1:] if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD))
    return _from_source(module, name)


@functools.lru_cache(maxsize=64)
def _from_source(module: str, name: str) -> tuple[str, ...] | None:
    root = _torch_dir()
    if root is None:
        return None
    files = (
        [root / "optim" / "lr_scheduler.py"] if module == SCHEDULER_MODULE else sorted((root / "optim").glob("*.py"))
    )
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError:
            continue
        if f"class {name}(" not in text:
            continue
        for node in ast.parse(text).body:
            if isinstance(node, ast.ClassDef) and node.name == name:
                return _init_args(node)
    return None


def _init_args(node: ast.ClassDef) -> tuple[str, ...] | None:
    for item in node.body:
        if isinstance(item, ast.FunctionDef) and item.name == "__init__":
            args = item.args
            names = [a.arg for a in (*args.posonlyargs, *args.args)][2:]  # self, optimizer/params
            return tuple(names + [a.arg for a in args.kwonlyargs])
    return None


def _torch_dir() -> Path | None:
    spec = importlib.util.find_spec("torch")  # finds the package without importing it
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))

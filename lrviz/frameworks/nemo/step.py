"""NeMo's scheduler, built by NeMo's own ``prepare_lr_scheduler`` and stepped as Lightning steps it.

``ModelPT.setup_optimization`` (nemo/core/classes/modelPT.py of nemo-toolkit 3.0.0) sets
``sched.max_steps = trainer.max_steps`` (or, with ``max_steps`` < 0, leaves it to
``compute_max_steps`` over the train dataloader) and calls ``prepare_lr_scheduler(optimizer,
sched, train_dataloader)``, which returns ``{"scheduler": ..., "interval": "step"}``: Lightning
calls ``scheduler.step()`` after every optimizer step. NeMo is imported only here.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import logging
import sys
from collections.abc import Iterator
from typing import Any

from lrviz.dummy import _TORCH_ERRORS
from lrviz.errors import ConfigError
from lrviz.frameworks._stepping import PerUpdate
from lrviz.frameworks.base import one_line, rejected
from lrviz.frameworks.nemo.read import settings
from lrviz.model import RunConfig

#: NeMo's packages whose ``__init__`` imports its models (and through them Lightning loggers, Megatron and
#: the pinned nv_one_logger), not needed by ``nemo.core.optim.lr_scheduler``: registered from their own
#: import specs with ``__init__`` not run while that module is imported, as lrviz loads ``timm.scheduler``
BARE = ("nemo.core", "nemo.core.classes", "nemo.core.optim")
INSTALL = "pip install --no-deps nemo-toolkit wrapt (see lrviz[nemo] in the README)"


def lr_scheduler_module() -> Any:
    """``nemo.core.optim.lr_scheduler`` of the installed nemo-toolkit, even where ``import nemo.core`` fails.

    ``nemo/core/__init__.py`` imports ``ModelPT``, and with it Lightning callbacks that need the
    Lightning version nemo-toolkit pins (``<=2.4``) and nv_one_logger; the scheduler module needs
    torch, omegaconf, hydra and ``nemo.utils``. Unless ``nemo.core`` is imported already, the three
    packages in ``BARE`` are the real package modules made from their own specs with ``__init__``
    not run, while the scheduler module is imported; the entries are removed afterwards. No module
    is faked. NeMo's import-time log lines are kept out of the user's log.
    """
    if importlib.util.find_spec("nemo") is None:
        raise ConfigError(f"needs nemo-toolkit: {INSTALL}")
    if "nemo.core.optim.lr_scheduler" in sys.modules:
        return sys.modules["nemo.core.optim.lr_scheduler"]
    bare = []
    try:
        with _quiet():
            if "nemo.core" not in sys.modules:
                for name in BARE:
                    spec = importlib.util.find_spec(name)
                    if spec is None or spec.submodule_search_locations is None:
                        raise ConfigError(f"nemo-toolkit is installed without its {name} package; reinstall it")
                    module = importlib.util.module_from_spec(spec)
                    sys.modules[name] = module
                    bare.append((name, module))
            try:
                return importlib.import_module("nemo.core.optim.lr_scheduler")
            except ImportError as exc:
                raise ConfigError(
                    f"nemo-toolkit is installed but its scheduler does not import: {one_line(exc)}"
                ) from None
    finally:
        for name, module in bare:
            if sys.modules.get(name) is module:
                del sys.modules[name]


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """NeMo's logger and Python warnings raised while NeMo imports (Megatron/Apex notes) stay out of the user's log."""
    import warnings

    logger = logging.getLogger("nemo_logger")
    saved = logger.disabled
    logger.disabled = True
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.disabled = saved


class SetupOptimization(PerUpdate):
    """``ModelPT.setup_optimization``'s scheduler, stepped by Lightning once per optimizer step."""

    def build_scheduler(self, run: RunConfig, optimizer: Any) -> tuple[Any, RunConfig]:
        fw = settings(run)
        module = lr_scheduler_module()
        try:
            with _quiet():
                built = module.prepare_lr_scheduler(optimizer, dict(fw.sched), None)
        except (*_TORCH_ERRORS, AssertionError) as exc:
            raise rejected(fw.where, exc, f"NeMo's {fw.sched['name']}") from None
        if built is None:
            raise ConfigError(f"{fw.where['']}: NeMo's prepare_lr_scheduler built no scheduler from this sched block")
        return built["scheduler"], run

"""A real mmengine Runner trains a do-nothing model on a config's schedule and writes its vis_data/scalars.json.

Run as a script (``python realrun.py CONFIG WORK_DIR ITERS_PER_EPOCH [CFG_OPTION ...]``) in a
child process, so mmengine's global registries and loggers never touch the test process.
The model's loss is a constant times its one parameter: the optimizer steps, nothing learns.
"""

from __future__ import annotations

import sys
import warnings


def main(config: str, work_dir: str, iters: int, options: list[str]) -> None:
    warnings.simplefilter("ignore")
    import torch
    from mmengine.config import Config
    from mmengine.model import BaseModel
    from mmengine.runner import Runner
    from torch import nn

    class Model(BaseModel):
        def __init__(self) -> None:
            super().__init__()
            self.w = nn.Parameter(torch.zeros(1))

        def forward(self, inputs: object = None, data_samples: object = None, mode: str = "tensor") -> object:
            return {"loss": self.w.sum() * 0.0}

    cfg = Config.fromfile(config)
    for item in options:
        key, value = item.split("=", 1)
        cfg.merge_from_dict({key: eval(value)})  # noqa: S307 - the test's own literals
    loader = torch.utils.data.DataLoader([{"inputs": torch.zeros(1)} for _ in range(iters)], batch_size=1)
    runner = Runner(
        model=Model(),
        work_dir=work_dir,
        train_dataloader=loader,
        train_cfg=cfg.train_cfg,
        optim_wrapper=cfg.optim_wrapper,
        param_scheduler=cfg.param_scheduler,
        default_hooks=dict(logger=dict(type="LoggerHook", interval=1), checkpoint=None),
        log_level="WARNING",
    )
    runner.train()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:])

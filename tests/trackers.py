"""Real training runs that log their LR to each tracker, for the tracker readers' tests.

``train(log, sched_steps=k, resume_at=s)`` is a tiny torch loop (SGD + CosineAnnealingLR(T_max=24),
8 batches x 3 epochs) that calls ``log(step, lr)`` with the LR each optimizer step uses, read from
``param_groups`` before ``optimizer.step()``: k > 1 steps the scheduler k times per optimizer step
(Accelerate on k processes), ``resume_at`` rebuilds optimizer and scheduler without their state.

Each writer logs through the tracker's own package (offline, no server) when it is installed, and
otherwise writes the tracker's documented on-disk format itself (``REAL`` says which was used):
MLflow, W&B and trackio are in the test extra; dvclive (it pulls dvc), ClearML and Comet are not,
so the tests write their documented formats, and with LRVIZ_TEST_REAL_TRACKERS=1 on a machine that
has them, their own packages (dvclive leaves a thread running, which the fork tests would notice).
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import uuid
import warnings
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import torch
from torch import nn

from tests import realruns

Log = Callable[[int, float], None]
STEPS = 24


def train(log: Log, *, sched_steps: int = 1, resume_at: int | None = None) -> None:
    def build() -> tuple[nn.Module, torch.optim.Optimizer, Any]:
        model = nn.Linear(3, 1)
        opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        return model, opt, torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=STEPS)

    model, opt, sched = build()
    for step in range(STEPS):
        if step == resume_at:
            model, opt, sched = build()  # the bug: the scheduler's state_dict is not loaded
        x, y = realruns._batch(step)
        nn.functional.mse_loss(model(x), y).backward()
        log(step, opt.param_groups[0]["lr"])
        opt.step()
        opt.zero_grad()
        for _ in range(sched_steps):
            sched.step()


def installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


# ---------------------------------------------------------------------------
# One writer per tracker: (directory, run name, training) -> the path to read


_MLFLOW_TEMPLATE: list[Path] = []


def _migrated_mlflow_db() -> Path:
    """An empty mlflow.db MLflow created and migrated itself (its ~40 schema migrations take seconds: once)."""
    if not _MLFLOW_TEMPLATE:
        import tempfile

        import mlflow

        path = Path(tempfile.mkdtemp(prefix="lrviz-mlflow-")) / "mlflow.db"
        with _quiet():
            mlflow.MlflowClient(tracking_uri=f"sqlite:///{path}").search_experiments()
        _MLFLOW_TEMPLATE.append(path)
    return _MLFLOW_TEMPLATE[0]


def mlflow_db(out: Path, name: str, run: Callable[[Log], None]) -> Path:
    import shutil

    import mlflow

    out.mkdir(parents=True, exist_ok=True)
    db = out / "mlflow.db"
    if not db.exists():
        shutil.copyfile(_migrated_mlflow_db(), db)
    with _quiet():
        mlflow.set_tracking_uri(f"sqlite:///{db}")
        with mlflow.start_run(run_name=name):
            run(lambda step, lr: mlflow.log_metrics({"lr": lr, "loss": 1.0 / (step + 1)}, step=step))
        mlflow.set_tracking_uri(None)
    return db


def mlruns(out: Path, name: str, run: Callable[[Log], None]) -> Path:
    import mlflow

    os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"  # MLflow 3 refuses the file store unless told
    try:
        with _quiet():
            mlflow.set_tracking_uri((out / "mlruns").as_uri())
            with mlflow.start_run(run_name=name):
                run(lambda step, lr: mlflow.log_metric("train/lr", lr, step=step))
            mlflow.set_tracking_uri(None)
    finally:
        del os.environ["MLFLOW_ALLOW_FILE_STORE"]
    return out / "mlruns"


def wandb_offline(out: Path, name: str, run: Callable[[Log], None]) -> Path:
    import gc

    import wandb

    with _quiet():
        wb = wandb.init(
            project="lrviz-tests", name=name, dir=str(out), mode="offline", settings=wandb.Settings(silent=True)
        )
        run(lambda step, lr: wb.log({"train/lr": lr, "loss": 1.0 / (step + 1)}, step=step))
        run_dir = Path(wb.dir).parent
        wb.finish()
        gc.collect()  # wandb's sockets are collected here, inside the test that opened them
    wait_for_wandb(run_dir)
    return out / "wandb"


def wait_for_wandb(run_dir: Path) -> None:
    """wandb-core writes the run's file (in ``run_dir``) in its own process: wait until it stops growing."""
    import time

    file = next(run_dir.glob("run-*.wandb"))
    sizes = [-1]
    for _ in range(100):
        size = file.stat().st_size
        if size > 7 and size == sizes[-1] == sizes[-2 if len(sizes) > 1 else -1]:
            break
        sizes.append(size)
        time.sleep(0.1)


def trackio_db(out: Path, name: str, run: Callable[[Log], None]) -> Path:
    from unittest import mock

    import trackio
    import trackio.sqlite_storage

    # trackio reads TRACKIO_DIR once, at import: point its storage at this test's folder
    with _quiet(), mock.patch.object(trackio.sqlite_storage, "TRACKIO_DIR", out):
        trackio.init(project="lrviz", name=name)
        run(lambda step, lr: trackio.log({"lr": lr}, step=step))
        trackio.finish()
    return out / "lrviz.db"


def dvclive_real(out: Path, name: str, run: Callable[[Log], None]) -> Path:
    """dvclive's own Live (leaves its Studio worker thread running: opt-in, LRVIZ_TEST_REAL_TRACKERS=1)."""
    from dvclive import Live

    with _quiet(), Live(str(out / "dvclive"), save_dvc_exp=False, dvcyaml=None) as live:

        def log(step: int, lr: float) -> None:
            live.step = step
            live.log_metric("train/lr", lr)

        run(log)
    return out / "dvclive"


def dvclive_dir(out: Path, name: str, run: Callable[[Log], None]) -> Path:
    # dvclive/plots/metric.py: plots/metrics/<name>.tsv with a step column and the last name part
    rows: list[str] = []
    run(lambda step, lr: rows.append(f"{step}\t{lr!r}"))
    tsv = out / "dvclive" / "plots" / "metrics" / "train" / "lr.tsv"
    tsv.parent.mkdir(parents=True, exist_ok=True)
    tsv.write_text("step\tlr\n" + "\n".join(rows) + "\n")
    return out / "dvclive"


def clearml_zip(out: Path, name: str, run: Callable[[Log], None]) -> Path:
    # the offline session's metrics.jsonl (clearml/backend_interface/task/log, Task.import_offline_session)
    task_id = "offline-" + uuid.uuid4().hex
    events: list[dict[str, Any]] = []
    run(
        lambda step, lr: events.append(
            {
                "type": "training_stats_scalar",
                "task": task_id,
                "iter": step,
                "metric": "train",
                "variant": "lr",
                "value": lr,
            }
        )
    )
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{task_id}.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("task.json", json.dumps({"id": task_id, "name": name}))
        archive.writestr("metrics.jsonl", "\n".join(json.dumps(events[i : i + 5]) for i in range(0, len(events), 5)))
    return path


def comet_zip(out: Path, name: str, run: Callable[[Log], None]) -> Path:
    # comet_ml/offline.py: messages.json, one {"type": "metric_msg", "payload": {"metric": ...}} a line
    lines = [json.dumps({"type": "log_other", "payload": {"key": "Name", "value": name}})]
    run(
        lambda step, lr: lines.append(
            json.dumps(
                {
                    "type": "metric_msg",
                    "payload": {"metric": {"metricName": "lr", "metricValue": lr, "step": step, "epoch": None}},
                }
            )
        )
    )
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{uuid.uuid4().hex}.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("experiment.json", json.dumps({"project_name": "lrviz"}))
        archive.writestr("messages.json", "\n".join(lines) + "\n")
    return path


def clearml_real(out: Path, name: str, run: Callable[[Log], None]) -> Path:
    """ClearML's own offline session (slow: its repository detection), when clearml is installed."""
    from clearml import Task

    os.environ["CLEARML_CACHE_DIR"] = str(out)
    Task.set_offline(offline_mode=True)
    with _quiet():
        task = Task.init(
            project_name="lrviz",
            task_name=name,
            auto_connect_frameworks=False,
            auto_resource_monitoring=False,
            auto_connect_streams=False,
            reuse_last_task_id=False,
        )
        logger = task.get_logger()
        run(lambda step, lr: logger.report_scalar("train", "lr", value=lr, iteration=step))
        task.close()
    Task.set_offline(offline_mode=False)
    return next(Path(task.get_offline_mode_folder()).parent.glob(f"{task.id}.zip"))


def comet_real(out: Path, name: str, run: Callable[[Log], None]) -> Path:
    import comet_ml

    with _quiet():
        exp = comet_ml.OfflineExperiment(
            project_name="lrviz",
            offline_directory=str(out),
            log_code=False,
            log_graph=False,
            auto_param_logging=False,
            auto_metric_logging=False,
            log_env_details=False,
            log_git_metadata=False,
            log_git_patch=False,
            display_summary_level=0,
        )
        exp.set_name(name)
        run(lambda step, lr: exp.log_metric("lr", lr, step=step))
        exp.end()
    return next(out.glob("*.zip"))


def ultralytics_csv(out: Path, name: str, run: Callable[[Log], None]) -> Path:
    # ultralytics/engine/trainer.py save_metrics: "%.6g" per cell, row epoch+1 after the epoch
    rows: list[str] = []
    run(lambda step, lr: rows.append(f"{step + 1:.6g},{1.0 / (step + 1):.6g},{lr:.6g}"))
    out.mkdir(parents=True, exist_ok=True)
    path = out / "results.csv"
    path.write_text("epoch,train/box_loss,lr/pg0\n" + "\n".join(rows) + "\n")
    return path


def mmengine_json(out: Path, name: str, run: Callable[[Log], None]) -> Path:
    # mmengine/hooks/logger_hook.py: {"lr": ..., "loss": ..., "iter": i+1, "step": i+1} a line; val lines lack lr
    lines: list[str] = []

    def log(step: int, lr: float) -> None:
        lines.append(json.dumps({"lr": lr, "loss": 1.0 / (step + 1), "epoch": 1, "iter": step + 1, "step": step + 1}))
        if step % 8 == 7:
            lines.append(json.dumps({"accuracy/top1": 50.0, "step": 1 + step // 8}))

    run(log)
    path = out / "20261202_000000" / "vis_data" / "scalars.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return path.parent.parent


def _real_or_documented(real: Callable[..., Path], documented: Callable[..., Path], module: str) -> Callable[..., Path]:
    return real if installed(module) and os.environ.get("LRVIZ_TEST_REAL_TRACKERS") else documented


#: tracker -> (writer, the package that wrote it or "documented format")
WRITERS: dict[str, tuple[Callable[[Path, str, Callable[[Log], None]], Path], str]] = {
    "mlflow_db": (mlflow_db, "mlflow"),
    "mlruns": (mlruns, "mlflow"),
    "wandb": (wandb_offline, "wandb"),
    "trackio": (trackio_db, "trackio"),
    "dvclive": (_real_or_documented(dvclive_real, dvclive_dir, "dvclive"), "documented format"),
    "clearml": (_real_or_documented(clearml_real, clearml_zip, "clearml"), "documented format"),
    "comet": (_real_or_documented(comet_real, comet_zip, "comet_ml"), "documented format"),
    "ultralytics": (ultralytics_csv, "documented format"),
    "mmengine": (mmengine_json, "documented format"),
}

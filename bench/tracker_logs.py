"""A million logged LRs from MLflow and W&B, read and compared with the plan (issue 20: within 1 s over the plan).

MLflow: MLflow itself creates ``mlflow.db`` (its schema and migrations) and the run; the million
metric rows go in with sqlite3's executemany, in MLflow's own ``metrics`` table (logging them through
``mlflow.log_metric`` takes hours). W&B: a ``run-*.wandb`` file of a million history records, each a
``wandb.proto.wandb_internal_pb2.Record`` in wandb's LevelDB-log framing (wandb itself writes about
1,000 rows a second here, plus two summary records per row, so a million would take some 16 minutes);
``--wandb-real N`` also times a file wandb wrote itself, of N rows.

Reported: simulating the plan, reading the log, comparing, and read + compare (the cost over the plan),
and each read as a ratio to a baseline measured in the same run: Python's csv module reading the
same million (step, lr) pairs from a CSV into two arrays (the least any reader of the numbers does),
so the figure means something on a busy machine.

    python bench/tracker_logs.py [--points 1000000] [--rounds 3] [--wandb-real 20000]
"""

from __future__ import annotations

import argparse
import math
import sqlite3
import statistics
import struct
import tempfile
import time
import uuid
import warnings
import zlib
from pathlib import Path

from lrviz.api import simulate
from lrviz.comparison import compare_log
from lrviz.logs import read_log


def cosine(n: int) -> list[float]:
    return [0.1 * 0.5 * (1 + math.cos(math.pi * k / n)) for k in range(n)]


def plan_config(n: int) -> dict[str, object]:
    return {
        "scheduler": {"name": "CosineAnnealingLR", "T_max": n},
        "optimizer": {"name": "SGD", "lr": 0.1},
        "epochs": 1,
        "steps_per_epoch": n,
        "interval": "step",
    }


def mlflow_db(out: Path, values: list[float]) -> Path:
    import mlflow

    db = out / "mlflow.db"
    client = mlflow.MlflowClient(tracking_uri=f"sqlite:///{db}")
    run = client.create_run(experiment_id="0", run_name="million")
    run_id = run.info.run_id
    now = int(time.time() * 1000)
    with sqlite3.connect(db) as con:
        con.executemany(
            "INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) VALUES ('lr', ?, ?, ?, ?, 0)",
            ((v, now + k, run_id, k) for k, v in enumerate(values)),
        )
    client.set_terminated(run_id)
    return db


def wandb_file(out: Path, values: list[float]) -> Path:
    from wandb.proto import wandb_internal_pb2 as pb

    path = out / f"run-{uuid.uuid4().hex[:8]}.wandb"
    block = 32768
    buf = bytearray(b":W&B" + struct.pack("<H", 0xBEE1) + b"\x00")

    def put(data: bytes) -> None:
        left = block - len(buf) % block
        if left < 7:
            buf.extend(b"\x00" * left)
        kind, first = 1, True
        while True:
            left = block - len(buf) % block
            chunk, data = data[: left - 7], data[left - 7 :]
            kind = (1 if not data else 2) if first else (4 if not data else 3)
            crc = zlib.crc32(chunk, zlib.crc32(bytes((kind,)))) & 0xFFFFFFFF
            buf.extend(struct.pack("<IHB", crc, len(chunk), kind) + chunk)
            first = False
            if not data:
                break

    run = pb.Record(num=1)
    run.run.run_id, run.run.display_name = "million", "million"
    put(run.SerializeToString())
    record = pb.Record()
    for k, v in enumerate(values):
        record.Clear()
        record.num = k + 2
        item = record.history.item.add()
        item.nested_key.append("lr")
        item.value_json = repr(v)
        item = record.history.item.add()
        item.nested_key.append("_step")
        item.value_json = str(k)
        record.history.step.num = k
        put(record.SerializeToString())
    path.write_bytes(bytes(buf))
    return path


def baseline(out: Path, values: list[float], rounds: int) -> float:
    """Median seconds for csv.reader to read the same (step, lr) pairs into two arrays."""
    import csv
    from array import array

    path = out / "baseline.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["step", "lr"])
        writer.writerows((k, repr(v)) for k, v in enumerate(values))
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        with path.open(newline="") as handle:
            rows = csv.reader(handle)
            next(rows)
            steps, lrs = array("q"), array("d")
            for step, lr in rows:
                steps.append(int(step))
                lrs.append(float(lr))
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def timed(label: str, path: Path, curve: object, rounds: int, base: float) -> None:
    reads, compares, cpu = [], [], []
    for _ in range(rounds):
        start, start_cpu = time.perf_counter(), time.process_time()
        log = read_log(path)
        mid = time.perf_counter()
        report = compare_log(curve, log)  # type: ignore[arg-type]
        reads.append(mid - start)
        compares.append(time.perf_counter() - mid)
        cpu.append(time.process_time() - start_cpu)
        assert report.ok, report.describe()
    r, c = statistics.median(reads), statistics.median(compares)
    n = len(log.series[0])
    size = path.stat().st_size / 2**20
    print(
        f"{label}: {n:,} points, {size:.0f} MiB: read {r:.2f} s ({r / base:.2f}x the csv baseline), "
        f"compare {c:.2f} s, read + compare {r + c:.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--wandb-real", type=int, default=0, metavar="N")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    n = args.points
    start = time.perf_counter()
    curve = simulate(plan_config(n))
    print(f"plan: CosineAnnealingLR over {n:,} steps simulated in {time.perf_counter() - start:.2f} s")
    values = list(curve.lrs[0])
    out = Path(tempfile.mkdtemp(prefix="lrviz-bench-trackers-"))
    start = time.perf_counter()
    import wandb.proto.wandb_internal_pb2  # noqa: F401  (imported once, as any W&B read does)

    print(f"import wandb.proto.wandb_internal_pb2: {time.perf_counter() - start:.2f} s (once per process)")
    base = baseline(out, values, args.rounds)
    print(f"baseline: csv.reader of the same {n:,} (step, lr) pairs into arrays: {base:.2f} s")
    timed("MLflow mlflow.db", mlflow_db(out, values), curve, args.rounds, base)
    timed("W&B run-*.wandb", wandb_file(out, values), curve, args.rounds, base)
    if args.wandb_real:
        import wandb

        m = args.wandb_real
        run = wandb.init(project="bench", dir=str(out), mode="offline", settings=wandb.Settings(silent=True))
        small = simulate(plan_config(m))
        for k, v in enumerate(small.lrs[0]):
            run.log({"lr": v}, step=k)
        run.finish()
        timed(
            f"W&B written by wandb ({m:,} rows)",
            next(out.glob("wandb/offline-run-*/run-*.wandb")),
            small,
            args.rounds,
            base * m / n,
        )


if __name__ == "__main__":
    main()

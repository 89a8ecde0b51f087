"""litgpt pretraining configs: litgpt/pretrain.py's own get_lr, called per iteration as its fit() calls it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
import yaml

import lrviz
from lrviz.errors import ConfigError
from lrviz.frameworks import choose

pytest.importorskip("litgpt")

CONFIGS = Path(__file__).parents[2] / "realworld" / "configs" / "llm_litgpt"
DEBUG = CONFIGS / "litgpt_pretrain_debug.yaml"
TINYSTORIES = CONFIGS / "litgpt_pretrain_tinystories.yaml"
#: other repositories: calvintwr/litgpt's own pretrain configs (its fit and get_lr are litgpt's), and
#: puppyapple/Chinese_LLM_From_Scratch's (a model_config block)
HTX_TINY = CONFIGS / "litgpt_calvintwr_pretrain_htxsutd-tinyllama.yaml"
HTX_3B = CONFIGS / "litgpt_calvintwr_pretrain_htxsutd-llama3b.yaml"
HTX_8B = CONFIGS / "litgpt_calvintwr_pretrain_htxsutd-llama8b.yaml"
HTX = CONFIGS / "litgpt_calvintwr_pretrain_htxsutd.yaml"
MICROSTORIES = CONFIGS / "litgpt_puppyapple_pretrain_microstories.yaml"


def fit_lrs(doc: dict[str, Any], devices: int, seq: int) -> list[float]:
    """litgpt/pretrain.py's fit, written out for the test: get_lr before every iteration, the LR each step uses."""
    from litgpt.args import TrainArgs
    from litgpt.pretrain import get_lr

    train = doc["train"]
    args = TrainArgs(
        global_batch_size=train["global_batch_size"],
        micro_batch_size=train["micro_batch_size"],
        lr_warmup_steps=train["lr_warmup_steps"],
        min_lr=float(train["min_lr"]),
    )
    max_iters = train["max_tokens"] // devices // (train["micro_batch_size"] * seq)
    warmup_iters = args.warmup_iters(devices, 1, max_iters, [])
    accumulation = args.gradient_accumulation_iters(devices, 1)
    model = torch.nn.Linear(2, 1)
    optimizer = torch.optim.AdamW(model.parameters(), lr=float(doc["optimizer"]["init_args"]["lr"]))
    seen = []
    for iter_num in range(max_iters):
        lr = get_lr(optimizer.defaults["lr"], iter_num, warmup_iters, max_iters, args.min_lr)
        for group in optimizer.param_groups:
            group["lr"] = lr
        if (iter_num + 1) % accumulation == 0:  # not is_accumulating: the optimizer steps
            seen.append(optimizer.param_groups[0]["lr"])
            model(torch.ones(2)).sum().backward()
            optimizer.step()
            optimizer.zero_grad()
    return seen


@pytest.mark.parametrize(
    ("path", "devices", "seq", "tokens"),
    [
        (DEBUG, 1, 512, None),  # no max_seq_length: pythia-14m's block_size, from litgpt's own Config
        (DEBUG, 5, 512, None),
        (TINYSTORIES, 2, 256, 97_000_000),  # 1% of its 9.7e9 tokens: 740 of its 74,005 optimizer steps
        (HTX_TINY, 8, 2048, None),  # all its 46.7e9 tokens: 89,061 iterations, 22,265 optimizer steps of 4
        (HTX_3B, 8, 8192, 1_867_754_045),  # 1% of its tokens: 890 of its 89,061 optimizer steps
        (HTX_8B, 8, 8192, 1_867_754_045),
        (HTX, 8, 8192, 30_000_000_000),  # 1% of its 3e12 tokens: 7,152 of its 715,255 optimizer steps
        (MICROSTORIES, 1, 512, 3_000_000_000),  # 0.1% of its 3e12 tokens: 11,444 optimizer steps
    ],
    ids=lambda v: v.name if isinstance(v, Path) else str(v),
)
def test_each_real_pretrain_config_is_litgpts_fit(path: Path, devices: int, seq: int, tokens: int | None) -> None:
    doc = yaml.safe_load(path.read_text())
    chosen = choose(doc, path.name)
    assert (chosen.adapter, chosen.dialect) == ("litgpt", "litgpt-pretrain")
    overrides = [f"devices={devices}", *([f"train.max_tokens={tokens}"] if tokens else [])]
    curve = lrviz.simulate(str(path), overrides=overrides)
    if tokens:
        doc["train"]["max_tokens"] = tokens
    assert list(curve.lrs[0]) == fit_lrs(doc, devices, seq)
    assert curve.run.unit == "step" and len(curve.lrs[0]) == curve.run.epochs


def without(tmp_path: Path, *keys: str, **train: Any) -> Path:
    """The debug config with ``train`` keys removed (as a file that leaves them out) or set."""
    doc = yaml.safe_load(DEBUG.read_text())
    for key in keys:
        del doc["train"][key]
    doc["train"].update(train)
    path = tmp_path / "pretrain.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def test_the_block_size_and_the_defaults_it_used_are_said(tmp_path: Path) -> None:
    run = lrviz.load(str(without(tmp_path, "global_batch_size")), overrides=["devices=1"])
    notes = "\n".join(run.notes)
    assert "tokens per sample 512, the block_size of litgpt's Config.from_name('pythia-14m')" in notes
    assert "train.global_batch_size: not set; litgpt/pretrain.py's default TrainArgs give 512" in notes
    assert "100,000,000 // (micro_batch_size 5 x max_seq_length 512) = 39,062 (max_iters)" in (run.geometry or "")


def test_the_world_size_is_asked_for_not_guessed() -> None:
    with pytest.raises(ConfigError, match=r"devices: litgpt/pretrain.py divides max_tokens by the world size"):
        lrviz.load(str(DEBUG))


@pytest.mark.parametrize(
    ("overrides", "needles"),
    [
        (["devices=1", "train.epochs=2"], ("train.epochs", "refuses train.epochs")),
        (["devices=1", "train.max_tokens=1000"], ("train.max_tokens", "less than one optimizer step")),
        (["devices=1", "train.max_tokens=3000000000000"], ("more than the limit", "LRVIZ_MAX_POINTS")),
        (["devices=1", "model_name=no-such-model"], ("model_name", "not a model", "train.max_seq_length=N")),
        # under the point limit in optimizer steps, but get_lr runs per iteration: 1,000,000 steps x 25 iterations
        (
            ["devices=1", "train.max_tokens=64000000000"],
            ("train.max_tokens", "25,000,000 iterations", "25 per optimizer step", "LRVIZ_MAX_STEPS"),
        ),
    ],
)
def test_what_pretrain_py_refuses_or_lrviz_cannot_size_is_refused_at_its_key(
    overrides: list[str], needles: tuple[str, ...]
) -> None:
    with pytest.raises(ConfigError) as err:
        lrviz.load(str(DEBUG), overrides=overrides)
    assert all(n in str(err.value) for n in needles), str(err.value)


def test_a_warmup_fraction_is_refused_it_needs_the_loaders_length(tmp_path: Path) -> None:
    path = without(tmp_path, "lr_warmup_steps", lr_warmup_fraction=0.1)
    with pytest.raises(ConfigError, match=r"lr_warmup_fraction: .*from len\(train_dataloader\)"):
        lrviz.load(str(path), overrides=["devices=1"])


def test_dataset_size_does_not_apply_to_a_token_budget() -> None:
    with pytest.raises(ConfigError, match="does not apply to a litgpt pretraining config"):
        lrviz.load(str(DEBUG), overrides=["devices=1"], dataset_size=1000)


def test_max_steps_which_fit_never_reads_is_named() -> None:
    curve = lrviz.simulate(str(DEBUG), overrides=["devices=1", "train.max_steps=10"])
    found = {f.code: f.message for f in lrviz.diagnose(curve)}
    assert "train.max_steps 10 does not end litgpt pretraining" in found["litgpt-max-steps-ignored"]
    assert len(curve.lrs[0]) == 39_062 // 25


def test_code_calls_litgpts_get_lr_and_gives_the_same_lrs() -> None:
    run = lrviz.load(str(TINYSTORIES), overrides=["devices=4", "train.max_tokens=97000000"])
    source = lrviz.code(run)
    assert "from litgpt.pretrain import get_lr" in source
    printed: list[float] = []
    namespace: dict[str, Any] = {"print": lambda text: printed.append(float(text.rsplit(" ", 1)[1]))}
    exec(compile(source, "snippet", "exec"), namespace)  # noqa: S102 - our own output
    assert printed == list(lrviz.simulate(run).lrs[0])


def test_resume_continues_from_the_saved_iteration() -> None:
    curve = lrviz.simulate(str(DEBUG), overrides=["devices=1"], resume_at=700)
    assert curve.resumed is not None and list(curve.resumed[0]) == list(curve.lrs[0])

"""The launch-script reader: bash's words, variables and launchers, and the scripts it refuses with their line."""

from __future__ import annotations

import pytest

from lrviz.config.shell import read_script
from lrviz.errors import ConfigError


def texts(script: str) -> list[str]:
    return [w.text for w in read_script(script, "t.sh").args]


def test_continuations_quotes_comments_and_redirections() -> None:
    script = (
        "#!/bin/bash\n"
        "# a comment\n"
        "python train.py --a=1 \\\n"
        "  --b 'x y' \\\n"
        '  --c "z $HOME" --d \\"q\\" # trailing comment\n'
    )
    launch = read_script(script, "t.sh")
    assert launch.launcher == "python" and launch.script == "train.py" and launch.line == 3
    assert [w.text for w in launch.args] == ["--a=1", "--b", "x y", "--c", "z $HOME", "--d", '"q"']
    assert [w.line for w in launch.args] == [3, 4, 4, 5, 5, 5, 5]
    assert launch.args[4].unknown.startswith("$HOME")
    assert texts("python t.py --x 1 2>&1 | tee log.txt > out") == ["--x", "1"]


def test_variables_arrays_and_defaults_expand_as_bash_does() -> None:
    script = (
        "LR=1e-4\n"
        'export NAME="a b"\n'
        'ARGS=(\n  --lr $LR   # comment\n  --name "$NAME"\n)\n'
        "ARGS+=(--more)\n"
        'OPTS="--x 1 --y 2"\n'
        'torchrun pretrain_gpt.py ${ARGS[@]} $OPTS "$OPTS" ${MISSING:-7} ${EMPTY:-}\n'
    )
    # unquoted ${ARGS[@]} splits each element again, as bash does; "$OPTS" stays one word
    assert texts(script) == ["--lr", "1e-4", "--name", "a", "b", "--more", "--x", "1", "--y", "2", "--x 1 --y 2", "7"]
    assert texts('A=(--p "x y")\npython t.py "${A[@]}"\n') == ["--p", "x y"]


def test_unknown_expansions_are_marked_with_why() -> None:
    script = 'if [ -z "$X" ]; then\n  GBS=8\nfi\npython t.py --a $1 --b $(nproc) --c $GBS --d $UNSET\n'
    words = {w.text: w.unknown for w in read_script(script, "t.sh").args}
    assert "script's argument 1" in words["$1"]
    assert "computes when the script runs" in words["$(nproc)"]
    assert "inside the block at line 1" in words["$GBS"]
    assert "does not set" in words["$UNSET"]


@pytest.mark.parametrize(
    ("command", "launcher", "processes"),
    [
        ("accelerate launch --num_processes=4 --mixed_precision fp16 train.py --x 1", "accelerate", 4),
        ("accelerate launch --multi_gpu --num_machines 2 --num_processes 16 train.py", "accelerate", 16),
        ("torchrun --nnodes 2 --nproc_per_node=8 train.py", "torchrun", 16),
        ("torchrun --nproc-per-node 4 train.py", "torchrun", 4),
        ("python -m torch.distributed.run --nproc_per_node 2 train.py", "torchrun", 2),
        ("python -m torch.distributed.launch --nproc_per_node 3 --use_env train.py", "torchrun", 3),
        ("deepspeed --num_gpus 8 --num_nodes 2 train.py --deepspeed ds.json", "deepspeed", 16),
        ("deepspeed --include localhost:0,1,2 train.py", "deepspeed", 3),
        ("CUDA_VISIBLE_DEVICES=0 python3 train.py", "python", 1),
        ("nohup python3.11 -u train.py", "python", 1),
        ("/usr/bin/env python3 train.py 2>&1 | tee log", "python", 1),  # transformers' image-pretraining/mae.sh
        ("torchrun --nnodes 2 train.py", "torchrun", 2),  # torchrun's default --nproc_per_node is 1
    ],
)
def test_launchers_and_their_process_counts(command: str, launcher: str, processes: int) -> None:
    launch = read_script(command, "--command")
    assert launch.launcher == launcher
    assert launch.script == "train.py"
    assert launch.processes is not None and launch.processes.value == processes


@pytest.mark.parametrize(
    "command", ["accelerate launch train.py", "torchrun --nproc_per_node $N train.py", "deepspeed train.py"]
)
def test_a_process_count_decided_at_run_time_is_a_note(command: str) -> None:
    launch = read_script(command, "--command")
    assert launch.processes is None
    assert launch.notes and "--world-size" in launch.notes[0]


def test_python_module_scripts() -> None:
    launch = read_script("accelerate launch -m axolotl.cli.train cfg.yml", "--command")
    assert launch.script == "axolotl.cli.train" and [w.text for w in launch.args] == ["cfg.yml"]


@pytest.mark.parametrize(
    ("script", "message"),
    [
        (
            "for lr in 1e-4 2e-4; do\n  python t.py --lr $lr\ndone\n",
            "t.sh:2: the training command is inside the block that starts at line 1",
        ),
        ("if true; then\n  python t.py\nfi\n", "t.sh:2: the training command is inside the block"),
        ("python a.py --x 1\necho hi\ntorchrun b.py\n", "t.sh: 2 training commands (lines 1, 3)"),
        ("echo nothing here\n", "no training command found"),
        ("python t.py --a 'open\n", "quote is not closed"),
    ],
)
def test_scripts_it_cannot_follow_are_refused_naming_the_line(script: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        read_script(script, "t.sh")
    assert message in str(caught.value)

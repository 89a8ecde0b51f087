"""``lrviz.comparison.causes``: the words of the faster and lag diagnoses, and the ``--skipped-steps`` model.

The framework's own words are tested on real runs with each framework (``tests/frameworks/megatron/
test_megatron_diagnoses.py``, ``tests/frameworks/litgpt/test_litgpt_logs.py``); the generic ones on
Accelerate's and the HF Trainer's (``test_log.py``, ``test_diagnoses_on_real_runs.py``).
"""

from __future__ import annotations

from lrviz import frameworks
from lrviz.comparison.causes import explainer, generic, merge_holds, skipped_steps
from lrviz.comparison.replan import held_steps
from lrviz.frameworks.base import Adapter


def test_the_model_is_the_shortest_that_holds_the_same_plan() -> None:
    plan = [float(i) for i in range(40)]
    holds = [(1, 0)] * 7 + [(1, 15)]  # what the lag search finds: one hold per grown step
    assert skipped_steps(holds) == "7,1@15"
    assert held_steps(plan, holds) == held_steps(plan, merge_holds(holds)) == held_steps(plan, [(7, 0), (1, 15)])
    found = [(1, 0), (4, 0), (2, 3), (1, 17)]
    assert skipped_steps(found) == "5,2@3,1@17"
    assert held_steps(plan, found) == held_steps(plan, merge_holds(found))


def test_only_frameworks_whose_trainer_differs_have_their_own_words() -> None:
    own = {a.name for a in frameworks.adapters() if type(a).mismatch_cause is not Adapter.mismatch_cause}
    assert own == {"megatron", "litgpt"}
    assert explainer([0.1, 0.2]) is generic  # bare LRs: no framework

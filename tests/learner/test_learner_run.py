"""Every chapter notebook runs top to bottom for a learner: no pins, default threads.

An ``assert`` in a notebook states a claim that must hold for every learner; one that holds
only in the pinned environment fails here. Outputs are not compared (nbval does that, pinned).
"""

from __future__ import annotations

import pytest
from learner_run import NOTEBOOKS, ROOT, learner_environment, run_notebook


def test_the_learner_environment_has_no_pins():
    from dlbook.runtime import REPRODUCIBLE_ENV

    env = learner_environment()
    assert not set(REPRODUCIBLE_ENV) & set(env)
    assert "DLBOOK_PROGRESS" not in env and "DLBOOK_DEVICE" not in env


def test_every_chapter_notebook_is_run():
    assert len(NOTEBOOKS) >= 39, NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT / "chapters")))
def test_notebook_runs_for_a_learner(path, record_property):
    row = run_notebook(path)
    record_property("learner_cpu", row)
    assert row["cpu_seconds"] > 0

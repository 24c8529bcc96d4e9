"""Graded exercises: in-notebook feedback for learners, and batch grading whose verdicts a
submission cannot forge.

The exercises are written in otter-grader's ``otter assign`` format. Learners get feedback in
the notebook from the public tests that ship in this package (:mod:`.learner`). For a grade,
the instructor runs the batch grader (:mod:`.batch`): a submission's kernel only computes
answers to calls the grader makes, on inputs drawn at grading time; the answers come back as
plain data (:mod:`.codec`) and are judged in the grader's process against the master's answers
with the tolerances each hidden test declares (:mod:`.declare`). The kernel runs sandboxed
(``_sandbox.py``: memory and CPU limits, and Landlock rules on Linux) in a fresh folder.

Modules: ``learner`` (exercises, tests_dir, notebook), ``declare`` (probe, accuracy: the hidden
test format), ``codec`` (plain data across the boundary), ``batch`` (prepare, grade_submission,
grade_batch, write_csv), ``cli`` (``python -m dlbook.grading``).

Command line (what ``make grade`` calls)::

    python -m dlbook.grading exercises/autograders/ex01_neurons SUBMISSIONS_DIR --timeout 300

Reference: otter-grader, https://otter-grader.readthedocs.io (assign format, OK test files);
Landlock, https://docs.kernel.org/userspace-api/landlock.html.
"""

from __future__ import annotations

from .batch import (
    HiddenTests,
    SubmissionResult,
    grade_batch,
    grade_submission,
    load_tests,
    prepare,
    resolve,
    write_csv,
)
from .cli import main
from .declare import DeclarationError, accuracy, probe
from .learner import exercises, notebook, tests_dir

__all__ = [
    "SubmissionResult",
    "HiddenTests",
    "DeclarationError",
    "exercises",
    "tests_dir",
    "notebook",
    "load_tests",
    "resolve",
    "prepare",
    "probe",
    "accuracy",
    "grade_submission",
    "grade_batch",
    "write_csv",
    "main",
]

"""Graded exercises: in-notebook feedback for learners, and batch grading whose verdicts a
submission cannot forge.

The exercises are written in otter-grader's ``otter assign`` format. Learners get feedback in
the notebook from the public tests that ship in this package (:mod:`.learner`). For a grade,
the instructor runs the batch grader (:mod:`.batch`): a submission's kernel only computes
answers to calls the grader makes, on inputs drawn at grading time; the answers come back as
plain data (:mod:`.codec`) and are judged in the grader's process against the master's answers
with the tolerances each hidden test declares (:mod:`.declare`). The kernel runs in a sandbox
(``_isolation.py``, ``_sandbox.py``: bubblewrap's PID, network and mount namespaces, a control
group for its memory and processes, a user of its own, resource limits and Landlock); without
bubblewrap the grader refuses to run unless told ``--unsafe-no-sandbox``.

This package is imported on first use of ``dlbook.grading`` (``import dlbook`` does not load it:
it needs Unix-only modules) and imports nothing from the rest of dlbook at import time.

Modules: ``learner`` (exercises, tests_dir, notebook), ``declare`` (probe, accuracy: the hidden
test format), ``codec`` (plain data across the boundary), ``batch`` (prepare, grade_submission,
grade_batch, write_csv, merge), ``cli`` (``python -m dlbook.grading``, ``... merge``).

Command line (what ``make grade`` calls)::

    python -m dlbook.grading exercises/autograders/ex01_neurons SUBMISSIONS_DIR --timeout 300

Reference: otter-grader, https://otter-grader.readthedocs.io (assign format, OK test files);
Landlock, https://docs.kernel.org/userspace-api/landlock.html.
"""

from __future__ import annotations

from .batch import (
    HiddenTests,
    SandboxUnavailable,
    SubmissionResult,
    grade_batch,
    grade_submission,
    load_tests,
    merge,
    prepare,
    resolve,
    sandbox_mode,
    write_csv,
)
from .cli import main
from .declare import DeclarationError, accuracy, numel, probe, size_at_most
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
    "merge",
    "sandbox_mode",
    "SandboxUnavailable",
    "numel",
    "size_at_most",
    "main",
]

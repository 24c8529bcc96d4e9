"""Learner side: feedback in the notebook through otter's ``grader.check("qN")``.

The *public* tests ship inside this package (``dlbook/exercise_tests/<exercise>/``), so a
notebook opened in Colab finds them after ``pip install "dlbook[grade]"`` without cloning the
repository. Public tests are worth no points: forging them gains nothing.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path
from typing import Any

EXERCISE_TESTS = "exercise_tests"


def exercises() -> list[str]:
    """Names of the exercises whose public tests ship with this package, sorted."""
    root = resources.files("dlbook") / EXERCISE_TESTS
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith(("_", ".")))


def tests_dir(exercise: str) -> Path:
    """Directory of the public tests of ``exercise`` inside the installed dlbook package.

    Args:
        exercise: an exercise name such as ``"ex01_neurons"``.

    Raises:
        TypeError: if ``exercise`` is not a string.
        ValueError: if no public tests ship for that exercise.
    """
    if not isinstance(exercise, str):
        raise TypeError(f"exercise must be a str such as 'ex01_neurons', got {type(exercise).__name__}")
    known = exercises()
    if exercise not in known:
        raise ValueError(f"unknown exercise {exercise!r}; expected one of {known}")
    return Path(str(resources.files("dlbook") / EXERCISE_TESTS / exercise))


def notebook(exercise: str):
    """An otter ``Notebook`` grader whose ``check("qN")`` runs the public tests of ``exercise``.

    Args:
        exercise: an exercise name such as ``"ex01_neurons"``.

    Returns:
        ``otter.Notebook`` pointed at ``dlbook/exercise_tests/<exercise>/``.

    Raises:
        ImportError: if otter-grader is missing (install ``dlbook[grade]``).
    """
    path = tests_dir(exercise)
    if os.environ.get("DLBOOK_GRADING") == "1":
        # Batch grading judges hidden tests outside the notebook; in-notebook checks would only
        # cost time (importing otter takes seconds), so they do nothing there.
        return _SilentGrader()
    try:
        import otter
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError('the exercises need otter-grader: pip install "dlbook[grade]"') from err
    # nb_path stays None: in Colab the notebook file is not on the kernel's disk.
    return otter.Notebook(tests_dir=str(path))


class _SilentGrader:
    """Stands in for ``otter.Notebook`` while a submission is being batch-graded."""

    def check(self, question: str, global_env: Any = None) -> None:
        return None

    def check_all(self) -> None:
        return None

    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: None

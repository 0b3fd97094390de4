"""An exercise is a folder of data: ``labs/NN-slug/exercise/``.

- ``compose.yaml``: the broken stack the learner edits;
- ``expected.toml``: the intended topology as criteria (``spec``), optionally with a
  fault step (``[fault] partition = "svc"``);
- ``hints.toml``: a ladder of hints, revealed one at a time;
- ``solution/compose.yaml``: one correct answer (CI checks it passes; never printed).
- ``notebook.toml``: what the exercise's notebook says that the others don't; only
  ``notebook.render`` reads it (the notebook is generated, never edited by hand).

``check`` runs the learner's file (or, with ``CLUSTERLAB_EXERCISE=solution``, the
solution) through ``checker.run_check`` and returns the ``CheckReport``.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..catalogue import Lesson, get, labs_dir, project_source
from ..errors import ExerciseError, UnknownLesson
from ..progress import Progress, say
from .checker import run_check
from .judge import CheckReport
from .spec import Expected, parse_expected
from .widgets import hint_button

SOLUTION_ENV = "CLUSTERLAB_EXERCISE"
"""Set to ``solution`` (CI does) to make exercise notebooks check the solution file."""


@dataclass
class Hints:
    """A ladder of hints: ``next()`` reveals one more each time it is called."""

    texts: tuple[str, ...]
    shown: int = 0

    def next(self) -> str:
        if self.shown >= len(self.texts):
            return (f"No more hints ({len(self.texts)} shown). The solution is in the "
                    "exercise's solution/ folder, if you want to compare.")
        self.shown += 1
        return f"Hint {self.shown} of {len(self.texts)}: {self.texts[self.shown - 1]}"

    def widget(self) -> Any:
        """A button that shows the next hint under itself (ipywidgets)."""
        return hint_button(self)


@dataclass
class Exercise:
    """One lesson's exercise folder, read as data."""

    lesson: Lesson
    path: Path
    expected: Expected
    hints: Hints

    @property
    def compose_file(self) -> Path:
        """The learner's file: the one to edit."""
        return self.path / "compose.yaml"

    @property
    def solution_file(self) -> Path:
        return self.path / "solution" / "compose.yaml"

    @property
    def task(self) -> str:
        return self.expected.task

    @property
    def solution_mode(self) -> bool:
        """True when ``CLUSTERLAB_EXERCISE=solution``: CI checks the solution instead."""
        return os.environ.get(SOLUTION_ENV, "").lower() == "solution"

    def target(self) -> Path:
        """The file ``check`` looks at: the solution in solution mode, else the learner's."""
        return self.solution_file if self.solution_mode else self.compose_file

    def hint(self) -> str:
        return self.hints.next()

    def source(self) -> str:
        """The learner's compose file and the release files beside it."""
        return project_source(self.compose_file)

    def check(self, file: Path | str | None = None, *, progress: Progress = say,
              timeout: float = 45) -> CheckReport:
        return run_check(self.lesson, self.expected, Path(file) if file else self.target(),
                         progress=progress, timeout=timeout)


def load_exercise(folder: Path) -> Exercise:
    folder = Path(folder)
    expected_file = folder / "expected.toml"
    if not expected_file.is_file():
        raise ExerciseError(f"{folder} has no expected.toml: it is not an exercise folder.")
    expected = parse_expected(tomllib.loads(expected_file.read_text()))
    hints_file = folder / "hints.toml"
    hints = tomllib.loads(hints_file.read_text()).get("hint", []) if hints_file.is_file() else []
    lesson = get(folder.resolve().parent.name)
    texts = tuple(" ".join(h["text"].split()) for h in hints)  # one paragraph each
    return Exercise(lesson, folder, expected, Hints(texts))


def exercise(target: str | Path) -> Exercise:
    """An exercise by lesson (``"01"``), by its folder, or by a compose file inside it."""
    path = Path(target)
    if path.is_file():
        for folder in (path.parent, path.parent.parent):
            if (folder / "expected.toml").is_file():
                return load_exercise(folder)
        raise ExerciseError(f"No expected.toml next to {path} or one folder up.")
    if path.is_dir():
        return load_exercise(path)
    try:
        lesson = get(str(target))
    except UnknownLesson:
        raise ExerciseError(f"{target!r} is neither a lesson nor an exercise folder or file.") \
            from None
    folder = lesson.path / "exercise"
    if not folder.is_dir():
        raise ExerciseError(f"Lesson {lesson.id} has no exercise yet.")
    return load_exercise(folder)


def exercises() -> list[Exercise]:
    return [load_exercise(p.parent) for p in sorted(labs_dir().glob("*/exercise/expected.toml"))]


def check(target: str | Path, *, file: Path | str | None = None, progress: Progress = say,
          timeout: float = 45) -> CheckReport:
    """Check an exercise: ``check("01")``, ``check(folder)`` or ``check(compose_file)``.

    Given a compose file, that file is checked against the exercise it sits in (or one
    folder up, for ``solution/compose.yaml``); otherwise ``Exercise.target()`` decides.
    """
    ex = exercise(target)
    path = Path(target)
    if file is None and path.is_file():
        file = path
    return ex.check(file, progress=progress, timeout=timeout)

"""Where progress lines go: the notebook, stderr for the command line, or nowhere.

Every long step (an image build, a lab coming up, a check) takes one of these, so the
same code talks to a learner's cell, a terminal and a test that wants silence.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

Progress = Callable[[str], None]


def say(line: str) -> None:
    print(line, flush=True)


def say_on_stderr(line: str) -> None:
    """Progress for the command line, keeping stdout for results."""
    print(line, file=sys.stderr, flush=True)


def quiet(line: str) -> None:
    """A progress sink that drops everything."""

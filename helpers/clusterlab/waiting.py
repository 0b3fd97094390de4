"""Wait for a state, never for luck: every wait in ClusterLab polls a condition."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from .errors import ConvergenceTimeout

T = TypeVar("T")


def wait_until(check: Callable[[], T], timeout: float = 10.0, *, interval: float = 0.1,
               what: str = "the condition") -> T:
    """Call ``check`` until it returns something truthy, and return that; never sleeps blind."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise ConvergenceTimeout(f"{what} did not hold within {timeout:g} s.")
        time.sleep(interval)

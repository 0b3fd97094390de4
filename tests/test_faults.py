"""Fault injection without an engine: what a transient engine refusal does."""

from __future__ import annotations

import docker.errors
import pytest
from clusterlab.errors import ClusterLabError
from clusterlab.lab.faults import Faults

FREEZE = "OCI runtime pause failed: unable to freeze: unknown"


class Refusing:
    """A container whose first ``refusals`` pauses fail as runc's freezer can."""

    name = "cl09-x-pause_svc-1"

    def __init__(self, refusals: int, message: str = FREEZE) -> None:
        self.refusals, self.message, self.calls = refusals, message, 0

    def pause(self) -> None:
        self.calls += 1
        if self.calls <= self.refusals:
            raise docker.errors.APIError("500 Server Error", explanation=self.message)


def faults_on(container: Refusing) -> Faults:
    faults = Faults()
    faults.container = lambda service: container
    faults._record = lambda command: None
    return faults


def test_a_freeze_the_engine_could_not_finish_is_asked_again(monkeypatch):
    monkeypatch.setattr("time.sleep", lambda seconds: None)
    container = Refusing(2)
    faults_on(container).pause("pause_svc")
    assert container.calls == 3


def test_a_freeze_that_never_succeeds_says_so_without_a_library_traceback(monkeypatch):
    monkeypatch.setattr("time.sleep", lambda seconds: None)
    container = Refusing(99)
    with pytest.raises(ClusterLabError) as err:
        faults_on(container).pause("pause_svc")
    assert container.calls == 5 and "unable to freeze, 5 times" in str(err.value)


def test_other_refusals_are_not_retried():
    container = Refusing(1, "Container abc is not running")
    with pytest.raises(docker.errors.APIError):
        faults_on(container).pause("pause_svc")
    assert container.calls == 1

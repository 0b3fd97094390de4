"""Removing a lab's network when the engine still lists an endpoint (no engine needed)."""

from __future__ import annotations

import socket
import time

import docker.errors
import pytest
import requests
from clusterlab.errors import StuckNetwork
from clusterlab.gates import engine
from clusterlab.lab import registry


class StaleEndpointApi:
    """Refuses to remove the network while an endpoint is listed, as dockerd does, and keeps
    the endpoint of an already removed container until it is disconnected by force."""

    def __init__(self, forced: bool = True) -> None:
        self.endpoints = {"ep-0123": {"Name": "cl08-abc-n2-1"}}
        self.forced, self.disconnected, self.removed = forced, [], False

    def remove_network(self, network: str) -> None:
        if self.endpoints:
            response = requests.Response()
            response.status_code, response.reason, response.url = 403, "Forbidden", "/networks"
            raise docker.errors.APIError(
                "403 Client Error", response=response,
                explanation=f"error while removing network: network {network} has active "
                            "endpoints")
        self.removed = True

    def inspect_network(self, network: str) -> dict:
        return {"Containers": dict(self.endpoints)}

    def disconnect_container_from_network(self, container: str, network: str,
                                          force: bool = False) -> None:
        self.disconnected.append((container, force))
        if force and self.forced:
            self.endpoints.clear()


def test_a_stale_endpoint_is_disconnected_by_force_and_the_network_removed():
    api = StaleEndpointApi()
    engine.remove_network("cl08-abc_v6net", "cl08-abc_v6net", timeout=5, api=api)
    assert api.disconnected == [("cl08-abc-n2-1", True)]
    assert api.removed


class HiddenEndpointApi(StaleEndpointApi):
    """What dockerd did here under load: refuses for an endpoint it lists nowhere."""

    def inspect_network(self, network: str) -> dict:
        return {"Containers": {}}


def test_an_endpoint_the_engine_hides_is_named_as_such_not_waited_on_for_30_s():
    api = HiddenEndpointApi()
    started = time.monotonic()
    with pytest.raises(StuckNetwork, match=r"cl08-abc_v6net.*lists no container") as err:
        engine.remove_network("0d37d98a", "cl08-abc_v6net", stuck_after=0.3, api=api)
    assert time.monotonic() - started < 5
    assert "Restart the Docker daemon" in str(err.value)
    assert not api.removed


def test_a_stuck_orphan_does_not_stop_the_next_lab(monkeypatch):
    """A new lab reaps dead owners' labs; one the engine won't let go is warned about once."""
    calls = []

    def stuck(project, **_):
        calls.append(project)
        raise StuckNetwork("The engine will not remove network cl08-abc_v6net")

    monkeypatch.setattr(registry, "projects",
                        lambda: {"cl08-abc": {registry.OWNER: f"{socket.gethostname()}/1"}})
    monkeypatch.setattr(registry, "pid_alive", lambda pid: False)
    monkeypatch.setattr(registry, "remove_project", stuck)
    monkeypatch.setattr(registry, "_stuck", set())
    with pytest.warns(UserWarning, match="cl08-abc_v6net"):
        assert registry.reap_orphans() == []
    assert registry.reap_orphans() == []
    assert calls == ["cl08-abc"]

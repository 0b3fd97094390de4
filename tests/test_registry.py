"""Removing a lab's network when the engine still lists an endpoint (no engine needed)."""

from __future__ import annotations

import docker.errors
import pytest
import requests
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
    assert registry._network_removed(api, "cl08-abc_v6net") is False
    assert api.disconnected == [("cl08-abc-n2-1", True)]
    assert registry._network_removed(api, "cl08-abc_v6net") is True
    assert api.removed


def test_an_endpoint_that_will_not_go_is_still_reported():
    api = StaleEndpointApi(forced=False)
    for _ in range(3):
        assert registry._network_removed(api, "cl08-abc_v6net") is False
    assert not api.removed
    with pytest.raises(docker.errors.APIError):
        api.remove_network("cl08-abc_v6net")

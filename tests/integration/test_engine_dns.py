"""What lesson 1's prose says about Docker's DNS, checked on the engine without Compose.

The Docker Engine itself (not Compose) registers a container's hostname as a DNS name on
every user-defined network it joins, and only user-defined networks get the embedded DNS
server at 127.0.0.11: the default bridge hands containers the host's resolver.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
from clusterlab.gates import engine, image
from clusterlab.progress import quiet
from docker.models.networks import Network

pytestmark = pytest.mark.docker


@pytest.fixture
def labelled() -> Iterator[tuple[str, dict[str, str]]]:
    """A fresh name and the ClusterLab label, so that a leak fails the suite's leftover check."""
    name = f"cldns-{secrets.token_hex(3)}"
    yield name, {engine.LABEL: name}
    client = engine.client()
    for container in client.containers.list(all=True, filters={"label": f"{engine.LABEL}={name}"}):
        container.remove(force=True)
    for network in client.networks.list(filters={"label": f"{engine.LABEL}={name}"}):
        network.remove()


def _run(name: str, labels: dict[str, str], network: str | Network, **kwargs: object):
    return engine.client().containers.run(
        image.ensure_image(progress=quiet).tag, ["sleep", "60"], entrypoint=[],
        name=name, labels=labels, network=network if isinstance(network, str) else network.name,
        detach=True, **kwargs)


def test_the_engine_registers_the_hostname_on_a_user_defined_network(labelled) -> None:
    name, labels = labelled
    network = engine.client().networks.create(name, labels=labels)
    _run(f"{name}-a", labels, network, hostname="node-a.somewhere")
    asker = _run(f"{name}-b", labels, network)
    answer = engine.exec_in(asker, ["nslookup", "node-a.somewhere"]).output
    assert "NXDOMAIN" not in answer and "Address" in answer.split("Name:")[-1], answer
    resolv = engine.exec_in(asker, ["cat", "/etc/resolv.conf"]).output
    assert "nameserver 127.0.0.11" in resolv.splitlines(), resolv


def test_the_default_bridge_has_no_embedded_dns(labelled) -> None:
    name, labels = labelled
    on_bridge = _run(name, labels, "bridge")
    resolv = engine.exec_in(on_bridge, ["cat", "/etc/resolv.conf"]).output
    assert "127.0.0.11" not in resolv, resolv

"""Labs answer the same on every host: the host's resolver never leaks into a lab.

Docker copies the host's ``search`` line into each container's resolv.conf, and OTP's
resolver then turns a dotless name into ``name.<host domain>`` (lesson 3 fails on such a
host without the pin). Every lab therefore pins ``dns_search`` on each service that does
not choose one (``Lab.model()`` shows it).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from clusterlab import catalogue
from clusterlab.gates import compose, engine, engines, image
from clusterlab.lab.lifecycle import Lab
from clusterlab.lab.stack import pin_resolver
from clusterlab.progress import quiet

RESOLV = Path("/etc/resolv.conf")


def test_pin_adds_an_empty_search_list_and_keeps_a_chosen_one():
    model = {"services": {"a": {"image": "x"}, "b": {"image": "x", "dns_search": ["corp"]}}}
    pinned = pin_resolver(model)
    assert pinned["services"]["a"]["dns_search"] == ["."]
    assert pinned["services"]["b"]["dns_search"] == ["corp"]
    assert "dns_search" not in model["services"]["a"]          # the input is not changed


@pytest.mark.docker
@pytest.mark.parametrize("lesson", [lesson.id for lesson in catalogue.lessons()])
def test_every_variant_the_engine_starts_has_a_search_list(lesson):
    for variant, path in catalogue.get(lesson).variants.items():
        model = pin_resolver(compose.load(path, "clhermetic"))
        for name, service in model["services"].items():
            assert service.get("dns_search"), f"{lesson}/{variant}: {name} has no dns_search"


@contextlib.contextmanager
def host_search_domain(domain: str) -> Iterator[None]:
    """Append ``search <domain>`` to the host's resolv.conf for the block, then restore it.
    On an engine of ``clusterlab engine start``, its host is the engine's container."""
    if (inner := engines.current()) is not None:
        original_text = engines.host_path_text(inner.version, RESOLV)
        try:
            engines.write_host_path(inner.version, RESOLV,
                                    original_text + f"\nsearch {domain}\n")
            yield
        finally:
            engines.write_host_path(inner.version, RESOLV, original_text)
        return
    if not os.access(RESOLV, os.W_OK):
        pytest.skip("needs a writable /etc/resolv.conf (root) to give the host a search domain")
    original = RESOLV.read_bytes()
    try:
        RESOLV.write_bytes(original + f"\nsearch {domain}\n".encode())
        yield
    finally:
        RESOLV.write_bytes(original)


@pytest.mark.docker
def test_a_host_search_line_does_not_reach_a_lab():
    client = engine.client()
    tag = image.ensure_image(quiet).tag
    with host_search_domain("corp.example"):
        # The premise: a container started without the pin inherits the host's line.
        network = client.networks.create("clusterlab-hermetic-probe",
                                         labels={engine.LABEL: "clusterlab-hermetic-probe"})
        try:
            plain = client.containers.run(tag, ["cat", "/etc/resolv.conf"], entrypoint=[],
                                          network=network.name, remove=True)
        finally:
            network.remove()
        assert b"search corp.example" in plain
        lab = Lab.create("00-setup", "fixed", progress=quiet).up()
        try:
            for container in lab.containers():
                resolv = container.exec_run(["cat", "/etc/resolv.conf"]).output.decode()
                searches = [line for line in resolv.splitlines() if line.startswith("search")]
                assert searches == [], container.name
            assert lab.timeline(lambda snap: snap.is_full_mesh(), timeout=15)
        finally:
            lab.down()

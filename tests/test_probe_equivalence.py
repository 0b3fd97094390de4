"""The fast probe (DNS once per resolver view, nodes read through one observing node)
sees exactly what asking every container itself sees, on the lessons where containers
differ: islands (lesson 1 broken), a search list from dotted hostnames (lesson 4), IPv6
names (lesson 8), TLS distribution (lesson 6), replicas behind one name (lesson 4)."""

from __future__ import annotations

import pytest
from clusterlab.lab.lifecycle import Lab
from clusterlab.model.snapshot import Snapshot
from clusterlab.observe.probe import probe
from clusterlab.progress import quiet

pytestmark = pytest.mark.docker

VARIANTS = [("01", "broken"), ("01", "fixed"), ("03", "broken"), ("04", "dotless-query"),
            ("04", "replicas"), ("06", "tls"), ("08", "inet6")]


def seen(snapshot: Snapshot) -> dict:
    """What a lesson reads from a snapshot: nodes, peers, DNS answers (addresses as sets:
    Docker shuffles the order of several A records on every query), errors."""
    return {m.container: (m.node, None if m.peers is None else sorted(m.peers), m.error is None,
                          {name: (a.status, sorted(a.addresses)) for name, a in m.dns.items()})
            for m in snapshot.members}


@pytest.mark.parametrize(("lesson", "variant"), VARIANTS)
def test_fast_probe_equals_asking_every_container(lesson, variant):
    with Lab.create(lesson, variant, progress=quiet) as lab:
        names = sorted({m.service for m in lab.probe().members} | {"app", "app."})
        for _ in range(10):  # a cluster still forming changes between two probes
            containers = lab.containers()
            before = seen(probe(containers, names, exhaustive=True))
            fast = seen(probe(containers, names))
            after = seen(probe(containers, names, exhaustive=True))
            if before == after:
                break
        else:
            pytest.fail(f"{lesson}/{variant} never held still for three probes")
        assert fast == before

"""A 40-node lab converges on 2 cores and is read right (issue 14): lesson 4's IP-named
replicas (dns_cluster, polling every 500 ms), every node listing the 39 others within 30 s
of ``up()``, each by the name the engine's address gives it. The probe's speed is a
figure for ``bench/scale.py``, not a test; this asserts what the lab and probe say.
About 1-2 min on a busy 2-core host (``up()`` is most of it: Compose starts the 40
containers about one a second)."""

from __future__ import annotations

import pytest
from clusterlab.lab.lifecycle import Lab
from clusterlab.progress import quiet

pytestmark = pytest.mark.docker

N = 40


def test_forty_replicas_form_a_full_mesh_within_30_s_of_up_and_every_node_is_read():
    with Lab.create("04", "replicas", env={"REPLICAS": str(N)}, progress=quiet) as lab:
        lab.up(timeout=240)
        seen = lab.timeline(lambda s: s.is_full_mesh(), timeout=30, names=["app"])[-1]
        # Ground truth from the engine: each container's node is app@<its address>.
        expected = {f"app@{ip}" for c in lab.containers()
                    for ip in c.attrs["NetworkSettings"]["Networks"][
                        lab.network("msvc_default")]["IPAddress"].split()}
        assert len(expected) == N
        assert {m.node for m in seen.members} == expected
        for member in seen.members:
            assert member.error is None, f"{member.container}: {member.error}"
            assert member.peers is not None and len(member.peers) == N - 1
            assert set(member.peers) == expected - {member.node}
            assert set(seen.member(member.container).dns["app"].addresses) == {
                node.partition("@")[2] for node in expected}

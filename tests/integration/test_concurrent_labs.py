"""A workshop room on one engine: 40 three-node labs at once, each a full mesh, all gone.

Slow (a minute or two on two cores: 120 BEAM nodes boot), so marked ``slow``; the suite
(helpers/bin/test, CI) runs it all the same. The figures are bench/concurrent_labs.py's.
"""

from __future__ import annotations

import ipaddress

import pytest
from clusterlab.gates import engine
from clusterlab.lab import registry, subnets
from clusterlab.tools.crowd import crowd

pytestmark = [pytest.mark.docker, pytest.mark.slow]

LABS = 40


def _subnets(project: str) -> list[ipaddress.IPv4Network]:
    return [ipaddress.ip_network(config["Subnet"])
            for row in engine.labelled("networks", project)
            for config in (engine.client().api.inspect_network(row["Id"])["IPAM"]["Config"]
                           or [])]


def test_forty_labs_converge_on_one_engine_and_are_all_removed():
    with crowd(LABS, starting=10, probing=4, timeout=240) as result:
        projects = [lab.project for lab in result.labs]
        # crowd() returns only once every lab was probed a full mesh (3 nodes, 2 peers each)
        assert len(projects) == len(set(projects)) == LABS
        assert len(result.mesh_seconds) == LABS
        assert all(len(engine.labelled("containers", p)) == 3 for p in projects)
        # each lab on its own /24 of the labs' range, none shared: Docker's pools are unused
        taken = [subnet for project in projects for subnet in _subnets(project)]
        pool = subnets.configured_range()
        assert len(taken) == len(set(taken)) >= LABS
        assert all(subnet.subnet_of(pool) and subnet.prefixlen == subnets.PREFIX
                   for subnet in taken)
    assert not [p for p in projects if registry.exists(p)]

"""Labs take small subnets from one private range, so one engine holds many of them."""

from __future__ import annotations

import ipaddress
import random
import threading

import pytest
from clusterlab.errors import AddressPoolExhausted, InvalidOption
from clusterlab.gates import engine
from clusterlab.lab import subnets
from clusterlab.lab.lifecycle import Lab
from clusterlab.progress import quiet

NET = ipaddress.ip_network


def test_picks_avoid_every_busy_subnet_and_each_other():
    pool = NET("10.175.0.0/22")  # four /24s
    busy = [NET("10.175.1.0/24"), NET("10.175.2.128/25")]
    picked = subnets.pick(2, pool, busy, random.Random(7))
    assert sorted(map(str, picked)) == ["10.175.0.0/24", "10.175.3.0/24"]


def test_a_full_range_names_itself_and_the_setting():
    pool = NET("10.175.0.0/23")
    with pytest.raises(AddressPoolExhausted) as err:
        subnets.pick(1, pool, [NET("10.175.0.0/24"), NET("10.175.1.0/24")])
    text = str(err.value)
    assert "10.175.0.0/23 (CLUSTERLAB_SUBNETS)" in text and "2 of its 2 are in use" in text
    assert "clusterlab clean" in text


@pytest.mark.parametrize("value", ["nonsense", "8.8.8.0/24", "10.175.0.0/25", "fd00::/64"])
def test_a_bad_range_is_refused_with_the_setting_named(monkeypatch, value):
    monkeypatch.setenv(subnets.RANGE_ENV, value)
    with pytest.raises(InvalidOption, match="CLUSTERLAB_SUBNETS"):
        subnets.configured_range()


def test_only_networks_compose_creates_without_their_own_addresses_get_one():
    model = {"networks": {
        "default": {"name": "p_default"},
        "ext": {"external": True},
        "own": {"ipam": {"config": [{"subnet": "10.9.0.0/24"}]}},
        "overlay": {"driver": "overlay"},
        "v6": {"enable_ipv6": True, "ipam": {"config": [{"subnet": "fd00:1::/64"}]}},
    }}
    assert subnets.wanting(model) == ["default"]
    placed = subnets.assign(model)
    assert NET(placed["networks"]["default"]["ipam"]["config"][0]["subnet"]).subnet_of(
        NET(subnets.DEFAULT_RANGE))
    assert placed["networks"]["own"] == model["networks"]["own"]
    assert "ipam" not in model["networks"]["default"]  # a copy


def _subnets_of(lab: Lab) -> list[ipaddress.IPv4Network]:
    rows = engine.labelled("networks", lab.project)
    return [NET(c["Subnet"]) for row in rows
            for c in engine.client().api.inspect_network(row["Id"])["IPAM"]["Config"]]


@pytest.mark.docker
def test_labs_started_at_once_get_distinct_subnets_of_the_range():
    labs = [Lab.create("00-setup", progress=quiet) for _ in range(3)]
    errors: list[BaseException] = []

    def up(lab: Lab) -> None:
        try:
            lab.up(wait=False)
        except BaseException as exc:  # reported below, with every lab removed
            errors.append(exc)

    threads = [threading.Thread(target=up, args=(lab,)) for lab in labs]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not errors, errors
        seen = [s for lab in labs for s in _subnets_of(lab)]
        assert len(seen) == len(set(seen)) == 3
        assert all(s.subnet_of(NET(subnets.DEFAULT_RANGE)) and s.prefixlen == 24 for s in seen)
    finally:
        for lab in labs:
            lab.down()


@pytest.mark.docker
def test_a_subnet_taken_meanwhile_is_picked_again(monkeypatch):
    """Two processes can pick the same free subnet; the engine refuses the second."""
    squatter = f"clsq-{random.randrange(1 << 24):06x}"
    free = subnets.pick(1, subnets.configured_range(), subnets.taken())[0]
    net = engine.client().networks.create(
        squatter, ipam={"Driver": "default", "Config": [{"Subnet": str(free)}]},
        labels={engine.LABEL: squatter})
    real_pick, calls = subnets.pick, []

    def stale_pick(count, pool, busy, rng=None):  # the first pick did not see the squatter
        calls.append(count)
        return [free] if len(calls) == 1 else real_pick(count, pool, busy, rng)

    monkeypatch.setattr(subnets, "pick", stale_pick)
    lab = Lab.create("00-setup", progress=quiet)
    try:
        lab.up(wait=False)
        assert len(calls) == 2 and free not in _subnets_of(lab)
    finally:
        lab.down()
        net.remove()

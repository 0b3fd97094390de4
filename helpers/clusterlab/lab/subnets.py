"""Small subnets for a lab's networks from one private range: one engine holds many labs.

Left to itself, Docker gives every network a /16 or /20 from its default pools and
refuses the 31st ("could not find an available, non-overlapping IPv4 address pool"), so
a workshop room of 20 learners, each with a lesson beside an exercise, runs out. A lab
instead gives each of its networks a /24 from ``CLUSTERLAB_SUBNETS`` (default
``10.175.0.0/16``: 256 networks). The default stays clear of Docker's own pools
(172.17-172.31, 192.168), Kubernetes' defaults (10.96/12, 10.244/16, 10.42-10.43),
the default VPCs of AWS (172.31/16, 10.0/16) and GCP (10.128/9 in per-region /20s, none
at 10.175), and the 10.200-10.249 test subnets; set the variable when it clashes with
a network of yours.

Picks avoid every subnet already on the engine and start at a random offset, so labs
started at the same moment by different processes rarely collide; when they do, the
engine refuses one ("Pool overlaps") and ``Lab.up`` picks again.
"""

from __future__ import annotations

import ipaddress
import json
import os
import random
from collections.abc import Iterable
from ipaddress import IPv4Network
from typing import Any

from ..errors import AddressPoolExhausted, InvalidOption
from ..gates import engine

RANGE_ENV = "CLUSTERLAB_SUBNETS"
DEFAULT_RANGE = "10.175.0.0/16"
PREFIX = 24
OVERLAP = "Pool overlaps with other one on this address space"
"""What the engine says when two labs picked the same subnet at once (retry)."""


def configured_range() -> IPv4Network:
    """The range labs take their subnets from: ``CLUSTERLAB_SUBNETS`` or the default."""
    text = os.environ.get(RANGE_ENV, "").strip() or DEFAULT_RANGE
    try:
        found = ipaddress.ip_network(text, strict=True)
    except ValueError as exc:
        raise InvalidOption(f"{RANGE_ENV}={text!r} is not a network ({exc}).",
                            f"Give a private IPv4 range such as {DEFAULT_RANGE}.") from None
    if not isinstance(found, IPv4Network) or not found.is_private or found.prefixlen > PREFIX:
        raise InvalidOption(f"{RANGE_ENV}={text!r}: labs need a private IPv4 range of "
                            f"/{PREFIX} or larger.", f"For example {DEFAULT_RANGE}.")
    return found


def taken() -> list[IPv4Network]:
    """Every IPv4 subnet some network on the engine already uses (ours or not)."""
    out = []
    for row in engine.client().api.networks():
        for config in (row.get("IPAM") or {}).get("Config") or []:
            subnet = config.get("Subnet")
            if subnet and ":" not in subnet:
                out.append(ipaddress.ip_network(subnet, strict=False))
    return out


def wanting(model: dict[str, Any], default_driver: str = "bridge") -> list[str]:
    """The model's networks the lab gives a subnet: bridge networks Compose will create
    (overlay networks of a Swarm stack, whose default driver is ``overlay``) that don't
    choose their own addresses (a lesson that sets ``ipam`` keeps it)."""
    keys = []
    for key, network in (model.get("networks") or {}).items():
        network = network or {}
        driver = network.get("driver") or default_driver
        if network.get("external") or driver != default_driver:
            continue
        if any("subnet" in c for c in (network.get("ipam") or {}).get("config") or []):
            continue
        keys.append(key)
    return keys


def pick(count: int, pool: IPv4Network, busy: Iterable[IPv4Network],
         rng: random.Random | None = None) -> list[IPv4Network]:
    """``count`` free /24s of ``pool``, none overlapping ``busy``, from a random start."""
    candidates = list(pool.subnets(new_prefix=PREFIX))
    start = (rng or random).randrange(len(candidates))
    busy = list(busy)
    chosen: list[IPv4Network] = []
    for i in range(len(candidates)):
        subnet = candidates[(start + i) % len(candidates)]
        if not any(subnet.overlaps(other) for other in busy):
            chosen.append(subnet)
            busy.append(subnet)
            if len(chosen) == count:
                return chosen
    in_use = sum(1 for other in busy if other.subnet_of(pool))
    raise AddressPoolExhausted(
        f"No free /{PREFIX} left in {pool} ({RANGE_ENV}) for {count} more network(s): "
        f"{in_use} of its {len(candidates)} are in use.",
        f"Remove labs you are done with (`clusterlab clean`), or set {RANGE_ENV} to a "
        "larger private range that clashes with none of your networks, e.g. 10.174.0.0/15.")


def assign(model: dict[str, Any], busy: Iterable[IPv4Network] = (),
           default_driver: str = "bridge") -> dict[str, Any]:
    """A copy of ``model`` whose networks each get a free /24 of the configured range."""
    out = json.loads(json.dumps(model))
    keys = wanting(out, default_driver)
    if not keys:
        return out
    for key, subnet in zip(keys, pick(len(keys), configured_range(), busy), strict=True):
        network = out["networks"][key] = out["networks"][key] or {}
        network["ipam"] = {**(network.get("ipam") or {}), "config": [{"subnet": str(subnet)}]}
    return out

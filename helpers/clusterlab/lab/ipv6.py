"""A random IPv6 ULA /64 for each dual-stack network of a lab (lesson 8).

Docker 20.10 creates an IPv6 network only with a subnet given explicitly: without one,
``enable_ipv6: true`` fails ("could not find an available, non-overlapping IPv6 address
pool") unless the daemon has a default pool (``default-address-pools`` with an IPv6
range, or ``fixed-cidr-v6``), which a stock engine has not. A lab therefore gives every
network that asks for IPv6 and names no IPv6 subnet of its own a /64 of a random
unique-local prefix (``fdXX:XXXX:XXXX::/48``, RFC 4193), so labs started at once never
clash; its IPv4 /24 still comes from ``subnets``.
"""

from __future__ import annotations

import ipaddress
import json
import random
from ipaddress import IPv6Network
from typing import Any


def random_ula(rng: random.Random | None = None) -> IPv6Network:
    """A /64 of a random RFC 4193 prefix: fd + 40 random bits + a random subnet id."""
    bits = (rng or random.SystemRandom()).getrandbits(56)
    return IPv6Network(((0xFD << 120) | (bits << 64), 64))


def wanting(model: dict[str, Any]) -> list[str]:
    """Networks with ``enable_ipv6: true`` whose ``ipam`` names no IPv6 subnet."""
    keys = []
    for key, network in (model.get("networks") or {}).items():
        network = network or {}
        if network.get("external") or not network.get("enable_ipv6"):
            continue
        configs = (network.get("ipam") or {}).get("config") or []
        if any(":" in str(c.get("subnet", "")) for c in configs):
            continue
        keys.append(key)
    return keys


def assign(model: dict[str, Any], rng: random.Random | None = None) -> dict[str, Any]:
    """A copy of ``model`` whose dual-stack networks each get a random ULA /64 as well."""
    out = json.loads(json.dumps(model))
    for key in wanting(out):
        network = out["networks"][key]
        ipam = network.setdefault("ipam", {})
        ipam["config"] = [*(ipam.get("config") or []), {"subnet": str(random_ula(rng))}]
    return out


def ipv6_subnets(model: dict[str, Any]) -> dict[str, IPv6Network]:
    """Each network's IPv6 subnet, as the lab started it (``Lab.model()``)."""
    found = {}
    for key, network in (model.get("networks") or {}).items():
        for config in ((network or {}).get("ipam") or {}).get("config") or []:
            subnet = str(config.get("subnet", ""))
            if ":" in subnet:
                found[key] = ipaddress.IPv6Network(subnet)
    return found

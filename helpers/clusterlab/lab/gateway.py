"""Ports published on a lab network's own gateway address: "another host", inside the lab.

Lesson 8 emulates a second host with a container on a second network that reaches the
nodes only through published ports. Those ports must never be reachable from outside
the machine, so they are published on the **gateway address of a network the lab
itself created** (the host's side of that bridge), never on ``0.0.0.0``: only
containers on that network can reach it, and no traffic leaves the lab's networks.

A compose file names that address as ``${CLUSTERLAB_GATEWAY_<NETWORK KEY>}`` (the key
upper-cased, ``-`` and ``.`` as ``_``). The lab gives each of its networks a /24
(``subnets``), so the gateway is that subnet's first address; ``env`` sets the
variables for ``compose up``. ``on_lab_gateway`` is the one allowance ``Lab.up`` makes
for a published EPMD port (``stack.published_epmd``): bound to such a variable of a
network the file defines itself. Everything else that publishes 4369 is refused.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Any

PREFIX = "CLUSTERLAB_GATEWAY_"
_VAR = re.compile(r"^\$\{(" + PREFIX + r"[A-Z0-9_]+)(?::?[?-][^}]*)?\}$")


def var_name(key: str) -> str:
    """``site_b`` → ``CLUSTERLAB_GATEWAY_SITE_B``."""
    return PREFIX + re.sub(r"[^A-Z0-9]", "_", key.upper())


def env(model: Mapping[str, Any]) -> dict[str, str]:
    """``CLUSTERLAB_GATEWAY_<KEY>`` → the gateway address of every lab network that has
    an IPv4 subnet (its first address, which Docker gives the bridge)."""
    out = {}
    for key, network in (model.get("networks") or {}).items():
        network = network or {}
        if network.get("external"):
            continue
        for config in (network.get("ipam") or {}).get("config") or []:
            subnet = str(config.get("subnet", ""))
            if subnet and ":" not in subnet:
                gateway = config.get("gateway") or next(ipaddress.ip_network(subnet).hosts())
                out[var_name(key)] = str(gateway)
    return out


def port_parts(port: Any) -> tuple[str, str, str]:
    """(target, published, host_ip) of a compose port, long form or the short string
    that ``config --no-interpolate`` leaves when it holds a variable."""
    if isinstance(port, Mapping):
        return (str(port.get("target", "")), str(port.get("published") or ""),
                str(port.get("host_ip") or ""))
    text = str(port).rsplit("/", 1)[0]
    host_ip = ""
    if text.startswith("${") and "}:" in text:
        host_ip, _, text = text.partition("}:")
        host_ip += "}"
    parts = text.rsplit(":", 2)
    if len(parts) == 3:
        host_ip, published, target = parts
    elif len(parts) == 2:
        published, target = parts
    else:
        published, target = "", parts[0]
    return target, published, host_ip


def on_lab_gateway(host_ip: str, model: Mapping[str, Any]) -> bool:
    """True when ``host_ip`` is ``${CLUSTERLAB_GATEWAY_<KEY>}`` of a network this file
    defines (not an external one): the narrow allowance for published EPMD."""
    match = _VAR.match(host_ip.strip())
    if not match:
        return False
    own = {var_name(k) for k, n in (model.get("networks") or {}).items()
           if not (n or {}).get("external")}
    return match.group(1) in own

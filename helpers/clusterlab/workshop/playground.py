"""A compose file built from choices: the workshop panel's "build your own" lab.

Each knob is one pitfall from the lessons (which network a service joins, how nodes
are named, whether cookies match, how nodes find each other, who starts late), so a
learner can combine them and watch the result. Plain data in, a compose model out.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ..errors import InvalidOption

Naming = Literal["sname", "fqdn", "ip"]
Strategy = Literal["none", "once", "epmd", "epmd-retry", "dns_cluster", "dnspoll"]

NETWORKS = ("net_a", "net_b")
NAMINGS: dict[str, str] = {
    "sname": "short names: app@n1",
    "fqdn": "long names, FQDN host: app@n1.lab",
    "ip": "long names, IP host: app@172.x.y.z",
}
STRATEGIES: dict[str, str] = {
    "none": "none (manual Node.connect)",
    "once": "connect once at start-up (the seed's)",
    "epmd": "host list, no retry (libcluster Epmd default)",
    "epmd-retry": "host list, retry every 500 ms (Epmd + timeout)",
    "dns_cluster": "dns_cluster: poll `app.` with getbyname, dial app@IP",
    "dnspoll": "libcluster DNSPoll: poll `app` with lookup, dial app@IP, warn on failure",
}


@dataclass(frozen=True)
class Options:
    """What the panel lets you choose. Defaults give a healthy three-node mesh."""

    services: tuple[str, ...] = ("n1", "n2", "n3")
    networks: Mapping[str, str] = field(default_factory=dict)  # service → net_a | net_b
    naming: Naming = "fqdn"
    same_cookie: bool = True
    strategy: Strategy = "epmd-retry"
    late: str | None = None  # the service that starts late
    delay_ms: int = 0

    def network_of(self, service: str) -> str:
        return self.networks.get(service, NETWORKS[0])

    def node_of(self, service: str) -> str:
        """The node name the other nodes are told to dial."""
        return f"app@{service}" if self.naming == "sname" else f"app@{service}.lab"


def compose_model(options: Options) -> dict[str, Any]:
    """The compose model for ``options`` (JSON-able; Compose reads JSON as YAML)."""
    for service, network in sorted(options.networks.items()):
        if network not in NETWORKS:
            raise InvalidOption(f"networks[{service!r}] = {network!r}: choose one of "
                                f"{', '.join(NETWORKS)}.")
    if options.naming not in NAMINGS:
        raise InvalidOption(f"naming = {options.naming!r}: choose one of {', '.join(NAMINGS)}.")
    if options.strategy not in STRATEGIES:
        raise InvalidOption(f"strategy = {options.strategy!r}: choose one of "
                            f"{', '.join(STRATEGIES)}.")
    hosts = ",".join(options.node_of(s) for s in options.services)
    services: dict[str, Any] = {}
    for index, name in enumerate(options.services):
        env: dict[str, str] = {
            "RELEASE_COOKIE": "${ERL_COOKIE}" if options.same_cookie or index < len(
                options.services) - 1 else "${ERL_COOKIE}-other",
            # Partitions are noticed in ~4 s instead of 60 (see lesson 5).
            "ERL_AFLAGS": "-kernel net_ticktime 4",
        }
        spec: dict[str, Any] = {"image": "${CLUSTERLAB_IMAGE}", "environment": env}
        if options.naming == "sname":
            spec["hostname"] = name
            env.update(RELEASE_DISTRIBUTION="sname", RELEASE_NODE=f"app@{name}")
        elif options.naming == "fqdn":
            spec["hostname"] = f"{name}.lab"
            env.update(RELEASE_DISTRIBUTION="name", RELEASE_NODE=f"app@{name}.lab")
        else:
            env["NODE_NAME_BY_IP"] = "app"
        env.update(_strategy_env(options.strategy, hosts))
        if name == options.late and options.delay_ms > 0:
            env["STARTUP_DELAY_MS"] = str(options.delay_ms)
        # Every node answers to `app` too, so DNS polling finds them all.
        spec["networks"] = {options.network_of(name): {"aliases": ["app"]}}
        services[name] = spec
    used = sorted({options.network_of(s) for s in options.services})
    return {"services": services, "networks": {net: {} for net in used}}


def _strategy_env(strategy: str, hosts: str) -> dict[str, str]:
    if strategy == "none":
        return {"CLUSTER_STRATEGY": "none"}
    if strategy == "once":
        return {"CLUSTER_STRATEGY": "once", "CLUSTER_HOSTS": hosts}
    if strategy == "epmd":
        return {"CLUSTER_STRATEGY": "epmd", "CLUSTER_HOSTS": hosts}
    if strategy == "epmd-retry":
        return {"CLUSTER_STRATEGY": "epmd", "CLUSTER_HOSTS": hosts, "CLUSTER_TIMEOUT": "500"}
    if strategy == "dns_cluster":
        # The trailing dot keeps the search list (from dotted hostnames) out: lesson 4.
        return {"CLUSTER_STRATEGY": "dns_cluster", "DNS_CLUSTER_QUERY": "app.",
                "DNS_BASENAME": "app", "DNS_POLL_MS": "500"}
    return {"CLUSTER_STRATEGY": "dnspoll", "DNS_QUERY": "app", "DNS_BASENAME": "app",
            "DNS_POLL_MS": "500"}


def write(options: Options, folder: Path) -> Path:
    """Write the compose file for ``options`` into ``folder``; returns its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "compose.yaml"
    path.write_text(json.dumps(compose_model(options), indent=2))
    return path

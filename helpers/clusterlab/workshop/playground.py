"""A compose file built from choices: the workshop panel's "build your own" lab.

Each knob is one pitfall from the lessons (which network a service joins, how nodes
are named, whether cookies match, how nodes find each other, who starts late), so a
learner can combine them and watch the result. Plain data in, a project out: the
compose file and the release files a real project would write (``project_files``).

How many nodes: as many as the engine holds (``replica_limit``), from two figures
measured by ``bench/scale.py`` on a 2-core, 24 GiB Docker 20.10 host shared with other
labs (memory per node, and the nodes per core that still mesh within 30 s of ``up()``)
and the host kernel's neighbour table (a mesh of N nodes needs about N x N entries). A
bigger choice is refused with those figures, before anything starts.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ..catalogue import RELEASE_FILES
from ..errors import InvalidOption
from ..gates import engine, system

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


MEMORY_PER_NODE_MIB = 45
"""Measured: a lab node takes 38 MiB at 40 nodes and 44 MiB at 5 (``docker stats``, cache
excluded; ``bench/scale.py``); rounded up."""
NODES_PER_CORE = 20
"""Measured: 40 nodes on 2 cores meshed 24 s after ``up()`` began, with no nodedown and
no ``global`` disconnect, and a probe read all of them in under 0.6 s (``bench/scale.py
-n 40 --evidence``; ``tests/test_scale.py``), once the host's neighbour table held the mesh
(``system.fits_neighbour_table``). Beyond that is untested."""
MEMORY_SHARE = 0.5
"""The share of the engine's memory one playground lab may take (other labs, the kernel
and JupyterLab need the rest)."""
MIN_REPLICAS = 2
DEFAULT_REPLICAS = 3


@dataclass(frozen=True)
class Limit:
    """How many nodes this engine holds in one playground lab, and why."""

    nodes: int
    cpus: int
    memory_gib: float
    neighbours: int | None = None
    """The host kernel's neighbour table size (``gc_thresh3``), where it can be read."""

    def why(self) -> str:
        table = ("" if self.neighbours is None else
                 f", and a kernel neighbour table of {self.neighbours} entries (a mesh of N "
                 "nodes needs N x N; net.ipv4.neigh.default.gc_thresh3)")
        return (f"this engine ({self.cpus} CPUs, {self.memory_gib:.1f} GiB) holds at most "
                f"{self.nodes} nodes in one lab: measured {NODES_PER_CORE} nodes per core "
                f"mesh within 30 s of up(), and {MEMORY_PER_NODE_MIB} MiB per node against "
                f"{MEMORY_SHARE:.0%} of the engine's memory{table}")


def replica_limit(cpus: int, memory_bytes: int, neighbours: int | None = None) -> Limit:
    """The most nodes one lab may have on an engine with ``cpus``, ``memory_bytes`` and a
    kernel neighbour table of ``neighbours`` entries (None: not known)."""
    by_cpu = NODES_PER_CORE * max(1, cpus)
    by_memory = int(memory_bytes * MEMORY_SHARE / 2**20 / MEMORY_PER_NODE_MIB)
    by_table = math.isqrt(neighbours) if neighbours is not None else by_cpu
    return Limit(max(MIN_REPLICAS, min(by_cpu, by_memory, by_table)), cpus,
                 memory_bytes / 2**30, neighbours)


def machine_limit() -> Limit:
    """``replica_limit`` for the engine the labs run on (its CPUs and memory, which on
    Docker Desktop are the VM's, not the laptop's)."""
    info = engine.client().info()
    return replica_limit(int(info.get("NCPU", 1)), int(info.get("MemTotal", 0)),
                         system.neighbour_limit())


@dataclass(frozen=True)
class Options:
    """What the panel lets you choose. Defaults give a healthy three-node mesh."""

    replicas: int = DEFAULT_REPLICAS  # nodes n1 … nN
    networks: Mapping[str, str] = field(default_factory=dict)  # service → net_a | net_b
    naming: Naming = "fqdn"
    same_cookie: bool = True
    strategy: Strategy = "epmd-retry"
    late: str | None = None  # the service that starts late
    delay_ms: int = 0

    @property
    def services(self) -> tuple[str, ...]:
        return tuple(f"n{i}" for i in range(1, self.replicas + 1))

    def network_of(self, service: str) -> str:
        return self.networks.get(service, NETWORKS[0])

    def node_of(self, service: str) -> str:
        """The node name the other nodes are told to dial."""
        return f"app@{service}" if self.naming == "sname" else f"app@{service}.lab"


def check_replicas(options: Options, limit: Limit | None = None) -> None:
    """``InvalidOption`` if ``options`` asks for fewer than two nodes, or for more than
    ``limit`` holds (the message gives the measured limit and its reasons)."""
    if not isinstance(options.replicas, int) or options.replicas < MIN_REPLICAS:
        raise InvalidOption(f"replicas = {options.replicas!r}: a cluster needs at least "
                            f"{MIN_REPLICAS} nodes.")
    if limit is not None and options.replicas > limit.nodes:
        raise InvalidOption(f"replicas = {options.replicas}: {limit.why()}. "
                            f"Choose {limit.nodes} or fewer.")


def compose_model(options: Options) -> dict[str, Any]:
    """The compose model for ``options`` (JSON-able; Compose reads JSON as YAML)."""
    check_replicas(options)
    for service, network in sorted(options.networks.items()):
        if network not in NETWORKS:
            raise InvalidOption(f"networks[{service!r}] = {network!r}: choose one of "
                                f"{', '.join(NETWORKS)}.")
    if options.naming not in NAMINGS:
        raise InvalidOption(f"naming = {options.naming!r}: choose one of {', '.join(NAMINGS)}.")
    if options.strategy not in STRATEGIES:
        raise InvalidOption(f"strategy = {options.strategy!r}: choose one of "
                            f"{', '.join(STRATEGIES)}.")
    services: dict[str, Any] = {}
    for index, name in enumerate(options.services):
        env: dict[str, str] = {
            "RELEASE_COOKIE": "${ERL_COOKIE}" if options.same_cookie or index < len(
                options.services) - 1 else "${ERL_COOKIE}-other",
        }
        spec: dict[str, Any] = {"image": "${CLUSTERLAB_IMAGE}", "environment": env}
        if options.naming == "sname":
            spec["hostname"] = name
            env.update(RELEASE_DISTRIBUTION="sname", RELEASE_NODE=f"app@{name}")
        elif options.naming == "fqdn":
            spec["hostname"] = f"{name}.lab"
            env.update(RELEASE_DISTRIBUTION="name", RELEASE_NODE=f"app@{name}.lab")
        if name == options.late and options.delay_ms > 0:
            env["STARTUP_DELAY_MS"] = str(options.delay_ms)  # lab-only: a late starter
        # Every node answers to `app` too, so DNS polling finds them all.
        spec["networks"] = {options.network_of(name): {"aliases": ["app"]}}
        services[name] = spec
    used = sorted({options.network_of(s) for s in options.services})
    return {"services": services, "networks": {net: {} for net in used}}


_HEADER = "import Config\n\n# The panel's project: {what}.\n"


def runtime_exs(options: Options) -> str:
    """The project's config/runtime.exs for ``options.strategy``, as a project writes it."""
    hosts = ", ".join(f':"{options.node_of(s)}"' for s in options.services)
    if options.strategy == "none":
        return _HEADER.format(what="no clustering at all")
    if options.strategy == "once":
        return (_HEADER.format(what="the seed's connect_to_cluster, once at start-up")
                + f"config :clusterlab, :connect_to_cluster, [{hosts}]\n")
    if options.strategy in ("epmd", "epmd-retry"):
        retry = ", timeout: 500" if options.strategy == "epmd-retry" else ""
        return (_HEADER.format(what="libcluster Epmd, a fixed host list")
                + "config :libcluster,\n  topologies: [\n    epmd: [\n"
                "      strategy: Cluster.Strategy.Epmd,\n"
                f"      config: [hosts: [{hosts}]{retry}]\n    ]\n  ]\n")
    if options.strategy == "dns_cluster":
        # The trailing dot keeps the search list (from dotted hostnames) out: lesson 4.
        return (_HEADER.format(what="dns_cluster polls `app.` every 500 ms")
                + 'config :clusterlab, :dns_cluster_query, "app."\n'
                "config :clusterlab, :dns_cluster, interval: 500\n")
    return (_HEADER.format(what="libcluster DNSPoll polls `app` every 500 ms")
            + "config :libcluster,\n  topologies: [\n    dns_poll: [\n"
            "      strategy: Cluster.Strategy.DNSPoll,\n"
            '      config: [query: "app", node_basename: "app", polling_interval: 500]\n'
            "    ]\n  ]\n")


VM_ARGS = """## The panel's nodes notice a partition in ~4 s instead of 60 (lesson 5).
-kernel net_ticktime 4
## Idle schedulers don't spin: many small nodes share the machine's cores.
+sbwt none
+sbwtdcpu none
+sbwtdio none
"""

ENV_SH_BY_IP = """#!/bin/sh
# Name the node by its IPv4 address (app@172.18.0.3), as Kubernetes deployments do.
ip=$(hostname -i | tr ' ' '\\n' | grep -v ':' | head -n 1)
export RELEASE_DISTRIBUTION=name
export RELEASE_NODE="app@${ip}"
"""


def project_files(options: Options) -> dict[str, str]:
    """The panel's project: compose.yaml and its release files, path -> text."""
    files = {"compose.yaml": json.dumps(compose_model(options), indent=2),
             "config/runtime.exs": runtime_exs(options), "rel/vm.args.eex": VM_ARGS}
    if options.naming == "ip":
        files["rel/env.sh.eex"] = ENV_SH_BY_IP
    return files


def write(options: Options, folder: Path, limit: Limit | None = None) -> Path:
    """Write the project for ``options`` into ``folder`` (``project_files``; files of an
    earlier choice that no longer apply are removed); returns its compose file. More
    nodes than ``limit`` (default: this engine's, ``machine_limit``) are refused."""
    if limit is None and options.replicas > DEFAULT_REPLICAS:
        limit = machine_limit()  # the default three need no look at the engine
    check_replicas(options, limit)
    files = project_files(options)
    folder.mkdir(parents=True, exist_ok=True)
    for name in RELEASE_FILES:
        if name not in files:
            (folder / name).unlink(missing_ok=True)
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    return folder / "compose.yaml"

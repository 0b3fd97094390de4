"""Networks: BEAM services split across networks, references to services elsewhere, no
Docker DNS (CL1xx).
"""

from __future__ import annotations

import networkx as nx

from .beam import (
    NO_DNS_MODES,
    answering,
    beam_nodes,
    clusters,
    flags,
    referenced_hosts,
    renamed_network_key,
    service_networks,
    shares_network,
)
from .findings import Finding, rule
from .findings import env_key as _env_key
from .findings import finding as _f
from .findings import svc_key as _svc
from .model import Project

# -- networks ------------------------------------------------------------------------------


@rule(("CL101", "error", "BEAM services split across networks"))
def beam_split(project: Project) -> list[Finding]:
    return [f for group in clusters(project).values() for f in _split(project, list(group))]


def _split(project: Project, members: list[str]) -> list[Finding]:
    nodes = [s for s in members if service_networks(project, project.services[s])]
    graph = nx.Graph()
    graph.add_nodes_from(nodes)
    graph.add_edges_from((a, b) for i, a in enumerate(nodes) for b in nodes[i + 1:]
                         if shares_network(project, a, b))
    groups = sorted((sorted(c) for c in nx.connected_components(graph)), key=lambda g: g[0])
    if len(groups) < 2:
        return []
    text = " | ".join(", ".join(g) for g in groups)
    return [_f("CL101", nodes,
               f"BEAM services form {len(groups)} network islands ({text}); "
               "Docker DNS does not answer across them, so the nodes cannot connect.",
               "Give every BEAM service one common network (the same `networks:` entry, or no "
               "`networks:` at all so all share `default`).",
               [_svc(n, "networks") for g in groups[1:] for n in g]
               + [_svc(n, "networks") for n in groups[0]])]


@rule(("CL102", "error", "a service named in the environment is on another network"))
def unreachable_references(project: Project) -> list[Finding]:
    out = []
    for name, service in project.services.items():
        nets = service_networks(project, service)
        if not nets:
            continue
        for host, variables in sorted(referenced_hosts(service.environment).items()):
            if renamed_network_key(project, host) or answering(project, host, nets):
                continue
            owners = answering(project, host) - {name}
            if not owners:
                continue  # not a name of this file: outside our knowledge
            theirs = sorted({k for o in owners
                             for k in service_networks(project, project.services[o])})
            out.append(_f(
                "CL102", [name, *owners],
                f"{name} names `{host}` ({', '.join(sorted(variables))}) but is only on "
                f"{', '.join(sorted(nets))}, while {', '.join(sorted(owners))} is on "
                f"{', '.join(theirs)}: the lookup gives NXDOMAIN (`:nxdomain`).",
                f"Put {', '.join(sorted(owners))} on a network {name} is on "
                f"(e.g. `networks: [{sorted(nets)[0]}]`).",
                [_env_key(name, v) for v in sorted(variables)]
                + [_svc(o, "networks") for o in sorted(owners)]))
    return out


@rule(("CL104", "warning", "BEAM services reach each other only through a third"))
def partial_reach(project: Project) -> list[Finding]:
    """One island (CL101 is quiet), but some pairs share no network: a partial partition
    built into the file. Distribution is transitive, so the pair is dialled and fails;
    OTP 25's global then disconnects nodes that can still talk (lesson 9)."""
    out = []
    for group in clusters(project).values():
        nodes = sorted(s for s in group if service_networks(project, project.services[s])
                       and flags(project.services[s]).get("kernel.connect_all") != "false")
        apart = [(a, b) for i, a in enumerate(nodes) for b in nodes[i + 1:]
                 if not shares_network(project, a, b)]
        if not apart or _split(project, nodes):
            continue
        pairs = ", ".join(f"{a} and {b}" for a, b in apart)
        out.append(_f("CL104", sorted({s for pair in apart for s in pair}),
                      f"{pairs} share no network, but each shares one with another node of the "
                      "cluster: they will be told about each other and fail to connect. On OTP "
                      "25+ `global` then disconnects nodes that can still talk (\"in order to "
                      "prevent overlapping partitions\"), so Node.list flaps.",
                      "Give every node of the cluster a network in common with every other "
                      "(one shared network).",
                      [_svc(s, "networks") for pair in apart for s in pair]))
    return out


@rule(("CL103", "warning", "BEAM service without Docker DNS (network_mode)"))
def no_dns(project: Project) -> list[Finding]:
    out = []
    for name in beam_nodes(project):
        mode = project.services[name].network_mode or ""
        if mode in NO_DNS_MODES or mode.startswith("container:"):
            out.append(_f("CL103", [name],
                          f"{name} uses `network_mode: {mode}`: Docker's embedded DNS does not "
                          "answer service names there, so peers cannot find this node by name.",
                          "Drop `network_mode` and put the service on a user-defined network.",
                          [_svc(name, "network_mode")]))
    return out

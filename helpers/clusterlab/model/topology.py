"""Snapshot → networkx graph: plain data in, plain data out.

A directed edge A → B means "A lists B in ``Node.list()``", so one-sided views show up
as a single arrow. Node attributes carry the Docker side (networks, IPs, hostname) so
islands can be drawn and asserted.
"""

from __future__ import annotations

import itertools
from collections import Counter
from typing import TYPE_CHECKING

import networkx as nx

if TYPE_CHECKING:  # snapshot.py calls is_full_mesh at run time; this is for annotations
    from .snapshot import Snapshot


def to_graph(snapshot: Snapshot) -> nx.DiGraph:
    graph = nx.DiGraph(title=snapshot.title, taken_at=snapshot.taken_at)
    repeated = Counter(m.service for m in snapshot.members)
    key_of_node: dict[str, str] = {}
    for member in snapshot.members:
        key = member.container if repeated[member.service] > 1 else member.service
        graph.add_node(key, service=member.service, container=member.container,
                       node=member.node, hostname=member.hostname,
                       networks=tuple(member.networks), ips=tuple(member.networks.values()),
                       beam=member.is_node, error=member.error, ghost=False)
        if member.node:
            key_of_node[member.node] = key
    for member in snapshot.members:
        source = member.container if repeated[member.service] > 1 else member.service
        for peer in member.peers or ():
            target = key_of_node.get(peer)
            if target is None:  # listed, but no container of this lab carries that name
                target = peer
                graph.add_node(peer, service=peer, node=peer, networks=(), ips=(), beam=True,
                               ghost=True, hostname="", container="", error=None)
            graph.add_edge(source, target)
    graph.graph["networks"] = sorted({n for _, nets in graph.nodes(data="networks") for n in nets})
    return graph


def islands(graph: nx.DiGraph) -> list[set[str]]:
    """Groups of services that share at least one Docker network (DNS reaches only inside)."""
    shared = nx.Graph()
    shared.add_nodes_from(n for n, ghost in graph.nodes(data="ghost") if not ghost)
    by_network: dict[str, list[str]] = {}
    for node, networks in graph.nodes(data="networks"):
        for network in networks:
            by_network.setdefault(network, []).append(node)
    for members in by_network.values():
        shared.add_edges_from(itertools.pairwise(members))
    return sorted((set(c) for c in nx.connected_components(shared)), key=lambda s: sorted(s))


def clusters(graph: nx.DiGraph) -> list[set[str]]:
    """Erlang clusters that really formed: connected groups of BEAM nodes (singletons too)."""
    beam = graph.subgraph(n for n, is_beam in graph.nodes(data="beam") if is_beam)
    return sorted((set(c) for c in nx.weakly_connected_components(beam)),
                  key=lambda s: (-len(s), sorted(s)))


def one_sided(graph: nx.DiGraph) -> list[tuple[str, str]]:
    """Edges A → B where B does not list A back."""
    return sorted((a, b) for a, b in graph.edges if not graph.has_edge(b, a))


def is_full_mesh(graph: nx.DiGraph) -> bool:
    """Every BEAM node of the lab lists every other one. Replicas count one by one; a
    ghost (a name some node lists that no container of the lab carries) is not a member,
    so it neither breaks nor makes a mesh. ``Snapshot.is_full_mesh()`` is this."""
    nodes = [n for n, data in graph.nodes(data=True) if data["beam"] and not data["ghost"]]
    return len(nodes) > 1 and all(graph.has_edge(a, b) for a in nodes for b in nodes if a != b)

"""What one probe saw, as plain frozen data: the hand-off from observing to graphing.

``probe`` (observe/) fills these from inside the containers; ``to_graph`` (topology)
turns one into a networkx graph; the doctor and the exercise judge read them directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ..errors import ClusterLabError
from .topology import is_full_mesh, to_graph


@dataclass(frozen=True)
class DnsAnswer:
    """What ``nslookup NAME`` said inside one container."""

    name: str
    status: str  # "ok", "nxdomain" or "error"
    addresses: tuple[str, ...] = ()
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def __str__(self) -> str:
        return ", ".join(self.addresses) if self.ok else self.status.upper()


@dataclass(frozen=True)
class Placement:
    """Where the engine put one container: the Docker side of a ``Member``."""

    service: str
    container: str
    hostname: str
    networks: dict[str, str]  # Docker network → this container's IP on it
    aliases: dict[str, tuple[str, ...]]  # Docker network → DNS names the engine registered


@dataclass(frozen=True)
class Member:
    """One container of the lab, as the engine describes it and as it sees the cluster."""

    service: str
    container: str
    hostname: str
    networks: dict[str, str]  # Docker network → this container's IP on it
    aliases: dict[str, tuple[str, ...]]  # Docker network → DNS names the engine registered
    node: str | None  # Erlang node name; None when not distributed
    peers: tuple[str, ...] | None  # Node.list(); None when it could not be asked
    dns: dict[str, DnsAnswer] = field(default_factory=dict)
    error: str | None = None

    @classmethod
    def at(cls, place: Placement, *, node: str | None = None,
           peers: tuple[str, ...] | None = None, dns: dict[str, DnsAnswer] | None = None,
           error: str | None = None) -> Member:
        """The member in ``place``, with what its node said (or why it could not say)."""
        return cls(place.service, place.container, place.hostname, place.networks,
                   place.aliases, node, peers, dict(dns or {}), error)

    @property
    def is_node(self) -> bool:
        return self.node is not None


@dataclass(frozen=True)
class Snapshot:
    """Everything one probe saw, at one moment."""

    title: str
    taken_at: datetime
    seconds: float
    members: tuple[Member, ...]

    def member(self, service: str) -> Member:
        for member in self.members:
            if service in (member.service, member.container, member.node):
                return member
        raise ClusterLabError(f"No service {service!r} in this snapshot "
                              f"(it has {', '.join(m.service for m in self.members)}).")

    def resolves(self, source: str, name: str) -> bool:
        return self.member(source).dns[name].ok

    def peers(self, service: str) -> set[str]:
        """Services that ``service`` lists in ``Node.list()``."""
        by_node = {m.node: m.service for m in self.members if m.node}
        return {by_node.get(peer, peer) for peer in self.member(service).peers or ()}

    @property
    def nodes(self) -> list[Member]:
        return [m for m in self.members if m.is_node]

    @property
    def names(self) -> list[str]:
        seen: dict[str, None] = {}
        for member in self.members:
            seen.update(dict.fromkeys(member.dns))
        return list(seen)

    def is_full_mesh(self) -> bool:
        """Every node lists every other node: ``topology.is_full_mesh`` of this snapshot."""
        return is_full_mesh(to_graph(self))

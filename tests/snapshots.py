"""Hand-built snapshots for tests of pure logic (graph building, drawing, reports)."""

from datetime import UTC, datetime

from clusterlab.model.snapshot import DnsAnswer, Member, Snapshot


def member(service, networks, node=None, peers=None, dns=None, container=None):
    return Member(service=service, container=container or f"p-{service}-1", hostname=service,
                  networks={n: f"10.0.{i}.{len(service)}" for i, n in enumerate(networks)},
                  aliases={n: (service,) for n in networks}, node=node, peers=peers,
                  dns=dns or {})


def snapshot(*members):
    return Snapshot("test", datetime(2026, 1, 1, tzinfo=UTC), 0.01, tuple(members))


def islands_snapshot():
    """Lesson 1's shape: three BEAM nodes on one network, minio alone on default."""
    nodes = ["a@a.x", "b@b.x", "c@c.x"]
    beam = [member(s, ["p_msvc"], node=n, peers=tuple(p for p in nodes if p != n),
                   dns={"minio": DnsAnswer("minio", "nxdomain")})
            for s, n in zip("abc", nodes, strict=True)]
    return snapshot(*beam, member("minio", ["p_default"],
                                  dns={"minio": DnsAnswer("minio", "ok", ("10.0.0.5",))}))

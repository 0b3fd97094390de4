"""Plain-text views of a snapshot, for the terminal and for notebook cells."""

from __future__ import annotations

from collections.abc import Sequence

from ..model.snapshot import Snapshot
from ..model.topology import clusters, islands, to_graph


def table(rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(str(cell).ljust(w) for cell, w in zip(row, widths)).rstrip()
             for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def nodes_table(snapshot: Snapshot) -> str:
    rows = [("service", "networks", "erlang node", "Node.list()")]
    for m in snapshot.members:
        peers = "—" if not m.is_node else (m.error or ", ".join(sorted(snapshot.peers(m.service)))
                                         or "[]")
        rows.append((m.service, ", ".join(m.networks), m.node or "(not distributed)", peers))
    return table(rows)


def dns_table(snapshot: Snapshot) -> str:
    names = snapshot.names
    rows = [("from \\ name", *names)]
    rows += [(m.service, *(str(m.dns[n]) if n in m.dns else "—" for n in names))
             for m in snapshot.members]
    return table(rows)


def summary(snapshot: Snapshot) -> str:
    graph = to_graph(snapshot)
    isl = " | ".join(", ".join(sorted(group)) for group in islands(graph))
    clu = " | ".join(", ".join(sorted(group)) for group in clusters(graph))
    return (f"{snapshot.title}  (probed in {snapshot.seconds * 1000:.0f} ms)\n"
            f"network islands: {isl}\nerlang clusters: {clu or 'none'}")


def render(snapshot: Snapshot) -> str:
    return "\n\n".join([summary(snapshot), nodes_table(snapshot), dns_table(snapshot)])

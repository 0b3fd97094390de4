"""The learner's topology next to the intended one, with what is missing marked in red.

Left: the cluster and Docker networks the learner's file really produced (as
``draw_topology`` draws any lab), plus a red dotted line for every Erlang connection or
DNS lookup that the exercise expects and the run did not show. Right: the intended
topology, drawn from ``expected.toml`` alone: which nodes connect and who must resolve
whom. It shows what must hold, not which keys to write.
"""

from __future__ import annotations

import itertools

import networkx as nx
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ..model.topology import to_graph
from ..workshop.judge import CheckReport
from ..workshop.spec import Cluster, Expected, Replicas, Resolve
from .display import figure
from .draw import draw_topology, layout

_MISSING, _WANTED = "#d62728", "#2ca02c"


def intended_graph(expected: Expected) -> nx.DiGraph:
    """The topology ``expected`` asks for: every clustered pair connected both ways."""
    graph = nx.DiGraph(title="intended")
    beam = set(expected.beam)
    replicas = {c.service: c.count for c in expected.criteria if isinstance(c, Replicas)}
    for service in expected.services:
        # replicas of one service (lesson 7) are drawn one by one: app.1, app.2, …
        for key in ([f"{service}.{i}" for i in range(1, replicas[service] + 1)]
                    if service in replicas else [service]):
            graph.add_node(key, service=service, beam=service in beam or service in replicas,
                           networks=(), ips=(), ghost=False, node=None, hostname="",
                           container="", error=None)
    for criterion in expected.criteria:
        if isinstance(criterion, Cluster):
            graph.add_edges_from(itertools.permutations(criterion.services, 2))
        elif isinstance(criterion, Replicas):
            keys = [f"{criterion.service}.{i}" for i in range(1, criterion.count + 1)]
            graph.add_edges_from(itertools.permutations(keys, 2))
    graph.graph["networks"] = []
    return graph


def wanted_lookups(expected: Expected) -> list[tuple[str, str]]:
    """(source, service) pairs where the source must resolve the service's name."""
    services = set(expected.services)
    return [(source, name) for c in expected.criteria if isinstance(c, Resolve)
            for source in c.sources for name in c.names if name in services]


def missing_links(report: CheckReport) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(connections, lookups) the exercise expects and the learner's run did not show."""
    snap = report.snapshot
    if snap is None:
        return [], []
    running = {m.service for m in snap.members}
    graph = to_graph(snap)
    connections = sorted({tuple(sorted(pair)) for pair in intended_graph(report.expected).edges
                          if pair[0] in running and pair[1] in running
                          and not graph.has_edge(*pair)})
    lookups = [(src, name) for src, name in wanted_lookups(report.expected)
               if src in running and name in running
               and (answer := snap.member(src).dns.get(name)) is not None
               and not answer.ok]
    return connections, lookups


def _line(ax: Axes, pos: dict, a: str, b: str, colour: str, curve: float, mark: str = "") -> None:
    ax.annotate("", xy=pos[b], xytext=pos[a],
                arrowprops={"arrowstyle": "-|>" if curve else "-", "color": colour, "lw": 1.6,
                            "ls": ":", "shrinkA": 14, "shrinkB": 14,
                            "connectionstyle": f"arc3,rad={curve}"})
    if mark:
        (xa, ya), (xb, yb) = pos[a], pos[b]
        ax.text((xa + xb) / 2, (ya + yb) / 2, mark, color=colour, fontsize=12,
                fontweight="bold", ha="center", va="center")


def draw_check(report: CheckReport) -> Figure:
    """Your stack (left) next to the intended topology (right), gaps in red."""
    fig = figure((13, 4.8))
    mine, intended = fig.subplots(1, 2)
    if report.snapshot is None:
        mine.text(0.5, 0.5, "your file did not start:\nread the report above", ha="center",
                  va="center", fontsize=11, color=_MISSING)
        mine.axis("off")
        mine.set_title("your stack", fontsize=11)
    else:
        graph = to_graph(report.snapshot)
        draw_topology(graph, ax=mine, title="your stack")
        pos = layout(graph)
        connections, lookups = missing_links(report)
        for a, b in connections:
            _line(mine, pos, a, b, _MISSING, 0.0, "✗")
        for src, name in lookups:
            _line(mine, pos, src, name, _MISSING, 0.25)
    goal = intended_graph(report.expected)
    draw_topology(goal, ax=intended, title="intended")
    goal_pos = layout(goal)
    for src, name in wanted_lookups(report.expected):
        _line(intended, goal_pos, src, name, _WANTED, 0.25)
    source = mine.get_legend() or intended.get_legend()
    handles = list(source.legend_handles) if source else []
    for ax in (mine, intended):
        if ax.get_legend():
            ax.get_legend().remove()
    handles += [
        Line2D([], [], color=_MISSING, lw=1.6, ls=":", label="expected but missing (✗: no link)"),
        Line2D([], [], color=_WANTED, lw=1.6, ls=":", label="must resolve by name"),
    ]
    fig.legend(handles=handles, loc="lower center", ncol=4, fontsize=8, frameon=False)
    verdict = "PASSED" if report.passed else f"NOT YET: {len(report.problems)} problem(s)"
    fig.suptitle(f"{report.file.parent.name}/{report.file.name} — {verdict}", fontsize=12)
    fig.tight_layout(rect=(0, 0.1, 1, 0.95))
    return fig

"""Pictures of a lab: the cluster graph with Docker networks shaded, and the DNS matrix.

Functions build a matplotlib ``Figure`` without pyplot, so they work headless (CLI, CI)
and display once in Jupyter. Layout depends only on names, so a redraw of the same lab
puts every node in the same place.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import networkx as nx
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyBboxPatch, Patch

from ..model.snapshot import Snapshot
from .display import figure

_PALETTE = ["#4C72B0", "#DD8452", "#55A868", "#C44E52", "#8172B3", "#937860", "#DA8BC3"]
_OK, _BAD, _ERR = "#8fd18f", "#f08080", "#d9d9d9"


def layout(graph: nx.DiGraph) -> dict[str, tuple[float, float]]:
    """Nodes grouped by the set of networks they are on; groups side by side, circles within."""
    groups: dict[tuple[str, ...], list[str]] = {}
    for node, networks in sorted(graph.nodes(data="networks")):
        groups.setdefault(tuple(sorted(networks)), []).append(node)
    positions: dict[str, tuple[float, float]] = {}
    x = 0.0
    for _, members in sorted(groups.items()):
        radius = 0.0 if len(members) == 1 else 0.45 * len(members) / math.pi + 0.35
        for i, node in enumerate(members):
            angle = math.pi / 2 - 2 * math.pi * i / len(members)
            positions[node] = (x + radius + radius * math.cos(angle), radius * math.sin(angle))
        x += 2 * radius + 1.6
    return positions


def _shade_networks(ax: Axes, graph: nx.DiGraph, pos: dict[str, tuple[float, float]]) -> list:
    handles = []
    for index, network in enumerate(graph.graph.get("networks", [])):
        points = [pos[n] for n, nets in graph.nodes(data="networks") if network in nets]
        colour = _PALETTE[index % len(_PALETTE)]
        pad = 0.55 + 0.12 * index
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        box = FancyBboxPatch((min(xs) - pad, min(ys) - pad), max(xs) - min(xs) + 2 * pad,
                             max(ys) - min(ys) + 2 * pad,
                             boxstyle="round,pad=0.02,rounding_size=0.3",
                             facecolor=colour, alpha=0.13, edgecolor=colour, linewidth=1.5)
        ax.add_patch(box)
        handles.append(Patch(facecolor=colour, alpha=0.35, edgecolor=colour,
                             label=f"network {network}"))
    return handles


def draw_topology(graph: nx.DiGraph, ax: Axes | None = None, title: str | None = None) -> Figure:
    """The cluster that formed: arrows for ``Node.list()``, boxes for Docker networks."""
    fig, ax = _canvas(ax, (8, 4.5))
    pos = layout(graph)
    handles = _shade_networks(ax, graph, pos)
    beam = [n for n, b in graph.nodes(data="beam") if b]
    other = [n for n, b in graph.nodes(data="beam") if not b]
    nx.draw_networkx_nodes(graph, pos, nodelist=beam, node_color="#2b6cb0", node_size=900, ax=ax)
    nx.draw_networkx_nodes(graph, pos, nodelist=other, node_color="#9e9e9e", node_shape="s",
                           node_size=800, ax=ax)
    mutual = [(a, b) for a, b in graph.edges if graph.has_edge(b, a)]
    single = [(a, b) for a, b in graph.edges if not graph.has_edge(b, a)]
    nx.draw_networkx_edges(graph, pos, edgelist=mutual, ax=ax, arrows=True, arrowstyle="<|-|>",
                           width=1.8, edge_color="#333333", node_size=900)
    nx.draw_networkx_edges(graph, pos, edgelist=single, ax=ax, arrows=True, arrowstyle="-|>",
                           width=1.8, edge_color="#e07b00", style="dashed", node_size=900,
                           connectionstyle="arc3,rad=0.15")
    for node, (x, y) in pos.items():
        ax.annotate(node, (x, y), xytext=(0, -24), textcoords="offset points", ha="center",
                    va="top", fontsize=9, fontweight="bold")
    handles += [
        Line2D([], [], marker="o", color="w", markerfacecolor="#2b6cb0", markersize=11,
               label="BEAM node"),
        Line2D([], [], marker="s", color="w", markerfacecolor="#9e9e9e", markersize=10,
               label="other service"),
        Line2D([], [], color="#333333", lw=1.8, label="connected (both list each other)"),
        Line2D([], [], color="#e07b00", lw=1.8, ls="--", label="one-sided Node.list()"),
    ]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8,
              frameon=False)
    ax.set_title(title or graph.graph.get("title", ""), fontsize=11)
    ax.set_aspect("equal")
    ax.margins(0.15)
    ax.axis("off")
    fig.tight_layout()
    return fig


def draw_dns_matrix(snapshot: Snapshot, names: Sequence[str] | None = None,
                    ax: Axes | None = None) -> Figure:
    """Rows: containers asking. Columns: names asked. Green resolves, red is NXDOMAIN."""
    names = list(names or snapshot.names)
    rows = list(snapshot.members)
    fig, ax = _canvas(ax, (1.4 + 1.3 * len(names), 0.9 + 0.45 * len(rows)))
    for r, member in enumerate(rows):
        for c, name in enumerate(names):
            answer = member.dns.get(name)
            colour = _ERR if answer is None else _OK if answer.ok else \
                _BAD if answer.status == "nxdomain" else _ERR
            ax.add_patch(FancyBboxPatch((c + 0.04, r + 0.06), 0.92, 0.88,
                                        boxstyle="round,pad=0,rounding_size=0.08",
                                        facecolor=colour, edgecolor="white"))
            text = "—" if answer is None else str(answer).replace(", ", "\n")
            ax.text(c + 0.5, r + 0.5, text, ha="center", va="center", fontsize=7)
    ax.set_xlim(0, len(names))
    ax.set_ylim(len(rows), 0)
    ax.set_xticks([c + 0.5 for c in range(len(names))], names, rotation=30, ha="left",
                  fontsize=8)
    ax.xaxis.tick_top()
    ax.set_yticks([r + 0.5 for r in range(len(rows))], [m.service for m in rows], fontsize=8)
    ax.tick_params(length=0)
    for side in ax.spines.values():
        side.set_visible(False)
    ax.set_title(f"DNS from inside each container — {snapshot.title}", fontsize=10, pad=28)
    fig.tight_layout()
    return fig


def draw_series(graphs: Sequence[nx.DiGraph], titles: Sequence[str]) -> Figure:
    """Several graphs side by side: a cluster over time (before, during, after)."""
    fig = figure((4.2 * len(graphs), 3.8))
    axes = fig.subplots(1, len(graphs), squeeze=False)[0]
    for graph, title, ax in zip(graphs, titles, axes):
        draw_topology(graph, ax=ax, title=title)
        if ax.get_legend():
            ax.get_legend().remove()
    fig.tight_layout()
    return fig


def _canvas(ax: Axes | None, size: tuple[float, float]) -> tuple[Figure, Axes]:
    if ax is not None:
        return ax.figure, ax
    fig = figure(size)
    return fig, fig.add_subplot()

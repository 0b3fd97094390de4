"""Lesson 9's pictures: how long until a failed node is noticed, and Node.list over time."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from matplotlib.figure import Figure

from ..model.snapshot import Snapshot
from ..observe.detection import KINDS, Detection, peer_counts, slowest, window
from .display import show_in_notebooks


def draw_detection(runs: Mapping[float, Sequence[Detection]]) -> Figure:
    """One chart: seconds until the last witness logged the nodedown, per fault kind, one
    bar group per ``net_ticktime``; the shaded band is each tick time's 3/4–5/4 window."""
    show_in_notebooks()
    fig = Figure(figsize=(9, 4.2), layout="constrained")
    ax = fig.add_subplot()
    colours = ["#4C72B0", "#DD8452", "#55A868", "#C44E52"]
    width = 0.8 / max(len(runs), 1)
    for index, (ticktime, found) in enumerate(sorted(runs.items())):
        xs, heights = [], []
        for position, kind in enumerate(KINDS):
            if any(d.fault.kind == kind for d in found):
                xs.append(position + (index - (len(runs) - 1) / 2) * width)
                heights.append(max(slowest(found, kind), 0.01))
        colour = colours[index % len(colours)]
        bars = ax.bar(xs, heights, width * 0.9, color=colour, label=f"net_ticktime {ticktime:g} s")
        ax.bar_label(bars, fmt="%.2g s", fontsize=8)
        low, high = window(ticktime)
        ax.axhspan(low, high, color=colour, alpha=0.12)
    ax.set_yscale("log")
    ax.set_xticks(range(len(KINDS)), ["kill\n(socket closed)", "stop\n(clean shutdown)",
                                      "pause\n(silent)", "network disconnect\n(silent)"])
    ax.set_ylabel("seconds until every witness saw nodedown")
    ax.set_title("How long until the cluster notices a failed node")
    ax.legend(loc="upper left")
    return fig


def draw_timeline(runs: Mapping[str, Sequence[Snapshot]]) -> Figure:
    """``Node.list()`` over time: one panel per run, one step line per node."""
    show_in_notebooks()
    fig = Figure(figsize=(10, 2.4 * len(runs)), layout="constrained")
    axes = fig.subplots(len(runs), 1, sharex=True, squeeze=False)[:, 0]
    for ax, (title, snapshots) in zip(axes, runs.items(), strict=True):
        for offset, (service, points) in enumerate(sorted(peer_counts(snapshots).items())):
            xs = [p[0] for p in points]
            ys = [p[1] + 0.06 * (offset - 1) for p in points]
            ax.step(xs, ys, where="post", label=service, linewidth=1.8)
        ax.set_yticks([0, 1, 2])
        ax.set_ylim(-0.4, 2.4)
        ax.set_ylabel("nodes listed")
        ax.set_title(title, fontsize=10)
        ax.legend(loc="upper right", fontsize=8, ncols=3)
    axes[-1].set_xlabel("seconds")
    return fig

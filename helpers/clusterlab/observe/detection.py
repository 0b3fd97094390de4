"""Failure detection (lesson 9): fail nodes in different ways and time who notices when.

A node can fail loudly or silently. ``docker kill`` and ``docker stop`` end the process,
so the kernel closes its sockets and every peer reads the end of the connection at once.
``docker pause`` (the cgroup freezer) and ``docker network disconnect`` leave the
connections open and silent: a peer declares the node down only when its distribution
tick finds nothing received for about ``net_ticktime`` (between 3/4 and 5/4 of it).

Every time here is the engine's own log timestamp of a witness's
``[clusterlab] nodedown :"node"`` line (``ClusterLab.NodeMonitor``), against a wall-clock
stamp taken just before (and just after) the fault was injected.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from ..errors import ClusterLabError, ConvergenceTimeout
from ..gates import engine
from ..lab import commands
from ..lab.lifecycle import Lab
from ..model.snapshot import Snapshot
from ..waiting import wait_until

KINDS = ("kill", "stop", "pause", "disconnect")
"""The ways a node fails, loud first: closed socket, clean stop, frozen, cut off."""

SILENT = ("pause", "disconnect")

WHAT = {
    "kill": "docker kill (SIGKILL: the process is gone, the kernel closes its sockets)",
    "stop": "docker stop (SIGTERM: the release shuts down and closes its connections)",
    "pause": "docker pause (frozen: sockets open, nothing answers)",
    "disconnect": "docker network disconnect (running, packets go nowhere)",
}


@dataclass(frozen=True)
class Fault:
    """One fault injected into ``service`` (node ``node``), between ``before`` and ``after``."""

    kind: str
    service: str
    node: str
    before: datetime
    after: datetime


@dataclass(frozen=True)
class Detection:
    """When ``witness`` logged the nodedown of the fault's node (None: it never did)."""

    fault: Fault
    witness: str
    at: datetime | None

    @property
    def seconds(self) -> float:
        """From the moment the fault began to the witness's nodedown line."""
        if self.at is None:
            return float("inf")
        return (self.at - self.fault.before).total_seconds()

    @property
    def at_most(self) -> float:
        """From the moment the fault was surely in place: the tightest upper bound."""
        if self.at is None:
            return float("inf")
        return (self.at - self.fault.after).total_seconds()


def window(ticktime: float) -> tuple[float, float]:
    """When a silent peer is declared down: between 3/4 and 5/4 of ``net_ticktime``."""
    return 0.75 * ticktime, 1.25 * ticktime


def fail(lab: Lab, victims: Mapping[str, str], nodes: Mapping[str, str]) -> list[Fault]:
    """Inject ``{kind: service}`` faults one right after the other (stops run aside, so
    a slow shutdown does not delay the next fault). Returns when each began and ended."""
    faults, stops = [], []
    for kind, service in victims.items():
        before = datetime.now(UTC)
        if kind == "kill":
            lab.kill(service)
        elif kind == "stop":
            stops.append(lab.stop_in_background(service))
        elif kind == "pause":
            lab.pause(service)
        elif kind == "disconnect":
            lab.disconnect(service)
        else:
            raise ClusterLabError(f"unknown fault {kind!r}: one of {', '.join(KINDS)}")
        faults.append(Fault(kind, service, nodes[service], before, datetime.now(UTC)))
    for thread in stops:
        thread.join(30)
    return faults


def restore(lab: Lab, faults: Iterable[Fault]) -> None:
    """Undo what can be undone in place: unpause, plug back in. Safe to call twice."""
    for fault in faults:
        if fault.kind == "pause":
            lab.unpause(fault.service)
        elif fault.kind == "disconnect" and any(s == fault.service for s, _ in lab._cut):
            lab.connect(fault.service)


def nodedown_line(lab: Lab, witness: str, node: str, since: datetime) -> datetime | None:
    lines = lab.log_lines(witness, f'[clusterlab] nodedown :"{node}"', since=since)
    return lines[0].at if lines else None


def detections(lab: Lab, faults: Sequence[Fault], witnesses: Sequence[str],
               timeout: float) -> list[Detection]:
    """Wait (up to ``timeout`` s after the first fault) until every witness has logged the
    nodedown of every faulted node; one ``Detection`` per witness and fault."""
    def seen() -> list[Detection] | None:
        found = [Detection(f, w, nodedown_line(lab, w, f.node, f.before))
                 for f in faults for w in witnesses]
        return found if all(d.at for d in found) else None

    start = min(f.before for f in faults)
    left = timeout - (datetime.now(UTC) - start).total_seconds()
    try:
        return wait_until(seen, max(left, 1.0), interval=0.25,
                          what="every witness's nodedown line")
    except ConvergenceTimeout:
        return [Detection(f, w, nodedown_line(lab, w, f.node, f.before))
                for f in faults for w in witnesses]


def slowest(found: Iterable[Detection], kind: str) -> float:
    """The last witness to notice a fault of ``kind``: when the whole cluster knew."""
    return max(d.seconds for d in found if d.fault.kind == kind)


def table(runs: Mapping[float, Sequence[Detection]]) -> str:
    """One row per tick time and fault: each witness's seconds, and the expected window."""
    rows = [f"{'net_ticktime':>12}  {'fault':<10} {'noticed after (s), per witness':<32}"
            " silent window"]
    for ticktime, found in runs.items():
        low, high = window(ticktime)
        for kind in KINDS:
            mine = [d for d in found if d.fault.kind == kind]
            if not mine:
                continue
            times = ", ".join(f"{d.witness} {d.seconds:.2f}" for d in mine)
            rows.append(f"{ticktime:>12g}  {kind:<10} {times:<32} "
                        + (f"{low:g}–{high:g} s" if kind in SILENT else ""))
    return "\n".join(rows)


def peer_counts(snapshots: Sequence[Snapshot]) -> dict[str, list[tuple[float, int]]]:
    """Per service, (seconds since the first snapshot, how many nodes it lists)."""
    start = snapshots[0].taken_at
    series: dict[str, list[tuple[float, int]]] = {}
    for snap in snapshots:
        at = (snap.taken_at - start).total_seconds()
        for member in snap.members:
            if member.is_node:
                series.setdefault(member.service, []).append((at, len(member.peers or ())))
    return series


EPMD_HEX = "1111"  # 4369, as /proc/net/tcp writes ports


def count_epmd_connections(proc_net_tcp: str, ip: str) -> int:
    """Connections in ``/proc/net/tcp`` text to EPMD (4369) on the IPv4 address ``ip``
    that are open or opening (ESTABLISHED 01, SYN_SENT 02)."""
    target = "".join(f"{int(octet):02X}" for octet in reversed(ip.split("."))) + ":" + EPMD_HEX
    count = 0
    for row in proc_net_tcp.splitlines()[1:]:
        fields = row.split()
        if len(fields) > 3 and fields[2] == target and fields[3] in ("01", "02"):
            count += 1
    return count


def epmd_connections(lab: Lab, service: str, ip: str) -> int:
    """How many TCP connections ``service`` has open to EPMD on ``ip``: a dial in progress
    to a frozen node shows up here even when the strategy logs nothing. (A paused
    container's kernel still completes the handshake; its EPMD never answers, so each
    dial hangs until ``net_setuptime``, 7 s.)"""
    container = lab.container(service)
    lab._record(commands.docker("exec", container.name, "cat", "/proc/net/tcp"))
    return count_epmd_connections(engine.exec_in(container, ["cat", "/proc/net/tcp"]).output, ip)

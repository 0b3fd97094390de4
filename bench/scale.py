"""The scale curve: lesson 4's IP-named replicas (dns_cluster) at N = 5, 10, 20, 40.

    .venv/bin/python bench/scale.py                      # the curve, the PNG, the targets
    .venv/bin/python bench/scale.py -n 40 --evidence     # also why a big lab is slow
    .venv/bin/python bench/scale.py --png /tmp/s.png -n 5 -n 10

For each N: `up()` (compose up until every node printed its ready line), the time from
then until one probe sees a full mesh, one fast probe (median of 5, `lab.probe()` wall
time, container listing included) against one exhaustive probe (a `docker exec` per
container), and memory per node (`docker stats`, cache excluded). With --evidence, the
per-probe history of the convergence (how many nodes list N-1 peers, how many list none,
how many could not be read), every node's nodedown and `global` disconnect log lines,
the load average and the CPU seconds the nodes burnt. Then each issue-14 target this
covers, as `figure | now | target | how measured`. The host is shared: other labs run at
the same time, so every figure prints the load average it was taken under.
"""

from __future__ import annotations

import argparse
import collections
import statistics
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import clusterlab as cl
from clusterlab.gates import engine
from clusterlab.lab.lifecycle import Lab
from clusterlab.model.snapshot import Snapshot
from clusterlab.observe.probe import probe
from clusterlab.progress import quiet

from bench import five_node_figures  # bench/bench.py: the 5-node figures, shared

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Point:
    n: int
    up: float
    mesh_after_up: float | None
    probe: float
    exhaustive: float
    memory_mib: float
    load: str
    history: list[str] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def memory_mib(container) -> float:
    """What `docker stats` shows: usage minus the page cache."""
    stats = container.stats(stream=False, one_shot=True)["memory_stats"]
    cache = stats.get("stats", {}).get("inactive_file", 0)
    return (stats.get("usage", 0) - cache) / 2**20


def cpu_seconds(container) -> float:
    stats = container.stats(stream=False, one_shot=True)
    return stats["cpu_stats"]["cpu_usage"]["total_usage"] / 1e9


def census(snapshot: Snapshot, n: int) -> str:
    """One probe, counted: full views, empty views, unread nodes, anything in between."""
    full = sum(1 for m in snapshot.members if m.peers is not None and len(m.peers) == n - 1)
    empty = sum(1 for m in snapshot.members if m.peers == ())
    unread = sum(1 for m in snapshot.members if m.peers is None)
    partial = len(snapshot.members) - full - empty - unread
    # A node finds its peers through Docker's DNS: how many addresses did `app` give?
    answers = collections.Counter(len(m.dns["app"].addresses) if m.dns["app"].ok
                                  else m.dns["app"].status for m in snapshot.members
                                  if "app" in m.dns)
    return (f"{full:>3} full  {partial:>3} partial  {empty:>3} empty  {unread:>3} unread"
            f"  DNS app→{dict(answers)}  (probe {snapshot.seconds:.2f} s)")


def node_logs(lab: Lab) -> list[str]:
    """Every node's nodedown lines and `global`'s disconnects, and crashes: a node that
    really flapped logged them."""
    counts: collections.Counter[str] = collections.Counter()
    for container in lab.containers():
        text = container.logs().decode(errors="replace")
        counts["nodeup lines"] += text.count("[clusterlab] nodeup")
        counts["nodedown lines"] += text.count("[clusterlab] nodedown")
        counts["global disconnects (prevent overlapping partitions)"] += text.count("overlapping")
        counts["process crashes (error reports)"] += text.count("[error]")
    return [", ".join(f"{what}: {count}" for what, count in counts.items())]


def timings(lab: Lab, began: datetime) -> list[str]:
    """Where up() went, from the engine's own timestamps: containers started by Compose,
    and each node's boot (start to its ready line)."""
    started, boots = [], []
    for container in lab.containers():
        at = datetime.fromisoformat(container.attrs["State"]["StartedAt"][:26] + "+00:00")
        started.append((at - began).total_seconds())
        ready = next((line for line in container.logs(timestamps=True).decode(
            errors="replace").splitlines() if "[clusterlab] ready" in line), None)
        if ready:
            boots.append((datetime.fromisoformat(ready[:26] + "+00:00") - at).total_seconds())
    return [f"Compose started the containers from +{min(started):.1f} s to "
            f"+{max(started):.1f} s after up() began",
            f"boot to ready line per node: median {statistics.median(boots):.1f} s, "
            f"max {max(boots):.1f} s"]


def misreads(lab: Lab, n: int, rounds: int = 3) -> list[str]:
    """The same converged lab read both ways, alternately: a probe that misreads under
    load shows up here (and an unread node is `unread`, never `empty`)."""
    lines = []
    for _ in range(rounds):
        for exhaustive in (True, False):
            snapshot = probe(lab.containers(), ["app"], exhaustive=exhaustive)
            errors = collections.Counter((m.error or "")[:50] for m in snapshot.members
                                         if m.error)
            lines.append(f"{'exec per container' if exhaustive else 'observer':<18} "
                         f"{census(snapshot, n)}  errors {dict(errors) or 'none'}  "
                         f"load {load()}")
    return lines


def point(n: int, poll_ms: int | None, evidence: bool, timeout: float) -> Point:
    env = {"REPLICAS": str(n)}
    if poll_ms:
        env["DNS_POLL_MS"] = str(poll_ms)
    lab = Lab.create("04", "replicas", env=env, progress=quiet)
    up_began = datetime.now(UTC)
    started = time.monotonic()
    lab.up(timeout=240)
    up = time.monotonic() - started
    try:
        history: list[str] = []
        began = time.monotonic()
        mesh_after: float | None = None
        while time.monotonic() - began < timeout:
            snapshot = lab.probe(["app"])
            history.append(f"t+{time.monotonic() - began:5.1f} s  {census(snapshot, n)}"
                           f"  load {load()}")
            if snapshot.is_full_mesh():
                mesh_after = time.monotonic() - began
                break
        fast = []
        for _ in range(5):
            at = time.monotonic()
            lab.probe(["app"])
            fast.append(time.monotonic() - at)
        at = time.monotonic()
        probe(lab.containers(), ["app"], exhaustive=True)
        exhaustive = time.monotonic() - at
        containers = lab.containers()
        memory = engine.parallel(memory_mib, containers)
        found = Point(n, up, mesh_after, statistics.median(fast), exhaustive,
                      statistics.median(memory), load(), history)
        if evidence:
            cpu = engine.parallel(cpu_seconds, containers)
            found.evidence = [*timings(lab, up_began), *misreads(lab, n), *node_logs(lab),
                              f"CPU seconds per node since boot: median "
                              f"{statistics.median(cpu):.1f}, max {max(cpu):.1f}"]
        return found
    finally:
        lab.down()


def plot(points: list[Point], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ns = [p.n for p in points]
    fig, (times, memory) = plt.subplots(1, 2, figsize=(10, 4))
    times.plot(ns, [p.up for p in points], "o-", label="up()")
    times.plot(ns, [p.mesh_after_up or float("nan") for p in points], "o-",
               label="full mesh after up")
    times.plot(ns, [p.probe for p in points], "o-", label="one probe")
    times.plot(ns, [p.exhaustive for p in points], "o--", label="one probe, exec per container")
    times.set(xlabel="replicas", ylabel="seconds", title="lesson 4 replicas (dns_cluster)")
    times.legend()
    memory.bar([str(n) for n in ns], [p.memory_mib for p in points])
    memory.set(xlabel="replicas", ylabel="MiB", title="memory per node (median)")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)


def row(figure: str, now: str, target: str, how: str) -> None:
    print(f"{figure} | {now} | {target} | {how}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, action="append", help="replicas (repeatable); "
                        "default 5, 10, 20, 40")
    parser.add_argument("--png", type=Path, default=ROOT / "build/bench/scale.png")
    parser.add_argument("--poll-ms", type=int, help="DNS_POLL_MS for the replicas "
                        "(default: the lesson file's)")
    parser.add_argument("--evidence", action="store_true", help="why a big lab is slow")
    parser.add_argument("--timeout", type=float, default=90, help="give up on a full mesh "
                        "after this many seconds past up()")
    parser.add_argument("--no-targets", action="store_true", help="skip the 5-node lab")
    args = parser.parse_args()
    print(f"machine: {cl.versions()}, load {load()}")
    points = []
    for n in args.n or [5, 10, 20, 40]:
        p = point(n, args.poll_ms, args.evidence, args.timeout)
        points.append(p)
        mesh = f"{p.mesh_after_up:.1f} s" if p.mesh_after_up is not None else "never"
        print(f"N={n:>3}  up {p.up:5.1f} s  full mesh {mesh:>7} after up  probe "
              f"{p.probe * 1000:5.0f} ms (exec per container {p.exhaustive * 1000:5.0f} ms)  "
              f"memory/node {p.memory_mib:4.0f} MiB  load {p.load}", flush=True)
        if args.evidence:
            print("\n".join(f"    {line}" for line in p.history + p.evidence), flush=True)
    plot(points, args.png)
    print(f"plot: {args.png}")
    print("figure | now | target | how measured")
    by_n = {p.n: p for p in points}
    if not args.no_targets:
        five = five_node_figures()
        row("full probe, 5 BEAM + 2 infra", f"{five.probe * 1000:.0f} ms", "≤ 200 ms",
            "lesson 01 fixed, median of 7 lab.probe() (7 names), whole call; "
            f"load {five.load}")
        row("up → converged mesh, 5 nodes", f"{five.converged:.2f} s", "≤ 2 s",
            f"lesson 01 fixed (5 BEAM + 2 infra), cl.lab() to the first full-mesh probe; "
            f"up() {five.up:.2f} s; load {five.load}")
    for n, target in ((20, "≤ 400 ms"), (40, "≤ 800 ms")):
        if n in by_n:
            row(f"probe, {n} nodes", f"{by_n[n].probe * 1000:.0f} ms", target,
                f"lesson 04 replicas, median of 5 lab.probe(['app']); load {by_n[n].load}")
    if 40 in by_n:
        p = by_n[40]
        row("40-node lab: converged after up",
            f"{p.mesh_after_up:.1f} s" if p.mesh_after_up is not None else "never", "≤ 30 s",
            f"lesson 04 replicas, REPLICAS=40; up() took {p.up:.1f} s; probes back to back "
            f"until full mesh; load {p.load}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

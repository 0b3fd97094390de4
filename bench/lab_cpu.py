"""Where a lab's CPU goes: one lesson variant, up → probe → down, several times.

    .venv/bin/python bench/lab_cpu.py                       # lesson 1 `fixed`, 3 rounds
    .venv/bin/python bench/lab_cpu.py 04-dns-polling by-ip -n 5

On 2 cores the suite is CPU-bound (run queue 14–23 while it runs), so its time is the
sum of what each lab costs. CPU seconds, not wall time, per stage and per consumer:
this process (Python: the lab code, docker-py), its children (the Compose CLI), the
lab's containers (their cgroups: BEAM boot, polling, probes' nslookup/erl_call), and the
engine's daemons (dockerd, containerd and its shims: container and network set-up,
every `docker exec`). The daemons are shared: run it on an otherwise idle engine.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import time
from pathlib import Path

import clusterlab as cl
from clusterlab.progress import quiet

HZ = os.sysconf("SC_CLK_TCK")
CGROUP = Path("/sys/fs/cgroup/cpuacct/docker")


def processes_cpu(names: tuple[str, ...], prefixes: tuple[str, ...] = ()) -> float:
    """CPU seconds used so far by the running processes of these names (or prefixes)."""
    total = 0.0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            comm = (proc / "comm").read_text().strip()
            if comm in names or (prefixes and comm.startswith(prefixes)):
                fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / HZ
        except OSError:
            continue
    return total


def daemons_cpu() -> float:
    """CPU seconds used so far by dockerd, containerd and every containerd-shim/runc."""
    return processes_cpu(("dockerd", "containerd"), ("containerd-shim", "runc"))


def own_cpu() -> tuple[float, float]:
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime, kids.ru_utime + kids.ru_stime


def containers_cpu(lab: cl.Lab) -> float:
    total = 0
    for container in lab.containers():
        usage = CGROUP / container.id / "cpuacct.usage"
        if usage.exists():
            total += int(usage.read_text())
    return total / 1e9


class Meter:
    """CPU seconds by consumer between two readings."""

    def __init__(self) -> None:
        self.start = (*own_cpu(), daemons_cpu(), time.monotonic())

    def read(self) -> dict[str, float]:
        now = (*own_cpu(), daemons_cpu(), time.monotonic())
        names = ("python", "compose CLI", "daemons", "wall")
        return {n: b - a for n, a, b in zip(names, self.start, now)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lesson", nargs="?", default="01-compose-networks")
    parser.add_argument("variant", nargs="?", default="fixed")
    parser.add_argument("-n", type=int, default=3, help="rounds (default 3)")
    args = parser.parse_args()
    if not CGROUP.exists():
        raise SystemExit(f"{CGROUP} not found: this bench reads cgroup v1 cpuacct.")
    rows: dict[str, list[dict[str, float]]] = {"up": [], "probe": [], "down": []}
    for _ in range(args.n):
        lab = cl.lab(args.lesson, args.variant, progress=quiet)
        meter = Meter()
        lab.up()
        rows["up"].append({**meter.read(), "containers": containers_cpu(lab)})
        before, meter = containers_cpu(lab), Meter()
        lab.probe()
        rows["probe"].append({**meter.read(), "containers": containers_cpu(lab) - before})
        meter = Meter()
        lab.down()
        rows["down"].append({**meter.read(), "containers": 0.0})
    print(f"{args.lesson} {args.variant}: CPU seconds per stage, median of {args.n} "
          "(wall in seconds)")
    columns = ("python", "compose CLI", "containers", "daemons", "wall")
    print(f"{'stage':<8}" + "".join(f"{c:>13}" for c in columns) + f"{'CPU total':>13}")
    for stage, runs in rows.items():
        med = {c: statistics.median(r[c] for r in runs) for c in columns}
        total = sum(v for c, v in med.items() if c != "wall")
        print(f"{stage:<8}" + "".join(f"{med[c]:>13.2f}" for c in columns) + f"{total:>13.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Lesson 7's figures on this engine: Swarm init, deploy → every replica healthy, the
mesh, a forced rolling update until the mesh of new names is whole again, scaling, and
removal with the swarm left. Prints each figure; run it on an idle engine for CI-like
numbers (a shared engine's load shows up directly in every one of them).

    .venv/bin/python bench/swarm.py [-n RUNS] [--variant tasks|tasks-dnspoll]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable

import clusterlab as cl
from clusterlab.gates import swarm
from clusterlab.lab.swarm import SwarmLab
from clusterlab.progress import quiet


def settled(lab: SwarmLab, replicas: int, gone: set[str]) -> Callable[[cl.Snapshot], bool]:
    def check(s: cl.Snapshot) -> bool:
        nodes = {m.node for m in s.members if m.node}
        return (len(s.members) == len(nodes) == replicas and not nodes & gone
                and s.is_full_mesh()
                and all(set(m.peers or ()) == nodes - {m.node} for m in s.members)
                and lab.converged("app") is not None)
    return check


def one_run(variant: str) -> dict[str, float]:
    out: dict[str, float] = {}
    t = time.monotonic()
    with swarm.locked():
        was = swarm.state()
        swarm.ensure_manager()
    out["swarm init (0 if one was there)"] = 0.0 if was.active else time.monotonic() - t
    lab = SwarmLab.create("07", variant, progress=quiet)
    t = time.monotonic()
    lab.up(wait=False)
    out["stack deploy returns"] = time.monotonic() - t
    lab.wait_converged(timeout=180)
    out["deploy → 3 replicas healthy"] = time.monotonic() - t
    first = lab.timeline(settled(lab, 3, set()), timeout=60, names=["tasks.app"])[-1]
    out["deploy → full mesh"] = time.monotonic() - t
    t = time.monotonic()
    lab.probe(["app", "tasks.app"])
    out["one probe (3 tasks)"] = time.monotonic() - t
    old = {m.node for m in first.members}
    t = time.monotonic()
    lab.update("app")
    lab.timeline(settled(lab, 3, old), timeout=180, names=["tasks.app"])
    out["update --force → mesh of new names whole"] = time.monotonic() - t
    t = time.monotonic()
    lab.scale("app", 5)
    lab.timeline(settled(lab, 5, set()), timeout=120, names=["tasks.app"])
    out["scale 3 → 5, meshed"] = time.monotonic() - t
    t = time.monotonic()
    lab.scale("app", 2)
    lab.timeline(settled(lab, 2, set()), timeout=120, names=["tasks.app"])
    out["scale 5 → 2, meshed"] = time.monotonic() - t
    t = time.monotonic()
    lab.down()
    out["down (stack rm, network gone, swarm left if last)"] = time.monotonic() - t
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--runs", type=int, default=1)
    parser.add_argument("--variant", default="tasks", choices=("tasks", "tasks-dnspoll"))
    args = parser.parse_args()
    runs = []
    for i in range(args.runs):
        load = os.getloadavg()[0]
        runs.append(one_run(args.variant))
        print(f"run {i + 1}: load average at start {load:.1f}")
        for key, value in runs[-1].items():
            print(f"    {key:52} {value:6.1f} s")
    if len(runs) > 1:
        print("median over runs:")
        for key in runs[0]:
            print(f"    {key:52} {statistics.median(r[key] for r in runs):6.1f} s")


if __name__ == "__main__":
    main()

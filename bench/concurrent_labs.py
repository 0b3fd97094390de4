"""Many 3-node labs on one engine at once: each converged, then all removed.

    .venv/bin/python bench/concurrent_labs.py            # 40 labs, 8 starting at a time
    .venv/bin/python bench/concurrent_labs.py -n 10 -k 5

Prints the time until every lab was a full mesh, the engine's memory at the peak (all
labs up) against before, per-lab memory, and the time to remove them all. Each lab's
networks take a /24 of CLUSTERLAB_SUBNETS (Docker's own pools hold about 30 networks).
"""

from __future__ import annotations

import argparse
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

import clusterlab as cl
from clusterlab.gates import engine
from clusterlab.lab.lifecycle import Lab
from clusterlab.progress import quiet


def used_mib() -> float:
    """Memory in use on this host (what the engine's containers add shows here)."""
    with open("/proc/meminfo") as meminfo:
        fields = dict(line.split(":", 1) for line in meminfo)
    kib = int(fields["MemTotal"].split()[0]) - int(fields["MemAvailable"].split()[0])
    return kib / 1024


def start_one(i: int) -> tuple[Lab, float]:
    started = time.monotonic()
    lab = Lab.create("00-setup", progress=quiet)
    lab.up(timeout=300)
    cl.wait_until(lambda: lab.probe(()).is_full_mesh(), 120, interval=0.5,
                  what=f"lab {i} a full mesh")
    return lab, time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=40, help="labs (default 40)")
    parser.add_argument("-k", type=int, default=8, help="labs starting at once (default 8)")
    args = parser.parse_args()
    cl.ensure_image(quiet)
    before = used_mib()
    labs: list[Lab] = []
    boots: list[float] = []
    started = time.monotonic()
    try:
        with ThreadPoolExecutor(args.k) as pool:
            for lab, seconds in pool.map(start_one, range(args.n)):
                labs.append(lab)
                boots.append(seconds)
        converged = time.monotonic() - started
        peak = used_mib()
        containers = len(engine.lab_containers())
        networks = len(engine.labelled("networks"))
    finally:  # a lab that failed to start was removed by up(); the others go here
        removing = time.monotonic()
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda lab: lab.down(), labs))
        removed = time.monotonic() - removing
    print(f"{args.n} three-node labs, {args.k} starting at a time, on one engine")
    print(f"  every lab a full mesh after      {converged:7.1f} s")
    print(f"  one lab, up → mesh: median / max {statistics.median(boots):7.1f} / "
          f"{max(boots):.1f} s")
    print(f"  containers / networks at peak    {containers:7d} / {networks}")
    print(f"  host memory used: before / peak  {before:7.0f} / {peak:.0f} MiB")
    print(f"  per lab                          {(peak - before) / args.n:7.0f} MiB")
    print(f"  all removed in                   {removed:7.1f} s")


if __name__ == "__main__":
    main()

"""Many 3-node labs on one engine at once: each converged, then all removed.

    .venv/bin/python bench/concurrent_labs.py                 # 40 labs, 8 starting at a time
    .venv/bin/python bench/concurrent_labs.py -n 10 -k 5
    .venv/bin/python bench/concurrent_labs.py --sweep 1,10,20,40   # the capacity table

Prints the time until every lab was a full mesh, the host's memory at the peak against
before, per-lab memory (its 3 containers' cgroups, as `docker stats` counts) and CPU
(cgroup CPU time of its 3 containers until meshed, and its rate once idle) and the time
to remove them all. ``--sweep`` runs one such round per count, one after the other,
and prints the instructors' table in markdown
(labs/README.md). Each lab's networks take a /24 of CLUSTERLAB_SUBNETS (Docker's own
pools hold about 30 networks). The engine is shared: say how busy it was (the load
average is printed) when you quote a figure.
"""

from __future__ import annotations

import argparse
import os
import statistics

import clusterlab as cl
from clusterlab.progress import quiet, say
from clusterlab.tools.crowd import Crowd, crowd, lab_count


def one_round(count: int, starting: int, idle: float, verbose: bool) -> dict[str, float]:
    load = os.getloadavg()[0]
    peak: dict[str, int] = {}

    def at_peak(result: Crowd) -> None:
        peak["containers"], peak["networks"] = lab_count()

    with crowd(count, starting, idle_seconds=idle, progress=say if verbose else quiet,
               on_peak=at_peak) as result:
        pass
    row = result.summary() | {"load before": load, "peak MiB": result.peak_mib}
    print(f"{count} three-node labs, {starting} starting at a time, on one engine "
          f"(load average before: {load:.1f})")
    print(f"  every lab a full mesh after      {result.all_converged:7.1f} s")
    print(f"  one lab, create → up: median / max   {row['median up s']:5.1f} / "
          f"{row['max up s']:.1f} s")
    print(f"  one lab, create → mesh: median / max {statistics.median(result.mesh_seconds):5.1f}"
          f" / {max(result.mesh_seconds):.1f} s")
    print(f"  containers / networks at peak    {peak['containers']:7d} / {peak['networks']} "
          "(every lab on the engine)")
    print(f"  host memory used: before / peak  {result.before_mib:7.0f} / "
          f"{result.peak_mib:.0f} MiB")
    print(f"  per lab (its containers, median) {result.memory_per_lab:7.0f} MiB; host grew "
          f"{(result.peak_mib - result.before_mib) / count:.0f} MiB per lab (others' labs too)")
    if result.boot_cpu:
        print(f"  CPU per lab until meshed         {row['boot CPU s per lab']:7.1f} s (median)")
    if result.idle_cpu:
        print(f"  CPU per lab once meshed          {row['idle CPU % per lab']:7.1f} % of a core "
              f"(median over {idle:g} s)")
    print(f"  all removed in                   {result.removed_seconds:7.1f} s", flush=True)
    return row


def table(rows: list[dict[str, float]], starting: int) -> str:
    lines = ["| labs started at once | all meshed after | one lab, start → up (median / max) "
             "| one lab, start → mesh (median / max) "
             "| MiB per lab | labs per GiB | CPU per lab to mesh | CPU per idle lab "
             "| load before |",
             "|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        lines.append(f"| {row['labs']:.0f} | {row['all converged s']:.0f} s "
                     f"| {row['median up s']:.0f} / {row['max up s']:.0f} s "
                     f"| {row['median up→mesh s']:.0f} / {row['max up→mesh s']:.0f} s "
                     f"| {row['MiB per lab']:.0f} | {row['labs per GiB']:.0f} "
                     f"| {row['boot CPU s per lab']:.1f} s "
                     f"| {row['idle CPU % per lab']:.1f} % of a core "
                     f"| {row['load before']:.0f} |")
    return "\n".join(lines) + (f"\n\n{starting} labs starting at a time; measured by "
                               "`bench/concurrent_labs.py --sweep`.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=40, help="labs (default 40)")
    parser.add_argument("-k", type=int, default=8, help="labs starting at once (default 8)")
    parser.add_argument("--sweep", help="comma-separated lab counts, e.g. 1,10,20,40: "
                        "one round each, then a markdown table")
    parser.add_argument("--idle", type=float, default=10,
                        help="seconds to measure the meshed labs' CPU (default 10)")
    parser.add_argument("-v", "--verbose", action="store_true", help="progress lines")
    args = parser.parse_args()
    cl.ensure_image(quiet)
    counts = [int(n) for n in args.sweep.split(",")] if args.sweep else [args.n]
    rows = [one_round(n, args.k, args.idle, args.verbose) for n in counts]
    if args.sweep:
        print()
        print(table(rows, args.k))


if __name__ == "__main__":
    main()

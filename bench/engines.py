"""Engines on demand (``clusterlab engine start``): what one costs on this machine.

    .venv/bin/python bench/engines.py                    # Docker 28: cold (if no image), 3 warm
    .venv/bin/python bench/engines.py --cold             # remove its image first: a real cold start
    .venv/bin/python bench/engines.py --version 26 --runs 5
    .venv/bin/python bench/engines.py --storage vfs      # the inner engine on another driver

Cold start: mmdebstrap of Debian's docker.io plus ``docker import`` (only when the
engine image is missing, or with --cold, which removes it first), then the first start.
Warm start: ``engines.start`` with the image present, to the inner engine's first
answer on its socket, then ``engines.stop`` (median of --runs). Image load: the lab image
streamed from the host (``docker save | docker load``) into a fresh engine. Memory: the
engine container's cgroup usage less inactive page cache (as ``docker stats``), idle
after start, after the load, and with two lab nodes running in it (``sleep``: the
engine's own cost, not the BEAM's). Disk: the engine's data volume after the load.
Refuses to run while the engine is in use (its container exists): it stops it.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

from clusterlab.errors import ClusterLabError
from clusterlab.gates import engines, image
from clusterlab.progress import quiet, say

MB = 1024 * 1024


def _volume_mb(version: str) -> float:
    """The data volume's size on the host (du of its mount point)."""
    volume = engines.host_client().volumes.get(engines.recipe(version).name)
    out = subprocess.run(["du", "-sm", volume.attrs["Mountpoint"]], capture_output=True,
                         text=True, check=False).stdout.split()
    return float(out[0]) if out else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--version", default="28", choices=sorted(engines.RECIPES))
    parser.add_argument("--runs", type=int, default=3, help="warm starts (median)")
    parser.add_argument("--cold", action="store_true",
                        help="remove the engine image first (it is bootstrapped again)")
    parser.add_argument("--storage", default=engines.STORAGE,
                        help=f"the inner engine's storage driver (default {engines.STORAGE})")
    args = parser.parse_args()
    chosen = engines.recipe(args.version)
    if engines._container(chosen.name) is not None:
        print(f"{chosen.name} exists: Docker {chosen.version} is in use; stop it first "
              f"(`clusterlab engine stop {chosen.version}`)", file=sys.stderr)
        return 2
    lab_image = image.ensure_image(progress=quiet).tag
    if args.cold:
        engines.stop(chosen.version, purge=True)

    rows: list[tuple[str, str]] = []
    if engines._image_id(chosen.tag()) is None:
        began = time.monotonic()
        engines.ensure_engine_image(chosen.version, say)
        rows.append(("cold: bootstrap + import", f"{time.monotonic() - began:.1f} s"))
        first = engines.start(chosen.version, quiet, storage=args.storage)
        engines.stop(chosen.version)
        rows.append(("cold: then first start", f"{first.seconds:.1f} s"))

    warm = []
    for _ in range(args.runs):
        started = engines.start(chosen.version, quiet, storage=args.storage)
        warm.append(started.seconds)
        engines.stop(chosen.version)
    rows.append((f"warm start (median of {args.runs})",
                 f"{statistics.median(warm):.1f} s  [{', '.join(f'{s:.1f}' for s in warm)}]"))

    started = engines.start(chosen.version, quiet, storage=args.storage)
    try:
        time.sleep(3)  # let dockerd and containerd settle after their start
        idle = engines.memory_bytes(chosen.version) / MB
        load = engines.load_image(chosen.version, lab_image, quiet)
        loaded = engines.memory_bytes(chosen.version) / MB
        disk = _volume_mb(chosen.version)
        inner = engines.client(chosen.version)
        for name in ("bench-a", "bench-b"):
            inner.containers.run(lab_image, ["sleep", "300"], entrypoint=[], name=name,
                                 detach=True)
        time.sleep(2)
        nodes = engines.memory_bytes(chosen.version) / MB
    finally:
        engines.stop(chosen.version)
    rows += [("image load (lab image)", f"{load:.1f} s"),
             ("memory: idle engine", f"{idle:.0f} MB"),
             ("memory: after the image load", f"{loaded:.0f} MB"),
             ("memory: with 2 idle containers", f"{nodes:.0f} MB"),
             ("data volume after the load", f"{disk:.0f} MB")]

    print(f"Docker {started.engine} (containerd {started.containerd}, runc {started.runc}, "
          f"{started.storage}) from {started.image}; lab image {lab_image}")
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"  {label:<{width}}  {value}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except ClusterLabError as exc:
        print(f"engines: {exc}", file=sys.stderr)
        sys.exit(2)

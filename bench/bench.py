"""ClusterLab benchmark: prints each figure, its target and how it was measured.

    .venv/bin/python bench/bench.py              # warm figures (image cached)
    .venv/bin/python bench/bench.py --cold       # also a cold image build (throwaway tags)
    .venv/bin/python bench/bench.py --notebooks  # also the wall time of every notebook

The scale curve (5 to 40 nodes) is bench/scale.py; it reuses ``five_node_figures``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import clusterlab as cl
from clusterlab.gates import engine, image
from clusterlab.observe import erlang
from clusterlab.progress import quiet

ROOT = Path(__file__).resolve().parents[1]


def figure(name: str, value: str, target: str, how: str) -> None:
    print(f"{name:<44} {value:>12}   target {target:<10} ({how})", flush=True)


def cold_build() -> None:
    """Bootstrap both bases and build the image under throwaway names, then remove them.

    The shared ``clusterlab/app`` and ``clusterlab/base`` tags are never touched (other
    labs on this engine use them); freshly imported bases have new IDs, so nothing comes
    from the build cache either: this is the build a machine without images does.
    """
    suffix = f"{os.getpid()}"
    shared = image.REPOSITORY, image.BASE_REPOSITORY, image.SLIM_REPOSITORY
    image.REPOSITORY = f"clusterlab-bench/app-{suffix}"
    image.BASE_REPOSITORY = f"clusterlab-bench/base-{suffix}"
    image.SLIM_REPOSITORY = f"clusterlab-bench/no-slim-{suffix}"  # as on a machine without it
    client = engine.client()
    try:
        started = time.monotonic()
        built = image.ensure_image(quiet, force=True)
        seconds = time.monotonic() - started
        size = client.images.get(built.tag).attrs["Size"] / 1e6
        figure("cold image build (offline bootstrap)", f"{seconds:.1f} s", "≤ 45 s",
               f"both bases mmdebstrapped + docker build, tags {image.REPOSITORY}/"
               f"{image.BASE_REPOSITORY} (removed after)")
        figure("image size (cold build)", f"{size:.0f} MB", "≤ 150 MB",
               f"docker image inspect; runtime base {image.runtime_image(quiet)}")
    finally:
        remove_throwaway(image.REPOSITORY, image.BASE_REPOSITORY)
        image.REPOSITORY, image.BASE_REPOSITORY, image.SLIM_REPOSITORY = shared


def remove_throwaway(repository: str, base_repository: str) -> None:
    """Every tag of a cold build's throwaway repositories, and the build stages left
    untagged on its bases: never the shared ``clusterlab/…`` images."""
    client = engine.client()
    bases = {i.id for i in client.images.list(base_repository)}
    for ref in {t for i in client.images.list(repository) for t in i.tags}:
        subprocess.run(["docker", "rmi", ref], capture_output=True)
    remove_built_on(bases)
    for ref in {t for i in client.images.list(base_repository) for t in i.tags}:
        subprocess.run(["docker", "rmi", ref], capture_output=True)


def remove_built_on(bases: set[str]) -> None:
    """Untagged images left by a build on ``bases`` (the build stage): only ours."""
    parents = {i.id: i.attrs.get("Parent", "") for i in engine.client().images.list(all=True)}

    def on_ours(image_id: str) -> bool:
        while image_id:
            if image_id in bases:
                return True
            image_id = parents.get(image_id, "")
        return False

    for item in engine.client().images.list(filters={"dangling": True}):
        if item.id not in bases and on_ours(item.id):
            subprocess.run(["docker", "rmi", item.id], capture_output=True)


def cached_check() -> None:
    image.ensure_image(quiet)
    runs = []
    for _ in range(5):
        started = time.monotonic()
        subprocess.run([sys.executable, "-m", "clusterlab.cli", "image", "build"],
                       capture_output=True, check=True)
        runs.append(time.monotonic() - started)
    figure("cached rebuild check", f"{statistics.median(runs):.2f} s", "≤ 2 s",
           "median of 5 × `clusterlab image build`, whole process")


def naive_probe(lab: cl.Lab, names: list[str]) -> float:
    """Sequential docker exec per lookup, and a hidden Elixir node per Node.list()."""
    started = time.monotonic()
    for container in lab.containers():
        for name in names:
            engine.exec_in(container, ["nslookup", name])
        node = engine.exec_in(container, ["cat", erlang.NODE_FILE]).output.strip()
        if node and node != "nonode@nohost":
            script = ("elixir --name probe$$@$(hostname) --cookie $(cat /tmp/clusterlab/cookie) "
                      "--hidden -e \"IO.inspect(:rpc.call(:'$1', Node, :list, []))\"")
            engine.exec_in(container, ["sh", "-c", script, "naive", node])
    return time.monotonic() - started


@dataclass(frozen=True)
class FiveNodes:
    up: float
    converged: float
    probes_to_mesh: int
    probe: float
    probe_min: float
    naive: float
    memory: list[float]
    load: str


def five_node_figures() -> FiveNodes:
    """Lesson 01 fixed (5 BEAM + 2 infra): up, converged, probe time, naive probe, memory."""
    started = time.monotonic()
    with cl.lab("01-compose-networks", "fixed", progress=quiet) as lab:
        up = time.monotonic() - started
        mesh = lab.timeline(lambda s: s.is_full_mesh(), timeout=30)
        converged = time.monotonic() - started
        names = sorted(lab.lesson.meta["beam_services"] + lab.lesson.meta["infra_services"])
        times = []
        for _ in range(7):  # the whole call, listing the containers included
            at = time.monotonic()
            lab.probe(names)
            times.append(time.monotonic() - at)
        naive = naive_probe(lab, names)
        memory = [container.stats(stream=False)["memory_stats"].get("usage", 0) / 2**20
                  for container in lab.containers()]
        load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
        return FiveNodes(up, converged, len(mesh), statistics.median(times), min(times),
                         naive, memory, load)


def lab_figures() -> None:
    five = five_node_figures()
    figure("up → converged mesh, 5 BEAM nodes (+2 infra)", f"{five.converged:.2f} s", "≤ 2 s",
           f"lesson 01 fixed; up() returned after {five.up:.2f} s; "
           f"{five.probes_to_mesh} probe(s) until full mesh; load {five.load}")
    figure("full probe: DNS 7×7 + Node.list ×5", f"{five.probe * 1000:.0f} ms", "≤ 200 ms",
           f"median of 7 lab.probe() calls, whole call; min {five.probe_min * 1000:.0f} ms")
    figure("naive probe (sequential exec, elixir node)", f"{five.naive:.1f} s",
           "≥ 5× ours", f"ratio {five.naive / five.probe:.0f}×")
    figure("memory per BEAM container", f"{statistics.median(five.memory):.0f} MiB", "report",
           f"docker stats; min {min(five.memory):.0f}, max {max(five.memory):.0f} MiB")
    tag = image.ensure_image(quiet).tag
    size = engine.client().images.get(tag).attrs["Size"] / 1e6
    figure("image size", f"{size:.0f} MB", "≤ 150 MB", f"docker image inspect {tag}")


def notebooks() -> None:
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "pytest", "--nbmake", "-q", "notebooks"],
                          cwd=ROOT, capture_output=True, text=True)
    status = "passed" if done.returncode == 0 else "FAILED"
    figure("notebook suite wall time", f"{time.monotonic() - started:.0f} s", "report",
           f"pytest --nbmake notebooks: {status}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cold", action="store_true", help="measure a cold image build")
    parser.add_argument("--notebooks", action="store_true", help="time the notebook suite")
    args = parser.parse_args()
    print(f"machine: {cl.versions()}")
    if args.cold:
        cold_build()
    cached_check()
    lab_figures()
    if args.notebooks:
        notebooks()
    return 0


if __name__ == "__main__":
    sys.exit(main())

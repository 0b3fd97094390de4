"""Many small labs on one engine at once, as a workshop room runs them: each converged,
then all removed. Shared by ``bench/concurrent_labs.py`` (figures, the instructors'
capacity table) and the slow test that proves 40 of them fit.

Starting is bounded (``starting`` labs at a time: Compose, the engine and 3 booting VMs
per lab share two cores), and so is probing: a probe is one ``docker exec`` per node, and
40 labs each probing every half second would load the engine more than the nodes do.
A lab that is up is probed again, round after round, until it is a full mesh.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ConvergenceTimeout
from ..gates import engine
from ..lab.lifecycle import Lab
from ..model.snapshot import Snapshot
from ..progress import Progress, quiet

LESSON = "00-setup"  # three nodes, long names, a host list retried every 500 ms
_CGROUP = Path("/sys/fs/cgroup")


def used_mib() -> float:
    """Memory in use on this host: what the engine's containers add shows up here."""
    with open("/proc/meminfo") as meminfo:
        fields = dict(line.split(":", 1) for line in meminfo)
    kib = int(fields["MemTotal"].split()[0]) - int(fields["MemAvailable"].split()[0])
    return kib / 1024


def cpu_seconds(container_id: str) -> float | None:
    """CPU time a container has used so far (cgroup v1 or v2), None if unreadable here."""
    for path in (_CGROUP / "cpuacct" / "docker" / container_id / "cpuacct.usage",
                 _CGROUP / "system.slice" / f"docker-{container_id}.scope" / "cpu.stat"):
        try:
            text = path.read_text()
        except OSError:
            continue
        if path.name == "cpuacct.usage":
            return int(text) / 1e9
        usage = dict(line.split() for line in text.splitlines())
        return int(usage["usage_usec"]) / 1e6
    return None


def memory_mib(container_id: str) -> float | None:
    """A container's memory as ``docker stats`` counts it (usage less inactive page cache)."""
    for usage, stat, inactive in (
            (_CGROUP / "memory" / "docker" / container_id / "memory.usage_in_bytes",
             _CGROUP / "memory" / "docker" / container_id / "memory.stat", "total_inactive_file"),
            (_CGROUP / "system.slice" / f"docker-{container_id}.scope" / "memory.current",
             _CGROUP / "system.slice" / f"docker-{container_id}.scope" / "memory.stat",
             "inactive_file")):
        try:
            used = int(usage.read_text())
            fields = dict(line.split() for line in stat.read_text().splitlines())
        except OSError:
            continue
        return (used - int(fields.get(inactive, 0))) / 2**20
    return None


@dataclass
class Crowd:
    """What a run of many labs measured."""

    labs: list[Lab] = field(default_factory=list)
    up_seconds: list[float] = field(default_factory=list)  # each lab: create → up() returned
    mesh_seconds: list[float] = field(default_factory=list)  # each lab: create → full mesh
    all_converged: float = 0.0  # first start → the last lab a full mesh
    before_mib: float = 0.0
    peak_mib: float = 0.0
    removed_seconds: float = 0.0
    lab_mib: list[float] = field(default_factory=list)  # each lab's 3 containers, once meshed
    boot_cpu: list[float] = field(default_factory=list)  # CPU s per lab, up to its mesh
    idle_cpu: list[float] = field(default_factory=list)  # CPU % per lab once meshed
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def memory_per_lab(self) -> float:
        """Median of the labs' own containers (cgroups); else what the host's memory grew by,
        which other engines' users also move on a shared host."""
        if self.lab_mib:
            return statistics.median(self.lab_mib)
        return (self.peak_mib - self.before_mib) / max(1, len(self.labs))

    def summary(self) -> dict[str, float]:
        return {"labs": len(self.labs), "all converged s": self.all_converged,
                "median up s": statistics.median(self.up_seconds),
                "max up s": max(self.up_seconds),
                "median up→mesh s": statistics.median(self.mesh_seconds),
                "max up→mesh s": max(self.mesh_seconds),
                "MiB per lab": self.memory_per_lab,
                "labs per GiB": 1024 / self.memory_per_lab if self.memory_per_lab > 0 else 0,
                "boot CPU s per lab": statistics.median(self.boot_cpu) if self.boot_cpu else 0,
                "idle CPU % per lab": statistics.median(self.idle_cpu) if self.idle_cpu else 0,
                "removed s": self.removed_seconds}


def _lab_cpu(lab: Lab) -> float | None:
    seconds = [cpu_seconds(c.id) for c in lab.containers()]
    return None if any(s is None for s in seconds) else sum(s for s in seconds if s)


def _lab_mib(lab: Lab) -> float | None:
    mib = [memory_mib(c.id) for c in lab.containers()]
    return None if any(m is None for m in mib) else sum(m for m in mib if m)


def _why(snapshot: Snapshot | None) -> str:
    if snapshot is None:
        return "never probed"
    return "; ".join(f"{m.service}: {m.error or sorted(m.peers or ())}"
                     for m in snapshot.members)


def _meshed(crowd: Crowd, lab: Lab, started: float, last: dict[Lab, Snapshot | None]) -> bool:
    """Probe ``lab`` once; if it is a full mesh, record how long it took and its CPU."""
    last[lab] = snapshot = lab.probe(())
    if not snapshot.is_full_mesh():
        return False
    with crowd._lock:
        crowd.mesh_seconds.append(time.monotonic() - started)
        if (cpu := _lab_cpu(lab)) is not None:
            crowd.boot_cpu.append(cpu)
    return True


def converge(crowd: Crowd, starts: dict[Lab, float], timeout: float, probing: int,
             progress: Progress, meshed: set[Lab] | None = None) -> None:
    """Probe every lab not yet ``meshed``, ``probing`` at a time, round after round, until
    each is a full mesh."""
    waiting = [lab for lab in crowd.labs if lab not in (meshed or set())]
    last: dict[Lab, Snapshot | None] = dict.fromkeys(waiting)
    deadline = time.monotonic() + timeout

    def probe(lab: Lab) -> tuple[Lab, bool]:
        return lab, _meshed(crowd, lab, starts[lab], last)

    with ThreadPoolExecutor(probing) as pool:
        while waiting:
            meshed = {lab for lab, done in pool.map(probe, waiting) if done}
            waiting = [lab for lab in waiting if lab not in meshed]
            if waiting and time.monotonic() > deadline:
                raise ConvergenceTimeout(
                    f"{len(waiting)} of {len(crowd.labs)} labs were not a full mesh "
                    f"{timeout:g} s after they were up:\n  " + "\n  ".join(
                        f"{lab.project}: {_why(last[lab])}" for lab in waiting[:5]))
            if waiting:
                progress(f"{len(crowd.labs) - len(waiting)}/{len(crowd.labs)} labs meshed")
                time.sleep(0.5)  # between rounds only: a round itself takes longer


@contextmanager
def crowd(count: int, starting: int = 8, *, probing: int = 4, timeout: float = 180,
          idle_seconds: float = 0, progress: Progress = quiet,
          on_peak: Callable[[Crowd], None] | None = None) -> Iterator[Crowd]:
    """``count`` labs of lesson 0 up and each a full mesh; all removed on leaving, whatever
    happened (a lab that failed to start was already removed by ``up``).

    ``idle_seconds`` > 0 also measures each lab's CPU once meshed, over that long.
    """
    result = Crowd(before_mib=used_mib())
    result.peak_mib = result.before_mib
    starts: dict[Lab, float] = {}
    meshed: set[Lab] = set()
    sampling = threading.Event()

    def sample() -> None:  # the real peak, not the memory at one moment
        while not sampling.wait(0.5):
            result.peak_mib = max(result.peak_mib, used_mib())

    def start(_: int) -> None:
        lab = Lab.create(LESSON, progress=quiet)
        began = time.monotonic()
        with result._lock:
            starts[lab] = began
            result.labs.append(lab)  # before up(): removed on the way out whatever happens
        lab.up(timeout=timeout)
        with result._lock:
            result.up_seconds.append(time.monotonic() - began)
        if _meshed(result, lab, began, {}):  # often already: no need to wait for the others
            meshed.add(lab)

    sampler = threading.Thread(target=sample, daemon=True, name="memory sampler")
    sampler.start()
    first = time.monotonic()
    try:
        with ThreadPoolExecutor(starting) as pool:
            try:
                list(pool.map(start, range(count)))
            except BaseException:
                pool.shutdown(cancel_futures=True)  # start no more labs: we are failing
                raise
        progress(f"{count} labs up after {time.monotonic() - first:.1f} s; probing")
        converge(result, starts, timeout, probing, progress, meshed)
        result.all_converged = time.monotonic() - first
        result.peak_mib = max(result.peak_mib, used_mib())
        result.lab_mib = [m for lab in result.labs if (m := _lab_mib(lab)) is not None]
        if idle_seconds > 0:
            before = {lab: _lab_cpu(lab) for lab in result.labs}
            time.sleep(idle_seconds)  # measuring a rate: CPU used over a fixed window
            for lab in result.labs:
                if (now := _lab_cpu(lab)) is not None and before[lab] is not None:
                    result.idle_cpu.append(100 * (now - before[lab]) / idle_seconds)
        if on_peak:
            on_peak(result)
        yield result
    finally:
        sampling.set()
        removing = time.monotonic()
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda lab: lab.down(), list(result.labs)))
        result.removed_seconds = time.monotonic() - removing


def lab_count() -> tuple[int, int]:
    """Containers and networks labelled by ClusterLab on the engine now (every lab's)."""
    return len(engine.lab_containers()), len(engine.labelled("networks"))

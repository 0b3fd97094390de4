"""The suite's CPU budget: how much CPU a command needs, so what its wall time can be.

    .venv/bin/python bench/suite_cpu.py -- .venv/bin/pytest -n 3 ... notebooks tests
    .venv/bin/python bench/suite_cpu.py --acct -- <command>   # + top commands (needs acct)

On 2 cores a suite cannot end sooner than the CPU it needs divided by 2. This prints that
floor beside the wall time, and where the CPU went: the labs' containers (their cgroups:
BEAM nodes, nslookup, erl_call), the engine's daemons (dockerd, containerd) and everything
else on the host (pytest workers, Jupyter kernels, the Compose CLI, containerd shims, runc).
With ``--acct`` it also turns on process accounting and lists the commands that used the
most CPU (Debian's ``acct``: ``accton``, ``sa``). Run it on an otherwise idle machine: it
reads machine-wide counters.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from lab_cpu import processes_cpu  # bench/ is on the path when run as a script

HZ = os.sysconf("SC_CLK_TCK")
CONTAINERS = Path("/sys/fs/cgroup/cpuacct/docker/cpuacct.usage")


def machine_busy() -> tuple[float, float]:
    """(busy, steal) CPU seconds of the whole machine so far, from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return (user + nice + system + irq + softirq) / HZ, steal / HZ


def containers_cpu() -> float:
    """CPU seconds of every container so far: the parent cgroup keeps ended ones' usage."""
    return int(CONTAINERS.read_text()) / 1e9 if CONTAINERS.exists() else 0.0


def reading() -> dict[str, float]:
    busy, steal = machine_busy()
    return {"busy": busy, "steal": steal, "containers": containers_cpu(),
            "daemons": processes_cpu(("dockerd", "containerd")), "wall": time.monotonic()}


def watch_starts() -> subprocess.Popen[str]:
    """Stream the engine's container starts (its own event log keeps only the last 256)."""
    return subprocess.Popen(
        ["docker", "events", "--filter", "type=container", "--filter", "event=start",
         "--format", "{{.ID}}"], stdout=subprocess.PIPE, text=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--acct", action="store_true", help="top commands by CPU (acct)")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give the command to measure after --")
    acct = Path(tempfile.mkdtemp()) / "pacct"
    if args.acct:
        acct.touch()
        subprocess.run(["accton", str(acct)], check=True, capture_output=True)
    events = watch_starts()
    start = reading()
    try:
        rc = subprocess.run(command).returncode
    finally:
        end = reading()
        events.terminate()
        if args.acct:
            subprocess.run(["accton", "off"], capture_output=True)
    d = {k: end[k] - start[k] for k in start}
    cores = os.cpu_count() or 1
    host = d["busy"] - d["containers"] - d["daemons"]
    starts = len(events.communicate()[0].split())
    print(f"\ncommand exited {rc}; wall {d['wall']:.0f} s on {cores} cores")
    print(f"CPU used: {d['busy']:.0f} s (busy {d['busy'] / (cores * d['wall']):.0%} of "
          f"{cores} cores; steal {d['steal']:.0f} s more)")
    print(f"  containers {d['containers']:.0f} s · dockerd+containerd {d['daemons']:.0f} s · "
          f"host processes {host:.0f} s")
    print(f"containers started: {starts}; CPU per container started: "
          f"{d['busy'] / max(starts, 1):.2f} s")
    print(f"floor on {cores} cores (CPU / cores): {d['busy'] / cores:.0f} s; "
          f"a 300 s suite needs at most {300 * cores} CPU-seconds")
    if args.acct:
        print("\ntop commands by CPU (sa: calls, real, CPU minutes):")
        top = subprocess.run(["sa", "-a", "-c", str(acct)],
                             capture_output=True, text=True).stdout.splitlines()
        print("\n".join(top[:16]))
    return rc


if __name__ == "__main__":
    sys.exit(main())

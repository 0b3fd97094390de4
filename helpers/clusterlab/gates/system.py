"""What this machine offers: engine, Compose and image tools. Lessons show it first."""

from __future__ import annotations

import functools
import os
import shutil
from pathlib import Path

from ..errors import NeighbourTableTooSmall
from . import compose, engine, image

NEIGHBOUR_LIMIT = Path("/proc/sys/net/ipv4/neigh/default/gc_thresh3")
"""The most entries the kernel keeps in its IPv4 neighbour (ARP) table. One table serves
every network namespace, so every container on the engine's kernel shares it (1024 on a
default Linux host)."""

MEASURED = {"engine": (20, 26, 28), "otp": (25, 27, 29)}
"""The majors every lesson claim was measured on (docs/versions.md, bench/matrix.py)."""


def versions() -> dict[str, str]:
    """Engine, API, Compose, OTP and Elixir versions: DNS behaviour, Compose naming and
    the TLS defaults lessons show all changed over versions. OTP and Elixir are the lab
    image's (``CLUSTERLAB_OTP`` picks it); before it is built, the OTP it will have."""
    found = compose.find_compose()
    report = {**engine.versions(), "compose": found.version,
              "compose_command": " ".join(found.argv)}
    chosen = image.stack()
    tag = image.current_tag()
    if image.image_exists(tag):
        report |= image.runtime_versions(tag)
    else:
        report |= {"otp": f"{chosen.otp} (image not built yet)", "elixir": chosen.elixir}
    return report | {"measured": measured(report)}


def measured(report: dict[str, str]) -> str:
    """Whether the lessons' claims were measured on these versions, and if not, which
    were: where a version changes a claim, the lesson says so, but only for those."""
    outside = []
    for part, majors in MEASURED.items():
        found = report.get(part, "?").split(".")[0].split()[0]
        if not found.isdigit() or int(found) not in majors:
            label = "Docker" if part == "engine" else "OTP"
            outside.append(f"{label} {report.get(part, '?')} is outside what was measured "
                           f"({', '.join(map(str, majors))})")
    return "; ".join(outside) + " (docs/versions.md)" if outside else (
        "yes (docs/versions.md)")


def prerequisites() -> dict[str, str]:
    """Everything a lab needs, or a ``ClusterLabError`` that says what to install or start."""
    report = versions()
    report["mmdebstrap"] = shutil.which("mmdebstrap") or "not installed (needed only offline)"
    return report


def neighbour_limit() -> int | None:
    """``gc_thresh3`` of the kernel the engine runs on, or None where that kernel is not
    this machine's (Docker Desktop's VM, a remote engine) and cannot be read from here.
    Read on every call: raising it takes effect without restarting the kernel."""
    if not _engine_on_this_kernel():
        return None
    try:
        return int(NEIGHBOUR_LIMIT.read_text())
    except (OSError, ValueError):
        return None


@functools.cache
def _engine_on_this_kernel() -> bool:
    """Asked of the engine once per process, not on every lab start."""
    return engine.client().info().get("KernelVersion") == os.uname().release


def fits_neighbour_table(nodes: int, limit: int | None) -> None:
    """Refuse a lab whose full mesh overflows the kernel's neighbour table.

    Each node keeps a neighbour entry for every peer it talks to, so a mesh of N nodes on
    one network needs about N x N entries. Past the limit the kernel drops the packets of
    new neighbours ("neighbor table overflow" in dmesg): the last nodes to start never
    connect, and nothing in Docker or Erlang says why (measured: 40 nodes, limit 1024)."""
    if limit is None or nodes * nodes <= limit:
        return
    raise NeighbourTableTooSmall(
        f"A mesh of {nodes} nodes needs about {nodes * nodes} entries in the kernel's "
        f"neighbour (ARP) table, one per node per peer; this host keeps at most {limit} "
        "(net.ipv4.neigh.default.gc_thresh3), shared by every container. The nodes past "
        "that would never reach their peers.",
        "Use fewer nodes, or raise the limit on the engine's host: `sudo sysctl -w "
        "net.ipv4.neigh.default.gc_thresh1=1024 net.ipv4.neigh.default.gc_thresh2=4096 "
        "net.ipv4.neigh.default.gc_thresh3=8192` (a file in /etc/sysctl.d/ keeps it).")

"""Which labs exist, who owns them, and removing them: nothing is ever left behind.

Every container, network and volume of a lab carries ``engine.LABEL`` = its project, and
its containers say who started them (``OWNER``: host/pid, or ``detached`` for the
command line). Labs of this process are downed at exit; labs whose owner process is gone
are reaped when the next lab starts; ``clean`` removes any of them, in any state.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import secrets
import shutil
import socket
import tempfile
import warnings
import weakref
from pathlib import Path
from typing import Any, Protocol

import docker.errors

from ..errors import ClusterLabError, ConvergenceTimeout, LabNotFound, StuckNetwork
from ..gates import engine, swarm
from ..waiting import wait_until

OWNER = "io.clusterlab.owner"
LESSON = "io.clusterlab.lesson"
VARIANT = "io.clusterlab.variant"
DETACHED = "detached"


class Running(Protocol):
    """What the exit hook needs of a lab (``Lab`` is one)."""

    project: str
    detached: bool

    def down(self) -> None: ...


def run_root() -> Path:
    """Per-lab working files (the started compose model): ``<tmp>/clusterlab/<project>``."""
    return Path(tempfile.gettempdir()) / "clusterlab"


def new_project(lesson_id: str) -> str:
    return f"cl{lesson_id[:2]}-{secrets.token_hex(3)}"


def owner_label(detached: bool) -> str:
    return DETACHED if detached else f"{socket.gethostname()}/{os.getpid()}"


# -- labs of this process -------------------------------------------------------------------

_live: weakref.WeakSet[Any] = weakref.WeakSet()


def track(lab: Running) -> None:
    _live.add(lab)


def forget(lab: Running) -> None:
    _live.discard(lab)


def _down_live_labs() -> None:
    for lab in list(_live):
        if not lab.detached:
            with contextlib.suppress(ClusterLabError):
                lab.down()


atexit.register(_down_live_labs)


# -- every lab on the engine ----------------------------------------------------------------


def projects() -> dict[str, dict[str, str]]:
    """Labs that have anything on the engine: project → labels of one of its containers."""
    found: dict[str, dict[str, str]] = {}
    for row in sorted(engine.labelled("containers"), key=lambda r: r["Created"]):
        found[row["Labels"][engine.LABEL]] = row["Labels"]
    for row in engine.labelled("networks"):
        found.setdefault(row["Labels"][engine.LABEL], row["Labels"])
    for row in swarm.services():  # a Swarm lab between tasks has no container
        labels = row["Spec"].get("Labels") or {}
        found.setdefault(labels[engine.LABEL], labels)
    return found


def newest_project() -> str:
    rows = sorted(engine.labelled("containers"), key=lambda r: r["Created"])
    if not rows:
        raise LabNotFound("No ClusterLab lab is running.")
    return rows[-1]["Labels"][engine.LABEL]


def exists(project: str) -> bool:
    return bool(engine.labelled("containers", project) or engine.labelled("networks", project)
                or swarm.services(project))


def remove_project(project: str, *, files: bool = True) -> int:
    """Force-remove everything labelled with ``project`` (and, with ``files``, its working
    files: the started model, a lab CA); returns how many engine objects went."""
    if not project:  # an empty name would match every lab on the engine
        raise ClusterLabError("remove_project needs a project name.")
    api = engine.client().api
    removed = 0
    services = swarm.services(project)
    for row in services:  # first, or Swarm replaces the containers we remove
        engine.removed(lambda row=row: api.remove_service(row["ID"]))
        removed += 1
    for row in engine.labelled("containers", project):
        engine.removed(lambda row=row: api.remove_container(row["Id"], force=True, v=True))
        removed += 1
    if services:  # a task Swarm was starting as the service went may create one more
        def no_containers_left() -> bool:
            rows = engine.labelled("containers", project)
            for row in rows:
                engine.removed(lambda row=row: api.remove_container(row["Id"], force=True, v=True))
            return not rows

        wait_until(no_containers_left, timeout=30, interval=0.5,
                   what=f"the containers of Swarm lab {project} gone")
    for row in engine.labelled("networks", project):
        engine.remove_network(row["Id"], row["Name"])
        removed += 1
    # A Swarm manager removes an overlay network a moment after it said so: wait for it.
    wait_until(lambda: not engine.labelled("networks", project), timeout=30, interval=0.2,
               what=f"the networks of {project} gone")
    for row in engine.labelled("volumes", project):
        api.remove_volume(row["Name"], force=True)
        removed += 1
    if services:  # a task Swarm was still placing as its service went: one more pass
        removed += remove_project(project, files=False)
    if files:
        shutil.rmtree(run_root() / project, ignore_errors=True)
    return removed


def clean(project: str | None = None) -> dict[str, int]:
    """Remove one lab, or every ClusterLab lab on this engine, whatever state it is in."""
    names = [project] if project else sorted(set(projects()) | _run_dirs())
    removed = {name: remove_project(name) for name in names}
    leave_swarm_if_last()
    return removed


def leave_swarm_if_last() -> swarm.Leave:
    """Leave the swarm ClusterLab made once no Swarm lab is left on it and no running
    container would lose its DNS names (``gates.swarm``)."""
    with swarm.locked():
        return swarm.leave_if_last()


def _run_dirs() -> set[str]:
    root = run_root()
    return {p.name for p in root.iterdir()} if root.is_dir() else set()


def pid_alive(pid: int) -> bool:
    """True while ``pid`` runs (a process we may not signal counts as alive)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


_stuck: set[str] = set()  # orphans whose network the engine will not let go


def reap_orphans() -> list[str]:
    """Remove labs started from Python on this host by a process that no longer exists.

    An orphan the engine will not let go of now (Docker 20.10 can keep a stale endpoint
    on a network with no container left, "has active endpoints"; a Swarm network is "in
    use by service" until its service goes) gets one try per process and is skipped with a
    warning, so it never stops a new lab from starting; `clusterlab clean` reports it.
    """
    host = socket.gethostname()
    reaped = []
    for project, labels in projects().items():
        owner_host, _, pid = labels.get(OWNER, "").partition("/")
        if owner_host == host and pid.isdigit() and not pid_alive(int(pid)):
            if project in _stuck:
                continue
            try:
                remove_project(project)
            except (StuckNetwork, ConvergenceTimeout, docker.errors.APIError) as exc:
                _stuck.add(project)
                warnings.warn(str(exc), stacklevel=2)
                continue
            reaped.append(project)
    if reaped:
        leave_swarm_if_last()
    return reaped

"""Swarm mode is machine state: enter it for a Swarm lab, and leave it only if we entered it.

An engine not in Swarm mode is made a single-node swarm (manager) by the first Swarm lab;
the node then carries ``MARK``, so any process knows ClusterLab made it and may leave it
when the last Swarm lab (found by label, across processes) has gone. A swarm without the
mark was the user's: a lab deploys into it and never leaves it. A worker can't deploy
stacks, so it is refused with the way out.

Hermetic like the Compose labs: the swarm's address pool (the ``ingress`` network) and
``docker_gwbridge`` (the bridge every overlay task reaches the host through) get /24s from
``CLUSTERLAB_SUBNETS`` instead of the engine's default pools. Both are created here and
removed again on leave (``docker swarm leave`` keeps ``docker_gwbridge``).

Init, deploy and leave take one host-wide file lock, so a lab being deployed by one
process is never left behind by another process leaving the swarm.

Leaving has a cost outside Swarm: ``docker swarm leave`` erases the embedded DNS records
of every network on the engine, bridges included (moby/moby#45144; libnetwork's
``cleanupServiceDiscovery("")`` on node leave, still so upstream). Every running
container's name and alias then answers NXDOMAIN until it reconnects: a Compose lab
beside lesson 7 (or the learner's own stack) would stop finding its peers. So the swarm
is left only when no running container has a name to lose and no Compose lab is being
started (``bridges_starting``); otherwise the leave is deferred, and the next lab to end
(``leave_pending``) or ``clusterlab clean`` tries again.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import subprocess
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker.errors
import docker.types

from ..errors import ClusterLabError, CommandFailed
from . import engine

MARK = "io.clusterlab.swarm"
"""Node label (and ``docker_gwbridge`` label) = ``initialised``: ClusterLab made this swarm."""
GWBRIDGE = "docker_gwbridge"
NO_EMBEDDED_DNS = {"bridge", "host", "none", GWBRIDGE}
"""Local networks whose containers have no name in the engine's DNS to lose."""
ADVERTISE_ENV = "CLUSTERLAB_SWARM_ADDR"
"""The address a swarm ClusterLab creates advertises (default 127.0.0.1: one node, and it
works whatever interfaces the host has); set it to reach the swarm from other nodes."""


class SwarmWorker(ClusterLabError):
    """The engine is a Swarm worker: stacks are deployed from a manager."""


@dataclass(frozen=True)
class SwarmState:
    """What ``docker info`` says about Swarm mode: compared before and after the suite."""

    local_state: str  # inactive | active | pending | error | locked
    manager: bool
    ours: bool  # the node carries MARK (ClusterLab initialised it)

    @property
    def active(self) -> bool:
        return self.local_state == "active"

    @property
    def as_found(self) -> SwarmState:
        """This state without ClusterLab's own swarm: what the engine's owner had."""
        return SwarmState("inactive", False, False) if self.ours else self


def left_as_found(before: SwarmState, *, settled: bool = False) -> bool:
    """The engine's Swarm mode is as ``before`` (the owner's part of it), and a swarm
    ClusterLab made is only still there for a reason: some ClusterLab service runs in it
    (another Swarm lab, of this process or another), or its leave is deferred
    (``leave_pending``: containers would lose their DNS names, or a lab was starting)
    and the next lab to end retries it. ``settled``: every lab has ended (the suite's
    end), so a deferred leave must have happened, unless containers still depend on it."""
    with locked():
        now = state()
        if now.as_found != before.as_found:
            return False
        if not now.ours or services():
            return True
        return bool(dns_dependents()) if settled else leave_pending()


def state() -> SwarmState:
    """The engine's Swarm state now."""
    info = engine.client().info().get("Swarm") or {}
    local = info.get("LocalNodeState", "inactive")
    manager = bool(info.get("ControlAvailable"))
    ours = False
    if local == "active" and manager:
        try:
            node = engine.client().api.inspect_node(info["NodeID"])
        except docker.errors.APIError:  # the swarm was left between the two calls
            return state() if engine.client().info()["Swarm"]["LocalNodeState"] != local \
                else SwarmState(local, manager, ours)
        ours = (node.get("Spec", {}).get("Labels") or {}).get(MARK) == "initialised"
    return SwarmState(local, manager, ours)


def _folder() -> Path:
    """Where the host-wide locks live (the temp folder every lab uses)."""
    folder = Path(tempfile.gettempdir()) / "clusterlab"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def settled() -> SwarmState:
    """The Swarm state with no ClusterLab init or leave half done (read under the lock):
    a "before" to compare with; a bare ``state()`` during another process's init can
    read ``pending``."""
    with locked():
        return state()


@contextlib.contextmanager
def _holding(name: str, mode: int) -> Iterator[None]:
    """A host-wide file lock, exclusive or shared (``fcntl.flock``); released on exit, or
    by the kernel if the process dies holding it."""
    with (_folder() / name).open("a") as handle:
        fcntl.flock(handle, mode)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def locked() -> contextlib.AbstractContextManager[None]:
    """The host-wide Swarm lock."""
    return _holding("swarm.lock", fcntl.LOCK_EX)


def bridges_starting() -> contextlib.AbstractContextManager[None]:
    """Held (shared) around a Compose lab's ``compose up``: containers that are being
    started are not yet running, so ``dns_dependents`` can't see them; a leave meanwhile
    is deferred rather than erasing the names they are registering."""
    return _holding("bridges.lock", fcntl.LOCK_SH)


@contextlib.contextmanager
def _no_lab_starting() -> Iterator[bool]:
    """The bridges lock taken exclusively without waiting: True while no lab starts."""
    with (_folder() / "bridges.lock").open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def dns_dependents() -> list[str]:
    """Running containers whose names the engine's embedded DNS serves on a local
    user-defined network: what ``docker swarm leave`` would erase (module docstring)."""
    api = engine.client().api
    swarm_scoped = {row["Name"] for row in api.networks() if row.get("Scope") == "swarm"}
    skip = NO_EMBEDDED_DNS | swarm_scoped
    rows = api.containers(filters={"status": ["running", "paused", "restarting"]})
    return sorted(row["Names"][0].lstrip("/") for row in rows
                  if set((row.get("NetworkSettings") or {}).get("Networks") or {}) - skip)


def _deferred_mark() -> Path:
    """The file that remembers a deferred leave (``leave_if_last``)."""
    return _folder() / "swarm.deferred"


def leave_pending() -> bool:
    """A leave was deferred, or is being decided (``leave_if_last`` marks before it
    looks): the next lab to end should try again."""
    return _deferred_mark().exists()


def advertise_address() -> str:
    return os.environ.get(ADVERTISE_ENV, "").strip() or "127.0.0.1"


def ensure_manager() -> SwarmState:
    """Make sure the engine is a Swarm manager (call under ``locked``): init a marked
    single-node swarm if it is in no swarm; refuse a worker or a broken swarm."""
    from ..lab import subnets  # lab/ builds on gates/; only the allocator is needed here

    now = state()
    if now.active and now.manager:
        return now
    if now.active or now.local_state == "pending":
        raise SwarmWorker(
            "This Docker engine is a Swarm worker: stacks can only be deployed from a manager.",
            "Run the lesson against a manager: `docker context use <manager>` or "
            "DOCKER_HOST=ssh://user@manager before starting Jupyter (README: Swarm lessons).")
    if now.local_state != "inactive":
        raise ClusterLabError(f"The engine's Swarm state is {now.local_state!r}.",
                              "Fix it with `docker swarm ...` (e.g. unlock it), then retry.")
    api = engine.client().api
    pool, bridge = subnets.pick(2, subnets.configured_range(), subnets.taken())
    if not _network_exists(GWBRIDGE):
        api.create_network(GWBRIDGE, driver="bridge", labels={MARK: "initialised"},
                           ipam=docker.types.IPAMConfig(
                               pool_configs=[docker.types.IPAMPool(subnet=str(bridge))]),
                           options={"com.docker.network.bridge.name": GWBRIDGE,
                                    "com.docker.network.bridge.enable_icc": "false",
                                    "com.docker.network.bridge.enable_ip_masquerade": "true"})
    address = advertise_address()
    node_id = engine.client().swarm.init(advertise_addr=address, listen_addr=f"{address}:2377",
                                         default_addr_pool=[str(pool)], subnet_size=24)
    spec = api.inspect_node(node_id)
    labels = {**(spec["Spec"].get("Labels") or {}), MARK: "initialised"}
    api.update_node(node_id, spec["Version"]["Index"], {**spec["Spec"], "Labels": labels})
    return state()


def _network_exists(name: str) -> bool:
    return any(row["Name"] == name for row in engine.client().api.networks(names=[name]))


def services(project: str | None = None) -> list[dict[str, Any]]:
    """Services ClusterLab labelled (one lab's, or all); none when not a manager."""
    now = state()
    if not (now.active and now.manager):
        return []
    wanted = {"label": f"{engine.LABEL}={project}" if project else engine.LABEL}
    try:
        return engine.client().api.services(filters=wanted)
    except docker.errors.APIError as exc:  # left by another process a moment ago
        if exc.status_code == 503:
            return []
        raise


@dataclass(frozen=True)
class Leave:
    """What ``leave_if_last`` did: left, or kept the swarm and why."""

    left: bool
    kept_for: tuple[str, ...] = ()
    """Containers whose DNS names a leave now would erase (the leave is deferred)."""

    @property
    def deferred(self) -> bool:
        return bool(self.kept_for)

    def __bool__(self) -> bool:
        return self.left

    def explain(self) -> str:
        if self.kept_for == (STARTING,):
            whose = "the containers of a lab being started beside it"
        else:
            shown = ", ".join(self.kept_for[:4]) + (" …" if len(self.kept_for) > 4 else "")
            whose = f"{len(self.kept_for)} running container(s) ({shown})"
        return (f"Swarm mode stays on for now: leaving it would erase the Docker DNS names "
                f"of {whose}; moby/moby#45144. "
                "ClusterLab leaves it once they have stopped: the next lab to end, or "
                "`clusterlab clean`.")


STARTING = "(a lab being started)"


def leave_if_last() -> Leave:
    """Leave the swarm if ClusterLab made it, no service at all is left on it and no
    running container would lose its DNS names (call under ``locked``); remove the
    ``docker_gwbridge`` it made. A leave put off for those containers is remembered
    (``leave_pending``) and forgotten once the swarm is gone or not ours."""
    deferred = _deferred_mark()
    now = state()
    if not (now.active and now.manager and now.ours):
        deferred.unlink(missing_ok=True)
        return Leave(False)
    if engine.client().api.services():
        return Leave(False)
    # Marked before looking: a lab that ends meanwhile removes its containers, then reads
    # the mark (``Lab.down``). Either this look misses its containers, or it sees the
    # mark and tries again: the leave is never forgotten.
    deferred.touch()
    with _no_lab_starting() as free:
        kept = tuple(dns_dependents()) if free else (STARTING,)
        if kept:
            return Leave(False, kept)
        engine.client().swarm.leave(force=True)
    deferred.unlink(missing_ok=True)
    _remove_our_gwbridge()
    return Leave(True)


def _remove_our_gwbridge() -> None:
    """The last tasks leave ``docker_gwbridge`` a moment after their service went, and its
    ``gateway_ingress-sbox`` endpoint may stay: removed as a lab's networks are."""
    for row in engine.client().api.networks(names=[GWBRIDGE]):
        if (row.get("Labels") or {}).get(MARK) == "initialised":
            engine.remove_network(row["Id"], GWBRIDGE)


def docker_cli(args: Sequence[str], *, env: Mapping[str, str] | None = None,
               timeout: float = 120) -> str:
    """The one gate to the ``docker`` CLI (``docker stack …``, ``docker service …``): what a
    learner types. Returns stdout then stderr (where ``docker stack deploy`` warns about
    the keys it ignores); raises ``CommandFailed`` with both."""
    argv = ["docker", *map(str, args)]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})}, cwd=tempfile.gettempdir())
    if done.returncode != 0:
        raise CommandFailed(argv, done.returncode, done.stdout, done.stderr)
    return done.stdout + done.stderr

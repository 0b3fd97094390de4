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


def left_as_found(before: SwarmState) -> bool:
    """The engine's Swarm mode is as ``before`` (the owner's part of it), and a swarm
    ClusterLab made is only still there while some ClusterLab service runs in it (another
    Swarm lab, of this process or another)."""
    with locked():
        now = state()
        return now.as_found == before.as_found and (not now.ours or bool(services()))


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


@contextlib.contextmanager
def locked() -> Iterator[None]:
    """The host-wide Swarm lock (a file under the temp folder every lab uses)."""
    folder = Path(tempfile.gettempdir()) / "clusterlab"
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "swarm.lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


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


def leave_if_last() -> bool:
    """Leave the swarm if ClusterLab made it and no service at all is left on it (call
    under ``locked``); remove the ``docker_gwbridge`` it made. True if it left."""
    now = state()
    if not (now.active and now.manager and now.ours):
        return False
    if engine.client().api.services():
        return False
    engine.client().swarm.leave(force=True)
    _remove_our_gwbridge()
    return True


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

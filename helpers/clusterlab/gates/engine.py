"""Thin, typed access to the Docker Engine through the Docker SDK.

Every container exec goes through ``exec_in`` so that errors come back as our own
exceptions and the engine's version quirks live in one place.
"""

from __future__ import annotations

import contextlib
import functools
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

import docker
import docker.errors
from docker.models.containers import Container

from ..errors import ClusterLabError, DockerUnavailable, PodmanRefused, StuckNetwork
from ..waiting import wait_until

T = TypeVar("T")
R = TypeVar("R")

LABEL = "io.clusterlab.project"
"""Every container, network and volume a lab creates carries this label."""
COMPOSE_PROJECT = "com.docker.compose.project"
COMPOSE_SERVICE = "com.docker.compose.service"
COMPOSE_NUMBER = "com.docker.compose.container-number"
SERVICE = "io.clusterlab.service"
"""A Swarm lab's containers say their stack service here (Compose's label is Compose's)."""


@dataclass(frozen=True)
class ExecResult:
    exit_code: int
    output: str


@functools.cache
def client() -> docker.DockerClient:
    """A connected client, or ``DockerUnavailable`` that says how to fix it."""
    try:
        docker_client = docker.from_env(timeout=120)
        docker_client.ping()
        report = docker_client.version()
    except docker.errors.DockerException as exc:
        raise DockerUnavailable(f"Cannot reach the Docker daemon ({_first_line(exc)}).") from exc
    refuse_podman(report)
    return docker_client


def refuse_podman(report: Mapping[str, Any]) -> None:
    """Refuse Podman's Docker-compatible API (``/version`` names a "Podman Engine"
    component). The lessons teach, and assert, Docker's embedded DNS server (127.0.0.11 in
    every container, answering names on a user-defined network, forwarding the rest to the
    host's resolver, copying the host's search line), its networks and Swarm. Measured on
    Podman 5.4 (``bench/podman.py``): the resolver is aardvark-dns on the network's
    gateway, every container gets ``search dns.podman`` (a dotless name becomes
    ``name.dns.podman``, what lesson 3 is about), and ``swarm init`` is a 404; so no lesson
    runs there rather than teach what is untrue there."""
    for component in report.get("Components") or []:
        name = str(component.get("Name", ""))
        if "podman" in name.lower():
            raise PodmanRefused(
                f"DOCKER_HOST reaches Podman ({name} {component.get('Version', '?')}), not "
                "Docker Engine. ClusterLab's lessons are about Docker's embedded DNS "
                "(127.0.0.11), its networks and Swarm; Podman resolves names with "
                "aardvark-dns on each network's gateway, adds `search dns.podman` to every "
                "container, and has no Swarm, so what the lessons show would not be what "
                "you see.")


def versions() -> dict[str, str]:
    """Engine and API versions: lessons show them, because DNS behaviour changed over time."""
    info = client().version()
    return {"engine": info.get("Version", "?"), "api": info.get("ApiVersion", "?")}


@functools.cache
def major() -> int:
    """The engine's major version (20, 26, 28, ...): where a lesson's claim differs by
    engine, its assert checks what this engine does (docs/versions.md lists each)."""
    version = versions()["engine"]
    try:
        return int(version.split(".")[0])
    except ValueError:
        raise DockerUnavailable(f"The Docker daemon reports version {version!r}, which is "
                                "not a Docker Engine version.") from None


def exec_in(container: Container, argv: Sequence[str], *,
            env: Mapping[str, str] | None = None, user: str = "") -> ExecResult:
    """Run ``argv`` inside ``container``; stdout and stderr come back together."""
    try:
        code, output = container.exec_run(list(argv), environment=dict(env or {}), user=user,
                                          demux=False)
    except docker.errors.APIError as exc:
        raise ClusterLabError(
            f"Cannot exec in {container.name}: {_first_line(exc)}",
            "Is the container still running? `docker ps -a` shows its state.",
        ) from exc
    return ExecResult(code if code is not None else -1, (output or b"").decode(errors="replace"))


def lab_containers(project: str | None = None, *, service: str | None = None) -> list[Container]:
    """Containers labelled by ClusterLab: of one project (and service), or of all of them,
    ordered by service, then replica number."""
    wanted = [f"{LABEL}={project}" if project else LABEL]
    if service:
        wanted.append(f"{COMPOSE_SERVICE}={service}")
    return sorted(_inspect_all(client().api.containers(all=True, filters={"label": wanted})),
                  key=_order)


def _inspect_all(rows: Sequence[Mapping[str, Any]]) -> list[Container]:
    """Full objects for the engine's summary rows, inspected in parallel (the SDK's
    ``containers.list`` inspects one after another: 40 round trips for a 40-node lab);
    a container removed meanwhile is left out, as ``ignore_removed`` does."""
    def get(row: Mapping[str, Any]) -> Container | None:
        try:
            return client().containers.get(row["Id"])
        except docker.errors.NotFound:
            return None

    # As many at once as the client keeps connections (urllib3's pool: 10).
    return [c for c in parallel(get, list(rows), limit=10) if c is not None]


def compose_containers(project: str) -> list[Container]:
    """Containers of any Compose project (ClusterLab's or not: the doctor looks at both)."""
    rows = client().api.containers(all=True, filters={"label": f"{COMPOSE_PROJECT}={project}"})
    return sorted(_inspect_all(rows), key=_order)


def service_of(container: Container) -> str:
    """The service a container runs for: Compose's service, a Swarm lab's stack service,
    or (a container outside both) its own name."""
    labels = container.labels
    return labels.get(COMPOSE_SERVICE) or labels.get(SERVICE) or container.name


def _order(container: Container) -> tuple[str, int, str]:
    labels = container.labels
    # a Swarm task's container is named <stack>_<service>.<slot>.<task id>
    slot = labels.get(COMPOSE_NUMBER) or ([*container.name.split("."), "0", "0"])[1]
    return (service_of(container), int(slot) if slot.isdigit() else 0, container.name)


Kind = Literal["containers", "networks", "volumes"]


def labelled(kind: Kind, project: str | None = None) -> list[dict[str, Any]]:
    """The engine's raw rows (no inspect per object: cheap) for everything ClusterLab
    labelled, or one lab's: what ``clean`` and the orphan reaper walk."""
    wanted = {"label": f"{LABEL}={project}" if project else LABEL}
    api = client().api
    if kind == "containers":
        return api.containers(all=True, filters=wanted)
    if kind == "networks":
        return api.networks(filters=wanted)
    return api.volumes(filters=wanted).get("Volumes") or []


def parallel(work: Callable[[T], R], items: Sequence[T], limit: int | None = None) -> list[R]:
    """``work`` on every item at once (containers, mostly: each call waits on the engine),
    results in the items' order, the first error raised."""
    if not items:
        return []
    with ThreadPoolExecutor(max_workers=min(len(items), limit or len(items))) as pool:
        return list(pool.map(work, items))


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def removed(remove: Callable[[], Any]) -> bool:
    """Run one removal; True once the object is gone. Two labs starting at once (parallel
    tests) both reap the same orphan: its "already in progress" or "not found" is no error,
    and a network whose containers the other reaper is still removing is tried again."""
    try:
        remove()
    except docker.errors.NotFound:
        return True
    except docker.errors.APIError as exc:
        if exc.status_code == 409 and "already in progress" in str(exc):
            return True
        if exc.status_code in (403, 409) and "active endpoints" in str(exc):
            return False
        if exc.status_code == 503 and "not a swarm manager" in str(exc):
            return True  # an overlay network, gone with the swarm another process left
        if exc.status_code == 500 and "not found" in str(exc):
            return True  # a swarm-scope network the manager removed a moment ago
        raise
    return True


def _network_removed(api: Any, network: str, hidden: list[float]) -> bool:
    """Try to remove one network once. Endpoints still listed on a lab's own network are
    the lab's (a container another reaper is removing): disconnect them by force. The
    moments the engine refused while listing none are appended to ``hidden``."""
    if removed(lambda: api.remove_network(network)):
        return True
    try:
        endpoints = api.inspect_network(network).get("Containers") or {}
    except docker.errors.NotFound:
        return True
    if not endpoints:
        hidden.append(time.monotonic())
    for key, endpoint in endpoints.items():
        with contextlib.suppress(docker.errors.APIError):
            api.disconnect_container_from_network(endpoint.get("Name") or key, network,
                                                  force=True)
    return False


def remove_network(network: str, name: str, *, timeout: float = 30, stuck_after: float = 5,
                   api: Any = None) -> None:
    """Remove a lab's network, waiting while its containers go. Under heavy load the
    engine can keep an endpoint it no longer shows ("has active endpoints", `Containers`
    empty) for good: after ``stuck_after`` seconds of that, say so instead of waiting."""
    api = api or client().api
    hidden: list[float] = []

    def gone_or_stuck() -> bool:
        if _network_removed(api, network, hidden):
            return True
        if hidden and hidden[-1] - hidden[0] >= stuck_after:
            raise StuckNetwork(f"The engine will not remove network {name}: it reports an "
                               "active endpoint but lists no container on it (a Docker "
                               "bug seen under heavy load).")
        return False

    wait_until(gone_or_stuck, timeout=timeout, what=f"removing network {name}")


@dataclass(frozen=True)
class Ipv6Default:
    """What the engine does with an IPv6 network that names no IPv6 subnet."""

    command: str  # the CLI equivalent of what was asked
    subnet: str | None  # the IPv6 subnet it picked, or None if it refused
    error: str | None  # its refusal, first line


def ipv6_without_subnet() -> Ipv6Default:
    """Create (then remove) a network with IPv6 on and no IPv6 subnet, as a Compose file
    with only ``enable_ipv6: true`` asks: Engine 20.10 refuses it (no default IPv6
    pool); since Engine 27 it picks a unique-local /64 by itself (moby/moby#47853)."""
    name = f"clusterlab-ipv6-default-{secrets.token_hex(4)}"
    api = client().api
    command = f"docker network create --ipv6 {name}"
    try:
        created = api.create_network(name, enable_ipv6=True, labels={LABEL: name})
    except docker.errors.APIError as exc:
        return Ipv6Default(command, None, exc.explanation or _first_line(exc))
    try:
        config = (api.inspect_network(created["Id"]).get("IPAM") or {}).get("Config") or []
        subnets = [item.get("Subnet", "") for item in config if ":" in item.get("Subnet", "")]
        return Ipv6Default(command, subnets[0] if subnets else None,
                           None if subnets else "created without an IPv6 subnet")
    finally:
        api.remove_network(created["Id"])

"""Thin, typed access to the Docker Engine through the Docker SDK.

Every container exec goes through ``exec_in`` so that errors come back as our own
exceptions and the engine's version quirks live in one place.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import docker
import docker.errors
from docker.models.containers import Container

from .errors import ClusterLabError, DockerUnavailable

LABEL = "io.clusterlab.project"
"""Every container, network and volume a lab creates carries this label."""


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
    except docker.errors.DockerException as exc:
        raise DockerUnavailable(f"Cannot reach the Docker daemon ({_first_line(exc)}).") from exc
    return docker_client


def versions() -> dict[str, str]:
    """Engine and API versions: lessons show them, because DNS behaviour changed over time."""
    info = client().version()
    return {"engine": info.get("Version", "?"), "api": info.get("ApiVersion", "?")}


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


def lab_containers(project: str | None = None, *, service: str | None = None,
                   all: bool = True) -> list[Container]:
    """Containers labelled by ClusterLab: of one project (and service), or of all of them."""
    wanted = [f"{LABEL}={project}" if project else LABEL]
    if service:
        wanted.append(f"com.docker.compose.service={service}")
    return client().containers.list(all=all, filters={"label": wanted})


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__

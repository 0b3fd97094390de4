"""Exercise criteria about who else can join (lesson 6), judged on the real engine.

``[[outsider]]``: an outsider container on the lab network that holds the cookie (read
from the node itself, as an attacker with Docker access would) tries to join each
service's node three ways: plain TCP, TLS with no certificate, and TLS with a
certificate from another CA. Any ``pong`` is a problem.

``[[hidden_cookie]]``: ``docker inspect`` of each service's container (environment,
command, entrypoint, labels) must not contain the cookie the node runs with.

The criteria are data in ``spec`` and judged in ``judge`` like every other; this module
collects what they judge on the running lab, and times a mesh from the nodes' logs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

from docker.models.containers import Container

from ..errors import ClusterLabError, LabNotFound
from ..gates import engine
from ..lab import commands
from ..lab.lifecycle import Lab
from ..lab.outsider import Outsider
from ..observe.erlang import COOKIE_FILE

# (how the outsider tries, in plain words) → the ``tls_kind`` of ``Outsider.attempt``
WAYS: dict[str, str | None] = {
    "over plain TCP": None,
    "over TLS with no certificate": "none",
    "over TLS with a certificate from another CA": "rogue",
}


def outsider_attempts(lab: Lab, services: Sequence[str]) -> dict[str, dict[str, str]]:
    """service → {way → answer}: what an outsider holding the cookie got, every way."""
    outsider = Outsider.start(lab)
    try:
        jobs = [(service, way, kind) for service in services for way, kind in WAYS.items()]

        def attempt(job: tuple[str, str, str | None]) -> tuple[str, str, str]:
            service, way, kind = job
            try:
                return service, way, outsider.attempt(service, tls_kind=kind).answer
            except ClusterLabError as exc:  # a dead target is judged by the cluster criterion
                return service, way, f"error: {exc}"

        with ThreadPoolExecutor(max_workers=3) as pool:
            done = list(pool.map(attempt, jobs))
    finally:
        outsider.remove()
    out: dict[str, dict[str, str]] = {}
    for service, way, answer in done:
        out.setdefault(service, {})[way] = answer
    return out


def _inspected(container: Container) -> dict[str, str]:
    config = container.attrs.get("Config") or {}
    return {"environment": "\n".join(config.get("Env") or ()),
            "command": " ".join(config.get("Cmd") or ()),
            "entrypoint": " ".join(config.get("Entrypoint") or ()),
            "labels": "\n".join(f"{k}={v}" for k, v in (config.get("Labels") or {}).items())}


def cookie_leaks(lab: Lab, services: Sequence[str]) -> dict[str, list[str] | None]:
    """service → where ``docker inspect`` shows its node's cookie ([] nowhere; None when
    the node has no cookie to look for). The cookie is compared here, never returned."""
    out: dict[str, list[str] | None] = {}
    for service in services:
        try:
            container = lab.container(service)
        except LabNotFound:
            out[service] = None
            continue
        lab._record(commands.docker("inspect", "--format", "{{json .Config}}", container.name))
        secret = engine.exec_in(container, ["cat", COOKIE_FILE]).output.strip()
        if not secret or "No such file" in secret:
            out[service] = None
            continue
        out[service] = [where for where, text in _inspected(container).items() if secret in text]
    return out


@dataclass(frozen=True)
class MeshTiming:
    """When a lab's nodes booted and when the last of its connections came up (UTC)."""

    booted_at: datetime  # the first `[clusterlab] node … starting` line
    mesh_at: datetime  # the last first-`nodeup` line a full mesh needs

    def seconds_after(self, moment: datetime) -> float:
        return (self.mesh_at - moment).total_seconds()

    @property
    def from_boot(self) -> float:
        return (self.mesh_at - self.booted_at).total_seconds()


def mesh_timing(lab: Lab, nodes: Mapping[str, str], since: datetime) -> MeshTiming:
    """Read the engine-stamped logs of ``nodes`` (service → node name): when the first
    node booted, and when the last pair of nodes got connected.

    A connection serves both sides, and a node logs ``nodeup`` once its app runs (a
    connection made while it booted is logged when its monitor starts), so each pair
    counts from the first ``nodeup`` either side logged."""
    booted = min(line.at for service in nodes
                 for line in lab.log_lines(service, "[clusterlab] node", "starting",
                                           since=since))
    ups = {service: lab.log_lines(service, "[clusterlab] nodeup", since=since)
           for service in nodes}
    last = booted
    names = list(nodes)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            seen = [line.at for line in ups[a] if f'"{nodes[b]}"' in line.text]
            seen += [line.at for line in ups[b] if f'"{nodes[a]}"' in line.text]
            if not seen:
                raise ClusterLabError(f"neither {a} nor {b} logged a nodeup for the other")
            last = max(last, min(seen))
    return MeshTiming(booted, last)

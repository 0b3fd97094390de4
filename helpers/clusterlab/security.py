"""Exercise criteria about who else can join (lesson 6), judged on the real engine.

``[[outsider]]``: an outsider container on the lab network that holds the cookie (read
from the node itself, as an attacker with Docker access would) tries to join each
service's node three ways: plain TCP, TLS with no certificate, and TLS with a
certificate from another CA. Any ``pong`` is a problem.

``[[hidden_cookie]]``: ``docker inspect`` of each service's container (environment,
command, entrypoint, labels) must not contain the cookie the node runs with.

Collecting needs the running lab; judging is pure (``Observation`` → problems), like the
other criteria in ``checks``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from . import commands, engine
from .probes import COOKIE_FILE

# (how the outsider tries, in plain words) → the ``tls_kind`` of ``Outsider.attempt``
WAYS: dict[str, str | None] = {
    "over plain TCP": None,
    "over TLS with no certificate": "none",
    "over TLS with a certificate from another CA": "rogue",
}


def _words(items: Sequence[str]) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


@dataclass(frozen=True)
class OutsiderBlocked:
    """No outsider holding the cookie can join any of ``services``."""

    services: tuple[str, ...]

    @property
    def label(self) -> str:
        return f"an outsider holding the cookie cannot join {_words(self.services)}"


@dataclass(frozen=True)
class CookieHidden:
    """``docker inspect`` of each of ``services`` does not show the cookie."""

    services: tuple[str, ...]

    @property
    def label(self) -> str:
        return f"docker inspect shows no cookie for {_words(self.services)}"


def outsider_attempts(lab: Any, services: Sequence[str]) -> dict[str, dict[str, str]]:
    """service → {way → answer}: what an outsider holding the cookie got, every way."""
    from .outsider import Outsider

    outsider = Outsider.start(lab)
    try:
        jobs = [(service, way, kind) for service in services for way, kind in WAYS.items()]

        def attempt(job: tuple[str, str, str | None]) -> tuple[str, str, str]:
            service, way, kind = job
            try:
                return service, way, outsider.attempt(service, tls_kind=kind).answer
            except Exception as exc:  # a dead target is judged by the cluster criterion
                return service, way, f"error: {exc}"

        with ThreadPoolExecutor(max_workers=3) as pool:
            done = list(pool.map(attempt, jobs))
    finally:
        outsider.remove()
    out: dict[str, dict[str, str]] = {}
    for service, way, answer in done:
        out.setdefault(service, {})[way] = answer
    return out


def _inspected(container: Any) -> dict[str, str]:
    config = container.attrs.get("Config") or {}
    return {"environment": "\n".join(config.get("Env") or ()),
            "command": " ".join(config.get("Cmd") or ()),
            "entrypoint": " ".join(config.get("Entrypoint") or ()),
            "labels": "\n".join(f"{k}={v}" for k, v in (config.get("Labels") or {}).items())}


def cookie_leaks(lab: Any, services: Sequence[str]) -> dict[str, list[str] | None]:
    """service → where ``docker inspect`` shows its node's cookie ([] nowhere; None when
    the node has no cookie to look for). The cookie is compared here, never returned."""
    out: dict[str, list[str] | None] = {}
    for service in services:
        try:
            container = lab.container(service)
        except Exception:
            out[service] = None
            continue
        lab._record(commands.docker("inspect", "--format", "{{json .Config}}", container.name))
        secret = engine.exec_in(container, ["cat", COOKIE_FILE]).output.strip()
        if not secret or "No such file" in secret:
            out[service] = None
            continue
        out[service] = [where for where, text in _inspected(container).items() if secret in text]
    return out


def judge_outsider(c: OutsiderBlocked, attempts: Mapping[str, Mapping[str, str]]) -> list[str]:
    problems = []
    for service in c.services:
        tried = attempts.get(service)
        if not tried:
            problems.append(f"no outsider could try {service}")
            continue
        for way, answer in tried.items():
            if answer == "pong":
                problems.append(f"an outsider holding the cookie joined {service} {way}")
    return problems


def judge_hidden(c: CookieHidden, leaks: Mapping[str, list[str] | None]) -> list[str]:
    problems = []
    for service in c.services:
        found = leaks.get(service)
        if found is None:
            problems.append(f"{service} has no cookie to look for (is it a distributed node?)")
        elif found:
            problems.append(f"docker inspect {service} shows the cookie in its "
                            f"{_words(found)}")
    return problems


@dataclass(frozen=True)
class MeshTiming:
    """When a lab's nodes booted and when the last of its connections came up (UTC)."""

    booted_at: Any  # the first `[clusterlab] node … starting` line
    mesh_at: Any  # the last first-`nodeup` line a full mesh needs

    def seconds_after(self, moment: Any) -> float:
        return (self.mesh_at - moment).total_seconds()

    @property
    def from_boot(self) -> float:
        return (self.mesh_at - self.booted_at).total_seconds()


def mesh_timing(lab: Any, nodes: Mapping[str, str], since: Any) -> MeshTiming:
    """Read the engine-stamped logs of ``nodes`` (service → node name): when the first
    node booted, and when the last pair of nodes got connected.

    A connection serves both sides, and a node logs ``nodeup`` only once its app runs (a
    peer may connect while it is still booting), so each pair counts from the first
    ``nodeup`` either side logged."""
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
                raise ValueError(f"neither {a} nor {b} logged a nodeup for the other")
            last = max(last, min(seen))
    return MeshTiming(booted, last)

"""Ports: EPMD and distribution ports published to the host, fixed ports on scaled services (CL5xx).
"""

from __future__ import annotations

from .beam import (
    beam_nodes,
    dist_ports,
    flags,
    product,
)
from .findings import EPMD_PORT, Finding, rule
from .findings import finding as _f
from .findings import svc_key as _svc
from .model import Project

# -- ports ---------------------------------------------------------------------------------


@rule(("CL501", "error", "EPMD (4369) published to the host"),
       ("CL502", "error", "distribution port published to the host"))
def published_distribution(project: Project) -> list[Finding]:
    out = []
    nodes = beam_nodes(project)
    for name, service in project.services.items():
        published = list(service.ports)  # a `ports:` entry publishes, to a random port too
        if any(p.target == EPMD_PORT for p in published):
            out.append(_f("CL501", [name],
                          f"{name} publishes EPMD ({EPMD_PORT}) to the host: anyone who can "
                          "reach the host can list the nodes and their ports.",
                          "Remove that `ports:` entry; nodes talk over the Compose network.",
                          [_svc(name, "ports", str(EPMD_PORT))]))
        dist = dist_ports(flags(service), service.environment)
        if (model := product(service)) is not None and name in nodes:
            dist |= set(model.dist_ports)
        if hits := sorted(p.target for p in published if p.target in dist):
            out.append(_f("CL502", [name],
                          f"{name} publishes its distribution port(s) {hits} to the host: "
                          "anyone with the cookie (or a guess) gets full control of the node.",
                          "Remove those `ports:` entries; use `bin/app remote` via docker exec.",
                          [_svc(name, "ports", str(p)) for p in hits]))
    return out


@rule(("CL503", "error", "fixed published port on a scaled service"),
       ("CL504", "error", "container_name combined with replicas"))
def scaling(project: Project) -> list[Finding]:
    out = []
    for name, service in project.services.items():
        if service.replicas < 2:
            continue
        fixed: dict[int, set[str]] = {}
        for port in service.ports:
            if port.published:
                fixed.setdefault(port.target, set()).add(port.published)
        if crowded := sorted(t for t, hosts in fixed.items() if len(hosts) < service.replicas):
            out.append(_f("CL503", [name],
                          f"{name} runs {service.replicas} replicas but publishes container "
                          f"port(s) {crowded} on fixed host ports: only one replica can bind.",
                          "Drop the host port (`- \"8080\"`), give a range as wide as the "
                          "replicas, or put a proxy in front.",
                          [_svc(name, "ports", str(crowded[0])), _svc(name, "deploy", "replicas"),
                           _svc(name, "scale")]))
        if service.container_name:
            out.append(_f("CL504", [name],
                          f"{name} sets `container_name: {service.container_name}` and "
                          f"{service.replicas} replicas; container names are unique, so "
                          "Compose refuses to create the others.",
                          "Drop `container_name` (Compose names replicas <project>-<svc>-N).",
                          [_svc(name, "container_name")]))
    return out

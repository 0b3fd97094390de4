"""The stack as the engine gets it: the file's compose model, labelled and made hermetic.

Compose reads the learner's file (``gates.compose.load``); before ``up`` a lab adds its
labels, pins every service's resolver, and refuses what must never be published.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import ComposeFileError
from .gateway import on_lab_gateway, port_parts

EPMD_PORT = 4369


def label_model(model: dict[str, Any], labels: Mapping[str, str]) -> dict[str, Any]:
    """A copy of a compose model with ``labels`` on every service, network and volume."""
    out = json.loads(json.dumps(model))
    for kind in ("services", "networks", "volumes"):
        for item in (out.get(kind) or {}).values():
            if item is None or item.get("external"):
                continue
            item["labels"] = {**(item.get("labels") or {}), **labels}
    return out


def pin_resolver(model: dict[str, Any]) -> dict[str, Any]:
    """A copy of a compose model where every service has an explicit ``dns_search``.

    Docker copies the host's ``search`` line into each container's resolv.conf, and
    OTP's resolver (so ``Node.connect`` and dns_cluster's ``getbyname``) then tries
    ``name.<host domain>``. A lab must give the same answers on a laptop, a cloud VM and
    a CI runner, so a service that does not choose its search list gets ``["."]``
    (no search line at all). A service that sets ``dns_search`` keeps it: that is how a
    lesson teaches search domains on purpose.
    """
    out = json.loads(json.dumps(model))
    for service in (out.get("services") or {}).values():
        if service is not None and "dns_search" not in service:
            service["dns_search"] = ["."]
    return out


GATE = "/tmp/clusterlab-late"
"""The file a held service waits for at its entry point (``STARTUP_GATE``)."""


def hold(model: dict[str, Any], services: Sequence[str]) -> dict[str, Any]:
    """A copy of a compose model where ``services`` boot only once ``GATE`` exists in
    their container: ``Lab.up(late=…)`` creates it when every other service is ready, so
    "n2 starts after the others" is an order of states, not a delay that load outruns."""
    out = json.loads(json.dumps(model))
    for name in services:
        service = (out.get("services") or {}).get(name)
        if service is None:
            raise ComposeFileError(f"{name} is to start late, but the file has no such service.")
        env = service.get("environment") or {}
        if not isinstance(env, dict):  # Compose's model is always a map; keep it honest
            raise ComposeFileError(f"{name}: its environment is not a map.")
        service["environment"] = {**env, "STARTUP_GATE": GATE}
    return out


def published_epmd(model: Mapping[str, Any]) -> list[str]:
    """Services that would publish EPMD to the host (on a fixed or a random host port):
    anyone who reaches it could then list our nodes.

    One narrow allowance (lesson 8, ``gateway``): bound to the gateway address of a
    network the file defines itself, ``${CLUSTERLAB_GATEWAY_<KEY>}``, which only that
    lab network's containers reach."""
    hits = []
    for name, service in (model.get("services") or {}).items():
        for port in service.get("ports") or []:
            target, _, host_ip = port_parts(port)
            if target == str(EPMD_PORT) and not on_lab_gateway(host_ip, model):
                hits.append(name)
    return hits


LOOPBACK = ("127.0.0.1", "::1")
ALLOW_EPMD = "allow_published_epmd"
"""``x-clusterlab: {allow_published_epmd: loopback}`` at the top of a compose file: the
one documented override of the EPMD refusal (lesson 6 lists the nodes through it). It
allows EPMD on 127.0.0.1 only; a port published on any other address (but a lab network's
own gateway, lesson 8) is refused always."""


def not_on_loopback(model: Mapping[str, Any]) -> list[str]:
    """Published ports that other machines could reach: ``service: host_ip:published→target``.
    127.0.0.1 is safe, and so is the gateway of a network the lab creates (lesson 8)."""
    wide = []
    for name, service in (model.get("services") or {}).items():
        for port in (service or {}).get("ports") or []:
            target, published, host_ip = port_parts(port)
            if host_ip not in LOOPBACK and not on_lab_gateway(host_ip, model):
                wide.append(f"{name}: {host_ip or '0.0.0.0'}:{published or '?'}→{target}")
    return wide


def refused_ports(model: Mapping[str, Any]) -> ComposeFileError | None:
    """Why a lab will not publish this file's ports, or None."""
    allowed = ((model.get("x-clusterlab") or {}).get(ALLOW_EPMD) == "loopback")
    if (exposed := published_epmd(model)) and not allowed:
        return ComposeFileError(
            f"{', '.join(exposed)} publishes EPMD ({EPMD_PORT}) to the host.",
            "Remove that `ports:` entry: nodes talk on the project network. (A lesson that "
            f"shows the leak says `x-clusterlab: {{{ALLOW_EPMD}: loopback}}`.)")
    if wide := not_on_loopback(model):
        return ComposeFileError(
            "A lab publishes ports on 127.0.0.1 (or its own networks' gateways) only; these "
            "would be reachable from other "
            "machines: " + ", ".join(wide) + ".",
            'Write the host address: "127.0.0.1:8080:8080" (or "127.0.0.1::8080").')
    return None

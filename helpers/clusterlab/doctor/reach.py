"""Rules about reaching a node (lesson 8): the IPv6 carrier and the distribution port.

Registered with the other static rules when ``clusterlab.doctor`` is imported.
"""

from __future__ import annotations

import ipaddress
import shlex

from .beam import FLAG_VARS, beam_nodes, dist_ports, flags, name_key, names_by_ipv6
from .findings import EPMD_PORT, Finding, finding, rule
from .findings import svc_key as _svc
from .model import Project, Service


def proto_dist(service: Service) -> str | None:
    """The ``-proto_dist`` carrier the service's VM flags (its release's vm.args, the
    ``ERL_*FLAGS`` variables, its command) select, if any."""
    words = [w for _, text in service.vm_args for line in text.splitlines()
             for w in line.split("#", 1)[0].split()]
    for var in FLAG_VARS:
        try:
            words += shlex.split(service.environment.get(var, "") or "")
        except ValueError:
            words += (service.environment.get(var, "") or "").split()
    words += [str(w) for w in service.command]  # entrypoint + command
    found = None
    for i, word in enumerate(words[:-1]):
        if word == "-proto_dist":
            found = words[i + 1]
    return found


def _ipv6_host(host: str | None) -> bool:
    try:
        return ipaddress.ip_address((host or "").strip("[]")).version == 6
    except ValueError:
        return False


@rule(("CL208", "error", "node named by an IPv6 address without `-proto_dist inet6_tcp`"))
def ipv6_names(project: Project) -> list[Finding]:
    out = []
    for name, spec in beam_nodes(project).items():
        service = project.services[name]
        ipv6 = _ipv6_host(spec.host) or spec.source == "NODE_NAME_BY_IP6" \
            or (spec.source == "env.sh" and names_by_ipv6(service))
        if not ipv6 or (proto_dist(service) or "").startswith("inet6_"):
            continue
        shown = spec.name or f"{spec.source} (<name>@<IPv6 address>)"
        out.append(finding(
            "CL208", [name],
            f"{name}: node `{shown}` is named by an IPv6 address, but its distribution "
            "carrier is the default inet_tcp (IPv4): it boots, and Node.connect to it (or "
            "from it) returns false, with nothing logged.",
            "Add `-proto_dist inet6_tcp` to the release's vm.args (or ERL_AFLAGS) on every "
            "node, and on every client "
            "(remote shell, Livebook, probes); erl_call can't dial IPv6 names.",
            [name_key(service, spec)]))
    return out


@rule(("CL506", "warning", "EPMD published without a pinned distribution port"))
def epmd_without_pinned_port(project: Project) -> list[Finding]:
    out = []
    for name, service in project.services.items():
        published = [p for p in service.ports if p.published]
        if not any(p.target == EPMD_PORT for p in published):
            continue
        dist = dist_ports(flags(service), service.environment)
        if dist and all(any(p.target == port for p in published) for port in dist):
            continue
        out.append(finding(
            "CL506", [name],
            f"{name} publishes EPMD ({EPMD_PORT}) but not a fixed distribution port: EPMD "
            "answers a peer on another host with the node's port, which is random at each "
            "boot and not published, so the dial fails after EPMD answered.",
            "Pin `-kernel inet_dist_listen_min P inet_dist_listen_max P` and publish P too "
            "(on a private address only), or run without EPMD (`-erl_epmd_port P "
            "-start_epmd false`, OTP 23.1+).",
            [_svc(name, "ports", str(EPMD_PORT))]))
    return out

"""Node names: long/short names and hosts, names Docker's DNS answers, env.sh overrides
(CL2xx), and the seed's msvc_default trap (CL6xx).
"""

from __future__ import annotations

import re

from ..observe.erlang import is_ip
from .beam import (
    NodeSpec,
    answering,
    beam_nodes,
    clusters,
    hosts_lists,
    is_loopback,
    mode_key,
    name_key,
    referenced_hosts,
    renamed_network_key,
    service_networks,
)
from .findings import Finding, Key, Location, list_key, rule
from .findings import env_key as _env_key
from .findings import finding as _f
from .findings import svc_key as _svc
from .model import Project, Service
from .products import BY_KEY

# -- node names ------------------------------------------------------------------------------


@rule(("CL201", "error", "long name with a dotless host"),
       ("CL202", "error", "short name with a dotted host"),
       ("CL203", "error", "RELEASE_DISTRIBUTION missing while RELEASE_NODE has a dotted host"))
def name_modes(project: Project) -> list[Finding]:
    out = []
    for name, spec in beam_nodes(project).items():
        host = spec.host
        if not host or is_ip(host):
            continue
        dotted = "." in host
        if spec.mode == "name" and not dotted:
            out.append(_f("CL201", [name],
                          f"{name}: long name `{spec.name}` has a dotless host; it boots, but "
                          f"long-name peers refuse to dial it (\"Hostname {host} is illegal\").",
                          f"Use a dotted host (e.g. `hostname: {host}.lab` and "
                          f"`{spec.name}.lab`) or an IP"
                          + (", or switch to short names." if spec.product == "mix" else "."),
                          [name_key(project.services[name], spec)]))
        elif spec.mode == "sname" and dotted and spec.mode_explicit:
            out.append(_f("CL202", [name],
                          f"{name}: short name `{spec.name}` has a dotted host; short-name nodes "
                          "refuse it and cannot reach long-name nodes.",
                          f"Set {_long_names(spec)} (long names) or drop the domain.",
                          [name_key(project.services[name], spec),
                           mode_key(project.services[name], spec)]))
        elif spec.mode == "sname" and dotted and spec.source == "RELEASE_NODE":
            out.append(_f("CL203", [name],
                          f"{name}: RELEASE_NODE `{spec.name}` has a dotted host but "
                          "RELEASE_DISTRIBUTION is not set, so the release starts with its "
                          "default `sname` and refuses the name.",
                          "Add `RELEASE_DISTRIBUTION: name` next to RELEASE_NODE.",
                          [name_key(project.services[name], spec)]))
    return out


@rule(("CL204", "error", "node host is not a name Docker DNS answers on the node's networks"))
def node_host_resolves(project: Project) -> list[Finding]:
    out = []
    groups = clusters(project)
    for name, spec in beam_nodes(project).items():
        host = spec.host
        service = project.services[name]
        nets = service_networks(project, service)
        alone = len(groups[spec.cluster]) < 2
        if spec.source == "default" and alone:
            continue  # a lone node's default name is dialled by nobody
        if is_loopback(host) and not alone:
            var = (BY_KEY[spec.product].name_vars or ("RELEASE_NODE",))[0]
            what = "left at its default" if spec.source == "default" else "set"
            out.append(_f("CL204", [name],
                          f"{name}: node `{spec.name}` ({what}) names the loopback host "
                          f"`{host}`: every peer that dials it reaches itself, so the nodes "
                          "never connect.",
                          f"Set `hostname:` on {name} and {var} to a name Docker answers "
                          f"(e.g. `{spec.name.partition('@')[0]}@{name}.lab` with "
                          f"`hostname: {name}.lab`).",
                          [name_key(service, spec), _svc(name, "hostname")]))
            continue
        if not host or is_ip(host) or not nets or renamed_network_key(project, host):
            continue
        if name not in answering(project, host, nets):
            others = answering(project, host, nets)
            why = (f"on its networks `{host}` belongs to {', '.join(sorted(others))}" if others
                   else f"no container answers `{host}` on {', '.join(sorted(nets))}")
            out.append(_f("CL204", [name],
                          f"{name}: node `{spec.name}` cannot be dialled: {why}.",
                          f"Set `hostname: {host}` on {name} (Compose registers it as an alias), "
                          f"or use a name Docker answers, such as `{name}`.",
                          [name_key(service, spec), _svc(name, "hostname")]))
    return out


@rule(("CL205", "error", "long and short names mixed"))
def mixed_modes(project: Project) -> list[Finding]:
    return [f for group in clusters(project).values() for f in _mixed(project, group)]


def _mixed(project: Project, nodes: dict[str, NodeSpec]) -> list[Finding]:
    nodes = {n: s for n, s in nodes.items() if s.source != "image"}  # mode set in vm.args
    by_mode: dict[str, list[str]] = {}
    for name, spec in nodes.items():
        by_mode.setdefault(spec.mode, []).append(name)
    if len(by_mode) < 2:
        return []
    return [_f("CL205", nodes,
               f"long names ({', '.join(by_mode['name'])}) and short names "
               f"({', '.join(by_mode['sname'])}) cannot connect to each other.",
               "Use the same RELEASE_DISTRIBUTION (usually `name`) on every BEAM service.",
               [mode_key(project.services[n], nodes[n]) for mode in sorted(by_mode, key=lambda m:
                len(by_mode[m])) for n in by_mode[mode]])]


@rule(("CL206", "warning", "node host is the container's random ID"))
def container_id_host(project: Project) -> list[Finding]:
    out = []
    for name, spec in beam_nodes(project).items():
        service = project.services[name]
        if spec.name is not None or spec.source != "default" or spec.by_ip \
                or service.hostname or _names_itself(service):
            continue
        if spec.product == "rabbitmq":
            out.append(_f("CL206", [name],
                          f"{name}: no RABBITMQ_NODENAME and no `hostname:`, so the node is "
                          "`rabbit@<container id>` (RabbitMQ names it after the hostname): a "
                          "new name, and an empty data directory, on every re-create.",
                          f"Set `hostname: {name}` (RabbitMQ's docs: a fixed hostname per "
                          "node).", [_svc(name)]))
            continue
        out.append(_f("CL206", [name],
                      f"{name}: no RELEASE_NODE and no `hostname:` in the file. Unless the "
                      "image sets the name itself (rel/env.sh.eex, vm.args), a release names "
                      "the node `<release>@<container id>`: a new name on every re-create, "
                      "which no host list can spell.",
                      f"Set `hostname: {name}.lab` and `RELEASE_NODE: app@{name}.lab` with "
                      "`RELEASE_DISTRIBUTION: name`.", [_svc(name)]))
    return out


def _names_itself(service: Service) -> bool:
    """Evidence in the file that the image names the node: an env.sh that sets RELEASE_NODE,
    or a vm.args mounted into it."""
    return any(re.search(r"RELEASE_NODE=", text) for _, text in service.env_scripts) \
        or any(v.endswith("vm.args") for v in service.volumes)


def _long_names(spec: NodeSpec) -> str:
    var = BY_KEY[spec.product].longname_var
    return f"`{var}: true`" if var else "`RELEASE_DISTRIBUTION: name`"


_EXPORT = re.compile(r"^[ \t]*export[ \t]+(RELEASE_(?:NODE|DISTRIBUTION|COOKIE))=(.*)$", re.M)


@rule(("CL207", "warning", "env.sh overrides Compose's RELEASE_* variables"))
def env_sh_overrides(project: Project) -> list[Finding]:
    out = []
    for name, service in project.services.items():
        for path, text in service.env_scripts:
            for match in _EXPORT.finditer(text):
                var, value = match.groups()
                line = text.count("\n", 0, match.start()) + 1
                if var in service.environment and f"${{{var}:-" not in value \
                        and f"${{{var}-" not in value:
                    out.append(_f("CL207", [name],
                                  f"{name}: {path.rsplit('/', 1)[-1]} exports {var} "
                                  "unconditionally; the release sources it on every command, "
                                  f"so Compose's {var} is ignored.",
                                  f"Write `export {var}=\"${{{var}:-<default>}}\"` in "
                                  "rel/env.sh.eex.",
                                  [_env_key(name, var)],
                                  [Location(path, line, 1)]))
    return out


# -- the seed's msvc_default trap -------------------------------------------------------------


@rule(("CL601", "error", "name spells a network key that Compose renames"),
       ("CL602", "info", "hostname spells a network key that Compose renames"))
def network_prefixrenamed_network_key(project: Project) -> list[Finding]:
    out = []
    nodes = beam_nodes(project)
    for name, service in project.services.items():
        nets = service_networks(project, service)
        spelled: dict[str, str] = {}
        at: dict[str, Key] = {}
        if name in nodes and nodes[name].host:
            spelled[nodes[name].host or ""] = "its node name"
            at[nodes[name].host or ""] = name_key(service, nodes[name])
        for host, variables in referenced_hosts(service.environment).items():
            spelled.setdefault(host, ", ".join(sorted(variables)))
            at.setdefault(host, (*_env_key(name, sorted(variables)[0]), host))
        for source, listed in hosts_lists(service).items():
            for node in listed:
                spelled.setdefault(node.partition("@")[2], "its host list")
                at.setdefault(node.partition("@")[2], (*list_key(name, source), node))
        for host, where in sorted(spelled.items()):
            key = renamed_network_key(project, host)
            if not key or answering(project, host, nets or None):
                continue
            real = project.networks[key].name
            base = host.rpartition(".")[0]
            out.append(_f("CL601", [name],
                          f"{name}: `{host}` ({where}) spells the network key `{key}`, but "
                          f"Compose creates the network as `{real}`; Docker answers "
                          f"`{base}.{real}`, so `{host}` is NXDOMAIN.",
                          f"Set `hostname: {host}` on the service it means, or give the network "
                          f"`name: {key}`, or spell `{base}.{real}`.", [at[host]]))
    via_hostname = sorted(name for name, service in project.services.items()
                          if service.hostname and renamed_network_key(project, service.hostname))
    if via_hostname:
        keys = sorted({renamed_network_key(project, project.services[n].hostname or "") or ""
                       for n in via_hostname})
        out.append(_f("CL602", via_hostname,
                      f"hostnames such as `{project.services[via_hostname[0]].hostname}` spell the "
                      f"network key {', '.join(keys)}; they resolve only because `hostname:` "
                      "becomes a DNS alias, not because that is the network's name "
                      f"(`{project.networks[keys[0]].name}`).",
                      "Fine as is; just don't expect `<other>.<key>` names to resolve.",
                      [_svc(n, "hostname") for n in via_hostname]))
    return out

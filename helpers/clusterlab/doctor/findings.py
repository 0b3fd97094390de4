"""The static checks: one small pure function per pitfall, over the typed ``Project``.

Each check returns ``Finding``s with a stable code, so CI can gate on them and docs
can link them (docs/doctor.md lists the catalogue). Messages never contain a cookie.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import networkx as nx

from ..nodenames import is_ip
from .beam import (
    NO_DNS_MODES,
    NodeSpec,
    answering,
    beam_nodes,
    clusters,
    connects_once,
    cookie,
    cookie_var,
    cookie_vars,
    dns_cluster_query,
    flag_key,
    flag_vars,
    flags,
    hosts_lists,
    is_loopback,
    mode_key,
    mounts_cookie,
    name_key,
    product,
    referenced_hosts,
    seeds,
    service_networks,
    shares_network,
    uses_dns_discovery,
)
from .model import LEGACY, Project, Service, is_dynamic, is_unset
from .products import BY_KEY, looks_beamish

SEVERITIES = ("error", "warning", "info")
EPMD_PORT = 4369
MIN_COOKIE = 20


Key = tuple[str, ...]
"""A path into the compose model, e.g. ``("services", "a", "environment", "RELEASE_NODE")``:
what a finding is about, found in the user's files by ``locate``."""


@dataclass(frozen=True)
class Location:
    """A place in a file the user wrote (1-based line; column when known)."""

    file: str
    line: int
    column: int | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" + (f":{self.column}" if self.column else "")


@dataclass(frozen=True)
class Finding:
    """One problem: ``code`` is stable, ``fix`` says what to change.

    ``keys`` say which compose keys it is about (most telling first); ``locations`` are
    where those are written, filled in by ``locate.place`` (or by a check that reads a
    file of its own, such as an env.sh).
    """

    code: str
    severity: str  # error | warning | info
    services: tuple[str, ...]
    message: str
    fix: str
    keys: tuple[Key, ...] = field(default=(), compare=False)
    locations: tuple[Location, ...] = field(default=(), compare=False)

    @property
    def location(self) -> Location | None:
        return self.locations[0] if self.locations else None

    def as_dict(self) -> dict[str, object]:
        """The JSON form (``--format json``): unchanged since the first release."""
        return {"code": self.code, "severity": self.severity, "services": list(self.services),
                "message": self.message, "fix": self.fix}


Check = Callable[[Project], list[Finding]]
CATALOGUE: dict[str, tuple[str, str]] = {}  # code → (severity, title), for docs and tests
CHECKS: list[Check] = []


def check(*codes: tuple[str, str, str]) -> Callable[[Check], Check]:
    """Register a check and the codes (code, severity, title) it may emit."""
    def register(func: Check) -> Check:
        for code, severity, title in codes:
            CATALOGUE[code] = (severity, title)
        CHECKS.append(func)
        return func
    return register


def _f(code: str, services: Iterable[str], message: str, fix: str,
       keys: Sequence[Key] = (), locations: Sequence[Location] = ()) -> Finding:
    return Finding(code, CATALOGUE[code][0], tuple(sorted(set(services))), message, fix,
                   tuple(keys), tuple(locations))


def _svc(name: str, *rest: str) -> Key:
    return ("services", name, *rest)


def _env_key(name: str, var: str) -> Key:
    return ("services", name, "environment", var)


# -- how the file was read ------------------------------------------------------------------


@check(("CL001", "error", "Compose refuses the file"))
def compose_refuses(project: Project) -> list[Finding]:
    if not project.compose_error:
        return []
    named = [s for s in project.services
             if re.search(rf"(?<![\w-]){re.escape(s)}(?![\w-])", project.compose_error)]
    if project.compose_error == LEGACY:
        return [_f("CL001", [], f"Compose refuses this file: {LEGACY}",
                   "Put every service under a top-level `services:` key (Compose file format "
                   "v2/v3 or the Compose Specification).",
                   [_svc(s) for s in list(project.services)[:1]])]
    return [_f("CL001", [], f"`docker compose config` refuses this file: {project.compose_error}",
               "Fix what Compose reports; the other findings were read from the raw YAML.",
               [_svc(named[0], key) for key in _SERVICE_KEYS if key in project.compose_error]
               + [_svc(named[0])] if named else [])]


@check(("CL002", "info", "a service looks like a BEAM node but could not be modelled"))
def not_modelled(project: Project) -> list[Finding]:
    """Say what was not checked: silence would read as "nothing wrong"."""
    out = []
    nodes = beam_nodes(project)
    for name, service in project.services.items():
        spec = nodes.get(name)
        if spec is not None and spec.source == "image":
            out.append(_f("CL002", [name],
                          f"{name} is a {BY_KEY[spec.product].title} node whose name is set "
                          "inside the image (vm.args), which the doctor cannot read: its name, "
                          "naming mode and host were not checked.",
                          f"Set the name in the file ({BY_KEY[spec.product].name_vars[0]}) to "
                          "have it checked.", [_svc(name)]))
        elif spec is None and (why := looks_beamish(service.image, service.environment,
                                                    service.command)):
            out.append(_f("CL002", [name],
                          f"{name} looks like an Erlang/Elixir service ({why}), but no model "
                          "the doctor knows derives its node name or cookie: it was not "
                          "checked.",
                          "If it is a distributed node, set its name and cookie in the file "
                          "(e.g. RELEASE_NODE and RELEASE_COOKIE for a Mix release).",
                          [_svc(name)]))
    return out


@check(("CL003", "warning", "a variable feeding a cookie, node name or host is not set"))
def unset_inputs(project: Project) -> list[Finding]:
    """Compose only warns about an unset ``${VAR}`` and puts a blank string there."""
    out = []
    nodes = beam_nodes(project)
    for name, service in project.services.items():
        if name not in nodes:
            continue
        model = product(service)
        feeds = {*cookie_vars(service), *flag_vars(service), "hostname", "command",
                 "entrypoint", "RELEASE_NODE", *(model.name_vars if model else ()),
                 *(model.list_vars + model.seed_vars if model else ())}
        for key, var in sorted(service.unset_vars.items()):
            if key not in feeds and not key.endswith(("HOSTS", "NODES", "SEEDS")):
                continue
            where = (_svc(name, key) if key in ("hostname", "command", "entrypoint")
                     else _env_key(name, key))
            out.append(_f("CL003", [name],
                          f"{name}: {key} uses ${{{var}}}, which is not set: Compose puts a "
                          "blank string there (it only prints a warning), so the node gets "
                          "an empty value.",
                          f"Set {var} (shell, CI secret, .env), or write `${{{var}:?set {var}}}` "
                          "so Compose refuses to start without it.", [where]))
    return out


_SERVICE_KEYS = ("container_name", "ports", "networks", "network_mode", "hostname", "volumes",
                 "environment", "extends", "deploy", "build", "image")


# -- networks ------------------------------------------------------------------------------


@check(("CL101", "error", "BEAM services split across networks"))
def beam_split(project: Project) -> list[Finding]:
    return [f for group in clusters(project).values() for f in _split(project, list(group))]


def _split(project: Project, members: list[str]) -> list[Finding]:
    nodes = [s for s in members if service_networks(project, project.services[s])]
    graph = nx.Graph()
    graph.add_nodes_from(nodes)
    graph.add_edges_from((a, b) for i, a in enumerate(nodes) for b in nodes[i + 1:]
                         if shares_network(project, a, b))
    groups = sorted((sorted(c) for c in nx.connected_components(graph)), key=lambda g: g[0])
    if len(groups) < 2:
        return []
    text = " | ".join(", ".join(g) for g in groups)
    return [_f("CL101", nodes,
               f"BEAM services form {len(groups)} network islands ({text}); "
               "Docker DNS does not answer across them, so the nodes cannot connect.",
               "Give every BEAM service one common network (the same `networks:` entry, or no "
               "`networks:` at all so all share `default`).",
               [_svc(n, "networks") for g in groups[1:] for n in g]
               + [_svc(n, "networks") for n in groups[0]])]


@check(("CL102", "error", "a service named in the environment is on another network"))
def unreachable_references(project: Project) -> list[Finding]:
    out = []
    for name, service in project.services.items():
        nets = service_networks(project, service)
        if not nets:
            continue
        for host, variables in sorted(referenced_hosts(service.environment).items()):
            if _trap(project, host) or answering(project, host, nets):
                continue
            owners = answering(project, host) - {name}
            if not owners:
                continue  # not a name of this file: outside our knowledge
            theirs = sorted({k for o in owners
                             for k in service_networks(project, project.services[o])})
            out.append(_f(
                "CL102", [name, *owners],
                f"{name} names `{host}` ({', '.join(sorted(variables))}) but is only on "
                f"{', '.join(sorted(nets))}, while {', '.join(sorted(owners))} is on "
                f"{', '.join(theirs)}: the lookup gives NXDOMAIN (`:nxdomain`).",
                f"Put {', '.join(sorted(owners))} on a network {name} is on "
                f"(e.g. `networks: [{sorted(nets)[0]}]`).",
                [_env_key(name, v) for v in sorted(variables)]
                + [_svc(o, "networks") for o in sorted(owners)]))
    return out


@check(("CL104", "warning", "BEAM services reach each other only through a third"))
def partial_reach(project: Project) -> list[Finding]:
    """One island (CL101 is quiet), but some pairs share no network: a partial partition
    built into the file. Distribution is transitive, so the pair is dialled and fails;
    OTP 25's global then disconnects nodes that can still talk (lesson 9)."""
    out = []
    for group in clusters(project).values():
        nodes = sorted(s for s in group if service_networks(project, project.services[s])
                       and flags(project.services[s]).get("kernel.connect_all") != "false")
        apart = [(a, b) for i, a in enumerate(nodes) for b in nodes[i + 1:]
                 if not shares_network(project, a, b)]
        if not apart or _split(project, nodes):
            continue
        pairs = ", ".join(f"{a} and {b}" for a, b in apart)
        out.append(_f("CL104", sorted({s for pair in apart for s in pair}),
                      f"{pairs} share no network, but each shares one with another node of the "
                      "cluster: they will be told about each other and fail to connect. On OTP "
                      "25+ `global` then disconnects nodes that can still talk (\"in order to "
                      "prevent overlapping partitions\"), so Node.list flaps.",
                      "Give every node of the cluster a network in common with every other "
                      "(one shared network).",
                      [_svc(s, "networks") for pair in apart for s in pair]))
    return out


@check(("CL103", "warning", "BEAM service without Docker DNS (network_mode)"))
def no_dns(project: Project) -> list[Finding]:
    out = []
    for name in beam_nodes(project):
        mode = project.services[name].network_mode or ""
        if mode in NO_DNS_MODES or mode.startswith("container:"):
            out.append(_f("CL103", [name],
                          f"{name} uses `network_mode: {mode}`: Docker's embedded DNS does not "
                          "answer service names there, so peers cannot find this node by name.",
                          "Drop `network_mode` and put the service on a user-defined network.",
                          [_svc(name, "network_mode")]))
    return out


# -- node names ------------------------------------------------------------------------------


@check(("CL201", "error", "long name with a dotless host"),
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


@check(("CL204", "error", "node host is not a name Docker DNS answers on the node's networks"))
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
        if not host or is_ip(host) or not nets or _trap(project, host):
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


@check(("CL205", "error", "long and short names mixed"))
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


@check(("CL206", "warning", "node host is the container's random ID"))
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


@check(("CL207", "warning", "env.sh overrides Compose's RELEASE_* variables"))
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


# -- discovery ------------------------------------------------------------------------------


@check(("CL301", "error", "DNS-based discovery with FQDN node names"))
def dns_discovery_names(project: Project) -> list[Finding]:
    out = []
    for name, spec in beam_nodes(project).items():
        if not uses_dns_discovery(project.services[name]) or spec.by_ip:
            continue
        if spec.host and is_ip(spec.host):
            continue
        shown = spec.name or f"a {spec.source} name"
        out.append(_f("CL301", [name],
                      f"{name}: DNS polling (dns_cluster / DNSPoll) dials `basename@IP`, but "
                      f"the node is named {shown}; Node.connect returns false, silently.",
                      "Name nodes by IP (in rel/env.sh.eex: RELEASE_NODE=app@$(hostname -i), as in "
                      "Kubernetes) or "
                      "use an explicit host list (libcluster Epmd).",
                      [name_key(project.services[name], spec), _discovery_key(project, name)]))
    return out


@check(("CL306", "error", "dns_cluster's query meets the search list"))
def dns_query_search_list(project: Project) -> list[Finding]:
    """dns_cluster asks ``:inet_res.getbyname(query, :a)``: a dotless query is tried only as
    ``query.<search domain>``, and a dotted ``hostname:`` or ``dns_search:`` sets that domain
    (measured on OTP 25: NXDOMAIN, while libcluster's ``:inet_res.lookup`` finds every IP).
    ``dns_search: .`` writes no search line and does not undo a dotted hostname's domain."""
    out = []
    for name, service in project.services.items():
        query = dns_cluster_query(service)
        if not query or "." in query:
            continue
        hostname = service.hostname or ""
        search = [d for d in service.dns_search if d.strip(".")]  # `.`: no search line
        if "." in hostname.strip(".") and not is_dynamic(hostname):
            domain, cause = hostname.partition(".")[2], f"`hostname: {hostname}`"
            where = _svc(name, "hostname")
        elif search:
            domain, cause = search[0], f"`dns_search: {search[0]}`"
            where = _svc(name, "dns_search")
        else:
            continue
        out.append(_f("CL306", [name],
                      f"{name}: dns_cluster resolves DNS_CLUSTER_QUERY `{query}` with "
                      f"`:inet_res.getbyname`, which tries a dotless name only as "
                      f"`{query}.{domain}` (the search domain {cause} sets): NXDOMAIN, so the "
                      "node finds no peers at all, silently.",
                      f"Query `{query}.` (trailing dot: asked as is), or a dotted name Docker "
                      f"answers as is (`{query}.<real network name>`), or drop the dot from "
                      "`hostname:`.",
                      [_env_key(name, "DNS_CLUSTER_QUERY"), where]))
    return out


@check(("CL302", "error", "host list names nodes that don't exist"),
       ("CL303", "warning", "host list misses BEAM services"))
def host_lists(project: Project) -> list[Finding]:
    return [f for group in clusters(project).values() for f in _lists(project, group)]


def _lists(project: Project, nodes: dict[str, NodeSpec]) -> list[Finding]:
    known = {spec.name: svc for svc, spec in nodes.items() if spec.name}
    vague = {svc for svc, spec in nodes.items() if not spec.name}
    seen: dict[tuple[str, ...], list[str]] = {}
    where: dict[tuple[str, ...], list[Key]] = {}
    partial: set[tuple[str, ...]] = set()  # seeds: one node to join, not everyone
    for name in nodes:
        service = project.services[name]
        for source, listed in [*hosts_lists(service).items(), *seeds(service).items()]:
            entry = tuple(sorted(set(listed)))
            if source in seeds(service):
                partial.add(entry)
            seen.setdefault(entry, []).append(name)
            where.setdefault(entry, []).append(_list_key(name, source))
    out = []
    for listed, owners in seen.items():
        keys = where[listed]
        ghosts = [n for n in listed if n not in known
                  and not (answering(project, n.partition("@")[2]) & vague)]
        if ghosts:
            close = {g: _closest(g, known) for g in ghosts}
            hint = "; ".join(f"`{g}` → `{c}`?" for g, c in close.items() if c)
            out.append(_f("CL302", owners,
                          f"the host list of {', '.join(owners)} names "
                          f"{', '.join(f'`{g}`' for g in ghosts)}, which no service here is "
                          f"named{f' ({hint})' if hint else ''}.",
                          "Spell each entry exactly as that service's node name "
                          f"({_name_var(project, owners[0])}).",
                          [(*k, ghosts[0]) if k[2] == "environment" else k for k in keys]))
        missing = sorted(svc for node, svc in known.items()
                         if node not in listed and svc not in owners)
        if missing and listed not in partial:
            out.append(_f("CL303", [*owners, *missing],
                          f"the host list of {', '.join(owners)} leaves out "
                          f"{', '.join(missing)}, so nothing dials them.",
                          "List every BEAM node, or confirm those are not meant to join.",
                          keys))
    return out


def _list_key(service: str, source: str) -> Key:
    """A host list's key: its variable, or the build whose config/*.exs holds it."""
    return _env_key(service, source) if "/" not in source else _svc(service, "build")


def _discovery_key(project: Project, name: str) -> Key:
    """Where a service's discovery is chosen: CLUSTER_STRATEGY, DNS_CLUSTER_QUERY or its build."""
    env = project.services[name].environment
    for var in ("CLUSTER_STRATEGY", "DNS_CLUSTER_QUERY"):
        if var in env:
            return _env_key(name, var)
    return _svc(name, "build")


def _closest(node: str, known: dict[str, str]) -> str | None:
    base = node.partition("@")[0]
    matches = [k for k in known if k.partition("@")[0] == base]
    return matches[0] if len(matches) == 1 else None


@check(("CL304", "warning", "host list connects once, without retry"))
def connect_once(project: Project) -> list[Finding]:
    out = []
    for name in beam_nodes(project):
        if reason := connects_once(project.services[name]):
            out.append(_f("CL304", [name],
                          f"{name}: {reason}; a peer that is not up yet when this node boots, or "
                          "that is cut off later, stays out of the cluster for good.",
                          "Poll: set CLUSTER_TIMEOUT (ms) / libcluster Epmd `timeout:`, or "
                          "another strategy that retries.", [_discovery_key(project, name)]))
    return out


@check(("CL305", "warning", "connect_all false: no transitive mesh"))
def connect_all_false(project: Project) -> list[Finding]:
    out = []
    for name in beam_nodes(project):
        if flags(project.services[name]).get("kernel.connect_all") == "false":
            out.append(_f("CL305", [name],
                          f"{name}: `-kernel connect_all false` turns off the transitive mesh: "
                          "nodes see only those they dial themselves (a star, not a mesh).",
                          "Drop the flag, or have every node dial every other node.",
                          [flag_key(project.services[name], "connect_all")]))
    return out


# -- cookies ----------------------------------------------------------------------------------


@check(("CL401", "warning", "cookie missing"),
       ("CL402", "error", "cookies differ between services"),
       ("CL403", "warning", "cookie hard-coded in the compose file"),
       ("CL404", "warning", "cookie too short"),
       ("CL405", "warning", "cookie left at the product's public default"))
def cookies(project: Project) -> list[Finding]:
    return [f for group in clusters(project).values() for f in _cookies(project, group)]


def _cookies(project: Project, nodes: dict[str, NodeSpec]) -> list[Finding]:
    out = []
    values: dict[str, str] = {}
    keys: dict[str, Key] = {}
    missing: list[str] = []
    for name, spec in nodes.items():
        service = project.services[name]
        value, written, where = cookie(service)
        var = cookie_var(spec)
        key = flag_key(service, "-setcookie" if "-setcookie" in service.command
                       or "-setcookie" in str(service.environment) else "--cookie") \
            if where == "command line" else _env_key(name, where)
        keys[name] = key
        model = BY_KEY[spec.product]
        if value is None and model.unset_cookie == "public" and model.default_cookie:
            value, written, where = model.default_cookie, None, "default"
            keys[name] = _svc(name, "environment")
        if value is None:
            if not mounts_cookie(service) and not (set(cookie_vars(service))
                                                   & set(service.unset_vars)):
                missing.append(name)
            continue
        values[name] = value
        if model.default_cookie and value == model.default_cookie:
            out.append(_f("CL405", [name],
                          f"{name}: the cookie is {model.title}'s documented default "
                          f"({'not set' if where == 'default' else where}); it is public, so "
                          "anyone who reaches the node's ports can join it and run code.",
                          f"Set `{var}: ${{ERL_COOKIE:?}}` on every {model.title} node and "
                          "keep the value outside the file.", [keys[name]]))
            continue
        if written is not None and "$" not in written and not is_unset(value):
            out.append(_f("CL403", [name],
                          f"{name}: the cookie ({where}, {len(value)} chars) is written in the "
                          "compose file, so anyone with the repository can join the cluster.",
                          f"Use `{var}: ${{ERL_COOKIE:?}}` and set ERL_COOKIE outside the "
                          "file (shell, CI secret, .env not committed).", [key]))
        if not is_unset(value) and not is_dynamic(value) and len(value) < MIN_COOKIE:
            out.append(_f("CL404", [name],
                          f"{name}: the cookie is {len(value)} characters long; cookies are the "
                          "only authentication of Erlang distribution.",
                          f"Use at least {MIN_COOKIE} random characters "
                          "(`openssl rand -base64 32`).", [key]))
    out += _missing_cookies(project, nodes, missing, bool(values))
    if len(set(values.values())) > 1:
        groups: dict[str, list[str]] = {}
        for name, value in values.items():
            groups.setdefault(value, []).append(name)
        text = " | ".join(", ".join(sorted(g)) for g in sorted(groups.values()))
        out.append(_f("CL402", values,
                      f"{len(groups)} different cookies ({text}); nodes with different cookies "
                      "refuse each other (Node.connect returns false).",
                      "Give every node the same cookie from one variable "
                      f"({cookie_var(next(iter(nodes.values())))}).",
                      [keys[n] for g in sorted(groups.values(), key=len) for n in sorted(g)]))
    return out


def _missing_cookies(project: Project, nodes: dict[str, NodeSpec], missing: list[str],
                     others_set: bool) -> list[Finding]:
    """CL401, worded as the assumption it is: the file can't show what the image bakes in.

    RabbitMQ's image has no baked cookie (each container writes a random one), so there it
    is a fact. For a release, services that run one prebuilt image share its cookie; only
    separate builds (or different images) give different ones, and a node next to others
    that set a cookie differs from them unless the image bakes exactly that one."""
    if not missing or len(nodes) < 2:
        return []
    out = []
    for name in missing:
        spec = nodes[name]
        var = cookie_var(spec)
        if BY_KEY[spec.product].unset_cookie == "random":
            message = (f"{name} sets no cookie: the {BY_KEY[spec.product].title} image then "
                       "writes a random one in each container, so the nodes refuse each other.")
        else:
            images = {(project.services[n].image, project.services[n].build_context)
                      for n in nodes}
            builds = [n for n in nodes if project.services[n].build_context]
            if len(images) == 1 and not builds and not others_set:
                continue  # one prebuilt image: one baked cookie, shared
            why = ("the other nodes set one in the file, which the baked one matches only by "
                   "chance" if others_set else "services built separately get different "
                   "cookies and refuse each other" if builds else "the nodes run different "
                   "images, whose cookies differ unless they were built with the same one")
            message = (f"{name} sets no cookie in the file, so it uses the one its image bakes "
                       f"in (an assumption: the doctor cannot see the image); {why}.")
        out.append(_f("CL401", [name], message,
                      f"Set `{var}: ${{ERL_COOKIE:?}}` on every node and keep the value in the "
                      "environment or a secret.", [_svc(name, "environment")]))
    return out


def _name_var(project: Project, service: str) -> str:
    model = product(project.services[service])
    return (model.name_vars[0] if model and model.name_vars else "RELEASE_NODE")


# -- ports ---------------------------------------------------------------------------------


def _dist_ports(service_flags: dict[str, str], env: dict[str, str]) -> set[int]:
    ports: set[int] = set()
    low = service_flags.get("kernel.inet_dist_listen_min")
    high = service_flags.get("kernel.inet_dist_listen_max") or low
    if low and low.isdigit() and high and high.isdigit():
        ports |= set(range(int(low), int(high) + 1))
    for var in ("ERL_DIST_PORT", "EPMDLESS_DIST_PORT"):
        if env.get(var, "").isdigit():
            ports.add(int(env[var]))
    return ports


@check(("CL501", "error", "EPMD (4369) published to the host"),
       ("CL502", "error", "distribution port published to the host"))
def published_distribution(project: Project) -> list[Finding]:
    out = []
    nodes = beam_nodes(project)
    for name, service in project.services.items():
        published = [p for p in service.ports if p.published]
        if any(p.target == EPMD_PORT for p in published):
            out.append(_f("CL501", [name],
                          f"{name} publishes EPMD ({EPMD_PORT}) to the host: anyone who can "
                          "reach the host can list the nodes and their ports.",
                          "Remove that `ports:` entry; nodes talk over the Compose network.",
                          [_svc(name, "ports", str(EPMD_PORT))]))
        dist = _dist_ports(flags(service), service.environment)
        if (model := product(service)) is not None and name in nodes:
            dist |= set(model.dist_ports)
        if hits := sorted(p.target for p in published if p.target in dist):
            out.append(_f("CL502", [name],
                          f"{name} publishes its distribution port(s) {hits} to the host: "
                          "anyone with the cookie (or a guess) gets full control of the node.",
                          "Remove those `ports:` entries; use `bin/app remote` via docker exec.",
                          [_svc(name, "ports", str(p)) for p in hits]))
    return out


@check(("CL503", "error", "fixed published port on a scaled service"),
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


# -- the seed's msvc_default trap -------------------------------------------------------------


def _trap(project: Project, host: str) -> str | None:
    """The network key ``host`` spells as a suffix when Compose renamed that network."""
    base, dot, suffix = host.rpartition(".")
    if not dot or not base:
        return None
    network = project.networks.get(suffix)
    if network is None or network.name == suffix or network.external:
        return None
    return suffix


@check(("CL601", "error", "name spells a network key that Compose renames"),
       ("CL602", "info", "hostname spells a network key that Compose renames"))
def network_prefix_trap(project: Project) -> list[Finding]:
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
                at.setdefault(node.partition("@")[2], (*_list_key(name, source), node))
        for host, where in sorted(spelled.items()):
            key = _trap(project, host)
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
                          if service.hostname and _trap(project, service.hostname))
    if via_hostname:
        keys = sorted({_trap(project, project.services[n].hostname or "") or ""
                       for n in via_hostname})
        out.append(_f("CL602", via_hostname,
                      f"hostnames such as `{project.services[via_hostname[0]].hostname}` spell the "
                      f"network key {', '.join(keys)}; they resolve only because `hostname:` "
                      "becomes a DNS alias, not because that is the network's name "
                      f"(`{project.networks[keys[0]].name}`).",
                      "Fine as is; just don't expect `<other>.<key>` names to resolve.",
                      [_svc(n, "hostname") for n in via_hostname]))
    return out


# -- live mode's codes (its checks are in live.py; registered here so every format knows them) --

for _code, _severity, _title in (
    ("CL701", "error", "live: a node's host does not resolve from a peer"),
    ("CL702", "error", "live: a name in the environment does not resolve"),
    ("CL703", "error", "live: nodes are up but not connected"),
    ("CL704", "warning", "live: one-sided view"),
    ("CL705", "error", "live: cookies differ"),
    ("CL706", "warning", "live: could not check"),
):
    CATALOGUE[_code] = (_severity, _title)


# -- running them ------------------------------------------------------------------------------


def run_checks(project: Project, checks: Iterable[Check] | None = None) -> list[Finding]:
    """Every check over ``project``, most severe first, then by code."""
    found = [f for func in (checks or CHECKS) for f in func(project)]
    return sort_findings(found)


def sort_findings(found: Iterable[Finding]) -> list[Finding]:
    return sorted(found, key=lambda f: (SEVERITIES.index(f.severity), f.code, f.services))


def has_errors(found: Iterable[Finding]) -> bool:
    return any(f.severity == "error" for f in found)


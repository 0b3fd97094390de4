"""Discovery: DNS queries, host lists, connect-once, connect_all (CL3xx).
"""

from __future__ import annotations

from ..observe.erlang import is_ip
from .beam import (
    NodeSpec,
    answering,
    beam_nodes,
    clusters,
    connects_once,
    dns_cluster_query,
    flag_key,
    flags,
    hosts_lists,
    name_key,
    name_var,
    seeds,
    uses_dns_discovery,
)
from .findings import Finding, Key, list_key, rule
from .findings import env_key as _env_key
from .findings import finding as _f
from .findings import svc_key as _svc
from .model import Project, is_dynamic

# -- discovery ------------------------------------------------------------------------------


@rule(("CL301", "error", "DNS-based discovery with FQDN node names"))
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


@rule(("CL306", "error", "dns_cluster's query meets the search list"))
def dns_query_search_list(project: Project) -> list[Finding]:
    """dns_cluster asks ``:inet_res.getbyname(query, :a)``: a dotless query is tried only as
    ``query.<search domain>``, and a dotted ``hostname:`` or ``dns_search:`` sets that domain
    (measured on OTP 25 and 27: NXDOMAIN, while libcluster's ``:inet_res.lookup`` finds every
    IP). OTP 29 then asks the name as it is (erlang/otp PR #10576); the file does not say
    which OTP runs, so the finding says both and its fix holds on every OTP.
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
                      f"`{query}.{domain}` (the search domain {cause} sets): NXDOMAIN, so on "
                      "OTP 27 and older the node finds no peers at all, silently (OTP 29 "
                      "goes on to ask the name as it is).",
                      f"Query `{query}.` (trailing dot: asked as is), or a dotted name Docker "
                      f"answers as is (`{query}.<real network name>`), or drop the dot from "
                      "`hostname:`.",
                      [_env_key(name, "DNS_CLUSTER_QUERY"), where]))
    return out


@rule(("CL302", "error", "host list names nodes that don't exist"),
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
            where.setdefault(entry, []).append(list_key(name, source))
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
                          f"({name_var(project, owners[0])}).",
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


@rule(("CL304", "warning", "host list connects once, without retry"))
def connect_once(project: Project) -> list[Finding]:
    out = []
    for name in beam_nodes(project):
        if reason := connects_once(project.services[name]):
            out.append(_f("CL304", [name],
                          f"{name}: {reason}; a peer that is not up yet when this node boots, or "
                          "that is cut off later, stays out of the cluster for good.",
                          "Poll: libcluster Epmd with a `timeout:` (ms) in its `config:`, or "
                          "another strategy that retries.", [_discovery_key(project, name)]))
    return out


@rule(("CL305", "warning", "connect_all false: no transitive mesh"))
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

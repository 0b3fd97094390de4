"""Live mode: look inside any running Compose project and report what a file can't show.

Containers are found by Compose's own labels, so this works on projects ClusterLab did
not start. Which containers are BEAM nodes, their node names and cookies come from the
running VM itself (``/proc/<beam>/cmdline`` and ``environ``), not from our image's
files. ``Node.list()`` is asked through ``erl_call``; without it, through the release's
own ``bin/<name> rpc``; without either, the report says so plainly. The containers of a
``--dir`` lab (a learner's own release) are asked as ``clusterlab probe`` asks them, with
the release's own tools (``observe.release_probe``).

Three steps as elsewhere: build a script, run it with ``engine.exec_in``, parse its
output (``parse_detect``, ``live_findings`` are pure and unit-tested).
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from docker.models.containers import Container

from ..errors import LabNotFound
from ..gates import engine
from ..lab import commands
from ..lab.cookie import Cookie
from ..model.snapshot import DnsAnswer, Member, Placement, Snapshot
from ..model.topology import clusters, one_sided, to_graph
from ..observe import release_probe
from ..observe.erlang import is_ip
from ..observe.probe import describe, parse_node_list, probe_container
from .beam import referenced_hosts
from .findings import Finding, finding, sort_findings

CONFIG_FILES_LABEL = "com.docker.compose.project.config_files"  # comma-separated, absolute
WORKING_DIR_LABEL = "com.docker.compose.project.working_dir"

# Lists every BEAM VM in the container with its argv and environment (NUL → newline).
DETECT_SCRIPT = r"""
for p in /proc/[0-9]*; do
  c=$(tr '\0' '\n' < "$p/cmdline" 2>/dev/null) || continue
  case "$c" in *beam.smp*) ;; *) continue ;; esac
  echo "@@beam ${p#/proc/}"; printf '%s\n' "$c"
  echo "@@environ"; tr '\0' '\n' < "$p/environ" 2>/dev/null; echo
done
for t in erl_call nslookup getent; do
  command -v "$t" >/dev/null 2>&1 && echo "@@has $t"
done
exit 0
"""

# Node.list() through the release's own script, printed as an Erlang term.
RPC_EXPR = ':io.format("~w~n", [Node.list()])'  # ~w: one line, atoms quoted


@dataclass(frozen=True)
class Detected:
    """What one container's processes say: its BEAM node (if any) and the tools it has."""

    node: str | None = None
    mode: str | None = None  # "name" / "sname"
    cookie: Cookie | None = field(default=None, repr=False)
    release_bin: str | None = None
    environ: dict[str, str] = field(default_factory=dict, repr=False)
    tools: frozenset[str] = frozenset()
    digest: str | None = None  # the cookie's digest when only that is known (release_probe)
    release: bool = False  # asked with the release's own tools (a ``--dir`` lab)

    @property
    def fingerprint(self) -> str | None:
        """A short hash that tells cookies apart without showing them."""
        if self.cookie is None:
            return self.digest
        return self.cookie.digest()


_COOKIE_ENV = ("RELEASE_COOKIE", "RABBITMQ_ERLANG_COOKIE", "EMQX_NODE__COOKIE",
               "EMQX_NODE_COOKIE", "COUCHDB_ERLANG_COOKIE", "DOCKER_VERNEMQ_DISTRIBUTED_COOKIE",
               "ERLANG_COOKIE", "COOKIE")
"""Where products keep the cookie in a VM's environment (docs/doctor.md, Products)."""


def parse_detect(text: str) -> Detected:
    """Read ``DETECT_SCRIPT`` output: the first distributed BEAM VM wins."""
    tools = frozenset(m.group(1) for m in re.finditer(r"^@@has (\S+)", text, re.M))
    for block in re.split(r"^@@beam \d+\n", text, flags=re.M)[1:]:
        argv_text, _, env_text = block.partition("@@environ\n")
        env_text = re.split(r"^@@", env_text, flags=re.M)[0]
        argv = argv_text.splitlines()
        environ = dict(line.split("=", 1) for line in env_text.splitlines() if "=" in line)
        node = mode = cookie = None
        for i, arg in enumerate(argv[:-1]):
            if arg in ("-name", "-sname"):
                node, mode = argv[i + 1], arg.lstrip("-")
            elif arg == "-setcookie":
                cookie = argv[i + 1]
        cookie = cookie or next((environ[v] for v in _COOKIE_ENV if environ.get(v)), None)
        if node is None:  # products that name the node in a generated vm.args (EMQX)
            for var in ("EMQX_NODE__NAME", "EMQX_NODE_NAME"):
                if "@" in environ.get(var, ""):
                    node, mode = environ[var], "name"
        if node is None and environ.get("RELEASE_DISTRIBUTION", "sname") != "none" \
                and "@" in environ.get("RELEASE_NODE", ""):
            node, mode = environ["RELEASE_NODE"], environ.get("RELEASE_DISTRIBUTION", "sname")
        root, name = environ.get("RELEASE_ROOT"), environ.get("RELEASE_NAME")
        release_bin = f"{root}/bin/{name}" if root and name else None
        if node:
            return Detected(node, mode, Cookie(cookie) if cookie else None, release_bin,
                            environ, tools)
    return Detected(tools=tools)


def _detect(container: Container) -> Detected:
    if container.status != "running":
        return Detected()
    return parse_detect(engine.exec_in(container, ["sh", "-c", DETECT_SCRIPT]).output)


def _rpc_peers(container: Container, found: Detected) -> tuple[tuple[str, ...] | None, str | None]:
    """Node.list() through ``bin/<release> rpc`` (slower than erl_call, but always shipped)."""
    if not found.release_bin:
        return None, "no erl_call and no Mix release script found"
    env = {k: v for k, v in found.environ.items()
           if k in ("RELEASE_NODE", "RELEASE_DISTRIBUTION", "RELEASE_COOKIE")}
    if found.cookie:
        env["RELEASE_COOKIE"] = found.cookie.reveal()
    result = engine.exec_in(container, [found.release_bin, "rpc", RPC_EXPR], env=env)
    try:
        last = result.output.strip().splitlines()[-1] if result.output.strip() else ""
        return parse_node_list(last), None
    except ValueError:
        return None, f"{found.release_bin} rpc failed: {result.output.strip()[-120:]}"


_GETENT = r"""for n in "$@"; do echo "@@dns $n"; getent hosts "$n" || echo "@@none"; done"""


def parse_getent(text: str) -> dict[str, DnsAnswer]:
    out: dict[str, DnsAnswer] = {}
    for section in re.split(r"^@@dns ", text, flags=re.M)[1:]:
        name, _, body = section.partition("\n")
        addresses = tuple(line.split()[0] for line in body.splitlines()
                          if line.strip() and not line.startswith("@@"))
        out[name] = DnsAnswer(name, "ok", addresses) if addresses else DnsAnswer(name, "nxdomain")
    return out


def _probe_release(container: Container, found: Detected,
                   names: Sequence[str]) -> tuple[Member, Detected]:
    """A ``--dir`` lab's container, asked as the probe asks it; what the release's own
    places say (node, cookie digest) fills in what its argv did not."""
    member, seen = release_probe.asked(container, names)
    found = replace(found, release=True)
    if seen and seen.node and not found.node:
        found = replace(found, node=seen.node, mode=seen.mode)
    if seen and seen.cookie and found.cookie is None:
        found = replace(found, digest=seen.cookie)
    return member, found


def _probe_one(container: Container, found: Detected,
               names: Sequence[str]) -> tuple[Member, Detected]:
    """One container's member of the snapshot, and what it runs (as asking it showed)."""
    if release_probe.is_release(container):
        return _probe_release(container, found, names)
    env: dict[str, str] = {}
    if found.node and "erl_call" in found.tools:
        env["CL_NODE"] = found.node
        if found.cookie:
            env["CL_COOKIE"] = found.cookie.reveal()
    member = probe_container(container, names, env=env)
    if container.status != "running":
        return member, found
    if "nslookup" not in found.tools:
        dns = parse_getent(engine.exec_in(container, ["sh", "-c", _GETENT, "dns", *names]).output) \
            if "getent" in found.tools else {}
        member = replace(member, dns=dns)
    if found.node and "erl_call" not in found.tools:
        peers, error = _rpc_peers(container, found)
        member = replace(member, node=found.node, peers=peers, error=error)
    elif found.node and member.node is None:
        member = replace(member, node=found.node)
    return member, found


def _secret_free(text: str | None, cookies: Sequence[Cookie]) -> str | None:
    for cookie in cookies:
        if text:
            text = cookie.scrub(text)
    return text


@dataclass(frozen=True)
class LiveReport:
    project: str
    snapshot: Snapshot
    detected: dict[str, Detected]  # container name → what it runs
    referenced: dict[str, dict[str, set[str]]]  # container → host → env vars naming it
    findings: list[Finding]
    config_files: tuple[str, ...] = ()  # the compose file(s) the project was started from


def config_files(labels: Sequence[Mapping[str, str]]) -> tuple[str, ...]:
    """The compose files Compose's labels say a project was started from (first seen wins).

    Relative entries (older Compose) are taken from the project's working directory.
    """
    for found in labels:
        listed = [p.strip() for p in found.get(CONFIG_FILES_LABEL, "").split(",") if p.strip()]
        if listed:
            base = found.get(WORKING_DIR_LABEL, "")
            return tuple(p if p.startswith("/") or not base else f"{base.rstrip('/')}/{p}"
                         for p in listed)
    return ()


def merge(static: Sequence[Finding], live: Sequence[Finding]) -> list[Finding]:
    """Static next to live findings, once each; a live error names the static errors on
    the same services, so the verdict says why as well as what."""
    out: dict[tuple[str, tuple[str, ...], str], Finding] = {}
    for item in static:
        out.setdefault((item.code, item.services, item.message), item)
    for item in live:
        why = sorted({s.code for s in static if s.severity == "error"
                      and set(s.services) & set(item.services)})
        if why and item.severity == "error":
            item = replace(item, message=f"{item.message} The file says why: "
                                         f"{', '.join(why)}.")
        if not item.keys:
            item = replace(item, keys=tuple(("services", s) for s in item.services))
        out.setdefault((item.code, item.services, item.message), item)
    return sort_findings(out.values())


def project_containers(project: str) -> list[Container]:
    found = engine.compose_containers(project)
    if not found:
        raise LabNotFound(f"No containers of Compose project {project!r} are on this engine.",
                          "Check the name with `docker compose ls` (it is the -p / folder name).")
    return found


def diagnose_live(project: str, *, erl_call: bool = True) -> LiveReport:
    """Probe a running Compose project and return live findings (plus the snapshot to draw).

    ``erl_call=False`` acts as if the images had none on the PATH (tests the
    ``bin/<name> rpc`` path); a ``--dir`` lab's release is asked with its own tools anyway.
    """
    containers = project_containers(project)
    with ThreadPoolExecutor(max_workers=len(containers)) as pool:
        detected = dict(zip((c.name for c in containers), pool.map(_detect, containers),
                            strict=True))
    if not erl_call:
        detected = {k: replace(d, tools=d.tools - {"erl_call"}) for k, d in detected.items()}
    facts = {c.name: describe(c) for c in containers}
    known_names = {n.lower() for f in facts.values()
                   for n in (f.service, f.container, f.hostname,
                             *[a for aliases in f.aliases.values() for a in aliases])}
    referenced = {}
    for c in containers:
        env = dict(item.split("=", 1) for item in c.attrs["Config"].get("Env") or []
                   if "=" in item)
        referenced[c.name] = {h: v for h, v in referenced_hosts(env).items()
                              if h.lower() in known_names or _suffix_known(h, facts)}
    node_hosts = {d.node.partition("@")[2] for d in detected.values() if d.node}
    names = sorted(node_hosts | {h for refs in referenced.values() for h in refs})
    started, taken_at = time.monotonic(), datetime.now(UTC)
    with ThreadPoolExecutor(max_workers=len(containers)) as pool:
        asked = list(pool.map(lambda c: _probe_one(c, detected[c.name], names), containers))
    members = tuple(member for member, _ in asked)
    detected = {c.name: found for c, (_, found) in zip(containers, asked, strict=True)}
    cookies = [d.cookie for d in detected.values() if d.cookie]
    members = tuple(replace(m, error=_secret_free(m.error, cookies)) for m in members)
    snapshot = Snapshot(f"live · {project}", taken_at, time.monotonic() - started, members)
    return LiveReport(project, snapshot, detected, referenced,
                      live_findings(snapshot, detected, referenced),
                      config_files([c.labels for c in containers]))


_FIND_BEAM = ("for p in /proc/[0-9]*; do grep -qa beam.smp $p/cmdline 2>/dev/null && "
              'tr "\\0" " " < $p/cmdline | sed "s/-setcookie [^ ]*/-setcookie …/" && echo; done')


def commands_run(report: LiveReport) -> list[str]:
    """What the live doctor did, as commands to repeat by hand (``--verbose`` prints them).

    The cookie is read inside the container (``$RELEASE_COOKIE``) when the node has it in
    its environment; otherwise only its masked form is shown. A ``--dir`` lab's container
    is asked by one script, which reads the cookie where it lives and prints its digest.
    """
    lines: list[str] = []
    for member in report.snapshot.members:
        found = report.detected.get(member.container, Detected())
        if found.release:
            lines.append(release_probe.by_hand(member.container, report.snapshot.names))
            continue
        lines.append(commands.docker("exec", member.container, "sh", "-c", _FIND_BEAM))
        lines += [commands.nslookup(member.container, name) for name in member.dns]
        if not found.node:
            continue
        if "erl_call" in found.tools:
            flag = "-name" if found.mode == "name" else "-sname"
            cookie = ('"$RELEASE_COOKIE"' if "RELEASE_COOKIE" in found.environ
                      else f'"{found.cookie.masked() if found.cookie else "?"}"')
            lines.append(commands.docker("exec", member.container, "sh", "-c",
                                         f"erl_call {flag} {found.node} -c {cookie} "
                                         '-a "erlang nodes"'))
        elif found.release_bin:
            lines.append(commands.docker("exec", member.container, found.release_bin, "rpc",
                                         RPC_EXPR))
    return lines


def _suffix_known(host: str, facts: Mapping[str, Placement]) -> bool:
    """``svc.<network>`` names: known when the suffix is one of the project's networks."""
    _, _, suffix = host.partition(".")
    return any(suffix in f.networks for f in facts.values())


# -- pure: snapshot → findings --------------------------------------------------------------

def live_findings(snapshot: Snapshot, detected: Mapping[str, Detected],
                  referenced: Mapping[str, Mapping[str, set[str]]]) -> list[Finding]:
    """What the running project shows: DNS failures, split clusters, one-sided views."""
    out: list[Finding] = []
    nodes = [m for m in snapshot.members if m.node]
    for member in nodes:
        for other in nodes:
            host = (other.node or "").partition("@")[2]
            answer = member.dns.get(host)
            if other is member or answer is None or answer.ok or is_ip(host):
                continue  # an IP host needs no DNS (nslookup on an IP asks for a PTR record)
            out.append(finding("CL701", [member.service, other.service],
                               f"{member.service} cannot resolve `{host}` (host of {other.node}): "
                               f"{answer}.",
                               f"Put both on one network and make `{host}` a name Docker answers "
                               f"there (`hostname:` or a network alias on {other.service})."))
    for member in snapshot.members:
        if not detected.get(member.container, Detected()).node:
            continue
        for host, variables in sorted(referenced.get(member.container, {}).items()):
            answer = member.dns.get(host)
            if answer is None or answer.ok:
                continue
            out.append(finding("CL702", [member.service, *_owners(snapshot, host)],
                               f"{member.service} cannot resolve `{host}` "
                               f"({', '.join(sorted(variables))}): {answer}; its clients get "
                               "`:nxdomain`.",
                               f"Attach the service behind `{host}` to a network {member.service} "
                               "is on."))
    asked = [m for m in nodes if m.peers is not None]
    graph = to_graph(snapshot)
    if len(asked) > 1:
        groups = [g for g in clusters(graph) if any(graph.nodes[n].get("node") for n in g)
                  and not all(graph.nodes[n].get("ghost") for n in g)]
        if len(groups) > 1:
            text = " | ".join(", ".join(sorted(g)) for g in groups)
            out.append(finding("CL703", [m.service for m in nodes],
                               f"{len(asked)} nodes are up but form {len(groups)} clusters "
                               f"({text}).",
                               "Run the static doctor on the compose file; check names, cookies "
                               "and the discovery strategy of the isolated nodes."))
        for a, b in one_sided(graph):
            out.append(finding("CL704", [a, b],
                               f"{a} lists {b} in Node.list(), but {b} does not list {a}.",
                               "Usually transient; if it persists, check net_ticktime and "
                               "partitions."))
    prints = {m.service: detected[m.container].fingerprint for m in nodes
              if detected.get(m.container) and detected[m.container].fingerprint}
    if len(set(prints.values())) > 1:
        groups_by: dict[str, list[str]] = {}
        for service, fp in prints.items():
            groups_by.setdefault(fp, []).append(service)
        text = " | ".join(", ".join(sorted(g)) for g in groups_by.values())
        out.append(finding("CL705", list(prints),
                           f"the running nodes use {len(groups_by)} different cookies ({text}).",
                           "Give every node the same RELEASE_COOKIE."))
    for member in nodes:
        if member.peers is None:
            out.append(finding("CL706", [member.service],
                               f"{member.service}: could not ask {member.node} for Node.list() "
                               f"({member.error or 'unknown reason'}).",
                               "Install erl_call in the image, or ship a Mix release "
                               "(`bin/<name> rpc`)."))
        if not member.dns and snapshot.names:
            out.append(finding("CL706", [member.service],
                               f"{member.service}: neither nslookup nor getent in the image; DNS "
                               "was not checked from inside it.",
                               "Add dnsutils (or busybox) to the image to let the doctor look."))
    return sort_findings(out)


def _owners(snapshot: Snapshot, host: str) -> list[str]:
    return [m.service for m in snapshot.members
            if host.lower() in {m.service.lower(), m.container.lower(), m.hostname.lower(),
                                *[a.lower() for al in m.aliases.values() for a in al]}]


__all__ = ["Detected", "LiveReport", "config_files", "diagnose_live", "live_findings", "merge",
           "parse_detect"]

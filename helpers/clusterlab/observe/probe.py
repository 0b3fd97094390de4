"""Look inside a running lab: the DNS matrix through ``nslookup`` and ``Node.list``
through ``erl_call``, in as few ``docker exec`` calls as give the same answers.

``probe`` asks one container per resolver view for the DNS answers, and reads every
node connected to one observing node through that node (``observer``); only the rest
(nodes it can't reach, foreign images, TLS nodes) are asked in their own container.
``probe(..., exhaustive=True)`` asks every container everything, as one ``docker exec``
each: the reference the fast path is tested against (``tests/test_probe_equivalence.py``).

Three separate steps, so parsing is testable without Docker: ``probe_command`` builds
the shell script, ``exec_in`` runs it, ``parse_probe`` reads what it printed.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import docker.errors
from docker.models.containers import Container

from ..errors import ClusterLabError
from ..gates.engine import exec_in, parallel, service_of
from ..model.snapshot import DnsAnswer, Member, Placement, Snapshot
from . import observer
from .erlang import CALL_FUNCTION, COOKIE_FILE, ERL_CALL_TARGET, NODE_FILE, vm_flags

# Runs inside the container. One nslookup process per name, all at once and beside
# erl_call; "@@" marks sections. Not one nslookup reading every name on stdin: BIND 9.20's
# (Debian trixie and later) drops the last query of a batch and often aborts at the end of
# its input (measured: 4 runs in 10 printed nothing, the other 6 lost the last name).
# `timeout` bounds both, so a container cut off the network can't stall a probe.
# The cookie never leaves the container: it is read from the file the app writes,
# unless the caller passes CL_COOKIE (the doctor does, for foreign images).
# erl_call can't dial a node named by an IPv6 address (ERL_CALL_TARGET).
# With CL_VIEW (the observer's expression) the node is asked for its own and every
# connected node's view instead (observer.py); never two erl_calls at once in one
# container: the second one's connection is refused ("failed to connect", measured).
_SCRIPT = r"""
d=$(mktemp -d)
i=0
for n in "$@"; do
  i=$((i + 1))
  timeout 10 nslookup -timeout=2 -retry=1 "$n" >"$d/dns.$i" 2>&1 &
done
node="${CL_NODE:-$(cat NODE_FILE 2>/dev/null)}"
cookie="${CL_COOKIE:-$(cat COOKIE_FILE 2>/dev/null)}"
if [ -n "$node" ] && [ "$node" != nonode@nohost ]; then
  if [ -n "${CL_VIEW:-}" ]; then
    ( TARGET
      printf '%s' "$CL_VIEW" | timeout 8 erl_call $flag "$target" -c "$cookie" -e >"$d/view" 2>&1
      printf '\n@exit %s\n' $? >>"$d/view" ) &
  else
    ( TLS_OR_ERL_CALL erlang nodes '[]' >"$d/nodes" 2>&1
      printf '\n@exit %s\n' $? >>"$d/nodes" ) &
  fi
fi
wait
echo "@@node $node"
echo "@@dns"; i=0
for n in "$@"; do i=$((i + 1)); cat "$d/dns.$i" 2>/dev/null; done
if [ -f "$d/nodes" ]; then echo "@@nodes"; cat "$d/nodes"; fi
if [ -f "$d/view" ]; then echo "@@view"; cat "$d/view"; fi
rm -rf "$d"
"""

_SCRIPT = (CALL_FUNCTION + _SCRIPT.replace("TLS_OR_ERL_CALL", "cl_call")
           .replace("TARGET", ERL_CALL_TARGET)) \
    .replace("NODE_FILE", NODE_FILE).replace("COOKIE_FILE", COOKIE_FILE)


# -- build ------------------------------------------------------------------------------


def probe_command(names: Sequence[str]) -> list[str]:
    return ["sh", "-c", _SCRIPT, "probe", *names]


# -- parse ------------------------------------------------------------------------------

_ADDRESS = re.compile(r"^Address:\s*([0-9a-fA-F.:]+)\s*$")
_ATOM = re.compile(r"'((?:[^'\\]|\\.)*)'|([a-z][A-Za-z0-9_@.]*)")


def parse_nslookup(name: str, text: str) -> DnsAnswer:
    """Read ``nslookup`` output: answers after the server block, or NXDOMAIN."""
    if "NXDOMAIN" in text:
        return DnsAnswer(name, "nxdomain")
    _, _, answer = text.partition("Name:")
    addresses = tuple(m.group(1) for line in answer.splitlines()
                      if (m := _ADDRESS.match(line.strip())))
    if addresses:
        return DnsAnswer(name, "ok", addresses)
    detail = next((ln.strip(" *;") for ln in text.splitlines()
                   if ln.strip() and not ln.startswith(("Server:", "Address:", "@exit"))), "")
    return DnsAnswer(name, "error", detail=detail)


def parse_node_list(text: str) -> tuple[str, ...]:
    """``['a@h.x','b@h.y']`` (what ``erl_call -a 'erlang nodes'`` prints) → node names."""
    body = text.strip()
    if not (body.startswith("[") and body.endswith("]")):
        raise ValueError(f"not an Erlang list: {body[:120]!r}")
    return tuple(quoted or bare for quoted, bare in _ATOM.findall(body[1:-1]))


_QUERY_START = re.compile(r"^(?=Server:)|^(?=;; connection timed out)", re.M)
_ASKED = re.compile(r"^Name:\s*(\S+)|can't find (\S+?):", re.M)


def split_batch(names: Sequence[str], text: str) -> dict[str, DnsAnswer]:
    """Answers of one ``nslookup`` reading ``names`` on stdin: one block per query, in order."""
    blocks = [b for b in _QUERY_START.split(text) if b.strip()]
    if len(blocks) == len(names):
        return {name: parse_nslookup(name, block) for name, block in zip(names, blocks)}
    answers: dict[str, DnsAnswer] = {}
    for block in blocks:  # a query printed no Server: header; match blocks by the name
        asked = _ASKED.search(block)
        name = (asked.group(1) or asked.group(2)) if asked else None
        if name in names:
            answers[name] = parse_nslookup(name, block)
    return {name: answers.get(name, DnsAnswer(name, "error", detail="no answer")) for name in names}


@dataclass(frozen=True)
class ProbeOutput:
    """What the probe script printed in one container, read."""

    node: str | None  # None: not a distributed node
    dns: dict[str, DnsAnswer]
    peers: tuple[str, ...] | None  # Node.list(); None when it could not be asked
    error: str | None


def parse_probe(text: str, names: Sequence[str] = ()) -> ProbeOutput:
    """Split the probe script's output into its node, DNS answers, peers and error."""
    node: str | None = None
    dns: dict[str, DnsAnswer] = {}
    peers: tuple[str, ...] | None = None
    error: str | None = None
    for section in re.split(r"^@@", text, flags=re.M)[1:]:
        head, _, body = section.partition("\n")
        kind, _, arg = head.partition(" ")
        body = re.sub(r"^@exit \d+\s*$", "", body, flags=re.M).strip()
        if kind == "node":
            node = arg.strip() if arg.strip() not in ("", "nonode@nohost") else None
        elif kind == "dns":
            dns = split_batch(names, body)
        elif kind == "nodes":
            try:
                peers = parse_node_list(body)
            except ValueError:
                last = body.splitlines()[-1] if body else "no output"
                error = last if last.startswith("erl_call") else f"erl_call: {last}"
    if node and peers is None and error is None:
        error = "erl_call did not run"
    return ProbeOutput(node, dns, peers, error)


# -- run --------------------------------------------------------------------------------


def describe(container: Container) -> Placement:
    """Engine-side facts about a container: service, hostname, networks, IPs, aliases."""
    attrs = container.attrs
    networks = attrs["NetworkSettings"]["Networks"] or {}
    return Placement(
        service=service_of(container),
        container=container.name,
        hostname=attrs["Config"]["Hostname"],
        networks={net: info.get("IPAddress", "") for net, info in sorted(networks.items())},
        # Engine 25 moved the names its DNS answers from Aliases to DNSNames.
        aliases={net: tuple(info.get("DNSNames") or info.get("Aliases") or ())
                 for net, info in sorted(networks.items())},
    )


def _run_probe(container: Container, argv: Sequence[str],
               env: dict[str, str] | None = None) -> str:
    """The probe script's output. The script always prints its ``@@node`` line; an exec
    that comes back with nothing at all (measured under load: about 1 probe in 100 of an
    idle node, right after a peer booted) is asked once more instead of read as "not a
    node"."""
    output = exec_in(container, argv, env=env).output
    if "@@node" not in output:
        output = exec_in(container, argv, env=env).output
    return output


def probe_container(container: Container, names: Sequence[str],
                    env: dict[str, str] | None = None) -> Member:
    place = describe(container)
    if container.status != "running":
        return Member.at(place, error=f"container is {container.status}")
    try:
        output = _run_probe(container, probe_command(names), env=env)
    except ClusterLabError:
        # it stopped while being probed (a Swarm rolling update replaces tasks): say so
        if (status := _status_now(container)) != "running":
            return Member.at(place, error=f"container is {status}")
        raise
    seen = parse_probe(output, names)
    return Member.at(place, node=seen.node, peers=seen.peers, dns=seen.dns, error=seen.error)


def section(text: str, kind: str) -> str | None:
    """The body of the probe script's ``@@kind`` section, or None if it printed none."""
    for part in re.split(r"^@@", text, flags=re.M)[1:]:
        head, _, body = part.partition("\n")
        if head.partition(" ")[0] == kind:
            return re.sub(r"^@exit \d+\s*$", "", body, flags=re.M).strip()
    return None


def _status_now(container: Container) -> str:
    try:
        container.reload()
    except docker.errors.NotFound:
        return "removed"
    return container.status


def probe(containers: Iterable[Container], names: Sequence[str] = (), *,
          title: str = "", exhaustive: bool = False) -> Snapshot:
    """One snapshot of the lab: every container resolves every name and lists its peers.

    ``exhaustive`` asks every container everything itself; by default DNS is asked once
    per resolver view and connected nodes are read through one of them (``observer``),
    which gives the same snapshot for a fraction of the execs. A learner's own release
    (``--dir`` labs) is asked with its own tools instead (``release_probe``).
    """
    found = list(containers)
    if any(c.labels.get("io.clusterlab.probe") == "release" for c in found):
        from .release_probe import probe as probe_release  # imports this module

        return probe_release(found, names, title=title)
    names = list(names) or sorted({service_of(c) for c in found})
    started = time.monotonic()
    taken_at = datetime.now(UTC)
    if exhaustive:
        members = tuple(parallel(lambda c: probe_container(c, names), found))
    else:
        try:
            members = _probe_through_observer(found, names)
        except _Vanished:  # a task replaced mid-probe: ask each container for itself
            members = tuple(parallel(lambda c: probe_container(c, names), found))
    return Snapshot(title, taken_at, time.monotonic() - started, members)


def _observable(container: Container) -> bool:
    """Our image, distributed, plain TCP: a node erl_call can observe through."""
    env = container.attrs["Config"].get("Env") or []
    return (container.labels.get("io.clusterlab.image") == "app"
            and "RELEASE_DISTRIBUTION=none" not in env
            and not observer.uses_tls(vm_flags(container)))


class _Vanished(Exception):
    """A container stopped while the observer probe was reading it."""


def _probe_through_observer(found: list[Container], names: list[str]) -> tuple[Member, ...]:
    running = [c for c in found if c.status == "running"]
    by_name = {c.name: c for c in running}
    groups = observer.groups({c.name: observer.resolver_key(c.attrs) for c in running})
    # Each group's DNS is asked by one member, a node we can observe through if any.
    asks_dns = [next((n for n in g if _observable(by_name[n])), g[0]) for g in groups]
    watcher = next((n for g in sorted(groups, key=len, reverse=True) for n in g
                    if n in asks_dns and _observable(by_name[n])), None)
    # Containers no observer can read are asked at once, beside the DNS askers.
    first = [c for c in running if c.name in asks_dns or not _observable(c)]
    outputs: dict[str, str] = {}

    def ask(container: Container) -> None:
        env = {"CL_VIEW": observer.VIEW_EXPR} if container.name == watcher else None
        argv = probe_command(names if container.name in asks_dns else ())
        try:
            outputs[container.name] = _run_probe(container, argv, env=env)
        except ClusterLabError:
            if _status_now(container) != "running":
                raise _Vanished(container.name) from None
            raise

    parallel(ask, first)
    views: dict[str, observer.NodeView] = {}
    seen: list[observer.NodeView] = []
    failure = "erl_call did not run"
    if watcher and (text := section(outputs[watcher], "view")) is not None:
        try:
            seen = observer.parse_view(text)
        except ValueError:
            last = text.splitlines()[-1] if text else "no output"
            failure = last if last.startswith("erl_call") else f"erl_call: {last}"
        views = observer.match_nodes(seen, {c.name: observer.container_addresses(c.attrs)
                                            for c in running if c.name != watcher})
    parallel(ask, [c for c in running if c.name not in outputs and c.name not in views])
    dns = {name: parse_probe(outputs[asker], names).dns
           for group, asker in zip(groups, asks_dns) for name in group}
    members = []
    for container in found:
        place = describe(container)
        if container.status != "running":
            members.append(Member.at(place, error=f"container is {container.status}"))
        elif container.name in outputs:
            here = parse_probe(outputs[container.name], ())
            peers, error = here.peers, here.error
            if container.name == watcher and here.node:  # its own line of the view
                mine = next((v for v in seen if v.node == here.node), None)
                peers = mine.peers if mine else None
                error = mine.error if mine else failure
            members.append(Member.at(place, node=here.node, peers=peers,
                                     dns=dns[container.name], error=error))
        else:
            view = views[container.name]
            members.append(Member.at(place, node=view.node, peers=view.peers,
                                     dns=dns[container.name]))
    return tuple(members)

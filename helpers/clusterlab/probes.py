"""Look inside a running lab: the DNS matrix through ``nslookup`` and ``Node.list``
through ``erl_call``, one ``docker exec`` per container, all containers in parallel.

Three separate steps, so parsing is testable without Docker: ``probe_command`` builds
the shell script, ``exec_in`` runs it, ``parse_probe`` reads what it printed.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from . import engine
from .errors import ClusterLabError, ConvergenceTimeout

T = TypeVar("T")

NODE_FILE = "/tmp/clusterlab/node"
COOKIE_FILE = "/tmp/clusterlab/cookie"

# Runs inside the container. One nslookup process answers every name (a process per
# name costs more than the lookups), concurrently with erl_call; "@@" marks sections.
# `timeout` bounds both, so a container cut off the network can't stall a probe.
# The cookie never leaves the container: it is read from the file the app writes,
# unless the caller passes CL_COOKIE (the doctor does, for foreign images).
_SCRIPT = r"""
d=$(mktemp -d)
for n in "$@"; do printf '%s\n' "$n"; done \
  | timeout 10 nslookup -timeout=2 -retry=1 >"$d/dns" 2>&1 &
node="${CL_NODE:-$(cat NODE_FILE 2>/dev/null)}"
cookie="${CL_COOKIE:-$(cat COOKIE_FILE 2>/dev/null)}"
if [ -n "$node" ] && [ "$node" != nonode@nohost ]; then
  case "${node#*@}" in *.*) flag=-name ;; *) flag=-sname ;; esac
  ( TLS_OR_ERL_CALL erlang nodes '[]' >"$d/nodes" 2>&1
    printf '\n@exit %s\n' $? >>"$d/nodes" ) &
fi
wait
echo "@@node $node"
echo "@@dns"; cat "$d/dns"
if [ -f "$d/nodes" ]; then echo "@@nodes"; cat "$d/nodes"; fi
rm -rf "$d"
"""

# erl_call (ei) speaks plain TCP distribution only. A node started with
# `-proto_dist inet_tls` (lesson 6) is asked by a hidden node started in the same
# container instead: it inherits ERL_AFLAGS, so it uses the node's own certificate.
_CALL = r"""
cl_call() {
  case " ${ERL_AFLAGS:-} ${ERL_FLAGS:-} " in
    *" inet_tls "*)
      timeout 15 erl -hidden $flag "clprobe$$@${node#*@}" -setcookie "$cookie" -noshell \
        -eval 'CALL_EVAL' -extra "$node" "$@" ;;
    *) timeout 8 erl_call $flag "$node" -c "$cookie" -a "$1 $2 $3" ;;
  esac
}
""".replace("CALL_EVAL", "[N, M, F, A0] = init:get_plain_arguments(), "
            "{ok, T, _} = erl_scan:string(A0 ++ \".\"), {ok, A} = erl_parse:parse_term(T), "
            "R = rpc:call(list_to_atom(N), list_to_atom(M), list_to_atom(F), A), "
            "io:format(\"~s~n\", [io_lib:print(R, 1, 1000000, -1)]), halt().")
_SCRIPT = (_CALL + _SCRIPT.replace("TLS_OR_ERL_CALL", "cl_call")) \
    .replace("NODE_FILE", NODE_FILE).replace("COOKIE_FILE", COOKIE_FILE)


@dataclass(frozen=True)
class DnsAnswer:
    """What ``nslookup NAME`` said inside one container."""

    name: str
    status: str  # "ok", "nxdomain" or "error"
    addresses: tuple[str, ...] = ()
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def __str__(self) -> str:
        return ", ".join(self.addresses) if self.ok else self.status.upper()


@dataclass(frozen=True)
class Member:
    """One container of the lab, as the engine describes it and as it sees the cluster."""

    service: str
    container: str
    hostname: str
    networks: dict[str, str]  # Docker network → this container's IP on it
    aliases: dict[str, tuple[str, ...]]  # Docker network → DNS names the engine registered
    node: str | None  # Erlang node name; None when not distributed
    peers: tuple[str, ...] | None  # Node.list(); None when it could not be asked
    dns: dict[str, DnsAnswer] = field(default_factory=dict)
    error: str | None = None

    @property
    def is_node(self) -> bool:
        return self.node is not None


@dataclass(frozen=True)
class Snapshot:
    """Everything one probe saw, at one moment."""

    title: str
    taken_at: datetime
    seconds: float
    members: tuple[Member, ...]

    def member(self, service: str) -> Member:
        for member in self.members:
            if service in (member.service, member.container, member.node):
                return member
        raise ClusterLabError(f"No service {service!r} in this snapshot "
                              f"(it has {', '.join(m.service for m in self.members)}).")

    def resolves(self, source: str, name: str) -> bool:
        return self.member(source).dns[name].ok

    def peers(self, service: str) -> set[str]:
        """Services that ``service`` lists in ``Node.list()``."""
        by_node = {m.node: m.service for m in self.members if m.node}
        return {by_node.get(peer, peer) for peer in self.member(service).peers or ()}

    @property
    def nodes(self) -> list[Member]:
        return [m for m in self.members if m.is_node]

    @property
    def names(self) -> list[str]:
        seen: dict[str, None] = {}
        for member in self.members:
            seen.update(dict.fromkeys(member.dns))
        return list(seen)

    def is_full_mesh(self) -> bool:
        """Every node lists every other node (by node name, so replicas count one by one)."""
        nodes = {m.node for m in self.nodes}
        return len(nodes) > 1 and all(set(m.peers or ()) >= nodes - {m.node}
                                      for m in self.nodes)


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


def parse_probe(text: str, names: Sequence[str] = ()) -> tuple[
        str | None, dict[str, DnsAnswer], tuple[str, ...] | None, str | None]:
    """Split the probe script's output into (node, dns answers, peers, error)."""
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
    return node, dns, peers, error


# -- run --------------------------------------------------------------------------------


def describe(container: Any) -> dict[str, Any]:
    """Engine-side facts about a container: service, hostname, networks, IPs, aliases."""
    attrs = container.attrs
    networks = attrs["NetworkSettings"]["Networks"] or {}
    return {
        "service": container.labels.get("com.docker.compose.service", container.name),
        "container": container.name,
        "hostname": attrs["Config"]["Hostname"],
        "networks": {net: info.get("IPAddress", "") for net, info in sorted(networks.items())},
        # Engine 25 moved the names its DNS answers from Aliases to DNSNames.
        "aliases": {net: tuple(info.get("DNSNames") or info.get("Aliases") or ())
                    for net, info in sorted(networks.items())},
    }


def probe_container(container: Any, names: Sequence[str],
                    env: dict[str, str] | None = None) -> Member:
    facts = describe(container)
    if container.status != "running":
        return Member(**facts, node=None, peers=None, error=f"container is {container.status}")
    result = engine.exec_in(container, probe_command(names), env=env)
    node, dns, peers, error = parse_probe(result.output, names)
    return Member(**facts, node=node, peers=peers, dns=dns, error=error)


def probe(containers: Iterable[Any], names: Sequence[str] = (), *, title: str = "") -> Snapshot:
    """One snapshot of the lab: every container resolves every name and lists its peers."""
    found = list(containers)
    names = list(names) or sorted({c.labels.get("com.docker.compose.service", c.name)
                                   for c in found})
    started = time.monotonic()
    taken_at = datetime.now(UTC)
    with ThreadPoolExecutor(max_workers=max(1, len(found))) as pool:
        members = tuple(pool.map(lambda c: probe_container(c, names), found))
    return Snapshot(title, taken_at, time.monotonic() - started, members)


def wait_until(check: Callable[[], T], timeout: float = 10.0, *, interval: float = 0.1,
               what: str = "the condition") -> T:
    """Call ``check`` until it returns something truthy, and return that; never sleeps blind."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise ConvergenceTimeout(f"{what} did not hold within {timeout:g} s.")
        time.sleep(interval)


def rpc(container: Any, module: str, function: str, args: str = "[]") -> str:
    """Call ``module:function(args)`` on the node in ``container``; returns the printed term.

    ``args`` is an Erlang list literal, e.g. ``'["http://minio:9000/"]'``; erl_call parses
    strings and atoms but no binaries.
    """
    script = (_CALL + f'node=$(cat {NODE_FILE}); cookie=$(cat {COOKIE_FILE}); '
              'case "${node#*@}" in *.*) flag=-name ;; *) flag=-sname ;; esac; '
              'cl_call "$1" "$2" "$3"')
    result = engine.exec_in(container, ["sh", "-c", script, "rpc", module, function, args])
    if result.exit_code != 0:
        raise ClusterLabError(f"rpc {module}:{function} on {container.name} failed: "
                              f"{result.output.strip()}")
    return result.output.strip()

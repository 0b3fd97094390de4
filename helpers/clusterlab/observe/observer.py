"""Read many nodes through one: the probe's fast path for big labs.

Asking each container on its own costs one ``docker exec`` and one ``erl_call`` per
node, and an ``nslookup`` of every name in every container: at 40 nodes on 2 cores that
is seconds of CPU spent by the probe, not by the cluster. Two facts make most of it
redundant:

- **Node.list through one node.** One ``erl_call -e`` into a node runs
  ``erpc:multicall`` over that node and every node it is connected to; each answers its
  own ``nodes()`` (the very call the per-container probe makes) and its addresses, so
  the answer can be matched to its container. Only nodes it is not connected to, or
  that fail to answer, are asked in their own container: a failed read stays an error,
  never an empty list.
- **DNS per resolver view, not per container.** Docker's embedded DNS answers from the
  networks the asking container is on; ``nslookup`` adds the resolver settings (search
  list, options) and the hostname's domain. Containers that share all of those get the
  same answers, so one of them asks for the group. Containers that differ in any of
  them (lesson 1's islands, lesson 4's search list) are asked separately.

Build, run, parse stay separate: ``VIEW_EXPR`` is sent, ``parse_view`` reads it,
``match_nodes`` and ``resolver_key`` decide, without Docker.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

VIEW_TIMEOUT_MS = 1000
"""How long the observing node waits for each peer's answer (at 40 nodes and a load
average of 30 all 40 answered within 0.5 s); a slower one is read in its own container
instead, so a node behind a partition its peers have not noticed yet costs 1 s, not the
tick time. ``Lab.probe`` skips the observer while a node is paused or cut off."""

VIEW_EXPR = f"""
F = fun() -> {{ok, Ifs}} = inet:getifaddrs(),
  {{nodes(), [inet:ntoa(A) || {{_, Os}} <- Ifs, {{addr, A}} <- Os]}} end,
Ns = [node() | nodes()],
Rs = erpc:multicall(Ns, erlang, apply, [F, []], {VIEW_TIMEOUT_MS}),
L = fun(Xs) -> lists:join(",", [io_lib:format("~s", [X]) || X <- Xs]) end,
lists:flatten([case R of
    {{ok, {{Ps, As}}}} -> io_lib:format("~s ok ~s ~s~n", [N, L(Ps), L(As)]);
    {{C, E}} -> io_lib:format("~s ~p ~0p~n", [N, C, E]) end
  || {{N, R}} <- lists:zip(Ns, Rs)]).
"""
"""Evaluated on the observing node by ``erl_call -e``: one line per node, its own first,
``NODE ok PEER,PEER ADDR,ADDR`` or ``NODE error|exit|throw REASON``."""


@dataclass(frozen=True)
class NodeView:
    """What one node answered through the observer."""

    node: str
    peers: tuple[str, ...] | None  # its nodes(); None if it did not answer
    addresses: frozenset[str]
    error: str | None = None


_OK = re.compile(r"^(\S+) ok (\S*) ?(\S*)$")
_FAILED = re.compile(r"^(\S+) (error|exit|throw) (.*)$")


def parse_view(text: str) -> list[NodeView]:
    """``{ok, "a@h ok b@h,c@h 10.0.0.2\\n..."}`` (what ``erl_call -e`` prints) → views.

    Anything else (a failed ``erl_call``, a timeout) → ``ValueError``: the caller falls
    back to asking every container itself.
    """
    body = text.strip()
    match = re.fullmatch(r'\{ok,\s*"(.*)"\}', body, flags=re.S)
    if not match:
        raise ValueError(f"not an observer answer: {body[-200:]!r}")
    views = []
    for line in match.group(1).replace("\\n", "\n").splitlines():
        if ok := _OK.match(line):
            node, peers, addresses = ok.groups()
            views.append(NodeView(node, tuple(p for p in peers.split(",") if p),
                                  frozenset(a for a in addresses.split(",") if a)))
        elif failed := _FAILED.match(line):
            node, kind, reason = failed.groups()
            views.append(NodeView(node, None, frozenset(), f"{kind}: {reason}"))
        elif line.strip():
            raise ValueError(f"unreadable observer line: {line!r}")
    return views


def container_addresses(attrs: Mapping[str, Any]) -> frozenset[str]:
    """Every IPv4 and IPv6 address the engine gave a container, on any network."""
    found = set()
    for info in (attrs["NetworkSettings"].get("Networks") or {}).values():
        found.update(a for a in (info.get("IPAddress"), info.get("GlobalIPv6Address")) if a)
    return frozenset(found)


def match_nodes(views: Iterable[NodeView],
                containers: Mapping[str, frozenset[str]]) -> dict[str, NodeView]:
    """Container name → the view of the node running in it, matched by address.

    A view goes to a container only if exactly one container shares an address with
    it, and that container gets only one view; anything ambiguous is left unmatched
    (and read in its own container).
    """
    claims: dict[str, list[NodeView]] = {}
    for view in views:
        if view.error is not None:
            continue
        owners = [name for name, addresses in containers.items() if addresses & view.addresses]
        if len(owners) == 1:
            claims.setdefault(owners[0], []).append(view)
    return {name: found[0] for name, found in claims.items() if len(found) == 1}


def resolver_key(attrs: Mapping[str, Any]) -> tuple[Any, ...]:
    """Everything an ``nslookup`` answer in this container depends on: its networks and
    the gateway's (Docker's DNS answers from them), its resolver settings and its
    hostname's domain (nslookup's search list without a ``search`` line)."""
    host = attrs["HostConfig"]
    config = attrs["Config"]
    settings = attrs["NetworkSettings"]
    hostname = config.get("Hostname") or ""
    return (tuple(sorted((settings.get("Networks") or {}).keys())),
            settings.get("Gateway") or "", tuple(host.get("Dns") or ()),
            tuple(host.get("DnsSearch") or ()), tuple(host.get("DnsOptions") or ()),
            tuple(host.get("ExtraHosts") or ()), config.get("Domainname") or "",
            hostname.partition(".")[2], host.get("NetworkMode") or "")


def groups(keys: Mapping[str, tuple[Any, ...]]) -> list[list[str]]:
    """Container names grouped by equal resolver key, in first-seen order."""
    grouped: dict[tuple[Any, ...], list[str]] = {}
    for name, key in keys.items():
        grouped.setdefault(key, []).append(name)
    return list(grouped.values())


def uses_tls(flags: str) -> bool:
    """Lesson 6's nodes speak TLS distribution (``erlang.vm_flags``): ``erl_call`` can't
    observe through them."""
    return "inet_tls" in flags

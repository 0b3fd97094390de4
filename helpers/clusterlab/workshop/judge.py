"""Judging one run of an exercise: what it showed → pass/fail per criterion, in plain words.

Pure functions of data (``Observation`` in, ``Result`` out), so every verdict is
testable without Docker; ``checker`` collects the observation on the real engine.
``static_problems`` judges the file before anything starts; ``CheckReport`` is the
verdict the learner reads.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ComposeFileError
from ..gates import compose
from ..model.snapshot import Member, Snapshot
from ..model.topology import clusters, to_graph
from ..observe.erlang import refused_names
from .spec import (
    Cluster,
    CookieHidden,
    Expected,
    Http,
    OutsiderBlocked,
    Remote,
    Replicas,
    Resolve,
    SharedCookie,
    words,
)


@dataclass(frozen=True)
class HttpOutcome:
    ok: bool
    reason: str  # "200", or the error's last atom: "nxdomain", "econnrefused", …


def http_outcome(term: str) -> HttpOutcome:
    """Read what ``ClusterLab.Http.get`` printed: ``{ok,{{"HTTP/1.1",200,…`` or ``{error,…}``."""
    flat = "".join(term.split())
    if flat.startswith('{ok,{{"HTTP/1.1",'):
        status = flat.split(",")[2]
        return HttpOutcome(status == "200", status)
    for reason in ("nxdomain", "econnrefused", "timeout", "ehostunreach", "closed"):
        if reason in flat:
            return HttpOutcome(False, reason)
    return HttpOutcome(False, flat[:80] or "no answer")


@dataclass(frozen=True)
class RemoteOutcome:
    target: str | None  # basename@<IPv6 address>; None: the service has no IPv6 address
    ok: bool
    answer: str  # what the remote shell got, e.g. {badrpc,nodedown}
    flags: str = ""  # the ERL_AFLAGS the remote shell ran with
    node: str | None = None  # the service's real node name, as the probe saw it


@dataclass(frozen=True)
class Observation:
    """Everything ``evaluate`` needs: one probe, HTTP outcomes and cookie digests."""

    snapshot: Snapshot
    http: Mapping[tuple[str, str], HttpOutcome] = field(default_factory=dict)
    cookies: Mapping[str, str | None] = field(default_factory=dict)  # service → digest
    # lesson 6: service → way → what an outsider got; service → where inspect shows the cookie
    outsiders: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    leaks: Mapping[str, list[str] | None] = field(default_factory=dict)
    remote: Mapping[tuple[str, str], RemoteOutcome] = field(default_factory=dict)
    """(source, service) → what a remote shell in ``source`` got from ``service``."""


@dataclass(frozen=True)
class Result:
    criterion: str
    passed: bool
    problems: tuple[str, ...] = ()
    when: str = ""  # e.g. "after job_svc's network came back": the stage it was judged at

    @property
    def title(self) -> str:
        return f"{self.criterion} ({self.when})" if self.when else self.criterion


def running(snapshot: Snapshot) -> dict[str, Member]:
    return {m.service: m for m in snapshot.members}


def _resolve(c: Resolve, obs: Observation) -> list[str]:
    members = running(obs.snapshot)
    problems = []
    for source in c.sources:
        member = members.get(source)
        if member is None or (member.error or "").startswith("container is"):
            problems.append(f"{source} is not running")
            continue
        for name in c.names:
            answer = member.dns.get(name)
            if answer is None or answer.status == "error":
                detail = f" ({answer.detail})" if answer and answer.detail else ""
                problems.append(f"{source} could not look up {name}{detail}")
            elif not answer.ok:
                problems.append(f"{name} is not reachable from {source}: {answer.status.upper()}")
    return problems


def _cluster(c: Cluster, obs: Observation) -> list[str]:
    snap = obs.snapshot
    members = running(snap)
    problems = []
    present = []
    for service in c.services:
        member = members.get(service)
        if member is None:
            problems.append(f"{service} is not running")
        elif not member.is_node:
            problems.append(f"{service} is not a distributed Erlang node")
        elif member.peers is None:
            problems.append(f"{service} could not be asked for its nodes ({member.error})")
        else:
            present.append(service)
    wanted = set(c.services)
    for service in present:
        seen = snap.peers(service) & wanted
        if not snap.member(service).peers:
            problems.append(f"{service} sees no nodes")
        elif c.mesh and (missing := sorted(wanted - seen - {service})):
            problems.append(f"{service} does not see {words(missing)}")
    graph = to_graph(snap)
    groups = [g & wanted for g in clusters(graph) if g & wanted]
    if len(groups) > 1:
        split = " | ".join(", ".join(sorted(g)) for g in groups)
        problems.append(f"the nodes form {len(groups)} separate clusters: {split}")
    return problems


def _replicas(c: Replicas, obs: Observation) -> list[str]:
    """Replicas share a service name, so they are told apart by node name."""
    tasks = [m for m in obs.snapshot.members if m.service == c.service]
    nodes = {m.node for m in tasks if m.is_node}
    problems = []
    if len(tasks) != c.count:
        problems.append(f"{len(tasks)} tasks of {c.service} are running, not {c.count}")
    for m in tasks:
        if not m.is_node:
            problems.append(f"{m.container} is not a distributed Erlang node")
        elif m.peers is None:
            problems.append(f"{m.node} could not be asked for its nodes ({m.error})")
        elif not m.peers:
            problems.append(f"{m.node} sees no nodes")
        elif missing := sorted(nodes - set(m.peers) - {m.node}):
            problems.append(f"{m.node} does not see {words(missing)}")
        elif gone := sorted(set(m.peers) - nodes):
            problems.append(f"{m.node} still lists {words(gone)}, which no running task is")
    return problems


def _cookie(c: SharedCookie, obs: Observation) -> list[str]:
    first, *rest = c.services
    problems = []
    for service in c.services:
        if obs.cookies.get(service) is None:
            problems.append(f"{service} has no cookie (is it a distributed node?)")
    if problems:
        return problems
    for other in rest:
        if obs.cookies[other] != obs.cookies[first]:
            problems.append(f"{first} and {other} don't share a cookie")
    return problems


def _http(c: Http, obs: Observation) -> list[str]:
    problems = []
    for source in c.sources:
        outcome = obs.http.get((source, c.url))
        if outcome is None:
            problems.append(f"{source} could not try {c.url}")
        elif not outcome.ok:
            problems.append(f"{source} cannot GET {c.url}: {outcome.reason}")
    return problems


def _outsider(c: OutsiderBlocked, obs: Observation) -> list[str]:
    attempts = obs.outsiders
    problems = []
    for service in c.services:
        tried = attempts.get(service)
        if not tried:
            problems.append(f"no outsider could try {service}")
            continue
        for way, answer in tried.items():
            if answer == "pong":
                problems.append(f"an outsider holding the cookie joined {service} {way}")
    return problems


def _hidden(c: CookieHidden, obs: Observation) -> list[str]:
    leaks = obs.leaks
    problems = []
    for service in c.services:
        found = leaks.get(service)
        if found is None:
            problems.append(f"{service} has no cookie to look for (is it a distributed node?)")
        elif found:
            problems.append(f"docker inspect {service} shows the cookie in its "
                            f"{words(found)}")
    return problems


def _remote(c: Remote, obs: Observation) -> list[str]:
    problems = []
    for service in c.services:
        outcome = obs.remote.get((c.source, service))
        if outcome is None:
            problems.append(f"{c.source} could not start a remote shell to {service}")
        elif outcome.target is None:
            problems.append(f"{service} has no IPv6 address")
        elif not outcome.ok:
            flags = outcome.flags or "none"
            named = (f"; {service}'s node is {outcome.node}"
                     if outcome.node and outcome.node != outcome.target else "")
            problems.append(f"a remote shell from {c.source} (ERL_AFLAGS: {flags}) cannot "
                            f"reach {outcome.target} ({service}): {outcome.answer}{named}")
    return problems


_JUDGES = {Resolve: _resolve, Cluster: _cluster, SharedCookie: _cookie, Http: _http,
           OutsiderBlocked: _outsider, CookieHidden: _hidden, Remote: _remote,
           Replicas: _replicas}


def evaluate(expected: Expected, observation: Observation, when: str = "") -> list[Result]:
    """Pass/fail per criterion, with one plain sentence per problem found."""
    results = []
    for criterion in expected.criteria:
        problems = _JUDGES[type(criterion)](criterion, observation)
        results.append(Result(criterion.label, not problems, tuple(problems), when))
    return results


def still_listing(expected: Expected, snapshot: Snapshot, node: str | None) -> list[str]:
    """The witnesses that still list the partitioned service (by service or node name)
    in ``Node.list()``: empty once the partition has been noticed everywhere."""
    if expected.fault is None:
        return []
    members = running(snapshot)
    gone = {expected.fault.service, node} - {None}
    return [w for w in expected.witnesses if w in members
            and gone & (snapshot.peers(w) | set(members[w].peers or ()))]


def fault_result(expected: Expected, *, ran: bool, still: Sequence[str] = (),
                 seconds: float = 0.0) -> Result:
    """The fault step as a criterion: it passes when the others noticed the partition."""
    fault = expected.fault
    assert fault is not None
    if not ran:
        return Result(fault.label, False, (f"{fault.service} was not {fault.done}: the "
                                           "criteria must hold before the fault step",))
    if still and fault.kind == "pause":
        return Result(fault.label, False, (
            f"{words(still)} still listed {fault.service} {fault.notice_seconds:g} s after "
            "it was paused: a frozen node stays in the cluster",))
    if still:
        return Result(fault.label, False, (
            f"{words(still)} still listed {fault.service} {seconds:.0f} s after it was cut "
            "off, so the partition was never noticed",))
    return Result(fault.label, True)


def static_problems(path: Path, expected: Expected) -> list[str]:
    """Mistakes visible in the file itself: Compose rejects it, Erlang would refuse a name,
    or a service of the stack is gone. Compose's own message is kept as it is."""
    try:
        model = compose.load(path, "exercise")
    except ComposeFileError as exc:
        return [exc.message]
    problems = [f"Erlang would refuse a node name: {p}" for p in refused_names(model)]
    present = set(model.get("services") or {})
    problems += [f"{s} is missing from your compose file" for s in expected.services
                 if s not in present]
    return problems


@dataclass(frozen=True)
class CheckReport:
    """The verdict on one compose file. ``str(report)`` is what the learner reads."""

    file: Path
    expected: Expected
    static: tuple[str, ...] = ()
    start_error: str | None = None
    results: tuple[Result, ...] = ()
    snapshot: Snapshot | None = None
    seconds: float = 0.0
    project: str | None = None  # the Compose project the check ran (and removed)
    commands: tuple[str, ...] = ()  # what the check ran, as docker commands (lab.commands())

    @property
    def passed(self) -> bool:
        return not self.static and self.start_error is None and bool(self.results) \
            and all(r.passed for r in self.results)

    @property
    def problems(self) -> list[str]:
        """Every problem sentence, static ones first."""
        out = list(self.static)
        if self.start_error:
            out.append(self.start_error)
        return out + [p for r in self.results for p in r.problems]

    def evidence_gaps(self) -> list[str]:
        """What the check's own command history lacks to back its verdict: a verdict is
        only as good as the live run behind it (the file started, every container asked
        with ``nslookup`` and ``Node.list()``), and each criterion that needs its own
        probe (an HTTP call, cookie digests) ran it, and only then."""
        history = "\n".join(self.commands)
        kinds = {type(c) for c in self.expected.criteria}
        gaps = []
        if " up " not in history and "stack deploy" not in history:  # Compose, or Swarm
            gaps.append("no command started the file")
        if "nslookup" not in history:
            gaps.append("no container was asked what it resolves (nslookup)")
        # Node.list() through erl_call, or (TLS distribution) a hidden node's rpc:call
        if "erlang nodes" not in history and "erlang, nodes" not in history:
            gaps.append("no node was asked which nodes it sees (Node.list)")
        for kind, mark, what in ((Http, "Elixir.ClusterLab.Http get", "an HTTP call"),
                                 (SharedCookie, "sha256sum", "cookie digests")):
            if (mark in history) != (kind in kinds):
                gaps.append(f"{what} {'missing' if kind in kinds else 'made'} "
                            f"for criteria {sorted(k.__name__ for k in kinds)}")
        return gaps

    def render(self) -> str:
        lines = [f"Checking {self.file.name} ({self.file.parent.name}/) "
                 f"in {self.seconds:.1f} s"]
        if self.static:
            lines.append("✗ the file has problems, so nothing was started:")
            lines += [f"    {line}" for p in self.static for line in p.splitlines()]
        if self.start_error:
            lines.append("✗ the stack did not come up:")
            lines += [f"    {line}" for line in self.start_error.splitlines()]
        for result in self.results:
            lines.append(f"{'✓' if result.passed else '✗'} {result.title}")
            lines += [f"    - {p}" for p in result.problems]
        passed = sum(r.passed for r in self.results)
        total = len(self.results) or len(self.expected.criteria)
        verdict = "PASSED: every criterion holds." if self.passed else \
            f"NOT YET: {passed} of {total} criteria hold."
        lines.append(verdict)
        return "\n".join(lines)

    __str__ = render

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(self.render())

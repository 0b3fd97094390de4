"""Exercise auto-checker: run the learner's compose file, compare with the intended topology.

An exercise is a folder ``labs/NN-slug/exercise/`` holding data only:

- ``compose.yaml``: the broken stack the learner edits;
- ``expected.toml``: the intended topology as criteria (who must resolve which names,
  which BEAM services must form one cluster or a full mesh, who shares a cookie, which
  HTTP calls must succeed), and optionally a fault step (``[fault] partition = "svc"``:
  the criteria must hold again after that service was cut off and plugged back in);
- ``hints.toml``: a ladder of hints, revealed one at a time;
- ``solution/compose.yaml``: one correct answer (CI checks it passes; never printed).

Three steps, so the judging is testable without Docker: ``static_problems`` reads the
file (Compose's own parser, Erlang's node-name rules), ``observe`` runs it on the real
engine and collects an ``Observation``, ``evaluate`` turns an observation into a
pass/fail ``Result`` per criterion, in plain words. Criteria describe behaviour, never
the keys to write, so every correct fix passes and messages never give the answer away.
"""

from __future__ import annotations

import hashlib
import os
import time
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import commands, compose
from .catalogue import Lesson, get, labs_dir
from .errors import ClusterLabError, ComposeFileError, ConvergenceTimeout, UnknownLesson
from .image import Progress, say
from .nodenames import refused_names
from .probes import COOKIE_FILE, Snapshot, probe
from .topology import clusters, to_graph

SOLUTION_ENV = "CLUSTERLAB_EXERCISE"
"""Set to ``solution`` (CI does) to make exercise notebooks check the solution file."""


class ExerciseError(ClusterLabError):
    hint = "An exercise folder holds compose.yaml, expected.toml, hints.toml and solution/."


# -- the intended topology, as data ---------------------------------------------------------


@dataclass(frozen=True)
class Resolve:
    """Every service in ``sources`` must resolve every name in ``names``."""

    sources: tuple[str, ...]
    names: tuple[str, ...]

    @property
    def label(self) -> str:
        return f"{_words(self.sources)} can resolve {_words(self.names)}"


@dataclass(frozen=True)
class Cluster:
    """``services`` form one Erlang cluster; with ``mesh`` every node lists every other."""

    services: tuple[str, ...]
    mesh: bool = True

    @property
    def label(self) -> str:
        shape = "a full mesh" if self.mesh else "one cluster"
        return f"{_words(self.services)} form {shape}"


@dataclass(frozen=True)
class SharedCookie:
    """``services`` run with the same Erlang cookie (compared by digest, never shown)."""

    services: tuple[str, ...]

    @property
    def label(self) -> str:
        return f"{_words(self.services)} share one cookie"


@dataclass(frozen=True)
class Http:
    """An HTTP client inside each of ``sources`` gets 200 from ``url``."""

    sources: tuple[str, ...]
    url: str

    @property
    def label(self) -> str:
        return f"{_words(self.sources)} can GET {self.url}"


Criterion = Resolve | Cluster | SharedCookie | Http


@dataclass(frozen=True)
class Partition:
    """A fault step: cut ``service`` off every network (``kind = "partition"``) or
    freeze it (``kind = "pause"``, ``docker pause``) until the other nodes of its cluster
    notice (within ``notice_seconds``), undo it, then judge every criterion again,
    allowing ``settle_seconds`` for the cluster to heal."""

    service: str
    notice_seconds: float = 20.0
    kind: str = "partition"

    @property
    def label(self) -> str:
        if self.kind == "pause":
            return f"the other nodes drop {self.service} when it is paused"
        return f"the other nodes notice when {self.service} is cut off the network"

    @property
    def after(self) -> str:
        if self.kind == "pause":
            return f"after {self.service} was unpaused"
        return f"after {self.service}'s network came back"

    @property
    def done(self) -> str:
        """What happened to the service, for messages: "cut off", "paused"."""
        return "paused" if self.kind == "pause" else "cut off"


@dataclass(frozen=True)
class Expected:
    """The intended topology of one exercise, read from ``expected.toml``."""

    services: tuple[str, ...]
    criteria: tuple[Criterion, ...]
    settle_seconds: float = 4.0
    task: str = ""
    fault: Partition | None = None

    @property
    def names(self) -> list[str]:
        """Every name some criterion resolves: what the probe must ask."""
        seen: dict[str, None] = {}
        for criterion in self.criteria:
            if isinstance(criterion, Resolve):
                seen.update(dict.fromkeys(criterion.names))
        return list(seen)

    @property
    def beam(self) -> list[str]:
        seen: dict[str, None] = {}
        for criterion in self.criteria:
            if isinstance(criterion, Cluster | SharedCookie):
                seen.update(dict.fromkeys(criterion.services))
        return list(seen)

    @property
    def witnesses(self) -> list[str]:
        """The services that must notice the fault: the partitioned one's cluster peers."""
        if self.fault is None:
            return []
        seen: dict[str, None] = {}
        for criterion in self.criteria:
            if isinstance(criterion, Cluster) and self.fault.service in criterion.services:
                seen.update(dict.fromkeys(s for s in criterion.services
                                          if s != self.fault.service))
        return list(seen)


def parse_expected(data: Mapping[str, Any]) -> Expected:
    """``expected.toml`` (already parsed) → ``Expected``; ``ExerciseError`` on a bad key."""
    known = {"services", "resolve", "cluster", "cookie", "http", "settle_seconds", "task",
             "fault"}
    if unknown := sorted(set(data) - known):
        raise ExerciseError(f"expected.toml: unknown key(s) {', '.join(unknown)}.")
    criteria: list[Criterion] = []
    try:
        for item in data.get("resolve", []):
            criteria.append(Resolve(tuple(item["from"]), tuple(item["names"])))
        for item in data.get("cluster", []):
            criteria.append(Cluster(tuple(item["services"]), bool(item.get("mesh", True))))
        for item in data.get("cookie", []):
            criteria.append(SharedCookie(tuple(item["services"])))
        for item in data.get("http", []):
            criteria.append(Http(tuple(item["from"]), item["url"]))
    except (KeyError, TypeError) as exc:
        raise ExerciseError(f"expected.toml: a criterion lacks {exc}.") from None
    services = tuple(data.get("services") or ())
    mentioned = {s for c in criteria for s in getattr(c, "services", getattr(c, "sources", ()))}
    if missing := sorted(mentioned - set(services)):
        raise ExerciseError(f"expected.toml: criteria name services not in `services`: "
                            f"{', '.join(missing)}.")
    fault = _parse_fault(data.get("fault"), criteria)
    return Expected(services, tuple(criteria), float(data.get("settle_seconds", 4.0)),
                    str(data.get("task", "")).strip(), fault)


def _parse_fault(table: Any, criteria: Sequence[Criterion]) -> Partition | None:
    """``[fault] partition = "svc"`` (and optionally ``notice_seconds``) → ``Partition``."""
    if table is None:
        return None
    if not isinstance(table, Mapping):
        raise ExerciseError("expected.toml: `fault` must be a table: [fault] partition = \"svc\".")
    if unknown := sorted(set(table) - {"partition", "pause", "notice_seconds"}):
        raise ExerciseError(f"expected.toml: unknown key(s) in [fault]: {', '.join(unknown)}.")
    kinds = [k for k in ("partition", "pause") if isinstance(table.get(k), str)]
    if len(kinds) != 1:
        raise ExerciseError("expected.toml: [fault] needs `partition = \"<service>\"` or "
                            "`pause = \"<service>\"`.")
    fault = Partition(table[kinds[0]], float(table.get("notice_seconds", 20.0)), kinds[0])
    if not any(isinstance(c, Cluster) and fault.service in c.services for c in criteria):
        raise ExerciseError(f"expected.toml: [fault] partitions {fault.service}, which no "
                            "[[cluster]] criterion names.")
    return fault


# -- what a run showed ------------------------------------------------------------------------


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
class Observation:
    """Everything ``evaluate`` needs: one probe, HTTP outcomes and cookie digests."""

    snapshot: Snapshot
    http: Mapping[tuple[str, str], HttpOutcome] = field(default_factory=dict)
    cookies: Mapping[str, str | None] = field(default_factory=dict)  # service → digest


@dataclass(frozen=True)
class Result:
    criterion: str
    passed: bool
    problems: tuple[str, ...] = ()
    when: str = ""  # e.g. "after job_svc's network came back": the stage it was judged at

    @property
    def title(self) -> str:
        return f"{self.criterion} ({self.when})" if self.when else self.criterion


def _running(snapshot: Snapshot) -> dict[str, Any]:
    return {m.service: m for m in snapshot.members}


def _resolve(c: Resolve, obs: Observation) -> list[str]:
    members = _running(obs.snapshot)
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
    members = _running(snap)
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
            problems.append(f"{service} does not see {_words(missing)}")
    graph = to_graph(snap)
    groups = [g & wanted for g in clusters(graph) if g & wanted]
    if len(groups) > 1:
        split = " | ".join(", ".join(sorted(g)) for g in groups)
        problems.append(f"the nodes form {len(groups)} separate clusters: {split}")
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


_JUDGES = {Resolve: _resolve, Cluster: _cluster, SharedCookie: _cookie, Http: _http}


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
    members = _running(snapshot)
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
            f"{_words(still)} still listed {fault.service} {fault.notice_seconds:g} s after "
            "it was paused: a frozen node stays in the cluster",))
    if still:
        return Result(fault.label, False, (
            f"{_words(still)} still listed {fault.service} {seconds:.0f} s after it was cut "
            "off, so the partition was never noticed",))
    return Result(fault.label, True)


# -- before anything starts ------------------------------------------------------------------


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


# -- the report ---------------------------------------------------------------------------------


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


# -- exercises and hints ------------------------------------------------------------------------


@dataclass
class Hints:
    """A ladder of hints: ``next()`` reveals one more each time it is called."""

    texts: tuple[str, ...]
    shown: int = 0

    def next(self) -> str:
        if self.shown >= len(self.texts):
            return (f"No more hints ({len(self.texts)} shown). The solution is in the "
                    "exercise's solution/ folder, if you want to compare.")
        self.shown += 1
        return f"Hint {self.shown} of {len(self.texts)}: {self.texts[self.shown - 1]}"

    def widget(self) -> Any:
        """A button that shows the next hint under itself (ipywidgets)."""
        import ipywidgets as widgets

        button = widgets.Button(description="Show a hint", icon="lightbulb-o")
        out = widgets.Output()

        def reveal(_: Any) -> None:
            with out:
                print(self.next())
            button.disabled = self.shown >= len(self.texts)

        button.on_click(reveal)
        return widgets.VBox([button, out])


@dataclass
class Exercise:
    """One lesson's exercise folder, read as data."""

    lesson: Lesson
    path: Path
    expected: Expected
    hints: Hints

    @property
    def compose_file(self) -> Path:
        """The learner's file: the one to edit."""
        return self.path / "compose.yaml"

    @property
    def solution_file(self) -> Path:
        return self.path / "solution" / "compose.yaml"

    @property
    def task(self) -> str:
        return self.expected.task

    @property
    def solution_mode(self) -> bool:
        """True when ``CLUSTERLAB_EXERCISE=solution``: CI checks the solution instead."""
        return os.environ.get(SOLUTION_ENV, "").lower() == "solution"

    def target(self) -> Path:
        """The file ``check`` looks at: the solution in solution mode, else the learner's."""
        return self.solution_file if self.solution_mode else self.compose_file

    def hint(self) -> str:
        return self.hints.next()

    def source(self) -> str:
        return self.compose_file.read_text()

    def check(self, file: Path | str | None = None, *, progress: Progress = say,
              timeout: float = 45) -> CheckReport:
        return run_check(self, Path(file) if file else self.target(), progress=progress,
                         timeout=timeout)


def load_exercise(folder: Path) -> Exercise:
    folder = Path(folder)
    expected_file = folder / "expected.toml"
    if not expected_file.is_file():
        raise ExerciseError(f"{folder} has no expected.toml: it is not an exercise folder.")
    expected = parse_expected(tomllib.loads(expected_file.read_text()))
    hints_file = folder / "hints.toml"
    hints = tomllib.loads(hints_file.read_text()).get("hint", []) if hints_file.is_file() else []
    lesson = get(folder.resolve().parent.name)
    texts = tuple(" ".join(h["text"].split()) for h in hints)  # one paragraph each
    return Exercise(lesson, folder, expected, Hints(texts))


def exercise(target: str | Path) -> Exercise:
    """An exercise by lesson (``"01"``), by its folder, or by a compose file inside it."""
    path = Path(target)
    if path.is_file():
        for folder in (path.parent, path.parent.parent):
            if (folder / "expected.toml").is_file():
                return load_exercise(folder)
        raise ExerciseError(f"No expected.toml next to {path} or one folder up.")
    if path.is_dir():
        return load_exercise(path)
    try:
        lesson = get(str(target))
    except UnknownLesson:
        raise ExerciseError(f"{target!r} is neither a lesson nor an exercise folder or file.") \
            from None
    folder = lesson.path / "exercise"
    if not folder.is_dir():
        raise ExerciseError(f"Lesson {lesson.id} has no exercise yet.")
    return load_exercise(folder)


def exercises() -> list[Exercise]:
    return [load_exercise(p.parent) for p in sorted(labs_dir().glob("*/exercise/expected.toml"))]


# -- on the real engine -------------------------------------------------------------------------


def cookie_digest(container: Any) -> str | None:
    """A short digest of the cookie a node runs with; the cookie itself is never kept."""
    from .engine import exec_in

    result = exec_in(container, ["cat", COOKIE_FILE])
    if result.exit_code != 0 or not result.output.strip():
        return None
    return hashlib.sha256(result.output.strip().encode()).hexdigest()[:12]


def _recorded_digest(lab: Any, service: str) -> str | None:
    """``cookie_digest`` of ``service``, its command (a hash, never the cookie) kept."""
    container = lab.container(service)
    lab._record(commands.docker("exec", container.name, "sha256sum", COOKIE_FILE))
    return cookie_digest(container)


def _recorded_probe(lab: Any, containers: Sequence[Any], names: Sequence[str]) -> Snapshot:
    """``probe`` of some of the lab's containers, its commands kept in the lab's history."""
    snapshot = probe(containers, names)
    lab._record(commands.probe_commands(snapshot))
    return snapshot


def observe(lab: Any, expected: Expected) -> Observation:
    """One probe of a running lab plus the HTTP calls and cookie digests the criteria need.

    Probes back to back until every criterion holds or ``settle_seconds`` pass: a stack
    that converges a moment after start-up is not marked wrong.
    """
    deadline = time.monotonic() + expected.settle_seconds
    while True:
        snap = lab.probe(expected.names)
        by_service = {m.service: m for m in snap.members}
        http: dict[tuple[str, str], HttpOutcome] = {}
        for criterion in expected.criteria:
            if isinstance(criterion, Http):
                for source in criterion.sources:
                    member = by_service.get(source)
                    if member is None or not member.is_node:
                        http[(source, criterion.url)] = HttpOutcome(False, f"{source} is not "
                                                                    "a running BEAM node")
                        continue
                    try:
                        term = lab.http_get(source, criterion.url)
                    except ClusterLabError as exc:
                        term = exc.message
                    http[(source, criterion.url)] = http_outcome(term)
        cookies = {s: _recorded_digest(lab, s) if s in by_service else None
                   for c in expected.criteria if isinstance(c, SharedCookie) for s in c.services}
        observation = Observation(snap, http, cookies)
        if all(r.passed for r in evaluate(expected, observation)) \
                or time.monotonic() >= deadline:
            return observation


def partition_and_heal(lab: Any, expected: Expected, before: Snapshot,
                       progress: Progress = say) -> Result:
    """The ``[fault]`` step: cut the service off every network it is on, probe until no
    witness lists it any more (or ``notice_seconds`` pass), then plug it back in."""
    fault = expected.fault
    assert fault is not None
    member = _running(before).get(fault.service)
    node = member.node if member else None
    networks = list(lab.container(fault.service).attrs["NetworkSettings"]["Networks"])
    # Only the witnesses are probed: asking the cut-off node itself takes seconds.
    witnesses = [c for c in lab.containers()
                 if c.labels.get("com.docker.compose.service") in expected.witnesses]
    if fault.kind == "pause":
        return _pause_and_unpause(lab, expected, witnesses, node, progress)
    progress(f"cutting {fault.service} off the network …")
    cut_at, cut_wall = time.monotonic(), datetime.now(UTC)
    for network in networks:
        lab.disconnect(fault.service, network)
    unnoticed = False
    try:
        while still := still_listing(expected, _recorded_probe(lab, witnesses,
                                                                expected.witnesses), node):
            if time.monotonic() - cut_at >= fault.notice_seconds:
                break
        if not still:
            # The cut-off side notices on its own tick timer, perhaps later: heal before
            # that and `global` may reconnect it by accident, hiding the learner's bug.
            peers = [m.node for m in before.members if m.service in expected.witnesses
                     and m.node]
            left = max(1.0, fault.notice_seconds - (time.monotonic() - cut_at))
            try:
                lab.wait_nodedown(fault.service, peers, since=cut_wall, timeout=left)
            except ConvergenceTimeout:
                unnoticed = True
    finally:
        for network in networks:
            lab.connect(fault.service, network)
    seconds = time.monotonic() - cut_at
    progress(f"{fault.service} plugged back in after {seconds:.1f} s")
    if unnoticed:
        return Result(fault.label, False, (
            f"{fault.service} still listed its peers {seconds:.0f} s after it was cut off, "
            "so it never noticed the partition",))
    return fault_result(expected, ran=True, still=still, seconds=seconds)


def _pause_and_unpause(lab: Any, expected: Expected, witnesses: Sequence[Any],
                       node: str | None, progress: Progress) -> Result:
    """The ``[fault] pause`` step: freeze the service, probe the witnesses until none lists
    it (or ``notice_seconds`` pass), unpause it. Its peers closed their connections when
    they dropped it, so the unpaused node reads that at once: nothing stale survives."""
    from . import detection

    fault = expected.fault
    assert fault is not None
    progress(f"pausing {fault.service} …")
    paused_at = time.monotonic()
    detection.pause(lab, fault.service)
    try:
        while still := still_listing(expected, _recorded_probe(lab, witnesses,
                                                                expected.witnesses), node):
            if time.monotonic() - paused_at >= fault.notice_seconds:
                break
    finally:
        detection.unpause(lab, fault.service)
    seconds = time.monotonic() - paused_at
    progress(f"{fault.service} unpaused after {seconds:.1f} s")
    return fault_result(expected, ran=True, still=still, seconds=seconds)


def run_check(ex: Exercise, file: Path, *, progress: Progress = say,
              timeout: float = 45) -> CheckReport:
    """Static checks, then up → observe → evaluate → down. The lab is always removed.

    With a ``[fault]`` step: observe, and only if every criterion holds, partition and
    heal, then observe and judge again; the report holds the fault step and the verdict
    after the heal (or the verdict before it, if the stack failed already)."""
    from .lifecycle import Lab

    started = time.monotonic()
    file = Path(file)
    if static := static_problems(file, ex.expected):
        return CheckReport(file, ex.expected, static=tuple(static),
                           seconds=time.monotonic() - started)
    lab = Lab.create(ex.lesson, "exercise", compose_file=file, progress=progress)
    try:
        try:
            lab.up(timeout=timeout)
        except ClusterLabError as exc:
            return CheckReport(file, ex.expected, start_error=exc.message,
                               seconds=time.monotonic() - started, project=lab.project,
                               commands=tuple(lab.commands()))
        observation = observe(lab, ex.expected)
        results = evaluate(ex.expected, observation)
        if (fault := ex.expected.fault) is not None:
            if all(r.passed for r in results):
                step = partition_and_heal(lab, ex.expected, observation.snapshot, progress)
                observation = observe(lab, ex.expected)
                results = [step, *evaluate(ex.expected, observation, fault.after)]
            else:
                results = [*evaluate(ex.expected, observation, f"before {fault.service} is "
                                     f"{fault.done}"), fault_result(ex.expected, ran=False)]
    finally:
        lab.down()
    return CheckReport(file, ex.expected, results=tuple(results),
                       snapshot=observation.snapshot, seconds=time.monotonic() - started,
                       project=lab.project, commands=tuple(lab.commands()))


def check(target: str | Path, *, file: Path | str | None = None, progress: Progress = say,
          timeout: float = 45) -> CheckReport:
    """Check an exercise: ``check("01")``, ``check(folder)`` or ``check(compose_file)``.

    Given a compose file, that file is checked against the exercise it sits in (or one
    folder up, for ``solution/compose.yaml``); otherwise ``Exercise.target()`` decides.
    """
    ex = exercise(target)
    path = Path(target)
    if file is None and path.is_file():
        file = path
    return ex.check(file, progress=progress, timeout=timeout)


def _words(items: Sequence[str]) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]

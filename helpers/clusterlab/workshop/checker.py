"""The exercise checker on the real engine: up → observe → judge → (fault step) → down.

``run_check`` first judges the file itself (``judge.static_problems``), then starts it
as a lab, probes until every criterion holds or ``settle_seconds`` pass (a stack that
converges a moment after start-up is not marked wrong), and, with a ``[fault]`` step,
cuts a service off, waits until its peers notice, plugs it back in and judges again.
The lab is always removed.
"""

from __future__ import annotations

import ipaddress
import time
from datetime import UTC, datetime
from pathlib import Path

from ..catalogue import Lesson
from ..errors import ClusterLabError, ConvergenceTimeout
from ..lab.lifecycle import Lab
from ..lab.swarm import SwarmLab
from ..model.snapshot import Snapshot
from ..observe import remote as remote_shell
from ..progress import Progress, say
from ..waiting import wait_until
from .judge import (
    CheckReport,
    HttpOutcome,
    Observation,
    RemoteOutcome,
    Result,
    evaluate,
    fault_result,
    http_outcome,
    running,
    static_problems,
    still_listing,
)
from .security import cookie_leaks, outsider_attempts
from .spec import CookieHidden, Expected, Http, OutsiderBlocked, Remote, SharedCookie


def observe(lab: Lab, expected: Expected) -> Observation:
    """One probe of a running lab plus the HTTP calls and cookie digests the criteria need.

    Probes back to back until every criterion holds or ``settle_seconds`` pass: a stack
    that converges a moment after start-up is not marked wrong.
    """
    deadline = time.monotonic() + expected.settle_seconds
    outsiders: dict[str, dict[str, str]] = {}
    leaks: dict[str, list[str] | None] = {}
    for criterion in expected.criteria:  # once: they do not change while the mesh settles
        if isinstance(criterion, OutsiderBlocked):
            outsiders.update(outsider_attempts(lab, criterion.services))
        elif isinstance(criterion, CookieHidden):
            leaks.update(cookie_leaks(lab, criterion.services))
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
        cookies = {s: lab.cookie_digest(s) if s in by_service else None
                   for c in expected.criteria if isinstance(c, SharedCookie) for s in c.services}
        remote = {key: outcome for c in expected.criteria if isinstance(c, Remote)
                  for key, outcome in remote_outcomes(lab, c, snap).items()}
        observation = Observation(snap, http, cookies, outsiders, leaks, remote)
        if all(r.passed for r in evaluate(expected, observation)) \
                or time.monotonic() >= deadline:
            return observation


def ipv6_address(container) -> str | None:
    """The container's first global IPv6 address on any network, compressed."""
    for info in (container.attrs["NetworkSettings"]["Networks"] or {}).values():
        if address := info.get("GlobalIPv6Address"):
            return str(ipaddress.IPv6Address(address))
    return None


def remote_outcomes(lab: Lab, criterion: Remote,
                    snap: Snapshot) -> dict[tuple[str, str], RemoteOutcome]:
    """One remote shell in ``criterion.source``, asking every target by its IPv6 name."""
    members = running(snap)
    targets: dict[str, str | None] = {}
    for service in criterion.services:
        try:
            address = ipv6_address(lab.container(service))
        except ClusterLabError:
            address = None
        targets[service] = f"{criterion.basename}@{address}" if address else None
    try:
        source = lab.container(criterion.source)
    except ClusterLabError:
        return {}
    asked = [t for t in targets.values() if t]
    lab._record(remote_shell.by_hand(source.name, asked))
    flags, reached = remote_shell.reach(source, asked) if asked else ("", {})
    out = {}
    for service, target in targets.items():
        node = members[service].node if service in members else None
        if target is None:
            out[(criterion.source, service)] = RemoteOutcome(None, False, "", flags, node)
        else:
            got = reached[target]
            out[(criterion.source, service)] = RemoteOutcome(target, got.ok, got.answer,
                                                             flags, node)
    return out


def partition_and_heal(lab: Lab, expected: Expected, before: Snapshot,
                       progress: Progress = say) -> Result:
    """The ``[fault]`` step: cut the service off every network it is on, probe until no
    witness lists it any more (or ``notice_seconds`` pass), then plug it back in."""
    fault = expected.fault
    assert fault is not None
    member = running(before).get(fault.service)
    node = member.node if member else None
    networks = list(lab.container(fault.service).attrs["NetworkSettings"]["Networks"])
    if fault.kind == "pause":
        return pause_and_unpause(lab, expected, node, progress)
    if fault.kind == "rolling_update":
        return rolling_update(lab, expected, before, progress)
    progress(f"cutting {fault.service} off the network …")
    cut_at, cut_wall = time.monotonic(), datetime.now(UTC)
    for network in networks:
        lab.disconnect(fault.service, network)
    unnoticed = False
    try:
        # Only the witnesses are probed: asking the cut-off node itself takes seconds.
        while still := still_listing(expected, lab.probe(expected.witnesses,
                                                         only=expected.witnesses), node):
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


def pause_and_unpause(lab: Lab, expected: Expected, node: str | None,
                      progress: Progress = say) -> Result:
    """The ``[fault] pause`` step: freeze the service, probe the witnesses until none lists
    it (or ``notice_seconds`` pass), unpause it. Its peers closed their connections when
    they dropped it, so the unpaused node reads that at once: nothing stale survives."""
    fault = expected.fault
    assert fault is not None
    progress(f"pausing {fault.service} …")
    paused_at = time.monotonic()
    lab.pause(fault.service)
    try:
        while still := still_listing(expected, lab.probe(expected.witnesses,
                                                         only=expected.witnesses), node):
            if time.monotonic() - paused_at >= fault.notice_seconds:
                break
    finally:
        lab.unpause(fault.service)
    seconds = time.monotonic() - paused_at
    progress(f"{fault.service} unpaused after {seconds:.1f} s")
    return fault_result(expected, ran=True, still=still, seconds=seconds)


def rolling_update(lab: Lab, expected: Expected, before: Snapshot,
                   progress: Progress = say) -> Result:
    """The ``[fault] rolling_update`` step (a Swarm lab): ``docker service update --force``,
    then wait until Swarm has replaced every task (new containers, all running and healthy)
    within ``notice_seconds``. The criteria are judged again afterwards."""
    fault = expected.fault
    assert fault is not None and isinstance(lab, SwarmLab)
    old = {m.container for m in before.members if m.service == fault.service}
    progress(f"forcing a rolling update of {fault.service} …")
    started = time.monotonic()
    lab.update(fault.service)

    def replaced() -> bool:
        done = lab.converged(fault.service)
        return done is not None and not {c.name for c in done} & old

    try:
        wait_until(replaced, fault.notice_seconds, interval=0.2,
                   what=f"every task of {fault.service} replaced")
    except ConvergenceTimeout:
        return Result(fault.label, False, (
            f"Swarm had not replaced every task of {fault.service} "
            f"{fault.notice_seconds:g} s after `docker service update --force`:\n"
            + lab.task_report(fault.service),))
    progress(f"every task of {fault.service} replaced in {time.monotonic() - started:.1f} s")
    return Result(fault.label, True)


def run_check(lesson: Lesson, expected: Expected, file: Path, *, progress: Progress = say,
              timeout: float = 45) -> CheckReport:
    """Static checks, then up → observe → evaluate → down. The lab is always removed.

    With a ``[fault]`` step: observe, and only if every criterion holds, partition and
    heal, then observe and judge again; the report holds the fault step and the verdict
    after the heal (or the verdict before it, if the stack failed already)."""
    started = time.monotonic()
    file = Path(file)
    if static := static_problems(file, expected):
        return CheckReport(file, expected, static=tuple(static),
                           seconds=time.monotonic() - started)
    kind = SwarmLab if lesson.meta.get("backend") == "swarm" else Lab
    lab = kind.create(lesson, "exercise", compose_file=file, progress=progress)
    try:
        try:
            lab.up(timeout=timeout, late=expected.late)
        except ClusterLabError as exc:
            return CheckReport(file, expected, start_error=exc.message,
                               seconds=time.monotonic() - started, project=lab.project,
                               commands=tuple(lab.commands()))
        observation = observe(lab, expected)
        results = evaluate(expected, observation)
        if (fault := expected.fault) is not None:
            if all(r.passed for r in results):
                step = partition_and_heal(lab, expected, observation.snapshot, progress)
                observation = observe(lab, expected)
                results = [step, *evaluate(expected, observation, fault.after)]
            else:
                results = [*evaluate(expected, observation, f"before {fault.service} is "
                                     f"{fault.done}"), fault_result(expected, ran=False)]
    finally:
        lab.down()
    return CheckReport(file, expected, results=tuple(results),
                       snapshot=observation.snapshot, seconds=time.monotonic() - started,
                       project=lab.project, commands=tuple(lab.commands()))

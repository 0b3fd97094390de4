"""Looking inside a running lab: logs, probes, timelines, and calls into its nodes.

Mixed into ``Lab``: every method acts on one of the lab's containers through the
Docker SDK and records the plain ``docker …`` command it stands for (``lab.commands()``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import datetime

from docker.models.containers import Container

from ..gates import engine
from ..model.snapshot import Snapshot
from ..observe import erlang, release_probe, resolver
from ..observe.logs import LogLine, parse_docker_logs, select
from ..observe.probe import probe
from ..waiting import wait_until
from . import commands, tls
from .cookie import digest_argv


class Looking:
    """The looking-inside half of ``Lab`` (needs its ``container``, ``containers``,
    ``title`` and ``_record``)."""

    title: str
    container: Callable[[str], Container]
    containers: Callable[[], list[Container]]
    _record: Callable[[str | Sequence[str]], None]

    def logs(self, service: str, tail: int = 50) -> str:
        container = self.container(service)
        self._record(commands.docker("logs", "--tail", str(tail), container.name))
        return container.logs(tail=tail).decode(errors="replace")

    def log_lines(self, service: str, *needles: str,
                  since: datetime | None = None) -> list[LogLine]:
        """``service``'s log lines that contain every needle, stamped by the engine (UTC).

        ``since`` (an aware datetime, e.g. ``datetime.now(UTC)`` before a fault) keeps
        only what was logged from then on, so ``line.seconds_after(since)`` times it.
        """
        container = self.container(service)
        self._record(commands.docker("logs", "--timestamps", container.name))
        raw = container.logs(timestamps=True).decode(errors="replace")
        return select(parse_docker_logs(raw), *needles, since=since)

    def probe(self, names: Sequence[str] = (), *, only: Sequence[str] = ()) -> Snapshot:
        """DNS answers for ``names`` (default: every service) and every node's ``Node.list()``;
        with ``only``, just those services' containers are asked (a cut-off node would take
        seconds to answer)."""
        every = self.containers()
        found = [c for c in every if not only or engine.service_of(c) in only]
        # A paused or cut-off node stays in its peers' nodes() until their tick timer
        # fires; read through a peer, it would hold the probe for the observer's
        # timeout. While one exists, every container is asked itself.
        faulted = any(c.status == "paused" or not c.attrs["NetworkSettings"]["Networks"]
                      for c in every)
        snapshot = probe(found, names, title=self.title, exhaustive=faulted)
        if any(release_probe.is_release(c) for c in found):  # a --dir lab: its own tools
            self._record([release_probe.by_hand(c.name, snapshot.names) for c in found])
            return snapshot
        flags = {c.name: erlang.vm_flags(c) for c in found}
        tls_dist = [name for name, text in flags.items()  # lesson 6: over TLS, not erl_call
                    if "inet_tls" in text]
        self._record(commands.probe_commands(
            # the vm.args ones only: a hidden erl inherits ERL_AFLAGS by itself
            snapshot, tls_dist, {c.name: erlang.dist_flags(erlang.vm_flags(c, env=False))
                                 for c in found if c.name in tls_dist}))
        return snapshot

    def cookie_digest(self, service: str) -> str | None:
        """A short digest of the cookie ``service``'s node runs with (``cookie.digest``),
        or None if it has none; the cookie itself never leaves the container."""
        container = self.container(service)
        if release_probe.is_release(container):  # a --dir lab: found the operator's way
            self._record(release_probe.by_hand(container.name))
            return release_probe.look(container).cookie
        argv = digest_argv(erlang.COOKIE_FILE)
        self._record(commands.docker("exec", container.name, *argv))
        result = engine.exec_in(container, argv)
        found = result.output.strip()
        if result.exit_code != 0 or len(found) != 12:
            return None
        return found

    def timeline(self, until: Callable[[Snapshot], bool], timeout: float = 15,
                 names: Sequence[str] = (), *, only: Sequence[str] = ()) -> list[Snapshot]:
        """Probe back to back until ``until(snapshot)`` holds; every snapshot is kept.

        The last snapshot's ``taken_at`` minus the first's is the measured convergence.
        """
        seen: list[Snapshot] = []

        def converged() -> bool:
            seen.append(self.probe(names, only=only))
            return until(seen[-1])

        wait_until(converged, timeout, interval=0.05, what=f"{self.title}: the condition")
        return seen

    def watch(self, seconds: float, names: Sequence[str] = ()) -> list[Snapshot]:
        """Probe back to back for ``seconds`` and keep every snapshot.

        The counterpart of ``timeline`` for claims that something does *not* happen:
        "the cluster stayed split for the whole 5 s".
        """
        seen = [self.probe(names)]
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            seen.append(self.probe(names))
        return seen

    def http_get(self, service: str, url: str) -> str:
        """What an HTTP client inside ``service`` gets for ``url`` (OTP's ``:httpc``)."""
        container = self.container(service)
        self._record(commands.erl_call(container.name, f'Elixir.ClusterLab.Http get ["{url}"]'))
        return erlang.rpc(container, "Elixir.ClusterLab.Http", "get", f'["{url}"]')

    def connect_node(self, service: str, node: str) -> bool:
        """``Node.connect(node)`` run on ``service``'s node, once; returns what it answered."""
        container = self.container(service)
        self._record(commands.erl_call(
            container.name, f"net_kernel connect_node {erlang.connect_args(node)}"))
        return erlang.parse_connect(erlang.rpc(container, "net_kernel", "connect_node",
                                      erlang.connect_args(node)))

    def tls_lets_in_without_certificate(
            self, service: str, fail_if_no_peer_cert: bool | None = None) -> tuple[bool, str]:
        """Whether a TLS server set up as ``service``'s node (its certificate, the lab CA,
        ``verify_peer``) accepts a client that presents no certificate, on this OTP, with
        ``fail_if_no_peer_cert`` set as given (None: left to OTP's default, which changed
        in OTP 26). Returns (accepted, the server's verdict)."""
        container = self.container(service)
        argv = ["erl", "-noshell", "-eval", tls.no_certificate_trial(fail_if_no_peer_cert)]
        self._record(commands.docker("exec", container.name, *argv))
        return tls.parse_trial(engine.exec_in(container, argv).output)

    def resolve(self, service: str, name: str, call: resolver.Call = "getbyname",
                rtype: str = "a") -> resolver.Resolution:
        """What ``service``'s own VM resolves ``name`` to: dns_cluster's ``getbyname``, or
        libcluster DNSPoll's ``lookup`` (no search list). nslookup can't tell them apart."""
        container = self.container(service)
        args = resolver.call_args(name, call, rtype)
        self._record(commands.erl_call(container.name, f"inet_res {call} {args}"))
        return resolver.resolve(container, name, call, rtype)

    def wait_for_log(self, service: str, text: str, timeout: float = 5,
                     since: datetime | None = None) -> str:
        """The first log line of ``service`` containing ``text`` (logged from ``since`` on,
        if given), waiting for it to appear."""
        what = f"a log line of {service} containing {text!r}"
        if since is not None:
            return wait_until(lambda: next((line.text for line in self.log_lines(
                service, text, since=since)), None), timeout, interval=0.1, what=what)
        return wait_until(lambda: erlang.find_line(self.logs(service, tail=500), text), timeout,
                          interval=0.1, what=what)

    def wait_nodedown(self, service: str, peers: Sequence[str], since: datetime,
                      timeout: float = 20) -> None:
        """Wait until ``service`` itself has seen each peer node go down (since ``since``).

        Each side of a partition notices on its own tick timer. Heal before the cut-off
        side has noticed, and ``global``'s traffic may silently reconnect it.
        """
        for peer in peers:
            self.wait_for_log(service, f"[clusterlab] nodedown :\"{peer}\"", timeout, since)

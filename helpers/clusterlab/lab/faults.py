"""Faults a lesson injects into a running lab: stop, start, hold, cut off, plug back.

Mixed into ``Lab``. Each fault waits for the state it causes (ready, exited) and
records its ``docker …`` command; ``disconnect`` remembers the DNS aliases Compose gave
the service, so ``connect`` puts it back exactly as it was.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import docker.errors
from docker.models.containers import Container

from ..errors import ClusterLabError
from ..gates import engine
from ..waiting import wait_until
from . import commands
from .readiness import wait_ready


class Faults:
    """The fault-injection half of ``Lab`` (needs its ``container``, ``network``,
    ``_cut``, ``_record`` and ``_record_wait``)."""

    container: Callable[[str], Container]
    network: Callable[[str], str]
    _cut: dict[tuple[str, str], list[str]]
    _record: Callable[[str | Sequence[str]], None]
    _record_wait: Callable[[Sequence[Container]], None]

    def stop(self, service: str, timeout: int = 2) -> None:
        """``docker stop``: SIGTERM, then SIGKILL after ``timeout`` s (a lesson that drains
        on shutdown gives it longer)."""
        container = self.container(service)
        self._record(commands.docker("stop", "--time", str(timeout), container.name))
        container.stop(timeout=timeout)

    def stop_in_background(self, service: str, timeout: int = 10) -> threading.Thread:
        """``stop`` in a thread: ``docker stop`` returns only once the container exited, and
        a lesson timing what the others notice must not wait for that."""
        thread = threading.Thread(target=self.stop, args=(service, timeout), daemon=True)
        thread.start()
        return thread

    def kill(self, service: str) -> None:
        """``docker kill``: SIGKILL, the process is gone and the kernel closes its sockets."""
        container = self.container(service)
        self._record(commands.docker("kill", container.name))
        container.kill()

    def pause(self, service: str, attempts: int = 5) -> None:
        """``docker pause``: frozen by the cgroup freezer, its connections open and silent.

        On cgroup v1 a freeze can fail while a process of the container is mid-syscall (a
        probe's ``docker exec`` starting in it, say): runc then thaws and reports "unable
        to freeze" (its own words: "a game of chances", opencontainers/runc#2791). That is
        the engine's transient refusal, not the lesson's fault: asked again, a few times."""
        container = self.container(service)
        self._record(commands.docker("pause", container.name))
        for attempt in range(attempts):
            try:
                container.pause()
                return
            except docker.errors.APIError as exc:
                if "unable to freeze" not in str(exc):
                    raise
                if attempt == attempts - 1:
                    raise ClusterLabError(
                        f"docker pause {container.name}: unable to freeze, {attempts} times.",
                        "The cgroup freezer could not stop every process in time (the "
                        "host is busy?); run the cell again.") from None
                time.sleep(0.2 * (attempt + 1))

    def unpause(self, service: str) -> None:
        """Undo ``pause`` (nothing to do if the service is not paused)."""
        container = self.container(service)
        container.reload()
        if container.status == "paused":
            self._record(commands.docker("unpause", container.name))
            container.unpause()

    def start(self, service: str, timeout: float = 30) -> None:
        since = time.time()
        container = self.container(service)
        self._record(commands.docker("start", container.name))
        container.start()
        self.wait_ready(service, timeout, since)

    def restart(self, service: str, timeout: float = 30) -> None:
        since = time.time()
        container = self.container(service)
        self._record(commands.docker("restart", "--time", "2", container.name))
        container.restart(timeout=2)
        self.wait_ready(service, timeout, since)

    def release(self, service: str, timeout: float = 30, *, wait: bool = True) -> None:
        """Let a service held by ``STARTUP_GATE`` boot and, with ``wait``, wait until it is
        ready.

        Start-up order by state: a lesson holds a peer until the others have made their
        one attempt (their log says so), then releases it. A delay would be outrun by load.
        """
        container = self.container(service)
        gate = next((e.partition("=")[2] for e in container.attrs["Config"]["Env"]
                     if e.startswith("STARTUP_GATE=")), "")
        if not gate:
            raise ClusterLabError(f"{service} is not held: its STARTUP_GATE is not set.")
        self._record(commands.docker("exec", container.name, "touch", gate))
        result = engine.exec_in(container, ["touch", gate])
        if result.exit_code != 0:
            raise ClusterLabError(f"Could not release {service}: {result.output.strip()}")
        if wait:
            self.wait_ready(service, timeout)

    def wait_ready(self, service: str, timeout: float = 30, since: float | None = None) -> None:
        """Block until ``service`` prints its ready line (after ``since``, a Unix time)."""
        container = self.container(service)
        self._record_wait([container])
        wait_ready([container], timeout, since)

    def wait_exited(self, service: str, timeout: float = 30) -> int:
        """Wait for a service that is expected to die (a variant that can't boot); its exit code.

        Start such a lab with ``up(wait=False)``: ``up()`` would raise ``LabStartError``.
        """
        def exited() -> dict[str, Any] | None:
            container = self.container(service)
            container.reload()
            state = container.attrs["State"]
            return state if state["Status"] == "exited" else None

        self._record(commands.docker("wait", self.container(service).name))
        return int(wait_until(exited, timeout, what=f"{service} exited")["ExitCode"])

    def _network(self, service: str, network: str | None) -> str:
        networks = list(self.container(service).attrs["NetworkSettings"]["Networks"])
        if network is None and len(networks) == 1:
            return networks[0]
        if network is None:
            raise ClusterLabError(f"{service} is on several networks ({', '.join(networks)}).",
                                  "Say which one with network=…")
        return network if network in networks else self.network(network)

    def disconnect(self, service: str, network: str | None = None) -> str:
        """Cut ``service`` off a network (a partition). Returns the network's full name."""
        container = self.container(service)
        name = self._network(service, network)
        info = container.attrs["NetworkSettings"]["Networks"][name]
        self._cut[(service, name)] = [a for a in info.get("Aliases") or ()
                                      if not container.id.startswith(a)]
        self._record(commands.docker("network", "disconnect", name, container.name))
        engine.client().networks.get(name).disconnect(container)
        return name

    def connect(self, service: str, network: str | None = None,
                aliases: Sequence[str] | None = None) -> None:
        """Undo ``disconnect``, restoring the DNS aliases Compose had given the service; or,
        with ``aliases``, attach it to one more of the lab's networks under those names
        (how lesson 9 makes a partial partition whole)."""
        if network is None:
            cut = [net for (svc, net) in self._cut if svc == service]
            if len(cut) != 1:
                raise ClusterLabError(f"Say which network to reconnect {service} to.")
            network = cut[0]
        name = network if (service, network) in self._cut else self.network(network)
        restored = self._cut.pop((service, name), [service])
        aliases = list(aliases) if aliases is not None else restored
        container = self.container(service)
        self._record(commands.network_connect(name, container.name, aliases))
        engine.client().networks.get(name).connect(container, aliases=aliases)

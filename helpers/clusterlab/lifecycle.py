"""A lab is one running Compose project: up, probe, down, and never leave anything behind.

Each lab gets a unique project name (so two can run at once), a fresh random cookie,
and labels on every container, network and volume, so ``clean`` can find what a
crashed run left. Labs started from Python belong to their process: the next lab
started on this host removes labs whose owner process is gone.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import secrets
import shutil
import socket
import tempfile
import time
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from . import commands, compose, dist, engine, resolver, tls
from .catalogue import Lesson, get
from .errors import (
    ClusterLabError,
    CommandFailed,
    ComposeFileError,
    InvalidNodeName,
    LabNotFound,
    LabStartError,
    PortInUse,
)
from .image import Progress, ensure_image, say
from .logs import LogLine, parse_docker_logs, select
from .nodenames import refused_names
from .probes import Snapshot, probe, rpc, wait_until
from .readiness import IMAGE_LABEL, READY_LINE, wait_ready

EPMD_PORT = 4369
OWNER = "io.clusterlab.owner"
LESSON = "io.clusterlab.lesson"
VARIANT = "io.clusterlab.variant"
DETACHED = "detached"


class Cookie:
    """An Erlang cookie that never shows itself in full: not in repr, str or errors."""

    def __init__(self, value: str | None = None) -> None:
        # Not token_urlsafe: a cookie that starts with "-" is read by erl as a flag after
        # -setcookie, and every node dies ("Failed to create cookie file"), 1 lab in 64.
        self._value = value or secrets.token_hex(16)

    def reveal(self) -> str:
        return self._value

    def masked(self) -> str:
        return f"{self._value[:4]}…({len(self._value)} chars)"

    def __repr__(self) -> str:
        return f"Cookie({self.masked()})"

    __str__ = __repr__


def _run_root() -> Path:
    return Path(tempfile.gettempdir()) / "clusterlab"


def _new_project(lesson_id: str) -> str:
    return f"cl{lesson_id[:2]}-{secrets.token_hex(3)}"


def _owner_label(detached: bool) -> str:
    return DETACHED if detached else f"{socket.gethostname()}/{os.getpid()}"


def label_model(model: dict[str, Any], labels: Mapping[str, str]) -> dict[str, Any]:
    """A copy of a compose model with ``labels`` on every service, network and volume."""
    out = json.loads(json.dumps(model))
    for kind in ("services", "networks", "volumes"):
        for item in (out.get(kind) or {}).values():
            if item is None or item.get("external"):
                continue
            item["labels"] = {**(item.get("labels") or {}), **labels}
    return out


def pin_resolver(model: dict[str, Any]) -> dict[str, Any]:
    """A copy of a compose model where every service has an explicit ``dns_search``.

    Docker copies the host's ``search`` line into each container's resolv.conf, and
    OTP's resolver (so ``Node.connect`` and dns_cluster's ``getbyname``) then tries
    ``name.<host domain>``. A lab must give the same answers on a laptop, a cloud VM and
    a CI runner, so a service that does not choose its search list gets ``["."]``
    (no search line at all). A service that sets ``dns_search`` keeps it: that is how a
    lesson teaches search domains on purpose.
    """
    out = json.loads(json.dumps(model))
    for service in (out.get("services") or {}).values():
        if service is not None and "dns_search" not in service:
            service["dns_search"] = ["."]
    return out


def published_epmd(model: Mapping[str, Any]) -> list[str]:
    """Services that would publish EPMD to the host (on a fixed or a random host port):
    anyone who reaches it could then list our nodes."""
    hits = []
    for name, service in (model.get("services") or {}).items():
        for port in service.get("ports") or []:
            if str(port.get("target")) == str(EPMD_PORT):
                hits.append(name)
    return hits


LOOPBACK = ("127.0.0.1", "::1")
ALLOW_EPMD = "allow_published_epmd"
"""``x-clusterlab: {allow_published_epmd: loopback}`` at the top of a compose file: the
one documented override of the EPMD refusal (lesson 6 lists the nodes through it). It
allows EPMD on 127.0.0.1 only; a port published on any other address is refused always."""


def not_on_loopback(model: Mapping[str, Any]) -> list[str]:
    """Published ports that other machines could reach: ``service: host_ip:published→target``."""
    wide = []
    for name, service in (model.get("services") or {}).items():
        for port in (service or {}).get("ports") or []:
            if port.get("host_ip") not in LOOPBACK:
                wide.append(f"{name}: {port.get('host_ip') or '0.0.0.0'}:"
                            f"{port.get('published') or '?'}→{port.get('target')}")
    return wide


def refused_ports(model: Mapping[str, Any]) -> ComposeFileError | None:
    """Why a lab will not publish this file's ports, or None."""
    allowed = ((model.get("x-clusterlab") or {}).get(ALLOW_EPMD) == "loopback")
    if (exposed := published_epmd(model)) and not allowed:
        return ComposeFileError(
            f"{', '.join(exposed)} publishes EPMD ({EPMD_PORT}) to the host.",
            "Remove that `ports:` entry: nodes talk on the project network. (A lesson that "
            f"shows the leak says `x-clusterlab: {{{ALLOW_EPMD}: loopback}}`.)")
    if wide := not_on_loopback(model):
        return ComposeFileError(
            "A lab publishes ports on 127.0.0.1 only; these would be reachable from other "
            "machines: " + ", ".join(wide) + ".",
            'Write the host address: "127.0.0.1:8080:8080" (or "127.0.0.1::8080").')
    return None


@dataclass
class Lab:
    """One Compose variant brought up on the real engine. Use it as a context manager."""

    lesson: Lesson | None
    variant: str
    project: str
    compose_file: Path | None
    cookie: Cookie | None
    env: dict[str, str]
    detached: bool = False
    progress: Progress = say
    _cut: dict[tuple[str, str], list[str]] = field(default_factory=dict, repr=False)
    _history: commands.CommandLog = field(default_factory=commands.CommandLog, repr=False)

    @classmethod
    def create(cls, lesson: str | Lesson, variant: str = "fixed", *,
               compose_file: Path | str | None = None, env: Mapping[str, str] | None = None,
               detached: bool = False, progress: Progress = say) -> Lab:
        """A lab for ``lesson``'s ``variant``, or for any ``compose_file`` (an exercise)."""
        found = lesson if isinstance(lesson, Lesson) else get(lesson)
        path = Path(compose_file) if compose_file else found.compose_file(variant)
        return cls(found, variant, _new_project(found.id), path, Cookie(), dict(env or {}),
                   detached, progress)

    @classmethod
    def attach(cls, project: str | None = None) -> Lab:
        """A handle on a lab that is already running (the newest one if no name is given)."""
        project = project or newest_project()
        rows = _containers(project)
        if not rows:
            raise LabNotFound(f"No lab named {project!r} is running.")
        labels = rows[0]["Labels"]
        lesson = labels.get(LESSON)
        found = get(lesson) if lesson else None
        return cls(found, labels.get(VARIANT, "?"), project, None, None, {},
                   labels.get(OWNER) == DETACHED)

    # -- lifecycle -------------------------------------------------------------------

    @property
    def run_dir(self) -> Path:
        return _run_root() / self.project

    @property
    def title(self) -> str:
        lesson = self.lesson.id if self.lesson else "lab"
        return f"{lesson} · {self.variant}"

    def __enter__(self) -> Lab:
        return self.up()

    def __exit__(self, *exc: object) -> None:
        self.down()

    def up(self, *, wait: bool = True, timeout: float = 60) -> Lab:
        """Start every service and, with ``wait``, return once every one of them is ready."""
        if self.compose_file is None or self.cookie is None:
            raise ClusterLabError(f"Lab {self.project} was attached, not created: it is up.")
        reap_orphans()
        image = ensure_image(self.progress)
        model = compose.load(self.compose_file, self.project)
        if refused := refused_names(model):
            raise InvalidNodeName(f"{self.compose_file}: Erlang would refuse these node names:\n  "
                                  + "\n  ".join(refused))
        if refusal := refused_ports(model):
            raise refusal
        labels = {engine.LABEL: self.project, OWNER: _owner_label(self.detached),
                  LESSON: self.lesson.id if self.lesson else "", VARIANT: self.variant}
        self.run_dir.mkdir(parents=True, exist_ok=True)
        started_model = pin_resolver(label_model(model, labels))
        self._env = {"ERL_COOKIE": self.cookie.reveal(), "CLUSTERLAB_IMAGE": image.tag,
                     # a lab CA and certificates (lesson 6): only if the file asks for them
                     **tls.prepare(self.run_dir, started_model), **self.env}
        (self.run_dir / "compose.json").write_text(json.dumps(started_model, indent=1))
        _live_labs.add(self)
        started = time.monotonic()
        self.progress(f"starting {self.title} as project {self.project} …")
        try:
            self.compose("up", "-d", "--remove-orphans", timeout=timeout + 30)
            if wait:
                started_containers = self.containers()
                self._record_wait(started_containers)
                wait_ready(started_containers, timeout)
        except CommandFailed as exc:
            error = self._start_error(exc)
            self.down()
            raise error from None
        except ClusterLabError as exc:
            self.down()
            raise LabStartError(f"{self.title} did not come up:\n{exc.message}") from None
        except BaseException:
            self.down()
            raise
        self.started_in = time.monotonic() - started
        self.progress(f"{self.project} up in {self.started_in:.1f} s")
        return self

    def model(self) -> dict[str, Any]:
        """The compose model exactly as the engine got it: labels and the pinned
        ``dns_search`` added to the file's own, after Compose's interpolation."""
        path = self.run_dir / "compose.json"
        if not path.exists():
            raise ClusterLabError(f"Lab {self.project} has not been started from here.")
        return json.loads(path.read_text())

    def compose(self, *args: str, timeout: float = 120) -> str:
        """``docker compose`` on this lab's project; the cookie is scrubbed from errors."""
        files = ["-f", str(self.run_dir / "compose.json")] \
            if (self.run_dir / "compose.json").exists() else []
        self._record(commands.compose_command(compose.find_compose().argv,
                                              ["-p", self.project, *files, *args],
                                              env=getattr(self, "_env", None)))
        try:
            return compose.run(["-p", self.project, *files, *args],
                               env=getattr(self, "_env", None), timeout=timeout).stdout
        except CommandFailed as exc:
            raise self._scrub(exc) from None

    def _scrub(self, exc: CommandFailed) -> CommandFailed:
        secret = self.cookie.reveal() if self.cookie else None
        if not secret:
            return exc

        def clean(text: str) -> str:
            return text.replace(secret, self.cookie.masked())

        return CommandFailed([clean(a) for a in exc.args_], exc.returncode,
                             clean(exc.stdout), clean(exc.stderr))

    def _start_error(self, exc: CommandFailed) -> ClusterLabError:
        text = exc.stderr + exc.stdout
        if "port is already allocated" in text or "address already in use" in text:
            line = next(ln for ln in text.splitlines() if "already" in ln)
            return PortInUse(f"{self.title}: a published port is already in use on this host:\n"
                             f"    {line.strip()}")
        details = [exc.message]
        for row in _containers(self.project):
            if row["State"] != "running" or "unhealthy" in row.get("Status", ""):
                name = row["Names"][0].lstrip("/")
                details.append(f"{name} is {row['Status']}; its last log lines:")
                details += [f"    {ln}" for ln in self.logs(name, tail=8).splitlines()]
        return LabStartError(f"{self.title} did not come up:\n" + "\n".join(details))

    def down(self) -> None:
        """Remove containers, networks and volumes. Safe to call twice, or after a crash."""
        try:
            if _containers(self.project) or _networks(self.project):
                # No -f: Compose v2 finds the project by its labels, so this works from any
                # process, without the cookie. cwd has no compose file to pick up by mistake.
                _run_root().mkdir(parents=True, exist_ok=True)
                args = ["-p", self.project, "down", "--volumes", "--remove-orphans",
                        "--timeout", "2"]
                self._record(commands.compose_command(compose.find_compose().argv, args))
                compose.run(args, cwd=_run_root())
        finally:
            remove_project(self.project)
            _live_labs.discard(self)

    # -- looking inside -----------------------------------------------------------------

    def containers(self) -> list[Any]:
        """This lab's containers, ordered by service then replica number."""
        def order(container: Any) -> tuple[str, int]:
            labels = container.labels
            return (labels.get("com.docker.compose.service", ""),
                    int(labels.get("com.docker.compose.container-number", 0)))

        return sorted(engine.lab_containers(self.project), key=order)

    def container(self, service: str) -> Any:
        """The container of ``service`` (its first replica), or the container so named."""
        found = engine.lab_containers(self.project, service=service)
        if found:
            return min(found, key=lambda c: int(c.labels.get(
                "com.docker.compose.container-number", 0)))
        for candidate in self.containers():
            if candidate.name == service:
                return candidate
        raise LabNotFound(f"Lab {self.project} has no service or container {service!r}.")

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

    def probe(self, names: Sequence[str] = ()) -> Snapshot:
        """DNS answers for ``names`` (default: every service) and every node's ``Node.list()``."""
        containers = self.containers()
        snapshot = probe(containers, names, title=self.title)
        tls_dist = [c.name for c in containers  # lesson 6: asked over TLS, not erl_call
                    if "inet_tls" in " ".join(c.attrs["Config"].get("Env") or ())]
        self._record(commands.probe_commands(snapshot, tls_dist))
        return snapshot

    # -- the commands behind the helpers ------------------------------------------------

    def commands(self, last: int | None = None) -> list[str]:
        """Every step this lab took, as a command line to paste into a terminal.

        The helpers use the Docker SDK and one batched script per container; these are
        the plain ``docker …`` equivalents (a step repeated back to back is listed once),
        so the diagnosis can be repeated on any project. The cookie is never in them:
        it is read inside the container, or drawn anew for ``compose up``.
        """
        return self._history.lines(last)

    def _record(self, lines: str | Sequence[str]) -> None:
        self._history.add(lines)

    def _record_wait(self, containers: Sequence[Any]) -> None:
        ready = READY_LINE.decode()
        self._record([
            f"docker logs --follow {c.name} 2>&1 | grep -m1 -F {commands.shlex.quote(ready)}"
            if c.labels.get(IMAGE_LABEL) == "app"
            else commands.docker("inspect", "--format", "{{.State.Status}}", c.name)
            for c in containers])

    def timeline(self, until: Callable[[Snapshot], bool], timeout: float = 15,
                 names: Sequence[str] = ()) -> list[Snapshot]:
        """Probe back to back until ``until(snapshot)`` holds; every snapshot is kept.

        The last snapshot's ``taken_at`` minus the first's is the measured convergence.
        """
        seen: list[Snapshot] = []

        def converged() -> bool:
            seen.append(self.probe(names))
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

    def network(self, key: str) -> str:
        """The engine's name for the compose network ``key``: Compose prefixes the project."""
        return f"{self.project}_{key}"

    def http_get(self, service: str, url: str) -> str:
        """What an HTTP client inside ``service`` gets for ``url`` (OTP's ``:httpc``)."""
        container = self.container(service)
        self._record(commands.erl_call(container.name, f'Elixir.ClusterLab.Http get ["{url}"]'))
        return rpc(container, "Elixir.ClusterLab.Http", "get", f'["{url}"]')

    def connect_node(self, service: str, node: str) -> bool:
        """``Node.connect(node)`` run on ``service``'s node, once; returns what it answered."""
        container = self.container(service)
        self._record(commands.erl_call(
            container.name, f"net_kernel connect_node {dist.connect_args(node)}"))
        return dist.parse_connect(rpc(container, "net_kernel", "connect_node",
                                      dist.connect_args(node)))

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
        return wait_until(lambda: dist.find_line(self.logs(service, tail=500), text), timeout,
                          interval=0.1, what=what)

    def wait_nodedown(self, service: str, peers: Sequence[str], since: datetime,
                      timeout: float = 20) -> None:
        """Wait until ``service`` itself has seen each peer node go down (since ``since``).

        Each side of a partition notices on its own tick timer. Heal before the cut-off
        side has noticed, and ``global``'s traffic may silently reconnect it.
        """
        for peer in peers:
            self.wait_for_log(service, f"[clusterlab] nodedown :\"{peer}\"", timeout, since)

    # -- fault injection ------------------------------------------------------------------

    def stop(self, service: str) -> None:
        container = self.container(service)
        self._record(commands.docker("stop", "--time", "2", container.name))
        container.stop(timeout=2)

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

    def release(self, service: str, timeout: float = 30) -> None:
        """Let a service held by ``STARTUP_GATE`` boot, and wait until it is ready.

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

    def connect(self, service: str, network: str | None = None) -> None:
        """Undo ``disconnect``, restoring the DNS aliases Compose had given the service."""
        if network is None:
            cut = [net for (svc, net) in self._cut if svc == service]
            if len(cut) != 1:
                raise ClusterLabError(f"Say which network to reconnect {service} to.")
            network = cut[0]
        name = network if (service, network) in self._cut else self.network(network)
        aliases = self._cut.pop((service, name), [service])
        container = self.container(service)
        self._record(commands.network_connect(name, container.name, aliases))
        engine.client().networks.get(name).connect(container, aliases=aliases)

    def __hash__(self) -> int:
        return hash(self.project)


# -- finding and removing labs ------------------------------------------------------------

_live_labs: weakref.WeakSet[Lab] = weakref.WeakSet()


def _down_live_labs() -> None:
    for lab in list(_live_labs):
        if not lab.detached:
            with contextlib.suppress(ClusterLabError):
                lab.down()


atexit.register(_down_live_labs)


def _containers(project: str | None = None) -> list[dict[str, Any]]:
    wanted = f"{engine.LABEL}={project}" if project else engine.LABEL
    return engine.client().api.containers(all=True, filters={"label": wanted})


def _networks(project: str | None = None) -> list[dict[str, Any]]:
    wanted = f"{engine.LABEL}={project}" if project else engine.LABEL
    return engine.client().api.networks(filters={"label": wanted})


def _volumes(project: str | None = None) -> list[dict[str, Any]]:
    wanted = f"{engine.LABEL}={project}" if project else engine.LABEL
    return engine.client().api.volumes(filters={"label": wanted}).get("Volumes") or []


def projects() -> dict[str, dict[str, str]]:
    """Labs that have anything on the engine: project → labels of one of its containers."""
    found: dict[str, dict[str, str]] = {}
    for row in sorted(_containers(), key=lambda r: r["Created"]):
        found[row["Labels"][engine.LABEL]] = row["Labels"]
    for row in _networks():
        found.setdefault(row["Labels"][engine.LABEL], row["Labels"])
    return found


def newest_project() -> str:
    rows = sorted(_containers(), key=lambda r: r["Created"])
    if not rows:
        raise LabNotFound("No ClusterLab lab is running.")
    return rows[-1]["Labels"][engine.LABEL]


def _removed(remove: Callable[[], Any]) -> bool:
    """Run one removal; True once the object is gone. Two labs starting at once (parallel
    tests) both reap the same orphan: its "already in progress" or "not found" is no error,
    and a network whose containers the other reaper is still removing is tried again."""
    import docker.errors

    try:
        remove()
    except docker.errors.NotFound:
        return True
    except docker.errors.APIError as exc:
        if exc.status_code == 409 and "already in progress" in str(exc):
            return True
        if exc.status_code in (403, 409) and "active endpoints" in str(exc):
            return False
        raise
    return True


def remove_project(project: str) -> int:
    """Force-remove everything labelled with ``project``; returns how many objects went."""
    if not project:  # an empty name would match every lab on the engine
        raise ValueError("remove_project needs a project name")
    api = engine.client().api
    removed = 0
    for row in _containers(project):
        _removed(lambda row=row: api.remove_container(row["Id"], force=True, v=True))
        removed += 1
    for row in _networks(project):
        wait_until(lambda row=row: _removed(lambda: api.remove_network(row["Id"])), timeout=30,
                   what=f"removing network {row['Name']}")
        removed += 1
    for row in _volumes(project):
        api.remove_volume(row["Name"], force=True)
        removed += 1
    shutil.rmtree(_run_root() / project, ignore_errors=True)
    return removed


def clean(project: str | None = None) -> dict[str, int]:
    """Remove one lab, or every ClusterLab lab on this engine, whatever state it is in."""
    names = [project] if project else sorted(set(projects()) | _run_dirs())
    return {name: remove_project(name) for name in names}


def _run_dirs() -> set[str]:
    root = _run_root()
    return {p.name for p in root.iterdir()} if root.is_dir() else set()


def pid_alive(pid: int) -> bool:
    """True while ``pid`` runs (a process we may not signal counts as alive)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def reap_orphans() -> list[str]:
    """Remove labs started from Python on this host by a process that no longer exists."""
    host = socket.gethostname()
    reaped = []
    for project, labels in projects().items():
        owner_host, _, pid = labels.get(OWNER, "").partition("/")
        if owner_host == host and pid.isdigit() and not pid_alive(int(pid)):
            remove_project(project)
            reaped.append(project)
    return reaped


def lab(lesson: str, variant: str = "fixed", **kwargs: Any) -> Lab:
    """Shorthand for notebooks: ``with clusterlab.lab("01", "broken") as lab: …``."""
    return Lab.create(lesson, variant, **kwargs)


def start(lesson: str, variant: str = "fixed", **kwargs: Any) -> Lab:
    """Create and bring up a lab in one call (it is removed at exit if you forget)."""
    return Lab.create(lesson, variant, **kwargs).up()

"""A lab is one running Compose project: up, look inside, break, down, nothing left behind.

Each lab gets a unique project name (so two can run at once), a fresh random cookie,
and labels on every container, network and volume, so ``clean`` can find what a
crashed run left. Labs started from Python belong to their process: the next lab
started on this host removes labs whose owner process is gone (``registry``).
``Lab`` is this module's start/stop core plus two halves: ``Looking`` (logs, probes,
calls into nodes) and ``Faults`` (stop, hold, cut off).
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

from docker.models.containers import Container

from ..catalogue import Lesson, get
from ..errors import (
    ClusterLabError,
    CommandFailed,
    InvalidNodeName,
    LabNotFound,
    LabStartError,
    PortInUse,
)
from ..gates import compose, engine, swarm, system
from ..gates.image import ensure_image
from ..observe.erlang import refused_names
from ..progress import Progress, say
from . import commands, gateway, ipv6, registry, release, subnets, tls
from . import project as own
from .cookie import Cookie
from .faults import Faults
from .looking import Looking
from .readiness import IMAGE_LABEL, READY_LINE, wait_ready
from .stack import hold, label_model, pin_resolver, refused_ports


@dataclass(eq=False)
class Lab(Looking, Faults):
    """One Compose variant brought up on the real engine. Use it as a context manager.

    ``Lab.create`` makes one to start (it owns a compose file and a cookie),
    ``Lab.from_dir`` one for a learner's own project (``source``, built by Compose);
    ``Lab.attach`` is a handle on a lab already running, started elsewhere: it can be
    looked into, broken and removed, but not started again (no file, no cookie here).
    """

    lesson: Lesson | None
    variant: str
    project: str
    compose_file: Path | None
    cookie: Cookie | None
    env: dict[str, str]
    detached: bool = False
    progress: Progress = say
    source: Path | None = None
    """A learner's own project folder (``from_dir``): its images are built, its nodes
    found inside the containers (``lab.project``)."""
    started_in: float | None = field(default=None, init=False)
    """Seconds ``up()`` took, once it has returned."""
    _env: dict[str, str] = field(default_factory=dict, init=False, repr=False)
    _cut: dict[tuple[str, str], list[str]] = field(default_factory=dict, repr=False)
    _history: commands.CommandLog = field(default_factory=commands.CommandLog, repr=False)

    @classmethod
    def create(cls, lesson: str | Lesson, variant: str = "fixed", *,
               compose_file: Path | str | None = None, env: Mapping[str, str] | None = None,
               detached: bool = False, progress: Progress = say) -> Self:
        """A lab for ``lesson``'s ``variant``, or for any ``compose_file`` (an exercise)."""
        found = lesson if isinstance(lesson, Lesson) else get(lesson)
        path = Path(compose_file) if compose_file else cls.file_of(found, variant)
        return cls(found, variant, registry.new_project(found.id), path, Cookie(),
                   dict(env or {}), detached, progress)

    @classmethod
    def from_dir(cls, folder: Path | str, compose_file: Path | str | None = None, *,
                 env: Mapping[str, str] | None = None, detached: bool = False,
                 progress: Progress = say) -> Self:
        """A lab of a learner's own Compose project in ``folder`` (``compose_file`` names
        another file in it); no lesson, no lab image: its own ``build:`` sections."""
        path = own.compose_file(folder, compose_file)
        return cls(None, path.name, registry.new_project("own"), path, Cookie(),
                   dict(env or {}), detached, progress, source=path.parent)

    @classmethod
    def file_of(cls, lesson: Lesson, variant: str) -> Path:
        """The file this kind of lab runs for a lesson's variant: its ``compose.yaml``."""
        return lesson.compose_file(variant)

    @classmethod
    def attach(cls, project: str | None = None) -> Lab:
        """A handle on a lab that is already running (the newest one if no name is given)."""
        project = project or registry.newest_project()
        rows = engine.labelled("containers", project)
        if not rows:
            raise LabNotFound(f"No lab named {project!r} is running.")
        labels = rows[0]["Labels"]
        if labels.get("io.clusterlab.backend") == "swarm":
            from .swarm import attach_swarm  # a Swarm lab (lesson 7)

            return attach_swarm(project, labels)
        lesson = labels.get(registry.LESSON)
        found = get(lesson) if lesson else None
        source = labels.get(own.SOURCE)
        return cls(found, labels.get(registry.VARIANT, "?"), project, None, None, {},
                   labels.get(registry.OWNER) == registry.DETACHED,
                   source=Path(source) if source else None)

    @property
    def run_dir(self) -> Path:
        return registry.run_root() / self.project

    @property
    def title(self) -> str:
        lesson = self.lesson.id if self.lesson else self.source.name if self.source else "lab"
        return f"{lesson} · {self.variant}"

    def __enter__(self) -> Lab:
        return self.up()

    def __exit__(self, *exc: object) -> None:
        self.down()

    def __hash__(self) -> int:
        return hash(self.project)

    # -- up and down ------------------------------------------------------------------

    def up(self, *, wait: bool = True, timeout: float | None = None,
           late: Sequence[str] = (), held: Sequence[str] = ()) -> Lab:
        """Start every service and, with ``wait``, return once every one of them is ready.

        ``late`` services are held at their entry point until every other service is
        ready, then released: a slow starter by state (an exercise's ``late = [...]``).
        ``held`` services stay held until the caller's ``release(service)``, for a test
        that must see a state of the others first. ``timeout`` defaults to
        ``start_timeout`` of the lab's size.
        """
        if self.compose_file is None or self.cookie is None:
            raise ClusterLabError(f"Lab {self.project} was attached, not created: it is up.")
        if self.is_up():
            self.progress(f"{self.project} is already up")
            return self
        registry.reap_orphans()
        image = ensure_image(self.progress) if self.source is None else own.NO_LAB_IMAGE
        model = compose.load(self.compose_file, self.project) if self.source is None \
            else own.load(self.compose_file, self.project, self.env, self.progress)
        if refused := refused_names(model):
            raise InvalidNodeName(f"{self.compose_file}: Erlang would refuse these node names:\n  "
                                  + "\n  ".join(refused))
        if refusal := refused_ports(model):
            raise refusal
        system.fits_neighbour_table(container_count(model, self.env), system.neighbour_limit())
        timeout = start_timeout(model, self.env) if timeout is None else timeout
        labels = {engine.LABEL: self.project,
                  registry.OWNER: registry.owner_label(self.detached),
                  registry.LESSON: self.lesson.id if self.lesson else "",
                  registry.VARIANT: self.variant, **own.labels(self.source)}
        # a variant's own config/runtime.exs and rel/*.eex, over the lab release's (a
        # template that does not render stops here, before anything exists); a learner's
        # own project builds its release with its files in it
        mounts = {} if self.source is not None else release.render(
            release.find(self.compose_file.parent), image.tag, self.run_dir / "rel")
        started_model = release.mount(hold(pin_resolver(label_model(model, labels)),
                                           [*late, *held]), image.tag, mounts)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self._env = {"ERL_COOKIE": self.cookie.reveal(), "CLUSTERLAB_IMAGE": image.tag,
                     # a lab CA and certificates (lesson 6): only if the file asks for them
                     **tls.prepare(self.run_dir, started_model), **self.env}
        registry.track(self)
        started = time.monotonic()
        self.progress(f"starting {self.title} as project {self.project} …")
        try:
            self._create(started_model, timeout)
            if wait or late:
                first = [c for c in self.containers()
                         if c.labels.get(engine.COMPOSE_SERVICE) not in (*late, *held)]
                self._record_wait(first)
                wait_ready(first, timeout)
                for service in late:
                    self.release(service, timeout, wait=wait)
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

    def is_up(self) -> bool:
        """True once this handle's ``up()`` has returned and the lab still runs: a second
        ``up()`` (a re-run cell, ``with lab.up() as lab``) then changes nothing. Placing the
        lab again would give its networks new subnets, and Compose would reconnect every
        container without its service-name alias: ``app`` would answer NXDOMAIN."""
        return self.started_in is not None and registry.exists(self.project)

    def _create(self, model: dict[str, Any], timeout: float, attempts: int = 5) -> None:
        """``compose up`` with a free subnet of the labs' range for each network; if another
        lab took the same one a moment earlier, the engine refuses it: pick again."""
        for attempt in range(attempts):
            placed = ipv6.assign(subnets.assign(model, subnets.taken()))
            self.run_dir.mkdir(parents=True, exist_ok=True)
            (self.run_dir / "compose.json").write_text(json.dumps(placed, indent=1))
            self._env.update(gateway.env(placed))
            try:
                with swarm.bridges_starting():  # no swarm leave erases names being made
                    self.compose("up", "-d", "--remove-orphans", timeout=timeout + 30)
                return
            except CommandFailed as exc:
                if subnets.OVERLAP not in exc.stderr + exc.stdout or attempt == attempts - 1:
                    raise
                registry.remove_project(self.project, files=False)  # keep the lab's CA

    def down(self) -> None:
        """Remove containers, networks and volumes. Safe to call twice, or after a crash."""
        try:
            if registry.exists(self.project):
                # No -f: Compose v2 finds the project by its labels, so this works from any
                # process, without the cookie. cwd has no compose file to pick up by mistake.
                registry.run_root().mkdir(parents=True, exist_ok=True)
                args = ["-p", self.project, "down", "--volumes", "--remove-orphans",
                        "--timeout", "2"]
                self._record(commands.compose_command(compose.find_compose().argv, args))
                compose.run(args, cwd=registry.run_root())
        finally:
            registry.remove_project(self.project)
            registry.forget(self)
            if swarm.leave_pending():  # a Swarm lab's leave waited for labs like this one
                registry.leave_swarm_if_last()

    def down_in_background(self) -> threading.Thread:
        """``down`` in a thread, so a lesson goes on while Compose removes the lab; join it
        before the end (a kernel that exits removes its labs anyway)."""
        thread = threading.Thread(target=self.down, name=f"down {self.project}", daemon=True)
        thread.start()
        return thread

    def model(self) -> dict[str, Any]:
        """The compose model exactly as the engine got it: labels, the pinned
        ``dns_search`` and each network's subnet added to the file's own, after Compose's
        interpolation."""
        path = self.run_dir / "compose.json"
        if not path.exists():
            raise ClusterLabError(f"Lab {self.project} has not been started from here.")
        return json.loads(path.read_text())

    def compose(self, *args: str, timeout: float = 120) -> str:
        """``docker compose`` on this lab's project; the cookie is scrubbed from errors."""
        started = self.run_dir / "compose.json"
        files = ["-f", str(started)] if started.exists() else []
        env = self._env or None
        self._record(commands.compose_command(compose.find_compose().argv,
                                              ["-p", self.project, *files, *args], env=env))
        try:
            return compose.run(["-p", self.project, *files, *args], env=env,
                               timeout=timeout).stdout
        except CommandFailed as exc:
            raise self._scrub(exc) from None

    def _scrub(self, exc: CommandFailed) -> CommandFailed:
        if self.cookie is None:
            return exc
        clean = self.cookie.scrub
        return CommandFailed([clean(a) for a in exc.args_], exc.returncode,
                             clean(exc.stdout), clean(exc.stderr))

    def _start_error(self, exc: CommandFailed) -> ClusterLabError:
        text = exc.stderr + exc.stdout
        if "port is already allocated" in text or "address already in use" in text:
            line = next(ln for ln in text.splitlines() if "already" in ln)
            return PortInUse(f"{self.title}: a published port is already in use on this host:\n"
                             f"    {line.strip()}")
        details = [exc.message]
        for row in engine.labelled("containers", self.project):
            if row["State"] != "running" or "unhealthy" in row.get("Status", ""):
                name = row["Names"][0].lstrip("/")
                details.append(f"{name} is {row['Status']}; its last log lines:")
                details += [f"    {ln}" for ln in self.logs(name, tail=8).splitlines()]
        return LabStartError(f"{self.title} did not come up:\n" + "\n".join(details))

    # -- its parts ---------------------------------------------------------------------

    def containers(self) -> list[Container]:
        """This lab's containers, ordered by service then replica number."""
        return engine.lab_containers(self.project)

    def container(self, service: str) -> Container:
        """The container of ``service`` (its first replica), or the container so named."""
        found = engine.lab_containers(self.project, service=service)
        if found:
            return found[0]
        for candidate in self.containers():
            if candidate.name == service:
                return candidate
        raise LabNotFound(f"Lab {self.project} has no service or container {service!r}.")

    def network(self, key: str) -> str:
        """The engine's name for the compose network ``key``: Compose prefixes the project."""
        return f"{self.project}_{key}"

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

    def _record_wait(self, containers: Sequence[Container]) -> None:
        ready = READY_LINE.decode()
        self._record([
            f"docker logs --follow {c.name} 2>&1 | grep -m1 -F {commands.shlex.quote(ready)}"
            if c.labels.get(IMAGE_LABEL) == "app"
            else commands.docker("inspect", "--format", "{{.State.Status}}", c.name)
            for c in containers])


def start_timeout(model: Mapping[str, Any], env: Mapping[str, str] | None = None) -> float:
    """Seconds a lab of this size may take to start: 60, plus 3 per container past ten.
    On a busy 2-core host Compose starts containers about one a second (40 replicas took
    35-60 s to be ready at a load average of 20-40, ``bench/scale.py``), and over 135 s at
    70 (engine shared with other labs), so a fixed minute fails big labs.
    ``env`` fills a replica count the file leaves to a variable (``${REPLICAS:-3}``)."""
    return 60 + 3 * max(0, container_count(model, env) - 10)


def container_count(model: Mapping[str, Any], env: Mapping[str, str] | None = None) -> int:
    """How many containers the model starts (replicas counted, ``${REPLICAS:-3}`` filled
    from ``env``)."""
    count = 0
    for spec in (model.get("services") or {}).values():
        replicas = (spec.get("deploy") or {}).get("replicas", spec.get("scale", 1))
        count += _count(replicas, env or {})
    return count


def _count(value: Any, env: Mapping[str, str]) -> int:
    if isinstance(value, str) and (m := re.fullmatch(r"\$\{(\w+)(?::?-([^}]*))?\}", value)):
        value = env.get(m.group(1)) or os.environ.get(m.group(1)) or m.group(2) or 1
    try:
        return int(value if value is not None else 1)
    except ValueError:
        return 1


def lab(lesson: str | None = None, variant: str | None = None, *,
        dir: Path | str | None = None, **kwargs: Any) -> Lab:
    """Shorthand for notebooks: ``with clusterlab.lab("01", "broken") as lab: …``; a
    lesson's Swarm variant (``stack.yaml``, lesson 7) gives a ``SwarmLab``.
    ``lab(dir="~/my_app")`` is your own Compose project instead (``Lab.from_dir``;
    ``compose_file="other.yaml"`` picks another file in that folder)."""
    if dir is not None:
        if lesson is not None or variant is not None:
            raise ClusterLabError("Give a lesson (and variant) or dir=…, not both.",
                                  "dir= starts your own Compose project; a lesson starts "
                                  "its own files.")
        return Lab.from_dir(dir, **kwargs)
    if lesson is None:
        raise ClusterLabError("Which lab? Give a lesson, e.g. lab(\"01\", \"broken\"), or "
                              "dir=\"path/to/your/project\".")
    variant = variant or "fixed"
    found = get(lesson)
    if variant in found.stacks and variant not in found.variants:
        from .swarm import SwarmLab

        return SwarmLab.create(found, variant, **kwargs)
    return Lab.create(found, variant, **kwargs)


def start(lesson: str | None = None, variant: str | None = None, *,
          dir: Path | str | None = None, **kwargs: Any) -> Lab:
    """Create and bring up a lab in one call (it is removed at exit if you forget);
    ``start(dir="path/to/your/project")`` brings up your own Compose project."""
    return lab(lesson, variant, dir=dir, **kwargs).up()

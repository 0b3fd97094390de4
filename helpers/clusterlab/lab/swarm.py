"""A lab as a Swarm stack: ``docker stack deploy`` of a lesson's ``stack.yaml`` (lesson 7).

The same guarantees as a Compose lab: a unique project (the stack's name), a random
cookie, ClusterLab's labels on every service, container and network (so ``clean`` and the
orphan reaper find them), a pinned resolver, subnets from ``CLUSTERLAB_SUBNETS``, probes
through the tasks' containers, and removal on ``down``, on error, on Ctrl-C and at exit,
the overlay network gone before ``down`` returns. Swarm mode itself is entered and left
by ``gates.swarm`` (only a swarm ClusterLab made is ever left).

Swarm differs from Compose where lessons look: ``hostname:`` takes templates
(``{{.Task.Slot}}``), ``container_name`` and ``depends_on`` are ignored, a task is in DNS
only once healthy, and ``docker service update`` replaces tasks (new containers, new IPs).
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from docker.models.containers import Container

from ..catalogue import Lesson, get
from ..errors import (
    ClusterLabError,
    CommandFailed,
    ComposeFileError,
    ConvergenceTimeout,
    LabNotFound,
    LabStartError,
)
from ..gates import engine, swarm
from ..gates.image import ensure_image
from ..waiting import wait_until
from . import commands, registry, release, subnets
from .lifecycle import Lab
from .stack import pin_resolver

BACKEND = "io.clusterlab.backend"
"""``swarm`` on a Swarm lab's containers: ``Lab.attach`` then returns a ``SwarmLab``."""
IGNORED_BY_SWARM = ("container_name", "depends_on", "links", "build", "restart")
"""Compose keys ``docker stack deploy`` ignores (it says so once, in a warning)."""


def read_stack(path: Path) -> dict[str, Any]:
    """The stack file as written (``docker stack deploy`` interpolates it at deploy time)."""
    if not path.is_file():
        raise ComposeFileError(f"Stack file not found: {path}")
    try:
        model = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise ComposeFileError(f"{path} is not valid YAML:\n    {exc}") from None
    if not isinstance(model, dict) or not isinstance(model.get("services"), dict):
        raise ComposeFileError(f"{path} has no `services:` map.")
    return model


def ignored_keys(model: Mapping[str, Any]) -> dict[str, list[str]]:
    """service → the Compose keys Swarm will ignore in it (lesson 7, "what bites")."""
    return {name: [key for key in IGNORED_BY_SWARM if key in (service or {})]
            for name, service in model["services"].items()
            if any(key in (service or {}) for key in IGNORED_BY_SWARM)}


def stack_model(model: Mapping[str, Any], labels: Mapping[str, str]) -> dict[str, Any]:
    """A copy of a stack model with ``labels`` on every service (its ``deploy.labels``), its
    containers (``labels``, plus which service they run) and every network the stack makes,
    and an explicit ``dns_search`` where none is chosen."""
    out = pin_resolver(json.loads(json.dumps(model)))
    for name, service in out["services"].items():
        container = {**_labels(service.get("labels")), **labels, engine.SERVICE: name,
                     BACKEND: "swarm"}
        service["labels"] = container
        deploy = service.setdefault("deploy", {}) or {}
        deploy["labels"] = {**_labels(deploy.get("labels")), **labels}
        service["deploy"] = deploy
    for key, network in list((out.get("networks") or {}).items()):
        network = out["networks"][key] = network or {}
        if not network.get("external"):
            network["labels"] = {**_labels(network.get("labels")), **labels}
    return out


def _labels(value: Any) -> dict[str, str]:
    if isinstance(value, list):  # the list form, ["k=v", ...]
        return dict(item.partition("=")[::2] for item in value)
    return dict(value or {})


def published(model: Mapping[str, Any]) -> list[str]:
    """Services that publish ports: Swarm publishes through the ingress routing mesh on
    every address of every node (no ``127.0.0.1:`` form), so a Swarm lab publishes none."""
    return [name for name, service in model["services"].items() if (service or {}).get("ports")]


@dataclass(eq=False)
class SwarmLab(Lab):
    """A Swarm stack brought up on the real engine (a manager). A context manager too."""

    deployed: str = ""
    """What ``docker stack deploy`` printed: which Compose keys it ignored, for one."""

    @classmethod
    def file_of(cls, lesson: Lesson, variant: str) -> Path:
        """A Swarm variant's ``stack.yaml`` (``create`` passes any stack file as is)."""
        return lesson.stack_file(variant)

    # -- up and down ------------------------------------------------------------------

    def up(self, *, wait: bool = True, timeout: float = 60, late: Sequence[str] = ()) -> SwarmLab:
        """Deploy the stack and, with ``wait``, return once every replica is healthy (in
        DNS) and its node is ready. ``late`` is refused: Swarm has no start order."""
        if self.compose_file is None or self.cookie is None:
            raise ClusterLabError(f"Lab {self.project} was attached, not created: it is up.")
        if late:
            raise ClusterLabError("A Swarm stack has no start order (depends_on is ignored).")
        if self.is_up():
            self.progress(f"{self.project} is already up")
            return self
        registry.reap_orphans()
        image = ensure_image(self.progress)
        raw = read_stack(self.compose_file)
        if ports := published(raw):
            raise ComposeFileError(
                f"{', '.join(ports)} publishes ports: Swarm's routing mesh would publish them "
                "on every address of the host.", "Remove `ports:`; probe through the tasks.")
        labels = {engine.LABEL: self.project,
                  registry.OWNER: registry.owner_label(self.detached),
                  registry.LESSON: self.lesson.id if self.lesson else "",
                  registry.VARIANT: self.variant}
        # the variant's own config/runtime.exs and rel/*.eex, as for a Compose lab
        mounts = release.render(release.find(self.compose_file.parent), image.tag,
                                self.run_dir / "rel")
        model = release.mount(stack_model(raw, labels), image.tag, mounts)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self._env = {"ERL_COOKIE": self.cookie.reveal(), "CLUSTERLAB_IMAGE": image.tag,
                     **self.env}
        registry.track(self)
        started = time.monotonic()
        self.progress(f"deploying {self.title} as stack {self.project} …")
        try:
            self._deploy(model)
            if wait:
                self.wait_converged(timeout=timeout)
        except CommandFailed as exc:
            self.down()
            raise LabStartError(f"{self.title} did not deploy:\n"
                                f"{self._scrub(exc).message}") from None
        except ClusterLabError as exc:
            self.down()
            raise LabStartError(f"{self.title} did not come up:\n{exc.message}") from None
        except BaseException:
            self.down()
            raise
        self.started_in = time.monotonic() - started
        self.progress(f"{self.project} up in {self.started_in:.1f} s")
        return self

    def _deploy(self, model: dict[str, Any]) -> None:
        """Enter Swarm mode if needed and ``docker stack deploy``, under the Swarm lock, so
        no other process leaves the swarm in between. Subnets: as ``Lab._create``."""
        with swarm.locked():
            swarm.ensure_manager()
            for attempt in range(5):
                placed = subnets.assign(model, subnets.taken(), default_driver="overlay")
                (self.run_dir / "stack.yaml").write_text(yaml.safe_dump(placed, sort_keys=False))
                try:
                    self.deployed = self.docker(
                        "stack", "deploy", "--resolve-image", "never", "--prune",
                        "-c", str(self.run_dir / "stack.yaml"), self.project)
                    return
                except CommandFailed as exc:
                    if subnets.OVERLAP not in exc.stderr + exc.stdout or attempt == 4:
                        raise

    def redeploy(self, env: Mapping[str, str] | None = None, *, timeout: float = 60) -> None:
        """``docker stack deploy`` again with ``env`` changed: Swarm rolls the changed
        services (what a team's next deploy does)."""
        self._env.update(env or {})
        self.env.update(env or {})
        with swarm.locked():
            self.docker("stack", "deploy", "--resolve-image", "never", "-c",
                        str(self.run_dir / "stack.yaml"), self.project)

    def down(self) -> None:
        """``docker stack rm``, and wait until its containers and overlay networks are gone;
        then leave the swarm if ClusterLab made it and this was its last lab."""
        try:
            self._record(commands.docker("stack", "rm", self.project))
            # under the Swarm lock: no other process leaves the swarm (taking our overlay
            # network with it) while this lab is half removed
            with swarm.locked():
                registry.remove_project(self.project)
                # a task Swarm was still placing may surface a moment later: a second pass
                registry.remove_project(self.project)
                if (outcome := swarm.leave_if_last()).deferred:
                    self.progress(outcome.explain())
        finally:
            registry.forget(self)

    def model(self) -> dict[str, Any]:
        """The stack exactly as ``docker stack deploy`` got it (before interpolation)."""
        path = self.run_dir / "stack.yaml"
        if not path.exists():
            raise ClusterLabError(f"Lab {self.project} has not been started from here.")
        return yaml.safe_load(path.read_text())

    def compose(self, *args: str, timeout: float = 120) -> str:
        raise ClusterLabError(f"{self.project} is a Swarm stack: use lab.docker('stack', …).")

    def docker(self, *args: str, timeout: float = 120) -> str:
        """``docker ARGS`` with the lab's variables (the cookie is scrubbed from errors)."""
        self._record(commands.docker_with_env(args, self._env))
        try:
            return swarm.docker_cli(args, env=self._env, timeout=timeout)
        except CommandFailed as exc:
            raise self._scrub(exc) from None

    # -- its parts ---------------------------------------------------------------------

    def service_name(self, service: str) -> str:
        """The engine's name for a stack service: ``<stack>_<service>``."""
        return f"{self.project}_{service}"

    def containers(self) -> list[Container]:
        """The running containers of the stack's current tasks, by service then slot
        (Swarm keeps the exited containers of replaced tasks; they are history)."""
        found = engine.client().containers.list(
            filters={"label": f"{engine.LABEL}={self.project}", "status": "running"},
            ignore_removed=True)
        return sorted(found, key=engine._order)

    def container(self, service: str) -> Container:
        for candidate in self.containers():
            if engine.service_of(candidate) == service or candidate.name == service:
                return candidate
        raise LabNotFound(f"Lab {self.project} has no running task of {service!r}.")

    def replicas(self, service: str) -> int:
        """How many replicas Swarm is asked to run (the service's spec)."""
        spec = engine.client().api.inspect_service(self.service_name(service))["Spec"]
        return int(spec["Mode"]["Replicated"]["Replicas"])

    def services(self) -> list[str]:
        return sorted(self.model().get("services") or {})

    def converged(self, service: str) -> list[Container] | None:
        """The service's containers once Swarm has exactly its replicas running, each
        healthy (only then is a task in DNS) and no update is in progress; else None."""
        inspect = engine.client().api.inspect_service(self.service_name(service))
        status = (inspect.get("UpdateStatus") or {}).get("State", "completed")
        if status in ("updating", "rollback_started"):
            return None
        wanted = int(inspect["Spec"]["Mode"]["Replicated"]["Replicas"])
        found = [c for c in self.containers() if engine.service_of(c) == service]
        if len(found) != wanted:
            return None
        for container in found:
            health = (container.attrs["State"].get("Health") or {}).get("Status")
            if health not in (None, "healthy"):
                return None
        return found

    def wait_converged(self, service: str | None = None, timeout: float = 60) -> None:
        """Wait for ``converged`` on one service, or all of them."""
        for name in [service] if service else self.services():
            self._record(commands.docker("service", "ps", self.service_name(name)))
            try:
                wait_until(lambda name=name: self.converged(name), timeout, interval=0.2,
                           what=f"{self.title}: every replica of {name} running and healthy")
            except ConvergenceTimeout as exc:
                raise ConvergenceTimeout(exc.message + "\n" + self.task_report(name)) from None

    def task_report(self, service: str) -> str:
        """The service's tasks as ``docker service ps`` shows them (state, error)."""
        rows = engine.client().api.tasks(filters={"service": self.service_name(service)})
        lines = [f"    slot {row.get('Slot', '?')}: {row['Status']['State']} "
                 f"(desired {row['DesiredState']}) {row['Status'].get('Err', '')}".rstrip()
                 for row in sorted(rows, key=lambda r: (r.get("Slot", 0), r["CreatedAt"]))]
        return f"tasks of {service}:\n" + "\n".join(lines)

    # -- what Swarm does to a service ----------------------------------------------------

    def update(self, service: str, *args: str) -> None:
        """``docker service update --force`` (or other ``args``), detached: Swarm replaces
        the tasks one by one while the caller watches (``timeline``)."""
        self.docker("service", "update", "--detach", *(args or ("--force",)),
                    self.service_name(service))

    def scale(self, service: str, replicas: int) -> None:
        """``docker service scale``, detached."""
        self.docker("service", "scale", "--detach", f"{self.service_name(service)}={replicas}")


def attach_swarm(project: str, labels: Mapping[str, str]) -> SwarmLab:
    """``Lab.attach`` for a Swarm lab (its containers say ``BACKEND``)."""
    lesson = labels.get(registry.LESSON)
    return SwarmLab(get(lesson) if lesson else None, labels.get(registry.VARIANT, "?"), project,
                    None, None, {}, labels.get(registry.OWNER) == registry.DETACHED)

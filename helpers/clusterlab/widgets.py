"""A small control panel for workshops: choose a variant, Apply, stop / partition / heal.

The logic lives in ``LabController``, a plain class the buttons call, so it is tested
without a browser; ``panel()`` only wires ipywidgets to it. While a lab is starting
every action is refused (and the buttons are disabled), so a double click can't start
two labs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .catalogue import Lesson, get
from .errors import ClusterLabError
from .image import quiet

LabFactory = Callable[[Lesson, str], Any]
"""Makes an unstarted lab for (lesson, variant); ``Lab.create`` by default."""


def _default_factory(lesson: Lesson, variant: str) -> Any:
    from .lifecycle import Lab

    return Lab.create(lesson, variant, progress=quiet)


@dataclass
class LabController:
    """State behind the panel: at most one lab per controller, and what happened to it."""

    lesson: Lesson
    factory: LabFactory = _default_factory
    lab: Any = None
    busy: bool = False
    cut: set[str] = field(default_factory=set)  # services partitioned off their network
    stopped: set[str] = field(default_factory=set)
    log: list[str] = field(default_factory=list)
    listeners: list[Callable[[LabController], None]] = field(default_factory=list)

    @classmethod
    def for_lesson(cls, lesson: str, factory: LabFactory = _default_factory) -> LabController:
        return cls(get(lesson), factory)

    @property
    def variants(self) -> list[str]:
        return sorted(self.lesson.variants)

    @property
    def services(self) -> list[str]:
        if self.lab is None:
            return []
        return sorted({c.labels.get("com.docker.compose.service", c.name)
                       for c in self.lab.containers()})

    @property
    def running(self) -> bool:
        return self.lab is not None

    def _say(self, line: str) -> None:
        self.log.append(line)
        for listener in self.listeners:
            listener(self)

    def _guard(self, needs_lab: bool = True) -> bool:
        if self.busy:
            self._say("busy: wait for the lab to finish starting")
            return False
        if needs_lab and self.lab is None:
            self._say("no lab is running: choose a variant and Apply")
            return False
        return True

    def apply(self, variant: str) -> None:
        """Replace the running lab (if any) by ``variant``'s, and wait until it is ready."""
        if not self._guard(needs_lab=False):
            return
        if variant not in self.lesson.variants:
            self._say(f"{self.lesson.id} has no variant {variant!r}")
            return
        self.busy = True
        self._say(f"starting {variant} …")
        try:
            if self.lab is not None:
                self.lab.down()
                self.lab = None
            lab = self.factory(self.lesson, variant)
            lab.up()
            self.lab = lab
            self.cut.clear()
            self.stopped.clear()
            self._say(f"{variant} is up as {lab.project}")
        except ClusterLabError as exc:
            self.lab = None
            self._say(f"{variant} did not start: {exc.message}")
        finally:
            self.busy = False
            self._say("ready")

    def _act(self, what: str, service: str, action: Callable[[], Any]) -> None:
        if not self._guard():
            return
        try:
            action()
        except ClusterLabError as exc:
            self._say(f"{what} {service} failed: {exc.message}")
            return
        self._say(f"{what} {service}")

    def stop(self, service: str) -> None:
        self._act("stopped", service, lambda: (self.lab.stop(service),
                                                self.stopped.add(service)))

    def start(self, service: str) -> None:
        self._act("started", service, lambda: (self.lab.start(service),
                                                self.stopped.discard(service)))

    def partition(self, service: str) -> None:
        if service in self.cut:
            self._say(f"{service} is already cut off")
            return
        self._act("cut off", service, lambda: (self.lab.disconnect(service),
                                                self.cut.add(service)))

    def heal(self, service: str) -> None:
        if service not in self.cut:
            self._say(f"{service} is not cut off")
            return
        self._act("reconnected", service, lambda: (self.lab.connect(service),
                                                    self.cut.discard(service)))

    def down(self) -> None:
        if not self._guard():
            return
        self.lab.down()
        self.lab = None
        self.cut.clear()
        self.stopped.clear()
        self._say("lab removed")


def panel(lesson: str, controller: LabController | None = None) -> Any:
    """ipywidgets: variant dropdown, Apply, service dropdown, stop/start/partition/heal/down."""
    import ipywidgets as w

    ctl = controller or LabController.for_lesson(lesson)
    variant = w.Dropdown(options=ctl.variants, description="variant")
    service = w.Dropdown(options=[], description="service")
    buttons = {name: w.Button(description=name) for name in
               ("Apply", "Stop", "Start", "Partition", "Heal", "Down")}
    out = w.Output(layout={"border": "1px solid #ddd", "max_height": "10em",
                           "overflow": "auto"})

    def refresh(_: LabController) -> None:
        for name, button in buttons.items():
            button.disabled = ctl.busy or (name != "Apply" and not ctl.running)
        if not ctl.busy and list(service.options) != ctl.services:
            service.options = ctl.services
        out.clear_output()
        with out:
            print("\n".join(ctl.log[-8:]))

    ctl.listeners.append(refresh)
    actions = {"Apply": lambda: ctl.apply(variant.value), "Stop": lambda: ctl.stop(service.value),
               "Start": lambda: ctl.start(service.value),
               "Partition": lambda: ctl.partition(service.value),
               "Heal": lambda: ctl.heal(service.value), "Down": ctl.down}
    for name, button in buttons.items():
        button.on_click(lambda _, act=actions[name]: act())
    refresh(ctl)
    return w.VBox([w.HBox([variant, buttons["Apply"], buttons["Down"]]),
                   w.HBox([service, buttons["Stop"], buttons["Start"], buttons["Partition"],
                           buttons["Heal"]]), out])

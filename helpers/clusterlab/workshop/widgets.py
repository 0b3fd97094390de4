"""A small control panel for workshops: choose a variant or build your own, Apply, then
stop / partition / heal, and watch the graph and the DNS matrix change.

The logic lives in ``LabController``, a plain class the buttons call, so it is tested
without a browser; ``panel()`` only wires ipywidgets to it. While a lab is starting
every action is refused (and the buttons are disabled), so a double click can't start
two labs. The "playground" variant is a compose file built from the panel's choices
(``playground.Options``): networks per service, naming scheme, cookies, strategy and a
late starter.

Under the buttons the panel shows the last command lines the lab ran (``Lab.commands()``),
so every click can be repeated in a terminal.
"""

from __future__ import annotations

import html
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import ipywidgets as w
from IPython.display import display

from ..catalogue import Lesson, get
from ..errors import ClusterLabError
from ..lab.lifecycle import Lab
from ..model.snapshot import Snapshot
from ..model.topology import to_graph
from ..progress import quiet
from ..render.draw import draw_dns_matrix, draw_topology
from ..render.report import summary
from . import playground

PLAYGROUND = "playground"
LabFactory = Callable[[Lesson, str, "Path | None"], Lab]
"""Makes an unstarted lab for (lesson, variant, compose file or None); ``Lab.create``."""


def _default_factory(lesson: Lesson, variant: str, compose_file: Path | None) -> Lab:
    return Lab.create(lesson, variant, compose_file=compose_file, progress=quiet)


@dataclass
class LabController:
    """State behind the panel: at most one lab per controller, and what happened to it."""

    lesson: Lesson
    factory: LabFactory = _default_factory
    lab: Lab | None = None
    busy: bool = False
    cut: set[str] = field(default_factory=set)  # services partitioned off their network
    stopped: set[str] = field(default_factory=set)
    log: list[str] = field(default_factory=list)
    listeners: list[Callable[[LabController], None]] = field(default_factory=list)
    snapshot: Snapshot | None = None  # the last probe, drawn by the panel
    past: list[str] = field(default_factory=list)  # commands of labs already removed

    @classmethod
    def for_lesson(cls, lesson: str, factory: LabFactory = _default_factory) -> LabController:
        return cls(get(lesson), factory)

    @property
    def variants(self) -> list[str]:
        return [*sorted(self.lesson.variants), PLAYGROUND]

    @property
    def services(self) -> list[str]:
        if self.lab is None:
            return []
        return sorted({c.labels.get("com.docker.compose.service", c.name)
                       for c in self.lab.containers()})

    def target(self, current: str | None) -> str | None:
        """The service the fault buttons act on: ``current`` while it exists, else the first.

        A dropdown whose options change keeps no selection (ipywidgets 8 sets it to None),
        which left Stop/Start/Partition/Heal without a target after Apply.
        """
        services = self.services
        if current in services:
            return current
        return services[0] if services else None

    def commands(self, last: int | None = None) -> list[str]:
        """Command lines of every lab this panel ran, oldest first (see ``Lab.commands``)."""
        lines = self.past + (list(self.lab.commands()) if self.lab is not None else [])
        return lines[-last:] if last else lines

    def shown_commands(self, last: int = 6) -> list[str]:
        """What the panel prints: the last ``last`` steps by hand, then one example of each
        command a Look runs (a probe is dozens of lines and would hide the step itself)."""
        lines = self.commands()
        steps = [line for line in lines if not _is_probe(line)][-last:]
        shown = ["# the last steps, by hand (the cookie is read inside the container):", *steps]
        dns = next((line for line in reversed(lines) if " nslookup " in line), None)
        nodes = next((line for line in reversed(lines) if '"erlang nodes"' in line), None)
        if dns or nodes:
            shown += ["# a Look asks every container, for example:",
                      *[line for line in (dns, nodes) if line]]
        return shown

    def _retire(self) -> None:
        """Remove the lab, keeping its command history (``down`` is the last line)."""
        self.lab.down()
        self.past += list(self.lab.commands())
        self.lab = None

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

    def apply(self, variant: str, options: playground.Options | None = None) -> None:
        """Replace the running lab (if any) by ``variant``'s, and wait until it is ready.

        ``playground`` builds the compose file from ``options`` instead.
        """
        if not self._guard(needs_lab=False):
            return
        if variant not in self.variants:
            self._say(f"{self.lesson.id} has no variant {variant!r}")
            return
        self.busy = True
        self._say(f"starting {variant} …")
        try:
            if self.lab is not None:
                self._retire()
            compose_file = None
            if variant == PLAYGROUND:
                folder = Path(tempfile.mkdtemp(prefix="clusterlab-playground-"))
                compose_file = playground.write(options or playground.Options(), folder)
            lab = self.factory(self.lesson, variant, compose_file)
            lab.up()  # its timeout grows with the lab's size (Lab.up, start_timeout)
            self.lab = lab
            self.cut.clear()
            self.stopped.clear()
            self._say(f"{variant} is up as {lab.project}")
            self.look()
        except (ClusterLabError, ValueError) as exc:
            self.lab = None
            self._say(f"{variant} did not start: {getattr(exc, 'message', exc)}")
        finally:
            self.busy = False
            self._say("ready")

    def look(self) -> None:
        """Probe the running lab; the panel redraws the graph and the DNS matrix from it."""
        if self.lab is not None:
            self.snapshot = self.lab.probe()

    def _act(self, what: str, service: str | None, action: Callable[[], Any]) -> None:
        if not self._guard():
            return
        if not service:
            self._say(f"choose a service first ({what} needs one)")
            return
        try:
            action()
            self.look()
        except ClusterLabError as exc:
            self._say(f"{what} {service} failed: {exc.message}")
            return
        self._say(f"{what} {service}")

    def stop(self, service: str | None) -> None:
        self._act("stopped", service, lambda: (self.lab.stop(service),
                                                self.stopped.add(service)))

    def start(self, service: str | None) -> None:
        self._act("started", service, lambda: (self.lab.start(service),
                                                self.stopped.discard(service)))

    def partition(self, service: str | None) -> None:
        if service and service in self.cut:
            self._say(f"{service} is already cut off")
            return
        self._act("cut off", service, lambda: (self.lab.disconnect(service),
                                                self.cut.add(service)))

    def heal(self, service: str | None) -> None:
        if service and service not in self.cut:
            self._say(f"{service} is not cut off")
            return
        self._act("reconnected", service, lambda: (self.lab.connect(service),
                                                    self.cut.discard(service)))

    def down(self) -> None:
        if not self._guard():
            return
        self._retire()
        self.snapshot = None
        self.cut.clear()
        self.stopped.clear()
        self._say("lab removed")


class _Ladder(Protocol):
    texts: tuple[str, ...]
    shown: int

    def next(self) -> str: ...


def hint_button(hints: _Ladder) -> w.VBox:
    """A button that shows the next hint of an exercise's ladder under itself."""
    button = w.Button(description="Show a hint", icon="lightbulb-o")
    out = w.Output()

    def reveal(_: Any) -> None:
        with out:
            print(hints.next())
        button.disabled = hints.shown >= len(hints.texts)

    button.on_click(reveal)
    return w.VBox([button, out])


def _is_probe(line: str) -> bool:
    return " nslookup " in line or '"erlang nodes"' in line


def _choices(w: Any) -> tuple[Any, Callable[[], playground.Options]]:
    """The playground's knobs, and a function reading them into ``Options``."""
    services = playground.Options().services
    nets = {s: w.Dropdown(options=playground.NETWORKS, description=s,
                          layout={"width": "11em"}) for s in services}
    naming = w.Dropdown(options=[(v, k) for k, v in playground.NAMINGS.items()], value="fqdn",
                        description="names")
    strategy = w.Dropdown(options=[(v, k) for k, v in playground.STRATEGIES.items()],
                          value="epmd-retry", description="strategy")
    cookie = w.Checkbox(value=True, description=f"same cookie ({services[-1]} differs if off)")
    late = w.Dropdown(options=[("nobody", None), *((s, s) for s in services)],
                      description="starts late")
    delay = w.IntSlider(value=3000, min=0, max=10000, step=500, description="delay ms")
    # Any number may be typed: more than the engine holds is refused on Apply, with the
    # measured limit (playground.machine_limit). Nodes past n3 join net_a.
    replicas = w.IntText(value=playground.DEFAULT_REPLICAS, description="nodes",
                         layout={"width": "11em"})
    box = w.VBox([w.HBox([replicas, *nets.values()]), naming, strategy, cookie,
                  w.HBox([late, delay])])

    def read() -> playground.Options:
        return playground.Options(replicas=replicas.value,
                                  networks={s: d.value for s, d in nets.items()},
                                  naming=naming.value, same_cookie=cookie.value,
                                  strategy=strategy.value, late=late.value,
                                  delay_ms=delay.value)

    return box, read


def panel(lesson: str, controller: LabController | None = None) -> Any:
    """ipywidgets: variant or playground choices, Apply, faults, and the live pictures."""

    ctl = controller or LabController.for_lesson(lesson)
    variant = w.Dropdown(options=ctl.variants, description="variant")
    choices, read = _choices(w)
    build = w.Accordion(children=[choices], titles=("playground: build your own",))
    service = w.Dropdown(options=[], description="service")
    buttons = {name: w.Button(description=name) for name in
               ("Apply", "Look", "Stop", "Start", "Partition", "Heal", "Down")}
    out = w.Output(layout={"border": "1px solid #ddd", "max_height": "10em",
                           "overflow": "auto"})
    typed = w.HTML(layout={"border": "1px solid #ddd", "max_height": "12em",
                           "overflow": "auto"})
    pictures = w.Output()
    drawn: list[Any] = [None]

    def refresh(_: LabController) -> None:
        for name, button in buttons.items():
            button.disabled = ctl.busy or (name != "Apply" and not ctl.running)
        variant.disabled = ctl.busy
        if not ctl.busy:
            if list(service.options) != ctl.services:
                service.options = ctl.services
            service.value = ctl.target(service.value)
        out.clear_output()
        with out:
            print("\n".join(ctl.log[-8:]))
        shown = html.escape("\n".join(ctl.shown_commands()))
        typed.value = f"<pre style='margin:0'>{shown}</pre>"
        if ctl.snapshot is not drawn[0]:
            drawn[0] = ctl.snapshot
            # wait=True keeps the old pictures until the new ones arrive (no flicker); after
            # Down nothing arrives, so they must go at once.
            pictures.clear_output(wait=ctl.snapshot is not None)
            if ctl.snapshot is not None:
                with pictures:
                    # islands and clusters in words, above the pictures that show them
                    print("\n".join(summary(ctl.snapshot).splitlines()[1:]))
                    display(draw_topology(to_graph(ctl.snapshot)), draw_dns_matrix(ctl.snapshot))

    ctl.listeners.append(refresh)
    actions = {
        "Apply": lambda: ctl.apply(variant.value,
                                   read() if variant.value == PLAYGROUND else None),
        "Look": lambda: (ctl.look(), refresh(ctl)),
        "Stop": lambda: ctl.stop(service.value), "Start": lambda: ctl.start(service.value),
        "Partition": lambda: ctl.partition(service.value),
        "Heal": lambda: ctl.heal(service.value), "Down": ctl.down,
    }
    for name, button in buttons.items():
        button.on_click(lambda _, act=actions[name]: act())
    refresh(ctl)
    return w.VBox([w.HBox([variant, buttons["Apply"], buttons["Look"], buttons["Down"]]), build,
                   w.HBox([service, buttons["Stop"], buttons["Start"], buttons["Partition"],
                           buttons["Heal"]]), out, typed, pictures])

"""Wait until containers are ready by reading their log streams, not by polling.

Our image prints ``[clusterlab] ready <node>`` once distribution and its children are
up. Following the log stream costs nothing while we wait, whereas a 300 ms
healthcheck keeps exec-ing into every container for as long as the lab lives. A
learner's own release (``--dir``) prints no such line: it is ready once its node is
registered in its EPMD (``observe.release_probe``). Other images fall back to their
healthcheck, or to simply running.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterable

from docker.models.containers import Container

from ..errors import ConvergenceTimeout, LabStartError
from ..gates.engine import parallel
from ..observe import release_probe
from ..waiting import wait_until

READY_LINE = b"[clusterlab] ready"
IMAGE_LABEL = "io.clusterlab.image"


_FRAME = re.compile(r"^\s+\([a-z_]+ [0-9][^)]*\) ")
"""An Elixir stack frame: ``    (elixir 1.18.3) lib/config/reader.ex:58: …``."""


def _tail(container: Container, lines: int = 8) -> str:
    """The container's last log lines; when the node died of an Elixir exception, its
    ``** (Error) file:line: message`` headline first, without the stack frames."""
    text = container.logs(tail=80).decode(errors="replace").splitlines()
    heads = [i for i, line in enumerate(text) if line.lstrip().startswith("** (")]
    if heads:
        shown = [line for line in text[heads[-1]:] if not _FRAME.match(line)][:lines]
    else:
        shown = text[-lines:]
    return "\n".join(f"    {line[:200]}" for line in shown)


def _failed(container: Container) -> LabStartError:
    container.reload()
    return LabStartError(f"{container.name} stopped before it was ready "
                         f"({container.status}, exit {container.attrs['State']['ExitCode']}); "
                         f"its last log lines:\n{_tail(container)}")


def _await_log_line(container: Container, deadline: float, since: float | None) -> None:
    stream = container.logs(stream=True, follow=True, since=since)
    timed_out = threading.Event()

    def give_up() -> None:
        timed_out.set()
        stream.close()

    timer = threading.Timer(max(0.0, deadline - time.monotonic()), give_up)
    timer.start()
    buffer = b""
    try:
        for chunk in stream:
            buffer = buffer[-200:] + chunk
            if READY_LINE in buffer:
                return
    except Exception:
        # Closing the stream from the timer makes the read fail (how depends on urllib3
        # and the socket's state): that is our timeout. Any other failure is real.
        if not timed_out.is_set():
            raise
    finally:
        timer.cancel()
        stream.close()
    if time.monotonic() >= deadline:
        raise ConvergenceTimeout(f"{container.name} did not print its ready line in time; "
                                 f"its last log lines:\n{_tail(container)}")
    raise _failed(container)


def _await_state(container: Container, deadline: float) -> None:
    def ready() -> bool:
        container.reload()
        state = container.attrs["State"]
        if state["Status"] == "exited":
            raise _failed(container)
        health = state.get("Health", {}).get("Status")
        return state["Status"] == "running" and health in (None, "healthy")

    wait_until(ready, max(0.0, deadline - time.monotonic()),
               what=f"{container.name} running and healthy")


def _await_node(container: Container, deadline: float) -> None:
    """A learner's release: until its VM's node is in its EPMD (the state a peer needs to
    reach it), or, holding no ``beam.smp`` at all, until it runs (and is healthy)."""
    def ready() -> bool:
        container.reload()
        if container.status == "exited":
            raise _failed(container)
        return container.status == "running" and release_probe.look(container, ready=True).ready

    wait_until(ready, max(0.0, deadline - time.monotonic()), interval=0.2,
               what=f"{container.name}'s node registered in its EPMD")
    _await_state(container, deadline)


def wait_ready(containers: Iterable[Container], timeout: float = 60,
               since: float | None = None) -> None:
    """Return once every container is ready; raise with its log tail if one dies first."""
    found = list(containers)
    deadline = time.monotonic() + timeout

    def one(container: Container) -> None:
        if container.labels.get(IMAGE_LABEL) == "app":
            _await_log_line(container, deadline, since)
        elif release_probe.is_release(container):
            _await_node(container, deadline)
        else:
            _await_state(container, deadline)

    parallel(one, found)

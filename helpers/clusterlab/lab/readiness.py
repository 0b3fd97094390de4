"""Wait until containers are ready by reading their log streams, not by polling.

Our image prints ``[clusterlab] ready <node>`` once distribution and its children are
up. Following the log stream costs nothing while we wait, whereas a 300 ms
healthcheck keeps exec-ing into every container for as long as the lab lives. Other
images fall back to their healthcheck, or to simply running.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable

from docker.models.containers import Container

from ..errors import ConvergenceTimeout, LabStartError
from ..gates.engine import parallel
from ..waiting import wait_until

READY_LINE = b"[clusterlab] ready"
IMAGE_LABEL = "io.clusterlab.image"


def _tail(container: Container, lines: int = 8) -> str:
    text = container.logs(tail=lines).decode(errors="replace")
    return "\n".join(f"    {line[:200]}" for line in text.splitlines())


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


def wait_ready(containers: Iterable[Container], timeout: float = 60,
               since: float | None = None) -> None:
    """Return once every container is ready; raise with its log tail if one dies first."""
    found = list(containers)
    deadline = time.monotonic() + timeout

    def one(container: Container) -> None:
        if container.labels.get(IMAGE_LABEL) == "app":
            _await_log_line(container, deadline, since)
        else:
            _await_state(container, deadline)

    parallel(one, found)

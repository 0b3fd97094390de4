"""Running notebooks without silent stalls: the client the suite and the bench scripts use.

The stall (issues 9 and 16): a cell's reply reaches nbclient's socket, the kernel goes
idle, and nbclient sleeps until the per-cell timeout, because the ``zmq.asyncio`` poll
it waits in missed the socket's edge-triggered wake-up. At the timeout pyzmq polls the
socket for real once more, finds the reply and the notebook *passes*, minutes late. The
kernel's own timestamps show it replied in 0.1 s. It happens with ipykernel 7.4 and with
6.31 alike (the kernel is not the cause) and mostly in widget-heavy cells, where IOPub
carries bursts of ``comm_open`` messages (see bench/stall_loop.py, bench/soak.py).

The fix here is on the client side: every wait on a kernel channel is cut into slices of
``SLICE`` seconds, and each slice ends with pyzmq's real ``zmq_poll``; a missed wake-up
then costs at most one slice instead of the whole timeout. ``StallGuardedClient`` also
fails a cell whose reply is seen only at the timeout, so no stall ever passes silently.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from jupyter_client.asynchronous.client import AsyncKernelClient
from jupyter_client.channels import AsyncZMQSocketChannel
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from traitlets import DottedObjectName, Type, default

SLICE = 0.5  # seconds: the most a missed wake-up can cost

late_wakeups = 0  # slices that ended with a message already waiting (bench scripts report it)


class SlicedChannel(AsyncZMQSocketChannel):
    """A kernel channel whose waits end every ``SLICE`` s with a real poll of the socket."""

    async def get_msg(self, timeout: float | None = None) -> dict[str, Any]:
        global late_wakeups
        assert self.socket is not None
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = SLICE if deadline is None else max(0.0, deadline - time.monotonic())
            step = min(SLICE, left)
            started = time.monotonic()
            if await self.socket.poll(int(step * 1000)):
                if step >= SLICE and time.monotonic() - started >= SLICE * 0.98:
                    late_wakeups += 1  # found only by the slice's closing poll
                return await self._recv()
            if deadline is not None and time.monotonic() >= deadline:
                from queue import Empty

                raise Empty


class SlicedKernelClient(AsyncKernelClient):
    shell_channel_class = Type(SlicedChannel)  # type: ignore[assignment]
    iopub_channel_class = Type(SlicedChannel)  # type: ignore[assignment]
    stdin_channel_class = Type(SlicedChannel)  # type: ignore[assignment]
    control_channel_class = Type(SlicedChannel)  # type: ignore[assignment]


class SlicedKernelManager(AsyncKernelManager):
    client_class = DottedObjectName("clusterlab.tools.nbrun.SlicedKernelClient")
    client_factory = Type(SlicedKernelClient, klass=AsyncKernelClient)  # type: ignore[assignment]


class StallError(Exception):
    """A cell's reply reached the client only at the per-cell timeout."""


def stall_words(cell: Any, index: int, took: float) -> str:
    """Which cell, how long, and which side held it, from the kernel's own timestamps."""
    timing = cell.get("metadata", {}).get("execution", {})
    busy, reply = timing.get("iopub.status.busy"), timing.get("shell.execute_reply")
    first = (cell.source.strip().splitlines() or [""])[0][:60]
    head = f"STALL: cell {index} (`{first}`) took {took:.0f} s, the whole per-cell timeout"
    if not busy or not reply:
        return f"{head}; the kernel never reported busy for it (the request sat unread)."
    ran = (datetime.fromisoformat(reply.replace("Z", "+00:00"))
           - datetime.fromisoformat(busy.replace("Z", "+00:00"))).total_seconds()
    if ran < took - 1:
        return (f"{head}; the kernel ran it in {ran:.1f} s, so its reply waited unseen for "
                f"{took - ran:.0f} s: a missed wake-up (bench/stall_loop.py).")
    return f"{head}; the kernel was busy with it all along: the cell itself is too slow."


class StallGuardedClient(NotebookClient):
    """nbclient with sliced channel waits, failing any cell that still reaches the timeout.

    nbclient takes a reply found by its last poll at the timeout as a success; this client
    raises ``StallError`` instead, naming the cell and the kernel's own run time.
    """

    stall_guarded = True

    @default("kernel_manager_class")
    def _sliced_manager(self) -> type[AsyncKernelManager]:
        return SlicedKernelManager

    async def async_execute_cell(self, cell: Any, cell_index: int, *args: Any,
                                 **kwargs: Any) -> Any:
        started = time.monotonic()
        result = await super().async_execute_cell(cell, cell_index, *args, **kwargs)
        took = time.monotonic() - started
        if self.timeout and took >= self.timeout:
            raise StallError(stall_words(cell, cell_index, took))
        return result

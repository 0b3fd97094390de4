"""clusterlab.tools.nbrun: a missed wake-up costs one slice; a stall names its cell (no Docker)."""

from __future__ import annotations

import asyncio
import time
from queue import Empty

import pytest
from clusterlab.tools import nbrun
from nbformat.v4 import new_code_cell


class MissedWakeSocket:
    """A zmq.asyncio socket whose wake-up was missed: ``poll`` sees a waiting message only
    when its timeout ends (pyzmq's closing real poll), as in the stall of issue 9."""

    def __init__(self, waiting: bool) -> None:
        self.waiting = waiting

    async def poll(self, timeout_ms: int) -> int:
        await asyncio.sleep(timeout_ms / 1000)
        return int(self.waiting)


def channel(waiting: bool) -> nbrun.SlicedChannel:
    chan = object.__new__(nbrun.SlicedChannel)
    chan.socket = MissedWakeSocket(waiting)

    async def recv() -> dict[str, str]:
        return {"msg_type": "execute_reply"}

    chan._recv = recv
    return chan


def test_a_missed_wake_up_costs_one_slice_not_the_timeout() -> None:
    started = time.monotonic()
    msg = asyncio.run(channel(waiting=True).get_msg(timeout=30))
    assert msg == {"msg_type": "execute_reply"}
    assert time.monotonic() - started < nbrun.SLICE * 3


def test_no_message_still_times_out_at_the_timeout() -> None:
    started = time.monotonic()
    with pytest.raises(Empty):
        asyncio.run(channel(waiting=False).get_msg(timeout=1.2))
    assert 1.2 <= time.monotonic() - started < 2


def _cell(busy: str | None, reply: str | None):
    cell = new_code_cell("cl.panel('01-compose-networks')\nmore")
    cell.metadata["execution"] = {k: v for k, v in
                                  (("iopub.status.busy", busy), ("shell.execute_reply", reply))
                                  if v}
    return cell


@pytest.mark.parametrize(("busy", "reply", "words"), [
    ("2026-01-01T10:00:00.000Z", "2026-01-01T10:00:00.100Z", "waited unseen for 60 s"),
    ("2026-01-01T10:00:00.000Z", "2026-01-01T10:01:00.000Z", "the cell itself is too slow"),
    (None, None, "never reported busy"),
])
def test_a_stall_names_its_cell_and_the_side_that_held_it(busy, reply, words) -> None:
    text = nbrun.stall_words(_cell(busy, reply), 23, 60.0)
    assert text.startswith("STALL: cell 23 (`cl.panel('01-compose-networks')`) took 60 s")
    assert words in text

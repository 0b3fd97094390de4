"""clusterlab.tools.nbrun: a missed wake-up costs one slice; a stall names its cell (no Docker)."""

from __future__ import annotations

import asyncio
from queue import Empty

import pytest
from clusterlab.tools import nbrun
from nbformat.v4 import new_code_cell


class Clock:
    """``time.monotonic`` for nbrun: it moves only when the fake socket's poll waits."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


class MissedWakeSocket:
    """A zmq.asyncio socket whose wake-up was missed: ``poll`` sees a waiting message only
    when its timeout ends (pyzmq's closing real poll), as in the stall of issue 9. Each
    poll's wait moves the clock by its timeout and is recorded."""

    def __init__(self, waiting: bool, clock: Clock) -> None:
        self.waiting = waiting
        self.clock = clock
        self.polls: list[int] = []

    async def poll(self, timeout_ms: int) -> int:
        self.polls.append(timeout_ms)
        self.clock.now += timeout_ms / 1000
        return int(self.waiting)


def channel(waiting: bool, clock: Clock) -> nbrun.SlicedChannel:
    chan = object.__new__(nbrun.SlicedChannel)
    chan.socket = MissedWakeSocket(waiting, clock)

    async def recv() -> dict[str, str]:
        return {"msg_type": "execute_reply"}

    chan._recv = recv
    return chan


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(nbrun.time, "monotonic", fake.monotonic)
    return fake


def test_a_missed_wake_up_costs_one_slice_not_the_timeout(clock: Clock) -> None:
    chan = channel(waiting=True, clock=clock)
    late = nbrun.late_wakeups
    msg = asyncio.run(chan.get_msg(timeout=30))
    assert msg == {"msg_type": "execute_reply"}
    assert chan.socket.polls == [int(nbrun.SLICE * 1000)]   # one slice, not 30 s
    assert nbrun.late_wakeups == late + 1                   # and it is counted as late


def test_no_message_still_times_out_at_the_timeout(clock: Clock) -> None:
    chan = channel(waiting=False, clock=clock)
    started = clock.now
    with pytest.raises(Empty):
        asyncio.run(chan.get_msg(timeout=1.2))
    assert all(step <= nbrun.SLICE * 1000 for step in chan.socket.polls)
    assert clock.now - started == pytest.approx(1.2)         # waited the timeout, no more


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

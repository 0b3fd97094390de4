"""``Lab.watch``: probe back to back for a fixed time (no Docker: the probe is faked)."""

from __future__ import annotations

import pytest
from clusterlab.lab import looking
from clusterlab.lab.lifecycle import Lab


class Clock:
    """``time.monotonic`` for ``Lab.watch``: it moves only when a probe takes time, so the
    count of probes in a window is exact whatever the machine's load."""

    def __init__(self) -> None:
        self.now = 100.0

    def monotonic(self) -> float:
        return self.now


def test_watch_keeps_probing_for_the_whole_window(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock()
    calls: list[tuple[tuple[str, ...], float]] = []

    def fake_probe(self: Lab, names=()) -> str:
        calls.append((tuple(names), clock.now))
        clock.now += 0.03  # each probe takes 30 ms
        return f"snapshot {len(calls)}"

    monkeypatch.setattr(looking.time, "monotonic", clock.monotonic)
    monkeypatch.setattr(Lab, "probe", fake_probe)
    lab = Lab(None, "v", "cl05-test", None, None, {})
    seen = lab.watch(0.1, names=["user_svc"])
    # One probe first, then probes until the window (0.1 s after it) has passed: the last
    # one starts before the end, and none after it.
    assert seen == [f"snapshot {n}" for n in range(1, len(calls) + 1)]
    starts = [at for _names, at in calls]
    assert len(calls) == 5 and starts[-1] < starts[1] + 0.1 <= clock.now
    assert all(names == ("user_svc",) for names, _at in calls)


def test_watch_of_zero_seconds_still_probes_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Lab, "probe", lambda self, names=(): "only")
    assert Lab(None, "v", "cl05-test", None, None, {}).watch(0) == ["only"]

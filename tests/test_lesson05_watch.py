"""``Lab.watch``: probe back to back for a fixed time (no Docker: the probe is faked)."""

from __future__ import annotations

import time

import pytest
from clusterlab.lab.lifecycle import Lab


def test_watch_keeps_probing_for_the_whole_window(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, ...]] = []

    def fake_probe(self: Lab, names=()) -> str:
        calls.append(tuple(names))
        time.sleep(0.01)
        return f"snapshot {len(calls)}"

    monkeypatch.setattr(Lab, "probe", fake_probe)
    lab = Lab(None, "v", "cl05-test", None, None, {})
    started = time.monotonic()
    seen = lab.watch(0.1, names=["user_svc"])
    assert time.monotonic() - started >= 0.1
    assert len(seen) == len(calls) >= 3
    assert seen[0] == "snapshot 1" and calls[0] == ("user_svc",)


def test_watch_of_zero_seconds_still_probes_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Lab, "probe", lambda self, names=(): "only")
    assert Lab(None, "v", "cl05-test", None, None, {}).watch(0) == ["only"]

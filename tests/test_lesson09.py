"""Lesson 9 without Docker: the pause fault of exercise 09, and the detection helpers'
arithmetic, tables and charts."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime, timedelta

import pytest
from clusterlab.errors import ExerciseError
from clusterlab.observe import detection
from clusterlab.render.detection import draw_detection, draw_timeline
from clusterlab.workshop.exercise import exercise
from clusterlab.workshop.judge import fault_result
from clusterlab.workshop.spec import Partition, parse_expected

from .snapshots import member, snapshot

TRIO = ["client_svc", "user_svc", "job_svc"]
PAUSED = parse_expected(tomllib.loads("""
services = ["client_svc", "user_svc", "job_svc"]
[[cluster]]
services = ["client_svc", "user_svc", "job_svc"]
[fault]
pause = "job_svc"
notice_seconds = 10
"""))


def test_the_exercise_pauses_job_svc_and_gives_the_others_ten_seconds():
    ex = exercise("09")
    assert ex.expected.fault == Partition("job_svc", 10.0, "pause")
    assert ex.expected.witnesses == ["client_svc", "user_svc"]


def test_pause_fault_words():
    fault = PAUSED.fault
    assert fault.label == "the other nodes drop job_svc when it is paused"
    assert fault.after == "after job_svc was unpaused"
    slow = fault_result(PAUSED, ran=True, still=["client_svc", "user_svc"], seconds=10.2)
    assert slow.problems == ("client_svc and user_svc still listed job_svc 10 s after it was "
                             "paused: a frozen node stays in the cluster",)
    assert fault_result(PAUSED, ran=False).problems == (
        "job_svc was not paused: the criteria must hold before the fault step",)
    assert fault_result(PAUSED, ran=True).passed


@pytest.mark.parametrize("fault", [{"pause": "job_svc", "partition": "job_svc"}, {"pause": 3}])
def test_a_fault_is_either_a_partition_or_a_pause(fault):
    with pytest.raises(ExerciseError) as error:
        parse_expected({"services": TRIO, "cluster": [{"services": TRIO}], "fault": fault})
    assert "`pause = \"<service>\"`" in error.value.message


def test_the_silent_window_is_three_to_five_quarters_of_the_tick():
    assert detection.window(4) == (3.0, 5.0)
    assert detection.window(60) == (45.0, 75.0)


def _found(ticktime: float) -> list[detection.Detection]:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    delays = {"kill": 0.02, "stop": 1.1, "pause": 1.1 * ticktime, "disconnect": 1.05 * ticktime}
    out = []
    for kind, delay in delays.items():
        fault = detection.Fault(kind, f"{kind}_svc", f"{kind}@x.y", start,
                                start + timedelta(seconds=0.05))
        for witness in ("user_svc", "email_svc"):
            out.append(detection.Detection(fault, witness, start + timedelta(seconds=delay)))
    return out


def test_detections_time_the_slowest_witness_and_bound_from_both_ends():
    found = _found(4)
    assert detection.slowest(found, "pause") == pytest.approx(4.4)
    paused = next(d for d in found if d.fault.kind == "pause")
    assert paused.at_most == pytest.approx(paused.seconds - 0.05)
    never = detection.Detection(paused.fault, "user_svc", None)
    assert never.seconds == float("inf")


def test_table_and_chart():
    runs = {4: _found(4), 60: _found(60)}
    text = detection.table(runs)
    assert "3–5 s" in text and "45–75 s" in text and "user_svc 0.02" in text
    fig = draw_detection(runs)
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    assert [len(bars) for bars in ax.containers] == [4, 4]  # 4 kinds x 2 tick times


def test_peer_counts_and_timeline():
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    snaps = []
    for i, peers in enumerate([{"a": ["b@b.lab"], "b": ["a@a.lab", "c@c.lab"], "c": ["b@b.lab"]},
                               {"a": [], "b": ["c@c.lab"], "c": ["b@b.lab"]}]):
        snap = snapshot(*(member(s, ["n"], node=f"{s}@{s}.lab", peers=tuple(p))
                          for s, p in peers.items()))
        snaps.append(type(snap)(snap.title, t0 + timedelta(seconds=i), snap.seconds,
                                snap.members))
    assert detection.peer_counts(snaps) == {"a": [(0.0, 1), (1.0, 0)],
                                            "b": [(0.0, 2), (1.0, 1)],
                                            "c": [(0.0, 1), (1.0, 1)]}
    assert len(draw_timeline({"one": snaps, "two": snaps}).axes) == 2


PROC_NET_TCP = """\
  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:1111 00000000:0000 0A 00000000:00000000 00:00000000 00000000 10001 0 1 1
   1: 030013AC:9C40 020013AC:1111 01 00000000:00000000 00:00000000 00000000 10001 0 2 1
   2: 030013AC:9C41 020013AC:1111 06 00000000:00000000 00:00000000 00000000 10001 0 3 1
   3: 030013AC:9C42 040013AC:1111 01 00000000:00000000 00:00000000 00000000 10001 0 4 1
"""


def test_epmd_connections_are_read_from_proc_net_tcp():
    # 172.19.0.2 is 020013AC, port 4369 is 1111; TIME_WAIT (06) is not a dial in progress
    assert detection.count_epmd_connections(PROC_NET_TCP, "172.19.0.2") == 1
    assert detection.count_epmd_connections(PROC_NET_TCP, "172.19.0.4") == 1
    assert detection.count_epmd_connections(PROC_NET_TCP, "172.19.0.9") == 0

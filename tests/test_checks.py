"""Exercise checker, pure logic: criteria judged on hand-built snapshots, no Docker.

The messages are the learner's interface, so they are asserted word for word; none of
them may spell out the fix.
"""

from __future__ import annotations

import io
import tomllib
from pathlib import Path

import pytest
from clusterlab.errors import ExerciseError
from clusterlab.lab.lifecycle import Lab
from clusterlab.model.snapshot import DnsAnswer
from clusterlab.render.checkdraw import draw_check, intended_graph, missing_links
from clusterlab.workshop import checker
from clusterlab.workshop.checker import run_check
from clusterlab.workshop.exercise import Exercise, Hints, exercise, exercises
from clusterlab.workshop.judge import (
    CheckReport,
    HttpOutcome,
    Observation,
    evaluate,
    fault_result,
    http_outcome,
    static_problems,
    still_listing,
)
from clusterlab.workshop.spec import Partition, parse_expected

from .snapshots import member, snapshot

BEAM = ["client_svc", "user_svc", "job_svc"]
NODES = {s: f"{s}@{s}.msvc_default" for s in BEAM}
EXPECTED = parse_expected(tomllib.loads("""
services = ["client_svc", "user_svc", "job_svc", "minio", "jaeger"]
[[resolve]]
from = ["client_svc", "user_svc", "job_svc"]
names = ["minio", "jaeger"]
[[cluster]]
services = ["client_svc", "user_svc", "job_svc"]
[[cookie]]
services = ["client_svc", "user_svc", "job_svc"]
[[http]]
from = ["client_svc", "job_svc"]
url = "http://minio:9000/"
"""))
OK = DnsAnswer("x", "ok", ("10.0.0.9",))
NX = DnsAnswer("x", "nxdomain")


def stack(networks: dict[str, list[str]], peers: dict[str, list[str]],
          unreachable: set[tuple[str, str]] = frozenset()):
    """A snapshot of the exercise's five services on the given networks."""
    members = []
    for service in [*BEAM, "minio", "jaeger"]:
        node = NODES.get(service)
        members.append(member(
            service, networks[service], node=node,
            peers=tuple(NODES[p] for p in peers.get(service, [])) if node else None,
            dns={n: (NX if (service, n) in unreachable else OK) for n in ("minio", "jaeger")}
            if node else {}))
    return snapshot(*members)


ONE_NET = {s: ["p_msvc"] for s in [*BEAM, "minio", "jaeger"]}
MESH = {s: [p for p in BEAM if p != s] for s in BEAM}
SAME_COOKIE = dict.fromkeys(BEAM, "abc123")
HTTP_OK = {("client_svc", "http://minio:9000/"): HttpOutcome(True, "200"),
           ("job_svc", "http://minio:9000/"): HttpOutcome(True, "200")}


def judged(snap, cookies=SAME_COOKIE, http=HTTP_OK):
    return {r.criterion: r for r in evaluate(EXPECTED, Observation(snap, http, cookies))}


def problems(snap, **kwargs):
    return [p for r in judged(snap, **kwargs).values() for p in r.problems]


def test_one_network_full_mesh_passes_every_criterion():
    snap = stack(ONE_NET, MESH)
    results = judged(snap)
    assert all(r.passed for r in results.values()), results
    assert list(results) == [
        "client_svc, user_svc and job_svc can resolve minio and jaeger",
        "client_svc, user_svc and job_svc form a full mesh",
        "client_svc, user_svc and job_svc share one cookie",
        "client_svc and job_svc can GET http://minio:9000/",
    ]


def test_islands_give_nxdomain_and_a_node_that_sees_nobody():
    networks = {"client_svc": ["p_msvc"], "user_svc": ["p_msvc"], "job_svc": ["p_default"],
                "minio": ["p_default"], "jaeger": ["p_default"]}
    peers = {"client_svc": ["user_svc"], "user_svc": ["client_svc"], "job_svc": []}
    cut = {(s, n) for s in ("client_svc", "user_svc") for n in ("minio", "jaeger")}
    http = {**HTTP_OK, ("client_svc", "http://minio:9000/"): HttpOutcome(False, "nxdomain")}
    found = problems(stack(networks, peers, cut), http=http)
    assert found == [
        "minio is not reachable from client_svc: NXDOMAIN",
        "jaeger is not reachable from client_svc: NXDOMAIN",
        "minio is not reachable from user_svc: NXDOMAIN",
        "jaeger is not reachable from user_svc: NXDOMAIN",
        "client_svc does not see job_svc",
        "user_svc does not see job_svc",
        "job_svc sees no nodes",
        "the nodes form 2 separate clusters: client_svc, user_svc | job_svc",
        "client_svc cannot GET http://minio:9000/: nxdomain",
    ]


def test_a_star_is_one_cluster_but_not_a_mesh():
    star = {"client_svc": ["user_svc"], "user_svc": ["client_svc", "job_svc"],
            "job_svc": ["user_svc"]}
    snap = stack(ONE_NET, star)
    assert problems(snap) == ["client_svc does not see job_svc", "job_svc does not see client_svc"]
    loose = parse_expected({"services": BEAM, "cluster": [{"services": BEAM, "mesh": False}]})
    assert all(r.passed for r in evaluate(loose, Observation(snap)))


def test_cookie_mismatch_is_named_without_showing_any_cookie():
    snap = stack(ONE_NET, MESH)
    found = problems(snap, cookies={**SAME_COOKIE, "job_svc": "fff000"})
    assert found == ["client_svc and job_svc don't share a cookie"]
    assert not any("abc123" in p or "fff000" in p for p in found)


def test_stopped_and_non_distributed_services_are_said_plainly():
    snap = stack(ONE_NET, MESH)
    members = [m for m in snap.members if m.service != "job_svc"]
    members.append(member("job_svc", ["p_msvc"]))  # no node: RELEASE_DISTRIBUTION=none
    found = problems(snapshot(*members), cookies={**SAME_COOKIE, "job_svc": None})
    assert "job_svc is not a distributed Erlang node" in found
    assert "job_svc has no cookie (is it a distributed node?)" in found
    assert "client_svc does not see job_svc" in found


def test_http_outcome_reads_the_erlang_terms():
    assert http_outcome('{ok,{{"HTTP/1.1",200,"OK"},[],"ok"}}') == HttpOutcome(True, "200")
    assert http_outcome('{ok,{{"HTTP/1.1",503,"x"},[],""}}') == HttpOutcome(False, "503")
    nx = '{error,{failed_connect,[{to_address,{"minio",9000}},\n {inet,[inet],nxdomain}]}}'
    assert http_outcome(nx) == HttpOutcome(False, "nxdomain")


def test_expected_toml_errors_are_ours():
    with pytest.raises(ExerciseError, match="unknown key"):
        parse_expected({"servces": []})
    with pytest.raises(ExerciseError, match="not in `services`: ghost"):
        parse_expected({"services": ["a"], "cluster": [{"services": ["a", "ghost"]}]})


def test_hints_are_revealed_one_at_a_time_then_point_at_the_solution():
    hints = Hints(("first", "second"))
    assert hints.next() == "Hint 1 of 2: first"
    assert hints.next() == "Hint 2 of 2: second"
    assert "No more hints" in hints.next() and hints.shown == 2


def test_report_text_and_drawing_mark_what_is_missing():
    networks = {"client_svc": ["p_msvc"], "user_svc": ["p_msvc"], "job_svc": ["p_default"],
                "minio": ["p_default"], "jaeger": ["p_default"]}
    peers = {"client_svc": ["user_svc"], "user_svc": ["client_svc"], "job_svc": []}
    snap = stack(networks, peers, {("client_svc", "minio")})
    results = evaluate(EXPECTED, Observation(snap, HTTP_OK, SAME_COOKIE))
    report = CheckReport(Path("exercise/compose.yaml"), EXPECTED, results=tuple(results),
                         snapshot=snap, seconds=1.0)
    text = str(report)
    assert "✗ client_svc, user_svc and job_svc form a full mesh" in text
    assert "    - job_svc sees no nodes" in text and text.endswith("NOT YET: 2 of 4 criteria hold.")
    connections, lookups = missing_links(report)
    assert connections == [("client_svc", "job_svc"), ("job_svc", "user_svc")]
    assert lookups == [("client_svc", "minio")]
    assert set(intended_graph(EXPECTED).edges) >= {("job_svc", "client_svc")}
    buffer = io.BytesIO()
    draw_check(report).savefig(buffer, format="png")
    assert buffer.getvalue()[:4] == b"\x89PNG"


@pytest.mark.compose
def test_static_problems_stop_the_check_before_docker(tmp_path):
    bad = tmp_path / "compose.yaml"
    bad.write_text("services:\n  client_svc:\n    image: x\n    netwroks: [a]\n")
    ex = exercise("01")
    report = ex.check(bad)
    assert not report.passed and report.snapshot is None and report.static
    assert "services.client_svc additional properties 'netwroks' not allowed" in report.static[0]
    draw_check(report)  # draws "did not start" without failing
    bad.write_text("services:\n  client_svc:\n    image: x\n")
    assert exercise("01").check(bad).static == tuple(
        f"{s} is missing from your compose file"
        for s in ("user_svc", "job_svc", "minio", "jaeger"))


@pytest.mark.compose
def test_refused_node_names_are_reported_statically(tmp_path):
    source = exercise("01").compose_file.read_text()
    bad = tmp_path / "compose.yaml"
    bad.write_text(source.replace("RELEASE_NODE: user_svc@user_svc.msvc_default",
                                  "RELEASE_NODE: user svc@user_svc"))
    report = exercise("01").check(bad)
    assert report.static == ("Erlang would refuse a node name: user_svc: 'user svc@user_svc': "
                             "the part before '@' may hold only letters, digits, '_' and '-'.",)


@pytest.mark.compose
@pytest.mark.parametrize("ex", exercises(), ids=lambda e: e.lesson.id)
def test_every_exercise_folder_is_complete_and_its_hints_do_not_paste_the_solution(ex):
    assert ex.compose_file.is_file() and ex.solution_file.is_file() and ex.task
    assert len(ex.hints.texts) >= 2
    assert not static_problems(ex.compose_file, ex.expected)
    assert not static_problems(ex.solution_file, ex.expected)
    solution_lines = {ln.strip() for ln in ex.solution_file.read_text().splitlines()} - \
        {ln.strip() for ln in ex.compose_file.read_text().splitlines()}
    for hint in ex.hints.texts:
        assert not any(line and line in hint for line in solution_lines if len(line) > 12), hint


# -- the [fault] step (lesson 05) -----------------------------------------------------------

TRIO = ["client_svc", "user_svc", "job_svc"]
FAULTY = parse_expected(tomllib.loads("""
services = ["client_svc", "user_svc", "job_svc"]
settle_seconds = 8
[[cluster]]
services = ["client_svc", "user_svc", "job_svc"]
[[cookie]]
services = ["client_svc", "user_svc", "job_svc"]
[fault]
partition = "job_svc"
notice_seconds = 12
"""))


def trio(peers: dict[str, list[str]], probed=TRIO):
    return snapshot(*(member(s, ["p_msvc"], node=NODES[s],
                             peers=tuple(NODES[p] for p in peers.get(s, [])))
                      for s in probed))


def test_fault_table_is_parsed_and_names_its_witnesses():
    assert FAULTY.fault == Partition("job_svc", 12.0)
    assert FAULTY.witnesses == ["client_svc", "user_svc"]
    assert FAULTY.fault.label == "the other nodes notice when job_svc is cut off the network"
    assert parse_expected({"services": TRIO, "cluster": [{"services": TRIO}],
                           "fault": {"partition": "user_svc"}}).fault.notice_seconds == 20.0
    assert EXPECTED.fault is None and EXPECTED.witnesses == []


@pytest.mark.parametrize(("fault", "message"), [
    ({"partition": "job_svc", "heal": True}, "unknown key(s) in [fault]: heal"),
    ({"notice_seconds": 5}, "[fault] needs `partition"),
    ("job_svc", "`fault` must be a table"),
    ({"partition": "minio"}, "[fault] partitions minio, which no [[cluster]] criterion names"),
])
def test_fault_table_errors_are_ours(fault, message):
    with pytest.raises(ExerciseError) as error:
        parse_expected({"services": [*TRIO, "minio"], "cluster": [{"services": TRIO}],
                        "fault": fault})
    assert message in error.value.message


def test_a_partition_is_noticed_once_no_witness_lists_the_cut_off_node():
    node = NODES["job_svc"]
    meshed = trio(MESH, probed=["client_svc", "user_svc"])  # job_svc is not probed when cut
    assert still_listing(FAULTY, meshed, node) == ["client_svc", "user_svc"]
    half = trio({"client_svc": ["user_svc"], "user_svc": ["client_svc", "job_svc"]},
                probed=["client_svc", "user_svc"])
    assert still_listing(FAULTY, half, node) == ["user_svc"]
    noticed = trio({"client_svc": ["user_svc"], "user_svc": ["client_svc"]},
                   probed=["client_svc", "user_svc"])
    assert still_listing(FAULTY, noticed, node) == []
    assert still_listing(EXPECTED, meshed, node) == []  # no fault, nothing to notice


def test_fault_step_results_say_what_happened_without_the_fix():
    assert fault_result(FAULTY, ran=True).passed
    slow = fault_result(FAULTY, ran=True, still=["client_svc", "user_svc"], seconds=12.3)
    assert slow.problems == ("client_svc and user_svc still listed job_svc 12 s after it was "
                             "cut off, so the partition was never noticed",)
    skipped = fault_result(FAULTY, ran=False)
    assert skipped.problems == ("job_svc was not cut off: the criteria must hold before the "
                                "fault step",)


class FakeLab:
    """Just enough of ``Lab`` for ``run_check``: every engine call is recorded, not made."""

    project = "cl05-fake"

    def __init__(self):
        self.calls = []

    def up(self, timeout, late=()):
        self.calls.append("up")

    def down(self):
        self.calls.append("down")

    def commands(self):
        return list(self.calls)


@pytest.mark.compose
@pytest.mark.parametrize("healed", [True, False])
def test_run_check_partitions_only_a_passing_stack_then_judges_after_the_heal(
        monkeypatch, healed):

    lab = FakeLab()
    split = {"client_svc": ["user_svc"], "user_svc": ["client_svc"]}
    observations = [Observation(trio(MESH), cookies=dict.fromkeys(TRIO, "abc")),
                    Observation(trio(MESH if healed else split),
                                cookies=dict.fromkeys(TRIO, "abc"))]

    def step(lab_, expected, before, progress):
        lab_.calls.append(f"partition {expected.fault.service}")
        return fault_result(expected, ran=True)

    monkeypatch.setattr(Lab, "create", classmethod(lambda *a, **k: lab))
    monkeypatch.setattr(checker, "observe", lambda lab_, expected: observations.pop(0))
    monkeypatch.setattr(checker, "partition_and_heal", step)
    ex = exercise("05")
    ex = Exercise(ex.lesson, ex.path, FAULTY, ex.hints)
    report = run_check(ex.lesson, ex.expected, ex.solution_file)
    assert lab.calls == ["up", "partition job_svc", "down"]
    assert report.passed is healed
    after = "(after job_svc's network came back)"
    mesh = f"client_svc, user_svc and job_svc form a full mesh {after}"
    cookie = f"✓ client_svc, user_svc and job_svc share one cookie {after}"
    expected_lines = [
        "✓ the other nodes notice when job_svc is cut off the network",
        f"✓ {mesh}", cookie, "PASSED: every criterion holds.",
    ] if healed else [
        "✓ the other nodes notice when job_svc is cut off the network",
        f"✗ {mesh}",
        "    - client_svc does not see job_svc",
        "    - user_svc does not see job_svc",
        "    - job_svc sees no nodes",
        "    - the nodes form 2 separate clusters: client_svc, user_svc | job_svc",
        cookie, "NOT YET: 2 of 3 criteria hold.",
    ]
    assert str(report).splitlines()[1:] == expected_lines


@pytest.mark.compose
def test_run_check_skips_the_fault_step_when_the_stack_fails_before_it(monkeypatch):

    lab = FakeLab()
    alone = Observation(trio({}), cookies=dict.fromkeys(TRIO, "abc"))
    monkeypatch.setattr(Lab, "create", classmethod(lambda *a, **k: lab))
    monkeypatch.setattr(checker, "observe", lambda lab_, expected: alone)
    monkeypatch.setattr(checker, "partition_and_heal", lambda *a: pytest.fail("partitioned"))
    ex = exercise("05")
    report = run_check(ex.lesson, ex.expected, ex.solution_file)
    assert lab.calls == ["up", "down"] and not report.passed
    assert [r.title for r in report.results] == [
        "client_svc, user_svc and job_svc form a full mesh (before job_svc is cut off)",
        "client_svc, user_svc and job_svc share one cookie (before job_svc is cut off)",
        "the other nodes notice when job_svc is cut off the network",
    ]
    assert report.problems[-1] == ("job_svc was not cut off: the criteria must hold before "
                                   "the fault step")


# -- a verdict rests on a live run: the check's own command history backs it --------------

LIVE = ("docker compose -p cl-ex01-1 -f compose.yaml up -d --wait",
        "docker exec cl-ex01-1-client_svc-1 nslookup minio",
        "docker exec cl-ex01-1-client_svc-1 erl_call -a 'erlang nodes' -n client_svc",
        "docker exec cl-ex01-1-client_svc-1 erl_call -a 'Elixir.ClusterLab.Http get [...]'",
        "docker exec cl-ex01-1-user_svc-1 sh -c 'sha256sum /proc/1/environ'")


def gaps(commands, expected=EXPECTED):
    return CheckReport(Path("x/compose.yaml"), expected, commands=tuple(commands)).evidence_gaps()


def test_a_live_check_with_every_probe_has_no_evidence_gap():
    assert gaps(LIVE) == []


@pytest.mark.parametrize(("left_out", "gap"), [
    (0, "no command started the file"),
    (1, "no container was asked what it resolves (nslookup)"),
    (2, "no node was asked which nodes it sees (Node.list)"),
    (3, "an HTTP call missing"),
    (4, "cookie digests missing"),
])
def test_each_missing_probe_is_an_evidence_gap(left_out, gap):
    found = gaps(c for i, c in enumerate(LIVE) if i != left_out)
    assert len(found) == 1 and found[0].startswith(gap), found


def test_a_probe_no_criterion_asked_for_is_an_evidence_gap():
    no_http = parse_expected(tomllib.loads('services = ["a"]\n[[cluster]]\nservices = ["a"]\n'
                                           '[[cookie]]\nservices = ["a"]\n'))
    assert [g.split(" for ")[0] for g in gaps(LIVE, no_http)] == ["an HTTP call made"]

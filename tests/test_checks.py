"""Exercise checker, pure logic: criteria judged on hand-built snapshots, no Docker.

The messages are the learner's interface, so they are asserted word for word; none of
them may spell out the fix.
"""

from __future__ import annotations

import io
import tomllib
from pathlib import Path

import pytest
from clusterlab import checks
from clusterlab.checkdraw import draw_check, intended_graph, missing_links
from clusterlab.checks import (
    CheckReport,
    ExerciseError,
    HttpOutcome,
    Observation,
    evaluate,
    http_outcome,
    parse_expected,
)
from clusterlab.probes import DnsAnswer

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
    hints = checks.Hints(("first", "second"))
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


def test_static_problems_stop_the_check_before_docker(tmp_path):
    bad = tmp_path / "compose.yaml"
    bad.write_text("services:\n  client_svc:\n    image: x\n    netwroks: [a]\n")
    ex = checks.exercise("01")
    report = ex.check(bad)
    assert not report.passed and report.snapshot is None and report.static
    assert "services.client_svc additional properties 'netwroks' not allowed" in report.static[0]
    draw_check(report)  # draws "did not start" without failing
    bad.write_text("services:\n  client_svc:\n    image: x\n")
    assert checks.exercise("01").check(bad).static == tuple(
        f"{s} is missing from your compose file"
        for s in ("user_svc", "job_svc", "minio", "jaeger"))


def test_refused_node_names_are_reported_statically(tmp_path):
    source = checks.exercise("01").compose_file.read_text()
    bad = tmp_path / "compose.yaml"
    bad.write_text(source.replace("RELEASE_NODE: user_svc@user_svc.msvc_default",
                                  "RELEASE_NODE: user svc@user_svc"))
    report = checks.exercise("01").check(bad)
    assert report.static == ("Erlang would refuse a node name: user_svc: 'user svc@user_svc': "
                             "the part before '@' may hold only letters, digits, '_' and '-'.",)


@pytest.mark.parametrize("ex", checks.exercises(), ids=lambda e: e.lesson.id)
def test_every_exercise_folder_is_complete_and_its_hints_do_not_paste_the_solution(ex):
    assert ex.compose_file.is_file() and ex.solution_file.is_file() and ex.task
    assert len(ex.hints.texts) >= 2
    assert not checks.static_problems(ex.compose_file, ex.expected)
    assert not checks.static_problems(ex.solution_file, ex.expected)
    solution_lines = {ln.strip() for ln in ex.solution_file.read_text().splitlines()} - \
        {ln.strip() for ln in ex.compose_file.read_text().splitlines()}
    for hint in ex.hints.texts:
        assert not any(line and line in hint for line in solution_lines if len(line) > 12), hint

"""Probe output parsing, against outputs recorded from real containers (tests/fixtures)."""

from pathlib import Path

import pytest
from clusterlab.observe.probe import (
    parse_node_list,
    parse_nslookup,
    parse_probe,
    probe_command,
    split_batch,
)

FIXTURES = Path(__file__).parent / "fixtures"
NAMES = ["minio", "user_svc", "client_svc.msvc_default"]


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text()


def test_beam_container_probe_splits_into_node_dns_and_peers():
    seen = parse_probe(fixture("probe_client_svc.txt"), NAMES)
    node, dns, peers, error = seen.node, seen.dns, seen.peers, seen.error
    assert node == "client_svc@client_svc.msvc_default"
    assert dns["minio"].status == "nxdomain" and not dns["minio"].ok
    assert dns["user_svc"].addresses == ("172.31.0.5",)
    assert dns["client_svc.msvc_default"].ok
    assert peers == ("user_svc@user_svc.msvc_default", "image_svc@image_svc.msvc_default",
                     "job_svc@job_svc.msvc_default", "email_svc@email_svc.msvc_default")
    assert error is None


def test_non_distributed_container_has_no_node_and_no_peers():
    seen = parse_probe(fixture("probe_minio.txt"), NAMES)
    node, dns, peers, error = seen.node, seen.dns, seen.peers, seen.error
    assert node is None and peers is None and error is None
    assert dns["minio"].ok and dns["user_svc"].status == "nxdomain"


def test_one_name_with_several_replicas_gives_every_address():
    answer = parse_nslookup("app", fixture("nslookup_replicas.txt"))
    assert answer.addresses == ("172.20.0.4", "172.20.0.2", "172.20.0.3")
    assert str(answer) == "172.20.0.4, 172.20.0.2, 172.20.0.3"


def test_no_server_reached_is_an_error_not_nxdomain():
    text = ";; connection timed out; no servers could be reached\n"
    answer = parse_nslookup("x", text)
    assert answer.status == "error" and "timed out" in answer.detail


def test_erl_call_failure_is_reported_as_the_member_error():
    text = "@@node a@h.x\n@@nodes\n" + fixture("erl_call_wrong_cookie.txt") + "\n@exit 1\n"
    seen = parse_probe(text)
    node, peers, error = seen.node, seen.peers, seen.error
    assert node == "a@h.x" and peers is None
    assert error == "erl_call: failed to connect to node client_svc@client_svc.msvc_default"


@pytest.mark.parametrize(("text", "expected"), [
    ("[]", ()),
    ("['a@b.c']", ("a@b.c",)),
    ("['a@b.c', 'd@10.0.0.2']", ("a@b.c", "d@10.0.0.2")),
    ("['app@n1']", ("app@n1",)),
])
def test_node_list_terms(text, expected):
    assert parse_node_list(text) == expected


def test_node_list_rejects_non_lists():
    with pytest.raises(ValueError):
        parse_node_list("{badrpc,nodedown}")


def test_probe_command_passes_names_as_arguments_not_in_the_script():
    argv = probe_command(["minio", "a b"])
    assert argv[:2] == ["sh", "-c"] and argv[-2:] == ["minio", "a b"]


def test_batch_answers_follow_the_order_of_the_names():
    _, body = fixture("probe_client_svc.txt").split("@@dns\n")
    body = body.split("@@nodes")[0]
    answers = split_batch(NAMES, body)
    assert [answers[n].status for n in NAMES] == ["nxdomain", "ok", "ok"]


def test_a_query_without_a_server_header_is_matched_by_name():
    body = (";; connection timed out; no servers could be reached\n"
            "Server:\t\t127.0.0.11\nAddress:\t127.0.0.11#53\n\n"
            "Non-authoritative answer:\nName:\tuser_svc\nAddress: 10.0.0.2\n")
    answers = split_batch(["minio", "user_svc", "jaeger"], body)
    assert answers["user_svc"].addresses == ("10.0.0.2",)
    assert answers["jaeger"].status == "error"


def test_an_exec_that_comes_back_empty_is_asked_once_more(monkeypatch):
    """Under load an exec of the probe script can return nothing at all; that is not "no
    node here", so the probe asks again (and reads what the second run printed)."""
    from types import SimpleNamespace

    from clusterlab.observe import probe as probe_module

    answers = iter(["", "@@node app@n2.lab\n@@dns\n@@nodes\n[]\n@exit 0\n"])
    calls = []

    def fake_exec(container, argv, env=None):
        calls.append(argv)
        return SimpleNamespace(output=next(answers))

    monkeypatch.setattr(probe_module, "exec_in", fake_exec)
    output = probe_module._run_probe(object(), ["sh", "-c", "probe"])
    assert len(calls) == 2 and output.startswith("@@node app@n2.lab")

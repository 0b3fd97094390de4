"""Lesson 6's pieces without Docker: the EPMD client against a fake EPMD, the lab CA, the
path fix for ``${CLUSTERLAB_TLS}`` bind sources, the exercise judges and mesh timing;
then, on the engine, the issue's "done when": pong on `exposed`, pang on `tls`, and the
outsider removed with its lab."""

from __future__ import annotations

import socket
import ssl
import struct
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from clusterlab.errors import ClusterLabError
from clusterlab.lab import tls
from clusterlab.model.snapshot import Snapshot
from clusterlab.observe import epmd
from clusterlab.observe.logs import LogLine
from clusterlab.progress import quiet
from clusterlab.workshop import security
from clusterlab.workshop.judge import Observation, evaluate
from clusterlab.workshop.spec import CookieHidden, Expected, OutsiderBlocked

EMPTY = Snapshot("t", datetime(2026, 1, 1, tzinfo=UTC), 0.0, ())

# -- EPMD ---------------------------------------------------------------------------------------


def test_names_request_is_length_one_then_110():
    assert epmd.names_request() == b"\x00\x01n"


def test_parse_names_reads_port_and_lines():
    data = struct.pack(">I", 4369) + b"name user_svc at port 40123\nname rpc-1 at port 41000\n"
    found = epmd.parse_names(data)
    assert found.epmd_port == 4369 and found.nodes == {"user_svc": 40123, "rpc-1": 41000}
    with pytest.raises(ValueError):
        epmd.parse_names(b"\x00")


def test_names_talks_to_a_fake_epmd():
    """A one-shot server that answers NAMES_REQ as EPMD does, then closes."""
    server = socket.create_server(("127.0.0.1", 0))
    asked: list[bytes] = []

    def serve() -> None:
        conn, _ = server.accept()
        with conn:
            asked.append(conn.recv(16))
            conn.sendall(struct.pack(">I", 4369) + b"name job_svc at port 45753\n")

    thread = threading.Thread(target=serve)
    thread.start()
    try:
        found = epmd.names("127.0.0.1", server.getsockname()[1])
    finally:
        thread.join(5)
        server.close()
    assert asked == [b"\x00\x01n"] and found.nodes == {"job_svc": 45753}


# -- the lab CA ---------------------------------------------------------------------------------


def _context(root: Path, cert: str) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=str(root / "ca.pem"))
    ctx.load_cert_chain(root / cert / "cert.pem", root / cert / "key.pem")
    return ctx


def test_authority_signs_each_service_and_a_rogue_ca_does_not(tmp_path):
    root = tls.make_authority(tmp_path / "tls", {"user_svc": ["user_svc.msvc_default"]})
    assert (root.stat().st_mode & 0o777) == 0o700
    assert (root / "user_svc" / "key.pem").stat().st_mode & 0o777 == 0o644
    assert tls.issuer_of(root / "user_svc" / "cert.pem") == "ClusterLab lab CA"
    assert tls.issuer_of(root / "outsider" / "cert.pem") == "ClusterLab lab CA"
    assert tls.issuer_of(root / "rogue" / "cert.pem") == "Another CA"
    from cryptography import x509
    cert = x509.load_pem_x509_certificate((root / "user_svc" / "cert.pem").read_bytes())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["user_svc", "user_svc.msvc_default"]
    # The lab CA verifies its own certificates, not the rogue CA's (Python's ssl as judge).
    store = ssl.create_default_context(cafile=str(root / "ca.pem"))
    assert store.get_ca_certs()[0]["subject"][-1][0][1] == "ClusterLab lab CA"
    _context(root, "user_svc")  # key and certificate belong together
    rogue = x509.load_pem_x509_certificate((root / "rogue" / "cert.pem").read_bytes())
    lab_ca = x509.load_pem_x509_certificate((root / "ca.pem").read_bytes())
    with pytest.raises(Exception):  # noqa: B017 (InvalidSignature or ValueError)
        rogue.verify_directly_issued_by(lab_ca)
    cert.verify_directly_issued_by(lab_ca)


def test_prepare_only_when_the_file_asks_and_unmangles_paths(tmp_path):
    plain = {"services": {"a": {"image": "x"}}}
    assert tls.prepare(tmp_path, plain) == {}
    assert not (tmp_path / "tls").exists()
    model = {"services": {"a": {"hostname": "a.lab", "volumes": [
        {"type": "bind", "source": "/repo/labs/06/tls/${CLUSTERLAB_TLS:?set by the lab}/ca.pem",
         "target": "/etc/ca.pem"},
        {"type": "bind", "source": "/repo/labs/06/tls/ssl_dist.conf", "target": "/etc/c"}]}}}
    env = tls.prepare(tmp_path, model)
    assert env == {"CLUSTERLAB_TLS": str(tmp_path / "tls")}
    sources = [v["source"] for v in model["services"]["a"]["volumes"]]
    assert sources == ["${CLUSTERLAB_TLS:?set by the lab}/ca.pem",
                       "/repo/labs/06/tls/ssl_dist.conf"]
    assert (tmp_path / "tls" / "a" / "cert.pem").is_file()


# -- the exercise's judges ----------------------------------------------------------------------


def test_outsider_judge_names_who_let_it_in_and_how():
    c = OutsiderBlocked(("a", "b"))
    assert c.label == "an outsider holding the cookie cannot join a and b"
    attempts = {"a": {"over plain TCP": "pong", "over TLS with no certificate": "pang"},
                "b": {"over plain TCP": "pang"}}
    expected = Expected(("a", "b"), (c,))
    assert [r.problems for r in evaluate(expected, Observation(EMPTY, outsiders=attempts))] == [
        ("an outsider holding the cookie joined a over plain TCP",)]
    assert evaluate(expected, Observation(EMPTY))[0].problems == (
        "no outsider could try a", "no outsider could try b")


def test_hidden_cookie_judge():
    c = CookieHidden(("a", "b", "c"))
    leaks = {"a": ["environment"], "b": [], "c": None}
    [result] = evaluate(Expected(("a", "b", "c"), (c,)), Observation(EMPTY, leaks=leaks))
    assert result.problems == (
        "docker inspect a shows the cookie in its environment",
        "c has no cookie to look for (is it a distributed node?)")


def test_expected_toml_reads_the_new_criteria():
    from clusterlab.workshop.spec import parse_expected
    expected = parse_expected({"services": ["a"], "outsider": [{"services": ["a"]}],
                               "hidden_cookie": [{"services": ["a"]}]})
    assert [type(c).__name__ for c in expected.criteria] == ["OutsiderBlocked", "CookieHidden"]
    assert expected.beam == ["a"]


class _Logs:
    def __init__(self, lines: dict[str, list[tuple[float, str]]], t0: datetime) -> None:
        self.lines = {s: [LogLine(t0 + timedelta(seconds=at), text) for at, text in rows]
                      for s, rows in lines.items()}

    def log_lines(self, service, *needles, since=None):
        return [ln for ln in self.lines[service] if all(n in ln.text for n in needles)]


def test_mesh_timing_counts_each_pair_from_either_side():
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    nodes = {"a": "a@a.x", "b": "b@b.x", "c": "c@c.x"}
    logs = _Logs({
        "a": [(1.0, "[clusterlab] node a@a.x starting"), (2.0, '[clusterlab] nodeup :"b@b.x"')],
        "b": [(1.2, "[clusterlab] node b@b.x starting"), (2.0, '[clusterlab] nodeup :"a@a.x"'),
              (3.5, '[clusterlab] nodeup :"c@c.x"')],
        # c connected to a while its app was still booting: only a logged that pair
        "c": [(1.5, "[clusterlab] node c@c.x starting"), (3.5, '[clusterlab] nodeup :"b@b.x"')],
    }, t0)
    logs.lines["a"].append(LogLine(t0 + timedelta(seconds=2.5), '[clusterlab] nodeup :"c@c.x"'))
    timing = security.mesh_timing(logs, nodes, t0)
    assert timing.from_boot == 2.5 and timing.seconds_after(t0) == 3.5
    del logs.lines["a"][-1]
    with pytest.raises(ClusterLabError, match="neither a nor c"):
        security.mesh_timing(logs, nodes, t0)


# -- on the engine: the "done when" ------------------------------------------------------


@pytest.mark.docker
def test_outsider_with_the_cookie_pongs_the_exposed_variant_pangs_tls_and_is_cleaned_up():
    import clusterlab as cl
    from clusterlab.gates import engine
    from clusterlab.lab import registry

    projects = []
    for variant, answer in (("exposed", "pong"), ("tls", "pang")):
        with cl.lab("06-security", variant, progress=quiet) as lab:
            projects.append(lab.project)
            outsider = cl.outsider.Outsider.start(lab)
            attempt = outsider.attempt("job_svc")
            assert attempt.answer == answer, attempt.output
            assert outsider.container.labels[engine.LABEL] == lab.project
            assert lab.cookie.reveal() not in "\n".join(lab.commands())
    for project in projects:
        assert project not in registry.projects()
        assert engine.lab_containers(project) == []


@pytest.mark.docker
def test_a_connection_older_than_the_node_monitor_is_logged_when_it_starts():
    """mesh_timing needs a nodeup line from one side of every pair; a pair linked by a
    peer's `global` while both apps were starting has no event on either side. A monitor
    started after the connections (as such a node's is) logs them at once."""
    import clusterlab as cl

    with cl.lab("00-setup", progress=quiet) as lab:
        lab.timeline(lambda s: s.is_full_mesh(), timeout=10)
        since = datetime.now(UTC)
        cl.rpc(lab.container("n1"), "Elixir.GenServer", "start",
               "['Elixir.ClusterLab.NodeMonitor', nil]")
        for peer in ("app@n2.lab", "app@n3.lab"):
            line = lab.wait_for_log("n1", f'nodeup :"{peer}" (connected while this node booted)',
                                    since=since)
            assert line


def test_probe_commands_ask_tls_nodes_with_a_hidden_erl_and_no_cookie():
    from clusterlab.lab import commands
    from clusterlab.model.snapshot import Member, Snapshot

    member = Member("a", "p-a-1", "a.lab", {}, {}, "a@a.lab", ("b@b.lab",))
    snap = Snapshot("t", datetime.now(UTC), 0.1, (member,))
    plain = commands.probe_commands(snap)
    over_tls = commands.probe_commands(snap, ["p-a-1"])
    assert "erl_call" in plain[0] and "erl_call" not in over_tls[0]
    assert over_tls[0].startswith("docker exec p-a-1 sh -c 'erl -hidden -name \"byhand$$@a.lab\"")
    assert '-setcookie "$(cat /tmp/clusterlab/cookie)"' in over_tls[0]


def test_the_no_certificate_trial_sets_the_option_only_when_asked_and_reads_its_verdict():
    """Lesson 6's per-OTP trial: left out means OTP's default; the verdict line is found
    wherever ssl's notice reports land (OTP 25 prints the alert after it)."""
    from clusterlab.lab import tls

    assert "fail_if_no_peer_cert" not in tls.no_certificate_trial(None)
    assert "{fail_if_no_peer_cert, true}" in tls.no_certificate_trial(True)
    assert "{fail_if_no_peer_cert, false}" in tls.no_certificate_trial(False)
    assert "{verify, verify_peer}" in tls.no_certificate_trial(None)
    notice = "=NOTICE REPORT==== 7-Dec-2026::20:32:15 ===\nTLS server: … certificate_required"
    assert tls.parse_trial(f"\nverdict: refused {{tls_alert,x}}\n{notice}") == (
        False, "refused {tls_alert,x}")
    assert tls.parse_trial("verdict: accepted\n") == (True, "accepted")
    with pytest.raises(ValueError, match="no verdict"):
        tls.parse_trial(notice)

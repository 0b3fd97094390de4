"""`clusterlab doctor --project`: live mode. Parsing is tested on recorded text; the
verdicts on lesson 01's broken and fixed variants run against the real engine."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from clusterlab.doctor.live import Detected, live_findings, parse_detect, parse_getent
from clusterlab.lifecycle import Cookie
from clusterlab.probes import DnsAnswer, Member, Snapshot

DETECT = """@@beam 7
/app/erts-13.1.5/bin/beam.smp
--
-root
/app
-name
user_svc@user_svc.msvc_default
-setcookie
s3cretcookievalue123
@@environ
RELEASE_ROOT=/app
RELEASE_NAME=clusterlab
RELEASE_DISTRIBUTION=name

@@has nslookup
"""


def test_parse_detect_reads_the_vm() -> None:
    found = parse_detect(DETECT)
    assert found.node == "user_svc@user_svc.msvc_default" and found.mode == "name"
    assert found.release_bin == "/app/bin/clusterlab"
    assert found.tools == {"nslookup"}
    assert found.fingerprint and "s3cret" not in repr(found)


def test_parse_detect_without_beam() -> None:
    assert parse_detect("@@has getent\n").node is None


def test_parse_getent() -> None:
    dns = parse_getent("@@dns minio\n@@none\n@@dns user_svc\n172.18.0.3  user_svc\n")
    assert dns["minio"].status == "nxdomain" and dns["user_svc"].addresses == ("172.18.0.3",)


def _member(service: str, node: str | None, peers: tuple[str, ...] | None,
            dns: dict[str, DnsAnswer]) -> Member:
    return Member(service, f"p-{service}-1", service, {"net": "10.0.0.1"}, {"net": (service,)},
                  node, peers, dns)


def test_live_findings_split_nxdomain_and_cookies() -> None:
    ok, nx = DnsAnswer("x", "ok", ("10.0.0.2",)), DnsAnswer("minio", "nxdomain")
    members = (
        _member("a", "app@a.lab", (), {"b.lab": ok, "minio": nx}),
        _member("b", "app@b.lab", (), {"a.lab": ok, "minio": ok}),
        _member("minio", None, None, {}),
    )
    snap = Snapshot("t", datetime.now(UTC), 0.1, members)
    detected = {"p-a-1": Detected("app@a.lab", "name", Cookie("one" * 8)),
                "p-b-1": Detected("app@b.lab", "name", Cookie("two" * 8))}
    found = live_findings(snap, detected, {"p-a-1": {"minio": {"S3_URL"}}})
    assert {f.code for f in found} == {"CL702", "CL703", "CL705"}
    assert all("oneone" not in f.message for f in found)


@pytest.mark.docker
@pytest.mark.parametrize("variant", ["broken", "fixed"])
def test_live_doctor_on_lesson_01(variant: str) -> None:
    import clusterlab as cl
    from clusterlab.doctor.live import diagnose_live

    lab = cl.start("01", variant)
    try:
        report = diagnose_live(lab.project)
        errors = [f for f in report.findings if f.severity == "error"]
        if variant == "broken":
            unreachable = {f.services for f in errors if f.code == "CL702"}
            assert ("client_svc", "minio") in unreachable, report.findings
        else:
            assert errors == [], errors
        # The fallback for images without erl_call: the release's own `bin/<name> rpc`.
        fallback = diagnose_live(lab.project, erl_call=False)
        assert [f for f in fallback.findings if f.code in ("CL703", "CL706")] == []
        assert all(m.peers for m in fallback.snapshot.nodes), fallback.snapshot.nodes
    finally:
        lab.down()

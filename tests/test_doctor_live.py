"""`clusterlab doctor --project`: live mode. Parsing is tested on recorded text; the
verdict on every lesson variant listed under `[doctor_live]` in its lesson.toml runs
against the real engine."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from clusterlab.doctor.findings import Finding
from clusterlab.doctor.live import (
    Detected,
    config_files,
    live_findings,
    merge,
    parse_detect,
    parse_getent,
)
from clusterlab.lab.cookie import Cookie
from clusterlab.model.snapshot import DnsAnswer, Member, Snapshot
from clusterlab.progress import quiet

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


def test_a_cookie_known_only_by_its_digest_still_tells_nodes_apart() -> None:
    """A ``--dir`` lab's release may keep its cookie in a file: the release probe gives its
    digest, and CL705 compares that with the cookies read from argv."""
    members = (_member("a", "app@a.lab", ("app@b.lab",), {}),
               _member("b", "app@b.lab", ("app@a.lab",), {}),
               _member("c", "app@c.lab", (), {}))
    snap = Snapshot("t", datetime.now(UTC), 0.1, members)
    same = Cookie("one" * 8)
    detected = {"p-a-1": Detected("app@a.lab", "name", same),
                "p-b-1": Detected("app@b.lab", "name", digest=same.digest(), release=True),
                "p-c-1": Detected("app@c.lab", "name", digest="0123456789ab", release=True)}
    [cookies] = [f for f in live_findings(snap, detected, {}) if f.code == "CL705"]
    assert "2 different cookies (a, b | c)" in cookies.message


def test_config_files_from_compose_labels() -> None:
    labels = [{}, {"com.docker.compose.project.config_files": "/srv/a/compose.yaml,over.yaml",
                   "com.docker.compose.project.working_dir": "/srv/a"}]
    assert config_files(labels) == ("/srv/a/compose.yaml", "/srv/a/over.yaml")
    assert config_files([{}]) == ()


def test_merge_deduplicates_and_says_why() -> None:
    static = [Finding("CL102", "error", ("a", "minio"), "a names minio…", "fix"),
              Finding("CL403", "warning", ("a",), "cookie written", "fix")]
    live = [Finding("CL702", "error", ("a", "minio"), "a cannot resolve minio.", "fix"),
            Finding("CL704", "warning", ("a", "b"), "one-sided.", "fix")]
    merged = merge([*static, static[0]], live)
    assert [f.code for f in merged] == ["CL102", "CL702", "CL403", "CL704"]
    assert merged[1].message.endswith("The file says why: CL102.")
    assert merged[3].message == "one-sided." and merged[3].keys == (("services", "a"),
                                                                   ("services", "b"))


def _live_cases() -> list:
    from clusterlab.catalogue import lessons

    return [pytest.param(lesson.id, variant, case, id=f"{lesson.id}:{variant}")
            for lesson in lessons()
            for variant, case in lesson.meta.get("doctor_live", {}).items()]


@pytest.mark.docker
@pytest.mark.parametrize(("lesson", "variant", "case"), _live_cases())
def test_live_doctor_verdict_on_each_lesson(lesson: str, variant: str,
                                            case: dict[str, Any]) -> None:
    """Broken variants name their lesson's failure; healthy ones, once meshed, have no error.

    A case may hold services (``held``) until every other one logged ``release_after``:
    start-up order by state, never by a delay."""
    import clusterlab as cl
    from clusterlab.doctor.live import diagnose_live
    from clusterlab.gates import engine

    held, expects = case.get("held", []), case["expects"]
    lab = cl.lab(lesson, variant, env=case.get("env", {}), progress=quiet)
    try:
        lab.up(held=held)
        for container in lab.containers() if held else ():
            if (service := engine.service_of(container)) not in held:
                lab.wait_for_log(service, case["release_after"], timeout=30)
        for service in held:
            lab.release(service)
        if not expects:
            lab.timeline(lambda snap: snap.is_full_mesh(), timeout=20)
        report = diagnose_live(lab.project)
        errors = {f.code for f in report.findings if f.severity == "error"}
        if expects:
            assert set(expects) <= errors, report.findings
        else:
            assert errors == set(), report.findings
    finally:
        lab.down()


@pytest.mark.docker
def test_live_doctor_without_erl_call_uses_the_release_rpc() -> None:
    import clusterlab as cl
    from clusterlab.doctor.live import diagnose_live

    with cl.lab("01", "fixed", progress=quiet) as lab:
        lab.timeline(lambda snap: snap.is_full_mesh(), timeout=20)
        fallback = diagnose_live(lab.project, erl_call=False)
        assert [f for f in fallback.findings if f.code in ("CL703", "CL706")] == []
        assert all(m.peers for m in fallback.snapshot.nodes), fallback.snapshot.nodes


COOKIE_IN_FILE = """\
# Started by plain `docker compose`, not by ClusterLab; the cookie is written in the file.
services:
  a:
    image: {image}
    hostname: a.lab
    environment:
      RELEASE_DISTRIBUTION: name
      RELEASE_NODE: app@a.lab
      RELEASE_COOKIE: Zq3vX9mR2kLp7TtW8yB4nC6dQ1
      CLUSTER_STRATEGY: epmd
      CLUSTER_TIMEOUT: "500"
      CLUSTER_HOSTS: app@a.lab
"""


@pytest.mark.docker
def test_live_mode_reads_the_file_the_project_was_started_from(tmp_path) -> None:
    """A static-only problem (a cookie written in the file) shows in live mode; when the
    file is gone, the doctor says so and still reports what it sees live."""
    import uuid

    import clusterlab as cl
    from clusterlab.doctor import report_project
    from clusterlab.gates import compose

    path = tmp_path / "compose.yaml"
    path.write_text(COOKIE_IN_FILE.format(image=cl.ensure_image(quiet).tag))
    project = f"cldoctor{uuid.uuid4().hex[:8]}"
    moved = tmp_path / "elsewhere.yaml"
    try:
        compose.run(["-p", project, "-f", path, "up", "-d"], cwd=tmp_path)
        report, live = report_project(project)
        assert live.config_files == (str(path),)
        [hit] = [f for f in report.findings if f.code == "CL403"]
        assert (hit.location.file, hit.location.line) == (str(path), 9), hit.location
        assert "Zq3vX9mR2kLp7TtW8yB4nC6dQ1" not in repr(report.findings)
        path.rename(moved)
        gone, _ = report_project(project)
        assert "CL403" not in {f.code for f in gone.findings}
        assert any("is gone" in note for note in gone.notes), gone.notes
    finally:
        compose.run(["-p", project, "-f", moved if moved.exists() else path, "down",
                     "--timeout", "0"], cwd=tmp_path, check=False)

"""Exercise checker honesty, on the real engine: the untouched exercise fails with the
right words, the solution passes, and plausible wrong fixes fail for the right reason."""

from __future__ import annotations

import pytest
from clusterlab.gates import image
from clusterlab.lab.cookie import Cookie
from clusterlab.workshop.exercise import exercise

from .exercise_files import check_edited

pytestmark = pytest.mark.docker

EX = exercise("01")
JOB_ON_DEFAULT = """    networks: [default]
"""
MINIO_ENV = """    environment: {RELEASE_DISTRIBUTION: none, HTTP_PORT: "9000"}
"""
JAEGER_ENV = """    environment: {RELEASE_DISTRIBUTION: none, HTTP_PORT: "4318"}
"""
ON_MSVC = "    networks: [msvc_default]\n"


def run(tmp_path, edits: list[tuple[str, str]] | None = None, file=None, ex=EX):
    """Check the learner's file after text ``edits``; assert it left nothing running."""
    return check_edited(ex, tmp_path, edits or (), file)


def test_untouched_exercise_fails_with_the_expected_messages():
    report = run(None, file=EX.compose_file)
    assert not report.passed and not report.static and report.start_error is None
    assert report.problems == [
        "minio is not reachable from client_svc: NXDOMAIN",
        "jaeger is not reachable from client_svc: NXDOMAIN",
        "minio is not reachable from user_svc: NXDOMAIN",
        "jaeger is not reachable from user_svc: NXDOMAIN",
        "client_svc does not see job_svc",
        "user_svc does not see job_svc",
        "job_svc sees no nodes",
        "the nodes form 2 separate clusters: client_svc, user_svc | job_svc",
        "client_svc cannot GET http://minio:9000/: nxdomain",
        "client_svc cannot GET http://jaeger:4318/v1/traces: nxdomain",
    ], str(report)
    text = str(report)
    assert "✓ client_svc, user_svc and job_svc share one cookie" in text
    # The verdict says what is wrong, never how to write the fix.
    assert "RELEASE_COOKIE" not in text and "networks:" not in text and "msvc_default]" not in text


# Every solution passing, on a live run that really looked (``report.evidence_gaps()``), is
# proved by each exercise notebook's last cell in solution mode (`helpers/bin/test` runs
# them with CLUSTERLAB_EXERCISE=solution): not run a second time here.


def test_minio_on_the_network_but_not_jaeger_fails_on_jaeger_only(tmp_path):
    report = run(tmp_path, [(JOB_ON_DEFAULT, ""), (MINIO_ENV, MINIO_ENV + ON_MSVC)])
    assert report.problems == [
        "jaeger is not reachable from client_svc: NXDOMAIN",
        "jaeger is not reachable from user_svc: NXDOMAIN",
        "jaeger is not reachable from job_svc: NXDOMAIN",
        "client_svc cannot GET http://jaeger:4318/v1/traces: nxdomain",
    ], str(report)


def test_network_added_to_minio_and_jaeger_but_job_svc_left_alone_fails_on_job_svc(tmp_path):
    report = run(tmp_path, [(MINIO_ENV, MINIO_ENV + ON_MSVC), (JAEGER_ENV, JAEGER_ENV + ON_MSVC)])
    assert report.problems == [
        "minio is not reachable from job_svc: NXDOMAIN",
        "jaeger is not reachable from job_svc: NXDOMAIN",
        "client_svc does not see job_svc",
        "user_svc does not see job_svc",
        "job_svc sees no nodes",
        "the nodes form 2 separate clusters: client_svc, user_svc | job_svc",
        "job_svc cannot GET http://minio:9000/: nxdomain",
    ], str(report)


EX03 = exercise("03")


def test_node_names_exercise_names_both_mistakes(tmp_path):
    report = run(None, file=EX03.compose_file, ex=EX03)
    text = str(report)
    assert "n2.lab is not reachable from n1: NXDOMAIN" in report.problems, text
    assert "n3 sees no nodes" in report.problems, text
    assert "n1 and n3 don't share a cookie" in report.problems, text
    assert "n3-dev-cookie" not in text


def test_fixing_only_the_hostname_leaves_the_cookie_mismatch(tmp_path):
    n2 = "  n2:\n    <<: *node\n"
    report = run(tmp_path, [(n2, n2 + "    hostname: n2.lab\n")], ex=EX03)
    assert report.problems == [
        "n1 does not see n3",
        "n2 does not see n3",
        "n3 sees no nodes",
        "the nodes form 2 separate clusters: n1, n2 | n3",
        "n1 and n3 don't share a cookie",
    ], str(report)


def test_slow_starter_exercise_fails_with_every_node_alone():
    ex = exercise("02")
    report = run(None, file=ex.compose_file, ex=ex)
    assert report.problems == ["n1 sees no nodes", "n2 sees no nodes", "n3 sees no nodes",
                               "the nodes form 3 separate clusters: n1 | n2 | n3"], str(report)


# -- lessons 04 and 05: the untouched file, plausible wrong fixes, and fixes that pass ---------
# Each row: (lesson, text edits to the learner's file, the exact problems; [] = passes).
# The wrong fixes were picked because they really fail, measured. Not used: a host list
# that leaves one node out meshes (the left-out node still dials the others, and
# distribution is transitive); naming only *some* nodes by IP is a race (measured both
# a full mesh and job_svc left out), so no verdict on it would be stable.

OTP = int(image.stack().otp)  # the OTP the labs run (CLUSTERLAB_OTP)


def env_sh(basename: str) -> str:
    """A rel/env.sh.eex that names the node by its IPv4 address, as lesson 4's fix A."""
    return ("#!/bin/sh\nip=$(hostname -i | tr ' ' '\\n' | grep -v ':' | head -n 1)\n"
            f'export RELEASE_DISTRIBUTION=name\nexport RELEASE_NODE="{basename}@${{ip}}"\n')


def host_list(names: list[str]) -> str:
    """A config/runtime.exs with libcluster's Epmd topology, as lesson 4's fix B."""
    hosts = ", ".join(f':"{n}"' for n in names)
    return ("import Config\n\nconfig :libcluster,\n  topologies: [\n    epmd: [\n"
            "      strategy: Cluster.Strategy.Epmd,\n"
            f"      config: [hosts: [{hosts}], timeout: 500]\n    ]\n  ]\n")


EMPTY_04 = ["client_svc sees no nodes", "user_svc sees no nodes", "job_svc sees no nodes",
            "the nodes form 3 separate clusters: client_svc | job_svc | user_svc"]
SPLIT_05 = ["client_svc does not see job_svc", "user_svc does not see job_svc",
            "job_svc sees no nodes",
            "the nodes form 2 separate clusters: client_svc, user_svc | job_svc"]
QUERY_04 = "  DNS_CLUSTER_QUERY: beam\n"
NODE_05 = "  networks: [msvc_default]\n\nx-cluster"
USER_05 = "      RELEASE_NODE: user_svc@user_svc.msvc_default\n"

FQDN_NODES = [f"msvc@{s}.msvc_default" for s in ("client_svc", "user_svc", "job_svc")]
SERVICE_NAMED = [f"{s}@{s}.msvc_default" for s in ("client_svc", "user_svc", "job_svc")]
RESTART = "  networks: [msvc_default]\n  restart: unless-stopped\n\nx-cluster"

CASES = [
    # DNS polling dials msvc@IP, but the nodes are named by FQDN.
    pytest.param("04", [], {}, EMPTY_04, id="04-untouched"),
    # Lesson 4's fix B: keep the FQDN names and list them (config/runtime.exs).
    pytest.param("04", [], {"config/runtime.exs": host_list(FQDN_NODES)}, [],
                 id="04-host-list-passes"),
    # Fix A's env script, written as rel/env.sh: a release renders rel/env.sh.eex only,
    # so the file changes nothing.
    pytest.param("04", [], {"rel/env.sh": env_sh("msvc")}, EMPTY_04, id="04-env-sh-not-eex"),
    # Named by IP with the right basename, but the query has no dot while the hostnames
    # do: dns_cluster's getbyname asks `beam.msvc_default`, NXDOMAIN (the search list),
    # and on OTP 27 and older nothing else; OTP 29 then asks `beam` as it is and meshes
    # (erlang/otp PR #10576), so there this fix passes.
    pytest.param("04", [], {"rel/env.sh.eex": env_sh("msvc")}, EMPTY_04 if OTP <= 27 else [],
                 id="04-ip-names-dotless-query"),
    # Lesson 4's fix A: IP names and an absolute query.
    pytest.param("04", [(QUERY_04, "  DNS_CLUSTER_QUERY: beam.\n")],
                 {"rel/env.sh.eex": env_sh("msvc")}, [], id="04-ip-names-trailing-dot-passes"),
    # A host list that names the nodes after their services, not as they are named.
    pytest.param("04", [], {"config/runtime.exs": host_list(SERVICE_NAMED)}, EMPTY_04,
                 id="04-hosts-by-service-name"),
    # Connect once: job_svc stays out after the network heals.
    pytest.param("05", [], {}, SPLIT_05, id="05-untouched"),
    # A restart policy: the container never stops, so it is never restarted.
    pytest.param("05", [(NODE_05, RESTART)], {}, SPLIT_05, id="05-restart-policy"),
    # A shorter ticktime notices the partition sooner, but noticing is not healing.
    pytest.param("05", [("net_ticktime 4", "net_ticktime 2")], {}, SPLIT_05,
                 id="05-shorter-ticktime"),
]


@pytest.mark.parametrize(("lesson", "edits", "files", "problems"), CASES)
def test_learner_files_get_the_right_verdict(tmp_path, lesson, edits, files, problems):
    ex = exercise(lesson)
    report = check_edited(ex, tmp_path, edits, files=files) if edits or files \
        else run(None, file=ex.compose_file, ex=ex)
    assert not report.static and report.start_error is None, str(report)
    assert report.problems == problems, str(report)
    assert report.passed == (not problems)
    text = str(report)
    if ex.expected.fault:  # the partition was made and noticed; the verdict is after the heal
        assert "✓ the other nodes notice when job_svc is cut off the network" in text, text
        assert "form a full mesh (after job_svc's network came back)" in text, text
    # The verdict says what is wrong, never which key to write.
    for key in ("NODE_NAME_BY_IP", "CLUSTER_HOSTS", "CLUSTER_TIMEOUT", "CLUSTER_STRATEGY"):
        assert key not in text


def test_retrying_on_one_node_only_is_not_enough(tmp_path):
    """The exercise runs with `dist_auto_connect once`: a node that saw a peer go down
    never reconnects to it implicitly, so every node must retry, not just user_svc.
    Which links stay down depends on what `global` cut; that some do, does not."""
    ex = exercise("05")
    report = run(tmp_path, [(USER_05, USER_05 + '      CLUSTER_TIMEOUT: "1000"\n')], ex=ex)
    assert not report.passed, str(report)
    assert any("sees no nodes" in p or "does not see" in p for p in report.problems), str(report)


# -- lesson 06: who else can join ----------------------------------------------------------------
# The outsider holds the cookie each node runs with; the verdict names who let it in and
# how, and where `docker inspect` shows the cookie, never the keys that fix it.

EX06 = exercise("06")
SERVICES_06 = ("client_svc", "user_svc", "job_svc")
SECRET_06 = "  RELEASE_COOKIE_FILE: /run/secrets/erlang_cookie\n"
TLS_NO_VERIFY = """[{server, [{certfile, "/etc/clusterlab/tls/node/cert.pem"},
           {keyfile, "/etc/clusterlab/tls/node/key.pem"},
           {verify, verify_none}]},
 {client, [{certfile, "/etc/clusterlab/tls/node/cert.pem"},
           {keyfile, "/etc/clusterlab/tls/node/key.pem"},
           {verify, verify_none}]}].
"""


def solution_06(tmp_path, edits=(), dist_conf=None, extra=None):
    """The solution copied to ``tmp_path`` with text ``edits``, its TLS options file
    (or ``dist_conf``) and any ``extra`` files beside it."""
    source = EX06.solution_file.read_text()
    for old, new in edits:
        assert old in source, old
        source = source.replace(old, new)
    (tmp_path / "compose.yaml").write_text(source)
    conf = dist_conf or (EX06.solution_file.parent / "ssl_dist.conf").read_text()
    (tmp_path / "ssl_dist.conf").write_text(conf)
    for name, text in (extra or {}).items():
        (tmp_path / name).write_text(text)
    return tmp_path / "compose.yaml"


def test_06_untouched_exercise_names_the_outsider_and_the_inspect_leak():
    report = run(None, file=EX06.compose_file, ex=EX06)
    assert report.problems == [
        *[f"an outsider holding the cookie joined {s} over plain TCP" for s in SERVICES_06],
        *[f"docker inspect {s} shows the cookie in its environment" for s in SERVICES_06],
    ], str(report)
    text = str(report)
    assert "✓ client_svc, user_svc and job_svc form a full mesh" in text
    for key in ("secrets", "RELEASE_COOKIE", "verify_peer", "inet_tls", "ssl_dist"):
        assert key not in text, key


def test_06_tls_without_verify_peer_lets_any_certificate_in(tmp_path):
    """TLS distribution, the cookie from a secret, but the nodes verify nobody: the
    outsider with no certificate, or one from another CA, joins every node."""
    report = run(None, file=solution_06(tmp_path, dist_conf=TLS_NO_VERIFY), ex=EX06)
    assert report.problems == [
        f"an outsider holding the cookie joined {s} over TLS {how}"
        for s in SERVICES_06
        for how in ("with no certificate", "with a certificate from another CA")
    ], str(report)
    assert "verify" not in "\n".join(report.problems)


def test_06_verify_peer_without_fail_if_no_peer_cert_follows_the_otp_default(tmp_path):
    """verify_peer on the server checks a certificate only if the client sends one; with
    fail_if_no_peer_cert left out, OTP 25 lets a client with none in, and OTP 26+ refuses
    it (the default became true with verify_peer: erlang/otp PR #7187)."""
    conf = (EX06.solution_file.parent / "ssl_dist.conf").read_text() \
        .replace("{fail_if_no_peer_cert, true},", "")
    report = run(None, file=solution_06(tmp_path, dist_conf=conf), ex=EX06)
    if OTP <= 25:
        assert report.problems == [
            f"an outsider holding the cookie joined {s} over TLS with no certificate"
            for s in SERVICES_06], str(report)
    else:
        assert report.problems == [], str(report)
        assert "✓ an outsider holding the cookie cannot join" in str(report), str(report)


def test_06_fail_if_no_peer_cert_false_lets_no_certificate_in_on_every_otp(tmp_path):
    """The wrong fix that stays wrong on OTP 26+: saying `false` out loud. On OTP 29
    distribution speaks TLS 1.3, whose certificate request names the CAs the server
    accepts: the other CA's outsider then sends no certificate either, and gets in too."""
    conf = (EX06.solution_file.parent / "ssl_dist.conf").read_text() \
        .replace("{fail_if_no_peer_cert, true}", "{fail_if_no_peer_cert, false}")
    report = run(None, file=solution_06(tmp_path, dist_conf=conf), ex=EX06)
    ways = ["with no certificate"] if OTP <= 27 else \
        ["with no certificate", "with a certificate from another CA"]
    assert report.problems == [
        f"an outsider holding the cookie joined {s} over TLS {how}"
        for s in SERVICES_06 for how in ways], str(report)


def test_06_cookie_moved_to_an_env_file_is_still_in_the_environment(tmp_path):
    """`env_file: .env` keeps the cookie out of compose.yaml, not out of the container's
    configuration: `docker inspect` still shows it (TLS is right, so only that fails)."""
    dotenv = f"RELEASE_COOKIE={Cookie().reveal()}\n"
    file = solution_06(tmp_path, [(SECRET_06, ""), ("  secrets: [erlang_cookie]\n",
                                                    "  env_file: [.env]\n")],
                       extra={".env": dotenv})
    report = run(None, file=file, ex=EX06)
    assert report.problems == [f"docker inspect {s} shows the cookie in its environment"
                               for s in SERVICES_06], str(report)
    assert dotenv.strip().partition("=")[2] not in str(report)

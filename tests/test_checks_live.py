"""Exercise checker honesty, on the real engine: the untouched exercise fails with the
right words, the solution passes, and plausible wrong fixes fail for the right reason."""

from __future__ import annotations

import pytest
from clusterlab import checks, image, lifecycle

pytestmark = pytest.mark.docker

EX = checks.exercise("01")
JOB_ON_DEFAULT = """    networks: [default]
"""
MINIO_ENV = """    environment: {RELEASE_DISTRIBUTION: none, HTTP_PORT: "9000"}
"""
JAEGER_ENV = """    environment: {RELEASE_DISTRIBUTION: none, HTTP_PORT: "4318"}
"""
ON_MSVC = "    networks: [msvc_default]\n"


def run(tmp_path, edits: list[tuple[str, str]] | None = None, file=None, ex=EX):
    """Check the learner's file after text ``edits``; assert it left nothing running."""
    if file is None:
        source = ex.compose_file.read_text()
        for old, new in edits or []:
            assert old in source, old
            source = source.replace(old, new)
        file = tmp_path / "compose.yaml"
        file.write_text(source)
    report = ex.check(file, progress=image.quiet)
    assert report.project and report.project not in lifecycle.projects(), "lab left behind"
    return report


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


@pytest.mark.parametrize("ex", checks.exercises(), ids=lambda e: e.lesson.id)
def test_every_solution_passes(ex):
    report = run(None, file=ex.solution_file, ex=ex)
    assert report.passed, str(report)
    assert report.problems == []


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


EX03 = checks.exercise("03")


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
    ex = checks.exercise("02")
    report = run(None, file=ex.compose_file, ex=ex)
    assert report.problems == ["n1 sees no nodes", "n2 sees no nodes", "n3 sees no nodes",
                               "the nodes form 3 separate clusters: n1 | n2 | n3"], str(report)

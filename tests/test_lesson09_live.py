"""Exercise 09's checker is honest, on the real engine: the untouched file fails with
the right words, the solution passes (tests/test_checks_live.py runs every solution), and
plausible wrong fixes fail for the right reason."""

from __future__ import annotations

import pytest
from clusterlab.workshop.exercise import exercise

from .exercise_files import check_edited

pytestmark = pytest.mark.docker

EX = exercise("09")
LINGERS = ["client_svc and user_svc still listed job_svc 10 s after it was paused: a frozen "
           "node stays in the cluster"]
CLUSTER = "  CLUSTER_STRATEGY: epmd\n"

CASES = [
    # The default net_ticktime 60: a frozen peer stays listed for 45-75 s.
    pytest.param([], LINGERS, id="untouched"),
    # Polling faster: the strategy skips nodes that are still connected, and it is.
    pytest.param([('CLUSTER_TIMEOUT: "1000"', 'CLUSTER_TIMEOUT: "200"')], LINGERS,
                 id="poll-faster"),
    # A shorter tick, but not short enough: 15-25 s with 20.
    pytest.param([(CLUSTER, "  ERL_AFLAGS: -kernel net_ticktime 20\n" + CLUSTER)], LINGERS,
                 id="ticktime-20"),
    # The connection setup timeout is not the failure detector.
    pytest.param([(CLUSTER, "  ERL_AFLAGS: -kernel net_setuptime 2\n" + CLUSTER)], LINGERS,
                 id="setuptime"),
    # The fix: a short tick on every node.
    pytest.param([(CLUSTER, "  ERL_AFLAGS: -kernel net_ticktime 4\n" + CLUSTER)], [],
                 id="ticktime-4-passes"),
]


@pytest.mark.parametrize(("edits", "problems"), CASES)
def test_exercise_09_verdicts(tmp_path, edits, problems):
    report = check_edited(EX, tmp_path, edits)
    assert not report.static and report.start_error is None, str(report)
    assert report.problems == problems, str(report)
    assert report.passed == (not problems)
    text = str(report)
    # The pause was made, then undone, and the verdict after the unpause is a full mesh:
    # the frozen node rejoined (at once with the old connection, or redialled after a drop).
    assert "job_svc form a full mesh (after job_svc was unpaused)" in text, text
    assert "docker pause" in "\n".join(report.commands)
    assert "docker unpause" in "\n".join(report.commands)
    # The verdict says what is wrong, never which key to write.
    for key in ("net_ticktime", "ERL_AFLAGS", "CLUSTER_TIMEOUT"):
        assert key not in text

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
VM_ARGS = "rel/vm.args.eex"
SBWT = "+sbwt none\n"


def flag(line: str) -> dict:
    """rel/vm.args.eex with ``line`` added (before the scheduler flags)."""
    return {VM_ARGS: [(SBWT, f"{line}\n{SBWT}")]}


CASES = [
    # The default net_ticktime 60: a frozen peer stays listed for 45-75 s.
    pytest.param({}, LINGERS, id="untouched"),
    # Polling faster: the strategy skips nodes that are still connected, and it is.
    pytest.param({"config/runtime.exs": [("timeout: 1_000", "timeout: 200")]}, LINGERS,
                 id="poll-faster"),
    # A shorter tick, but not short enough: 15-25 s with 20.
    pytest.param(flag("-kernel net_ticktime 20"), LINGERS, id="ticktime-20"),
    # The connection setup timeout is not the failure detector.
    pytest.param(flag("-kernel net_setuptime 2"), LINGERS, id="setuptime"),
    # The right line in a file no release reads: `mix release` renders rel/vm.args.eex;
    # a rel/vm.args beside it changes nothing.
    pytest.param({"rel/vm.args": "-kernel net_ticktime 4\n"}, LINGERS, id="vm-args-not-eex"),
    # The fix: a short tick on every node.
    pytest.param(flag("-kernel net_ticktime 4"), [], id="ticktime-4-passes"),
]


@pytest.mark.parametrize(("files", "problems"), CASES)
def test_exercise_09_verdicts(tmp_path, files, problems):
    report = check_edited(EX, tmp_path, files=files)
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
    for key in ("net_ticktime", "vm.args", "timeout:"):
        assert key not in text

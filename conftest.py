"""Suite-wide rules: Docker tests need the engine, and nothing of ours may outlive the run.

Set CLUSTERLAB_REQUIRE_DOCKER=1 (CI does) to turn "no Docker, skipped" into a failure.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def pytest_configure(config):
    _install_stall_guard()


def _install_stall_guard() -> None:
    """Every notebook nbmake runs goes through ``clusterlab.tools.nbrun.StallGuardedClient``: its
    channel waits end every 0.5 s with a real poll (a missed wake-up no longer sleeps to
    the cell timeout, issue 9), and a cell that still reaches the timeout fails as STALL,
    naming the cell and the kernel's own run time, instead of passing silently."""
    try:
        from nbmake import nb_run
    except ImportError:
        return
    from clusterlab.tools.nbrun import StallGuardedClient

    nb_run.NotebookClient = StallGuardedClient
    if os.environ.get("CLUSTERLAB_EXECUTED_DIR"):
        _save_executed(nb_run.NotebookRun, Path(os.environ["CLUSTERLAB_EXECUTED_DIR"]))


def _save_executed(run_class, out_dir: Path) -> None:
    """Keep every notebook as nbmake executed it: the site (helpers/bin/docs) is built from
    these files, so no lab runs a second time for the documentation."""
    from clusterlab.tools import docsite

    execute = run_class.execute
    if getattr(execute, "saves_executed", False):
        return

    def execute_and_save(self):
        result = execute(self)
        docsite.record(result.nb, Path(self.filename), out_dir, passed=result.error is None)
        return result

    execute_and_save.saves_executed = True
    run_class.execute = execute_and_save


def _missing(need) -> str | None:
    """What ``need()`` says is missing (a ``ClusterLabError``'s message), or None."""
    from clusterlab.errors import ClusterLabError

    try:
        need()
    except ClusterLabError as exc:
        return str(exc)
    return None


def _engine_error() -> str | None:
    from clusterlab.gates import engine

    return _missing(engine.client)


def _compose_error() -> str | None:
    from clusterlab.gates import compose

    return _missing(compose.find_compose)


def _skip_without_compose(items) -> None:
    """Tests marked ``compose`` run the Compose v2 binary but need no engine: skipped where
    there is none (``-m "not docker"`` on a bare machine), a failure under CI's flag."""
    needs = [item for item in items if item.get_closest_marker("compose")]
    if needs:
        _skip_or_fail(needs, _compose_error(), "no Compose v2")


def _skip_or_fail(needs, error: str | None, what: str) -> None:
    """Skip ``needs`` when ``error`` says something is missing; CI's flag makes it a failure."""
    if error is None:
        return
    if os.environ.get("CLUSTERLAB_REQUIRE_DOCKER"):
        raise pytest.UsageError(f"CLUSTERLAB_REQUIRE_DOCKER is set but: {error}")
    for item in needs:
        item.add_marker(pytest.mark.skip(reason=f"{what}: {error.splitlines()[0]}"))


def _deselect_room(config, items) -> None:
    """``room`` tests take the project's image tags away for minutes: they run only when
    ``-m`` names them (CI runs them alone, after the suite), never in a whole-suite run."""
    if "room" in (config.getoption("markexpr") or ""):
        return
    room = [item for item in items if item.get_closest_marker("room")]
    if room:
        config.hook.pytest_deselected(items=room)
        items[:] = [item for item in items if not item.get_closest_marker("room")]


def pytest_collection_modifyitems(config, items):
    _deselect_room(config, items)
    _skip_without_compose(items)
    needs_docker = [item for item in items
                    if item.get_closest_marker("docker") or item.path.suffix == ".ipynb"]
    if needs_docker:
        _skip_or_fail(needs_docker, _engine_error(), "no Docker engine")


def leftovers() -> list[str]:
    """Projects whose containers or networks carry a ClusterLab label, except labs that a
    live process outside this run owns (someone else's lab on a shared engine)."""
    from clusterlab.lab import registry

    return sorted(project for project, labels in registry.projects().items()
                  if not _someone_elses(labels.get(registry.OWNER, "")))


def _someone_elses(owner: str) -> bool:
    """Owner labels read ``host/pid``: a live pid that is not this run's is not ours to judge.
    A dead owner (a kernel, a worker, a CLI call of this run) is judged."""
    import socket

    from clusterlab.lab import registry

    host, _, pid = owner.rpartition("/")
    if host != socket.gethostname() or not pid.isdigit() or not registry.pid_alive(int(pid)):
        return False
    return not _descends_from(int(pid), os.getpid())


def _descends_from(pid: int, ancestor: int) -> bool:
    while pid > 1:
        if pid == ancestor:
            return True
        try:
            with open(f"/proc/{pid}/stat") as stat:
                pid = int(stat.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            return False
    return False


_before: set[str] = set()
_ran_docker: list[str] = []


def _is_xdist_worker(config) -> bool:
    """Under pytest-xdist only the controller judges: it starts before and ends after every
    worker, and sees every worker's reports; a worker would flag its siblings' live labs."""
    return hasattr(config, "workerinput")


_swarm_before: list[object] = []


def _swarm_state():
    from clusterlab.gates import swarm

    return swarm.settled()


def _swarm_left_as_found(before) -> bool:
    from clusterlab.gates import swarm

    return swarm.left_as_found(before, settled=True)   # every lab has ended


def pytest_sessionstart(session):
    """Labs that existed before the run are someone else's; only ours are judged. The
    engine's Swarm state is recorded: a Swarm lab must leave it as it found it."""
    if not _is_xdist_worker(session.config) and _engine_error() is None:
        _before.update(leftovers())
        _swarm_before.append(_swarm_state())


def pytest_runtest_logreport(report):
    """Remember that a Docker test or a notebook ran (reports reach the xdist controller)."""
    if report.when == "call" and ("docker" in report.keywords or ".ipynb" in report.nodeid):
        _ran_docker.append(report.nodeid)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """A notebook cell that times out says so first: which notebook, which cell, how long,
    and whether the kernel ever started it (if not, the request sat unread: a stall)."""
    report = yield
    if report.failed and call.excinfo is not None \
            and call.excinfo.typename == "StallError":
        report.longrepr = str(call.excinfo.value)
    elif report.failed and call.when == "call" and item.path.suffix == ".ipynb" \
            and call.excinfo is not None and "timed out" in str(report.longrepr):
        report.longrepr = f"{_timeout_headline(item, call.excinfo.value)}\n\n{report.longrepr}"
    return report


def _timeout_headline(item, exc) -> str:
    timeout = item.config.getoption("nbmake_timeout", None)
    try:  # nbmake's NotebookFailedException carries the executed notebook and the cell
        result = exc.args[0]
        index = result.error.failing_cell_index
        cell = result.nb.cells[index]
    except (AttributeError, IndexError, TypeError):
        return f"STALL? {item.path.name}: a cell did not finish within {timeout} s."
    first = next((line for line in cell.source.splitlines() if line.strip()), "")
    started = "iopub.status.busy" in cell.get("metadata", {}).get("execution", {})
    why = ("the kernel was busy with it: the cell itself hung" if started else
           "the kernel never started it: the request sat unread while the kernel idled "
           "(the stall of issue 9; bench/stall_loop.py reproduces it)")
    return (f"STALL: {item.path.name} cell {index} (`{first[:60]}`) did not finish within "
            f"{timeout} s (the per-cell timeout); {why}.")


def pytest_sessionfinish(session, exitstatus):
    if _is_xdist_worker(session.config):
        return
    if not _ran_docker or _engine_error() is not None \
            or os.environ.get("CLUSTERLAB_SHARED_ENGINE"):
        return
    left = sorted(set(leftovers()) - _before)
    if left:
        session.config.get_terminal_writer().line(
            f"\nLEFTOVER LABS after the suite: {', '.join(left)} — a cleanup bug.", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    if _swarm_before and not _swarm_left_as_found(_swarm_before[0]):
        session.config.get_terminal_writer().line(
            f"\nSWARM STATE CHANGED by the suite: {_swarm_before[0]} → {_swarm_state()} — a "
            "Swarm lab must leave the engine's Swarm mode as it found it.", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED

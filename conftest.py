"""Suite-wide rules: Docker tests need the engine, and nothing of ours may outlive the run.

Set CLUSTERLAB_REQUIRE_DOCKER=1 (CI does) to turn "no Docker, skipped" into a failure.
"""

from __future__ import annotations

import os

import pytest


def _engine_error() -> str | None:
    from clusterlab import engine
    from clusterlab.errors import ClusterLabError

    try:
        engine.client()
    except ClusterLabError as exc:
        return str(exc)
    return None


def pytest_collection_modifyitems(config, items):
    needs_docker = [item for item in items
                    if item.get_closest_marker("docker") or item.path.suffix == ".ipynb"]
    if not needs_docker:
        return
    error = _engine_error()
    if error is None:
        return
    if os.environ.get("CLUSTERLAB_REQUIRE_DOCKER"):
        raise pytest.UsageError(f"CLUSTERLAB_REQUIRE_DOCKER is set but: {error}")
    for item in needs_docker:
        item.add_marker(pytest.mark.skip(reason=f"no Docker engine: {error.splitlines()[0]}"))


def leftovers() -> list[str]:
    """Projects whose containers or networks carry a ClusterLab label."""
    from clusterlab import lifecycle

    return sorted(lifecycle.projects())


_before: set[str] = set()


def pytest_sessionstart(session):
    """Labs that existed before the run are someone else's; only ours are judged."""
    if _engine_error() is None:
        _before.update(leftovers())


def pytest_sessionfinish(session, exitstatus):
    ran_docker = any(item.get_closest_marker("docker") or item.path.suffix == ".ipynb"
                     for item in getattr(session, "items", []))
    if not ran_docker or _engine_error() is not None or os.environ.get("CLUSTERLAB_SHARED_ENGINE"):
        return
    left = sorted(set(leftovers()) - _before)
    if left:
        session.config.get_terminal_writer().line(
            f"\nLEFTOVER LABS after the suite: {', '.join(left)} — a cleanup bug.", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED

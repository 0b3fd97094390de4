"""Checking a learner's exercise file after text edits, on the real engine (live tests)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from clusterlab.lab import registry
from clusterlab.progress import quiet
from clusterlab.workshop.exercise import Exercise
from clusterlab.workshop.judge import CheckReport


def check_edited(ex: Exercise, tmp_path: Path | None,
                 edits: Sequence[tuple[str, str]] = (), file: Path | None = None) -> CheckReport:
    """Check ``file``, or the learner's file after text ``edits`` (each must apply); assert
    the check left nothing running."""
    if file is None:
        source = ex.compose_file.read_text()
        for old, new in edits:
            assert old in source, old
            source = source.replace(old, new)
        assert tmp_path is not None
        file = tmp_path / "compose.yaml"
        file.write_text(source)
    report = ex.check(file, progress=quiet)
    assert report.project and report.project not in registry.projects(), "lab left behind"
    return report

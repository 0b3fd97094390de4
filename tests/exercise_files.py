"""Checking a learner's exercise file after text edits, on the real engine (live tests)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from clusterlab.catalogue import release_files
from clusterlab.lab import registry
from clusterlab.progress import quiet
from clusterlab.workshop.exercise import Exercise
from clusterlab.workshop.judge import CheckReport

Edits = Sequence[tuple[str, str]]


def check_edited(ex: Exercise, tmp_path: Path | None, edits: Edits = (),
                 file: Path | None = None, *,
                 files: Mapping[str, str | Edits | None] | None = None) -> CheckReport:
    """Check ``file``, or the learner's project after text ``edits`` to its compose file
    (each must apply) and ``files``: each release file (``config/runtime.exs``,
    ``rel/env.sh.eex``…) as new text, as edits to the learner's, or ``None`` to drop it.
    Assert the check left nothing running."""
    if file is None:
        assert tmp_path is not None
        file = tmp_path / "compose.yaml"
        file.write_text(_edited(ex.compose_file.read_text(), edits))
        folder = ex.compose_file.parent
        project = {str(p.relative_to(folder)): p.read_text() for p in release_files(folder)}
        for name, change in (files or {}).items():
            if change is None:
                project.pop(name)
            elif isinstance(change, str):
                project[name] = change
            else:
                project[name] = _edited(project[name], change)
        for name, text in project.items():
            (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / name).write_text(text)
    report = ex.check(file, progress=quiet)
    assert report.project and report.project not in registry.projects(), "lab left behind"
    return report


def _edited(source: str, edits: Edits) -> str:
    for old, new in edits:
        assert old in source, old
        source = source.replace(old, new)
    return source

"""The lesson catalogue: lessons are folders under ``labs/``, variants are compose files.

Lessons differ only in data, so adding one means adding a folder, not code:
``labs/NN-slug/lesson.toml`` plus ``labs/NN-slug/<variant>/compose.yaml``.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import UnknownLesson

_LESSON_DIR = re.compile(r"^(\d\d)-[a-z0-9-]+$")


def labs_dir() -> Path:
    """``labs/`` of this checkout; ``CLUSTERLAB_LABS`` points elsewhere."""
    if override := os.environ.get("CLUSTERLAB_LABS"):
        return Path(override)
    return Path(__file__).resolve().parents[2] / "labs"


@dataclass(frozen=True)
class Lesson:
    id: str
    title: str
    path: Path
    variants: dict[str, Path]
    meta: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    stacks: dict[str, Path] = field(default_factory=dict, compare=False)
    """Swarm variants (``<variant>/stack.yaml``), run by ``docker stack deploy`` (lesson 7)."""

    @property
    def number(self) -> int:
        return int(self.id[:2])

    def compose_file(self, variant: str) -> Path:
        try:
            return self.variants[variant]
        except KeyError:
            known = ", ".join(sorted(self.variants)) or "none"
            raise UnknownLesson(f"Lesson {self.id} has no variant {variant!r} (it has: {known}).") \
                from None

    def stack_file(self, variant: str) -> Path:
        """The Swarm variant's ``stack.yaml``."""
        try:
            return self.stacks[variant]
        except KeyError:
            known = ", ".join(sorted(self.stacks)) or "none"
            raise UnknownLesson(f"Lesson {self.id} has no variant {variant!r} (it has: {known}).") \
                from None


    def source(self, variant: str) -> str:
        """The variant's compose file and its release files, as the learner should read
        them."""
        path = self.stacks[variant] if variant in self.stacks else self.compose_file(variant)
        return project_source(path)


RELEASE_FILES = ("config/runtime.exs", "rel/env.sh.eex", "rel/vm.args.eex")
"""A project's files that configure its clustering, beside its compose file; the lab
puts them where the release reads them (``lab.release``)."""


def release_files(folder: Path) -> list[Path]:
    """The release files ``folder`` holds, in ``RELEASE_FILES`` order."""
    return [folder / name for name in RELEASE_FILES if (folder / name).is_file()]


def project_source(compose_file: Path) -> str:
    """A compose file, then each release file beside it under a ``# ---- path`` line."""
    parts = [compose_file.read_text()]
    for path in release_files(compose_file.parent):
        parts.append(f"# ---- {path.relative_to(compose_file.parent)}\n{path.read_text()}")
    return "\n".join(parts)


def _read(folder: Path) -> Lesson:
    meta_file = folder / "lesson.toml"
    meta = tomllib.loads(meta_file.read_text()) if meta_file.exists() else {}
    variants = {compose.parent.name: compose for compose in sorted(folder.glob("*/compose.yaml"))}
    stacks = {stack.parent.name: stack for stack in sorted(folder.glob("*/stack.yaml"))}
    if meta.get("backend") == "swarm":  # every file of a Swarm lesson is a stack file
        stacks, variants = {**variants, **stacks}, {}
    return Lesson(folder.name, meta.get("title", folder.name), folder, variants, meta, stacks)


def lessons() -> list[Lesson]:
    root = labs_dir()
    folders = sorted(p for p in root.iterdir() if p.is_dir() and _LESSON_DIR.match(p.name)) \
        if root.is_dir() else []
    return [_read(folder) for folder in folders]


def get(name: str) -> Lesson:
    """Find a lesson by id (``01-compose-networks``), number (``1``, ``01``) or slug."""
    catalogue = lessons()
    for lesson in catalogue:
        slug = lesson.id[3:]
        if name in (lesson.id, slug) or (name.isdigit() and int(name) == lesson.number):
            return lesson
    ids = [lesson.id for lesson in catalogue]
    close = difflib.get_close_matches(name, ids, n=1, cutoff=0.4)
    suggestion = f" Did you mean {close[0]!r}?" if close else ""
    raise UnknownLesson(f"There is no lesson {name!r}.{suggestion} Lessons: {', '.join(ids)}.")

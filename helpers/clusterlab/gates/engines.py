"""Engines on demand: a Docker Engine of another version, started on this machine.

Learners run Docker Engine 26 to 29; a teaching machine has one engine (often an older
one) and no registry. ``start("28")`` runs Debian's ``docker.io`` 28 inside a container of
the host's engine (Docker-in-Docker) and returns the ``DOCKER_HOST`` that reaches it;
``stop("28")`` removes it and everything in it. Measured on a 2-core host (Docker 20.10,
cgroup v1): see ``bench/engines.py``.

Why this shape:

- **Its rootfs is Debian's own packages**, bootstrapped offline with mmdebstrap from the
  host's apt mirror (as ``image.py`` makes the lab's bases) and ``docker import``-ed:
  trixie ships ``docker.io`` 26.1, sid 28.5, each with the containerd and runc Debian
  pairs it with. The tag is a hash of the recipe (release, packages, options), never of
  the result, which is not byte-reproducible.
- **Its own network namespace**: the inner dockerd writes its iptables rules, bridges and
  NAT into the engine container's netns, never the host's. That netns sits on the host's
  default bridge, with no published port (the host's engine adds no iptables rule for
  such a container), only so that the inner embedded DNS can forward names it doesn't
  know to the host's resolver. Measured without any network (``network_mode=none``):
  every such lookup answered SERVFAIL, where a real engine answers NXDOMAIN, and lesson
  1's broken variant asserts NXDOMAIN across its islands.
- **Its socket is a unix socket in a host folder** (``/run/clusterlab/engine-28/docker.sock``),
  bind-mounted in: no TCP port at all, so nothing listens beyond this machine and the
  host's iptables stay as they were.
- **Its data root is a named volume** (a plain folder on the host's disk, not the
  container's overlay rootfs), so the inner engine runs ``overlay2``. Measured against
  ``vfs`` on the same volume (Docker 28, the lab image): load 7.5 s vs 11.2 s, three
  container starts 0.9 s vs 3.2 s, 99 MB vs 996 MB of disk. A tmpfs would hold those
  99 MB in memory for nothing.
- **A private cgroup namespace**: the inner runc sees the engine container's cgroup as
  its root, so the inner containers nest under it (their memory counts as the engine's)
  and leave with it. On a cgroup v2 host the start script first moves its own processes
  to a leaf cgroup so that the controllers can be delegated to the inner containers (v2's
  "no internal processes" rule; moby's ``hack/dind`` does the same).
- **Privileged in all but name**: ``--privileged`` asks runc for every capability the
  engine knows, and on a machine whose bounding set lacks one (measured here: no
  ``CAP_SYS_RESOURCE``, so runc fails with "unable to apply caps") no privileged
  container starts at all. So the engine container gets every capability this machine
  can grant, no seccomp, AppArmor or SELinux confinement and no masked ``/proc`` paths,
  and its start script remounts ``/sys`` and the cgroup mounts writable, which is what
  dockerd needs of ``--privileged``; it gets no host devices, which it does not need.

What the shape costs: ports a lab publishes (to ``127.0.0.1``) are published in the
engine container's netns, so the host's ``127.0.0.1:PORT`` does not reach them; a command
run with ``run_argv`` (``clusterlab engine run``) enters that netns (as root), where they
are, as on a learner's host. Host paths a lab bind-mounts are resolved inside the engine
container: the temporary folder and this checkout's ``labs/`` (read-only) are mounted
there at the same paths, and ``share`` adds more; any other host path would be an empty
folder. The kernel's neighbour-table limit is global and shows only in the host's netns.
"""

from __future__ import annotations

import contextlib
import functools
import grp
import hashlib
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import docker.errors
from docker.models.containers import Container

from ..catalogue import labs_dir
from ..errors import ClusterLabError, DockerUnavailable
from ..progress import Progress, say
from . import image

LABEL = "io.clusterlab.engine"
"""On every engine image, container and volume: the engine's version (``26``, ``28``)."""
RECIPE_LABEL = "io.clusterlab.engine.recipe"
LABS_LABEL = "io.clusterlab.engine.labs"
"""On the engine container: the checkout whose ``labs/`` it mounts (labs bind-mount from it)."""
REPOSITORY = "clusterlab/engine"
RUN_DIR = Path("/run/clusterlab")
"""Each engine's socket folder lives here: ``/run/clusterlab/engine-<version>/``."""
SHARED_PATHS = (Path(tempfile.gettempdir()),)
"""Host folders a lab bind-mounts files from, mounted into the engine at the same path:
the temporary folder (lab TLS material and secrets in ``/tmp/clusterlab``, an exercise
check's copy of the learner's file, a test's ``tmp_path``). ``start(share=…)`` adds more
(a project of one's own that bind-mounts its files)."""
STORAGE = "overlay2"
_SCHEME = "engine-v1"  # bump to give every engine image a new tag

# minbase, not essential: dockerd's start script needs mount and mountpoint (util-linux,
# priority required). docker.io's own Depends bring containerd, runc, tini (docker-init)
# and iptables.
_VARIANT = "--variant=minbase"
_PACKAGES = ("docker.io", "iptables", "ca-certificates")
_DPKG = ("force-unsafe-io", "path-exclude=/usr/share/man/*", "path-exclude=/usr/share/doc/*",
         "path-exclude=/usr/share/locale/*", "path-include=/usr/share/doc/*/copyright")
_MERGED_USR = Path("/usr/share/mmdebstrap/hooks/merged-usr")


class EngineError(ClusterLabError):
    hint = "`clusterlab engine stop VERSION` removes what a failed start left."


@dataclass(frozen=True)
class Recipe:
    """One engine version we can start, and the Debian release that ships it."""

    version: str
    release: str
    series: str  # the engine version it must report, e.g. "28.5."

    def tag(self) -> str:
        """``clusterlab/engine:28-<hash>``: a hash of how the rootfs is made."""
        recipe = " ".join([_SCHEME, self.release, _VARIANT, *sorted(_PACKAGES), *_DPKG])
        return f"{REPOSITORY}:{self.version}-{hashlib.sha256(recipe.encode()).hexdigest()[:8]}"

    @property
    def name(self) -> str:
        """The engine container's and data volume's name."""
        return f"clusterlab-engine-{self.version}"

    @property
    def socket_dir(self) -> Path:
        return RUN_DIR / f"engine-{self.version}"

    @property
    def docker_host(self) -> str:
        return f"unix://{self.socket_dir}/docker.sock"


RECIPES = {
    "26": Recipe("26", "trixie", "26.1."),  # docker.io 26.1.5, containerd 1.7, runc 1.1
    "28": Recipe("28", "sid", "28.5."),  # docker.io 28.5.2, containerd 2.1, runc 1.3
}


@dataclass(frozen=True)
class Engine:
    """A running inner engine, as it reports itself."""

    version: str  # what was asked for: "26", "28"
    docker_host: str
    engine: str  # e.g. "28.5.2+dfsg3"
    api: str
    containerd: str
    runc: str
    storage: str
    container: str
    image: str
    seconds: float = 0.0  # how long start() took
    started: bool = True  # False: it was already running, start() only found it


def recipe(version: str | int) -> Recipe:
    """The recipe for ``version`` (``28``, ``"28"``, ``"v28"``, ``"28.5"``)."""
    wanted = str(version).strip().lower().removeprefix("v").split(".")[0]
    try:
        return RECIPES[wanted]
    except KeyError:
        raise EngineError(
            f"No Docker Engine {version!r} to start: ClusterLab can start "
            f"{' or '.join(RECIPES)} (Debian's docker.io in "
            f"{' and '.join(r.release for r in RECIPES.values())}).",
            f"Pick one: `clusterlab engine start {max(RECIPES)}` "
            f"(or {min(RECIPES)}).") from None


def current(docker_host: str | None = None) -> Recipe | None:
    """The engine ``docker_host`` (default: ``$DOCKER_HOST``) names, if it is one of ours."""
    wanted = os.environ.get("DOCKER_HOST", "") if docker_host is None else docker_host
    return next((item for item in RECIPES.values() if item.docker_host == wanted), None)


def host_path_text(version: str | int, path: Path) -> str:
    """A file as the inner engine's host sees it (the engine container's), e.g. the
    ``/etc/resolv.conf`` dockerd copies search lines from."""
    found = _container(recipe(version).name)
    if found is None:
        raise EngineError(f"Docker {recipe(version).version} is not running.")
    done = found.exec_run(["cat", str(path)])
    if done.exit_code != 0:
        raise EngineError(f"{path} in {found.name}: {done.output.decode(errors='replace')}")
    return done.output.decode()


def write_host_path(version: str | int, path: Path, text: str) -> None:
    """Replace a file of the inner engine's host (the engine container's) in place."""
    found = _container(recipe(version).name)
    if found is None:
        raise EngineError(f"Docker {recipe(version).version} is not running.")
    done = found.exec_run(["sh", "-c", 'printf %s "$TEXT" > "$TARGET"'],
                          environment={"TEXT": text, "TARGET": str(path)})
    if done.exit_code != 0:
        raise EngineError(f"{path} in {found.name}: {done.output.decode(errors='replace')}")


def _ours(docker_host: str) -> bool:
    return docker_host.startswith(f"unix://{RUN_DIR}/engine-")


@functools.cache
def host_client() -> docker.DockerClient:
    """The engine engines run on: the environment's, unless ``DOCKER_HOST`` names one of
    our own inner engines (a shell that exported it), which must not nest engines."""
    env = dict(os.environ)
    if _ours(env.get("DOCKER_HOST", "")):
        env.pop("DOCKER_HOST")
    try:
        client = docker.from_env(timeout=300, environment=env)
        client.ping()
    except docker.errors.DockerException as exc:
        raise DockerUnavailable(f"Cannot reach the host's Docker daemon ({exc}).") from exc
    return client


def client(version: str | int, timeout: int = 300) -> docker.DockerClient:
    """A client of the inner engine ``version`` (it must be running)."""
    return docker.DockerClient(base_url=recipe(version).docker_host, timeout=timeout)


def host_has(ref: str) -> bool:
    """Whether the host's engine (where engines run) has image ``ref``."""
    return _image_id(ref) is not None


def _image_id(ref: str) -> str | None:
    try:
        return host_client().images.get(ref).id
    except docker.errors.ImageNotFound:
        return None


def bootstrap_argv(chosen: Recipe, out: Path, mmdebstrap: str = "mmdebstrap") -> list[str]:
    """One mmdebstrap run: Debian's docker.io of ``chosen.release``, as a rootfs tarball."""
    hooks = [f"--hook-dir={_MERGED_USR}"] if _MERGED_USR.is_dir() else []
    return [mmdebstrap, _VARIANT, f"--include={','.join(_PACKAGES)}", *hooks,
            *(f"--dpkgopt={opt}" for opt in _DPKG),
            chosen.release, str(out), image.mirror_for(chosen.release)]


def ensure_engine_image(version: str | int, progress: Progress = say) -> str:
    """The engine image's tag, bootstrapped and imported on first use (minutes), else as is."""
    chosen = recipe(version)
    tag = chosen.tag()
    if _image_id(tag):
        return tag
    mmdebstrap = shutil.which("mmdebstrap")
    if not mmdebstrap:
        raise EngineError(
            f"mmdebstrap is needed to make Docker {chosen.version}'s root filesystem "
            f"offline (Debian {chosen.release}'s docker.io).",
            "Install it: `sudo apt-get install -y mmdebstrap`.")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="clusterlab-engine-") as tmp:
        out = Path(tmp) / "rootfs.tar"
        progress(f"mmdebstrap: Debian {chosen.release} with {', '.join(_PACKAGES)} …")
        image._stream(bootstrap_argv(chosen, out, mmdebstrap), progress)
        progress(f"docker import as {tag} …")
        repository, label = tag.split(":", 1)
        host_client().api.import_image(
            src=str(out), repository=repository, tag=label,
            changes=[f'LABEL {LABEL}="{chosen.version}" '
                     f'{RECIPE_LABEL}="{chosen.release} {" ".join(_PACKAGES)}"'])
    progress(f"engine image {tag} ready in {time.monotonic() - started:.0f} s")
    return tag


# The engine container's command (sh -c). Inputs come as environment variables, so the
# image never needs a rebuild when this changes.
_START = r"""
set -eu
# runc and dockerd read this to know they are in a container (AppArmor is left alone).
export container=docker
# What --privileged would give: /sys and the cgroup mounts writable (bind-remounted: a
# cgroup v1 hierarchy's superblock is the host's, only this mount's flag changes).
mount -o remount,rw /sys
for cgroup in $(awk '$3 == "cgroup" || $3 == "cgroup2" { print $2 }' /proc/mounts); do
  mount -o remount,bind,rw "$cgroup"
done
if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
  # cgroup v2: a cgroup with processes can't delegate controllers; move ours to a leaf.
  mkdir -p /sys/fs/cgroup/engine
  xargs -rn1 < /sys/fs/cgroup/cgroup.procs > /sys/fs/cgroup/engine/cgroup.procs 2>/dev/null || :
  sed -e 's/ / +/g' -e 's/^/+/' < /sys/fs/cgroup/cgroup.controllers \
    > /sys/fs/cgroup/cgroup.subtree_control
fi
mkdir -p "$ENGINE_SOCKET_DIR"
rm -f "$ENGINE_SOCKET_DIR/docker.sock" /var/run/docker.pid
set -- --host="unix://$ENGINE_SOCKET_DIR/docker.sock" --host=unix:///var/run/docker.sock \
  --data-root=/var/lib/docker --storage-driver="$ENGINE_STORAGE"
[ -z "${ENGINE_SOCKET_GID:-}" ] || set -- "$@" --group="$ENGINE_SOCKET_GID"
exec dockerd "$@"
"""


# Capabilities 0-37, in bit order: every engine since Docker 20.10 knows these names (the
# newer PERFMON, BPF and CHECKPOINT_RESTORE are refused by some, and CAP_SYS_ADMIN covers
# what dockerd needs of them).
_CAPABILITIES = (
    "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID",
    "SETUID", "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST",
    "NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO",
    "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT", "SYS_ADMIN", "SYS_BOOT", "SYS_NICE",
    "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE",
    "AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM",
    "BLOCK_SUSPEND", "AUDIT_READ")


def capabilities(status: Path = Path("/proc/self/status")) -> list[str]:
    """Every capability this machine can grant: those of ``_CAPABILITIES`` in the bounding
    set (read here: the engine is on this machine, or its socket would not be ours)."""
    bounding = int(re.search(r"^CapBnd:\s*([0-9a-f]+)$", status.read_text(), re.M)[1], 16)
    return [name for bit, name in enumerate(_CAPABILITIES) if bounding >> bit & 1]


def _socket_gid() -> str:
    """The host's docker group, so its members reach the inner socket as they reach the
    host's (the inner rootfs has its own /etc/group: a name would mean another group)."""
    try:
        return str(grp.getgrnam("docker").gr_gid)
    except KeyError:
        return ""


def _container(name: str) -> Container | None:
    try:
        return host_client().containers.get(name)
    except docker.errors.NotFound:
        return None


def start(version: str | int, progress: Progress = say, *, storage: str = STORAGE,
          timeout: float = 90, share: tuple[Path, ...] = ()) -> Engine:
    """Start Docker ``version`` (``26`` or ``28``), or find it running; its ``docker_host``
    is what to export as ``DOCKER_HOST``. The first start bootstraps its image (minutes).
    ``share``: more host folders that labs bind-mount files from (read-write)."""
    chosen = recipe(version)
    began = time.monotonic()
    found = _container(chosen.name)
    if found is not None and found.status == "running":
        mounted = found.labels.get(LABS_LABEL, "")
        if mounted and mounted != str(labs_dir()):
            raise EngineError(
                f"Docker {chosen.version} runs for another checkout: it mounts {mounted}, "
                f"and the labs of {labs_dir()} would bind-mount files it cannot see.",
                f"Stop it first (`clusterlab engine stop {chosen.version}`: its labs go "
                "with it), then start it from here.")
        with contextlib.suppress(docker.errors.DockerException, EngineError):
            return _describe(chosen, found, time.monotonic() - began, started=False)
    if found is not None:
        progress(f"removing {chosen.name}, left {found.status}")
        _remove(chosen)
    tag = ensure_engine_image(chosen.version, progress)
    labels = {LABEL: chosen.version}
    volume = host_client().volumes.create(chosen.name, labels=labels)
    labels = {**labels, LABS_LABEL: str(labs_dir())}
    shared = [Path(path).resolve() for path in (*SHARED_PATHS, *share)]
    if missing := [str(path) for path in shared if not path.is_dir()]:
        _remove(chosen)
        raise EngineError(f"No such folder to share with Docker {chosen.version}: "
                          f"{', '.join(missing)}.", "Share folders that exist.")
    mounts = {volume.name: {"bind": "/var/lib/docker", "mode": "rw"},
              str(RUN_DIR): {"bind": str(RUN_DIR), "mode": "rw"},
              **{str(path): {"bind": str(path), "mode": "rw"} for path in shared},
              str(labs_dir()): {"bind": str(labs_dir()), "mode": "ro"}}
    progress(f"starting Docker {chosen.version} ({tag}) in container {chosen.name} …")
    env = {"ENGINE_SOCKET_DIR": str(chosen.socket_dir), "ENGINE_STORAGE": storage,
           "ENGINE_SOCKET_GID": _socket_gid()}
    try:
        container = _run(tag, chosen, labels, mounts, env)
    except docker.errors.APIError as exc:
        _remove(chosen)
        raise EngineError(f"The host's engine could not start {chosen.name}: "
                          f"{exc.explanation or exc}") from exc
    try:
        inner = _wait_ready(chosen, container, timeout)
        described = _describe(chosen, container, time.monotonic() - began, inner=inner)
    except BaseException:
        _remove(chosen)
        raise
    if not described.engine.startswith(chosen.series):
        _remove(chosen)
        raise EngineError(f"{chosen.name} runs Docker {described.engine}, not "
                          f"{chosen.series}x: Debian {chosen.release} has moved on.",
                          f"Update RECIPES in {__name__} (and its tests).")
    return described


def _run(tag: str, chosen: Recipe, labels: dict[str, str], mounts: dict[str, dict[str, str]],
         env: dict[str, str]) -> Container:
    """Create and start the engine container. The low-level API, because "no masked or
    read-only /proc paths" (the CLI's ``--security-opt systempaths=unconfined``) is two
    host-config fields the SDK does not take as arguments."""
    api = host_client().api
    host_config = api.create_host_config(
        binds=mounts, cap_add=capabilities(), cgroupns="private", init=True,
        network_mode="bridge",
        security_opt=["seccomp=unconfined", "apparmor=unconfined", "label=disable"])
    host_config.update(MaskedPaths=[], ReadonlyPaths=[])
    created = api.create_container(tag, ["sh", "-c", _START], name=chosen.name,
                                   hostname=chosen.name, labels=labels, environment=env,
                                   host_config=host_config, detach=True)
    api.start(created["Id"])
    return host_client().containers.get(created["Id"])


def _wait_ready(chosen: Recipe, container: Container, timeout: float) -> docker.DockerClient:
    """Poll the socket until dockerd answers; if the container dies first, say why."""
    deadline = time.monotonic() + timeout
    while True:
        container.reload()
        if container.status != "running":
            raise EngineError(f"dockerd in {chosen.name} exited ({container.status}):\n    "
                              + _log_tail(container))
        if Path(chosen.socket_dir, "docker.sock").exists():
            with contextlib.suppress(docker.errors.DockerException):
                inner = client(chosen.version)
                inner.ping()
                return inner
        if time.monotonic() >= deadline:
            raise EngineError(f"dockerd in {chosen.name} did not answer on "
                              f"{chosen.docker_host} within {timeout:g} s:\n    "
                              + _log_tail(container))
        time.sleep(0.2)


def _log_tail(container: Container, lines: int = 12) -> str:
    with contextlib.suppress(docker.errors.DockerException):
        text = container.logs(tail=lines).decode(errors="replace").strip()
        return "\n    ".join(text.splitlines()) or "(no output)"
    return "(its log is gone)"


def _describe(chosen: Recipe, container: Container, seconds: float, *,
              inner: docker.DockerClient | None = None, started: bool = True) -> Engine:
    inner = inner or client(chosen.version, timeout=10)
    report = inner.version()
    components = {item.get("Name", "").lower(): item.get("Version", "?")
                  for item in report.get("Components") or []}
    return Engine(version=chosen.version, docker_host=chosen.docker_host,
                  engine=report.get("Version", "?"), api=report.get("ApiVersion", "?"),
                  containerd=components.get("containerd", "?"),
                  runc=components.get("runc", "?"),
                  storage=inner.info().get("Driver", "?"), container=container.name,
                  image=(container.image.tags or [container.image.id])[0],
                  seconds=seconds, started=started)


def stop(version: str | int, *, purge: bool = False) -> bool:
    """Remove engine ``version``: its container (and so every container, network and
    image in it), its data volume and its socket folder. ``purge`` also removes its
    image (the next start bootstraps again). True if there was something to remove."""
    chosen = recipe(version)
    found = _remove(chosen)
    if purge:
        for item in host_client().images.list(filters={"label": f"{LABEL}={chosen.version}"}):
            for tag in item.tags:
                host_client().images.remove(tag)
            found = True
    return found


def _remove(chosen: Recipe) -> bool:
    found = False
    container = _container(chosen.name)
    if container is not None:
        found = True
        if container.status == "running":  # the socket folder is root's: empty it from inside
            with contextlib.suppress(docker.errors.APIError):
                container.exec_run(["rm", "-rf", str(chosen.socket_dir)])
        # SIGKILL: everything inside goes with its PID namespace, and its data with the
        # volume; a graceful stop would spend seconds stopping what is thrown away.
        container.remove(force=True)
    for volume in host_client().volumes.list(filters={"label": f"{LABEL}={chosen.version}"}):
        found = True
        volume.remove(force=True)
    with contextlib.suppress(OSError):  # a dead engine's socket, where we may
        (chosen.socket_dir / "docker.sock").unlink(missing_ok=True)
    for folder in (chosen.socket_dir, RUN_DIR):  # leave /run as found, where we may
        with contextlib.suppress(OSError):
            folder.rmdir()
    return found


def running() -> list[Engine]:
    """The engines running now, each as it reports itself."""
    found = []
    for container in host_client().containers.list(filters={"label": LABEL}):
        chosen = RECIPES.get(container.labels.get(LABEL, ""))
        if chosen is None or container.name != chosen.name:
            continue
        with contextlib.suppress(docker.errors.DockerException):
            found.append(_describe(chosen, container, 0.0, started=False))
    return sorted(found, key=lambda item: item.version)


def load_image(version: str | int, tag: str, progress: Progress = say) -> float:
    """Copy ``tag`` from the host's engine into engine ``version`` (``docker save |
    docker load``, streamed: no temporary file, no rebuild); seconds it took, 0 if the
    inner engine already had that exact image."""
    inner = client(version)
    try:
        wanted = host_client().images.get(tag)
    except docker.errors.ImageNotFound:
        raise EngineError(f"The host's engine has no image {tag} to copy into Docker "
                          f"{recipe(version).version}.",
                          "Build it first: `clusterlab image build`.") from None
    with contextlib.suppress(docker.errors.ImageNotFound):
        if inner.images.get(tag).id == wanted.id:
            return 0.0
    started = time.monotonic()
    progress(f"docker save {tag} | docker load (Docker {recipe(version).version}) …")
    lines = inner.api.load_image(_chunks(wanted), quiet=True)
    errors = [line["error"] for line in lines if isinstance(line, dict) and "error" in line]
    if errors:
        raise EngineError(f"Docker {recipe(version).version} could not load {tag}: "
                          f"{errors[0]}")
    if inner.images.get(tag).id != wanted.id:
        raise EngineError(f"{tag} loaded into Docker {recipe(version).version} with another "
                          "image ID than the host's: the copy is not the same image.")
    return time.monotonic() - started


def _chunks(item: Any) -> Iterator[bytes]:
    yield from item.save(named=True)


def netns(version: str | int) -> Path:
    """The engine container's network namespace: the inner engine's "host" network, where
    the ports its labs publish on ``127.0.0.1`` listen."""
    container = _container(recipe(version).name)
    if container is None or container.status != "running":
        raise EngineError(f"Docker {recipe(version).version} is not running.",
                          f"Start it: `clusterlab engine start {recipe(version).version}`.")
    return Path(f"/proc/{container.attrs['State']['Pid']}/ns/net")


def run_argv(version: str | int, argv: list[str]) -> tuple[list[str], dict[str, str]]:
    """``argv`` as it runs against engine ``version``: with its ``DOCKER_HOST``, and, as
    root, inside its network namespace (``nsenter --net``), so that a lab's ports published
    on ``127.0.0.1`` are on this process's ``127.0.0.1``, as on a learner's host. Files,
    processes and the host's own socket stay the host's."""
    if not argv:
        raise EngineError("No command to run.", "Write it after `--`: "
                          "`clusterlab engine run 28 -- .venv/bin/pytest --nbmake notebooks`.")
    env = {**os.environ, "DOCKER_HOST": recipe(version).docker_host}
    nsenter = shutil.which("nsenter")
    if os.geteuid() != 0 or not nsenter:
        say(f"not entering Docker {recipe(version).version}'s network namespace (needs root "
            "and nsenter): ports its labs publish on 127.0.0.1 are not on this 127.0.0.1")
        return list(argv), env
    return [nsenter, f"--net={netns(version)}", "--", *argv], env


def memory_bytes(version: str | int) -> int:
    """The engine container's memory, page cache excluded (as ``docker stats`` shows it):
    dockerd, containerd and every container inside it."""
    container = _container(recipe(version).name)
    if container is None:
        raise EngineError(f"Docker {recipe(version).version} is not running.",
                          f"Start it: `clusterlab engine start {recipe(version).version}`.")
    stats = container.stats(stream=False).get("memory_stats") or {}
    detail = stats.get("stats") or {}
    cache = detail.get("total_inactive_file", detail.get("inactive_file", 0))
    return int(stats.get("usage", 0)) - int(cache)


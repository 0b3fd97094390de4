"""What Podman's Docker-compatible API does with what the lessons rely on: measured.

    .venv/bin/python bench/podman.py                # Debian trixie's podman (5.4)
    .venv/bin/python bench/podman.py --release sid  # sid's

Podman cannot be installed on this machine's engine host without touching its network
set-up, so it runs like the engines of ``clusterlab engine start``: Debian's ``podman``
(with netavark and aardvark-dns) bootstrapped offline with mmdebstrap, in a container of
the host's engine with its own network namespace, serving ``podman system service`` on a
unix socket in a host folder. The lab image is copied in (``docker save | podman load``
through the Docker API). Then, through the Docker SDK as a lab would: a user-defined
network, two containers on it, and what each lesson's premise needs: the resolver in
``/etc/resolv.conf``, a peer's service name, a name no network knows, the host's search
line, Swarm. Prints one line per fact; removes everything at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import docker
import docker.errors
from clusterlab.gates import engines, image
from clusterlab.progress import say

NAME = "clusterlab-podman-bench"
SOCKET_DIR = engines.RUN_DIR / "podman-bench"
_START = r"""
set -eu
mount -o remount,rw /sys
for cgroup in $(awk '$3 == "cgroup" || $3 == "cgroup2" { print $2 }' /proc/mounts); do
  mount -o remount,bind,rw "$cgroup"
done
mkdir -p "$SOCKET_DIR"
exec podman --log-level=warn system service --time=0 "unix://$SOCKET_DIR/podman.sock"
"""


PACKAGES = "podman,netavark,aardvark-dns,crun,conmon,nftables,iptables,ca-certificates"


def _rootfs_tag(release: str, host: docker.DockerClient) -> str:
    digest = hashlib.sha256(f"{release} {PACKAGES}".encode()).hexdigest()[:8]
    tag = f"clusterlab/podman-bench:{release}-{digest}"
    with contextlib.suppress(docker.errors.ImageNotFound):
        host.images.get(tag)
        return tag
    with tempfile.TemporaryDirectory(prefix="clusterlab-podman-") as tmp:
        out = Path(tmp) / "rootfs.tar"
        argv = [shutil.which("mmdebstrap") or "mmdebstrap", "--variant=minbase",
                f"--include={PACKAGES}",
                "--dpkgopt=force-unsafe-io", release, str(out), image.mirror_for(release)]
        say(f"mmdebstrap {release} podman …")
        subprocess.run(argv, check=True, capture_output=True)
        repository, label = tag.split(":")
        host.api.import_image(src=str(out), repository=repository, tag=label)
    return tag


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--release", default="trixie")
    args = parser.parse_args()
    host = engines.host_client()
    lab_tag = image.ensure_image(progress=say).tag
    tag = _rootfs_tag(args.release, host)
    with contextlib.suppress(docker.errors.NotFound):
        host.containers.get(NAME).remove(force=True)
    SOCKET_DIR.mkdir(parents=True, exist_ok=True)
    api = host.api
    volume = host.volumes.create(NAME)  # its storage: overlay needs a real folder under it
    config = api.create_host_config(
        binds={str(engines.RUN_DIR): {"bind": str(engines.RUN_DIR), "mode": "rw"},
               volume.name: {"bind": "/var/lib/containers", "mode": "rw"}},
        cap_add=engines.capabilities(), cgroupns="private", init=True,
        network_mode="bridge", devices=["/dev/fuse"] if Path("/dev/fuse").exists() else [],
        security_opt=["seccomp=unconfined", "apparmor=unconfined", "label=disable"])
    config.update(MaskedPaths=[], ReadonlyPaths=[])
    created = api.create_container(tag, ["sh", "-c", _START], name=NAME, host_config=config,
                                   environment={"SOCKET_DIR": str(SOCKET_DIR)}, detach=True)
    api.start(created["Id"])
    facts: list[tuple[str, str]] = []
    try:
        socket = SOCKET_DIR / "podman.sock"
        deadline = time.monotonic() + 60
        while not socket.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        inner = docker.DockerClient(base_url=f"unix://{socket}", timeout=300)
        report = inner.version()
        facts.append(("/version components", ", ".join(
            f"{c.get('Name')} {c.get('Version')}" for c in report.get("Components") or [])))
        started = time.monotonic()
        inner.api.load_image(host.images.get(lab_tag).save(named=True), quiet=True)
        facts.append(("lab image load (docker save | Docker API load)",
                      f"{time.monotonic() - started:.1f} s"))
        network = inner.networks.create("lan")

        def node(name: str, **extra: object):
            return inner.containers.run(lab_tag, ["sleep", "300"], entrypoint=[], name=name,
                                        hostname=name, network=network.name, detach=True,
                                        **extra)

        node("node-a")
        asker = node("node-b")

        def run(argv: list[str]) -> str:
            return asker.exec_run(argv).output.decode(errors="replace").strip()

        resolv = run(["cat", "/etc/resolv.conf"])
        facts.append(("resolv.conf on a user-defined network", " | ".join(resolv.splitlines())))
        facts.append(("nslookup node-a (the peer's name)", " | ".join(run(
            ["nslookup", "node-a"]).splitlines()[-3:])))
        facts.append(("nslookup no-such-node", " | ".join(run(
            ["nslookup", "no-such-node"]).splitlines()[-2:])))
        pinned = node("node-c", dns_search=["."])
        facts.append(("resolv.conf with dns_search: .", " | ".join(
            pinned.exec_run(["cat", "/etc/resolv.conf"]).output.decode().splitlines())))
        try:
            inner.swarm.init(advertise_addr="127.0.0.1")
            facts.append(("swarm init", "accepted"))
        except docker.errors.APIError as exc:
            facts.append(("swarm init", f"{exc.status_code}: {exc.explanation}"))
    except docker.errors.DockerException as exc:
        facts.append(("error", str(exc).splitlines()[0]))
    finally:
        logs = api.logs(created["Id"], tail=5).decode(errors="replace").strip()
        api.remove_container(created["Id"], force=True)
        volume.remove(force=True)
        with contextlib.suppress(OSError):
            (SOCKET_DIR / "podman.sock").unlink(missing_ok=True)
            SOCKET_DIR.rmdir()
            engines.RUN_DIR.rmdir()
    for what, value in facts:
        print(f"{what:48} {value}")
    if any(what == "error" for what, _ in facts):
        print("podman service log:", logs, sep="\n", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

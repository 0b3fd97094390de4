"""Engines on demand: Docker 28 started beside the host's engine, used, and removed.

A lab on the inner engine must behave as on a real Docker 28 (its version, its embedded
DNS at 127.0.0.11), and stopping it must leave the host exactly as found: the same
containers, networks and volumes, the same Swarm state, and the same firewall rules in
the host's network namespace (the inner engine writes its own into its container's).
``alone``: it compares the whole host engine and its iptables before and after, which
any other test's lab would change; the first run bootstraps the engine image (minutes).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from clusterlab.gates import engines, image
from clusterlab.progress import quiet

pytestmark = [pytest.mark.docker, pytest.mark.alone]

VERSION = "28"
_SAVES = ("iptables-save", "ip6tables-save", "iptables-legacy-save", "ip6tables-legacy-save")


def _firewall() -> dict[str, list[str]]:
    """Every table of the host's netns, rules only: comments (dates) and counters dropped."""
    rules = {}
    for save in _SAVES:
        if not shutil.which(save):
            continue
        text = subprocess.run([save], capture_output=True, text=True, check=True).stdout
        rules[save] = [re.sub(r"\[\d+:\d+\]", "[-]", line) for line in text.splitlines()
                       if line and not line.startswith("#")]
    return rules


def _host_state() -> dict[str, object]:
    api = engines.host_client().api
    info = api.info()
    return {
        "containers": sorted((row["Id"], tuple(row["Names"])) for row in api.containers(all=True)),
        "networks": sorted((row["Id"], row["Name"]) for row in api.networks()),
        "volumes": sorted(row["Name"] for row in api.volumes().get("Volumes") or []),
        "swarm": (info["Swarm"].get("LocalNodeState"), info["Swarm"].get("NodeID")),
        "firewall": _firewall(),
        "run dir": engines.RUN_DIR.exists(),
    }


def _cli(*argv: str) -> subprocess.CompletedProcess[str]:
    return _cli_env({}, *argv)


def _cli_env(extra: dict[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key != "DOCKER_HOST"} | extra
    return subprocess.run([sys.executable, "-m", "clusterlab.cli", *argv], env=env,
                          capture_output=True, text=True, timeout=1800)


@pytest.fixture
def docker_28() -> Iterator[tuple[str, dict[str, object]]]:
    """Docker 28 started through the CLI, stopped through it (even on failure), and the
    host's state from before the start."""
    chosen = engines.recipe(VERSION)
    if not shutil.which("mmdebstrap") and not engines._image_id(chosen.tag()):
        pytest.skip("no engine image and no mmdebstrap to make one "
                    "(`sudo apt-get install -y mmdebstrap`)")
    lab_image = image.ensure_image(progress=quiet).tag
    if engines._container(chosen.name) is not None:
        pytest.fail(f"{chosen.name} already exists: someone is using Docker {VERSION}; "
                    "this test needs the host to itself")
    before = _host_state()
    started = _cli("engine", "start", VERSION)
    try:
        assert started.returncode == 0, started.stderr
        yield started.stdout.splitlines()[-1], before | {"lab image": lab_image}
    finally:
        stopped = _cli("engine", "stop", VERSION)
        assert stopped.returncode == 0, stopped.stderr


def test_docker_28_runs_a_lab_and_leaves_the_host_as_found(docker_28) -> None:
    last, before = docker_28
    chosen = engines.recipe(VERSION)
    assert last == f"export DOCKER_HOST={chosen.docker_host}", last
    host = last.split("=", 1)[1]

    version = subprocess.run(["docker", "version", "--format", "{{.Server.Version}}"],
                             env={**os.environ, "DOCKER_HOST": host}, capture_output=True,
                             text=True, check=True).stdout.strip()
    assert version.startswith("28.5."), version
    [found] = [item for item in engines.running() if item.version == VERSION]
    assert found.containerd.startswith("2.1.") and found.runc.startswith("1.3."), found
    assert found.storage == engines.STORAGE, found

    tag = str(before["lab image"])
    engines.load_image(VERSION, tag, quiet)
    inner = engines.client(VERSION)
    network = inner.networks.create("cl-engines-lan", labels={engines.LABEL: VERSION})

    def node(name: str):
        return inner.containers.run(tag, ["sleep", "120"], entrypoint=[], name=name,
                                    hostname=name, network=network.name, detach=True)

    node("node-a")
    asker = node("node-b")
    answer = asker.exec_run(["nslookup", "node-a"]).output.decode()
    assert "127.0.0.11" in answer and "NXDOMAIN" not in answer, answer
    assert "Address" in answer.split("Name:")[-1], answer
    resolv = asker.exec_run(["cat", "/etc/resolv.conf"]).output.decode()
    assert "nameserver 127.0.0.11" in resolv.splitlines(), resolv
    # A name no network knows is NXDOMAIN, as on a real engine (lesson 1 asserts it): the
    # embedded DNS reached the host's resolver, not SERVFAIL from a netns without one.
    unknown = asker.exec_run(["nslookup", "no-such-node"]).output.decode()
    assert "NXDOMAIN" in unknown, unknown

    # A port published on 127.0.0.1 (as lesson 6 publishes EPMD) is on the engine's
    # loopback: `clusterlab engine run` reaches it, the host's own 127.0.0.1 does not.
    listener = inner.containers.run(
        tag, ["epmd"], entrypoint=[], name="node-epmd",
        network=network.name, ports={"4369/tcp": ("127.0.0.1", None)}, detach=True)
    listener.reload()
    port = int(listener.attrs["NetworkSettings"]["Ports"]["4369/tcp"][0]["HostPort"])
    reach = ("import socket, sys, time\n"
             "for _ in range(50):\n"
             "    try: socket.create_connection(('127.0.0.1', int(sys.argv[1])), 1).close()\n"
             "    except OSError as e: err = e; time.sleep(0.1); continue\n"
             "    sys.exit(0)\n"
             "sys.exit(str(err))\n")
    inside = _cli("engine", "run", VERSION, "--", sys.executable, "-c", reach, str(port))
    assert inside.returncode == 0, inside.stderr
    outside = subprocess.run([sys.executable, "-c", reach.replace("range(50)", "range(1)"),
                              str(port)], capture_output=True, text=True, check=False)
    assert outside.returncode != 0 and "refused" in outside.stderr, outside

    # Another checkout's start is refused while this one's engine runs (its labs would
    # bind-mount files the engine cannot see), and the engine is left running.
    other = _cli_env({"CLUSTERLAB_LABS": "/nonexistent-checkout/labs"},
                     "engine", "start", VERSION)
    assert other.returncode != 0 and "another checkout" in other.stderr, other.stderr
    assert "Traceback" not in other.stderr
    assert [item.version for item in engines.running()] == [VERSION]

    # The inner engine's rules for its network are in its own netns, not the host's.
    bridge = f"br-{network.id[:12]}"
    outer = engines.host_client().containers.get(chosen.name)
    assert bridge in outer.exec_run(["iptables-save"]).output.decode()
    assert not any(bridge in line for rules in _firewall().values() for line in rules)

    # Stopped here through the CLI (the fixture's own stop is then a no-op), then compared.
    engine_id = outer.id
    stopped = _cli("engine", "stop", VERSION)
    assert stopped.returncode == 0, stopped.stderr
    after = _host_state()
    for key in ("containers", "networks", "volumes", "swarm", "run dir"):
        assert after[key] == before[key], key
    assert after["firewall"] == before["firewall"]
    cgroups = [path for path in Path("/sys/fs/cgroup").glob(f"*/docker/{engine_id}")]
    assert not cgroups, f"cgroups left behind: {cgroups}"
    mounts = Path("/proc/self/mountinfo").read_text()
    assert chosen.name not in mounts and str(engines.RUN_DIR) not in mounts

"""Lesson 7 on the real engine: what the notebook does not already prove. endpoint_mode
dnsrr, cleanup on error and by ``clean`` (Swarm mode left as found), a Compose lab beside
a Swarm lab keeping its DNS names (the leave waits), exercise 07's verdicts, and the engine
reached over TCP instead of its socket (a remote engine)."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import clusterlab as cl
import pytest
from clusterlab import catalogue
from clusterlab.gates import engine, swarm
from clusterlab.lab import registry
from clusterlab.lab.swarm import SwarmLab
from clusterlab.progress import quiet
from clusterlab.workshop.exercise import exercise

from tests.exercise_files import check_edited

pytestmark = pytest.mark.docker
ROOT = Path(__file__).resolve().parent.parent


def _gone(project: str) -> bool:
    return not (registry.exists(project) or engine.labelled("networks", project)
                or engine.labelled("containers", project))


def test_dnsrr_service_name_answers_every_task_and_the_mesh_forms():
    before = swarm.settled()
    with SwarmLab.create("07", "dnsrr", progress=quiet).up() as lab:
        snap = lab.timeline(lambda s: s.is_full_mesh(), timeout=30, names=["app"])[-1]
        ips = {m.networks[lab.network("net")] for m in snap.members}
        spec = engine.client().api.inspect_service(lab.service_name("app"))
        assert spec["Spec"]["EndpointSpec"]["Mode"] == "dnsrr"
        assert not spec["Endpoint"].get("VirtualIPs")           # no VIP at all
        assert len(ips) == 3
        assert all(set(m.dns["app"].addresses) == ips for m in snap.members)
        project = lab.project
    assert _gone(project)
    assert swarm.left_as_found(before)


def test_an_error_inside_the_lab_removes_it_and_clean_finds_a_detached_one():
    before = swarm.settled()
    with pytest.raises(RuntimeError), SwarmLab.create("07", "vip", progress=quiet) as lab:
        failed = lab.project
        assert registry.exists(failed)
        raise RuntimeError("the learner's cell failed")
    assert _gone(failed)
    detached = SwarmLab.create("07", "vip", detached=True, progress=quiet).up(wait=False)
    assert detached.project in registry.projects()             # found by its labels
    assert registry.clean(detached.project)[detached.project] >= 2   # service, network, …
    assert _gone(detached.project)
    assert not swarm.services(detached.project)
    registry.leave_swarm_if_last()
    assert swarm.left_as_found(before)


def _names_answer(lab: cl.Lab) -> dict[str, str]:
    """What Docker's DNS answers n1 for its peers' names (``getent hosts``: libc asks the
    engine every time; a VM's ``inet_res`` would answer from its own cache for the TTL)."""
    container = lab.container("n1")
    return {name: engine.exec_in(container, ["getent", "hosts", name]).output.split(" ")[0]
            for name in ("n2", "n3")}   # its own name is in its /etc/hosts


@pytest.fixture
def no_swarm():
    """These tests are about the swarm ClusterLab makes and leaves: the engine must be in
    none, and no other lab may run beside them (marker ``alone``)."""
    if swarm.state().local_state != "inactive":
        pytest.skip("the engine is in Swarm mode already: ClusterLab never leaves that one")
    yield
    registry.leave_swarm_if_last()


@pytest.mark.alone
def test_the_engine_erases_every_bridge_name_when_a_swarm_is_left(no_swarm):
    """The engine fact behind the guarded leave (moby/moby#45144): leaving Swarm mode
    wipes the embedded DNS records of every network, so a running Compose lab's names
    answer NXDOMAIN. If a Docker release fixes it, this fails and the guard can go."""
    with cl.lab("00-setup", progress=quiet) as lab:
        before = _names_answer(lab)
        assert all(before.values()), before
        with swarm.locked():
            swarm.ensure_manager()
            assert _names_answer(lab) == before              # entering Swarm mode: harmless
            engine.client().swarm.leave(force=True)            # what the guard prevents
            swarm._remove_our_gwbridge()
        assert _names_answer(lab) == dict.fromkeys(before, ""), "the names still answer"


@pytest.mark.alone
def test_a_swarm_lab_ending_beside_a_compose_lab_keeps_its_names_and_leaves_after(no_swarm):
    """The guard: lesson 7 ending while a Compose lab runs keeps Swarm mode on (the
    Compose lab's names still answer), and the Compose lab's own end leaves it."""
    before = swarm.settled()
    said: list[str] = []
    with cl.lab("00-setup", progress=quiet) as compose_lab:
        names = _names_answer(compose_lab)
        with SwarmLab.create("07", "dnsrr", progress=said.append) as swarm_lab:
            assert swarm.state().ours
            swarm_project = swarm_lab.project
        assert _gone(swarm_project)
        assert swarm.state().ours and swarm.leave_pending()      # kept, and remembered
        assert any("moby/moby#45144" in line for line in said), said
        assert _names_answer(compose_lab) == names
        assert swarm.left_as_found(before)     # kept for a running lab: still "as found"
    assert not swarm.leave_pending()
    assert swarm.state() == before             # the Compose lab's end left the swarm


def test_exercise_07_untouched_fails_on_every_node_and_never_reaches_the_update():
    ex = exercise("07")
    report = check_edited(ex, None, file=ex.compose_file)
    assert not report.passed
    problems = report.problems
    assert sum(p.endswith("sees no nodes") for p in problems) == 3, problems
    assert "app was not updated: the criteria must hold before the fault step" in problems


# Wrong fixes written in the project's files: each leaves every node alone before the
# update, and the verdict says so in plain words.
DNSPOLL_VIP_07 = """import Config

config :libcluster,
  topologies: [
    dns_poll: [
      strategy: Cluster.Strategy.DNSPoll,
      config: [query: "app", node_basename: "app", polling_interval: 500]
    ]
  ]
"""


@pytest.mark.parametrize(("edits", "files"), [
    # libcluster's DNSPoll instead of dns_cluster: `app` is still the service's one VIP
    pytest.param([], {"config/runtime.exs": DNSPOLL_VIP_07}, id="dnspoll-on-the-vip"),
    # the right query, but the env.sh that names nodes by IP is gone: the release's
    # default short name, which no DNS-polling strategy can dial
    pytest.param([("DNS_CLUSTER_QUERY: app\n", "DNS_CLUSTER_QUERY: tasks.app\n")],
                 {"rel/env.sh.eex": None}, id="tasks-query-without-ip-names"),
])
def test_exercise_07_wrong_fixes_in_real_files_fail(tmp_path, edits, files):
    ex = exercise("07")
    report = check_edited(ex, tmp_path, edits, files=files)
    assert not report.passed
    assert sum(p.endswith("sees no nodes") for p in report.problems) == 3, report.problems


def test_exercise_07_dnsrr_fix_passes_through_the_rolling_update(tmp_path):
    ex = exercise("07")
    report = check_edited(ex, tmp_path, [
        ("      replicas: 3\n", "      replicas: 3\n      endpoint_mode: dnsrr\n")])
    assert report.passed, report.render()
    assert any("rolling update" in r.criterion and r.passed for r in report.results)
    assert any("after the rolling update" in r.title and r.passed for r in report.results)


@pytest.fixture
def engine_over_tcp() -> Iterator[str]:
    """The engine's socket forwarded to a TCP port on 127.0.0.1: what a remote engine
    (``DOCKER_HOST=tcp://…``, ``ssh://…``, a context) looks like to ClusterLab."""
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    path = (os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock")
    if not path.startswith("unix://"):
        pytest.skip("the engine is not on a local socket")
    stop = threading.Event()

    def pipe(a: socket.socket, b: socket.socket) -> None:
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass
        finally:
            for s in (a, b):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def serve() -> None:
        server.settimeout(0.5)
        while not stop.is_set():
            try:
                client, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            upstream = socket.socket(socket.AF_UNIX)
            upstream.connect(path.removeprefix("unix://"))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=pipe, args=(a, b), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"tcp://127.0.0.1:{port}"
    stop.set()
    server.close()
    thread.join(5)


SCRIPT = """
import clusterlab as cl
from clusterlab.progress import quiet
with cl.lab("07", "tasks", progress=quiet) as lab:
    snap = lab.timeline(lambda s: s.is_full_mesh(), timeout=60, names=["tasks.app"])[-1]
    print("MESH", len(snap.members), lab.project)
"""


def test_a_remote_engine_through_docker_host(engine_over_tcp):
    """Everything the lab does (SDK, `docker stack deploy`, probes) goes through DOCKER_HOST."""
    before = swarm.settled()
    env = {**os.environ, "DOCKER_HOST": engine_over_tcp, "DOCKER_CONTEXT": ""}
    env.pop("DOCKER_CONTEXT")
    done = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True,
                          text=True, timeout=240, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    line = next(ln for ln in done.stdout.splitlines() if ln.startswith("MESH"))
    _, members, project = line.split()
    assert members == "3"
    assert _gone(project)
    assert swarm.left_as_found(before)


def test_the_lessons_stacks_are_all_known():
    assert {"vip", "tasks", "dnsrr", "tasks-dnspoll", "exercise"} == set(
        catalogue.get("07").stacks)


HABITS = """
services:
  app:
    image: ${CLUSTERLAB_IMAGE:?}
    container_name: app-node
    hostname: app.lab
    depends_on: [db]
    networks: [net]
    environment: {RELEASE_COOKIE: "${ERL_COOKIE:?}"}
    deploy: {replicas: 2}
  db:
    image: ${CLUSTERLAB_IMAGE:?}
    networks: [net]
    environment: {RELEASE_COOKIE: "${ERL_COOKIE:?}"}
networks:
  net: {driver: overlay}
"""


def test_compose_habits_swarm_ignores_or_refuses(tmp_path):
    """container_name and depends_on are ignored (said once, at deploy); a plain hostname
    is the same in every replica; a container outside the stack can't join its network."""
    file = tmp_path / "stack.yaml"
    file.write_text(HABITS)
    with SwarmLab.create("07", "habits", compose_file=file, progress=quiet).up() as lab:
        # container_name is ignored with a warning; depends_on is ignored silently
        assert "container_name: Setting the container name is not supported" in lab.deployed
        assert "depends_on" not in lab.deployed
        names = [c.name for c in lab.containers()]
        assert "app-node" not in names and len(names) == 3
        assert all(n.startswith(f"{lab.project}_") for n in names)
        hostnames = {c.attrs["Config"]["Hostname"] for c in lab.containers()
                     if engine.service_of(c) == "app"}
        assert hostnames == {"app.lab"}                  # two replicas, one hostname
        outsider = engine.client().containers.create(
            lab.containers()[0].image.id, "true", network=lab.network("net"),
            labels={engine.LABEL: lab.project})
        try:
            with pytest.raises(Exception, match="not manually attachable"):
                outsider.start()
        finally:
            outsider.remove(force=True)

"""The lab lifecycle on the real engine: up, two at once, down, crash and clean."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap

import clusterlab as cl
import pytest
from clusterlab.errors import ClusterLabError, ComposeFileError, InvalidNodeName, PortInUse
from clusterlab.gates import engine
from clusterlab.lab import registry
from clusterlab.progress import quiet

pytestmark = pytest.mark.docker


def labelled(project: str) -> dict[str, int]:
    return {"containers": len(engine.labelled("containers", project)),
            "networks": len(engine.labelled("networks", project)),
            "volumes": len(engine.labelled("volumes", project))}


NOTHING = {"containers": 0, "networks": 0, "volumes": 0}


def test_two_labs_of_one_lesson_run_at_once_and_leave_nothing():
    first = cl.lab("00-setup", progress=quiet)
    second = cl.lab("00-setup", progress=quiet)
    with first, second:
        assert first.project != second.project
        for lab in (first, second):
            # Ready means distribution is up; the mesh forms within the 500 ms retry after.
            snap = lab.timeline(lambda s: s.is_full_mesh(), timeout=10)[-1]
            assert {m.node for m in snap.nodes} == {"app@n1.lab", "app@n2.lab", "app@n3.lab"}
        assert labelled(first.project)["containers"] == 3
        inspect = first.container("n1").attrs
        assert inspect["Config"]["User"] == "app", "containers must not run as root"
        assert not any(inspect["NetworkSettings"]["Ports"].values()), "nothing is published"
    assert labelled(first.project) == labelled(second.project) == NOTHING


def test_an_exception_inside_the_with_block_still_cleans_up():
    lab = cl.lab("00-setup", progress=quiet)
    with pytest.raises(RuntimeError), lab:
        raise RuntimeError("boom")
    assert labelled(lab.project) == NOTHING


def test_a_killed_process_leaves_a_lab_that_clean_removes(tmp_path):
    script = textwrap.dedent("""
        import clusterlab as cl, sys
        from clusterlab.progress import quiet
        lab = cl.start("00-setup", progress=quiet)
        print(lab.project, flush=True)
        sys.stdin.read()
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    project = proc.stdout.readline().strip()
    assert project and labelled(project)["containers"] == 3
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert labelled(project)["containers"] == 3, "SIGKILL gives no chance to clean up"
    done = subprocess.run([sys.executable, "-m", "clusterlab.cli", "clean", "--project", project],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert labelled(project) == NOTHING


def test_the_next_lab_reaps_labs_whose_owner_died():
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent("""
        import os, clusterlab as cl
        from clusterlab.progress import quiet
        lab = cl.start("00-setup", progress=quiet)
        print(lab.project, flush=True)
        os._exit(0)  # no atexit: like a kernel that was killed
    """)], capture_output=True, text=True)
    project = proc.stdout.strip()
    assert labelled(project)["containers"] == 3
    assert project in registry.reap_orphans()
    assert labelled(project) == NOTHING


def test_cli_up_probe_graph_down(tmp_path):
    def clusterlab(*args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "clusterlab.cli", *args],
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return done.stdout

    up = clusterlab("up", "01-compose-networks", "--variant", "broken")
    project = up.split()[1]
    try:
        assert "…" in up and "cookie" in up
        probe = clusterlab("probe", "--project", project, "--names", "minio,user_svc")
        assert "network islands: client_svc, email_svc, image_svc, job_svc, user_svc | " \
               "jaeger, minio" in probe
        assert "NXDOMAIN" in probe
        out = tmp_path / "g.png"
        clusterlab("graph", "--project", project, "-o", str(out))
        assert out.read_bytes()[:4] == b"\x89PNG"
    finally:
        clusterlab("down", "--project", project)
    assert labelled(project) == NOTHING


def test_a_port_in_use_is_named(tmp_path):
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    port = holder.getsockname()[1]
    compose = tmp_path / "compose.yaml"
    compose.write_text(textwrap.dedent(f"""
        services:
          web:
            image: ${{CLUSTERLAB_IMAGE}}
            environment: {{RELEASE_DISTRIBUTION: none, HTTP_PORT: "9000"}}
            ports: ["127.0.0.1:{port}:9000"]
    """))
    lab = cl.lab("00-setup", compose_file=compose, progress=quiet)
    try:
        with pytest.raises(PortInUse) as err:
            lab.up()
        assert str(port) in str(err.value) and "already" in str(err.value)
    finally:
        holder.close()
    assert labelled(lab.project) == NOTHING


def test_bad_input_is_refused_before_anything_starts(tmp_path):
    bad_name = tmp_path / "names.yaml"
    bad_name.write_text("services:\n  a:\n    image: x\n    environment:\n"
                        "      RELEASE_NODE: 'my app@host.x'\n")
    lab = cl.lab("00-setup", compose_file=bad_name, progress=quiet)
    with pytest.raises(InvalidNodeName, match=r"a: 'my app@host\.x'"):
        lab.up()
    epmd = tmp_path / "epmd.yaml"
    epmd.write_text("services:\n  a:\n    image: x\n    ports: ['4369:4369']\n")
    with pytest.raises(ComposeFileError, match="publishes EPMD"):
        cl.lab("00-setup", compose_file=epmd, progress=quiet).up()
    malformed = tmp_path / "bad.yaml"
    malformed.write_text("services: [\n")
    with pytest.raises(ClusterLabError, match="Compose rejected"):
        cl.lab("00-setup", compose_file=malformed, progress=quiet).up()
    assert labelled(lab.project) == NOTHING


def test_cached_image_check_is_fast():
    image = cl.ensure_image(quiet)
    again = cl.ensure_image(quiet)
    assert again.cached and again.tag == image.tag


def test_a_second_up_changes_nothing_and_the_service_name_still_answers():
    # A re-run cell, or `with lab.up() as lab`: placing the lab again gave its network a
    # new subnet and Compose reconnected every replica without the alias `app`, so the
    # service name answered NXDOMAIN (what made a 40-replica lab look like a DNS failure).
    lab = cl.lab("04", "replicas", progress=quiet)
    with lab.up() as same:
        assert same is lab
        (network,) = lab.containers()[0].attrs["NetworkSettings"]["Networks"]
        subnet = engine.client().networks.get(network).attrs["IPAM"]["Config"][0]["Subnet"]
        lab.up()
        assert engine.client().networks.get(network).attrs["IPAM"]["Config"][0]["Subnet"] == subnet
        for container in lab.containers():
            container.reload()
            assert "app" in container.attrs["NetworkSettings"]["Networks"][network]["Aliases"]
        assert len(lab.probe(["app"]).members[0].dns["app"].addresses) == 3
    assert labelled(lab.project) == NOTHING


def test_a_lab_too_big_for_the_kernel_neighbour_table_is_refused_before_it_starts(monkeypatch):
    from pathlib import Path

    from clusterlab.errors import NeighbourTableTooSmall
    from clusterlab.gates import system

    # The engine runs on this machine's kernel here: the limit is read, not guessed. The
    # kernel shows it only in the host's network namespace (it is global): in another
    # (`clusterlab engine run`) it cannot be read, and is None, as on a remote engine.
    limit = Path(system.NEIGHBOUR_LIMIT)
    assert system.neighbour_limit() == (int(limit.read_text()) if limit.exists() else None)
    monkeypatch.setattr(system, "neighbour_limit", lambda: 1024)  # a default host
    lab = cl.lab("04", "replicas", env={"REPLICAS": "40"}, progress=quiet)
    with pytest.raises(NeighbourTableTooSmall, match="1600 entries"):
        lab.up()
    assert labelled(lab.project) == NOTHING

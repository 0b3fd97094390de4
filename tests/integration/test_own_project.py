"""`clusterlab up --dir` on the real engine: a learner's own release (tests/projects/own_release,
a plain OTP release that does nothing for ClusterLab) is built by Compose, started as a lab,
probed with its own tools, broken, healed, diagnosed and removed without a trace.

Every wait is for a state (a probe's answer, a log line), never a delay."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import clusterlab as cl
import pytest
from clusterlab import cli
from clusterlab.gates import engine, image
from clusterlab.lab import registry
from clusterlab.model.snapshot import Snapshot
from clusterlab.progress import quiet

pytestmark = pytest.mark.docker

OWN = Path(__file__).parents[1] / "projects" / "own_release"
NODES = {f"app@n{i}.own.test" for i in (1, 2, 3)}


@pytest.fixture(scope="module")
def bases() -> dict[str, str]:
    """The Dockerfile's bases: Debian's slim images where they exist, else the lab's own
    offline bases (no registry here). Both carry Erlang only in the build stage's case."""
    return {"OWN_BASE": image.base_image(quiet), "OWN_RUNTIME": image.runtime_image(quiet)}


def labelled(project: str) -> dict[str, int]:
    return {kind: len(engine.labelled(kind, project))
            for kind in ("containers", "networks", "volumes")}


def peers(snapshot: Snapshot, service: str) -> set[str]:
    member = next(m for m in snapshot.members if m.service == service)
    return set(member.peers or ())


def doctor(project: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[dict]]:
    """The live doctor's verdict and findings, as `clusterlab doctor --project` prints them."""
    verdict = cli.main(["doctor", "--project", project, "--format", "json"])
    return verdict, json.loads(capsys.readouterr().out)["findings"]


@pytest.fixture
def own_lab(bases: dict[str, str]) -> Iterator[cl.Lab]:
    with cl.lab(dir=OWN, env=bases, progress=quiet) as lab:
        yield lab


def test_up_dir_builds_probes_diagnoses_and_down_leaves_nothing(
        bases: dict[str, str], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    for key, value in bases.items():
        monkeypatch.setenv(key, value)
    assert cli.main(["up", "--dir", str(OWN)]) == 0
    out = capsys.readouterr().out
    project = re.search(r"lab (\S+) is up", out).group(1)
    try:
        labels = registry.projects()[project]
        assert labels[registry.OWNER] == registry.DETACHED
        assert labels["io.clusterlab.source"] == str(OWN.resolve())
        lab = cl.Lab.attach(project)
        assert lab.title == "own_release · compose.yaml"
        snap = lab.timeline(lambda s: s.is_full_mesh(), timeout=30)[-1]
        assert {m.node for m in snap.nodes} == NODES
        assert all(answer.ok for m in snap.members for answer in m.dns.values())
        container = lab.container("n1").attrs
        assert container["Config"]["User"] == "own", "the release runs as its own user"
        assert not any(container["NetworkSettings"]["Ports"].values()), "nothing published"
        assert container["HostConfig"]["DnsSearch"] == ["."], "the lab pins the resolver"
        # the CLI's probe and the live doctor, as a learner runs them
        assert cli.main(["probe", "--project", project]) == 0
        printed = capsys.readouterr().out
        assert all(node in printed for node in NODES)
        # every node asked with the release's own erl_call (none on the PATH): a judged mesh
        verdict, findings = doctor(project, capsys)
        codes = {f["code"] for f in findings}
        assert not codes & {"CL703", "CL705", "CL706"}, findings
        assert [f for f in findings if f["severity"] == "error"] == [] and verdict == 0, findings
    finally:
        if registry.exists(project):
            assert cli.main(["down", "--project", project]) == 0
    assert labelled(project) == {"containers": 0, "networks": 0, "volumes": 0}


def test_a_wrong_cookie_is_seen_and_named(bases: dict[str, str],
                                          capsys: pytest.CaptureFixture[str]) -> None:
    with cl.lab(dir=OWN, compose_file="compose.wrong-cookie.yaml", env=bases,
                progress=quiet) as lab:
        # the state to wait for: n1 and n2 met, and n1 refused n3's attempt
        lab.timeline(lambda s: "app@n2.own.test" in peers(s, "n1"), timeout=30)
        lab.wait_for_log("n1", "rejected. Invalid challenge reply", timeout=30)
        snap = lab.probe()
        assert not snap.is_full_mesh()
        assert peers(snap, "n3") == set() and peers(snap, "n1") == {"app@n2.own.test"}
        assert [len(group) for group in cl.clusters(cl.to_graph(snap))] in ([2, 1], [1, 2])
        assert lab.cookie_digest("n1") == lab.cookie_digest("n2") != lab.cookie_digest("n3")
        verdict, findings = doctor(lab.project, capsys)
        [cookies] = [f for f in findings if f["code"] == "CL705"]
        assert set(cookies["services"]) == {"n1", "n2", "n3"}, cookies
        assert "2 different cookies" in cookies["message"], cookies
        assert "CL706" not in {f["code"] for f in findings} and verdict == 1, findings
        said = json.dumps(findings)
        assert "a-different-cookie" not in said and "own-release-shared-cookie" not in said
    assert labelled(lab.project) == {"containers": 0, "networks": 0, "volumes": 0}


def test_faults_split_the_mesh_and_healing_restores_it(own_lab: cl.Lab) -> None:
    lab = own_lab
    others = {"app@n1.own.test", "app@n2.own.test"}

    def cut_off(service: str, node: str):
        return lambda s: all(node not in peers(s, m.service) for m in s.members
                             if m.service != service and m.node)

    lab.timeline(lambda s: s.is_full_mesh(), timeout=30)
    # partition: n3 off the network; its own node still answers (through 127.0.0.1)
    lab.disconnect("n3")
    split = lab.timeline(cut_off("n3", "app@n3.own.test"), timeout=30)[-1]
    assert not split.is_full_mesh() and peers(split, "n1") == {"app@n2.own.test"}
    lab.timeline(lambda s: not peers(s, "n3"), timeout=30)
    lab.connect("n3")
    healed = lab.timeline(lambda s: s.is_full_mesh(), timeout=30)[-1]
    assert {m.node for m in healed.nodes} == NODES
    # pause: n2 frozen, its peers' tick timers drop it; thawed, it comes back
    lab.pause("n2")
    lab.timeline(cut_off("n2", "app@n2.own.test"), timeout=30)
    lab.unpause("n2")
    lab.timeline(lambda s: s.is_full_mesh(), timeout=30)
    # kill: n3's sockets close at once; `start` waits until its node is in EPMD again
    lab.kill("n3")
    gone = lab.timeline(cut_off("n3", "app@n3.own.test"), timeout=30)[-1]
    assert peers(gone, "n1") == {"app@n2.own.test"} and peers(gone, "n2") <= others
    lab.start("n3")
    lab.timeline(lambda s: s.is_full_mesh(), timeout=30)

"""`clusterlab up --dir` / `cl.start(dir=…)` without Docker: argument errors are one clear
line, the compose file is found as Compose finds it, and the release probe's output (recorded
from tests/projects/own_release, tests/integration/test_own_project.py) is read right."""

from __future__ import annotations

from pathlib import Path

import clusterlab as cl
import pytest
from clusterlab import cli
from clusterlab.errors import ClusterLabError, ComposeFileError
from clusterlab.lab import project
from clusterlab.observe.release_probe import parse_release

OWN = Path(__file__).parent / "projects" / "own_release"


def _fails(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("clusterlab: ") and "Traceback" not in err
    return err


def test_dir_without_a_compose_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = _fails(["up", "--dir", str(tmp_path)], capsys)
    assert f"{tmp_path} holds no compose file" in err and "compose.yaml" in err


def test_dir_that_does_not_exist(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert "no such folder" in _fails(["up", "--dir", str(tmp_path / "nope")], capsys)


def test_file_missing_in_dir(capsys: pytest.CaptureFixture[str]) -> None:
    err = _fails(["up", "--dir", str(OWN), "--file", "nope.yaml"], capsys)
    assert "nope.yaml: no such compose file" in err


@pytest.mark.parametrize("argv", [["up", "1", "--dir", str(OWN)],
                                  ["up", "--dir", str(OWN), "--variant", "broken"]])
def test_lesson_and_dir_together(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert "Give a lesson or --dir PATH, not both." in _fails(argv, capsys)


def test_neither_lesson_nor_dir(capsys: pytest.CaptureFixture[str]) -> None:
    assert "Which lab?" in _fails(["up"], capsys)


def test_notebook_api_refuses_the_same() -> None:
    with pytest.raises(ClusterLabError, match="not both"):
        cl.lab("01", dir=OWN)
    with pytest.raises(ClusterLabError, match="Which lab"):
        cl.start()
    with pytest.raises(ComposeFileError, match="holds no compose file"):
        cl.start(dir=OWN / "src")


def test_compose_file_found_as_compose_finds_it(tmp_path: Path) -> None:
    (tmp_path / "docker-compose.yml").write_text("services: {}\n")
    assert project.compose_file(tmp_path) == (tmp_path / "docker-compose.yml").resolve()
    (tmp_path / "compose.yaml").write_text("services: {}\n")
    assert project.compose_file(tmp_path).name == "compose.yaml"
    assert project.compose_file(tmp_path, "docker-compose.yml").name == "docker-compose.yml"


def test_lab_from_dir_is_a_lab_with_its_source() -> None:
    lab = cl.lab(dir=OWN, compose_file="compose.wrong-cookie.yaml")
    assert isinstance(lab, cl.Lab) and lab.lesson is None
    assert lab.source == OWN.resolve() and lab.project.startswith("clow-")
    assert lab.title == "own_release · compose.wrong-cookie.yaml"
    assert project.labels(lab.source) == {project.SOURCE: str(OWN.resolve()),
                                          "io.clusterlab.probe": "release"}
    assert project.labels(None) == {}


def test_built_images_get_one_stable_name_per_folder() -> None:
    name = project.image_name(OWN.resolve(), "n1")
    assert name == project.image_name(OWN.resolve(), "n1")
    assert name.startswith("clusterlab-own/own-release-") and name.endswith("-n1:latest")
    assert name != project.image_name(OWN.resolve().parent / "other" / "own_release", "n1")


# -- the release probe's output, recorded ---------------------------------------------------

PROBED = ("@@beam 1 /opt/own/erts-15.2.7/bin\n@@node name app@n1.own.test\n@@epmd 42009\n"
          "@@cookie bb6165f09463\n@@tool /opt/own/erts-15.2.7/bin/erl_call\n@@dns nslookup\n"
          "@@name n2\nServer:\t\t127.0.0.11\nAddress:\t127.0.0.11#53\n\nNon-authoritative "
          "answer:\nName:\tn2\nAddress: 10.175.134.4\n\n@@name nope\nServer:\t\t127.0.0.11\n"
          "Address:\t127.0.0.11#53\n\n** server can't find nope: NXDOMAIN\n\n@@nodes\n"
          "['app@n2.own.test']")


def test_parse_a_probed_release() -> None:
    seen = parse_release(PROBED, ["n2", "nope"])
    assert (seen.node, seen.mode, seen.registered) == ("app@n1.own.test", "name", True)
    assert seen.peers == ("app@n2.own.test",) and seen.error is None
    assert seen.cookie == "bb6165f09463" and seen.tool.endswith("/erl_call")
    assert seen.dns["n2"].addresses == ("10.175.134.4",)
    assert seen.dns["nope"].status == "nxdomain"


def test_parse_getent_when_there_is_no_nslookup() -> None:
    text = ("@@beam 7 /usr/lib/erlang/erts-15.2.7/bin\n@@node sname app@n1\n@@epmd 4000\n"
            "@@cookie 0123456789ab\n@@tool /usr/bin/erl_call\n@@dns getent\n"
            "@@name n2\n10.0.0.3        n2\n@@name gone\n@@nodes\n[]")
    seen = parse_release(text, ["n2", "gone"])
    assert seen.dns["n2"].addresses == ("10.0.0.3",) and seen.dns["gone"].status == "nxdomain"
    assert seen.peers == ()


def test_missing_tool_and_cookie_say_what_to_add() -> None:
    head = "@@beam 1 /rel/erts-13/bin\n@@node name app@a.x\n@@epmd 4000\n"
    tool = parse_release(head + "@@cookie 0123456789ab\n@@error tool /rel/erts-13/bin\n"
                         "@@dns none\n", ["a"])
    assert tool.peers is None and "no erl_call in /rel/erts-13/bin" in tool.error
    assert "add erl_call" in tool.error and tool.dns is None
    cookie = parse_release(head + "@@cookie none\n@@error cookie /rel\n@@dns none\n")
    assert "no cookie found" in cookie.error and "/rel/releases/COOKIE" in cookie.error


def test_a_failed_call_is_the_member_error() -> None:
    text = ("@@beam 1 /b\n@@node name app@a.x\n@@epmd 4000\n@@cookie 0123456789ab\n"
            "@@tool /b/erl_call\n@@dns none\n@@nodes\nerl_call: failed to connect to node")
    seen = parse_release(text)
    assert seen.peers is None and seen.error == "/b/erl_call: erl_call: failed to connect to node"


@pytest.mark.parametrize(("text", "ready"), [
    ("@@beam 1 /b\n@@node name app@a.x\n@@epmd 4000\n", True),
    ("@@beam 1 /b\n@@node name app@a.x\n@@epmd unregistered\n", False),
    ("@@beam 1 /b\n@@node name app@a.x\n@@epmd missing\n", True),  # nothing to wait on
    ("@@beam 1 /b\n", True),  # a VM that is not distributed
    ("@@beam none\n@@erts /opt/own/erts-15.2.7/bin/beam.smp\n", False),  # not started yet
    ("@@beam none\n@@erts none\n", True),  # no Erlang in it: a database, a proxy
])
def test_readiness_states(text: str, ready: bool) -> None:
    assert parse_release(text).ready is ready

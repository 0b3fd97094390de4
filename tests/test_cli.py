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


def test_up_leaves_the_start_timeout_to_the_lab_unless_given(monkeypatch, capsys):
    """A 40-replica lab gets its size's timeout (60 s + 3 s per container past ten), not a
    CLI default of 60 s that overrides it."""
    asked: list[float | None] = []

    class Started:
        project, title, source = "cl04-test", "DNS polling", None

        class cookie:
            @staticmethod
            def masked() -> str:
                return "abcd…"

        def up(self, timeout: float | None = None) -> None:
            asked.append(timeout)

    monkeypatch.setattr(cli.Lab, "create", lambda *args, **kwargs: Started())
    assert cli.main(["up", "04", "--variant", "replicas"]) == 0
    assert cli.main(["up", "04", "--variant", "replicas", "--timeout", "200"]) == 0
    assert asked == [None, 200.0]

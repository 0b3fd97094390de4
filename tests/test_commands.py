"""The command lines shown to learners: runnable, and never carrying the cookie."""

from __future__ import annotations

import shlex
import subprocess
from datetime import UTC, datetime

import pytest
from clusterlab.lab import commands
from clusterlab.model.snapshot import DnsAnswer, Member, Snapshot


def member(container, node, names):
    return Member("svc", container, "h", {}, {}, node, (),
                  {n: DnsAnswer(n, "ok", ("10.0.0.2",)) for n in names})


def test_probe_commands_are_one_nslookup_per_name_then_erl_call_per_node():
    snap = Snapshot("t", datetime.now(UTC), 0.1, (
        member("cl01-a-user_svc-1", "user_svc@user_svc.lab", ["minio", "jaeger"]),
        member("cl01-a-minio-1", None, ["minio"]),
    ))
    lines = commands.probe_commands(snap)
    assert lines[:2] == ["docker exec cl01-a-user_svc-1 nslookup minio",
                         "docker exec cl01-a-user_svc-1 nslookup jaeger"]
    assert shlex.split(lines[2])[:5] == ["docker", "exec", "cl01-a-user_svc-1", "sh", "-c"]
    assert shlex.split(lines[2])[5] == ('erl_call -name "$(cat /tmp/clusterlab/node)" '
                                        '-c "$(cat /tmp/clusterlab/cookie)" -a "erlang nodes"')
    assert lines[3:] == ["docker exec cl01-a-minio-1 nslookup minio"]


def test_short_names_get_sname_and_unknown_nodes_choose_in_the_container():
    assert " -sname " in commands.erl_call("c", "erlang nodes", "app@n1")
    script = commands.erl_call_script('Elixir.ClusterLab.Http get ["http://minio:9000/"]')
    assert 'node="$(cat /tmp/clusterlab/node)"; case "${node#*@}"' in script
    assert "-address" in commands.erl_call("c", "erlang nodes", "app@fd00::2")
    # the expression survives two levels of quoting: sh -c inside a single-quoted word
    inner = shlex.split(commands.erl_call("c", 'm f ["x"]'))[5]
    assert inner.endswith('-a "m f [\\"x\\"]"')


def test_compose_up_draws_a_fresh_cookie_instead_of_printing_it():
    line = commands.compose_command(("docker", "compose"), ["-p", "cl01-x", "up", "-d"],
                                    env={"ERL_COOKIE": "s3cr3t-cookie", "CLUSTERLAB_IMAGE": "ci:1"})
    assert "s3cr3t" not in line
    assert line == ("CLUSTERLAB_IMAGE=ci:1 ERL_COOKIE=$(openssl rand -hex 16) "
                    "docker compose -p cl01-x up -d")


def test_the_log_keeps_a_repeated_step_once_and_stays_bounded():
    log = commands.CommandLog(limit=3)
    log.add(["a", "b"])
    log.add(["a", "b"])  # a probe loop repeating the same step
    assert log.lines() == ["a", "b"]
    log.add("c")
    log.add("d")
    assert log.lines() == ["b", "c", "d"] and log.lines(last=1) == ["d"]


def test_network_connect_restores_aliases():
    assert commands.network_connect("cl_default", "cl-x-1", ["user_svc", "u"]) == (
        "docker network connect --alias user_svc --alias u cl_default cl-x-1")


def test_doctor_verbose_lists_its_commands_without_the_cookie():
    from clusterlab.doctor.live import Detected, LiveReport, commands_run
    from clusterlab.lab.cookie import Cookie

    snap = Snapshot("live", datetime.now(UTC), 0.1, (
        member("p-a-1", "a@a.lab", ["b.lab"]), member("p-b-1", "b@b", []),
        member("p-c-1", "c@c", [])))
    detected = {
        "p-a-1": Detected("a@a.lab", "name", Cookie("sekrit-from-env"), None,
                          {"RELEASE_COOKIE": "sekrit-from-env"}, frozenset({"erl_call"})),
        "p-b-1": Detected("b@b", "sname", Cookie("sekrit-from-argv"), None, {},
                          frozenset({"erl_call"})),
        "p-c-1": Detected("c@c", "sname", None, "/app/bin/app", {}, frozenset()),
    }
    lines = commands_run(LiveReport("p", snap, detected, {}, []))
    text = "\n".join(lines)
    assert "sekrit" not in text
    assert "docker exec p-a-1 nslookup b.lab" in lines
    assert """erl_call -name a@a.lab -c "$RELEASE_COOKIE" -a "erlang nodes\"""" in text
    assert 'erl_call -sname b@b -c "sekr…(16 chars)"' in text
    assert lines[-1].startswith("docker exec p-c-1 /app/bin/app rpc ")
    assert shlex.split(lines[0])[:5] == ["docker", "exec", "p-a-1", "sh", "-c"]


@pytest.mark.parametrize("content", ["0123abcd", "0123abcd\n", "  0123abcd \n", "x" * 64])
def test_the_cookie_digest_command_computes_digest_where_the_file_is(tmp_path, content):
    """The command ``cookie_digest`` runs inside a node (and records) prints what
    ``digest`` gives for the same cookie: the cookie is hashed where it lives."""
    from clusterlab.lab.cookie import digest, digest_argv

    path = tmp_path / "cookie"
    path.write_text(content)
    done = subprocess.run(digest_argv(str(path)), capture_output=True, text=True, check=True)
    assert done.stdout.strip() == digest(content)


@pytest.mark.parametrize("content", [None, "", " \n"])
def test_the_cookie_digest_command_fails_without_a_cookie(tmp_path, content):
    from clusterlab.lab.cookie import digest_argv

    path = tmp_path / "cookie"
    if content is not None:
        path.write_text(content)
    done = subprocess.run(digest_argv(str(path)), capture_output=True, text=True, check=False)
    assert done.returncode != 0 and done.stdout == ""

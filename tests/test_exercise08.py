"""Exercise 08 (IPv6 distribution): the checker's honesty on the real engine, and the
pieces it is made of without Docker (the ULA subnets, the remote shell's output, the
verdict's words)."""

from __future__ import annotations

import random

import pytest
from clusterlab.lab import ipv6
from clusterlab.observe import remote
from clusterlab.progress import quiet
from clusterlab.workshop.exercise import exercise
from clusterlab.workshop.judge import Observation, RemoteOutcome, evaluate
from clusterlab.workshop.spec import Remote, parse_expected

from .exercise_files import check_edited

NODES = ["api", "worker", "billing"]
FLAG = "ERL_AFLAGS: -proto_dist inet6_tcp"
# The nodes' carrier, as a project sets it: the release's VM flags (rel/vm.args.eex).
VM_ARGS = "-proto_dist inet6_tcp\n+sbwt none\n+sbwtdcpu none\n+sbwtdio none\n"
NODE_FLAG = {"rel/vm.args.eex": VM_ARGS}
# The operators' `erl` on console (no release there): its ERL_AFLAGS.
CONSOLE_FLAG = ("      RELEASE_COOKIE: ${ERL_COOKIE:?set by the lab}\n\nnetworks:",
                "      RELEASE_COOKIE: ${ERL_COOKIE:?set by the lab}\n      " + FLAG
                + "\n\nnetworks:")
# rel/env.sh.eex names the node by its first IPv4 address instead of its IPv6 one.
BY_IPV4 = {"rel/env.sh.eex": [("grep ':'", "grep -v ':'")]}


# -- without Docker -----------------------------------------------------------------------


def test_dual_stack_networks_get_a_random_ula_64_and_keep_their_ipv4():
    model = {"networks": {"v6": {"enable_ipv6": True, "ipam": {"config": [{"subnet":
                                                                           "10.175.3.0/24"}]}},
                          "v4": {}, "own": {"enable_ipv6": True, "ipam": {"config": [
                              {"subnet": "fd00:1::/64"}]}}}}
    placed = ipv6.assign(model, random.Random(1))
    subnets = ipv6.ipv6_subnets(placed)
    assert set(subnets) == {"v6", "own"} and str(subnets["own"]) == "fd00:1::/64"
    assert subnets["v6"].prefixlen == 64 and subnets["v6"].network_address.packed[0] == 0xFD
    assert placed["networks"]["v6"]["ipam"]["config"][0] == {"subnet": "10.175.3.0/24"}
    assert ipv6.random_ula() != ipv6.random_ula()


def test_remote_shell_output_is_read_per_target():
    text = ("@@flags -proto_dist inet6_tcp\n@@ app@fd00::2 'app@fd00::2'\n"
            "@@ app@fd00::3 {badrpc,nodedown}\n")
    flags, got = remote.parse_reach(text, ["app@fd00::2", "app@fd00::3", "app@fd00::4"])
    assert flags == "-proto_dist inet6_tcp"
    assert got["app@fd00::2"].ok and not got["app@fd00::3"].ok
    assert not got["app@fd00::4"].ok and got["app@fd00::4"].answer.startswith("not asked")


def test_remote_verdict_names_the_flags_and_the_real_name():
    expected = parse_expected({"services": ["a", "c"], "remote": [
        {"from": "c", "to": ["a"], "basename": "app"}]})
    assert isinstance(expected.criteria[0], Remote)
    outcome = RemoteOutcome("app@fd00::2", False, "{badrpc,nodedown}", "", "app@10.0.0.2")
    [result] = evaluate(expected, Observation(snapshot=None, remote={("c", "a"): outcome}))
    assert result.problems == ("a remote shell from c (ERL_AFLAGS: none) cannot reach "
                               "app@fd00::2 (a): {badrpc,nodedown}; a's node is app@10.0.0.2",)


# -- on the engine ------------------------------------------------------------------------

EX = exercise("08")


def run(tmp_path, edits, files=None):
    return check_edited(EX, tmp_path, edits, files=files)


def unreachable(report) -> list[str]:
    return [p for p in report.problems if p.startswith("a remote shell from console")]


@pytest.mark.docker
def test_untouched_exercise_08_fails_in_plain_words(tmp_path):
    report = run(tmp_path, [])
    assert not report.passed and not report.static and report.start_error is None
    assert [f"{s} sees no nodes" for s in NODES] == report.problems[:3]
    assert len(unreachable(report)) == 3
    assert all("(ERL_AFLAGS: none)" in p and p.endswith("{badrpc,nodedown}")
               for p in unreachable(report))


@pytest.mark.docker
def test_solution_08_passes():
    report = EX.check(EX.compose_file.parent / "solution" / "compose.yaml", progress=quiet)
    assert report.passed, str(report)


@pytest.mark.docker
def test_the_flag_on_the_nodes_only_meshes_but_the_remote_shell_fails(tmp_path):
    report = run(tmp_path, [], NODE_FLAG)
    titles = {r.criterion: r.passed for r in report.results}
    assert titles["api, worker and billing form a full mesh"]
    assert not report.passed and len(unreachable(report)) == 3
    assert all("(ERL_AFLAGS: none)" in p for p in unreachable(report))


@pytest.mark.docker
def test_the_flag_on_console_only_leaves_every_node_alone(tmp_path):
    """The operators' shell speaks IPv6, but the nodes still listen on IPv4 (inet_tcp)."""
    report = run(tmp_path, [CONSOLE_FLAG])
    assert not report.passed and report.start_error is None, str(report)
    assert [f"{s} sees no nodes" for s in NODES] == report.problems[:3], str(report)
    assert len(unreachable(report)) == 3
    assert all("(ERL_AFLAGS: -proto_dist inet6_tcp)" in p and p.endswith("{badrpc,nodedown}")
               for p in unreachable(report)), str(report)


@pytest.mark.docker
def test_vm_args_without_eex_changes_nothing(tmp_path):
    """`rel/vm.args`: mix release renders rel/vm.args.eex only, so the flag never arrives."""
    report = run(tmp_path, [CONSOLE_FLAG], {"rel/vm.args": VM_ARGS})
    assert not report.passed and report.start_error is None, str(report)
    assert [f"{s} sees no nodes" for s in NODES] == report.problems[:3], str(report)
    assert len(unreachable(report)) == 3, str(report)


@pytest.mark.docker
def test_nodes_named_by_ipv4_fail_the_remote_shell_by_their_ipv6_name(tmp_path):
    report = run(tmp_path, [CONSOLE_FLAG], {**NODE_FLAG, **BY_IPV4})
    assert not report.passed and len(unreachable(report)) == 3, str(report)
    assert all("(ERL_AFLAGS: -proto_dist inet6_tcp)" in p and "'s node is app@" in p
               for p in unreachable(report)), str(report)

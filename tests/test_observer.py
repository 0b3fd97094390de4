"""The probe's fast path without Docker: reading the observer's answer, matching nodes to
containers by address, and grouping containers whose DNS answers cannot differ."""

import pytest
from clusterlab.observe.observer import (
    NodeView,
    container_addresses,
    groups,
    match_nodes,
    parse_view,
    resolver_key,
)
from clusterlab.observe.probe import section

# What `erl_call -e` printed in lesson 01 fixed (recorded; two nodes kept), plus a
# node that timed out.
ANSWER = ('{ok, "client_svc@client_svc.msvc_default ok user_svc@user_svc.msvc_default,'
          'job_svc@job_svc.msvc_default 127.0.0.1,10.175.212.7\\n'
          'user_svc@user_svc.msvc_default ok client_svc@client_svc.msvc_default '
          '127.0.0.1,10.175.212.5\\n'
          'job_svc@job_svc.msvc_default error {erpc,timeout}\\n"}')


def test_view_lines_become_peers_and_addresses_and_a_timeout_is_an_error_not_no_peers():
    client, user, job = parse_view(ANSWER)
    assert client.peers == ("user_svc@user_svc.msvc_default", "job_svc@job_svc.msvc_default")
    assert client.addresses == {"127.0.0.1", "10.175.212.7"}
    assert user.peers == ("client_svc@client_svc.msvc_default",)
    assert job.peers is None and job.error == "error: {erpc,timeout}"


def test_a_node_with_no_peers_reads_as_an_empty_tuple():
    (alone,) = parse_view('{ok, "app@10.0.0.2 ok  10.0.0.2\\n"}')
    assert alone.peers == () and alone.addresses == {"10.0.0.2"}


@pytest.mark.parametrize("text", [
    "erl_call: failed to connect to node app@10.0.0.2",
    "{badrpc, timeout}",
    "",
])
def test_anything_but_an_answer_is_refused_so_the_probe_asks_each_container(text):
    with pytest.raises(ValueError):
        parse_view(text)


def test_nodes_match_the_one_container_sharing_an_address():
    views = parse_view(ANSWER)
    matched = match_nodes(views, {"c1": frozenset({"10.175.212.7"}),
                                  "c2": frozenset({"10.175.212.5"}),
                                  "c3": frozenset({"10.175.212.9"})})
    assert matched["c1"].node.startswith("client_svc@")
    assert matched["c2"].node.startswith("user_svc@")
    assert "c3" not in matched  # its node timed out: read in its own container


def test_an_ambiguous_match_is_left_to_the_containers_themselves():
    views = [NodeView("a@x", (), frozenset({"10.0.0.2"})),
             NodeView("b@x", (), frozenset({"10.0.0.2"}))]
    assert match_nodes(views, {"c1": frozenset({"10.0.0.2"})}) == {}
    one = [NodeView("a@x", (), frozenset({"10.0.0.2", "10.0.1.2"}))]
    assert match_nodes(one, {"c1": frozenset({"10.0.0.2"}), "c2": frozenset({"10.0.1.2"})}) == {}


def attrs(networks: dict[str, str], *, hostname: str = "h", search: tuple = (".",),
          gateway: str = "10.0.0.1") -> dict:
    return {"NetworkSettings": {"Gateway": gateway, "Networks": {
                net: {"IPAddress": ip, "GlobalIPv6Address": ""} for net, ip in networks.items()}},
            "HostConfig": {"Dns": [], "DnsSearch": list(search), "DnsOptions": [],
                           "NetworkMode": "lab_a"},
            "Config": {"Hostname": hostname, "Domainname": ""}}


def test_containers_share_a_dns_group_only_when_nothing_nslookup_depends_on_differs():
    keys = {
        "a1": resolver_key(attrs({"lab_a": "10.0.0.2"}, hostname="a1.lab")),
        "a2": resolver_key(attrs({"lab_a": "10.0.0.3"}, hostname="a2.lab")),
        "island": resolver_key(attrs({"lab_b": "10.0.1.2"}, gateway="10.0.1.1")),
        "dotless": resolver_key(attrs({"lab_a": "10.0.0.4"}, hostname="a3")),
        "search": resolver_key(attrs({"lab_a": "10.0.0.5"}, hostname="a4.lab", search=("x",))),
    }
    assert groups(keys) == [["a1", "a2"], ["island"], ["dotless"], ["search"]]


def test_container_addresses_are_every_network_ip():
    found = container_addresses(attrs({"lab_a": "10.0.0.2", "lab_b": "10.0.1.2"}))
    assert found == {"10.0.0.2", "10.0.1.2"}


def test_the_view_section_is_read_from_the_probe_script_output():
    text = "@@node a@x\n@@dns\n@@nodes\n[]\n@exit 0\n@@view\n" + ANSWER + "\n@exit 0\n"
    assert section(text, "view") == ANSWER
    assert section("@@node a@x\n@@dns\n", "view") is None

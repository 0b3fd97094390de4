"""Lesson 8's one allowance for a published EPMD: bound to a lab network's own gateway."""

from __future__ import annotations

from clusterlab.lab import gateway
from clusterlab.lab.stack import published_epmd

GW = "${CLUSTERLAB_GATEWAY_SITE_B:?set by the lab}"


def model(port, networks=None):
    return {"services": {"a": {"ports": [port]}},
            "networks": networks if networks is not None else {"site_a": {}, "site_b": {}}}


def test_short_and_long_ports_are_read():
    assert gateway.port_parts(f"{GW}:4369:4369") == ("4369", "4369", GW)
    assert gateway.port_parts("127.0.0.1:4369:4369/tcp") == ("4369", "4369", "127.0.0.1")
    assert gateway.port_parts("4369:4369") == ("4369", "4369", "")
    assert gateway.port_parts("4369") == ("4369", "", "")
    assert gateway.port_parts({"target": 4369, "published": "4369", "host_ip": "10.1.2.1"}) \
        == ("4369", "4369", "10.1.2.1")


def test_epmd_on_the_gateway_of_an_own_network_is_the_only_allowance():
    assert published_epmd(model(f"{GW}:4369:4369")) == []
    assert published_epmd(model("${CLUSTERLAB_GATEWAY_SITE_B}:4369:4369")) == []
    # everything else that publishes 4369 is still refused
    assert published_epmd(model("4369:4369")) == ["a"]
    assert published_epmd(model("0.0.0.0:4369:4369")) == ["a"]
    assert published_epmd(model("${HOST_IP}:4369:4369")) == ["a"]
    assert published_epmd(model(f"{GW}:4369:4369", {"site_b": {"external": True}})) == ["a"]
    assert published_epmd(model(f"{GW}:4369:4369", {"site_c": {}})) == ["a"]
    assert published_epmd(model({"target": 4369, "published": "4369", "host_ip": GW})) == []


def test_gateway_variables_come_from_the_lab_subnets():
    placed = {"networks": {"site_b": {"ipam": {"config": [{"subnet": "10.175.9.0/24"}]}},
                           "v6-net": {"ipam": {"config": [{"subnet": "10.175.8.0/24"},
                                                          {"subnet": "fd00::/64"}]}},
                           "ext": {"external": True}}}
    assert gateway.env(placed) == {"CLUSTERLAB_GATEWAY_SITE_B": "10.175.9.1",
                                   "CLUSTERLAB_GATEWAY_V6_NET": "10.175.8.1"}

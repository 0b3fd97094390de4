"""What a lab does to a compose model before starting it, and how it guards secrets."""

import pytest
from clusterlab.errors import CommandFailed, ComposeFileError, ExerciseError, InvalidNodeName
from clusterlab.lab.cookie import Cookie
from clusterlab.lab.lifecycle import Lab
from clusterlab.lab.stack import GATE, hold, label_model, published_epmd
from clusterlab.observe import erlang
from clusterlab.workshop.spec import parse_expected

MODEL = {
    "services": {"a": {"image": "x"}, "b": {"image": "x", "labels": {"keep": "1"}}},
    "networks": {"default": {"name": "p_default"}, "ext": {"name": "shared", "external": True}},
    "volumes": {"data": {"name": "p_data"}},
}


def test_labels_go_on_services_networks_and_volumes_but_not_external_ones():
    out = label_model(MODEL, {"io.clusterlab.project": "p"})
    assert out["services"]["a"]["labels"] == {"io.clusterlab.project": "p"}
    assert out["services"]["b"]["labels"] == {"keep": "1", "io.clusterlab.project": "p"}
    assert out["networks"]["default"]["labels"] == {"io.clusterlab.project": "p"}
    assert "labels" not in out["networks"]["ext"]
    assert out["volumes"]["data"]["labels"] == {"io.clusterlab.project": "p"}
    assert "labels" not in MODEL["services"]["a"], "the input model must not change"


def test_published_epmd_is_found():
    model = {"services": {"a": {"ports": [{"target": 4369, "published": "4369"}]},
                          "b": {"ports": [{"target": 9000, "published": "9000"}]},
                          "c": {"expose": ["4369"]}}}
    assert published_epmd(model) == ["a"]


def test_published_ports_loopback_only_and_the_epmd_override():
    from clusterlab.lab.stack import refused_ports
    random_port = {"services": {"a": {"ports": [{"target": 4369, "host_ip": "127.0.0.1"}]}}}
    assert published_epmd(random_port) == ["a"]  # a random host port is published too
    assert "publishes EPMD" in refused_ports(random_port).message
    allowed = {**random_port, "x-clusterlab": {"allow_published_epmd": "loopback"}}
    assert refused_ports(allowed) is None
    wide = {"services": {"a": {"ports": [{"target": 4369, "published": "4369"}]}},
            "x-clusterlab": {"allow_published_epmd": "loopback"}}
    assert "0.0.0.0:4369→4369" in refused_ports(wide).message
    http = {"services": {"w": {"ports": [{"target": 80, "published": "8080"}]}}}
    assert "w: 0.0.0.0:8080→80" in refused_ports(http).message
    assert refused_ports({"services": {"w": {"ports": [
        {"target": 80, "published": "8080", "host_ip": "127.0.0.1"}]}}}) is None


def test_cookie_never_shows_in_full():
    cookie = Cookie()
    secret = cookie.reveal()
    assert len(secret) >= 32
    for text in (str(cookie), repr(cookie), cookie.masked(), f"{cookie}"):
        assert secret not in text
    assert Cookie().reveal() != secret


def test_compose_errors_are_scrubbed_of_the_cookie():
    lab = Lab(None, "broken", "cl01-abc123", None, Cookie("s3cr3t-cookie-value-xxxxxxxxxxxxx"), {})
    failed = CommandFailed(["docker", "compose", "up"], 1, "",
                           "container env RELEASE_COOKIE=s3cr3t-cookie-value-xxxxxxxxxxxxx bad")
    scrubbed = lab._scrub(failed)
    assert "s3cr3t-cookie-value" not in str(scrubbed) + scrubbed.stderr
    assert "s3cr…(33 chars)" in scrubbed.stderr


@pytest.mark.parametrize("name", ["user_svc@user_svc.msvc_default", "app@172.18.0.2", "app@n1",
                                  "a-b@host-1.lab"])
def test_node_names_erlang_accepts(name):
    assert str(erlang.parse(name)) == name


@pytest.mark.parametrize(("name", "why"), [
    ("user_svc", "exactly one '@'"),
    ("a@b@c", "exactly one '@'"),
    ("user svc@host.x", "letters, digits"),
    ("app@host name", "not a host name"),
    ("@host.x", "letters, digits"),
])
def test_node_names_erlang_refuses(name, why):
    with pytest.raises(InvalidNodeName, match=why):
        erlang.parse(name)


def test_long_and_short_hosts():
    assert erlang.parse("a@b.c").is_long and erlang.parse("a@10.0.0.1").is_long
    assert not erlang.parse("a@b").is_long


def test_refused_names_skip_interpolated_values():
    model = {"services": {
        "ok": {"environment": {"RELEASE_NODE": "a@b.c"}},
        "bad": {"environment": {"RELEASE_NODE": "a b@c.d"}},
        "later": {"environment": {"RELEASE_NODE": "${NODE}"}},
        "none": {"image": "x"},
    }}
    assert erlang.refused_names(model) == [
        "bad: 'a b@c.d': the part before '@' may hold only letters, digits, '_' and '-'."]


def test_cookies_never_look_like_a_flag_to_erl():
    # `-setcookie -x…` makes erl read "-x…" as a flag: every node then dies at boot.
    assert not any(Cookie().reveal().startswith("-") for _ in range(2000))


def test_a_late_service_is_held_at_its_gate_and_nothing_else_changes():
    model = {"services": {"n1": {"environment": {"A": "1"}}, "n2": {"environment": {"B": "2"}}}}
    held = hold(model, ["n2"])
    assert held["services"]["n2"]["environment"] == {"B": "2", "STARTUP_GATE": GATE}
    assert held["services"]["n1"] == model["services"]["n1"]
    assert "STARTUP_GATE" not in model["services"]["n2"]["environment"]  # a copy
    with pytest.raises(ComposeFileError, match="n9 is to start late"):
        hold(model, ["n9"])


def test_expected_late_must_name_services_of_the_stack():
    with pytest.raises(ExerciseError, match="`late` names services not in `services`: n9"):
        parse_expected({"services": ["n1"], "late": ["n9"]})
    assert parse_expected({"services": ["n1"], "late": ["n1"]}).late == ("n1",)


def test_start_timeout_grows_with_the_containers_a_lab_starts():
    from clusterlab.lab.lifecycle import start_timeout

    assert start_timeout(MODEL) == 60
    forty = {"services": {"app": {"image": "x", "deploy": {"replicas": 40}}}}
    assert start_timeout(forty) == 60 + 3 * 30
    by_variable = {"services": {"app": {"image": "x", "deploy": {"replicas": "${REPLICAS:-3}"}}}}
    assert start_timeout(by_variable) == 60
    assert start_timeout(by_variable, {"REPLICAS": "40"}) == 60 + 3 * 30


def test_a_mesh_the_kernel_neighbour_table_cannot_hold_is_refused_with_the_sysctl():
    # Measured: 40 nodes on a default host (gc_thresh3 = 1024) left the last 6-8 nodes
    # with every TCP connect hanging and "neighbor table overflow" in dmesg.
    from clusterlab.errors import NeighbourTableTooSmall
    from clusterlab.gates.system import fits_neighbour_table
    from clusterlab.lab.lifecycle import container_count

    forty = {"services": {"app": {"image": "x", "deploy": {"replicas": "${REPLICAS:-3}"}}}}
    assert container_count(forty, {"REPLICAS": "40"}) == 40
    with pytest.raises(NeighbourTableTooSmall) as refused:
        fits_neighbour_table(40, 1024)
    assert "1600 entries" in str(refused.value) and "at most 1024" in str(refused.value)
    assert "net.ipv4.neigh.default.gc_thresh3=8192" in str(refused.value)
    fits_neighbour_table(40, 8192)
    fits_neighbour_table(3, 1024)
    fits_neighbour_table(40, None)  # a kernel we cannot read from here: not guessed

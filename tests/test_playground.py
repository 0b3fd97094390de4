"""The playground's compose model: each knob changes exactly the pitfall it names."""

import pytest
from clusterlab.errors import InvalidOption
from clusterlab.workshop.playground import Options, compose_model, project_files, write


def env(model, service):
    return model["services"][service]["environment"]


def test_defaults_are_a_healthy_long_named_mesh():
    model = compose_model(Options())
    assert set(model["networks"]) == {"net_a"}
    for name in ("n1", "n2", "n3"):
        assert model["services"][name]["hostname"] == f"{name}.lab"
        assert env(model, name)["RELEASE_NODE"] == f"app@{name}.lab"
        assert env(model, name)["RELEASE_COOKIE"] == "${ERL_COOKIE}"
    runtime = project_files(Options())["config/runtime.exs"]
    assert "strategy: Cluster.Strategy.Epmd" in runtime
    assert 'hosts: [:"app@n1.lab", :"app@n2.lab", :"app@n3.lab"], timeout: 500' in runtime


def test_networks_split_services_into_islands():
    model = compose_model(Options(networks={"n3": "net_b"}))
    assert set(model["networks"]) == {"net_a", "net_b"}
    assert list(model["services"]["n3"]["networks"]) == ["net_b"]


def test_naming_schemes():
    short = compose_model(Options(naming="sname"))
    assert env(short, "n1")["RELEASE_DISTRIBUTION"] == "sname"
    assert short["services"]["n1"]["hostname"] == "n1"
    by_ip = compose_model(Options(naming="ip", strategy="dns_cluster"))
    files = project_files(Options(naming="ip", strategy="dns_cluster"))
    assert 'export RELEASE_NODE="app@${ip}"' in files["rel/env.sh.eex"]
    assert "rel/env.sh.eex" not in project_files(Options())
    assert "hostname" not in by_ip["services"]["n1"]
    assert 'config :clusterlab, :dns_cluster_query, "app."' in files["config/runtime.exs"]
    assert by_ip["services"]["n2"]["networks"]["net_a"]["aliases"] == ["app"]


def test_one_cookie_differs_and_one_service_starts_late():
    model = compose_model(Options(same_cookie=False, late="n2", delay_ms=3000))
    assert env(model, "n3")["RELEASE_COOKIE"] == "${ERL_COOKIE}-other"
    assert env(model, "n1")["RELEASE_COOKIE"] == "${ERL_COOKIE}"
    assert env(model, "n2")["STARTUP_DELAY_MS"] == "3000"
    assert "STARTUP_DELAY_MS" not in env(model, "n1")


@pytest.mark.parametrize(("strategy", "text"), [
    ("none", None), ("once", "config :clusterlab, :connect_to_cluster, ["),
    ("epmd", "strategy: Cluster.Strategy.Epmd"), ("dns_cluster", "interval: 500"),
    ("dnspoll", 'config: [query: "app", node_basename: "app", polling_interval: 500]')])
def test_strategies(strategy, text):
    runtime = project_files(Options(strategy=strategy))["config/runtime.exs"]
    if text is None:
        assert "config " not in runtime
    else:
        assert text in runtime
    if strategy == "epmd":
        assert "timeout" not in runtime


def test_the_project_is_real_files_and_no_lab_variable(tmp_path):
    compose = write(Options(naming="ip", strategy="dnspoll"), tmp_path)
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file()) \
        == ["compose.yaml", "config/runtime.exs", "rel/env.sh.eex", "rel/vm.args.eex"]
    for old in ("CLUSTER_", "NODE_NAME_BY_IP", "DNS_POLL_MS", "DNS_QUERY", "ERL_AFLAGS"):
        assert old not in compose.read_text()
    assert "-kernel net_ticktime 4" in (tmp_path / "rel/vm.args.eex").read_text()
    write(Options(), tmp_path)   # back to FQDN names: the by-IP env.sh goes
    assert not (tmp_path / "rel/env.sh.eex").exists()


def test_unknown_choices_are_refused():
    with pytest.raises(InvalidOption):
        compose_model(Options(networks={"n1": "nope"}))


def test_replicas_name_the_nodes_and_every_node_lists_every_host():
    model = compose_model(Options(replicas=5))
    assert list(model["services"]) == ["n1", "n2", "n3", "n4", "n5"]
    assert project_files(Options(replicas=5))["config/runtime.exs"].count(':"app@') == 5
    assert model["services"]["n5"]["networks"] == {"net_a": {"aliases": ["app"]}}


def test_the_limit_comes_from_cores_and_memory():
    from clusterlab.workshop.playground import MEMORY_PER_NODE_MIB, NODES_PER_CORE, replica_limit

    assert replica_limit(2, 24 * 2**30).nodes == 2 * NODES_PER_CORE           # CPU-bound
    small = replica_limit(8, 2 * 2**30)                                          # memory-bound
    assert small.nodes == int(2 * 1024 * 0.5 / MEMORY_PER_NODE_MIB)
    assert replica_limit(1, 64 * 2**20).nodes == 2                               # never below 2
    table = replica_limit(2, 24 * 2**30, neighbours=1024)                   # kernel-bound
    assert table.nodes == 32 and "neighbour table of 1024" in table.why()
    assert replica_limit(2, 24 * 2**30, neighbours=8192).nodes == 2 * NODES_PER_CORE


def test_more_replicas_than_the_machine_holds_are_refused_with_the_measured_limit(tmp_path):
    from clusterlab.workshop.playground import replica_limit, write

    limit = replica_limit(2, 24 * 2**30)
    with pytest.raises(InvalidOption) as refused:
        write(Options(replicas=limit.nodes + 1), tmp_path, limit)
    message = refused.value.message
    assert f"replicas = {limit.nodes + 1}" in message
    assert f"at most {limit.nodes} nodes" in message and "2 CPUs" in message
    assert "per core" in message and "MiB per node" in message
    assert f"Choose {limit.nodes} or fewer" in message
    assert not (tmp_path / "compose.yaml").exists()
    assert write(Options(replicas=limit.nodes), tmp_path, limit).exists()


@pytest.mark.parametrize("replicas", [0, 1, -3])
def test_fewer_than_two_nodes_are_refused(replicas):
    with pytest.raises(InvalidOption, match="at least 2 nodes"):
        compose_model(Options(replicas=replicas))

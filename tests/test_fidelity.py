"""The lab's strategies behave like the real libraries, on live containers of the lab image.

Each test is one row of docs/fidelity.md: dns_cluster 0.3.0 (with its SRV mode),
libcluster 3.5 DNSPoll and Epmd, and the seed's one-shot connect. A lesson that relies
on a behaviour relies on it because a test here proves the stand-in has it.
"""

from __future__ import annotations

import ipaddress
import random
import re
from pathlib import Path

import pytest
from clusterlab.errors import LabStartError
from clusterlab.gates import engine, image
from clusterlab.lab import registry, subnets
from clusterlab.lab.lifecycle import Lab
from clusterlab.lab.release import ReleaseFileError
from clusterlab.observe.erlang import rpc
from clusterlab.progress import quiet
from clusterlab.waiting import wait_until

pytestmark = pytest.mark.docker

HERE = Path(__file__).parent / "fidelity"
OTP = int(image.stack().otp)
"""The OTP the labs run (``CLUSTERLAB_OTP``): where a behaviour changed, a test asserts
what that OTP does (docs/fidelity.md names the row)."""


def start(name: str, **env: str) -> Lab:
    lab = Lab.create("00-setup", f"fidelity-{name}", compose_file=HERE / f"{name}.yaml",
                     env=env, progress=quiet)
    return lab.up()


@pytest.fixture(scope="module")
def dns_lab():
    # A unique ULA /64 per run, so parallel runs never ask for the same subnet.
    subnet = f"fd{random.randrange(256):02x}:{random.randrange(65536):04x}:" \
             f"{random.randrange(65536):04x}:1::/64"
    lab = start("dns_cluster", V6_SUBNET=subnet)
    yield lab
    lab.down()


def free_v4_subnet() -> ipaddress.IPv4Network:
    """A random 10.200-249.x.0/24 that no network on the engine uses yet."""
    busy = subnets.taken()
    while True:
        subnet = ipaddress.IPv4Network(
            f"10.{random.randrange(200, 250)}.{random.randrange(256)}.0/24")
        if not any(subnet.overlaps(other) for other in busy):
            return subnet


@pytest.fixture(scope="module")
def srv_lab():
    # The SRV server needs a fixed address the nodes can name as their DNS server: .53 of
    # a subnet of our own. `invalid` is held; its test releases it.
    subnet = free_v4_subnet()
    lab = Lab.create("00-setup", "fidelity-dns_cluster_srv",
                     compose_file=HERE / "dns_cluster_srv.yaml", progress=quiet,
                     env={"V4_SUBNET": str(subnet), "SRV_DNS_IP": str(subnet[53])})
    lab.up(held=["invalid"])
    yield lab
    lab.down()


@pytest.fixture(scope="module")
def poll_lab():
    subnet = f"10.{random.randrange(200, 250)}.{random.randrange(256)}.0/24"
    lab = start("dnspoll", V4_SUBNET=subnet)
    yield lab
    lab.down()


@pytest.fixture(scope="module")
def epmd_lab():
    # `target` is held at its entry point until every dialler has made its first attempt:
    # the Epmd ones connect inside init (before ready), the one-shot Tasks may still run
    # after ready, so wait until both have finished (a temporary child that ended is gone
    # from the supervisor). An order of states, not a start-up delay that load outruns.
    lab = Lab.create("00-setup", "fidelity-epmd_once", compose_file=HERE / "epmd_once.yaml",
                     progress=quiet)
    lab.up(held=["target"])
    try:
        for service in ("seed", "traced"):
            wait_until(lambda s=service: "ClusterLab.Strategy.Once" not in rpc(
                lab.container(s), "Elixir.Supervisor", "which_children",
                "['Elixir.ClusterLab.Supervisor']"), 15, what=f"{service}'s one connect")
        lab.release("target")
    except BaseException:
        lab.down()
        raise
    yield lab
    lab.down()


def node_of(lab: Lab, service: str) -> str:
    return rpc(lab.container(service), "erlang", "node").strip("'")


def nodes_of(lab: Lab, service: str) -> set[str]:
    return set(re.findall(r"'([^']+)'", rpc(lab.container(service), "erlang", "nodes")))


STRATEGIES = {"DNSCluster": "Elixir.DNSCluster", "DNSPoll": "Elixir.Cluster.Strategy.DNSPoll",
              "Epmd": "Elixir.Cluster.Strategy.Epmd"}
"""The stand-ins, under upstream's module names (``ClusterLab.Inspect`` finds them)."""


def dial_list(lab: Lab, service: str, module: str) -> set[str]:
    answer = rpc(lab.container(service), "Elixir.ClusterLab.Inspect", "dial_list",
                 f"['{STRATEGIES[module]}']")
    return set(re.findall(r'"([^"]+)"', answer)) | set(re.findall(r"'([^']+)'", answer))


def state(lab: Lab, service: str, module: str) -> str:
    """The strategy's state as erl_call prints it, binaries (``#Bin<97,112,112>``) as text."""
    text = re.sub(r"\s+", "", rpc(lab.container(service), "Elixir.ClusterLab.Inspect", "state",
                                  f"['{STRATEGIES[module]}']"))
    return re.sub(r"#Bin<([\d,]*)>",
                  lambda m: '"' + bytes(int(b) for b in m.group(1).split(",") if b).decode() + '"',
                  text)


def ip_of(lab: Lab, service: str, v6: bool = False) -> str:
    networks = lab.container(service).attrs["NetworkSettings"]["Networks"]
    (settings,) = networks.values()
    return settings["GlobalIPv6Address" if v6 else "IPAddress"]


def first(lab: Lab, service: str, text: str):
    return lab.log_lines(service, text)[0]


# -- dns_cluster 0.2.0 behaviours, unchanged in 0.3.0 -----------------------------------


def test_dns_cluster_applies_the_search_list_of_a_dotted_hostname(dns_lab):
    every = dns_lab.resolve("dotted", "app", call="lookup").addresses
    assert len(every) == 3
    assert dns_lab.resolve("dotted", "app.").ok
    if OTP <= 27:
        # getbyname tries only `app.lab` on `dotted`, so it dials nobody and logs nothing.
        assert dns_lab.resolve("dotted", "app").error == "nxdomain"
        assert dial_list(dns_lab, "dotted", "DNSCluster") == set()
        assert not dns_lab.log_lines("dotted", "connected to")
    else:
        # OTP 29: `app.lab`, then `app` as it is (erlang/otp PR #10576): every address.
        assert set(dns_lab.resolve("dotted", "app").addresses) == set(every)
    # The same query from a dotless hostname (no search domain) finds all three.
    assert len(dns_lab.resolve("plain", "app").addresses) == 3


def test_dns_cluster_queries_a_and_aaaa(dns_lab):
    v6 = {f"app@{ip_of(dns_lab, s, v6=True)}" for s in ("plain", "dotted", "quiet")}
    assert all(name != "app@" for name in v6)
    # A-record peers are connected by now; what is left to dial includes every AAAA name.
    wait_until(lambda: nodes_of(dns_lab, "plain") >= {node_of(dns_lab, "quiet")}, 10,
               what="plain connected to quiet")
    assert dial_list(dns_lab, "plain", "DNSCluster") >= v6


def test_dns_cluster_dials_itself_and_logs_only_successes_when_asked(dns_lab):
    me = node_of(dns_lab, "plain")
    # Node.list(:visible) never holds the node itself, so every poll dials it (true).
    dns_lab.wait_for_log("plain", f"{me} connected to {me}", timeout=10)
    # Only successes are logged: every line names itself or a node it is connected to.
    # (Which peer dials which first is a race, so no particular peer line is required.)
    connected = nodes_of(dns_lab, "plain") | {me}
    lines = dns_lab.log_lines("plain", "connected to")
    assert lines and all(line.text.rsplit("connected to ", 1)[1].strip() in connected
                         for line in lines)
    # The AAAA names fail on every poll, and no line says so.
    assert not dns_lab.log_lines("plain", "fd")
    # Defaults: no log option, so not a single line from the strategy.
    assert not dns_lab.log_lines("quiet", "connected to")
    assert not dns_lab.log_lines("quiet", "[warning]")


def test_dns_cluster_defaults_and_first_poll_at_once(dns_lab):
    quiet = state(dns_lab, "quiet", "DNSCluster")
    assert "interval=>5000" in quiet and "connect_timeout=>10000" in quiet
    assert "log=>false" in quiet
    # plain polls every 5000 ms (the default), yet dialled within the first moments.
    me = node_of(dns_lab, "plain")
    ready = first(dns_lab, "plain", "[clusterlab] ready")
    dialled = first(dns_lab, "plain", f"{me} connected to")
    assert abs(dialled.seconds_after(ready.at)) < 2.5


def test_dns_cluster_a_dial_past_connect_timeout_takes_the_process_down():
    lab = start("dns_cluster_timeout")
    try:
        frozen = lab.container("frozen")
        frozen.pause()   # its kernel still accepts the TCP connection; EPMD never answers
        try:
            crash = lab.wait_for_log("impatient", "Task.Supervised.stream(1000)", timeout=20)
        finally:
            frozen.unpause()
        assert "DNSCluster" in lab.logs("impatient", tail=400)
        assert "exited in" in crash or "Task.Supervised.stream" in crash
    finally:
        lab.down()


def test_dns_cluster_reads_the_resolver_cache_until_the_ttl_runs_out():
    lab = start("dns_cluster_cache")
    try:
        first = ip_of(lab, "peer1")
        wait_until(lambda: lab.resolve("early", "peer.").addresses == (first,), 10,
                   what="early's getbyname to cache peer1")
        (name,) = lab.container("early").attrs["NetworkSettings"]["Networks"]
        late = engine.client().containers.create(
            lab.container("peer1").image.id, ["sleep", "300"], entrypoint=[],
            labels={engine.LABEL: lab.project})
        engine.client().networks.get(name).connect(late, aliases=["peer"])
        late.start()
        server = lab.container("early").exec_run(["dig", "+short", "peer"]).output.split()
        assert len(server) == 2                               # the server knows both…
        assert lab.resolve("early", "peer.").addresses == (first,)   # …getbyname: cached
        assert len(lab.resolve("early", "peer", call="lookup").addresses) == 2  # asks
        ttl = lab.container("early").exec_run(["dig", "+noall", "+answer", "peer"]).output
        assert b"600" in ttl                                  # Docker's DNS TTL
    finally:
        lab.down()


def test_dns_cluster_warns_once_without_long_names(dns_lab):
    lines = dns_lab.log_lines("short", "not running with longnames")
    assert len(lines) == 1 and "[warning]" in lines[0].text


# -- dns_cluster 0.3.0: SRV -------------------------------------------------------------


def test_dns_cluster_srv_dials_basename_at_the_ip_of_every_target(srv_lab):
    # Targets n1.lab, n2.lab, n3.lab (port 4000): each is resolved to its IP, and the port
    # dropped, so the nodes named app@n1.lab … are dialled as app@<IP>: the trap of
    # lesson 4, in SRV mode. Docker's DNS forwarded each node's SRV query to srvdns.
    fqdn = ("n1", "n2", "n3")
    ips = {s: ip_of(srv_lab, s) for s in fqdn}
    dials = {f"app@{ip}" for ip in ips.values()}

    def polled(service: str) -> None:
        assert node_of(srv_lab, service) == f"app@{service}.lab"
        srv_lab.wait_for_log("srvdns", f"{ips[service]} asked SRV _fqdn._tcp.cluster.test: "
                             "3 answers", timeout=10)
        # :sys.get_state (dial_list) is answered after a poll has run to its end. A poll
        # takes the net_setuptime here (7 s): the dial of app@<its own IP> reaches the
        # node itself, and OTP lets that handshake hang until it times out.
        wait_until(lambda: dial_list(srv_lab, service, "DNSCluster") == dials, 20,
                   what=f"{service}'s dial list from the SRV answer")

    engine.parallel(polled, fqdn)
    for service in fqdn:
        for peer in set(fqdn) - {service}:
            assert rpc(srv_lab.container(service), "net_kernel", "connect_node",
                       f"['app@{ips[peer]}']") == "false"
        assert nodes_of(srv_lab, service) == set()
        # Silent: the log option is on, yet there is no success to log, and no line names
        # a dialled address. The kernel's only complaint, if any, names the node itself.
        assert not srv_lab.log_lines(service, "connected to")
        assert not any(srv_lab.log_lines(service, name) for name in dials)
        assert not srv_lab.log_lines(service, "[warning]")
        assert all(f'"app@{service}.lab"' in line.text
                   for line in srv_lab.log_lines(service, "Cannot get connection id"))


def test_dns_cluster_srv_meshes_nodes_named_by_ip(srv_lab):
    ip_named = ("i1", "i2", "i3")
    names = {s: node_of(srv_lab, s) for s in ip_named}
    assert names == {s: f"app@{ip_of(srv_lab, s)}" for s in ip_named}
    for service in ip_named:
        wait_until(lambda s=service: nodes_of(srv_lab, s) == set(names.values()) - {names[s]},
                   15, what=f"{service} connected to the other two")
    # Every peer is visible now, so what is left to dial is the node itself.
    assert dial_list(srv_lab, "i1", "DNSCluster") == {names["i1"]}
    assert srv_lab.log_lines("i1", f"{names['i1']} connected to app@")


def test_dns_cluster_default_resource_types_find_nothing_for_an_srv_only_name(srv_lab):
    # The name has SRV records (the VM's resolver finds all three targets), but the
    # default types ask A and AAAA of it: nothing to dial.
    answer = rpc(srv_lab.container("defaults"), "inet_res", "getbyname",
                 '["_ip._tcp.cluster.test", srv]')
    assert all(f'"{t}.lab"' in answer for t in ("i1", "i2", "i3")), answer
    assert "resource_types=>[a,aaaa]" in state(srv_lab, "defaults", "DNSCluster")
    assert not srv_lab.resolve("defaults", "_ip._tcp.cluster.test").ok
    assert not srv_lab.resolve("defaults", "_ip._tcp.cluster.test", rtype="aaaa").ok
    assert dial_list(srv_lab, "defaults", "DNSCluster") == set()
    assert nodes_of(srv_lab, "defaults") == set()


def test_dns_cluster_refuses_an_unknown_resource_type(srv_lab):
    srv_lab.release("invalid", wait=False)
    assert srv_lab.wait_exited("invalid", timeout=30) != 0
    log = srv_lab.logs("invalid", tail=200)
    assert "expected :resource_types to be a subset of [:a, :aaaa, :srv], got: [:mx]" in log
    assert "[clusterlab] ready" not in log


# -- libcluster 3.5 DNSPoll -------------------------------------------------------------


def test_dnspoll_uses_lookup_without_search_list(poll_lab):
    if OTP <= 27:   # getbyname asks only app.lab (OTP 29 goes on to `app`: PR #10576)
        assert poll_lab.resolve("poller", "app").error == "nxdomain"
    peer = node_of(poll_lab, "peer")
    wait_until(lambda: peer in nodes_of(poll_lab, "poller"), 10, what="poller → peer")
    assert poll_lab.log_lines("poller", f'[libcluster:dns_poll] connected to :"{peer}"')


def test_dnspoll_warns_on_every_failed_dial_on_every_poll(poll_lab):
    stranger = f'app@{ip_of(poll_lab, "stranger")}'
    text = f'[libcluster:dns_poll] unable to connect to :"{stranger}"'
    lines = wait_until(lambda: (found := poll_lab.log_lines("poller", text))
                       and len(found) >= 3 and found, 10, what="three polls' warnings")
    assert all("[warning]" in line.text for line in lines)


def test_dnspoll_skips_its_own_name(poll_lab):
    me = node_of(poll_lab, "poller")
    names = dial_list(poll_lab, "poller", "DNSPoll")
    assert me not in names and f'app@{ip_of(poll_lab, "peer")}' in names


def test_dnspoll_first_poll_in_init_and_defaults(poll_lab):
    # init/1 polls before the supervisor returns, so before the ready line.
    polled = first(poll_lab, "poller", "[libcluster:dns_poll] polling dns for 'app'")
    ready = first(poll_lab, "poller", "[clusterlab] ready")
    assert polled.at <= ready.at and "[debug]" in polled.text
    assert not poll_lab.log_lines("defaults", "polling dns for")   # debug is off by default
    defaults = state(poll_lab, "defaults", "DNSPoll")
    # no `polling_interval:` in its config: upstream's default (5000) applies
    assert "polling_interval" not in defaults and "topology=>dns_poll" in defaults


def test_dnspoll_without_query_and_basename_warns_every_poll(poll_lab):
    text = "[libcluster:dns_poll] dns polling strategy is selected, but query and basename"
    wait_until(lambda: len(poll_lab.log_lines("unset", text)) >= 2, 10, what="two warnings")


def test_dnspoll_disconnects_a_node_that_leaves_dns(poll_lab):
    peer = node_of(poll_lab, "peer")
    wait_until(lambda: peer in nodes_of(poll_lab, "poller"), 10, what="poller → peer")
    container = poll_lab.container("peer")
    (name,) = container.attrs["NetworkSettings"]["Networks"]
    network = engine.client().networks.get(name)
    ip = ip_of(poll_lab, "peer")
    # Same address, no `app` alias: still reachable, gone from the DNS answer.
    network.disconnect(container)
    network.connect(container, ipv4_address=ip, aliases=[])
    try:
        poll_lab.wait_for_log("poller", f'[libcluster:dns_poll] disconnected from :"{peer}"',
                              timeout=10)
        assert peer not in nodes_of(poll_lab, "poller")
    finally:
        # The lab is the module's: put `peer` back in the answer for the tests that run
        # after this one on the same worker (pytest-xdist may run them in any order).
        network.disconnect(container)
        network.connect(container, ipv4_address=ip, aliases=["app", "peer"])


# -- libcluster 3.5 Epmd, and the seed's one-shot connect -------------------------------


def test_epmd_connects_in_init_and_once_without_timeout(epmd_lab):
    target = node_of(epmd_lab, "target")
    wait_until(lambda: target in nodes_of(epmd_lab, "retry"), 15, what="retry → target")
    failed = epmd_lab.log_lines("once_epmd", f'[libcluster:epmd] unable to connect to :"{target}"')
    assert len(failed) == 1 and "[warning]" in failed[0].text
    assert failed[0].at <= first(epmd_lab, "once_epmd", "[clusterlab] ready").at
    assert nodes_of(epmd_lab, "once_epmd") == set()


def test_epmd_with_timeout_redials_and_skips_itself(epmd_lab):
    target = node_of(epmd_lab, "target")
    line = epmd_lab.wait_for_log("retry", f'[libcluster:epmd] connected to :"{target}"',
                                 timeout=15)
    assert "[info]" in line
    assert len(epmd_lab.log_lines("retry", "unable to connect to", target)) >= 2
    # `ghost` is warned about once a round: three more rounds, and target was not redialled.
    ghost = '[libcluster:epmd] unable to connect to :"app@ghost.lab"'
    rounds = len(epmd_lab.log_lines("retry", ghost))
    wait_until(lambda: len(epmd_lab.log_lines("retry", ghost)) >= rounds + 3, 10,
               what="three more rounds")
    assert len(epmd_lab.log_lines("retry", f'connected to :"{target}"')) == 1
    assert not epmd_lab.log_lines("retry", 'connect to :"app@retry.lab"')
    assert not epmd_lab.log_lines("retry", 'connected to :"app@retry.lab"')


def test_epmd_with_an_empty_host_list_does_not_start(epmd_lab):
    assert rpc(epmd_lab.container("empty"), "Elixir.ClusterLab.Inspect", "pid",
               f"['{STRATEGIES['Epmd']}']") == "nil"
    assert not epmd_lab.log_lines("empty", "libcluster")


def test_seed_connect_once_is_silent_and_the_trace_knob_is_not(epmd_lab):
    target = node_of(epmd_lab, "target")
    wait_until(lambda: target in nodes_of(epmd_lab, "retry"), 15, what="retry → target")
    assert nodes_of(epmd_lab, "seed") == set()
    assert not epmd_lab.log_lines("seed", "Node.connect") and not epmd_lab.log_lines("seed", target)
    traced = epmd_lab.log_lines("traced", f'[once] Node.connect(:"{target}") -> false, not retried')
    assert len(traced) == 1


# -- the configuration surface: config/runtime.exs, rel/env.sh.eex, rel/vm.args.eex -------


CRASHING = ["no_strategy", "half_dnspoll", "bad_query"]


@pytest.fixture(scope="module")
def surface_lab():
    lab = Lab.create("00-setup", "fidelity-config_surface",
                     compose_file=HERE / "config_surface" / "compose.yaml", progress=quiet)
    lab.up(held=CRASHING)
    yield lab
    lab.down()


def crash_log(lab: Lab, service: str) -> str:
    lab.release(service, wait=False)
    assert lab.wait_exited(service, timeout=30) != 0
    log = lab.logs(service, tail=300)
    assert "[clusterlab] ready" not in log
    return log


def test_libcluster_topologies_from_runtime_exs(surface_lab):
    wait_until(lambda: "app@epmd-b.lab" in nodes_of(surface_lab, "epmd_a"), 10,
               what="epmd_a → epmd_b")
    assert surface_lab.log_lines("epmd_a", '[libcluster:epmd] connected to :"app@epmd-b.lab"') \
        or surface_lab.log_lines("epmd_b", '[libcluster:epmd] connected to :"app@epmd-a.lab"')


def test_libcluster_ignores_a_misspelt_config_key(surface_lab):
    text = state(surface_lab, "misspelt", "DNSPoll")
    assert "polling_intreval,100" in text and "polling_interval," not in text
    assert not surface_lab.log_lines("misspelt", "[warning]")


def test_libcluster_topology_without_strategy_stops_the_start(surface_lab):
    assert "key :strategy not found" in crash_log(surface_lab, "no_strategy")


def test_dnspoll_with_a_query_and_no_basename_crashes(surface_lab):
    log = crash_log(surface_lab, "half_dnspoll")
    assert "FunctionClauseError" in log and "Cluster.Strategy.DNSPoll" in log


def test_dns_cluster_refuses_a_query_that_is_not_a_string(surface_lab):
    log = crash_log(surface_lab, "bad_query")
    assert "expected :query to be a string, {basename, query}, or list, got: :app" in log


def test_dns_cluster_query_unset_is_ignore_and_nothing_starts(surface_lab):
    assert rpc(surface_lab.container("ignored"), "Elixir.ClusterLab.Inspect", "pid",
               f"['{STRATEGIES['DNSCluster']}']") == "nil"
    assert rpc(surface_lab.container("ignored"), "Elixir.Supervisor", "which_children",
               "['Elixir.ClusterLab.ClusterSupervisor']") == "[]"


def test_release_templates_are_rendered_as_mix_release_renders_them(surface_lab):
    container = surface_lab.container("ignored")
    assert rpc(container, "os", "getenv", '["RENDERED_FOR"]') == '"clusterlab-0.1.0"'
    assert rpc(container, "net_kernel", "get_net_ticktime") == "7"


def test_a_template_that_does_not_render_stops_the_start(tmp_path):
    (tmp_path / "rel").mkdir()
    (tmp_path / "compose.yaml").write_text(
        (HERE / "config_surface" / "compose.yaml").read_text())
    (tmp_path / "rel" / "env.sh.eex").write_text("#!/bin/sh\n<%= if true do %>\nexport X=1\n")
    lab = Lab.create("00-setup", "fidelity-bad-template",
                     compose_file=tmp_path / "compose.yaml", progress=quiet)
    with pytest.raises(ReleaseFileError) as caught:
        lab.up()
    # EEx's own message: the line it names differs by Elixir (1.18: 2, where the block
    # opens; 1.14: 4, the end of the file)
    message = str(caught.value)
    assert re.search(r"EEx\.SyntaxError\) rel/env\.sh\.eex:\d+:\d+: .*<% end %>", message)
    assert ".ex:" not in message   # no stack trace
    assert lab.project not in registry.projects()


def test_a_runtime_exs_that_does_not_compile_stops_the_node(tmp_path):
    (tmp_path / "config").mkdir()
    (tmp_path / "compose.yaml").write_text(
        "services:\n  n1:\n    image: ${CLUSTERLAB_IMAGE:?run `clusterlab image build` first}\n"
        "    environment: {RELEASE_COOKIE: '${ERL_COOKIE:?set by the lab}'}\n")
    (tmp_path / "config" / "runtime.exs").write_text(
        "import Config\n\nconfig :libcluster,\n  topologies: [epmd: [strategy: ]]\n")
    lab = Lab.create("00-setup", "fidelity-bad-runtime",
                     compose_file=tmp_path / "compose.yaml", progress=quiet)
    with pytest.raises(LabStartError) as caught:
        lab.up(timeout=30)
    assert "runtime.exs:4" in str(caught.value), str(caught.value)
    assert lab.project not in registry.projects()

"""Lesson 7's Swarm backend without the engine: the stack as deployed, the exercise's data,
the replica verdicts, and the refusals (a worker, published ports)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from clusterlab import catalogue
from clusterlab.errors import ExerciseError
from clusterlab.gates import engine, swarm
from clusterlab.lab import subnets
from clusterlab.lab.swarm import BACKEND, ignored_keys, published, read_stack, stack_model
from clusterlab.model.snapshot import Member, Snapshot
from clusterlab.render.checkdraw import intended_graph
from clusterlab.workshop.exercise import exercise
from clusterlab.workshop.judge import Observation, evaluate
from clusterlab.workshop.spec import Replicas, parse_expected

LABELS = {engine.LABEL: "cl07-abc123", "io.clusterlab.owner": "host/1"}


def test_lesson_7_is_all_stacks():
    lesson = catalogue.get("07")
    assert {"vip", "tasks", "dnsrr", "exercise"} <= set(lesson.stacks)
    assert lesson.variants == {}            # no Compose variant: nothing runs it with Compose
    assert "tasks.app" in lesson.source("tasks")


def test_every_stack_file_reads_and_publishes_nothing():
    for path in catalogue.get("07").stacks.values():
        model = read_stack(path)
        assert not published(model), path
        assert model["services"]["app"]["hostname"] == "app-{{.Task.Slot}}"


def test_stack_model_labels_services_containers_and_networks_and_pins_the_resolver():
    raw = read_stack(catalogue.get("07").stack_file("vip"))
    model = stack_model(raw, LABELS)
    app = model["services"]["app"]
    assert app["labels"][engine.LABEL] == "cl07-abc123"          # containers: clean finds them
    assert app["labels"][engine.SERVICE] == "app" and app["labels"][BACKEND] == "swarm"
    assert app["deploy"]["labels"][engine.LABEL] == "cl07-abc123"   # the service itself
    assert app["deploy"]["replicas"] == 3
    assert model["networks"]["net"]["labels"][engine.LABEL] == "cl07-abc123"
    assert app["dns_search"] == ["."]
    assert "labels" not in raw["services"]["app"]               # the input is not changed


def test_list_form_labels_are_kept():
    raw = {"services": {"a": {"image": "x", "labels": ["team=x"],
                              "deploy": {"labels": ["tier=1"]}}}}
    model = stack_model(raw, LABELS)
    assert model["services"]["a"]["labels"]["team"] == "x"
    assert model["services"]["a"]["deploy"]["labels"]["tier"] == "1"


def test_overlay_networks_get_a_subnet_from_the_labs_range():
    raw = read_stack(catalogue.get("07").stack_file("tasks"))
    placed = subnets.assign(raw, [], default_driver="overlay")
    (config,) = placed["networks"]["net"]["ipam"]["config"]
    assert subnets.ipaddress.ip_network(config["subnet"]).subnet_of(subnets.configured_range())
    # a network without a driver is an overlay in a stack, a bridge in Compose
    assert subnets.wanting({"networks": {"n": None}}, "overlay") == ["n"]


def test_compose_habits_swarm_ignores_are_named():
    model = {"services": {"a": {"container_name": "a", "depends_on": ["b"]}, "b": {}}}
    assert ignored_keys(model) == {"a": ["container_name", "depends_on"]}


def test_a_stack_that_publishes_ports_is_refused(tmp_path: Path):
    file = tmp_path / "stack.yaml"
    file.write_text("services:\n  app:\n    image: x\n    ports: ['4369:4369']\n")
    assert published(read_stack(file)) == ["app"]


def test_a_worker_is_refused_with_the_way_out(monkeypatch):
    monkeypatch.setattr(swarm, "state", lambda: swarm.SwarmState("active", False, False))
    with pytest.raises(swarm.SwarmWorker) as err:
        swarm.ensure_manager()
    assert "worker" in str(err.value) and "DOCKER_HOST=ssh://" in str(err.value)


def test_a_swarm_clusterlab_did_not_make_is_never_left(monkeypatch):
    monkeypatch.setattr(swarm, "state", lambda: swarm.SwarmState("active", True, False))
    monkeypatch.setattr(engine, "client", lambda: pytest.fail("must not touch the engine"))
    assert not swarm.leave_if_last()


def test_exercise_07_is_replicas_and_a_rolling_update():
    ex = exercise("07")
    assert ex.expected.criteria == (Replicas("app", 3),)
    assert ex.expected.fault is not None and ex.expected.fault.kind == "rolling_update"
    assert "rolling update" in ex.expected.fault.label
    assert "DNS_CLUSTER_QUERY: app\n" in ex.source()


def test_a_rolling_update_needs_a_clustered_service():
    with pytest.raises(ExerciseError, match="no \\[\\[cluster\\]\\]"):
        parse_expected({"services": ["app", "b"], "replicas": [{"service": "app", "count": 2}],
                        "fault": {"rolling_update": "b"}})


def _member(container: str, node: str | None, peers: tuple[str, ...] | None) -> Member:
    return Member("app", container, "app-1", {"net": "10.0.0.1"}, {}, node, peers)


def _judge(*members: Member) -> list[str]:
    snap = Snapshot("t", datetime.now(UTC), 0.1, members)
    expected = parse_expected({"services": ["app"], "replicas": [{"service": "app", "count": 3}]})
    (result,) = evaluate(expected, Observation(snap))
    return list(result.problems)


def test_replicas_verdicts_name_nodes_not_the_shared_service():
    a, b, c = "app@10.0.0.2", "app@10.0.0.3", "app@10.0.0.4"
    meshed = (_member("t1", a, (b, c)), _member("t2", b, (a, c)), _member("t3", c, (a, b)))
    assert _judge(*meshed) == []
    assert _judge(_member("t1", a, ()), _member("t2", b, ()), _member("t3", c, ())) == [
        f"{a} sees no nodes", f"{b} sees no nodes", f"{c} sees no nodes"]
    old = "app@10.0.0.9"
    problems = _judge(_member("t1", a, (b, c, old)), _member("t2", b, (a, c)),
                      _member("t3", c, (a, b)))
    assert problems == [f"{a} still lists {old}, which no running task is"]
    assert _judge(_member("t1", a, (b,)), _member("t2", b, (a,))) == [
        "2 tasks of app are running, not 3"]


def test_the_intended_drawing_has_one_node_per_replica():
    graph = intended_graph(exercise("07").expected)
    assert sorted(graph.nodes) == ["app.1", "app.2", "app.3"]
    assert graph.number_of_edges() == 6


def test_a_leave_waits_while_any_lab_is_being_started(monkeypatch, tmp_path):
    """``compose up`` holds the bridges lock shared (labs start side by side); a swarm
    leave takes it exclusive without waiting, and is put off while any lab starts."""
    monkeypatch.setattr(swarm.tempfile, "gettempdir", lambda: str(tmp_path))
    with swarm._no_lab_starting() as free:
        assert free
    # two labs starting at once, and a leave meanwhile
    with swarm.bridges_starting(), swarm.bridges_starting(), swarm._no_lab_starting() as free:
        assert not free
    with swarm._no_lab_starting() as free:
        assert free


def test_a_deferred_leave_explains_itself():
    kept = swarm.Leave(False, ("cl01-a-n1-1", "cl01-a-n2-1", "b", "c", "d"))
    assert kept.deferred and not kept
    text = kept.explain()
    assert "5 running container(s)" in text and "moby/moby#45144" in text
    assert "cl01-a-n1-1" in text and " …" in text and "clusterlab clean" in text


def test_a_leave_deferred_for_a_lab_being_started_says_so():
    text = swarm.Leave(False, (swarm.STARTING,)).explain()
    assert "a lab being started beside it" in text and "running container" not in text

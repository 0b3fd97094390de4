"""The workshop panel's logic, without a browser or Docker: a fake lab records calls."""

from __future__ import annotations

import html
from types import SimpleNamespace

from clusterlab.errors import LabStartError
from clusterlab.workshop.widgets import LabController, panel


class FakeLab:
    def __init__(self, variant, fail=False, seen=None):
        self.variant, self.fail, self.calls = variant, fail, []
        self.project = f"cl01-{variant}"
        self.seen = seen

    def up(self):
        if self.seen is not None:  # what the controller looked like while starting
            self.seen.append(self.seen_ctl.busy)
        if self.fail:
            raise LabStartError("minio is exited")
        self.calls.append("up")
        return self

    def containers(self):
        return [SimpleNamespace(name=f"x-{s}-1", labels={"com.docker.compose.service": s})
                for s in ("user_svc", "minio")]

    def probe(self):
        return f"snapshot of {self.project}"

    def commands(self):
        return [f"docker compose -p {self.project} {c[0] if isinstance(c, tuple) else c}"
                for c in self.calls]

    def __getattr__(self, name):  # stop, start, disconnect, connect, down
        return lambda *args: self.calls.append((name, *args))


def controller(fail=False):
    made = []

    def factory(lesson, variant, compose_file=None):
        made.append(FakeLab(variant, fail))
        made[-1].compose_file = compose_file
        return made[-1]

    return LabController.for_lesson("01", factory), made


def test_apply_starts_a_lab_and_replaces_the_previous_one():
    ctl, made = controller()
    assert "broken" in ctl.variants and not ctl.running
    ctl.apply("broken")
    ctl.apply("fixed")
    assert [lab.variant for lab in made] == ["broken", "fixed"]
    assert ("down",) in made[0].calls and ctl.lab is made[1]
    assert ctl.services == ["minio", "user_svc"]
    assert ctl.log[-2:] == ["fixed is up as cl01-fixed", "ready"]


def test_actions_are_refused_while_starting_and_without_a_lab():
    ctl, _ = controller()
    ctl.stop("user_svc")
    assert ctl.log[-1] == "no lab is running: choose a variant and Apply"
    ctl.busy = True
    ctl.apply("fixed")
    assert ctl.log[-1] == "busy: wait for the lab to finish starting" and ctl.lab is None


def test_busy_is_set_during_up_and_cleared_after_a_failure():
    seen: list[bool] = []

    def factory(lesson, variant, compose_file=None):
        lab = FakeLab(variant, fail=True, seen=seen)
        lab.seen_ctl = ctl
        return lab

    ctl = LabController.for_lesson("01", factory)
    ctl.apply("broken")
    assert seen == [True] and not ctl.busy and ctl.lab is None
    assert "broken did not start: minio is exited" in ctl.log


def test_partition_heal_stop_start_reach_the_lab_once():
    ctl, made = controller()
    ctl.apply("fixed")
    ctl.partition("user_svc")
    ctl.partition("user_svc")
    ctl.heal("user_svc")
    ctl.heal("user_svc")
    ctl.stop("minio")
    ctl.start("minio")
    lab = made[0]
    assert [c for c in lab.calls if c != "up"] == [("disconnect", "user_svc"),
                                                    ("connect", "user_svc"),
                                                    ("stop", "minio"), ("start", "minio")]
    assert "user_svc is already cut off" in ctl.log and "user_svc is not cut off" in ctl.log
    ctl.down()
    assert not ctl.running and ctl.log[-1] == "lab removed"


def test_panel_buttons_follow_the_controller():
    ctl, _ = controller()
    box = panel("01", ctl)
    variant, apply, look, down = box.children[0].children
    stop = box.children[2].children[1]
    assert not apply.disabled and down.disabled and stop.disabled and look.disabled
    variant.value = "fixed"
    apply.click()
    assert not stop.disabled and list(box.children[2].children[0].options) == ["minio",
                                                                                 "user_svc"]
    assert ctl.snapshot == "snapshot of cl01-fixed", "Apply probes so the panel can redraw"


def test_playground_builds_a_compose_file_from_the_choices():
    from clusterlab.workshop import playground

    ctl, made = controller()
    assert ctl.variants[-1] == "playground"
    ctl.apply("playground", playground.Options(naming="sname", strategy="once"))
    written = made[0].compose_file.read_text()
    runtime = (made[0].compose_file.parent / "config" / "runtime.exs").read_text()
    assert '"RELEASE_NODE": "app@n1"' in written
    assert 'config :clusterlab, :connect_to_cluster, [:"app@n1", :"app@n2", :"app@n3"]' in runtime


def test_after_apply_the_fault_buttons_have_a_target():
    """The reported bug: after Apply the service dropdown showed nothing selected, so
    Stop/Start/Partition/Heal clicked with service=None."""
    ctl, made = controller()
    box = panel("01", ctl)
    variant, apply = box.children[0].children[:2]
    service, _, _, partition, heal = box.children[2].children
    variant.value = "fixed"
    apply.click()
    assert service.value == "minio", "the first service is selected once the lab is up"
    service.value = "user_svc"
    partition.click()
    heal.click()
    assert ("disconnect", "user_svc") in made[0].calls and ("connect", "user_svc") in made[0].calls
    apply.click()  # a new lab with the same services keeps the learner's choice
    assert service.value == "user_svc"


def test_target_follows_the_running_services():
    ctl, _ = controller()
    assert ctl.target("user_svc") is None, "no lab, no target"
    ctl.apply("fixed")
    assert ctl.target(None) == "minio" and ctl.target("gone_svc") == "minio"
    assert ctl.target("user_svc") == "user_svc"


def test_a_fault_without_a_service_says_so_and_touches_nothing():
    ctl, made = controller()
    ctl.apply("fixed")
    for act in (ctl.stop, ctl.start, ctl.partition, ctl.heal):
        act(None)
    assert [c for c in made[0].calls if c != "up"] == []
    assert ctl.log[-1] == "choose a service first (reconnected needs one)"


def test_the_panel_shows_the_commands_of_removed_labs_too():
    ctl, _ = controller()
    ctl.apply("broken")
    ctl.apply("fixed")
    ctl.down()
    box = panel("01", ctl)  # after Down: nothing to draw, the commands remain
    assert ctl.commands() == ["docker compose -p cl01-broken up",
                              "docker compose -p cl01-broken down",
                              "docker compose -p cl01-fixed up",
                              "docker compose -p cl01-fixed down"]
    shown = html.unescape(box.children[4].value.removeprefix("<pre style='margin:0'>")
                          .removesuffix("</pre>"))
    assert shown.splitlines() == ctl.shown_commands()
    assert shown.splitlines()[1:] == ctl.commands()[-4:], "no probe yet: every step is shown"


def test_the_panel_shows_the_step_and_one_example_of_the_probe():
    ctl = LabController.for_lesson("01", lambda *a: None)
    ctl.past = ["docker compose up", "docker exec a nslookup minio",
                "docker exec b nslookup minio",
                """docker exec b sh -c 'erl_call -a "erlang nodes"'""",
                "docker network disconnect net b",
                "docker exec a nslookup minio", "docker exec c nslookup minio"]
    assert ctl.shown_commands(last=1) == [
        "# the last steps, by hand (the cookie is read inside the container):",
        "docker network disconnect net b",
        "# a Look asks every container, for example:",
        "docker exec c nslookup minio", """docker exec b sh -c 'erl_call -a "erlang nodes"'"""]


def test_the_playground_refuses_more_nodes_than_the_engine_holds(monkeypatch):
    from clusterlab.workshop import playground

    monkeypatch.setattr(playground, "machine_limit", lambda: playground.replica_limit(
        2, 24 * 2**30))
    ctl, made = controller()
    ctl.apply("playground", playground.Options(replicas=41))
    assert ctl.lab is None and not made and not ctl.busy
    assert any("replicas = 41" in line and "at most 40 nodes" in line for line in ctl.log)
    ctl.apply("playground", playground.Options(replicas=40))
    assert ctl.lab is not None

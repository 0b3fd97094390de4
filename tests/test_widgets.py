"""The workshop panel's logic, without a browser or Docker: a fake lab records calls."""

from __future__ import annotations

from types import SimpleNamespace

from clusterlab.errors import LabStartError
from clusterlab.widgets import LabController, panel


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
    from clusterlab import playground

    ctl, made = controller()
    assert ctl.variants[-1] == "playground"
    ctl.apply("playground", playground.Options(naming="sname", strategy="once"))
    written = made[0].compose_file.read_text()
    assert '"RELEASE_NODE": "app@n1"' in written and '"CLUSTER_STRATEGY": "once"' in written

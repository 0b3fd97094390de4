"""The offline room, end to end (issue 20): a fresh clone set up from a ``room pack`` kit.

``test_a_fresh_clone_sets_up_offline_from_a_room_kit`` runs the commands of labs/README.md's
offline section: ``clusterlab room pack KIT`` here, then, in a fresh ``git clone`` of this
repository (HEAD) with the project's images gone from the engine and pip's index
unreachable, ``helpers/bin/setup --offline KIT`` and lesson 0 + exercise 1 with nbmake.

It takes the ``clusterlab/app`` and base tags away for a few minutes, so it carries the
``room`` marker: a whole-suite run leaves it out (conftest.py), and CI runs it alone after
the suite (``.ci/run``). The tags are kept under ``clusterlab-room-keep/…`` names (the
image data stays, running containers are untouched) and put back in a ``finally``; a run
killed halfway is repaired by the next one. The stash/restore path itself is tested on
test-only names by ``test_stash_restore_and_recover_give_back_the_same_images``, which runs
in the main suite.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterable
from pathlib import Path

import docker.errors
import pytest
from clusterlab.gates import engine, image
from clusterlab.lab import registry
from clusterlab.progress import quiet

pytestmark = pytest.mark.docker

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
KEEP = "clusterlab-room-keep/"
CLOSED = "http://127.0.0.1:9"  # the discard port: nothing listens, every request fails
NOTEBOOKS = ("notebooks/00-setup.ipynb", "labs/01-compose-networks/exercise.ipynb")
# What a build, a base pull or a bootstrap prints (clusterlab.image): none may appear.
BUILD_SIGNS = ("building ", " built in ", "mmdebstrap", "bootstrapping", "pulled ",
               "can't be pulled", "inputs changed since", "no lab image with these inputs")


def _split(ref: str) -> tuple[str, str]:
    repository, _, tag = ref.rpartition(":")
    return repository, tag


def project_refs() -> list[str]:
    """Every tag of the project's images here: app images, bases, the Debian slim base."""
    client = engine.client()
    repositories = (image.REPOSITORY, image.BASE_REPOSITORY)
    refs = {tag for repository in repositories for item in client.images.list(repository)
            for tag in item.tags if _split(tag)[0] in repositories}  # not the keep tags
    for stack in image.STACKS.values():
        if image._exists(stack.slim):
            refs.add(stack.slim)
    return sorted(refs)


def stash(refs: Iterable[str], keep: str = KEEP) -> dict[str, str]:
    """Take ``refs`` off the engine, kept as ``keep + ref``: an untag, the data stays."""
    client = engine.client()
    kept: dict[str, str] = {}
    for ref in refs:
        client.images.get(ref).tag(*_split(keep + ref))
        kept[ref] = keep + ref
        client.images.remove(ref)  # another tag names the image: this only untags
    return kept


def restore(kept: dict[str, str]) -> None:
    """Put every stashed tag back (over whatever took the name meanwhile), drop the keeps."""
    client = engine.client()
    for ref, keep in kept.items():
        client.images.get(keep).tag(*_split(ref))
        client.images.remove(keep)


def recover(keep: str = KEEP) -> dict[str, str]:
    """Restore the tags a killed run left stashed under ``keep``; returns what it restored."""
    left = {tag.removeprefix(keep): tag for item in engine.client().images.list()
            for tag in item.tags if tag.startswith(keep)}
    restore(left)
    return left


def _remove_if_untagged(image_ids: Iterable[str]) -> None:
    for image_id in image_ids:
        with contextlib.suppress(docker.errors.ImageNotFound, docker.errors.APIError):
            if not engine.client().images.get(image_id).tags:
                engine.client().images.remove(image_id)


def run(argv: list[str], cwd: Path, env: dict[str, str], what: str,
        timeout: float = 900) -> tuple[float, str]:
    """Run a step; on failure, say which step, with the end of its output."""
    started = time.monotonic()
    try:
        done = subprocess.run([str(a) for a in argv], cwd=cwd, env=env, capture_output=True,
                              text=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        out = (exc.stdout or b"")[-3000:]
        pytest.fail(f"{what}: `{' '.join(map(str, argv))}` did not finish in {timeout:.0f} s; "
                    f"its output ended:\n{out.decode(errors='replace') if out else ''}")
    out = done.stdout + done.stderr
    if done.returncode != 0:
        pytest.fail(f"{what}: `{' '.join(map(str, argv))}` failed ({done.returncode}) in {cwd}; "
                    f"its output ended:\n{out[-4000:]}")
    return time.monotonic() - started, out


def offline_env() -> dict[str, str]:
    """The learner's shell in a room: no index for pip, no proxy that works, no venv of ours."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("PIP_", "CLUSTERLAB_", "VIRTUAL_ENV", "PYTHON"))
           and key.lower() not in {"http_proxy", "https_proxy", "all_proxy", "no_proxy"}}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep)
                                  if p and Path(p).resolve() != VENV_BIN.resolve())
    proxy = {"http_proxy": CLOSED, "https_proxy": CLOSED, "no_proxy": "localhost,127.0.0.1,::1"}
    return env | proxy | {key.upper(): value for key, value in proxy.items()} | {
        "PIP_NO_INDEX": "1", "PIP_INDEX_URL": f"{CLOSED}/simple", "PIP_CONFIG_FILE": os.devnull,
        "PIP_NO_CACHE_DIR": "1", "CLUSTERLAB_REQUIRE_DOCKER": "1",
        "CLUSTERLAB_EXERCISE": "solution"}


def _mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1024 / 1024


def test_stash_restore_and_recover_give_back_the_same_images():
    """The tag juggling of the room test, on test-only names (safe on a shared engine)."""
    client = engine.client()
    shared = image.ensure_image(quiet)
    suffix = f"{os.getpid()}-{uuid.uuid4().hex[:6]}"
    refs = [f"clusterlab-test/room-{suffix}:a", f"clusterlab-test/room-{suffix}/base:b"]
    keep = f"clusterlab-test/keep-{suffix}/"
    shared_id = client.images.get(shared.tag).id
    try:
        for ref in refs:
            client.images.get(shared.tag).tag(*_split(ref))
        kept = stash(refs, keep)
        assert kept == {ref: keep + ref for ref in refs}
        assert [image._exists(ref) for ref in refs] == [None, None], "stash must untag"
        restore(kept)
        assert [image._exists(ref) for ref in refs] == [shared_id] * 2
        assert [image._exists(k) for k in kept.values()] == [None, None], "keeps must go"

        stash(refs, keep)  # and a run killed here: the next run's recover() repairs it
        assert recover(keep) == kept
        assert [image._exists(ref) for ref in refs] == [shared_id] * 2
        assert recover(keep) == {}
    finally:
        for ref in [*refs, *(keep + ref for ref in refs)]:
            with contextlib.suppress(docker.errors.ImageNotFound):
                client.images.remove(ref)
    assert image._exists(shared.tag) == shared_id, "the shared lab image must be untouched"


@pytest.mark.room
def test_a_fresh_clone_sets_up_offline_from_a_room_kit():
    started = time.monotonic()
    client = engine.client()
    if repaired := recover():
        print(f"restored tags a killed run left stashed: {', '.join(repaired)}")
    busy = sorted(registry.projects())
    assert not busy, (f"labs are running on this engine ({', '.join(busy)}); this test takes "
                      "the clusterlab/app and base tags away for minutes, so it runs only when "
                      "nothing else uses the engine (CI: alone, after helpers/bin/test)")
    before = set(project_refs())
    ids_before = {item.id for item in client.images.list(all=True)}
    times: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="clusterlab-room-") as tmp:
        kit, clone = Path(tmp) / "kit", Path(tmp) / "ClusterLab"
        times["room pack"], out = run([VENV_BIN / "clusterlab", "room", "pack", kit], ROOT,
                                      dict(os.environ), "packing the kit (online)")
        wanted = json.loads((kit / "kit.json").read_text())["image"]
        assert wanted == image.current_tag(), f"the kit holds {wanted}, not {image.current_tag()}"
        wanted_id = client.images.get(wanted).id
        base = client.images.get(wanted).labels[image.BASE_LABEL]
        size = _mb(kit)
        run(["git", "clone", "--quiet", ROOT, clone], ROOT, dict(os.environ), "git clone")
        env = offline_env()
        kept = stash(before)
        try:
            assert project_refs() == [], f"images still here after the stash: {project_refs()}"
            times["setup --offline"], out = run(
                ["helpers/bin/setup", "--offline", kit], clone, env,
                "setup --offline in the fresh clone (no index, no project images)")
            for line in (f"setup: kit {kit} is intact (image {wanted}", f"loaded {wanted}",
                         f"using the imported image {wanted} as is (built on {base}",
                         f"{wanted} imported, used as is"):
                assert line in out, f"setup did not say {line!r}; it said:\n{out[-3000:]}"
            signs = [sign for sign in BUILD_SIGNS if sign in out]
            assert not signs, f"setup built, pulled or bootstrapped ({signs}):\n{out[-3000:]}"
            assert project_refs() == [wanted] and image._exists(wanted) == wanted_id, (
                f"after setup the engine has {project_refs()}, not just the kit's {wanted}")

            times["lesson 0 + exercise 1"], out = run(
                [".venv/bin/pytest", "-p", "no:cacheprovider", "-q", "--nbmake",
                 "--nbmake-timeout=120", *NOTEBOOKS], clone, env,
                "lesson 0 and exercise 1 (nbmake) in the clone")
            assert re.search(rf"^{len(NOTEBOOKS)} passed in ", out, re.M), (
                f"not every notebook passed (a skip counts as a failure):\n{out[-3000:]}")
            assert project_refs() == [wanted] and image._exists(wanted) == wanted_id, (
                f"the notebooks changed the images: {project_refs()} (a build or a new base)")
            assert not sorted(registry.projects()), "the notebooks left labs running"
        finally:
            created = {image._exists(ref) for ref in project_refs()} - ids_before
            restore(kept)
            _remove_if_untagged(created - {None})
    assert not Path(tmp).exists(), f"{tmp} (kit, clone, its .venv) was left behind"
    assert set(project_refs()) == before, "the project's image tags were not all restored"
    assert not recover(), "keep tags were left behind"
    print(f"kit {size:.0f} MB; " + "; ".join(f"{k} {v:.0f} s" for k, v in times.items())
          + f"; whole test {time.monotonic() - started:.0f} s")

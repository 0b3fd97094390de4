"""The online build: `docker build labs/app` with no build arguments, as a learner with a
registry runs it: FROM ``debian:trixie-slim``, apt-get inside both stages.

No registry here, so the slim image is made: an mmdebstrap minbase rootfs (apt included)
with the dpkg excludes Debian's slim images carry (debuerreotype's slimify: no docs, man
pages or locales, in the base nor in what apt installs later), imported under a
test-only name. The build runs once with BASE/RUNTIME naming that image (all the apt and
``mix release`` work), then once with no build arguments while the same image is also
tagged ``debian:trixie-slim``: every step is a cache hit, so that tag, which the other
labs' builds would pick up (``image._bases`` prefers a local slim image), exists for
seconds only. The test is ``alone`` all the same. An engine that already has a real
``debian:trixie-slim`` is used as is, and nothing is tagged.

Everything else lives under ``clusterlab-test/…-<hex>`` names and is removed at the end.
"""

from __future__ import annotations

import contextlib
import re
import secrets
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import docker.errors
import pytest
from clusterlab.errors import ClusterLabError, ConvergenceTimeout
from clusterlab.gates import engine, image
from clusterlab.observe import erlang
from clusterlab.waiting import wait_until
from docker.models.containers import Container

pytestmark = [pytest.mark.docker, pytest.mark.slow, pytest.mark.alone]

MAX_MB = 150
# debuerreotype's slimify (scripts/.slimify-excludes and -includes): what makes debian
# slim images slim. mmdebstrap keeps --dpkgopt in /etc/dpkg/dpkg.cfg.d/, so apt-get in
# the build honours them too, as in the real image (/etc/dpkg/dpkg.cfg.d/docker).
SLIM_DPKG = ("force-unsafe-io", "path-exclude=/usr/share/doc/*",
             "path-include=/usr/share/doc/*/copyright", "path-exclude=/usr/share/groff/*",
             "path-exclude=/usr/share/info/*", "path-exclude=/usr/share/linda/*",
             "path-exclude=/usr/share/lintian/overrides/*", "path-exclude=/usr/share/locale/*",
             "path-exclude=/usr/share/man/*")
_STEP_ID = re.compile(r"^ ---> ([0-9a-f]{12})$")


def _bootstrap_slim(release: str, tar: Path) -> None:
    """A stand-in for ``debian:<release>-slim``: minbase (apt, gpgv, keyring), slimmed."""
    hooks = [f"--hook-dir={image._MERGED_USR}"] if image._MERGED_USR.is_dir() else []
    argv = ["mmdebstrap", "--variant=minbase", *hooks,
            "--aptopt=Acquire::Check-Valid-Until \"false\"",
            *(f"--dpkgopt={opt}" for opt in SLIM_DPKG),
            release, str(tar), image.mirror_for(release)]
    done = subprocess.run(argv, capture_output=True, text=True)
    assert done.returncode == 0, f"mmdebstrap failed:\n{done.stderr[-3000:]}"


def _build(tag: str, buildargs: dict[str, str], log: list[str]) -> str:
    """``docker build labs/app`` (classic builder, as image.py runs it); the image ID."""
    stream = engine.client().api.build(path=str(image.app_dir()), tag=tag, buildargs=buildargs,
                                       rm=True, forcerm=True, decode=True)
    for chunk in stream:
        assert "error" not in chunk, f"docker build failed: {chunk['error']}\n" + \
            "\n".join(log[-20:])
        log.extend(chunk.get("stream", "").splitlines())
    return engine.client().images.get(tag).id


def _remove(ref: str) -> None:
    with contextlib.suppress(docker.errors.NotFound):
        engine.client().images.remove(ref)


def _remove_build_stages(log: list[str], before: set[str]) -> None:
    """The build stage ends as an untagged image: remove the ones our builds made (their
    untagged parents go with them), never an image that was here before the test."""
    ours = {match[1] for line in log if (match := _STEP_ID.match(line))}
    for item in engine.client().images.list(filters={"dangling": True}):
        if item.id not in before and item.id.removeprefix("sha256:")[:12] in ours:
            _remove(item.id)


def _env(node: str, cookie: str, hosts: list[str]) -> dict[str, str]:
    """Lesson 0's `fixed` mesh (labs/00-setup/fixed/compose.yaml): long names, one cookie,
    libcluster's Epmd strategy over a host list, redialled every 500 ms until it holds."""
    return {"RELEASE_DISTRIBUTION": "name", "RELEASE_NODE": node, "RELEASE_COOKIE": cookie,
            "CLUSTER_STRATEGY": "epmd", "CLUSTER_TIMEOUT": "500",
            "CLUSTER_HOSTS": ",".join(hosts)}


def _peers(container: Container) -> str:
    """``erlang:nodes()`` as the node prints it; "" until the node answers."""
    try:
        return erlang.rpc(container, "erlang", "nodes")
    except ClusterLabError:
        return ""


def test_the_online_build_makes_a_small_image_that_meshes(tmp_path: Path):
    client = engine.client()
    chosen = image.stack(image.DEFAULT_OTP)
    slim = chosen.slim
    have_slim = image._exists(slim) is not None
    if not have_slim and not shutil.which("mmdebstrap"):
        pytest.skip(f"neither {slim} nor mmdebstrap to make a stand-in for it")
    suffix = uuid.uuid4().hex[:10]
    stand_in = f"clusterlab-test/slim-{suffix}:{chosen.release}"
    app, defaults = f"clusterlab-test/app-{suffix}:online", f"clusterlab-test/app-{suffix}:defaults"
    prefix = f"clusterlab-test-online-{suffix}"
    before = {item.id for item in client.images.list(all=True)}
    log: list[str] = []
    tagged_slim: str | None = None
    containers: list[Container] = []
    network = None
    try:
        if have_slim:
            base = slim
        else:
            _bootstrap_slim(chosen.release, tmp_path / "slim.tar")
            client.api.import_image(src=str(tmp_path / "slim.tar"),
                                    repository=stand_in.split(":")[0], tag=chosen.release)
            base = stand_in
        started = time.monotonic()
        built = _build(app, {"BASE": base, "RUNTIME": base}, log)
        seconds = time.monotonic() - started
        # Both stages took the apt path: a slim image holds neither Elixir nor bind9.
        assert not [line for line in log
                    if line.endswith("skipping apt-get") and not line.startswith("Step ")]

        # No build arguments: the Dockerfile's defaults name the slim image.
        if not have_slim:
            assert image._exists(slim) is None, f"{slim} appeared meanwhile: not ours to tag"
            client.images.get(stand_in).tag(slim)
            tagged_slim = client.images.get(slim).id
        try:
            assert _build(defaults, {}, log) == built, "the defaults name another base"
        finally:
            if tagged_slim and image._exists(slim) == tagged_slim:
                _remove(slim)  # the stand-in's own tag keeps the image: this only untags
                tagged_slim = None

        size = client.images.get(app).attrs["Size"] / 1e6
        versions = image.runtime_versions(app)
        print(f"\nonline image ({slim}{'' if have_slim else ' stand-in'} + apt): "
              f"{size:.0f} MB, built in {seconds:.0f} s, OTP {versions['otp']}, "
              f"Elixir {versions['elixir']}")
        assert size <= MAX_MB, f"the online image is {size:.0f} MB (at most {MAX_MB})"
        assert versions["otp"].split(".")[0] == chosen.otp, versions
        assert f"{versions['elixir']}.".startswith(f"{chosen.elixir}."), versions

        # It runs: two nodes as lesson 0 starts them, on a network of their own.
        network = client.networks.create(prefix, driver="bridge")
        hosts = {name: f"{name}.lab" for name in ("n1", "n2")}
        nodes = [f"app@{host}" for host in hosts.values()]
        cookie = secrets.token_hex(16)
        for (name, host), node in zip(hosts.items(), nodes):
            containers.append(client.containers.run(
                app, detach=True, name=f"{prefix}-{name}", hostname=host,
                environment=_env(node, cookie, nodes), network=prefix,
                networking_config={prefix: client.api.create_endpoint_config(aliases=[host])}))
        try:
            wait_until(lambda: all(peer in _peers(container) for container, peer
                                   in zip(containers, reversed(nodes))),
                       timeout=90, interval=0.25, what="the two nodes' mesh")
        except ConvergenceTimeout as exc:
            logs = "\n".join(f"--- {c.name}\n{c.logs(tail=30).decode(errors='replace')}"
                             for c in containers)
            pytest.fail(f"{exc.message}\n{logs}")
    finally:
        for container in containers:
            with contextlib.suppress(docker.errors.NotFound):
                container.remove(force=True)
        for ref in (app, defaults):
            _remove(ref)
        if tagged_slim and image._exists(slim) == tagged_slim:
            _remove(slim)
        _remove_build_stages(log, before)
        if not have_slim:
            _remove(stand_in)
        if network is not None:
            engine.remove_network(network.id, prefix)
    assert image._exists(stand_in) is None and image._exists(app) is None
    assert have_slim or image._exists(slim) is None, f"{slim} must not outlive the test"

"""Export → remove → import → build uses the imported image: no pull, no mmdebstrap, no build.

Everything runs under test-only names (``clusterlab-test/…-<pid>``): other labs on this
engine keep using ``clusterlab/app``, whose tags are never touched. The engine still
holds the shared layers, which only makes the load quicker; what ClusterLab sees is a
machine without the base the image was built on and without the app image.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from pathlib import Path

import docker.errors
import pytest
from clusterlab import cli
from clusterlab.gates import engine, image
from clusterlab.progress import quiet, say

pytestmark = pytest.mark.docker


def _remove(ref: str) -> None:
    with contextlib.suppress(docker.errors.ImageNotFound):
        engine.client().images.remove(ref)


def test_an_imported_image_is_used_as_is(tmp_path: Path, monkeypatch, capsys):
    client = engine.client()
    shared = image.ensure_image(quiet)  # the image every lab uses: only read here
    suffix = f"{os.getpid()}-{uuid.uuid4().hex[:6]}"
    repository = f"clusterlab-test/app-{suffix}"
    base = f"clusterlab-test/base-{suffix}:{image.stack().release}"
    monkeypatch.setattr(image, "REPOSITORY", repository)
    client.images.get(shared.base).tag(base)  # same ID: the test build hits the build cache
    monkeypatch.setattr(image, "base_image", lambda progress=say, otp=None: base)
    tar = tmp_path / "clusterlab.tar"
    try:
        built = image.ensure_image(quiet)
        assert built.tag.startswith(f"{repository}:") and not built.cached
        assert image.ensure_image(quiet).cached  # built here: not "imported"
        exported_id = client.images.get(built.tag).id
        assert cli.main(["image", "export", str(tar)]) == 0

        # The room: neither the app image nor the base it was built on.
        _remove(built.tag)
        _remove(base)
        assert image._exists(built.tag) is None and image._exists(base) is None

        def no_base(progress: image.Progress = say, otp: str | None = None) -> str:
            raise AssertionError("an imported image must not need a base (pull/mmdebstrap)")

        def no_build(*args: object, **kwargs: object) -> None:
            raise AssertionError("an imported image must not be rebuilt")

        monkeypatch.setattr(image, "base_image", no_base)
        monkeypatch.setattr(image, "bootstrap_bases", no_base)
        monkeypatch.setattr(image, "_build", no_build)
        capsys.readouterr()
        assert cli.main(["image", "import", "--require-current", str(tar)]) == 0
        assert f"loaded {built.tag}" in capsys.readouterr().out
        assert cli.main(["image", "build"]) == 0
        out, err = capsys.readouterr()
        assert f"using the imported image {built.tag} as is (built on {base}" in err
        assert out.startswith(f"{built.tag} imported, used as is")
        assert client.images.get(built.tag).id == exported_id

        # An image from an older kit: this checkout's inputs differ, and the error says which.
        labs = tmp_path / "labs"
        shutil.copytree(image.app_dir(), labs / "app",
                        ignore=shutil.ignore_patterns("_build", "deps"))
        (labs / "app" / "mix.exs").write_text((labs / "app" / "mix.exs").read_text() + "\n")
        monkeypatch.setenv("CLUSTERLAB_LABS", str(labs))
        assert cli.main(["image", "import", "--require-current", str(tar)]) == 2
        err = capsys.readouterr().err
        assert "was built from other inputs than this checkout (mix.exs changed)" in err
        assert f"does not hold {image.current_tag()}" in err
    finally:
        for ref in {t for i in client.images.list(repository) for t in i.tags}:
            _remove(ref)
        _remove(base)
    assert image._exists(shared.tag), "the shared lab image must survive the test"

"""The lab image's identity: its inputs, never the base ID; and the kit's refusals."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from clusterlab.errors import ImageBuildError
from clusterlab.gates import image
from clusterlab.tools import room

APP = Path(__file__).resolve().parents[1] / "labs" / "app"


@pytest.fixture(autouse=True)
def default_otp(monkeypatch):
    """These tests name releases: they read the default stack, whatever OTP the run uses."""
    monkeypatch.delenv(image.OTP_ENV, raising=False)


@pytest.fixture
def app(tmp_path: Path) -> Path:
    copy = tmp_path / "app"
    shutil.copytree(APP, copy, ignore=shutil.ignore_patterns("_build", "deps"))
    return copy


def test_the_tag_depends_on_the_inputs_alone(app: Path):
    first = image.inputs_hash(image.inputs_manifest(app))
    # Same inputs in another place (another machine, another clone): same tag.
    assert image.inputs_hash(image.inputs_manifest(app)) == first
    assert image.inputs_hash(image.inputs_manifest(APP)) == first
    assert len(first) == 12 and int(first, 16) >= 0
    # Each kind of input moves it: a source file, the Dockerfile, the release, the packages.
    (app / "lib" / "extra.ex").write_text("defmodule Extra do end\n")
    assert image.inputs_hash(image.inputs_manifest(app)) != first
    (app / "lib" / "extra.ex").unlink()
    (app / "Dockerfile").write_text((app / "Dockerfile").read_text() + "\n# edit\n")
    edited = image.inputs_hash(image.inputs_manifest(app))
    assert edited != first
    assert image.inputs_hash(image.inputs_manifest(app, release="bookworm")) != edited
    assert image.inputs_hash(image.inputs_manifest(app, packages=("elixir",))) != edited
    assert image.inputs_hash(image.inputs_manifest(app, runtime=("bind9-dnsutils",))) != edited


def _apt_installs(stage: str) -> set[str]:
    """The packages one stage of the Dockerfile installs with apt (the online path)."""
    text = (APP / "Dockerfile").read_text().replace("\\\n", " ")
    body = text.split(f"FROM ${{{stage}}}", 1)[1].split("\nFROM ", 1)[0]
    line = body.split("--no-install-recommends", 1)[1].split("&&", 1)[0]
    return set(line.split())


def test_the_dockerfile_installs_what_the_offline_bases_hold():
    """Online (apt in the Dockerfile) and offline (mmdebstrap) must give the same image,
    on every release: OpenSSL's package is picked by name in the build (libssl3t64 from
    trixie on, libssl3 on bookworm)."""
    assert _apt_installs("BASE") == set(image.BASE_PACKAGES)
    text = (APP / "Dockerfile").read_text()
    skip = text.split("dpkg-query -W", 1)[1].split(">/dev/null")[0]
    for chosen in image.STACKS.values():
        assert _apt_installs("RUNTIME") == (set(chosen.runtime_packages) - {chosen.libssl}
                                           | {'"$libssl"'})
        assert set(skip.replace("\\", " ").split()) == set(chosen.runtime_packages) - {
            chosen.libssl}
        assert f"dpkg-query -W {chosen.libssl}" in text and f"libssl={chosen.libssl}" in text


def test_each_otp_is_one_debian_release_and_the_default_is_stable(monkeypatch):
    assert {otp: s.release for otp, s in image.STACKS.items()} == {
        "25": "bookworm", "27": "trixie", "29": "sid"}
    monkeypatch.delenv(image.OTP_ENV, raising=False)
    assert image.stack().otp == image.DEFAULT_OTP == "27"
    monkeypatch.setenv(image.OTP_ENV, "25")
    assert image.stack() == image.STACKS["25"] and image.stack("OTP29").release == "sid"
    with pytest.raises(ImageBuildError, match=r"No lab image for OTP '26'.*25, 27, 29"):
        image.stack("26")
    # One tag per OTP: the release and its packages are inputs.
    tags = {image.current_tag(otp) for otp in image.STACKS}
    assert len(tags) == 3


def test_each_base_is_tagged_by_its_recipe(monkeypatch, tmp_path: Path):
    sources = tmp_path / "debian.sources"
    sources.write_text("Types: deb\nURIs: http://mirror.example/debian\n"
                       "Suites: bookworm bookworm-updates\nComponents: main\n\n"
                       "Types: deb\nURIs: http://mirror.example/debian-security\n"
                       "Suites: bookworm-security\nComponents: main\n")
    monkeypatch.setattr(image, "apt_sources", lambda: sources)
    trixie = image.stack("27")
    build, runtime = image._bootstrap_tags(trixie)
    assert build != runtime and runtime.startswith(f"{image.BASE_REPOSITORY}:trixie-runtime-")
    assert image._bootstrap_tags(image.stack("25"))[0].startswith(
        f"{image.BASE_REPOSITORY}:bookworm-")
    argv = image.bootstrap_argv(Path("/t/toolchain.tar"), Path("/t/runtime.tar"), otp="27")
    assert "--variant=essential" in argv and "--dpkgopt=path-exclude=/usr/lib/*/gconv/*" in argv
    assert f"--include={','.join(trixie.runtime_packages)}" in argv
    assert "libssl3t64" in argv[2]
    snapshot, toolchain = (a for a in argv if a.startswith("--customize-hook="))
    assert '-C "$1" -cf /t/runtime.tar' in snapshot and "'--exclude=./proc/*'" in snapshot
    assert toolchain.endswith("install -oDPkg::Chroot-Directory=\"$1\" elixir erlang-base")
    # The host's own file for its own release; its mirror (not security) for another one.
    assert argv[-3:] == ["trixie", "/t/toolchain.tar",
                         "deb [check-valid-until=no] http://mirror.example/debian trixie main"]
    assert image.mirror_for("bookworm") == str(sources)
    oneline = tmp_path / "sources.list"
    oneline.write_text("deb [arch=amd64] http://m.example/debian bookworm main\n"
                       "deb http://m.example/debian-security bookworm-security main\n")
    assert image.mirror_for("sid", oneline) == \
        "deb [check-valid-until=no] http://m.example/debian sid main"


def test_build_outputs_are_not_inputs(app: Path):
    before = image.inputs_hash(image.inputs_manifest(app))
    (app / "_build" / "prod").mkdir(parents=True)
    (app / "_build" / "prod" / "x.beam").write_bytes(b"\0")
    assert image.inputs_hash(image.inputs_manifest(app)) == before


def test_a_rebuild_says_what_changed(app: Path):
    old = image.inputs_manifest(app)
    (app / "Dockerfile").write_text("FROM scratch\n")
    (app / "lib" / "new.ex").write_text("")
    new = image.inputs_manifest(app, release="sid")
    assert image.changed_inputs(old, new) == [
        "Dockerfile changed", "debian release trixie → sid", "lib/new.ex added"]
    slimmer = image.inputs_manifest(app, release="sid", runtime=("bind9-dnsutils",))
    assert image.changed_inputs(new, slimmer) == [
        f"runtime packages {' '.join(sorted(image.stack().runtime_packages))} → bind9-dnsutils"]
    assert image.changed_inputs(new, new) == []


def test_the_manifest_label_round_trips_and_tolerates_old_images(app: Path):
    manifest = image.inputs_manifest(app)
    labels = {image.MANIFEST_LABEL: json.dumps(manifest)}
    assert image.manifest_of(labels) == manifest
    assert image.manifest_of({}) is None  # built before images recorded their inputs
    assert image.manifest_of({image.MANIFEST_LABEL: "not json"}) is None


def _tar(path: Path, members: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def test_importing_something_else_is_refused_with_the_next_step(tmp_path: Path):
    with pytest.raises(ImageBuildError, match="No such image archive"):
        image.archive_tags(tmp_path / "missing.tar")
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(ImageBuildError, match="not a readable image archive"):
        image.archive_tags(tmp_path / "notes.txt")
    plain = _tar(tmp_path / "plain.tar", {"a.txt": b"x"})
    with pytest.raises(ImageBuildError, match=r"not a Docker image archive \(no manifest.json\)"):
        image.archive_tags(plain)
    other = _tar(tmp_path / "other.tar", {"manifest.json": json.dumps(
        [{"RepoTags": ["postgres:16"], "Config": "c.json", "Layers": []}]).encode()})
    with pytest.raises(ImageBuildError, match=r"not a ClusterLab image: it holds postgres:16"):
        image.archive_tags(other)
    ours = _tar(tmp_path / "ours.tar", {"manifest.json": json.dumps(
        [{"RepoTags": ["clusterlab/app:0123456789ab"]}]).encode()})
    assert image.archive_tags(ours) == ["clusterlab/app:0123456789ab"]
    truncated = tmp_path / "truncated.tar"
    truncated.write_bytes(ours.read_bytes()[:300])
    with pytest.raises(ImageBuildError, match="truncated"):
        image.archive_tags(truncated)


def _kit(tmp_path: Path, **meta: str) -> Path:
    kit = tmp_path / "kit"
    (kit / "wheels").mkdir(parents=True)
    (kit / "wheels" / "a-1-py3-none-any.whl").write_bytes(b"wheel")
    (kit / room.IMAGE_TAR).write_bytes(b"image" * 100)
    (kit / room.KIT_JSON).write_text(json.dumps({**room.platform_id(), "image": "x",
                                                 "image_file": room.IMAGE_TAR, **meta}))
    (kit / room.SUMS).write_text("".join(
        f"{room._sha256(p)}  {p.relative_to(kit).as_posix()}\n" for p in room._files(kit)))
    return kit


def test_an_intact_kit_for_this_machine_passes(tmp_path: Path):
    assert room.verify(_kit(tmp_path))["image"] == "x"


def test_a_kit_for_another_python_or_platform_is_refused(tmp_path: Path):
    kit = _kit(tmp_path, python="3.9", platform="win-amd64")
    with pytest.raises(room.KitError) as err:
        room.verify(kit)
    here = room.platform_id()
    assert f"python 3.9 (this machine: {here['python']})" in str(err.value)
    assert f"platform win-amd64 (this machine: {here['platform']})" in str(err.value)


def test_a_truncated_or_missing_file_fails_the_checksum(tmp_path: Path):
    kit = _kit(tmp_path)
    tar = kit / room.IMAGE_TAR
    tar.write_bytes(tar.read_bytes()[:123])
    (kit / "wheels" / "a-1-py3-none-any.whl").unlink()
    with pytest.raises(room.KitError) as err:
        room.verify(kit)
    assert f"{room.IMAGE_TAR} is damaged or truncated (123 bytes" in str(err.value)
    assert "wheels/a-1-py3-none-any.whl is missing" in str(err.value)
    with pytest.raises(room.KitError, match="not a ClusterLab room kit"):
        room.verify(tmp_path)


def test_setup_runs_the_verifier_as_a_script_without_the_package(tmp_path: Path):
    """helpers/bin/setup calls it with the bare system Python, before any install."""
    script = Path(room.__file__)
    bad = _kit(tmp_path, python="2.7")
    done = subprocess.run([sys.executable, "-S", str(script), "verify", str(bad)],
                          capture_output=True, text=True)
    assert done.returncode == 1 and "made for another machine: python 2.7" in done.stderr

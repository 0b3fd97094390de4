"""A project's release files beside its compose file: found, shown, and mounted where the
lab image's release reads them (no engine needed; rendering is tested live in
tests/test_fidelity.py)."""

from __future__ import annotations

from pathlib import Path

from clusterlab.catalogue import get, project_source, release_files
from clusterlab.lab import release

MODEL = {"services": {
    "n1": {"image": "${CLUSTERLAB_IMAGE:?run `clusterlab image build` first}",
           "volumes": [{"type": "bind", "source": "/srv/a", "target": "/a"}]},
    "minio": {"image": "${CLUSTERLAB_IMAGE:?run `clusterlab image build` first}",
              "environment": {"RELEASE_DISTRIBUTION": "none", "HTTP_PORT": "9000"}},
    "db": {"image": "postgres:16"},
}}


def project(tmp_path: Path, *names: str) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "compose.yaml").write_text("services: {}\n")
    for name in names:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(f"# {name}\n")
    return tmp_path


def test_find_names_the_files_a_project_has(tmp_path):
    found = release.find(project(tmp_path, "rel/vm.args.eex", "config/runtime.exs"))
    assert found and found.names == ["config/runtime.exs", "rel/vm.args.eex"]
    assert not release.find(project(tmp_path / "empty"))
    # a plain rel/env.sh is not a template: mix release renders rel/env.sh.eex only
    assert not release.find(project(tmp_path / "plain", "rel/env.sh"))


def test_templates_render_to_what_mix_release_writes():
    assert release.TEMPLATES == {"rel/env.sh.eex": "env.sh", "rel/vm.args.eex": "vm.args"}


def test_runtime_exs_is_mounted_as_it_is_without_a_container(tmp_path):
    folder = project(tmp_path, "config/runtime.exs")
    mounts = release.render(release.find(folder), "clusterlab/app:x", tmp_path / "out")
    assert mounts == {f"{release.RELEASE_DIR}/runtime.exs": folder / "config" / "runtime.exs"}
    assert not (tmp_path / "out").exists()


def test_mounts_go_to_the_release_services_only():
    mounts = {f"{release.RELEASE_DIR}/env.sh": Path("/tmp/run/rel/env.sh")}
    out = release.mount(MODEL, "clusterlab/app:x", mounts)
    assert out["services"]["n1"]["volumes"] == [
        {"type": "bind", "source": "/srv/a", "target": "/a"},
        {"type": "bind", "source": "/tmp/run/rel/env.sh",
         "target": f"{release.RELEASE_DIR}/env.sh", "read_only": True}]
    assert "volumes" not in out["services"]["minio"]   # a stand-in for other software
    assert "volumes" not in out["services"]["db"]
    assert "volumes" not in MODEL["services"]["minio"]  # a copy: the input is unchanged
    assert release.mount(MODEL, "clusterlab/app:x", {}) == MODEL


def test_a_dollar_in_a_path_survives_interpolation():
    out = release.mount(MODEL, "x", {"/t": Path("/home/a$b/runtime.exs")})
    assert out["services"]["n1"]["volumes"][-1]["source"] == "/home/a$$b/runtime.exs"


def test_the_error_keeps_the_message_and_drops_the_stack():
    stderr = (b"** (EEx.SyntaxError) rel/vm.args.eex:2:5: expected a closing '<% end %>'\n"
              b"  |\n2 | <%= if true do %>\n"
              b"    (eex 1.18.3) lib/eex/compiler.ex:504: EEx.Compiler.syntax_error!/3\n"
              b"    lib/eex/compiler.ex:410: EEx.Compiler.generate_buffer/4\n"
              b"    (stdlib 4.2) erl_eval.erl:744: :erl_eval.do_apply/7\n")
    text = release._message(stderr)
    assert "rel/vm.args.eex:2:5" in text and "2 | <%= if true do %>" in text
    assert "compiler.ex" not in text


def test_a_lesson_shows_its_release_files_after_the_compose_file():
    lesson = get("04-dns-polling")
    text = lesson.source("by-ip")
    compose = lesson.compose_file("by-ip").read_text()
    assert text.startswith(compose)
    assert "# ---- config/runtime.exs\n" in text and "# ---- rel/env.sh.eex\n" in text
    assert [p.name for p in release_files(lesson.path / "by-ip")] == \
        ["runtime.exs", "env.sh.eex"]
    assert project_source(lesson.compose_file("broken")).count("# ---- ") == 1


LAB_VARIABLES = ("CLUSTER_STRATEGY", "CLUSTER_HOSTS", "CLUSTER_TIMEOUT", "CLUSTER_TOPOLOGY",
                 "DNS_BASENAME", "DNS_POLL_MS", "DNS_QUERY", "NODE_NAME_BY_IP",
                 "RELEASE_COOKIE_FILE", "DNS_CONNECT_TIMEOUT_MS", "DNS_CLUSTER_LOG",
                 "DNS_CLUSTER_RESOURCE_TYPES", "LIBCLUSTER_DEBUG")
"""The lab image's former clustering variables (``ClusterLab.Legacy``): no real project
has them, so no lesson, exercise, hint or notebook may configure clustering with them."""


def test_no_lesson_configures_clustering_with_a_lab_variable():
    root = Path(__file__).resolve().parent.parent
    files = [p for pattern in ("labs/*/**/*.yaml", "labs/*/**/*.toml", "labs/*/**/*.exs",
                               "labs/*/**/*.eex", "labs/*/*.ipynb", "notebooks/*.ipynb")
             for p in root.glob(pattern) if "labs/app/" not in p.as_posix()]
    assert len(files) > 100
    found = [f"{p.relative_to(root)}: {var}" for p in files for var in LAB_VARIABLES
             if var in p.read_text()]
    assert found == []

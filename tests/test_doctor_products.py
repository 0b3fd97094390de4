"""The doctor on product files (issue 19): RabbitMQ, EMQX, CouchDB, VerneMQ, ejabberd, relx,
Distillery and Mix releases, written from each product's documented variables.

Every file in tests/doctor/cases/products/ states what is really wrong in its header
(`# expect:`) and which services are nodes (`# nodes:`); the doctor must report exactly
those codes (nothing false, nothing missed) and model every node. bench/doctor_corpus.py
prints the same comparison as precision and recall.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from clusterlab.doctor import diagnose, run_rules
from clusterlab.doctor.beam import beam_nodes, node_spec
from clusterlab.doctor.model import build_project, build_service, parse_port

sys.path.insert(0, str(Path(__file__).parents[1] / "bench"))
from doctor_corpus import CORPUS, expected

FILES = sorted(CORPUS.glob("*.yaml"))
PRODUCTS = ("rabbitmq", "emqx", "couchdb", "vernemq", "ejabberd", "relx", "distillery", "mix")


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("ERL_COOKIE", "COMPOSE_PROJECT_NAME", "COMPOSE_PROFILES"):
        monkeypatch.delenv(var, raising=False)
    for var in list(__import__("os").environ):
        if var.startswith("CORPUS_"):
            monkeypatch.delenv(var)


@pytest.mark.compose
@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_product_file(path: Path) -> None:
    from clusterlab.doctor.exposure import CODES  # scored by their own cases, not here

    want = expected(path)
    model, found = diagnose(path, "corpus")
    got = {f.code for f in found} - CODES
    assert got == set(want.codes), [f"{f.code}: {f.message}" for f in found]
    assert set(beam_nodes(model)) == set(want.nodes)


def test_every_product_has_three_hit_ok_pairs() -> None:
    for product in PRODUCTS:
        stems = {p.stem for p in FILES if p.stem.startswith(product + "-")}
        pairs = {s.removesuffix("-hit") for s in stems if s.endswith("-hit")
                 and s.removesuffix("-hit") + "-ok" in stems}
        assert len(pairs) >= 3, f"{product}: {sorted(stems)}"
        hits = [p for p in FILES if p.stem.startswith(product + "-") and p.stem.endswith("-hit")]
        assert all(expected(p).codes for p in hits), product  # a hit must expect something
    oks = [p for p in FILES if p.stem.endswith("-ok")]
    assert oks and not any(expected(p).codes for p in oks)


def _svc(image: str = "", **env: str) -> object:
    return build_service("s", {"image": image, "environment": env}, None, Path("."),
                         read_files=False)


@pytest.mark.parametrize(("image", "env", "name", "mode"), [
    ("rabbitmq:3-management", {}, None, "sname"),
    ("rabbitmq:3", {"RABBITMQ_USE_LONGNAME": "true", "RABBITMQ_NODENAME": "rabbit@r.lab"},
     "rabbit@r.lab", "name"),
    ("emqx/emqx:5.8.0", {}, "emqx@127.0.0.1", "name"),
    ("docker.io/emqx/emqx-enterprise:5.8", {"EMQX_NODE__NAME": "emqx@n1.lab"}, "emqx@n1.lab",
     "name"),
    ("couchdb:3", {"NODENAME": "c1.lab"}, "couchdb@c1.lab", "name"),
    ("vernemq/vernemq", {"DOCKER_VERNEMQ_NODENAME": "v1.lab"}, "VerneMQ@v1.lab", "name"),
    ("ghcr.io/processone/ejabberd", {"ERLANG_NODE_ARG": "ejabberd@main"}, "ejabberd@main",
     "sname"),
    ("ejabberd/ecs", {}, "ejabberd@localhost", "sname"),
    ("shop:1", {"RELX_REPLACE_OS_VARS": "true", "NODE_NAME": "shop@a.lab"}, "shop@a.lab", "name"),
])
def test_product_models(image: str, env: dict[str, str], name: str | None, mode: str) -> None:
    spec = node_spec(_svc(image, **env))  # type: ignore[arg-type]
    assert spec is not None and (spec.name, spec.mode) == (name, mode)


def test_rabbitmq_name_follows_hostname() -> None:
    service = build_service("r", {"image": "rabbitmq:3", "hostname": "rabbit1.mq.lab"}, None,
                            Path("."), read_files=False)
    assert node_spec(service).name == "rabbit@rabbit1"  # type: ignore[union-attr]


def test_port_ranges_in_both_syntaxes() -> None:
    short = parse_port("4000-4003:4000")
    long = parse_port({"target": 4000, "published": "4000-4003"})
    assert [(p.target, p.published) for p in short] == [(p.target, p.published) for p in long] \
        == [(4000, str(n)) for n in range(4000, 4004)]
    with pytest.raises(Exception, match="ports"):
        parse_port("http:80")


def test_products_are_separate_clusters() -> None:
    """A RabbitMQ node next to an Elixir app: different cookies are not CL402."""
    model = {"services": {
        "rabbit": {"image": "rabbitmq:3", "hostname": "rabbit",
                   "environment": {"RABBITMQ_ERLANG_COOKIE": "${A}"}},
        "app": {"image": "app", "hostname": "app",
                "environment": {"RELEASE_NODE": "app@app", "RELEASE_COOKIE": "${B}"}}}}
    codes = {f.code for f in run_rules(build_project(model, name="p", read_files=False))}
    assert "CL402" not in codes and "CL205" not in codes
    model["services"]["rabbit"]["image"] = "app"  # type: ignore[index]
    model["services"]["rabbit"]["environment"] = {"RELEASE_NODE": "app@rabbit",  # type: ignore
                                                  "RELEASE_COOKIE": "${A}"}
    codes = {f.code for f in run_rules(build_project(model, name="p", read_files=False))}
    assert "CL402" in codes  # same cluster now: the check still bites


def test_sh_c_flags_are_read() -> None:
    service = build_service("a", {"image": "elixir", "command":
                                  "sh -c 'elixir --name app@a --cookie x -S mix run'"},
                            None, Path("."), read_files=False)
    spec = node_spec(service)
    assert spec is not None and (spec.mode, spec.name) == ("name", "app@a")


def test_headers_are_required(tmp_path: Path) -> None:
    (tmp_path / "x.yaml").write_text("services: {}\n")
    with pytest.raises(SystemExit, match="expect"):
        expected(tmp_path / "x.yaml")
    assert re.match(r"CL\d{3}", "CL405")


def test_live_detects_product_nodes_and_cookies() -> None:
    """Live mode reads RabbitMQ's (-sname in argv, cookie variable) and EMQX's nodes."""
    from clusterlab.doctor.live import parse_detect
    rabbit = ("@@beam 1\n/usr/lib/erlang/beam.smp\n-sname\nrabbit@rabbit1\n@@environ\n"
              "RABBITMQ_ERLANG_COOKIE=s3cret\n")
    found = parse_detect(rabbit)
    assert (found.node, found.mode) == ("rabbit@rabbit1", "sname")
    assert found.cookie is not None and found.cookie.reveal() == "s3cret"
    emqx = "@@beam 7\nbeam.smp\n@@environ\nEMQX_NODE__NAME=emqx@n1.lab\nEMQX_NODE__COOKIE=c\n"
    found = parse_detect(emqx)
    assert (found.node, found.mode) == ("emqx@n1.lab", "name") and found.cookie is not None

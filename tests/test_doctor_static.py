"""`clusterlab doctor` static mode: every finding code has a compose file that triggers it
and a near-identical one that doesn't (tests/doctor/cases), and the lessons' own variants
get the verdict their lesson.toml declares (`doctor_expects`).

Compose is a local binary here (no Docker engine needed), so these tests are fast.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest
from clusterlab import catalogue
from clusterlab.cli import main
from clusterlab.doctor import CATALOGUE, diagnose, has_errors
from clusterlab.doctor.findings import Finding
from clusterlab.doctor.model import build_project, interpolate, parse_port, read_yaml

CASES = Path(__file__).parent / "doctor" / "cases"
_CASE = re.compile(r"^(CL\d{3})(?:-[a-z]+)?-(hit|ok)$")


def _cases() -> list[tuple[str, str, Path]]:
    found = []
    for entry in sorted(CASES.iterdir()):
        stem = entry.name.removesuffix(".yaml")
        if match := _CASE.match(stem):
            path = entry / "compose.yaml" if entry.is_dir() else entry
            found.append((match.group(1), match.group(2), path))
    return found


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # The user's shell would override a case's .env; the cases must not depend on it.
    for var in ("ERL_COOKIE", "B_COOKIE", "COMPOSE_PROJECT_NAME", "COMPOSE_PROFILES"):
        monkeypatch.delenv(var, raising=False)


def codes(findings: list[Finding]) -> set[str]:
    return {f.code for f in findings}


@pytest.mark.compose
@pytest.mark.parametrize(("code", "kind", "path"), _cases(),
                         ids=[p.parent.name if p.name == "compose.yaml" else p.stem
                              for _, _, p in _cases()])
def test_case(code: str, kind: str, path: Path) -> None:
    _, found = diagnose(path, "corpus")
    if kind == "hit":
        assert code in codes(found), f"{path.name} should trigger {code}; got {codes(found)}"
    else:
        assert code not in codes(found), [f.message for f in found if f.code == code]
        assert not has_errors(found), [f"{f.code}: {f.message}" for f in found]


def test_every_static_code_has_a_hit_and_an_ok() -> None:
    static = {c for c in CATALOGUE if c < "CL700"}
    have = {(code, kind) for code, kind, _ in _cases()}
    missing = sorted(f"{c}-{k}" for c in static for k in ("hit", "ok") if (c, k) not in have)
    assert not missing, f"write cases for {missing}"


def test_healthy_has_no_findings() -> None:
    _, found = diagnose(CASES / "healthy.yaml", "corpus")
    assert found == []


def test_cookie_never_in_messages() -> None:
    for path in (CASES / "CL403-hit.yaml", CASES / "CL402-hit.yaml", CASES / "CL404-hit"):
        target = path / "compose.yaml" if path.is_dir() else path
        _, found = diagnose(target, "corpus")
        text = json.dumps([f.as_dict() for f in found])
        for secret in ("Zq3vX9mR2kLp7TtW8yB4nC6d", "Hh5sJ2qP9wLx4Vb7Nc3mK8rT", "k9Qw2z"):
            assert secret not in text


# -- the lessons ----------------------------------------------------------------------------


def _lesson_variants() -> list[tuple[str, str, Path, list[str] | None]]:
    rows = []
    for lesson in catalogue.lessons():
        expects = lesson.meta.get("doctor_expects", {})
        for variant, path in lesson.variants.items():
            rows.append((lesson.id, variant, path, expects.get(variant)))
    return rows


@pytest.mark.parametrize(("lesson", "variant", "path", "expected"), _lesson_variants(),
                         ids=[f"{r[0]}:{r[1]}" for r in _lesson_variants()])
def test_lesson_variant(lesson: str, variant: str, path: Path, expected: list[str] | None) -> None:
    """A broken variant names its pitfall; a fixed one has no error-level finding."""
    _, found = diagnose(path, "lesson")
    if variant == "broken" and expected is None:
        pytest.fail(f"{lesson}/lesson.toml needs `doctor_expects = {{ broken = [\"CL…\"] }}` "
                    f"(the doctor found {sorted(codes(found))})")
    if expected is None and variant != "fixed":
        pytest.skip(f"{lesson}: no doctor_expects for variant {variant!r}")
    if expected:
        assert set(expected) <= codes(found), f"expected {expected}, got {sorted(codes(found))}"
    else:  # [] or a "fixed" variant: healthy
        assert not has_errors(found), [f"{f.code}: {f.message}" for f in found]


# -- the CLI ----------------------------------------------------------------------------------


def test_cli_exit_codes_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor", str(CASES / "CL102-hit.yaml"), "-p", "corpus"]) == 1
    assert "CL102" in capsys.readouterr().out
    assert main(["doctor", str(CASES / "healthy.yaml"), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["errors"] == 0 and data["findings"] == []
    assert main(["doctor", str(CASES / "nope.yaml")]) == 2


# -- pure helpers -------------------------------------------------------------------------------


def test_parse_port_short_and_long() -> None:
    assert [(p.target, p.published) for p in parse_port("127.0.0.1:9000-9001:9000-9001")] == \
        [(9000, "9000"), (9001, "9001")]
    assert parse_port("8080")[0].published is None
    assert parse_port({"target": 4369, "published": "4369"})[0].published == "4369"


def test_interpolate_like_compose() -> None:
    env = {"A": "1", "E": ""}
    assert interpolate("${A:-x}${E:-y}${E-z}$$A${B:+no}${A:+yes}", env) == "1y$Ayes"
    assert interpolate("${MISSING:?why}", env) == "__CLUSTERLAB_UNSET_MISSING__"


def test_yaml_fallback_matches_compose_on_the_seed_trap() -> None:
    """Without Compose, plain YAML (anchors, merge keys) still finds the seed's pitfall."""
    project = read_yaml(CASES / "CL102-hit.yaml", "corpus")
    from clusterlab.doctor import run_rules
    assert "CL102" in codes(run_rules(project))


def test_project_from_plain_dicts() -> None:
    """Checks run on plain dicts, no file and no Compose: the model is pure data."""
    model = {"services": {"a": {"environment": {"RELEASE_DISTRIBUTION": "name",
                                                "RELEASE_NODE": "app@a"}}}}
    from clusterlab.doctor import run_rules
    found = run_rules(build_project(model, name="p", read_files=False))
    assert "CL201" in codes(found)


# -- where findings point -----------------------------------------------------------------------

# What the text at each hit's primary location starts with: the offending key (or the
# offending part of its value), in the user's own file.
POINTS_AT = {
    "CL001": r"container_name:|rabbit1:", "CL002": r"node2:", "CL003": r"\$\{CORPUS_UNSET",
    "CL101": r"networks:", "CL102": r"S3_URL:", "CL104": r"networks:",
    "CL103": r"network_mode:", "CL201": r"RELEASE_NODE[:=]", "CL202": r"RELEASE_NODE:",
    "CL203": r"RELEASE_NODE:", "CL204": r"RELEASE_NODE:", "CL205": r"RELEASE_DISTRIBUTION:",
    "CL206": r"b:", "CL207": r"export RELEASE_NODE=",
    "CL208": r"RELEASE_NODE:|NODE_NAME_BY_IP6:", "CL301": r"RELEASE_NODE:",
    "CL302": r"app@c\.lab|build:", "CL303": r"CLUSTER_HOSTS:",
    "CL304": r"CLUSTER_STRATEGY:|build:", "CL305": r"connect_all false",
    "CL306": r"DNS_CLUSTER_QUERY:", "CL401": r"environment:",
    "CL402": r"\$\{ERL_COOKIE|RELEASE_COOKIE:", "CL403": r"RELEASE_COOKIE:",
    "CL404": r"\$\{ERL_COOKIE", "CL405": r"environment:",
    "CL406": r"RELEASE_COOKIE[:=]|\$\{ERL_COOKIE",
    "CL501": r"\"4369:4369\"", "CL502": r"\"9100:9100\"", "CL505": r"ports:",
    "CL503": r"\"8080:8080\"", "CL504": r"container_name:",
    "CL506": r"\"10\.9\.0\.1:4369:4369\"",
    "CL601": r"RELEASE_NODE:|app@[ab]\.msvc_default",
    "CL602": r"hostname: a\.msvc_default",
}


def _text_at(finding: Finding) -> str:
    place = finding.location
    assert place is not None, finding
    lines = Path(place.file).read_text().splitlines()
    assert 1 <= place.line <= len(lines), place
    return lines[place.line - 1][(place.column or 1) - 1:]


@pytest.mark.compose
@pytest.mark.parametrize(("code", "path"), [(c, p) for c, k, p in _cases() if k == "hit"],
                         ids=[p.parent.name if p.name == "compose.yaml" else p.stem
                              for _, k, p in _cases() if k == "hit"])
def test_hit_points_at_the_offending_key(code: str, path: Path) -> None:
    _, found = diagnose(path, "corpus")
    hits = [f for f in found if f.code == code]
    assert hits, code
    for finding in found:  # every finding has a line in a file that exists
        assert finding.locations and all(Path(p.file).is_file() for p in finding.locations)
    assert all(re.match(POINTS_AT[code], _text_at(f)) for f in hits), \
        [(str(f.location), _text_at(f)) for f in hits]


@pytest.mark.compose
def test_locations_follow_extends_include_env_file_and_dotenv() -> None:
    _, found = diagnose(CASES / "CL403-extends-hit" / "compose.yaml", "corpus")
    assert {Path(f.location.file).name for f in found if f.code == "CL403"} == {"base.yaml"}
    _, found = diagnose(CASES / "CL102-include-hit" / "compose.yaml", "corpus")
    [hit] = [f for f in found if f.code == "CL102"]
    assert [Path(p.file).name for p in hit.locations] == ["compose.yaml", "infra.yaml"]
    assert _text_at(replace(hit, locations=hit.locations[1:])).startswith("networks: [infra]")
    _, found = diagnose(CASES / "CL201-envfile-hit" / "compose.yaml", "corpus")
    [hit] = [f for f in found if f.code == "CL201"]
    assert (Path(hit.location.file).name, hit.location.line) == ("node.env", 3)
    # ERL_COOKIE comes from .env: point at the line (and column) that uses the variable
    _, found = diagnose(CASES / "CL404-hit" / "compose.yaml", "corpus")
    assert {(f.location.line, f.location.column) for f in found if f.code == "CL404"} == {(4, 19)}


def test_table_shows_file_and_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor", str(CASES / "CL102-hit.yaml"), "-p", "corpus"]) == 1
    assert re.search(r"CL102 error +a, minio +\S*CL102-hit\.yaml:15:7$", capsys.readouterr().out,
                     re.M)


# -- formats --------------------------------------------------------------------------------------

SCHEMA = Path(__file__).parent / "doctor" / "sarif" / "sarif-schema-2.1.0.json"
DOCS = Path(__file__).parents[1] / "docs" / "doctor.md"


def _sarif(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict]:
    code = main(["doctor", *args, "-p", "corpus", "--format", "sarif"])
    return code, json.loads(capsys.readouterr().out)


@pytest.mark.compose
def test_sarif_validates_and_every_result_has_a_line(capsys: pytest.CaptureFixture[str]) -> None:
    import jsonschema

    hits = [str(p) for _, kind, p in _cases() if kind == "hit"]
    code, log = _sarif(capsys, *hits)
    assert code == 1
    validator = jsonschema.Draft4Validator(json.loads(SCHEMA.read_text()),
                                           format_checker=jsonschema.FormatChecker())
    errors = sorted(validator.iter_errors(log), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]
    run = log["runs"][0]
    results = run["results"]
    assert {r["ruleId"] for r in results} >= {c for c, k, _ in _cases() if k == "hit"}
    for result in results:
        [where] = result["locations"]
        region = where["physicalLocation"]["region"]
        uri = where["physicalLocation"]["artifactLocation"]["uri"]
        assert region["startLine"] >= 1 and Path(uri).is_file(), result
        assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == result["ruleId"]


def test_sarif_schema_rejects_a_broken_log(capsys: pytest.CaptureFixture[str]) -> None:
    """The validation above can fail: a result without a message is not SARIF."""
    import jsonschema

    _, log = _sarif(capsys, str(CASES / "CL403-hit.yaml"))
    del log["runs"][0]["results"][0]["message"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(log, json.loads(SCHEMA.read_text()), jsonschema.Draft4Validator)


def test_sarif_rules_have_help_and_a_uri_into_the_docs(capsys: pytest.CaptureFixture[str]) -> None:
    _, log = _sarif(capsys, str(CASES / "healthy.yaml"))
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    docs = DOCS.read_text()
    assert {r["id"] for r in rules} == set(CATALOGUE)
    for rule in rules:
        assert rule["help"]["text"] and rule["help"]["markdown"] and rule["shortDescription"]
        page, _, anchor = rule["helpUri"].partition("#")
        assert page.endswith("docs/doctor.md") and f'<a id="{anchor}"></a>' in docs, rule


def test_docs_catalogue_matches_the_code() -> None:
    """docs/doctor.md's tables, SARIF help (rules.HELP) and CATALOGUE say the same."""
    from clusterlab.doctor.rules import HELP

    rows = {}
    for line in DOCS.read_text().splitlines():
        if match := re.match(r'^\| <a id="cl\d{3}"></a>(CL\d{3}) \|', line):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            rows[match.group(1)] = (cells[1], cells[2], cells[3])
    assert set(rows) == set(CATALOGUE) == set(HELP)
    for code, (severity, finding, fix) in rows.items():
        assert CATALOGUE[code][0] == severity, code
        assert HELP[code] == (finding, fix), code


@pytest.mark.compose
def test_github_workflow_commands(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor", str(CASES / "CL102-hit.yaml"), "-p", "corpus",
                 "--format", "github"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert re.match(r"^::error file=\S*CL102-hit\.yaml,line=15,col=7,"
                    r"title=CL102 a service named in the environment is on another network"
                    r"::CL102: a names `minio`", lines[0]), lines[0]
    assert lines[-1].endswith("1 error, 0 warnings, 0 infos")
    from clusterlab.doctor.formats import _gh_data, _gh_property
    assert _gh_data("50%\nnext") == "50%25%0Anext" and _gh_property("a:b,c") == "a%3Ab%2Cc"


def test_json_is_unchanged(capsys: pytest.CaptureFixture[str]) -> None:
    main(["doctor", str(CASES / "CL102-hit.yaml"), "-p", "corpus", "--format", "json"])
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {"source", "notes", "errors", "findings"}
    assert [set(f) for f in data["findings"]] == [{"code", "severity", "services", "message",
                                                   "fix"}]


# -- suppressions -----------------------------------------------------------------------------


def test_inline_comment_suppresses(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = (CASES / "CL102-hit.yaml").read_text().replace(
        "S3_URL: http://minio:9000/bucket", "S3_URL: http://minio:9000/bucket  "
        "# clusterlab: ignore CL102, CL999")
    (tmp_path / "compose.yaml").write_text(text)
    assert main(["doctor", str(tmp_path / "compose.yaml"), "-p", "corpus"]) == 0
    out = capsys.readouterr().out
    assert "CL102 error" not in out and "(1 suppressed: inline)" in out
    _, log = _sarif(capsys, str(tmp_path / "compose.yaml"))
    [result] = log["runs"][0]["results"]
    assert result["suppressions"][0]["kind"] == "inSource"
    other = text.replace("ignore CL102, CL999", "ignore CL403")  # another code: not suppressed
    (tmp_path / "compose.yaml").write_text(other)
    assert main(["doctor", str(tmp_path / "compose.yaml"), "-p", "corpus"]) == 1


def test_ignore_option(capsys: pytest.CaptureFixture[str]) -> None:
    path = str(CASES / "CL102-hit.yaml")
    assert main(["doctor", path, "-p", "corpus", "--ignore", "cl102"]) == 0
    assert "(1 suppressed: --ignore)" in capsys.readouterr().out
    assert main(["doctor", path, "--ignore", "minio"]) == 2
    assert "codes like CL403" in capsys.readouterr().err


# -- CL306 and the strategy names ---------------------------------------------------------------


def _dns_service(**extra: object) -> dict:
    env = {"RELEASE_DISTRIBUTION": "name", "NODE_NAME_BY_IP": "1", "RELEASE_COOKIE": "${C}",
           "CLUSTER_STRATEGY": "dns_cluster", "DNS_CLUSTER_QUERY": "app"}
    env.update(extra.pop("env", {}))  # type: ignore[arg-type]
    return {"services": {"a": {"image": "app", "environment": env, **extra}}}


@pytest.mark.parametrize(("service", "hit"), [
    (_dns_service(hostname="a.lab"), True),
    (_dns_service(dns_search=["corp.example"]), True),
    (_dns_service(hostname="a"), False),
    (_dns_service(hostname="a.lab", env={"DNS_CLUSTER_QUERY": "app."}), False),
    (_dns_service(hostname="a.lab", env={"DNS_CLUSTER_QUERY": "app.msvc_default"}), False),
    (_dns_service(dns_search=["."]), False),  # `dns_search: .`: no search line
    (_dns_service(hostname="a.lab", env={"CLUSTER_STRATEGY": "dnspoll"}), False),  # lookup/3
], ids=["dotted-hostname", "dns_search", "dotless", "trailing-dot", "dotted-query",
        "search-dot", "dnspoll"])
def test_dns_cluster_query_meets_search_list(service: dict, hit: bool) -> None:
    from clusterlab.doctor import run_rules
    found = run_rules(build_project(service, name="p", read_files=False))
    assert ("CL306" in codes(found)) is hit


@pytest.mark.parametrize("strategy", ["dns", "dns_cluster", "dnspoll", "DNSPoll"])
def test_dns_strategies_are_dns_discovery(strategy: str) -> None:
    from clusterlab.doctor.beam import uses_dns_discovery
    from clusterlab.doctor.model import build_service
    service = build_service("a", {"environment": {"CLUSTER_STRATEGY": strategy}}, None,
                            Path("."), read_files=False)
    assert uses_dns_discovery(service)
    assert not uses_dns_discovery(replace(service, environment={"CLUSTER_STRATEGY": "epmd"}))

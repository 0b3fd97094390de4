"""`clusterlab doctor` static mode: every finding code has a compose file that triggers it
and a near-identical one that doesn't (tests/doctor/cases), and the lessons' own variants
get the verdict their lesson.toml declares (`doctor_expects`).

Compose is a local binary here (no Docker engine needed), so these tests are fast.
"""

from __future__ import annotations

import json
import re
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
    from clusterlab.doctor import run_checks
    assert "CL102" in codes(run_checks(project))


def test_project_from_plain_dicts() -> None:
    """Checks run on plain dicts, no file and no Compose: the model is pure data."""
    model = {"services": {"a": {"environment": {"RELEASE_DISTRIBUTION": "name",
                                                "RELEASE_NODE": "app@a"}}}}
    from clusterlab.doctor import run_checks
    found = run_checks(build_project(model, name="p", read_files=False))
    assert "CL201" in codes(found)

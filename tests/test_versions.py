"""Which versions a run is on, and whether the lessons were measured there (no engine)."""

from __future__ import annotations

from pathlib import Path

import pytest
from clusterlab.gates import engines, system
from clusterlab.gates.engines import EngineError


def test_measured_versions_say_yes_and_name_the_table():
    assert system.measured({"engine": "28.5.2+dfsg4", "otp": "27.3.4.1"}) == (
        "yes (docs/versions.md)")
    assert system.measured({"engine": "20.10.24+dfsg1", "otp": "25.2.3"}).startswith("yes")


def test_versions_outside_the_table_are_named_with_what_was_measured():
    said = system.measured({"engine": "29.1.0", "otp": "28.1"})
    assert "Docker 29.1.0 is outside what was measured (20, 26, 28)" in said
    assert "OTP 28.1 is outside what was measured (25, 27, 29)" in said
    unbuilt = system.measured({"engine": "28.5.2", "otp": "27 (image not built yet)"})
    assert unbuilt.startswith("yes")
    assert "outside" in system.measured({"engine": "?", "otp": "27"})


def test_an_engine_version_is_read_in_any_spelling_and_refused_with_the_choices():
    assert engines.recipe("28").release == "sid"
    assert engines.recipe(26).release == "trixie"
    assert engines.recipe("v28.5").version == engines.recipe(" 28 ").version == "28"
    with pytest.raises(EngineError, match="can start 26 or 28") as refused:
        engines.recipe("29")
    assert "clusterlab engine start 28" in str(refused.value)


def test_docker_host_names_one_of_our_engines_or_none():
    assert engines.current("unix:///run/clusterlab/engine-28/docker.sock").version == "28"
    assert engines.current("unix:///var/run/docker.sock") is None
    assert engines.current("") is None


def test_engine_run_without_a_command_says_how_to_write_one():
    with pytest.raises(EngineError, match="after `--`"):
        engines.run_argv("28", [])


def test_capabilities_are_those_of_the_bounding_set(tmp_path: Path):
    status = tmp_path / "status"
    # CHOWN (0), NET_ADMIN (12) and SYS_ADMIN (21); no SYS_RESOURCE (24).
    status.write_text(f"Name:\tx\nCapBnd:\t{(1 << 0) | (1 << 12) | (1 << 21):016x}\n")
    assert engines.capabilities(status) == ["CHOWN", "NET_ADMIN", "SYS_ADMIN"]

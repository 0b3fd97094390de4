"""The workflow users copy into their CI (`.github/workflows/lessons.yml`) is valid and safe.

actionlint's PyPI wrapper downloads its binary from GitHub at install time, which this
machine cannot reach, so the workflow is checked with the two offline tools PyPI does
ship: check-jsonschema's vendored GitHub-workflow schema (structure, keys, types) and
zizmor (a workflow linter: unpinned actions, credential leaks, injection). Both run as
users would run them.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "lessons.yml"
BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    found = shutil.which(name, path=str(BIN)) or shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is missing: run helpers/bin/setup (it is in the test extra)")
    return found


def test_the_workflow_matches_githubs_schema():
    result = subprocess.run([tool("check-jsonschema"), "--builtin-schema",
                             "vendor.github-workflows", str(WORKFLOW)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_zizmor_finds_nothing():
    result = subprocess.run([tool("zizmor"), "--offline", "--no-progress", str(WORKFLOW)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_it_runs_the_readmes_test_command_and_pins_every_action():
    spec = yaml.safe_load(WORKFLOW.read_text())
    steps = spec["jobs"]["lessons"]["steps"]
    runs = [step["run"].strip() for step in steps if "run" in step]
    assert "helpers/bin/test" in runs
    assert "`helpers/bin/test`" in (ROOT / "README.md").read_text()
    for script in {line.split()[0] for run in runs for line in run.splitlines()
                   if line.startswith("helpers/")}:
        assert (ROOT / script).exists(), script
    for step in steps:
        if "uses" in step:
            assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", step["uses"]), step["uses"]

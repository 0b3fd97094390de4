"""The pre-commit hook (`.pre-commit-hooks.yaml`), run the way users run it:
`pre-commit try-repo` from a user's repository holding a broken and a healthy file.

pre-commit installs this package into a fresh environment (from PyPI, once per test run),
so the hook is tested as users get it, not as the dev venv has it. The test extras bring
pre-commit-uv, so that environment is built by uv (about 15 s; pip took 100-300 s).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CASES = ROOT / "tests" / "doctor" / "cases"
HOOK_FILES = ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml", "helpers/clusterlab")


def _git(cwd: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid"}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True,
                          text=True).stdout.strip()


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """This working tree's hook and package as a one-commit repository (try-repo's input)."""
    repo = tmp_path_factory.mktemp("hook-repo")
    for name in HOOK_FILES:
        source, target = ROOT / name, repo / name
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "hook")
    return repo, _git(repo, "rev-parse", "HEAD")


@pytest.fixture(scope="module")
def user_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = tmp_path_factory.mktemp("user-repo")
    (repo / "svc").mkdir()
    shutil.copy(CASES / "CL102-hit.yaml", repo / "svc" / "compose.yaml")
    shutil.copy(CASES / "healthy.yaml", repo / "docker-compose.prod.yml")
    shutil.copy(CASES / "CL102-hit.yaml", repo / "notes.yaml")  # not a compose file name
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    return repo


def _try_repo(hook_repo: tuple[Path, str], user_repo: Path, *files: str
              ) -> subprocess.CompletedProcess[str]:
    repo, rev = hook_repo
    env = {**os.environ, "PRE_COMMIT_HOME": str(repo.parent / "pre-commit-home")}
    return subprocess.run([sys.executable, "-m", "pre_commit", "try-repo", str(repo),
                           "clusterlab-doctor", "--ref", rev, "--files", *files],
                          cwd=user_repo, env=env, capture_output=True, text=True, timeout=900)


def test_hook_definition_matches_compose_file_names() -> None:
    [hook] = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "clusterlab-doctor" and hook["entry"] == "clusterlab doctor"
    pattern = re.compile(hook["files"])
    for name in ("compose.yaml", "compose.yml", "a/compose.prod.yaml", "docker-compose.yml",
                 "x/docker-compose.override.yaml"):
        assert pattern.search(name), name
    for name in ("notes.yaml", "my-compose.yaml", "compose.json", "compose.yaml/readme.md"):
        assert not pattern.search(name), name


def test_try_repo_fails_on_the_broken_file_and_passes_the_healthy_one(
        hook_repo: tuple[Path, str], user_repo: Path) -> None:
    # One test, so pre-commit builds the hook's environment once (about 2 minutes) and
    # the second run reuses it; two tests would build it twice on two xdist workers.
    done = _try_repo(hook_repo, user_repo, "svc/compose.yaml", "notes.yaml")
    assert done.returncode == 1, done.stdout + done.stderr
    assert re.search(r"CL102 error .*svc/compose\.yaml:15:7", done.stdout), done.stdout
    assert "notes.yaml" not in done.stdout.split("Failed", 1)[-1]

    done = _try_repo(hook_repo, user_repo, "docker-compose.prod.yml")
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"clusterlab doctor\.+Passed", done.stdout), done.stdout

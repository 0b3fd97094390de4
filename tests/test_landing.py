"""The landing page and JupyterLab settings, without a browser: every link leads to a
file, every lesson and exercise is linked, and the settings name real JupyterLab keys."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
START = ROOT / "START.md"
OVERRIDES = ROOT / "helpers/jupyter/settings/overrides.json"


def links(markdown: Path) -> list[str]:
    return re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", markdown.read_text())


def test_every_link_on_the_landing_page_opens_a_file_of_the_repository():
    found = links(START)
    assert found, "START.md links nothing"
    broken = [link for link in found if not (ROOT / link).is_file()]
    assert not broken, f"START.md links to missing files: {broken}"


def test_every_lesson_exercise_and_exercise_file_is_on_the_landing_page():
    found = set(links(START))
    wanted = {str(p.relative_to(ROOT)) for p in
              [*ROOT.glob("notebooks/*.ipynb"), *ROOT.glob("labs/*/exercise.ipynb"),
               *ROOT.glob("labs/*/exercise/compose.yaml"), ROOT / "labs/README.md"]}
    assert wanted - found == set(), "not on the landing page"


def test_lesson_links_resolve_from_the_notebooks_folder():
    """Lessons link into labs/ with ../ (e.g. lesson 3's ``../labs/app/rel/env.sh.eex``):
    they work because the server's root is the repository."""
    broken = []
    for notebook in [*ROOT.glob("notebooks/*.ipynb"), *ROOT.glob("labs/*/exercise.ipynb")]:
        cells = json.loads(notebook.read_text())["cells"]
        text = "".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
        for link in re.findall(r"\]\((\.\.?/[^)#\s]+)", text):
            if not (notebook.parent / link).resolve().exists():
                broken.append(f"{notebook.name}: {link}")
    assert not broken


def _schema(plugin: str) -> dict:
    package, _, name = plugin.partition(":")
    base = Path(sys.prefix) / "share/jupyter/lab/schemas"
    path = base / package / f"{name}.json"
    if not base.is_dir():
        pytest.skip(f"no JupyterLab schemas under {base}")
    assert path.is_file(), f"{plugin} is not a plugin of the installed JupyterLab"
    return json.loads(path.read_text())


def test_the_settings_override_real_keys_with_allowed_values():
    overrides = json.loads(OVERRIDES.read_text())
    assert overrides["@jupyterlab/apputils-extension:notification"]["fetchNews"] == "false"
    for plugin, values in overrides.items():
        properties = _schema(plugin)["properties"]
        for key, value in values.items():
            assert key in properties, f"{plugin} has no setting {key!r}"
            allowed = [c["const"] for c in properties[key].get("oneOf", []) if "const" in c]
            assert not allowed or value in allowed, f"{plugin}.{key}: {value!r} not in {allowed}"


def test_the_lab_script_serves_the_repository_with_these_settings():
    script = (ROOT / "helpers/bin/lab").read_text()
    assert '--ServerApp.root_dir="$PWD"' in script
    assert '--LabApp.app_settings_dir="$PWD/helpers/jupyter/settings"' in script
    assert "--LabApp.default_url=/lab/tree/START.md" in script
    assert "--ServerApp.ip=127.0.0.1" in script

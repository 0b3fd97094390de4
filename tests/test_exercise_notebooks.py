"""The exercise notebooks are rendered from one template plus each notebook.toml: the
committed files must be exactly that rendering, and bad data must fail clearly."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
from clusterlab.errors import ClusterLabError, ExerciseError
from clusterlab.workshop import notebook

ROOT = Path(__file__).resolve().parents[1]
EXERCISES = sorted(p.parent for p in ROOT.glob("labs/*/exercise/expected.toml"))


def test_every_exercise_has_notebook_data():
    assert EXERCISES, "no exercises found"
    assert [p for p in EXERCISES if not (p / "notebook.toml").is_file()] == []


@pytest.mark.parametrize("folder", EXERCISES, ids=lambda p: p.parent.name)
def test_committed_notebook_is_its_rendering(folder: Path):
    rendered = notebook.dumps(notebook.render(folder))
    committed = (folder.parent / "exercise.ipynb").read_text()
    assert committed == rendered, (
        f"{folder.parent.name}/exercise.ipynb differs from its rendering: edit notebook.toml "
        "or the template, then run `.venv/bin/python -m clusterlab.workshop.notebook`")
    nbformat.validate(nbformat.reads(rendered, as_version=4))


def test_rendering_is_deterministic_and_output_free():
    folder = EXERCISES[0]
    first, second = notebook.render(folder), notebook.render(folder)
    assert notebook.dumps(first) == notebook.dumps(second)
    code = [c for c in first["cells"] if c["cell_type"] == "code"]
    assert code and all(c["outputs"] == [] and c["execution_count"] is None for c in code)
    assert [c["id"] for c in first["cells"]] == [f"cell-{i:02d}" for i in
                                                 range(len(first["cells"]))]


def _copy(tmp_path: Path, extra: str) -> Path:
    lesson = tmp_path / EXERCISES[0].parent.name
    folder = lesson / "exercise"
    folder.mkdir(parents=True)
    data = (EXERCISES[0] / "notebook.toml").read_text()
    (folder / "notebook.toml").write_text(data + extra)
    return folder


def test_unknown_key_names_the_file_and_the_key(tmp_path: Path):
    folder = _copy(tmp_path, 'predcit = "typo"\n')
    with pytest.raises(ExerciseError) as caught:
        notebook.render(folder)
    assert isinstance(caught.value, ClusterLabError)
    message = str(caught.value)
    assert str(folder / "notebook.toml") in message
    assert "unknown key(s) predcit" in message


def test_unknown_key_in_an_extra_cell_is_refused(tmp_path: Path):
    folder = _copy(tmp_path, '\n[[cell]]\nmarkdwn = "typo"\n')
    with pytest.raises(ExerciseError, match=r"unknown key\(s\) in \[\[cell\]\] number 1: markdwn"):
        notebook.render(folder)


def test_check_names_a_stale_notebook_and_writing_fixes_it(tmp_path: Path, capsys):
    folder = _copy(tmp_path, "")
    stale = folder.parent / "exercise.ipynb"
    shutil.copy(EXERCISES[0].parent / "exercise.ipynb", stale)
    assert notebook.main(["--check", str(folder.parent)]) == 0
    stale.write_text(stale.read_text().replace("fix the islands", "fix the isles"))
    assert notebook.main(["--check", str(folder.parent)]) == 1
    assert f"{stale} differs" in capsys.readouterr().out
    assert notebook.main([str(folder.parent)]) == 0
    assert stale.read_text() == (EXERCISES[0].parent / "exercise.ipynb").read_text()

"""Exercise notebooks are rendered, not edited: one template plus each exercise's data.

The exercise notebooks share most of their cells; as copies they drifted apart. So
``notebook_template.toml`` (next to this module) holds the common cells once, and
``labs/NN-slug/exercise/notebook.toml`` only what differs, in the spirit of
``expected.toml`` and ``hints.toml`` (data only, unknown keys refused):

- ``title``, ``intro``, ``predict``, ``done``: markdown (blank lines around are ignored);
- ``probe``: the names the "look inside" cell has every container resolve;
- ``[[cell]]`` (optional): ``markdown = "..."`` or ``code = "..."``, inserted after the
  nodes table, in order.

``python -m clusterlab.workshop.notebook [FOLDER...]`` writes ``labs/NN-slug/exercise.ipynb``
(every exercise by default); ``--check`` writes nothing and exits 1 naming each notebook
that differs from its rendering. Cell ids are positional, so a rerun is byte-identical.
"""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from pathlib import Path
from string import Template
from typing import Any

from ..catalogue import labs_dir
from ..errors import ExerciseError

TEMPLATE = Path(__file__).with_name("notebook_template.toml")
DATA = "notebook.toml"
TEXTS = ("title", "intro", "predict", "done")
KEYS = (*TEXTS, "probe", "cell")
KINDS = ("markdown", "code")
SLOT = "cells"
METADATA: dict[str, Any] = {
    "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
    "language_info": {"name": "python"},
}
DATA_HINT = (f"{DATA} takes {', '.join(KEYS[:-1])} and [[cell]] tables holding one "
             "`markdown = \"...\"` or `code = \"...\"` (see labs/README.md).")


def _fail(file: Path, problem: str, hint: str = DATA_HINT) -> ExerciseError:
    return ExerciseError(f"{file}: {problem}", hint)


def _load(file: Path) -> dict[str, Any]:
    if not file.is_file():
        raise _fail(file, "missing; every exercise notebook is rendered from one.")
    try:
        return tomllib.loads(file.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise _fail(file, f"not valid TOML ({exc}).") from None


def _cells(file: Path, raw: Any, *, slot: bool = False) -> list[dict[str, str]]:
    """``[[cell]]`` tables → ``[{"kind": ..., "text": ...}]``, refusing anything else."""
    if not isinstance(raw, list):
        raise _fail(file, "`cell` must be an array of tables: [[cell]] markdown = \"...\".")
    cells = []
    for n, table in enumerate(raw, 1):
        allowed = (*KINDS, "slot") if slot else KINDS
        unknown = sorted(set(table) - set(allowed)) if isinstance(table, dict) else []
        if unknown:
            raise _fail(file, f"unknown key(s) in [[cell]] number {n}: {', '.join(unknown)}.")
        if not isinstance(table, dict) or len(table) != 1 \
                or not isinstance(next(iter(table.values())), str):
            raise _fail(file, f"[[cell]] number {n} needs exactly one of "
                              f"{' or '.join(allowed)}, as a string.")
        (kind, text), = table.items()
        cells.append({"kind": kind, "text": text.strip()})
    return cells


def read_data(folder: Path) -> dict[str, Any]:
    """An exercise's ``notebook.toml``, checked: a typo must fail, not vanish from the notebook."""
    file = Path(folder) / DATA
    data = _load(file)
    unknown = sorted(set(data) - set(KEYS))
    if unknown:
        raise _fail(file, f"unknown key(s) {', '.join(unknown)}.")
    missing = [key for key in (*TEXTS, "probe") if key not in data]
    if missing:
        raise _fail(file, f"missing key(s) {', '.join(missing)}.")
    for key in TEXTS:
        if not isinstance(data[key], str) or not data[key].strip():
            raise _fail(file, f"`{key}` must be a non-empty string.")
    probe = data["probe"]
    if not isinstance(probe, list) or not all(isinstance(name, str) for name in probe):
        raise _fail(file, "`probe` must be a list of names, e.g. [\"minio\", \"n1.lab\"].")
    texts = {key: data[key].strip() for key in TEXTS}
    return {**texts, "probe": probe, "cell": _cells(file, data.get("cell", []))}


def _template() -> list[dict[str, str]]:
    data = _load(TEMPLATE)
    unknown = sorted(set(data) - {"cell"})
    if unknown:
        raise _fail(TEMPLATE, f"unknown key(s) {', '.join(unknown)}.",
                    "The template is [[cell]]s only.")
    cells = _cells(TEMPLATE, data.get("cell", []), slot=True)
    if [c["text"] for c in cells if c["kind"] == "slot"] != [SLOT]:
        raise _fail(TEMPLATE, f"needs exactly one {{ slot = \"{SLOT}\" }} cell.",
                    "It marks where notebook.toml's own [[cell]]s go.")
    return cells


def exercise_folder(target: Path | str) -> Path:
    """``labs/NN-slug`` or ``labs/NN-slug/exercise`` → the exercise folder."""
    path = Path(target)
    return path if (path / DATA).is_file() or path.name == "exercise" else path / "exercise"


def notebook_file(folder: Path) -> Path:
    """Where an exercise folder's notebook lives: next to the folder."""
    return exercise_folder(folder).parent / "exercise.ipynb"


def _nb_cell(index: int, kind: str, text: str) -> dict[str, Any]:
    cell: dict[str, Any] = {"cell_type": kind, "id": f"cell-{index:02d}", "metadata": {},
                            "source": text.splitlines(keepends=True)}
    if kind == "code":
        cell |= {"execution_count": None, "outputs": []}
    return cell


def render(folder: Path) -> dict[str, Any]:
    """The exercise notebook for ``folder``, as nbformat 4 data: no outputs, positional ids."""
    folder = exercise_folder(folder)
    data = read_data(folder)
    slug = folder.resolve().parent.name
    values = {**{key: data[key] for key in TEXTS}, "slug": slug,
              "number": str(int(slug[:2])), "probe": repr(data["probe"])}
    cells: list[tuple[str, str]] = []
    for entry in _template():
        if entry["kind"] == "slot":
            cells += [(c["kind"], c["text"]) for c in data["cell"]]
        else:
            try:
                cells.append((entry["kind"], Template(entry["text"]).substitute(values)))
            except (KeyError, ValueError) as exc:
                raise _fail(TEMPLATE, f"unknown placeholder {exc}.",
                            f"Placeholders: ${', $'.join(sorted(values))}.") from None
    return {"cells": [_nb_cell(i, kind, text) for i, (kind, text) in enumerate(cells)],
            "metadata": METADATA, "nbformat": 4, "nbformat_minor": 5}


def dumps(notebook: dict[str, Any]) -> str:
    """The notebook as Jupyter itself saves it (sorted keys, one-space indent, UTF-8)."""
    return json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def folders() -> list[Path]:
    """Every exercise folder that has a ``notebook.toml``, in lesson order."""
    return [file.parent for file in sorted(labs_dir().glob(f"*/exercise/{DATA}"))]


def stale(targets: list[Path] | None = None) -> list[Path]:
    """The notebooks that differ from (or lack) their rendering; bad data raises."""
    differ = []
    for folder in targets or folders():
        text, file = dumps(render(folder)), notebook_file(folder)
        if not file.is_file() or file.read_text() != text:
            differ.append(file)
    return differ


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m clusterlab.workshop.notebook",
        description="Render labs/NN-slug/exercise.ipynb from the template and notebook.toml.")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 naming each notebook that differs")
    parser.add_argument("folders", nargs="*", type=Path, metavar="FOLDER",
                        help="labs/NN-slug or its exercise/ folder (default: every exercise)")
    args = parser.parse_args(argv)
    targets = [exercise_folder(f) for f in args.folders] or folders()
    try:
        if args.check:
            for notebook in (differ := stale(targets)):
                print(f"{notebook} differs from its rendering: edit {DATA} or the template, "
                      "not the notebook, then run python -m clusterlab.workshop.notebook")
            return 1 if differ else 0
        for folder in targets:
            text, file = dumps(render(folder)), notebook_file(folder)
            changed = not file.is_file() or file.read_text() != text
            if changed:
                file.write_text(text)
            print(f"{'wrote' if changed else 'unchanged'} {file}")
    except ExerciseError as exc:
        print(exc, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

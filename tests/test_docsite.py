"""The site builder (helpers/bin/docs): pages from executed notebooks, checked before use."""

from __future__ import annotations

import base64

import nbformat
import pytest
from clusterlab.errors import ClusterLabError
from clusterlab.tools import docsite

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n fake").decode()


def executed(source: str, *, figure: bool = True, error: bool = False,
             link: str = "03-node-names.ipynb") -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(f"# A lesson\n\n[next]({link})"),
                nbformat.v4.new_code_cell("cl.draw_topology(g)"),
                nbformat.v4.new_code_cell("cl.panel('01')")]
    if figure:
        nb.cells[1].outputs = [nbformat.v4.new_output("display_data", {"image/png": PNG})]
    if error:
        nb.cells[1].outputs.append(nbformat.v4.new_output(
            "error", ename="AssertionError", evalue="mesh", traceback=[]))
    nb.cells[2].outputs = [nbformat.v4.new_output("display_data", {
        docsite.WIDGET: {"model_id": "x", "version_major": 2, "version_minor": 0},
        "text/plain": "VBox(...)"})]
    nb.metadata["clusterlab"] = {"source": source, "executed_at": "2026-11-26T14:00:00+00:00",
                                 "docker": "20.10", "compose": "2.40.3", "otp": "25",
                                 "passed": not error}
    return nb


def write(folder, *notebooks):
    folder.mkdir()
    for nb in notebooks:
        nbformat.write(nb, str(folder / docsite.slug(nb.metadata["clusterlab"]["source"])))
    return folder


def test_pages_carry_the_run_and_a_note_instead_of_a_dead_widget(tmp_path):
    exe = write(tmp_path / "exe", executed("notebooks/01-compose-networks.ipynb"),
                executed("notebooks/03-node-names.ipynb", link="01-compose-networks.ipynb"))
    pages = docsite.build(exe, tmp_path / "site")
    page = (tmp_path / "site" / "notebooks" / "01-compose-networks.html").read_text()
    assert "Executed 2026-11-26T14:00:00+00:00 against Docker 20.10, Compose 2.40.3, OTP 25" \
        in page
    assert "data:image/png" in page and "interactive control panel" in page
    assert "VBox(...)" not in page
    assert 'href="../notebooks/03-node-names.html"' in page     # a link between lessons
    assert "notebooks/01-compose-networks.html" in {p.target for p in pages}
    assert docsite.broken_links(tmp_path / "site") == []


@pytest.mark.parametrize(("kwargs", "words"), [
    ({"figure": False}, "no figure"),
    ({"error": True}, "error output"),
    ({"link": "99-missing.ipynb"}, "broken link"),
])
def test_an_unfit_page_stops_the_build(tmp_path, kwargs, words):
    exe = write(tmp_path / "exe", executed("notebooks/01-compose-networks.ipynb", **kwargs))
    with pytest.raises(ClusterLabError, match=words):
        docsite.build(exe, tmp_path / "site")


def test_no_executed_notebooks_says_to_run_the_tests_first(tmp_path):
    with pytest.raises(ClusterLabError, match="helpers/bin/test first"):
        docsite.build(tmp_path, tmp_path / "site")

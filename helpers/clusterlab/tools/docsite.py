"""The executed lessons as a static site: the run that tests a notebook also makes its page.

``record`` saves a notebook as nbmake executed it (outputs, figures, asserted claims),
stamped with when and against which Docker, Compose and OTP it ran; the test suite calls
it for every notebook (``CLUSTERLAB_EXECUTED_DIR``, set by ``helpers/bin/test``). ``build``
turns those files and the project's Markdown documents into HTML with nbconvert (no
second run of any lab), refuses a lesson page without a figure or with an error output,
and checks every internal link. ``python -m clusterlab.tools.docsite`` (``helpers/bin/docs``)
is the command line.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import shutil
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import docker.errors

from ..errors import ClusterLabError
from ..gates import system
from ..gates.image import ensure_image, runtime_versions
from ..progress import quiet

ROOT = Path(__file__).resolve().parents[3]
DOCUMENTS = ("README.md", "START.md", "labs/README.md", "docs/doctor.md", "docs/fidelity.md")
WIDGET = "application/vnd.jupyter.widget-view+json"
WIDGET_NOTE = ("This is the lesson's interactive control panel (variants, playground, fault "
               "buttons). It needs a live kernel: open the notebook in JupyterLab "
               "(`helpers/bin/lab`) to use it.")


@dataclass(frozen=True)
class Page:
    """One page of the site: where it came from and the HTML file it became."""

    source: str          # repository path, e.g. notebooks/01-compose-networks.ipynb
    target: str          # site path, e.g. notebooks/01-compose-networks.html
    title: str


def slug(source: str) -> str:
    """A file name for an executed notebook: exercises are all called exercise.ipynb."""
    return source.replace("/", "--")


@cache
def _stamp() -> dict[str, str]:
    stamp = {"executed_at": datetime.now(UTC).isoformat(timespec="seconds")}
    try:
        found = system.versions()
        stamp |= {"docker": found["engine"], "compose": found["compose"]}
        stamp["otp"] = runtime_versions(ensure_image(quiet).tag)["otp"]
    except (ClusterLabError, OSError, docker.errors.DockerException) as exc:
        stamp["versions_error"] = str(exc).splitlines()[0]
    return stamp


def record(nb: Any, source: Path, out_dir: Path, passed: bool) -> Path:
    """Save an executed notebook for the site, stamped with time and versions."""
    import nbformat

    rel = source.resolve().relative_to(ROOT).as_posix()
    nb.metadata["clusterlab"] = {**_stamp(), "source": rel, "passed": passed}
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / slug(rel)
    nbformat.write(nb, str(path))
    return path


def _banner(meta: dict[str, Any]) -> str:
    when = meta.get("executed_at", "?")
    versions = ", ".join(f"{name} {meta[key]}" for name, key in
                         (("Docker", "docker"), ("Compose", "compose"), ("OTP", "otp"))
                         if key in meta)
    verdict = "every assert passed" if meta.get("passed") else "**this run FAILED**"
    return (f"> Executed {when} against {versions or 'unknown versions'}: {verdict}. "
            f"Source: `{meta.get('source', '?')}`. Outputs are from that run; "
            "nothing on this page was edited after it.")


def _prepare(nb: Any) -> None:
    """Banner first; widget views become a note (a static page has no kernel to drive them)."""
    import nbformat

    nb.cells.insert(0, nbformat.v4.new_markdown_cell(_banner(nb.metadata.get("clusterlab", {}))))
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if WIDGET in data:
                data.pop(WIDGET)
                data["text/markdown"] = f"*{WIDGET_NOTE}*"
                data.pop("text/plain", None)
    nb.metadata.pop("widgets", None)


def problems(nb: Any, source: str) -> list[str]:
    """What makes an executed lesson page unfit: an error output, or no figure at all."""
    found = []
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                found.append(f"{source}: cell {index} has an error output "
                             f"({output.get('ename')}: {output.get('evalue', '')[:80]})")
    figures = sum("image/png" in output.get("data", {})
                  for cell in nb.cells for output in cell.get("outputs", []))
    if figures == 0 and source.startswith("notebooks/") and not source.endswith("00-setup.ipynb"):
        found.append(f"{source}: no figure (a lesson draws its cluster)")
    return found


def _page_path(source: str) -> str:
    return re.sub(r"\.(ipynb|md)$", ".html", source)


def _rewrite_links(text: str, source: str, pages: set[str]) -> str:
    """Relative links to pages of the site point at their HTML; others at copied files."""
    here = Path(source).parent

    def fix(match: re.Match[str]) -> str:
        attr, target = match.group(1), match.group(2)
        if re.match(r"^[a-z]+:|^#|^//", target) or target.startswith("data:"):
            return match.group(0)
        path, _, anchor = target.partition("#")
        normal = _normal((here / path).as_posix())
        if normal in pages:
            new = _relative(_page_path(normal), _page_path(source))
        else:
            new = _relative(f"files/{normal}", _page_path(source))
        return f'{attr}="{new}{"#" + anchor if anchor else ""}"'

    return re.sub(r'(href|src)="([^"]+)"', fix, text)


def _normal(path: str) -> str:
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts:
                parts.pop()
            continue
        parts.append(part)
    return "/".join(parts)


def _relative(target: str, page: str) -> str:
    depth = page.count("/")
    return "../" * depth + target


def _markdown_page(source: str, pages: set[str]) -> str:
    import mistune

    body = mistune.html((ROOT / source).read_text())
    return _wrap(source, _rewrite_links(body, source, pages), source)


def _wrap(title: str, body: str, source: str) -> str:
    home = _relative("index.html", _page_path(source))
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}"
            "</title><style>body{font-family:sans-serif;max-width:60rem;margin:2rem auto;"
            "padding:0 1rem}pre,code{background:#f4f4f4}table{border-collapse:collapse}"
            "td,th{border:1px solid #ccc;padding:.2rem .4rem}</style></head><body>"
            f"<p><a href=\"{home}\">ClusterLab</a></p>{body}</body></html>")


def build(executed: Path, site: Path) -> list[Page]:
    """Write the site; raise ``ClusterLabError`` naming every unfit page or broken link."""
    import nbformat
    from nbconvert import HTMLExporter

    notebooks = sorted(executed.glob("*.ipynb"))
    if not notebooks:
        raise ClusterLabError(f"No executed notebooks in {executed}.",
                              "Run helpers/bin/test first: the run that tests a notebook "
                              "also saves it for the site.")
    loaded = [nbformat.read(str(path), 4) for path in notebooks]
    sources = [nb.metadata.get("clusterlab", {}).get("source", path.name)
               for nb, path in zip(loaded, notebooks)]
    pages = set(sources) | set(DOCUMENTS)
    if site.exists():
        shutil.rmtree(site)
    site.mkdir(parents=True)
    unfit: list[str] = []
    built: list[Page] = []
    exporter = HTMLExporter(template_name="lab")
    for nb, source in zip(loaded, sources):
        unfit += problems(nb, source)
        _prepare(nb)
        body, _ = exporter.from_notebook_node(nb)
        target = site / _page_path(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(_rewrite_links(body, source, pages))
        title = next((c.source.lstrip("# ").splitlines()[0] for c in nb.cells[1:]
                      if c.cell_type == "markdown" and c.source.startswith("#")), source)
        built.append(Page(source, _page_path(source), title))
    for source in DOCUMENTS:
        if (ROOT / source).exists():
            target = site / _page_path(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(_markdown_page(source, pages))
            built.append(Page(source, _page_path(source), source))
    _copy_linked_files(site)
    (site / "index.html").write_text(_index(built, loaded, sources))
    unfit += broken_links(site)
    if unfit:
        raise ClusterLabError("The site is not fit to publish:\n  " + "\n  ".join(unfit),
                              "Fix the notebook or document named above and run it again.")
    return built


def _copy_linked_files(site: Path) -> None:
    """Repository files that pages link to (a compose file, env.sh.eex) go under files/."""
    for page in site.rglob("*.html"):
        for target in re.findall(r'(?:href|src)="([^"#]+)', page.read_text()):
            if re.match(r"^[a-z]+:|^//", target):
                continue
            path = (page.parent / target).resolve()
            files = (site / "files").resolve()
            if files in path.parents and not path.exists():
                original = ROOT / path.relative_to(files)
                if original.is_file():
                    path.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(original, path)


def broken_links(site: Path) -> list[str]:
    """Every relative href/src of every page must name a file of the site."""
    broken = []
    for page in sorted(site.rglob("*.html")):
        for target in re.findall(r'(?:href|src)="([^"#]+)', page.read_text()):
            if re.match(r"^[a-z]+:|^//", target):
                continue
            if not (page.parent / target).exists():
                broken.append(f"{page.relative_to(site)}: broken link {target}")
    return broken


def _index(pages: list[Page], loaded: list[Any], sources: list[str]) -> str:
    stamps = {s: nb.metadata.get("clusterlab", {}) for nb, s in zip(loaded, sources)}
    rows = []
    for page in pages:
        meta = stamps.get(page.source, {})
        when = meta.get("executed_at", "")
        state = "" if not meta else ("passed" if meta.get("passed") else "FAILED")
        rows.append(f"<tr><td><a href=\"{page.target}\">{html.escape(page.title)}</a></td>"
                    f"<td><code>{page.source}</code></td><td>{when}</td><td>{state}</td></tr>")
    body = ("<h1>ClusterLab: the lessons as they ran</h1><p>Every lesson and exercise below "
            "was executed against a real Docker engine by the test suite; each page shows "
            "that run's outputs, figures and asserted claims.</p><table><tr><th>page</th>"
            "<th>source</th><th>executed</th><th>result</th></tr>" + "".join(rows)
            + "</table>")
    return _wrap("ClusterLab", body, "index.html")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="helpers/bin/docs", description=__doc__.splitlines()[0])
    parser.add_argument("--executed", type=Path, default=ROOT / "build" / "executed",
                        help="executed notebooks saved by the test run (default: build/executed)")
    parser.add_argument("--site", type=Path, default=ROOT / "site", help="output folder")
    args = parser.parse_args(argv)
    try:
        pages = build(args.executed, args.site)
    except ClusterLabError as exc:
        print(f"docs: {exc}", file=sys.stderr)
        return 1
    print(json.dumps({"site": str(args.site), "pages": len(pages)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())

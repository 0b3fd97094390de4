"""The versions table: every lesson claim on each Docker Engine and OTP, as measured.

    .venv/bin/python bench/matrix.py               # all lessons; 20 26 28 x OTP 27, 20 x 25 29
    .venv/bin/python bench/matrix.py --lessons 03 08 --engines host 28 --otps 27
    .venv/bin/python bench/matrix.py --out /tmp/versions.md

A configuration is an engine (``host``: the engine DOCKER_HOST names, else this machine's;
``26``, ``28``: started with ``clusterlab engine start``) and an OTP lab image. Each lesson
runs in its own kernel, cell by cell, the way nbmake runs it; its proving cells (the cells
of top-level ``assert``s) run one claim at a time: a claim is a top-level comment and the
code under it, so one claim failing does not hide the next. A row of the table is a claim;
a cell says **holds**, **differs** (it holds, and the value ``bench/matrix.toml`` names for
it differs from the first column's: the lesson branches on the version there),
**fails** (with the assertion's first line), or **not reached** (an earlier cell failed).
Engines it started are stopped at the end. Writes ``docs/versions.md``.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import subprocess
import sys
import tempfile
import time
import tomllib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MEASURES = Path(__file__).with_suffix(".toml")


@dataclass(frozen=True)
class Config:
    engine: str  # "host", "26", "28"
    otp: int


# ---------------------------------------------------------------- the child: one notebook


def claim_blocks(source: str) -> list[tuple[str, str]]:
    """(claim, code) for each top-level comment of a proving cell and the code under it;
    code before the first comment is a setup block with claim ``""``. A cell with no
    top-level comment is one claim, named by its first comment or first assert."""
    blocks: list[tuple[str, list[str]]] = [("", [])]
    for line in source.splitlines():
        if line.startswith("#"):
            if blocks[-1][1] and not blocks[-1][1][-1].startswith("#"):
                blocks.append(("", []))
            title = blocks[-1][0]
            blocks[-1] = ((title + " " + line.lstrip("# ").strip()).strip(), blocks[-1][1])
        blocks[-1][1].append(line)
    out = [(title, "\n".join(lines)) for title, lines in blocks if "".join(lines).strip()]
    if len(out) == 1 and not out[0][0]:
        first = next((ln.strip() for ln in source.splitlines()
                      if ln.strip().startswith(("#", "assert"))), "the cell's claims")
        if first.startswith("assert") and "  # " in first:  # its trailing comment
            first = first.split("  # ", 1)[1]
        out = [(first.lstrip("# ").strip(), out[0][1])]
    return out


def is_proving(source: str) -> bool:
    """A cell of claims: at least two top-level asserts (or ifs that hold asserts)."""
    try:
        body = ast.parse(source).body
    except SyntaxError:
        return False
    asserts = sum(isinstance(node, ast.Assert) for node in body)
    branches = sum(isinstance(node, ast.If) and any(isinstance(sub, ast.Assert)
                                                    for sub in ast.walk(node)) for node in body)
    return asserts + branches >= 2


def run_notebook(path: Path, measures: dict[str, str]) -> list[dict[str, str]]:
    """Run ``path`` cell by cell; one row per claim of its proving cells."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    rows: list[dict[str, str]] = []
    broken = ""

    def run(source: str, index: int) -> str:
        """'' if it ran, else the error's first line."""
        cell = nbformat.v4.new_code_cell(source)
        try:
            client.execute_cell(cell, index)
        except CellExecutionError as exc:
            name = getattr(exc, "ename", "Error")
            value = (getattr(exc, "evalue", "") or "").strip().splitlines()
            return f"{name}: {value[0][:120]}" if value else name
        return ""

    def value_of(expression: str, index: int) -> str:
        cell = nbformat.v4.new_code_cell(f"print(str({expression}))")
        try:
            client.execute_cell(cell, index)
        except CellExecutionError:
            return "?"
        return "".join(out.get("text", "") for out in cell.outputs).strip()

    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            if not is_proving(cell.source):
                if not broken:
                    error = run(cell.source, index)
                    broken = f"cell {index} ({cell.get('id', '?')}): {error}" if error else ""
                continue
            for claim, code in claim_blocks(cell.source):
                if broken:
                    if claim:
                        rows.append({"claim": claim, "status": "not reached", "detail": broken})
                    continue
                error = run(code, index)
                if not claim:
                    continue
                row = {"claim": claim, "status": "fails" if error else "holds",
                       "detail": error}
                for key, expression in measures.items():
                    if key in claim and not error:
                        row["value"] = value_of(expression, index)
                rows.append(row)
    if broken and not rows:
        rows.append({"claim": "the lesson runs", "status": "fails", "detail": broken})
    return rows


# ---------------------------------------------------------------- the parent: the table


def _label(config: Config, host_version: str) -> str:
    engine = host_version if config.engine == "host" else config.engine
    return f"Docker {engine} · OTP {config.otp}"


def _prepare(config: Config) -> tuple[dict[str, str], list[str]]:
    """(environment, argv prefix) for the notebooks of ``config``: its image built on the
    host, and for an inner engine, started and loaded."""
    from clusterlab.gates import engines, image
    from clusterlab.progress import say

    tag = image.ensure_image(progress=say, otp=str(config.otp)).tag
    env = {**os.environ, "CLUSTERLAB_OTP": str(config.otp), "CLUSTERLAB_REQUIRE_DOCKER": "1"}
    if config.engine == "host":
        return env, []
    engines.start(config.engine, say)
    engines.load_image(config.engine, tag, say)
    argv, inner_env = engines.run_argv(config.engine, ["true"])
    return {**env, "DOCKER_HOST": inner_env["DOCKER_HOST"]}, argv[:-1]


def measure(config: Config, lessons: list[Path], workers: int) -> dict[str, list[dict]]:
    env, prefix = _prepare(config)
    measures = tomllib.loads(MEASURES.read_text())

    def one(path: Path) -> tuple[str, list[dict]]:
        with tempfile.NamedTemporaryFile(suffix=".json") as out:
            argv = [*prefix, sys.executable, __file__, "--child", str(path), out.name,
                    json.dumps(measures.get(path.stem, {}))]
            started = time.monotonic()
            done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
            text = Path(out.name).read_text()
            rows = json.loads(text) if text else [
                {"claim": "the lesson runs", "status": "fails",
                 "detail": (done.stderr.strip().splitlines() or ["?"])[-1][:160]}]
        held = sum(row["status"] == "holds" for row in rows)
        print(f"  {path.stem}: {held}/{len(rows)} hold in {time.monotonic() - started:.0f} s",
              file=sys.stderr)
        return path.stem, rows

    with ThreadPoolExecutor(workers) as pool:
        return dict(pool.map(one, lessons))


def cell(row: dict | None, reference: dict | None) -> str:
    if row is None:
        return "—"
    if row["status"] != "holds":
        return f"**{row['status']}**: {row['detail']}".replace("|", "\\|")
    value = row.get("value")
    if value is not None and reference is not None and value != reference.get("value"):
        return f"differs: {value}".replace("|", "\\|")
    return f"holds ({value})" if value is not None else "holds"


def table(results: dict[str, dict[str, list[dict]]], versions: dict[str, str]) -> str:
    labels = list(results)
    lines = [
        "# Versions: every lesson claim on each Docker Engine and OTP",
        "",
        "Measured by `bench/matrix.py` (its docstring says how) on "
        f"{time.strftime('%Y-%m-%d')}, Compose {versions.get('compose', '?')}. A claim is a "
        "commented group of asserts in a lesson's proving cell. **holds**: true as asserted; "
        "**differs**: it holds, and what the lesson measured differs from the first "
        "column (the lesson says which version does what, and asserts each); **fails** / "
        "**not reached**: the claim, or a cell before it, failed.",
        "",
        "Docker 26 and 28 are Debian's `docker.io` (trixie 26.1.5, sid 28.5.2), run by "
        "`clusterlab engine start`; OTP 25, 27, 29 are the lab images of Debian bookworm, "
        "trixie, sid (`CLUSTERLAB_OTP`).",
        "",
    ]
    lessons = sorted({lesson for per in results.values() for lesson in per})
    for lesson in lessons:
        lines += [f"## {lesson}", "", "| claim | " + " | ".join(labels) + " |",
                  "|---|" + "---|" * len(labels)]
        claims: list[str] = []
        for per in results.values():
            for row in per.get(lesson, []):
                if row["claim"] not in claims:
                    claims.append(row["claim"])
        for claim in claims:
            found = [next((r for r in per.get(lesson, []) if r["claim"] == claim), None)
                     for per in results.values()]
            short = claim if len(claim) <= 110 else claim[:107] + "…"
            lines.append(f"| {short.replace('|', '/')} | "
                         + " | ".join(cell(row, found[0]) for row in found) + " |")
        lines.append("")
    return "\n".join([*lines, *NOT_MEASURED])


NOT_MEASURED = [
    "## Not measured",
    "",
    "- **Docker 29**: no Debian release ships it yet (sid has 28.5.2), so it cannot be "
    "started here. A report of `swarm init` breaking container DNS on 29.0 "
    "(moby/moby#51491) would touch lesson 7.",
    "- **OTP 28**: no Debian release ships it.",
    "- **Podman**: refused at every lab start with one message (`clusterlab.gates.engine."
    "refuse_podman`, tests/test_podman.py). Measured on Debian trixie's Podman 5.4.2 "
    "(`bench/podman.py`, its Docker-compatible API): a user-defined network's containers "
    "get `nameserver <gateway>` (aardvark-dns, not 127.0.0.11) and `search dns.podman`; "
    "a peer's name answers, an unknown name is NXDOMAIN, `dns_search: .` removes the "
    "search line, and `swarm init` answers 404. Lessons 1 and 3 (127.0.0.11, search "
    "lines) and 7 (Swarm) cannot hold there as written.",
    "- **Docker Desktop** (a VM between the host and the engine): not measured; its "
    "engine is one of the versions above.",
    "",
]


def main() -> int:
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        rows = run_notebook(Path(sys.argv[2]), json.loads(sys.argv[4]))
        Path(sys.argv[3]).write_text(json.dumps(rows))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lessons", nargs="*", default=[], help="01 03 … (default: all)")
    parser.add_argument("--engines", nargs="*", default=["host", "26", "28"])
    parser.add_argument("--otps", nargs="*", type=int, default=[27],
                        help="OTPs on every engine (default 27)")
    parser.add_argument("--host-otps", nargs="*", type=int, default=[25, 29],
                        help="more OTPs on the host engine only (default 25 29)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "versions.md")
    args = parser.parse_args()

    from clusterlab.gates import engines, system

    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    if args.lessons:
        notebooks = [p for p in notebooks if any(p.stem.startswith(w) for w in args.lessons)]
    configs = [Config(e, otp) for e in args.engines for otp in args.otps]
    configs += [Config("host", otp) for otp in args.host_otps if otp not in args.otps]
    versions = system.versions()
    was_running = {e.version for e in engines.running()}
    results: dict[str, dict[str, list[dict]]] = {}
    try:
        for config in configs:
            label = _label(config, versions["engine"])
            print(f"{label}:", file=sys.stderr)
            results[label] = measure(config, notebooks, args.workers)
    finally:
        for version in {c.engine for c in configs} - {"host"} - was_running:
            engines.stop(version)
    args.out.write_text(table(results, versions) + "\n")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""``clusterlab doctor``: the CLI side. Prints and returns an exit code; the rest is library.

Exit codes: 0 no error-level finding, 1 at least one (so CI can gate on it), 2 the
doctor itself could not run (a ``ClusterLabError``, handled by ``clusterlab.cli.main``).
"""

from __future__ import annotations

import argparse
from typing import Any

from . import diagnose
from .findings import has_errors
from .render import as_json, table


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """Register ``doctor`` on the top-level subparsers (``sub`` from ``add_subparsers``)."""
    text = "find BEAM clustering pitfalls in a compose file, or in a running Compose project"
    cmd = sub.add_parser("doctor", help=text, description=text)
    cmd.add_argument("file", nargs="?", help="compose file to check statically")
    cmd.add_argument("--project", help="check this running Compose project live instead")
    cmd.add_argument("--project-name", "-p", help="project name to read FILE with "
                     "(default: Compose's: `name:`, COMPOSE_PROJECT_NAME or the folder)")
    cmd.add_argument("--profile", action="append", default=[], help="activate a profile")
    cmd.add_argument("--format", choices=("table", "json"), default="table")
    cmd.add_argument("--graph", metavar="PNG", help="live mode: draw the observed topology")
    cmd.set_defaults(func=run)
    return cmd


def run(args: argparse.Namespace) -> int:
    if bool(args.file) == bool(args.project):
        print("clusterlab doctor: give a compose FILE, or --project NAME for a running project")
        return 2
    if args.project:
        from .live import diagnose_live

        report = diagnose_live(args.project)
        findings, source, notes = report.findings, f"project {args.project}", []
        if args.graph:
            from ..draw import draw_topology
            from ..topology import to_graph

            draw_topology(to_graph(report.snapshot)).savefig(args.graph, dpi=120,
                                                               bbox_inches="tight")
            notes.append(f"wrote {args.graph}")
    else:
        project, findings = diagnose(args.file, args.project_name, profiles=args.profile)
        source, notes = args.file, list(project.notes)
    if args.format == "json":
        print(as_json(findings, source=source, notes=notes))
    else:
        print(table(findings, title=f"clusterlab doctor: {source}", notes=notes))
    return 1 if has_errors(findings) else 0

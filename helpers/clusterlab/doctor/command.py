"""``clusterlab doctor``: the CLI side. Prints and returns an exit code; the rest is library.

Exit codes: 0 no error-level finding, 1 at least one (so CI and pre-commit can gate on
it), 2 the doctor itself could not run (bad arguments, or a ``ClusterLabError``, handled
by ``clusterlab.cli.main``). Suppressed findings never fail the run.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..model.topology import to_graph
from ..render.draw import draw_topology
from . import report_file, report_project
from .findings import has_errors
from .formats import FORMATS, Report, render
from .live import commands_run
from .suppress import parse_ignore


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """Register ``doctor`` on the top-level subparsers (``sub`` from ``add_subparsers``)."""
    text = "find BEAM clustering pitfalls in compose files, or in a running Compose project"
    cmd = sub.add_parser("doctor", help=text, description=text)
    cmd.add_argument("files", nargs="*", metavar="FILE", help="compose file(s) to check statically")
    cmd.add_argument("--project", help="check this running Compose project live (and the "
                     "compose file it was started from)")
    cmd.add_argument("--project-name", "-p", help="project name to read FILE with "
                     "(default: Compose's: `name:`, COMPOSE_PROJECT_NAME or the folder)")
    cmd.add_argument("--profile", action="append", default=[], help="activate a profile")
    cmd.add_argument("--format", choices=FORMATS, default="table",
                     help="table (default), json, github (workflow annotations), sarif (2.1.0)")
    cmd.add_argument("--ignore", action="append", default=[], metavar="CODE",
                     help="suppress a finding code (repeat, or comma-separate)")
    cmd.add_argument("--graph", metavar="PNG", help="live mode: draw the observed topology")
    cmd.add_argument("--verbose", "-v", action="store_true",
                     help="live mode: print the docker commands it ran (on stderr), to "
                          "repeat by hand")
    cmd.set_defaults(func=run)
    return cmd


def run(args: argparse.Namespace) -> int:
    if bool(args.files) == bool(args.project):
        print("clusterlab doctor: give compose FILE(s), or --project NAME for a running project",
              file=sys.stderr)
        return 2
    try:
        ignore = parse_ignore(args.ignore)
    except ValueError as exc:
        print(f"clusterlab doctor: {exc}", file=sys.stderr)
        return 2
    if args.project:
        report, live = report_project(args.project, ignore=ignore)
        if args.verbose:
            print("\n".join(["# commands run (the cookie stays in the container):",
                             *commands_run(live)]), file=sys.stderr)
        if args.graph:
            draw_topology(to_graph(live.snapshot)).savefig(args.graph, dpi=120,
                                                             bbox_inches="tight")
            report = Report(report.source, report.findings, report.suppressed,
                            (*report.notes, f"wrote {args.graph}"))
        reports = [report]
    else:
        reports = [report_file(path, args.project_name, profiles=args.profile, ignore=ignore)
                   for path in args.files]
    print(render(reports, args.format))
    return 1 if any(has_errors(r.findings) for r in reports) else 0

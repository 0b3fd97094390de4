"""Findings as a readable table or as JSON (for CI and editors)."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Sequence

from .findings import Finding

_MARK = {"error": "✗", "warning": "!", "info": "i"}


def table(findings: Sequence[Finding], *, title: str = "", notes: Sequence[str] = (),
          width: int = 100) -> str:
    """One block per finding: code, severity, services, then the message and the fix."""
    lines = [title] if title else []
    lines += [f"note: {note}" for note in notes]
    if not findings:
        lines.append("no findings: nothing the doctor knows about is wrong here.")
        return "\n".join(lines)
    for f in findings:
        services = ", ".join(f.services) or "(file)"
        lines.append(f"{_MARK[f.severity]} {f.code} {f.severity:<7} {services}")
        lines += textwrap.wrap(f.message, width, initial_indent="    ",
                               subsequent_indent="    ", break_on_hyphens=False)
        lines += textwrap.wrap(f"fix: {f.fix}", width, initial_indent="    ",
                               subsequent_indent="         ", break_on_hyphens=False)
    counts = {s: sum(f.severity == s for f in findings) for s in ("error", "warning", "info")}
    lines.append(", ".join(f"{n} {s}{'s' if n != 1 else ''}" for s, n in counts.items()))
    return "\n".join(lines)


def as_json(findings: Sequence[Finding], *, source: str = "", notes: Sequence[str] = ()) -> str:
    return json.dumps({"source": source, "notes": list(notes),
                       "errors": sum(f.severity == "error" for f in findings),
                       "findings": [f.as_dict() for f in findings]}, indent=2)

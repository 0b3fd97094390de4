"""Suppressions, as linter users expect: ``# clusterlab: ignore CL403`` on the line, or
``--ignore CL403``. Suppressed findings are kept (counted in the summary, marked in
SARIF) rather than dropped, so a reviewer still sees what was waved through and how.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

from .findings import Finding

_COMMENT = re.compile(r"#\s*clusterlab:\s*ignore\b([^#]*)", re.I)
_CODE = re.compile(r"^CL\d{3}$")


@dataclass(frozen=True)
class Suppressed:
    finding: Finding
    how: str  # "inline": a comment on a line it points at; "option": --ignore


def inline_codes(line: str) -> set[str] | None:
    """Codes a ``# clusterlab: ignore …`` comment names; empty set: all; None: no comment."""
    match = _COMMENT.search(line)
    if match is None:
        return None
    return {c.upper() for c in re.split(r"[\s,]+", match.group(1)) if c}


def parse_ignore(values: Sequence[str]) -> set[str]:
    """``--ignore CL403 --ignore CL404,CL206`` → codes; a malformed code is a usage error."""
    codes = {c.strip().upper() for v in values for c in v.split(",") if c.strip()}
    bad = sorted(c for c in codes if not _CODE.match(c))
    if bad:
        raise ValueError(f"--ignore takes finding codes like CL403, not {', '.join(bad)}")
    return codes


def split(findings: Sequence[Finding], ignore: Collection[str],
          line_of: Callable[[str, int], str]) -> tuple[list[Finding], list[Suppressed]]:
    """(kept, suppressed). ``line_of(file, line)`` gives a source line for inline comments."""
    kept: list[Finding] = []
    dropped: list[Suppressed] = []
    for finding in findings:
        if finding.code in ignore:
            dropped.append(Suppressed(finding, "option"))
            continue
        for place in finding.locations:
            codes = inline_codes(line_of(place.file, place.line))
            if codes is not None and (not codes or finding.code in codes):
                dropped.append(Suppressed(finding, "inline"))
                break
        else:
            kept.append(finding)
    return kept, dropped

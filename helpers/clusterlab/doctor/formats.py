"""Findings out, in the formats people plug in: a readable table, JSON (unchanged since
the first release), GitHub workflow commands (pull-request annotations) and SARIF 2.1.0
(code scanning, editors). All take one ``Report`` and return text.
"""

from __future__ import annotations

import json
import os
import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path, PurePath

from .findings import CATALOGUE, Finding, Location
from .rules import HELP
from .suppress import Suppressed

FORMATS = ("table", "json", "github", "sarif")
_MARK = {"error": "✗", "warning": "!", "info": "i"}
_SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note"}
_GITHUB_LEVEL = {"error": "error", "warning": "warning", "info": "notice"}
SARIF_SCHEMA = ("https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/"
                "sarif-schema-2.1.0.json")
DOCS_ENV = "CLUSTERLAB_DOCS_URL"


@dataclass(frozen=True)
class Report:
    """What one doctor run found: the hand-off from diagnosis to every format."""

    source: str  # the file, or "project NAME"
    findings: tuple[Finding, ...]
    suppressed: tuple[Suppressed, ...] = ()
    notes: tuple[str, ...] = ()


def _summary(report: Report) -> str:
    counts = {s: sum(f.severity == s for f in report.findings)
              for s in ("error", "warning", "info")}
    text = ", ".join(f"{n} {s}{'s' if n != 1 else ''}" for s, n in counts.items())
    if report.suppressed:
        how = sorted({"inline" if s.how == "inline" else "--ignore" for s in report.suppressed})
        text += f" ({len(report.suppressed)} suppressed: {', '.join(how)})"
    return text


def table(report: Report, *, title: str = "", width: int = 100) -> str:
    """One block per finding: code, severity, services, where, then the message and the fix."""
    lines = [title] if title else []
    lines += [f"note: {note}" for note in report.notes]
    if not report.findings:
        lines.append("no findings: nothing the doctor knows about is wrong here.")
    for f in report.findings:
        services = ", ".join(f.services) or "(file)"
        where = f"  {f.location}" if f.location else ""
        lines.append(f"{_MARK[f.severity]} {f.code} {f.severity:<7} {services}{where}")
        lines += textwrap.wrap(f.message, width, initial_indent="    ",
                               subsequent_indent="    ", break_on_hyphens=False)
        lines += textwrap.wrap(f"fix: {f.fix}", width, initial_indent="    ",
                               subsequent_indent="         ", break_on_hyphens=False)
        if len(f.locations) > 1:
            lines.append(f"    see also: {', '.join(map(str, f.locations[1:]))}")
    if report.findings or report.suppressed:
        lines.append(_summary(report))
    return "\n".join(lines)


def as_json(report: Report) -> str:
    """The first release's JSON, key for key (CI scripts parse it)."""
    return json.dumps({"source": report.source, "notes": list(report.notes),
                       "errors": sum(f.severity == "error" for f in report.findings),
                       "findings": [f.as_dict() for f in report.findings]}, indent=2)


# -- GitHub Actions workflow commands --------------------------------------------------------


def _gh_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_property(text: str) -> str:
    return _gh_data(text).replace(":", "%3A").replace(",", "%2C")


def github(report: Report) -> str:
    """``::error file=…,line=…,col=…,title=…::message`` lines: annotations on a pull request."""
    lines = [f"::notice::{_gh_data(note)}" for note in report.notes]
    for f in report.findings:
        props = []
        if f.location:
            props += [f"file={_gh_property(PurePath(f.location.file).as_posix())}",
                      f"line={f.location.line}"]
            if f.location.column:
                props.append(f"col={f.location.column}")
        props.append(f"title={_gh_property(f'{f.code} {CATALOGUE[f.code][1]}')}")
        body = f"{f.code}: {f.message} Fix: {f.fix}"
        lines.append(f"::{_GITHUB_LEVEL[f.severity]} {','.join(props)}::{_gh_data(body)}")
    lines.append(f"clusterlab doctor: {report.source}: {_summary(report)}")
    return "\n".join(lines)


# -- SARIF 2.1.0 ---------------------------------------------------------------------------


def docs_uri() -> str | None:
    """Where docs/doctor.md is: ``$CLUSTERLAB_DOCS_URL``, else this checkout's own file."""
    if os.environ.get(DOCS_ENV):
        return os.environ[DOCS_ENV]
    local = Path(__file__).resolve().parents[3] / "docs" / "doctor.md"
    return local.as_uri() if local.is_file() else None


def _rule_name(title: str) -> str:
    words = re.findall(r"[A-Za-z0-9]+", title)
    return "".join(w[:1].upper() + w[1:] for w in words) or "Finding"


def _rules() -> list[dict[str, object]]:
    base = docs_uri()
    rules = []
    for code in sorted(CATALOGUE):
        severity, title = CATALOGUE[code]
        finding, fix = HELP.get(code, (title, ""))
        rule: dict[str, object] = {
            "id": code,
            "name": _rule_name(title),
            "shortDescription": {"text": title},
            "fullDescription": {"text": finding},
            "help": {"text": f"{finding}. Fix: {fix}." if fix else finding,
                     "markdown": f"**{code}**: {finding}.\n\n**Fix:** {fix}." if fix
                     else f"**{code}**: {finding}."},
            "defaultConfiguration": {"level": _SARIF_LEVEL[severity]},
            "properties": {"tags": ["erlang", "docker-compose", "clustering"]},
        }
        if base:
            rule["helpUri"] = f"{base}#{code.lower()}"
        rules.append(rule)
    return rules


def _uri(file: str) -> dict[str, str]:
    path = PurePath(file)
    if path.is_absolute():
        return {"uri": Path(path).as_uri()}
    return {"uri": path.as_posix(), "uriBaseId": "SRCROOT"}


def _physical(place: Location) -> dict[str, object]:
    region: dict[str, int] = {"startLine": place.line}
    if place.column:
        region["startColumn"] = place.column
    return {"physicalLocation": {"artifactLocation": _uri(place.file), "region": region}}


def _result(f: Finding, index: dict[str, int], how: str | None = None) -> dict[str, object]:
    result: dict[str, object] = {
        "ruleId": f.code,
        "ruleIndex": index[f.code],
        "level": _SARIF_LEVEL[f.severity],
        "message": {"text": f"{f.message} Fix: {f.fix}"},
        "locations": [_physical(p) for p in f.locations[:1]],
        "partialFingerprints": {"clusterlabFinding/v1": f"{f.code}:{','.join(f.services)}"},
    }
    if len(f.locations) > 1:
        result["relatedLocations"] = [{"id": i, **_physical(p)}
                                      for i, p in enumerate(f.locations[1:], 1)]
    if f.services:
        result["properties"] = {"services": list(f.services)}
    if how:
        result["suppressions"] = [{"kind": "inSource" if how == "inline" else "external",
                                   "justification": "# clusterlab: ignore" if how == "inline"
                                   else "--ignore"}]
    return result


def _version() -> str:
    try:
        return metadata.version("clusterlab")
    except metadata.PackageNotFoundError:
        return "0"


def sarif(reports: Sequence[Report]) -> str:
    """A SARIF 2.1.0 log: one run, every rule with help, results with physical locations
    (suppressed ones too, marked ``suppressions`` so code scanning shows them as dismissed)."""
    rules = _rules()
    index = {str(rule["id"]): i for i, rule in enumerate(rules)}
    results = [_result(f, index) for r in reports for f in r.findings]
    results += [_result(s.finding, index, s.how) for r in reports for s in r.suppressed]
    run: dict[str, object] = {
        "tool": {"driver": {"name": "clusterlab doctor", "version": _version(),
                            "informationUri": docs_uri() or SARIF_SCHEMA, "rules": rules}},
        "originalUriBaseIds": {"SRCROOT": {"uri": Path.cwd().as_uri() + "/"}},
        "results": results,
        "invocations": [{
            "executionSuccessful": True,
            "toolExecutionNotifications": [{"level": "note", "message": {"text": n}}
                                           for r in reports for n in r.notes],
        }],
    }
    return json.dumps({"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}, indent=2)


def render(reports: Sequence[Report], fmt: str) -> str:
    """``reports`` (one per file checked) in format ``fmt`` (one of ``FORMATS``).

    JSON keeps its one-object shape for one file; several files give a list of them.
    """
    if fmt == "sarif":
        return sarif(reports)
    if fmt == "json":
        if len(reports) == 1:
            return as_json(reports[0])
        return "[\n" + ",\n".join(as_json(r) for r in reports) + "\n]"
    if fmt == "github":
        return "\n".join(github(r) for r in reports)
    return "\n\n".join(table(r, title=f"clusterlab doctor: {r.source}") for r in reports)


__all__: Sequence[str] = ["FORMATS", "Report", "as_json", "github", "render", "sarif", "table"]

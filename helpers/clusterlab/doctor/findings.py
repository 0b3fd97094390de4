"""Findings and the rule book: what a rule returns, the catalogue of codes, running them.

The rules themselves live by family (reading, networks, names, discovery, cookies,
ports): each is a small pure function over the typed ``Project`` registered with its codes
by ``@rule``; the package imports every family, so the catalogue is complete once
``clusterlab.doctor`` is imported. Each rule returns ``Finding``s with a stable code, so CI
can gate on them and docs can link them (docs/doctor.md lists the catalogue). Messages
never contain a cookie.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from .model import Project

SEVERITIES = ("error", "warning", "info")
EPMD_PORT = 4369
MIN_COOKIE = 20


Key = tuple[str, ...]
"""A path into the compose model, e.g. ``("services", "a", "environment", "RELEASE_NODE")``:
what a finding is about, found in the user's files by ``locate``."""


@dataclass(frozen=True)
class Location:
    """A place in a file the user wrote (1-based line; column when known)."""

    file: str
    line: int
    column: int | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" + (f":{self.column}" if self.column else "")


@dataclass(frozen=True)
class Finding:
    """One problem: ``code`` is stable, ``fix`` says what to change.

    ``keys`` say which compose keys it is about (most telling first); ``locations`` are
    where those are written, filled in by ``locate.place`` (or by a rule that reads a
    file of its own, such as an env.sh).
    """

    code: str
    severity: str  # error | warning | info
    services: tuple[str, ...]
    message: str
    fix: str
    keys: tuple[Key, ...] = field(default=(), compare=False)
    locations: tuple[Location, ...] = field(default=(), compare=False)

    @property
    def location(self) -> Location | None:
        return self.locations[0] if self.locations else None

    def as_dict(self) -> dict[str, object]:
        """The JSON form (``--format json``): unchanged since the first release."""
        return {"code": self.code, "severity": self.severity, "services": list(self.services),
                "message": self.message, "fix": self.fix}


Rule = Callable[[Project], list[Finding]]
CATALOGUE: dict[str, tuple[str, str]] = {}  # code → (severity, title), for docs and tests
RULES: list[Rule] = []


def rule(*codes: tuple[str, str, str]) -> Callable[[Rule], Rule]:
    """Register a rule (a function of the project) and the codes (code, severity, title)
    it may emit."""
    def register(func: Rule) -> Rule:
        for code, severity, title in codes:
            CATALOGUE[code] = (severity, title)
        RULES.append(func)
        return func
    return register


def finding(code: str, services: Iterable[str], message: str, fix: str,
            keys: Sequence[Key] = (), locations: Sequence[Location] = ()) -> Finding:
    """A finding of a catalogued ``code`` (severity from the catalogue), services sorted.
    Static rules here and live mode (live.py) both build theirs with it."""
    return Finding(code, CATALOGUE[code][0], tuple(sorted(set(services))), message, fix,
                   tuple(keys), tuple(locations))


def svc_key(name: str, *rest: str) -> Key:
    return ("services", name, *rest)


def list_key(service: str, source: str) -> Key:
    """A host list's key: its variable, or the build whose config/*.exs holds it."""
    return env_key(service, source) if "/" not in source else svc_key(service, "build")


def env_key(name: str, var: str) -> Key:
    return ("services", name, "environment", var)


# -- live mode's codes (its checks are in live.py; registered here so every format knows them) --

for _code, _severity, _title in (
    ("CL701", "error", "live: a node's host does not resolve from a peer"),
    ("CL702", "error", "live: a name in the environment does not resolve"),
    ("CL703", "error", "live: nodes are up but not connected"),
    ("CL704", "warning", "live: one-sided view"),
    ("CL705", "error", "live: cookies differ"),
    ("CL706", "warning", "live: could not check"),
):
    CATALOGUE[_code] = (_severity, _title)


# -- running them ------------------------------------------------------------------------------


def run_rules(project: Project, rules: Iterable[Rule] | None = None) -> list[Finding]:
    """Every rule over ``project``, most severe first, then by code."""
    found = [f for func in (rules or RULES) for f in func(project)]
    return sort_findings(found)


def sort_findings(found: Iterable[Finding]) -> list[Finding]:
    return sorted(found, key=lambda f: (SEVERITIES.index(f.severity), f.code, f.services))


def has_errors(found: Iterable[Finding]) -> bool:
    return any(f.severity == "error" for f in found)


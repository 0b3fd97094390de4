"""``clusterlab doctor``: find BEAM clustering pitfalls in a Compose project.

Static mode reads a compose file (``diagnose``); live mode looks inside a running
project's containers (``live.diagnose_live``) and also reads the file the project was
started from. Both return ``Finding`` lists that point at lines of the user's files;
``report_file`` adds suppressions and hands a ``Report`` to ``formats``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from pathlib import Path

from ..errors import ClusterLabError

# Every family of rules registers its codes on import: the catalogue is complete from here.
from . import (  # noqa: F401
    cookies,
    discovery,
    exposure,
    names,
    networks,
    ports,
    reach,
    reading,
    suppress,
)
from .findings import CATALOGUE, Finding, Location, has_errors, run_rules
from .formats import Report
from .live import LiveReport, diagnose_live, merge
from .locate import Locator, place
from .model import Project, read


def diagnose(path: Path | str, project: str | None = None, *,
             env: Mapping[str, str] | None = None,
             profiles: Sequence[str] = ()) -> tuple[Project, list[Finding]]:
    """Read ``path`` as Compose would, run every static check, point each at its line."""
    model = read(path, project, env=env, profiles=profiles)
    return model, place(run_rules(model), Locator(path))


def report_file(path: Path | str, project: str | None = None, *,
               env: Mapping[str, str] | None = None, profiles: Sequence[str] = (),
               ignore: Collection[str] = ()) -> Report:
    """The static verdict on ``path``, with inline and ``--ignore`` suppressions applied."""
    model, found = diagnose(path, project, env=env, profiles=profiles)
    kept, dropped = suppress.split(found, ignore, Locator(path).line)
    return Report(str(path), tuple(kept), tuple(dropped), model.notes)


def report_project(name: str, *, ignore: Collection[str] = (),
                  erl_call: bool = True) -> tuple[Report, LiveReport]:
    """Live findings on a running project, next to the static findings on the compose file
    it was started from (Compose's labels say where); when that file is gone, say so."""
    live = diagnose_live(name, erl_call=erl_call)
    notes: list[str] = []
    static: list[Finding] = []
    locator: Locator | None = None
    files = live.config_files
    if not files:
        notes.append("Compose's labels don't say which file started this project; "
                     "live findings only.")
    elif not Path(files[0]).is_file():
        notes.append(f"{files[0]}, the file project {name} was started from, is gone; "
                     "live findings only.")
    else:
        if len(files) > 1:
            notes.append(f"project {name} was started from {len(files)} files; the static "
                         f"checks read {files[0]} alone.")
        try:
            model, static = diagnose(files[0], name)
        except ClusterLabError as exc:
            notes.append(f"could not read {files[0]} ({exc}); live findings only.")
        else:
            notes += model.notes
            locator = Locator(files[0])
    found = merge(static, live.findings)
    if locator is not None:
        found = place(found, locator)
    kept, dropped = suppress.split(found, ignore, locator.line if locator else _no_line)
    return Report(f"project {name}", tuple(kept), tuple(dropped), tuple(notes)), live


def _no_line(file: str, number: int) -> str:
    return ""


__all__ = [
    "CATALOGUE",
    "Finding",
    "Location",
    "Project",
    "Report",
    "diagnose",
    "has_errors",
    "read",
    "report_file",
    "report_project",
    "run_rules",
]

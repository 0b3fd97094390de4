"""``clusterlab doctor``: find BEAM clustering pitfalls in a Compose project.

Static mode reads a compose file (``diagnose``); live mode looks inside a running
project's containers (``live.diagnose_live``). Both return ``Finding`` lists; the CLI
renders them and turns error-level findings into a non-zero exit code.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from .findings import CATALOGUE, Finding, has_errors, run_checks
from .model import Project, read


def diagnose(path: Path | str, project: str | None = None, *,
             env: Mapping[str, str] | None = None,
             profiles: Sequence[str] = ()) -> tuple[Project, list[Finding]]:
    """Read ``path`` as Compose would and run every static check over it."""
    model = read(path, project, env=env, profiles=profiles)
    return model, run_checks(model)


__all__ = ["CATALOGUE", "Finding", "Project", "diagnose", "has_errors", "read", "run_checks"]

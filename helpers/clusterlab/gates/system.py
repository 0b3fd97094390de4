"""What this machine offers: engine, Compose and image tools. Lessons show it first."""

from __future__ import annotations

import shutil

from . import compose, engine


def versions() -> dict[str, str]:
    """Engine, API and Compose versions; DNS behaviour and Compose naming depend on them."""
    found = compose.find_compose()
    return {**engine.versions(), "compose": found.version, "compose_command": " ".join(found.argv)}


def prerequisites() -> dict[str, str]:
    """Everything a lab needs, or a ``ClusterLabError`` that says what to install or start."""
    report = versions()
    report["mmdebstrap"] = shutil.which("mmdebstrap") or "not installed (needed only offline)"
    return report

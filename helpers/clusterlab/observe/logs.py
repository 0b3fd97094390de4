"""Log lines with the engine's own timestamps, so a lesson can time what a node did.

``docker logs --timestamps`` prefixes every line with an RFC 3339 time in UTC, with
nanoseconds (``2024-05-01T05:04:51.651234567Z``). The container shares the host's
clock, so these times compare directly with ``datetime.now(UTC)`` taken in the
notebook: "the node logged `connected to` 1.2 s after the network came back".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

_STAMP = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)\s?(.*)$")


@dataclass(frozen=True)
class LogLine:
    """One line a container wrote, and when the engine received it (UTC)."""

    at: datetime
    text: str

    def seconds_after(self, moment: datetime) -> float:
        return (self.at - moment).total_seconds()

    def __str__(self) -> str:
        return f"{self.at:%H:%M:%S.%f}"[:-3] + f"  {self.text}"


def parse_timestamp(stamp: str) -> datetime:
    """An RFC 3339 time as Docker writes it (nanoseconds allowed) → aware datetime."""
    match = _STAMP.match(stamp)
    if not match:
        raise ValueError(f"not a Docker log timestamp: {stamp[:40]!r}")
    base, fraction, zone, _ = match.groups()
    micros = (fraction or "0")[:6].ljust(6, "0")
    zone = "+00:00" if zone == "Z" else zone
    return datetime.fromisoformat(f"{base}.{micros}{zone}").astimezone(UTC)


def parse_docker_logs(raw: str) -> list[LogLine]:
    """Split ``docker logs --timestamps`` output into lines; unstamped lines are skipped."""
    lines = []
    for row in raw.splitlines():
        match = _STAMP.match(row)
        if match:
            lines.append(LogLine(parse_timestamp(row.split(" ", 1)[0]), match.group(4)))
    return lines


def select(lines: Iterable[LogLine], *needles: str, since: datetime | None = None) -> list[LogLine]:
    """Lines at or after ``since`` that contain every needle (case-sensitive)."""
    return [line for line in lines
            if (since is None or line.at >= since) and all(n in line.text for n in needles)]

"""Small pieces of Erlang distribution a lesson drives by hand, kept pure for testing.

``Lab.connect_node`` runs ``net_kernel:connect_node/1`` inside one container (that is
``Node.connect/1``); these helpers build its argument and read its answer. ``find_line``
picks the log line a lesson quotes (the kernel logs refusals as multi-line reports, and
the line that names the cause is the one worth showing).
"""

from __future__ import annotations

from .errors import ClusterLabError
from .nodenames import parse


def connect_args(node: str) -> str:
    """The Erlang argument list for ``net_kernel:connect_node``: ``['app@n2.lab']``.

    Any name Erlang could parse goes through (a short-name host, a dotless host under
    long names): refusing those is the kernel's job, and what the lessons show.
    """
    parse(node)
    return f"['{node}']"


def parse_connect(text: str) -> bool:
    """``true`` / ``false`` as printed by ``erl_call`` → bool; anything else is an error.

    ``ignored`` (the caller is not distributed) is an error too: no connection was tried.
    """
    answer = text.strip()
    if answer in ("true", "false"):
        return answer == "true"
    raise ClusterLabError(f"Node.connect answered {answer!r}, not true or false.",
                          "Is the calling node distributed (RELEASE_DISTRIBUTION name|sname)?")


def find_line(text: str, needle: str) -> str | None:
    """The first line of ``text`` that contains ``needle``, stripped; None if there is none."""
    return next((line.strip() for line in text.splitlines() if needle in line), None)

"""ClusterLab: why Erlang/Elixir nodes fail to cluster in Docker Compose, shown live.

Data flows one way: compose file → ``Lab`` (running) → ``Snapshot`` (probe) →
``to_graph`` (networkx) → ``draw_topology`` (matplotlib). One import serves a notebook.
"""

from . import report
from .catalogue import Lesson, lessons
from .catalogue import get as lesson
from .draw import draw_dns_matrix, draw_series, draw_topology
from .errors import ClusterLabError
from .image import ensure_image
from .lifecycle import Cookie, Lab, clean, lab, start
from .probes import DnsAnswer, Member, Snapshot, probe, rpc, wait_until
from .system import check as check_system
from .system import versions
from .topology import clusters, is_full_mesh, islands, one_sided, to_graph

__all__ = [
    "ClusterLabError",
    "Cookie",
    "DnsAnswer",
    "Lab",
    "Lesson",
    "Member",
    "Snapshot",
    "check_system",
    "clean",
    "clusters",
    "draw_dns_matrix",
    "draw_series",
    "draw_topology",
    "ensure_image",
    "is_full_mesh",
    "islands",
    "lab",
    "lesson",
    "lessons",
    "one_sided",
    "probe",
    "report",
    "rpc",
    "start",
    "to_graph",
    "versions",
    "wait_until",
]

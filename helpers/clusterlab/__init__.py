"""ClusterLab: why Erlang/Elixir nodes fail to cluster in Docker Compose, shown live.

Data flows one way: compose file → ``Lab`` (running) → ``Snapshot`` (probe) →
``to_graph`` (networkx) → ``draw_topology`` (matplotlib). One import serves a notebook.
"""

from . import draw, epmd, outsider, report, resolver, tls
from .catalogue import Lesson, lessons
from .catalogue import get as lesson
from .checkdraw import draw_check
from .checks import CheckReport, Exercise, check, exercise, exercises
from .draw import draw_dns_matrix, draw_series, draw_topology
from .errors import ClusterLabError
from .image import ensure_image
from .lifecycle import Cookie, Lab, clean, lab, start
from .probes import DnsAnswer, Member, Snapshot, probe, rpc, wait_until
from .system import check as check_system
from .system import versions
from .topology import clusters, is_full_mesh, islands, one_sided, to_graph
from .widgets import LabController, panel

draw.enable_notebook_display()

__all__ = [
    "CheckReport",
    "ClusterLabError",
    "Cookie",
    "DnsAnswer",
    "Exercise",
    "Lab",
    "LabController",
    "Lesson",
    "Member",
    "Snapshot",
    "check",
    "check_system",
    "clean",
    "clusters",
    "draw_check",
    "draw_dns_matrix",
    "draw_series",
    "draw_topology",
    "ensure_image",
    "epmd",
    "exercise",
    "exercises",
    "is_full_mesh",
    "islands",
    "lab",
    "lesson",
    "lessons",
    "one_sided",
    "outsider",
    "panel",
    "probe",
    "report",
    "resolver",
    "rpc",
    "start",
    "tls",
    "to_graph",
    "versions",
    "wait_until",
]

"""ClusterLab: why Erlang/Elixir nodes fail to cluster in Docker Compose, shown live.

The folders are the pipeline; data flows one way:

    compose file ─ gates/ ─▶ lab/ (``Lab``, running) ─ observe/ ─▶ model/ (``Snapshot``,
    ``to_graph``) ─▶ render/ (``draw_topology``); workshop/ (exercises, checker, panel)
    and doctor/ sit on top.

- ``gates/``: the only code that runs Docker or Compose (engine, compose, image, system);
- ``lab/``: one running Compose project: start, look inside, break, remove, cookie;
- ``observe/``: inside the containers: the probe, Erlang calls, resolver, logs;
- ``model/``: what a probe saw as plain data (``Snapshot``) and as a graph (topology);
- ``render/``: pictures and tables of a snapshot or a check;
- ``workshop/``: exercises as data, their judge and checker, playground and panel;
- ``doctor/``: pitfalls in anyone's compose file or running project;
- ``tools/``: around the product: notebook runner, docs site, offline room kit.

One import serves a notebook: ``import clusterlab as cl``.
"""

from .catalogue import Lesson, lessons
from .catalogue import get as lesson
from .errors import ClusterLabError
from .gates import engine
from .gates.image import ensure_image
from .gates.system import prerequisites, versions
from .lab import outsider, tls
from .lab.cookie import Cookie
from .lab.lifecycle import Lab, lab, start
from .lab.registry import clean, projects
from .lab.swarm import SwarmLab
from .model.snapshot import DnsAnswer, Member, Snapshot
from .model.topology import clusters, is_full_mesh, islands, one_sided, to_graph
from .observe import detection, epmd, erlang, resolver
from .observe.erlang import rpc
from .observe.probe import parse_node_list, parse_nslookup, probe
from .render import draw, report
from .render.checkdraw import draw_check
from .render.detection import draw_detection, draw_timeline
from .render.draw import draw_dns_matrix, draw_series, draw_topology
from .waiting import wait_until
from .workshop import security
from .workshop.exercise import Exercise, check, exercise, exercises
from .workshop.judge import CheckReport
from .workshop.widgets import LabController, panel

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
    "SwarmLab",
    "check",
    "clean",
    "clusters",
    "detection",
    "draw",
    "draw_check",
    "draw_detection",
    "draw_dns_matrix",
    "draw_series",
    "draw_timeline",
    "draw_topology",
    "engine",
    "ensure_image",
    "epmd",
    "erlang",
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
    "parse_node_list",
    "parse_nslookup",
    "prerequisites",
    "probe",
    "projects",
    "report",
    "resolver",
    "rpc",
    "security",
    "start",
    "tls",
    "to_graph",
    "versions",
    "wait_until",
]

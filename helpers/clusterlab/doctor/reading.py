"""How the file was read: Compose refuses it, a BEAM service the doctor cannot model,
unset inputs (CL0xx).
"""

from __future__ import annotations

import re

from .beam import (
    beam_nodes,
    cookie_vars,
    flag_vars,
    product,
)
from .findings import Finding, rule
from .findings import env_key as _env_key
from .findings import finding as _f
from .findings import svc_key as _svc
from .model import LEGACY, Project
from .products import BY_KEY, looks_beamish

# -- how the file was read ------------------------------------------------------------------


@rule(("CL001", "error", "Compose refuses the file"))
def compose_refuses(project: Project) -> list[Finding]:
    if not project.compose_error:
        return []
    named = [s for s in project.services
             if re.search(rf"(?<![\w-]){re.escape(s)}(?![\w-])", project.compose_error)]
    if project.compose_error == LEGACY:
        return [_f("CL001", [], f"Compose refuses this file: {LEGACY}",
                   "Put every service under a top-level `services:` key (Compose file format "
                   "v2/v3 or the Compose Specification).",
                   [_svc(s) for s in list(project.services)[:1]])]
    return [_f("CL001", [], f"`docker compose config` refuses this file: {project.compose_error}",
               "Fix what Compose reports; the other findings were read from the raw YAML.",
               [_svc(named[0], key) for key in _SERVICE_KEYS if key in project.compose_error]
               + [_svc(named[0])] if named else [])]


@rule(("CL002", "info", "a service looks like a BEAM node but could not be modelled"))
def not_modelled(project: Project) -> list[Finding]:
    """Say what was not checked: silence would read as "nothing wrong"."""
    out = []
    nodes = beam_nodes(project)
    for name, service in project.services.items():
        spec = nodes.get(name)
        if spec is not None and spec.source == "image":
            out.append(_f("CL002", [name],
                          f"{name} is a {BY_KEY[spec.product].title} node whose name is set "
                          "inside the image (vm.args), which the doctor cannot read: its name, "
                          "naming mode and host were not checked.",
                          f"Set the name in the file ({BY_KEY[spec.product].name_vars[0]}) to "
                          "have it checked.", [_svc(name)]))
        elif spec is None and (why := looks_beamish(service.image, service.environment,
                                                    service.command)):
            out.append(_f("CL002", [name],
                          f"{name} looks like an Erlang/Elixir service ({why}), but no model "
                          "the doctor knows derives its node name or cookie: it was not "
                          "checked.",
                          "If it is a distributed node, set its name and cookie in the file "
                          "(e.g. RELEASE_NODE and RELEASE_COOKIE for a Mix release).",
                          [_svc(name)]))
    return out


@rule(("CL003", "warning", "a variable feeding a cookie, node name or host is not set"))
def unset_inputs(project: Project) -> list[Finding]:
    """Compose only warns about an unset ``${VAR}`` and puts a blank string there."""
    out = []
    nodes = beam_nodes(project)
    for name, service in project.services.items():
        if name not in nodes:
            continue
        model = product(service)
        feeds = {*cookie_vars(service), *flag_vars(service), "hostname", "command",
                 "entrypoint", "RELEASE_NODE", *(model.name_vars if model else ()),
                 *(model.list_vars + model.seed_vars if model else ())}
        for key, var in sorted(service.unset_vars.items()):
            if key not in feeds and not key.endswith(("HOSTS", "NODES", "SEEDS")):
                continue
            where = (_svc(name, key) if key in ("hostname", "command", "entrypoint")
                     else _env_key(name, key))
            out.append(_f("CL003", [name],
                          f"{name}: {key} uses ${{{var}}}, which is not set: Compose puts a "
                          "blank string there (it only prints a warning), so the node gets "
                          "an empty value.",
                          f"Set {var} (shell, CI secret, .env), or write `${{{var}:?set {var}}}` "
                          "so Compose refuses to start without it.", [where]))
    return out


_SERVICE_KEYS = ("container_name", "ports", "networks", "network_mode", "hostname", "volumes",
                 "environment", "extends", "deploy", "build", "image")

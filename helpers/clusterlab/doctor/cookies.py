"""Cookies: missing, weak, differing or visible ones (CL4xx).
"""

from __future__ import annotations

from .beam import (
    NodeSpec,
    clusters,
    cookie,
    cookie_var,
    cookie_vars,
    flag_key,
    mounts_cookie,
)
from .findings import MIN_COOKIE, Finding, Key, rule
from .findings import env_key as _env_key
from .findings import finding as _f
from .findings import svc_key as _svc
from .model import Project, is_dynamic, is_unset
from .products import BY_KEY

# -- cookies ----------------------------------------------------------------------------------


@rule(("CL401", "warning", "cookie missing"),
       ("CL402", "error", "cookies differ between services"),
       ("CL403", "warning", "cookie hard-coded in the compose file"),
       ("CL404", "warning", "cookie too short"),
       ("CL405", "warning", "cookie left at the product's public default"))
def cookies(project: Project) -> list[Finding]:
    return [f for group in clusters(project).values() for f in _cookies(project, group)]


def _cookies(project: Project, nodes: dict[str, NodeSpec]) -> list[Finding]:
    out = []
    values: dict[str, str] = {}
    keys: dict[str, Key] = {}
    missing: list[str] = []
    for name, spec in nodes.items():
        service = project.services[name]
        value, written, where = cookie(service)
        var = cookie_var(spec)
        key = flag_key(service, "-setcookie" if "-setcookie" in service.command
                       or "-setcookie" in str(service.environment) else "--cookie") \
            if where == "command line" else _env_key(name, where)
        keys[name] = key
        model = BY_KEY[spec.product]
        if value is None and model.unset_cookie == "public" and model.default_cookie:
            value, written, where = model.default_cookie, None, "default"
            keys[name] = _svc(name, "environment")
        if value is None:
            if not mounts_cookie(service) and not (set(cookie_vars(service))
                                                   & set(service.unset_vars)):
                missing.append(name)
            continue
        values[name] = value
        if model.default_cookie and value == model.default_cookie:
            out.append(_f("CL405", [name],
                          f"{name}: the cookie is {model.title}'s documented default "
                          f"({'not set' if where == 'default' else where}); it is public, so "
                          "anyone who reaches the node's ports can join it and run code.",
                          f"Set `{var}: ${{ERL_COOKIE:?}}` on every {model.title} node and "
                          "keep the value outside the file.", [keys[name]]))
            continue
        if written is not None and "$" not in written and not is_unset(value):
            out.append(_f("CL403", [name],
                          f"{name}: the cookie ({where}, {len(value)} chars) is written in the "
                          "compose file, so anyone with the repository can join the cluster.",
                          f"Use `{var}: ${{ERL_COOKIE:?}}` and set ERL_COOKIE outside the "
                          "file (shell, CI secret, .env not committed).", [key]))
        if not is_unset(value) and not is_dynamic(value) and len(value) < MIN_COOKIE:
            out.append(_f("CL404", [name],
                          f"{name}: the cookie is {len(value)} characters long; cookies are the "
                          "only authentication of Erlang distribution.",
                          f"Use at least {MIN_COOKIE} random characters "
                          "(`openssl rand -base64 32`).", [key]))
    out += _missing_cookies(project, nodes, missing, bool(values))
    if len(set(values.values())) > 1:
        groups: dict[str, list[str]] = {}
        for name, value in values.items():
            groups.setdefault(value, []).append(name)
        text = " | ".join(", ".join(sorted(g)) for g in sorted(groups.values()))
        out.append(_f("CL402", values,
                      f"{len(groups)} different cookies ({text}); nodes with different cookies "
                      "refuse each other (Node.connect returns false).",
                      "Give every node the same cookie from one variable "
                      f"({cookie_var(next(iter(nodes.values())))}).",
                      [keys[n] for g in sorted(groups.values(), key=len) for n in sorted(g)]))
    return out


def _missing_cookies(project: Project, nodes: dict[str, NodeSpec], missing: list[str],
                     others_set: bool) -> list[Finding]:
    """CL401, worded as the assumption it is: the file can't show what the image bakes in.

    RabbitMQ's image has no baked cookie (each container writes a random one), so there it
    is a fact. For a release, services that run one prebuilt image share its cookie; only
    separate builds (or different images) give different ones, and a node next to others
    that set a cookie differs from them unless the image bakes exactly that one."""
    if not missing or len(nodes) < 2:
        return []
    out = []
    for name in missing:
        spec = nodes[name]
        var = cookie_var(spec)
        if BY_KEY[spec.product].unset_cookie == "random":
            message = (f"{name} sets no cookie: the {BY_KEY[spec.product].title} image then "
                       "writes a random one in each container, so the nodes refuse each other.")
        else:
            images = {(project.services[n].image, project.services[n].build_context)
                      for n in nodes}
            builds = [n for n in nodes if project.services[n].build_context]
            if len(images) == 1 and not builds and not others_set:
                continue  # one prebuilt image: one baked cookie, shared
            why = ("the other nodes set one in the file, which the baked one matches only by "
                   "chance" if others_set else "services built separately get different "
                   "cookies and refuse each other" if builds else "the nodes run different "
                   "images, whose cookies differ unless they were built with the same one")
            message = (f"{name} sets no cookie in the file, so it uses the one its image bakes "
                       f"in (an assumption: the doctor cannot see the image); {why}.")
        out.append(_f("CL401", [name], message,
                      f"Set `{var}: ${{ERL_COOKIE:?}}` on every node and keep the value in the "
                      "environment or a secret.", [_svc(name, "environment")]))
    return out

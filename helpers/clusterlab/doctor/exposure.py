"""Who else can join: a cookie anyone with Docker access can read, and distribution with
no TLS on a node whose ports are published (lesson 6 shows both live).

Registered with the other static checks when ``clusterlab.doctor`` is imported. Nearly
every compose file written from a product's docs puts the cookie in the environment, so
the product corpus (bench/doctor_corpus.py), which scores clustering pitfalls, leaves
``CODES`` out; their own hit and ok cases are in tests/doctor/cases.
"""

from __future__ import annotations

from .beam import argv, beam_nodes, cookie, cookie_vars, flag_key, flag_vars
from .findings import Finding, rule
from .findings import env_key as _env_key
from .findings import finding as _f
from .findings import svc_key as _svc
from .model import Project, Service

CODES = frozenset({"CL406", "CL505"})


@rule(("CL406", "warning", "cookie visible in the container's environment"))
def cookie_in_environment(project: Project) -> list[Finding]:
    out = []
    for name in beam_nodes(project):
        service = project.services[name]
        value, _, where = cookie(service)
        if value is None:
            continue
        if where in cookie_vars(service):
            shown, key = f"`{where}` in its environment", _env_key(name, where)
        else:
            shown, key = "`-setcookie` on its command line", flag_key(service, "-setcookie")
        out.append(_f("CL406", [name],
                      f"{name} gets its cookie from {shown}: `docker inspect` shows it to "
                      "anyone who can read the Docker API, and every process in the container "
                      "inherits it (`/proc/1/environ`). The cookie is the only key to the "
                      "node: whoever has it can join and run code there.",
                      "Mount the cookie as a Compose secret (`secrets:`) and read it at boot "
                      "(in rel/env.sh.eex: `export RELEASE_COOKIE=$(cat "
                      "/run/secrets/erlang_cookie)`), with `RELEASE_COOKIE` not in Compose.",
                      [key]))
    return out


def uses_tls(service: Service) -> bool:
    """True when the node's distribution runs over TLS (``-proto_dist inet_tls``)."""
    texts = [service.environment.get(var, "") for var in flag_vars(service)]
    texts += [" ".join(argv(service))] + [text for _, text in service.config_files]
    texts += [text for _, text in service.vm_args]
    return any("inet_tls" in text for text in texts)


@rule(("CL505", "warning", "distribution without TLS on a node with published ports"))
def plain_distribution_published(project: Project) -> list[Finding]:
    out = []
    for name in beam_nodes(project):
        service = project.services[name]
        if not service.ports or uses_tls(service):
            continue
        ports = sorted({p.target for p in service.ports})
        out.append(_f("CL505", [name],
                      f"{name} publishes port(s) {ports} to the host, and its distribution is "
                      "plain TCP, authenticated by the cookie alone and not encrypted: once a "
                      "node is reachable from outside the project, anyone who reaches its "
                      "distribution port with the cookie runs code on it.",
                      "Run distribution over TLS (`-proto_dist inet_tls` with an "
                      "`ssl_dist_optfile` that sets `verify_peer` and `fail_if_no_peer_cert`), "
                      "or publish nothing from BEAM nodes.", [_svc(name, "ports")]))
    return out

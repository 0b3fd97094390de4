"""What a service says about itself as a BEAM node, and which names Docker's DNS answers.

Both are pure functions over the typed model, shared by the static checks and live mode.
DNS names follow DESIGN.md truth 2: on a user-defined network the engine answers the
service name, the container name, network aliases, the ``hostname:`` value (Compose
registers it as an alias) and each of those suffixed with ``.<network's real name>``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from ..nodenames import is_ip
from .model import Project, Service, is_dynamic, is_unset, looks_like_node

NO_DNS_MODES = ("host", "bridge", "none")
_FLAG = re.compile(r"^--?(s?name)$")
_DNS_CONFIG = re.compile(r"DNSCluster|dns_cluster|Cluster\.Strategy\.DNSPoll|"
                         r"Cluster\.Strategy\.Kubernetes\.DNS")
_EPMD_CONFIG = re.compile(r"Cluster\.Strategy\.Epmd")
_ATOM_NODE = re.compile(r""":["']([A-Za-z0-9_.+-]+@[A-Za-z0-9_.-]+)["']""")
FLAG_VARS = ("ERL_FLAGS", "ERL_AFLAGS", "ERL_ZFLAGS", "ELIXIR_ERL_OPTIONS")
COOKIE_VARS = ("RELEASE_COOKIE", "ERLANG_COOKIE", "RABBITMQ_ERLANG_COOKIE")
BEAM_HINT_VARS = ("RELEASE_NODE", "RELEASE_COOKIE", "CLUSTER_STRATEGY", "CLUSTER_HOSTS",
                  "DNS_CLUSTER_QUERY", "NODE_NAME_BY_IP", "ERLANG_COOKIE")


@dataclass(frozen=True)
class NodeSpec:
    """A service's Erlang identity as far as the file tells."""

    service: str
    mode: str  # "name" or "sname"
    mode_explicit: bool  # RELEASE_DISTRIBUTION or -name/-sname said so (sname is the default)
    name: str | None  # full node name when the file fixes it; None when computed or default
    source: str  # where the name came from, for messages
    by_ip: bool = False  # the host part is the container's IP, computed at start-up

    @property
    def host(self) -> str | None:
        return self.name.partition("@")[2] if self.name and "@" in self.name else None


def _argv_flags(argv: Sequence[str]) -> dict[str, str]:
    """``-name a@b``, ``--sname a``, ``-setcookie c``, ``--cookie c``, ``-kernel k v``."""
    out: dict[str, str] = {}
    for i, arg in enumerate(argv[:-1]):
        if match := _FLAG.match(arg):
            out[match.group(1)] = argv[i + 1]
        elif arg in ("-setcookie", "--cookie"):
            out["cookie"] = argv[i + 1]
        elif arg == "-kernel" and i + 2 < len(argv):
            out[f"kernel.{argv[i + 1]}"] = argv[i + 2]
    return out


def _split(text: str) -> list[str]:
    return text.split()


def flags(service: Service) -> dict[str, str]:
    """Erlang flags from the command line and the ``ERL_*FLAGS`` variables."""
    found: dict[str, str] = {}
    for var in FLAG_VARS:
        if service.environment.get(var):
            found.update(_argv_flags(_split(service.environment[var])))
    found.update(_argv_flags(list(service.command)))
    return found


def distribution(service: Service) -> str | None:
    """``name``, ``sname``, or None when the service is not a distributed BEAM node."""
    env = service.environment
    mode = env.get("RELEASE_DISTRIBUTION", "").strip().lower()
    if mode == "none":
        return None
    if mode in ("name", "sname"):
        return mode
    if env.get("NODE_NAME_BY_IP"):
        return "name"
    found = flags(service)
    if "name" in found or "sname" in found:
        return "name" if "name" in found else "sname"
    if any(env.get(var) for var in BEAM_HINT_VARS) or uses_dns_discovery(service) \
            or hosts_lists(service):
        return "sname"  # a Mix release's default
    return None


def node_spec(service: Service) -> NodeSpec | None:
    mode = distribution(service)
    if mode is None:
        return None
    env = service.environment
    found = flags(service)
    explicit = env.get("RELEASE_DISTRIBUTION", "").strip().lower() in ("name", "sname") \
        or "name" in found or "sname" in found
    if env.get("NODE_NAME_BY_IP"):
        return NodeSpec(service.name, "name", True, None, "NODE_NAME_BY_IP", by_ip=True)
    if found.get(mode):
        value, source = found[mode], f"-{mode}"
    elif env.get("RELEASE_NODE"):
        value, source = env["RELEASE_NODE"], "RELEASE_NODE"
    else:
        return NodeSpec(service.name, mode, explicit, None, "default")
    if is_dynamic(value) or "@" not in value:
        by_ip = bool(re.search(r"hostname +-[iI]|POD_IP|\bip\b", value))
        return NodeSpec(service.name, mode, explicit, None, source, by_ip=by_ip)
    return NodeSpec(service.name, mode, explicit, value.strip(), source)


def flag_key(service: Service, flag: str) -> tuple[str, ...]:
    """Where ``flag`` (``-name``, ``-setcookie``…) is written: an ``ERL_*FLAGS`` or the argv."""
    for var in reversed(FLAG_VARS):
        if flag in _split(service.environment.get(var, "")) and flag not in service.command:
            return ("services", service.name, "environment", var, flag)
    part = "entrypoint" if flag in service.entrypoint else "command"
    return ("services", service.name, part, flag)


def name_key(service: Service, spec: NodeSpec) -> tuple[str, ...]:
    """Where the node's name is set (``RELEASE_NODE``, ``-name``…), else the service."""
    if spec.source.startswith("-"):
        return flag_key(service, spec.source)
    if spec.source in ("RELEASE_NODE", "NODE_NAME_BY_IP"):
        return ("services", service.name, "environment", spec.source)
    return ("services", service.name)


def mode_key(service: Service, spec: NodeSpec) -> tuple[str, ...]:
    """Where the distribution mode is chosen (``RELEASE_DISTRIBUTION`` when set)."""
    if "RELEASE_DISTRIBUTION" in service.environment:
        return ("services", service.name, "environment", "RELEASE_DISTRIBUTION")
    return name_key(service, spec)


def beam_nodes(project: Project) -> dict[str, NodeSpec]:
    return {name: spec for name, svc in project.services.items()
            if (spec := node_spec(svc)) is not None}


def cookie(service: Service) -> tuple[str | None, str | None, str]:
    """(resolved cookie, as written in the file, where) for a service; Nones when absent."""
    for var in COOKIE_VARS:
        if service.environment.get(var):
            return service.environment[var], service.raw_environment.get(var), var
    found = flags(service)
    if found.get("cookie"):
        return found["cookie"], found["cookie"], "command line"
    return None, None, ""


def mounts_cookie(service: Service) -> bool:
    return any(target.endswith(".erlang.cookie") or target.endswith("/COOKIE")
               for target in service.volumes)


# -- discovery configuration ---------------------------------------------------------------


DNS_STRATEGIES = ("dns", "dns_cluster", "dnspoll")
"""The lab image's DNS strategies: ``dns_cluster`` (query var DNS_CLUSTER_QUERY), ``dnspoll``
(libcluster DNSPoll: DNS_QUERY, DNS_BASENAME) and ``dns``, their former name."""


def uses_dns_discovery(service: Service) -> bool:
    env = service.environment
    if env.get("CLUSTER_STRATEGY", "").lower() in DNS_STRATEGIES or env.get("DNS_CLUSTER_QUERY"):
        return True
    return any(_DNS_CONFIG.search(text) for _, text in service.config_files)


def dns_cluster_query(service: Service) -> str | None:
    """The query dns_cluster resolves (``DNS_CLUSTER_QUERY``), when it drives discovery.

    Phoenix's generated runtime.exs reads DNS_CLUSTER_QUERY; the lab image reads it for
    ``CLUSTER_STRATEGY=dns_cluster``. Under ``dnspoll`` (libcluster) it is not used.
    """
    env = service.environment
    if env.get("CLUSTER_STRATEGY", "").lower() == "dnspoll":
        return None
    query = env.get("DNS_CLUSTER_QUERY", "").strip()
    if not query or is_dynamic(query) or query.lower() in ("ignore", ":ignore", "nil"):
        return None
    return query


def hosts_lists(service: Service) -> dict[str, tuple[str, ...]]:
    """Host lists this service dials: env vars listing nodes, and Epmd ``hosts:`` in config."""
    out: dict[str, tuple[str, ...]] = {}
    for var, value in service.environment.items():
        if var == "RELEASE_NODE" or not value:
            continue
        tokens = [t for t in re.split(r"[\s,;]+", value.strip()) if t]
        plural = any(word in var for word in ("HOSTS", "NODES", "PEERS", "SEEDS", "MEMBERS"))
        if tokens and all(looks_like_node(t) for t in tokens) and (plural or len(tokens) > 1):
            out[var] = tuple(tokens)
    for path, text in service.config_files:
        if _EPMD_CONFIG.search(text):
            nodes = tuple(_ATOM_NODE.findall(text))
            if nodes:
                out[path] = nodes
    return out


def connects_once(service: Service) -> str | None:
    """Why this service's host-list strategy never retries, or None."""
    env = service.environment
    strategy = env.get("CLUSTER_STRATEGY", "").lower()
    if strategy == "once":
        return "CLUSTER_STRATEGY=once connects one time at start-up"
    if strategy == "epmd" and env.get("CLUSTER_TIMEOUT", "infinity") in ("", "infinity"):
        return "CLUSTER_STRATEGY=epmd without CLUSTER_TIMEOUT connects only at start-up"
    for path, text in service.config_files:
        if _EPMD_CONFIG.search(text) and not re.search(r"\btimeout:", text):
            return f"libcluster Epmd in {path} has no `timeout:`, so it connects only at start-up"
    return None


# -- Docker DNS ---------------------------------------------------------------------------------


def service_networks(project: Project, service: Service) -> dict[str, tuple[str, ...]]:
    """Networks the service's containers join (``network_mode: service:x`` shares x's)."""
    mode = service.network_mode or ""
    if mode.startswith("service:"):
        other = project.services.get(mode.split(":", 1)[1])
        return dict(other.networks) if other else {}
    return {} if mode else dict(service.networks)


def container_names(project: Project, service: Service) -> list[str]:
    if service.container_name:
        return [service.container_name]
    return [f"{project.name}-{service.name}-{i}" for i in range(1, max(1, service.replicas) + 1)]


def names_on(project: Project, service: Service, key: str) -> set[str]:
    """Every name the engine's DNS answers for ``service`` on network ``key``."""
    aliases = service_networks(project, service).get(key, ())
    base = {service.name, *container_names(project, service), *aliases}
    if service.hostname:
        base.add(service.hostname)
    network = project.networks.get(key)
    real = network.name if network else f"{project.name}_{key}"
    return {n.lower() for n in base} | {f"{n}.{real}".lower() for n in base}


def dns_table(project: Project) -> dict[str, dict[str, set[str]]]:
    """network key → service → names answered there."""
    table: dict[str, dict[str, set[str]]] = {}
    for service in project.services.values():
        for key in service_networks(project, service):
            table.setdefault(key, {})[service.name] = names_on(project, service, key)
    return table


def answering(project: Project, name: str, networks: Iterable[str] | None = None) -> set[str]:
    """Services whose names include ``name`` on ``networks`` (all networks when None)."""
    table = dns_table(project)
    keys = table.keys() if networks is None else [k for k in networks if k in table]
    return {svc for key in keys for svc, names in table[key].items() if name.lower() in names}


def shares_network(project: Project, a: str, b: str) -> bool:
    nets_a = service_networks(project, project.services[a])
    nets_b = service_networks(project, project.services[b])
    return bool(set(nets_a) & set(nets_b))


# -- names a service's environment refers to --------------------------------------------------

_URL_HOST = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://(?:[^@/\s,]*@)?(\[[^\]]+\]|[^:/\s,?#]+)")
_HOST_PORT = re.compile(r"(?<![\w@./-])([A-Za-z][A-Za-z0-9_.-]*):(\d{2,5})\b")
_BARE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]*$")


def referenced_hosts(env: Mapping[str, str]) -> dict[str, set[str]]:
    """host → env vars that name it (URLs, ``host:port``, or a whole value like ``db``)."""
    out: dict[str, set[str]] = {}
    for var, value in env.items():
        if not value or var in ("RELEASE_NODE", "RELEASE_COOKIE", "RELEASE_DISTRIBUTION") \
                or is_unset(value):
            continue
        hosts = set(_URL_HOST.findall(value))
        stripped = _URL_HOST.sub(" ", value)
        hosts |= {m.group(1) for m in _HOST_PORT.finditer(stripped)}
        if _BARE.match(value.strip()) and var.endswith(("HOST", "HOSTNAME", "SERVER", "ADDR")):
            hosts.add(value.strip())
        for host in hosts:
            if host and not is_ip(host.strip("[]")):
                out.setdefault(host, set()).add(var)
    return out

"""What a service says about itself as a BEAM node, and which names Docker's DNS answers.

Both are pure functions over the typed model, shared by the static checks and live mode.
DNS names follow what the engine does (measured live in tests/integration/test_engine_dns.py
and by lessons 1 and 3): on a user-defined network the engine answers the
service name, the container name, network aliases, the ``hostname:`` value (Compose
registers it as an alias) and each of those suffixed with ``.<network's real name>``.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from ..observe.erlang import is_ip
from .model import Project, Service, is_dynamic, is_unset, looks_like_node
from .products import BY_KEY, MIX, Product, identify

NO_DNS_MODES = ("host", "bridge", "none")
_FLAG = re.compile(r"^--?(s?name)$")
_DNS_CONFIG = re.compile(r"DNSCluster|dns_cluster|Cluster\.Strategy\.DNSPoll|"
                         r"Cluster\.Strategy\.Kubernetes\.DNS")
_EPMD_CONFIG = re.compile(r"Cluster\.Strategy\.Epmd")
_CONNECT_ONCE_CONFIG = re.compile(r":connect_to_cluster\b")
"""The seed's own one-shot connect, its node list in config (the lab image reads
``config :clusterlab, :connect_to_cluster, [...]``)."""
_ATOM_NODE = re.compile(r""":["']([A-Za-z0-9_.+-]+@[A-Za-z0-9_.-]+)["']""")
FLAG_VARS = ("ERL_FLAGS", "ERL_AFLAGS", "ERL_ZFLAGS", "ELIXIR_ERL_OPTIONS")
COOKIE_VARS = ("RELEASE_COOKIE", "ERLANG_COOKIE", "RABBITMQ_ERLANG_COOKIE")
BEAM_HINT_VARS = ("RELEASE_NODE", "RELEASE_COOKIE", "CLUSTER_STRATEGY", "CLUSTER_HOSTS",
                  "DNS_CLUSTER_QUERY", "NODE_NAME_BY_IP", "NODE_NAME_BY_IP6", "ERLANG_COOKIE")


@dataclass(frozen=True)
class NodeSpec:
    """A service's Erlang identity as far as the file tells."""

    service: str
    mode: str  # "name" or "sname"
    mode_explicit: bool  # RELEASE_DISTRIBUTION or -name/-sname said so (sname is the default)
    name: str | None  # full node name when the file fixes it; None when computed or default
    source: str  # where the name came from, for messages
    by_ip: bool = False  # the host part is the container's IP, computed at start-up
    product: str = "mix"  # a key of products.BY_KEY: whose conventions derived this

    @property
    def cluster(self) -> str:
        """Nodes with the same key may form one cluster (RabbitMQ never joins an app)."""
        return BY_KEY[self.product].cluster or self.product

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


_SHELLS = re.compile(r"(^|/)(sh|bash|ash|dash|zsh)$")


def argv(service: Service) -> list[str]:
    """The command as the VM sees it: ``sh -c "elixir --sname a …"`` is split once more, so
    flags inside a shell string count like flags on the command line."""
    out = list(service.command)
    for i, arg in enumerate(service.command[:-1]):
        if arg == "-c" and i and _SHELLS.search(service.command[i - 1]):
            text = service.command[i + 1]
            try:
                out += shlex.split(text.replace(";", " ; ").replace("&&", " && "))
            except ValueError:
                out += text.split()
    return out


def product(service: Service) -> Product | None:
    """The product model that fits the service (image, then variables), or None."""
    return identify(service.image, service.environment)


def flag_vars(service: Service) -> tuple[str, ...]:
    found = product(service)
    return FLAG_VARS + (found.flag_vars if found else ())


def flags(service: Service) -> dict[str, str]:
    """Erlang flags from the release's vm.args, the ``ERL_*FLAGS`` variables and the
    command line."""
    found: dict[str, str] = {}
    for _, text in service.vm_args:
        lines = (line.split("#", 1)[0] for line in text.splitlines())
        found.update(_argv_flags([word for line in lines for word in line.split()]))
    for var in flag_vars(service):
        if service.environment.get(var):
            try:
                found.update(_argv_flags(shlex.split(service.environment[var])))
            except ValueError:
                found.update(_argv_flags(_split(service.environment[var])))
    found.update(_argv_flags(argv(service)))
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


_TRUE = ("true", "1", "yes")
_LOOPBACK = re.compile(r"^(127\.\d+\.\d+\.\d+|localhost|::1)$", re.I)


def is_loopback(host: str | None) -> bool:
    return bool(host) and bool(_LOOPBACK.match(host or ""))


def _hostname_host(service: Service, mode: str) -> str | None:
    """The host part a node takes from the container's hostname (short names: first label)."""
    if not service.hostname or is_dynamic(service.hostname):
        return None
    return service.hostname.split(".")[0] if mode == "sname" else service.hostname


def _product_mode(model: Product, env: Mapping[str, str], host: str | None) -> str:
    if model.mode == "dot":
        return "name" if host and ("." in host or is_ip(host)) else "sname"
    if model.longname_var and env.get(model.longname_var, "").strip().lower() in _TRUE:
        return "name"
    return model.mode


def _product_spec(service: Service, model: Product) -> NodeSpec:
    """A product's node as its own variables and documented defaults make it."""
    env = service.environment
    found = flags(service)
    key = model.key
    if found.get("name") or found.get("sname"):  # -name in ERL_FLAGS wins (CouchDB's docs)
        mode = "name" if found.get("name") else "sname"
        value = found[mode]
        if is_dynamic(value) or "@" not in value:
            return NodeSpec(service.name, mode, True, None, f"-{mode}", product=key)
        return NodeSpec(service.name, mode, True, value.strip(), f"-{mode}", product=key)
    explicit = model.mode != "dot"
    for var in model.name_vars:
        value = env.get(var, "").strip()
        if not value:
            continue
        if is_dynamic(value):
            by_ip = bool(re.search(r"hostname +-[iI]|POD_IP|\bip\b", value))
            mode = _product_mode(model, env, None if not by_ip else "0.0.0.0")
            return NodeSpec(service.name, mode, explicit, None, var, by_ip=by_ip, product=key)
        if "@" not in value and var in model.base_vars:
            mode = _product_mode(model, env, None)
            host = _hostname_host(service, mode)
            if host is None:
                return NodeSpec(service.name, mode, explicit, None, "default", product=key)
            value = f"{value}@{host}"
        elif "@" not in value and model.name_prefix:
            value = f"{model.name_prefix}@{value}"
        elif "@" not in value:
            return NodeSpec(service.name, _product_mode(model, env, None), explicit, None,
                            var, product=key)
        mode = _product_mode(model, env, value.partition("@")[2])
        return NodeSpec(service.name, mode, explicit, value, var, product=key)
    if model.by_ip_default:
        return NodeSpec(service.name, "name", explicit, None, "default", by_ip=True, product=key)
    if model.default_name and "{host}" in model.default_name:
        mode = _product_mode(model, env, None)
        host = _hostname_host(service, mode)
        name = model.default_name.format(host=host) if host else None
        return NodeSpec(service.name, mode, explicit, name, "default", product=key)
    if model.default_name:
        mode = _product_mode(model, env, model.default_name.partition("@")[2])
        return NodeSpec(service.name, mode, explicit, model.default_name, "default", product=key)
    return NodeSpec(service.name, _product_mode(model, env, None), False, None, "image",
                    product=key)


_BY_IP = re.compile(r"hostname +-[iI]|POD_IP|\bip\b")
"""A node name made from the container's address (``$(hostname -i)``, ``$POD_IP``, ``$ip``)."""
_EXPORT = re.compile(r"^[ \t]*export[ \t]+(RELEASE_(?:NODE|DISTRIBUTION))=(.*)$", re.M)


_IPV6_PICK = re.compile(r"\bip_?v?6\b|grep\s+(?:-[a-uw-zA-Z0-9]+\s+)*['\"]?:['\"]?")
"""An env script that picks an IPv6 address for the name: a variable ``ip6``/``ipv6``, or
``grep ':'`` over ``hostname -i`` (``grep -v ':'`` keeps the IPv4 ones)."""


def names_by_ipv6(service: Service) -> bool:
    """True when the service's env.sh names the node by one of its IPv6 addresses."""
    named = script_exports(service).get("RELEASE_NODE", "")
    scripts = "\n".join(text for _, text in service.env_scripts)
    return bool(_IPV6_PICK.search(named)) or bool(
        re.search(r"\$\{?ip\}?", named) and _IPV6_PICK.search(scripts))


def script_exports(service: Service) -> dict[str, str]:
    """``RELEASE_NODE``/``RELEASE_DISTRIBUTION`` as the service's env.sh leaves them: an
    unconditional ``export`` wins over Compose's value, a ``${VAR:-…}`` one only fills in."""
    out: dict[str, str] = {}
    for _, text in service.env_scripts:
        for var, value in _EXPORT.findall(text):
            conditional = f"${{{var}:-" in value or f"${{{var}-" in value
            if not (conditional and var in service.environment):
                out[var] = value.strip()
    return out


def node_spec(service: Service) -> NodeSpec | None:
    """The service's node as far as the file tells, through its product's model."""
    model = product(service)
    if model is not None and model is not MIX:
        if service.environment.get("RELEASE_DISTRIBUTION", "").strip().lower() == "none":
            return None
        return _product_spec(service, model)
    mode = distribution(service)
    if mode is None:
        return None
    env = service.environment
    found = flags(service)
    explicit = env.get("RELEASE_DISTRIBUTION", "").strip().lower() in ("name", "sname") \
        or "name" in found or "sname" in found
    for var in ("NODE_NAME_BY_IP", "NODE_NAME_BY_IP6"):  # the lab image's naming knobs
        if env.get(var):
            return NodeSpec(service.name, "name", True, None, var, by_ip=True)
    if (named := script_exports(service).get("RELEASE_NODE")) is not None:
        mode = script_exports(service).get("RELEASE_DISTRIBUTION", mode).strip('"\'')
        value = named.strip('"\'')
        if is_dynamic(value) or "@" not in value:
            scripts = "\n".join(text for _, text in service.env_scripts)
            return NodeSpec(service.name, mode, True, None, "env.sh",
                            by_ip=bool(_BY_IP.search(scripts)))
        return NodeSpec(service.name, mode, True, value, "env.sh")
    if found.get(mode):
        value, source = found[mode], f"-{mode}"
    elif env.get("RELEASE_NODE"):
        value, source = env["RELEASE_NODE"], "RELEASE_NODE"
    else:
        return NodeSpec(service.name, mode, explicit, None, "default")
    if is_dynamic(value) or "@" not in value:
        by_ip = bool(_BY_IP.search(value))
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
    if spec.source in ("RELEASE_NODE", "NODE_NAME_BY_IP", "NODE_NAME_BY_IP6"):
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


def clusters(project: Project) -> dict[str, dict[str, NodeSpec]]:
    """BEAM nodes grouped by who may cluster with whom: a RabbitMQ node next to an Elixir
    app is two clusters, so cookies, modes and networks are compared within a group."""
    out: dict[str, dict[str, NodeSpec]] = {}
    for name, spec in beam_nodes(project).items():
        out.setdefault(spec.cluster, {})[name] = spec
    return out


def cookie_vars(service: Service) -> tuple[str, ...]:
    found = product(service)
    return tuple(dict.fromkeys((found.cookie_vars if found else ()) + COOKIE_VARS))


def cookie_var(spec: NodeSpec) -> str:
    """The variable the product reads its cookie from, for fix texts."""
    return (BY_KEY[spec.product].cookie_vars or ("RELEASE_COOKIE",))[0]


def cookie(service: Service) -> tuple[str | None, str | None, str]:
    """(resolved cookie, as written in the file, where) for a service; Nones when absent."""
    for var in cookie_vars(service):
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
    model = product(service)
    skip = {"RELEASE_NODE", *(model.name_vars if model else ()), *(model.seed_vars if model
                                                                   else ())}
    for var, value in service.environment.items():
        if var in skip or not value:
            continue
        tokens = [t.strip("\"'") for t in re.split(r"[\s,;\[\]]+", value.strip()) if t]
        tokens = [t for t in tokens if t]
        plural = any(word in var for word in ("HOSTS", "NODES", "PEERS", "SEEDS", "MEMBERS"))
        if tokens and all(looks_like_node(t) for t in tokens) and (plural or len(tokens) > 1):
            out[var] = tuple(tokens)
    for path, text in service.config_files:
        if _EPMD_CONFIG.search(text) or _CONNECT_ONCE_CONFIG.search(text):
            nodes = tuple(_ATOM_NODE.findall(text))
            if nodes:
                out[path] = nodes
    return out


_JOIN = re.compile(r"join_cluster\s+['\"]?([A-Za-z0-9_.+-]+@[A-Za-z0-9_.-]+)")


def seeds(service: Service) -> dict[str, tuple[str, ...]]:
    """Nodes a product joins through one seed (VerneMQ's discovery node, ejabberd's
    ``join_cluster``): the seed must exist, but need not list everyone."""
    model = product(service)
    out: dict[str, tuple[str, ...]] = {}
    for var in model.seed_vars if model else ():
        value = service.environment.get(var, "").strip()
        if not value or is_dynamic(value):
            continue
        if match := _JOIN.search(value):
            out[var] = (match.group(1),)
        elif "join_cluster" not in value and " " not in value and "@" not in value \
                and model and model.seed_prefix:
            out[var] = (f"{model.seed_prefix}@{value}",)
    return out


def epmd_retries(text: str) -> bool:
    """True when an Epmd topology of this config file has ``timeout:`` inside its
    ``config: [...]`` (comments dropped): beside ``config:`` libcluster ignores it."""
    code = "\n".join(line.split("#", 1)[0] for line in text.splitlines())
    for found in _EPMD_CONFIG.finditer(code):
        after = code[found.end():]
        opening = re.search(r"\bconfig:\s*\[", after)
        if opening is None:
            continue
        depth, start = 1, opening.end()
        for i in range(start, len(after)):
            depth += {"[": 1, "]": -1}.get(after[i], 0)
            if depth == 0:
                if re.search(r"\btimeout:", after[start:i]):
                    return True
                break
    return False


def connects_once(service: Service) -> str | None:
    """Why this service's host-list strategy never retries, or None."""
    env = service.environment
    strategy = env.get("CLUSTER_STRATEGY", "").lower()
    if strategy == "once":
        return "CLUSTER_STRATEGY=once connects one time at start-up"
    if strategy == "epmd" and env.get("CLUSTER_TIMEOUT", "infinity") in ("", "infinity"):
        return "CLUSTER_STRATEGY=epmd without CLUSTER_TIMEOUT connects only at start-up"
    for path, text in service.config_files:
        if _CONNECT_ONCE_CONFIG.search(text):
            return f"the seed's connect_to_cluster in {path} connects one time at start-up"
        if _EPMD_CONFIG.search(text) and not epmd_retries(text):
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


def renamed_network_key(project: Project, host: str) -> str | None:
    """The network key ``host`` spells as a suffix when Compose renamed that network."""
    base, dot, suffix = host.rpartition(".")
    if not dot or not base:
        return None
    network = project.networks.get(suffix)
    if network is None or network.name == suffix or network.external:
        return None
    return suffix


def name_var(project: Project, service: str) -> str:
    """The variable that names ``service``'s node (``RELEASE_NODE`` for a Mix release)."""
    model = product(project.services[service])
    return (model.name_vars[0] if model and model.name_vars else "RELEASE_NODE")


def dist_ports(service_flags: dict[str, str], env: dict[str, str]) -> set[int]:
    """The distribution ports a node pins: ``inet_dist_listen_min/max``, or an
    EPMD-less setup's fixed port."""
    ports: set[int] = set()
    low = service_flags.get("kernel.inet_dist_listen_min")
    high = service_flags.get("kernel.inet_dist_listen_max") or low
    if low and low.isdigit() and high and high.isdigit():
        ports |= set(range(int(low), int(high) + 1))
    for var in ("ERL_DIST_PORT", "EPMDLESS_DIST_PORT"):
        if env.get(var, "").isdigit():
            ports.add(int(env[var]))
    return ports

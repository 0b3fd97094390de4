"""The compose model the doctor reasons about: what Compose will really create.

Compose reads the file (``docker compose config``) so ``.env``, interpolation,
``extends`` and profiles behave as they will at ``up``. We read it twice: once
resolved (the values containers will get) and once with ``--no-interpolate`` (to tell
a cookie written in the file from one that comes from the environment). Without
Compose, or when Compose refuses the file, a YAML fallback reads it approximately.

Everything after loading is pure: ``build_project(raw, resolved, ...)`` turns plain
dicts into a typed ``Project``, so every check is testable without Docker.
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..errors import ComposeFileError, ComposeNotFound
from ..gates import compose

UNSET = "__CLUSTERLAB_UNSET_{}__"
"""Stands in for a required variable that is not set, so Compose can still read the file."""

GATEWAY_STANDIN = "192.0.2.1"
"""Stands in for a lab's ``${CLUSTERLAB_GATEWAY_<KEY>}`` (lesson 8, ``lab.gateway``): a port
binding needs an IP address, so a documentation address (RFC 5737) reads as one."""


def placeholder(var: str) -> str:
    return GATEWAY_STANDIN if var.startswith("CLUSTERLAB_GATEWAY_") else UNSET.format(var)


_MISSING = re.compile(r"required variable (\w+) is missing a value")
_NODE = re.compile(r"^[A-Za-z0-9_.+-]+@[A-Za-z0-9_.-]+$")


@dataclass(frozen=True)
class Port:
    target: int
    published: str | None  # host port; None when Compose picks an ephemeral one
    host_ip: str = ""
    protocol: str = "tcp"


@dataclass(frozen=True)
class Service:
    name: str
    image: str = ""
    hostname: str | None = None
    container_name: str | None = None
    networks: dict[str, tuple[str, ...]] = field(default_factory=dict)  # key → aliases
    network_mode: str | None = None
    environment: dict[str, str] = field(default_factory=dict)  # resolved values
    raw_environment: dict[str, str] = field(default_factory=dict)  # as written in the file
    ports: tuple[Port, ...] = ()
    replicas: int = 1
    command: tuple[str, ...] = ()  # entrypoint + command, split like a shell would
    build_context: str | None = None
    config_files: tuple[tuple[str, str], ...] = ()  # (path, text) of config/*.exs in the build
    volumes: tuple[str, ...] = ()  # container-side targets
    env_scripts: tuple[tuple[str, str], ...] = ()  # (path, text): rel/env.sh.eex, mounted env.sh
    vm_args: tuple[tuple[str, str], ...] = ()  # (path, text): rel/vm.args.eex, mounted vm.args
    unset_vars: dict[str, str] = field(default_factory=dict)  # env var / key → unset ${VAR}
    entrypoint: tuple[str, ...] = ()  # the entrypoint part of ``command`` (to point at it)
    dns_search: tuple[str, ...] = ()  # `dns_search:` domains (resolv.conf `search`)


@dataclass(frozen=True)
class Network:
    key: str
    name: str  # what the engine calls it: "<project>_<key>" unless `name:` is set
    external: bool = False


@dataclass(frozen=True)
class Project:
    name: str
    services: dict[str, Service]
    networks: dict[str, Network]
    path: str = ""
    notes: tuple[str, ...] = ()  # how the file was read, when not by Compose alone
    compose_error: str | None = None  # Compose refused the file with this message


def is_unset(value: str | None) -> bool:
    return bool(value) and "__CLUSTERLAB_UNSET_" in str(value)


def is_dynamic(value: str | None) -> bool:
    """A value a shell or the release script computes at start-up (``$(hostname -i)``)."""
    return bool(value) and (is_unset(value) or "$" in str(value) or "`" in str(value))


def looks_like_node(token: str) -> bool:
    return bool(_NODE.match(token))


# -- normalising one service (Compose's JSON, raw or resolved, or plain YAML) -------------


def _env(value: Any) -> dict[str, str]:
    if isinstance(value, Mapping):
        return {str(k): "" if v is None else str(v) for k, v in value.items()}
    out: dict[str, str] = {}
    for item in value or []:
        key, sep, val = str(item).partition("=")
        out[key] = val if sep else ""
    return out


def _networks(value: Any) -> dict[str, tuple[str, ...]]:
    if isinstance(value, Mapping):
        return {str(k): tuple((v or {}).get("aliases") or ()) for k, v in value.items()}
    return {str(k): () for k in value or []}


def _argv(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        try:
            return tuple(shlex.split(value))
        except ValueError:
            return tuple(value.split())
    return tuple(str(v) for v in value)


def _span(item: str) -> list[int]:
    low, _, high = str(item).partition("-")
    return list(range(int(low), int(high or low) + 1))


def _pair(targets: list[int], hosts: list[str | None], host_ip: str, protocol: str) -> list[Port]:
    """Container ports with the host ports each may take. One container port and a host
    range (``"4000-4003:4000"``, what Compose hands back as ``published: "4000-4003"``) is
    one port that each replica binds on another host port: one Port per host port."""
    if len(hosts) == 1 and len(targets) > 1:
        hosts = hosts * len(targets)
    if len(targets) == 1 and len(hosts) > 1:
        targets = targets * len(hosts)
    return [Port(t, h, host_ip, protocol or "tcp") for t, h in zip(targets, hosts, strict=False)]


def parse_port(spec: Any) -> list[Port]:
    """One ``ports:`` entry (long dict or short ``[ip:]host:container[/proto]``) → ports;
    ranges are expanded in both syntaxes."""
    try:
        if isinstance(spec, Mapping):
            published = spec.get("published")
            hosts: list[str | None] = ([str(p) for p in _span(str(published))]
                                       if published not in (None, "") else [None])
            return _pair(_span(str(spec["target"])), hosts, str(spec.get("host_ip") or ""),
                         str(spec.get("protocol") or "tcp"))
        text, _, protocol = str(spec).partition("/")
        parts = text.rsplit(":", 2)
        host_ip = parts[0] if len(parts) == 3 else ""
        published = parts[-2] if len(parts) >= 2 else None
        hosts = [str(p) for p in _span(published)] if published else [None]
        return _pair(_span(parts[-1]), hosts, host_ip, protocol)
    except (KeyError, ValueError) as exc:
        raise ComposeFileError(f"cannot read the `ports:` entry {spec!r}: expected "
                               "`[ip:][host[-range]:]container[-range][/proto]` or a mapping "
                               "with `target:`") from exc


def _replicas(data: Mapping[str, Any]) -> int:
    deploy = data.get("deploy") or {}
    for value in (deploy.get("replicas"), data.get("scale")):
        if value not in (None, ""):
            try:
                return int(value)
            except (TypeError, ValueError):
                continue
    return 1


def _build_context(data: Mapping[str, Any], base: Path) -> str | None:
    build = data.get("build")
    if build is None:
        return None
    context = build if isinstance(build, str) else (build.get("context") or ".")
    return str((base / str(context)).resolve())


def read_config_files(context: str | None) -> tuple[tuple[str, str], ...]:
    """``config/*.exs`` of a build context: where libcluster and dns_cluster are configured."""
    if not context:
        return ()
    root = Path(context)
    found = sorted(root.glob("config/*.exs")) + sorted(root.glob("apps/*/config/*.exs"))
    out = []
    for path in found:
        try:
            out.append((str(path), path.read_text(errors="replace")))
        except OSError:
            continue
    return tuple(out)


def _mounts(data: Mapping[str, Any], base: Path) -> list[tuple[str, str]]:
    """(host source, container target) of bind mounts, long or short syntax."""
    out = []
    for volume in data.get("volumes") or []:
        if isinstance(volume, Mapping):
            source, target = str(volume.get("source") or ""), str(volume.get("target") or "")
        else:
            parts = str(volume).split(":")
            source, target = (parts[0], parts[1]) if len(parts) > 1 else ("", parts[0])
        if source.startswith((".", "/", "~")):
            out.append((str((base / Path(source).expanduser()).resolve()), target))
    return out


def read_env_scripts(context: str | None, mounts: Sequence[tuple[str, str]], *,
                     name: str = "env.sh") -> tuple[tuple[str, str], ...]:
    """The env.sh a release sources (or, with ``name="vm.args"``, the VM flags file it
    reads): ``rel/<name>.eex`` of the build, or one mounted over it."""
    paths = [Path(context) / "rel" / f"{name}.eex"] if context else []
    paths += [Path(src) for src, target in mounts if target.endswith(name)]
    out = []
    for path in paths:
        if path.is_file():
            out.append((str(path), path.read_text(errors="replace")))
    return tuple(out)


_PLAIN_VAR = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")


def unset_references(raw: Mapping[str, Any], known: Mapping[str, str]) -> dict[str, str]:
    """Keys whose value uses ``${VAR}`` (no default) with VAR unset: Compose only warns
    ("variable is not set. Defaulting to a blank string") and hands back a blank. Keys are
    environment variable names, ``hostname`` and ``command``."""
    values: dict[str, str] = {k: v for k, v in _env(raw.get("environment")).items()}
    for key in ("hostname", "command", "entrypoint"):
        if raw.get(key):
            item = raw[key]
            values[key] = " ".join(map(str, item)) if isinstance(item, list) else str(item)
    out: dict[str, str] = {}
    for key, value in values.items():
        for match in _PLAIN_VAR.finditer(value.replace("$$", "")):
            var = match.group(1) or match.group(2)
            if var not in known:
                out.setdefault(key, var)
    return out


def _lab_image(data: Mapping[str, Any]) -> bool:
    """A service of the ClusterLab image (``${CLUSTERLAB_IMAGE…}``, before or after
    interpolation)."""
    image = str(data.get("image") or "")
    return image.startswith(("${CLUSTERLAB_IMAGE", "clusterlab/app:"))


def build_service(name: str, data: Mapping[str, Any], raw: Mapping[str, Any] | None,
                  base: Path, read_files: bool = True,
                  known_env: Mapping[str, str] | None = None) -> Service:
    raw = raw if raw is not None else data
    networks = _networks(data.get("networks"))
    if not networks and not data.get("network_mode"):
        networks = {"default": ()}
    ports = tuple(p for spec in data.get("ports") or [] for p in parse_port(spec))
    volumes = tuple(str(v.get("target", "")) if isinstance(v, Mapping)
                    else str(v).split(":")[1] if ":" in str(v) else str(v)
                    for v in data.get("volumes") or [])
    context = _build_context(data, base)
    # The project's files: the build context's, or for a service of the lab image the
    # compose file's folder, whose config/ and rel/ the lab mounts into the release.
    # (not for a lab-image service with RELEASE_DISTRIBUTION: none: it plays other
    # software and keeps the image's own, as the lab leaves it)
    stand_in = _env(data.get("environment")).get("RELEASE_DISTRIBUTION") == "none"
    files = context or (str(base) if (_lab_image(raw) or _lab_image(data)) and not stand_in
                        else None)
    scripts = read_env_scripts(files, _mounts(data, base)) if read_files else ()
    vm_args = read_env_scripts(files, _mounts(data, base), name="vm.args") if read_files else ()
    return Service(
        name=name,
        image=str(data.get("image") or ""),
        hostname=data.get("hostname") or None,
        container_name=data.get("container_name") or None,
        networks=networks,
        network_mode=data.get("network_mode") or None,
        environment=_env(data.get("environment")),
        raw_environment=_env(raw.get("environment")),
        ports=ports,
        replicas=_replicas(data),
        command=_argv(data.get("entrypoint")) + _argv(data.get("command")),
        build_context=context,
        config_files=read_config_files(files) if read_files else (),
        volumes=volumes,
        env_scripts=scripts,
        vm_args=vm_args,
        entrypoint=_argv(data.get("entrypoint")),
        dns_search=tuple(str(d) for d in ([data["dns_search"]] if isinstance(
            data.get("dns_search"), str) else data.get("dns_search") or ())),
        unset_vars=unset_references(raw, known_env) if known_env is not None else {},
    )


def build_project(raw: Mapping[str, Any], resolved: Mapping[str, Any] | None = None, *,
                  name: str | None = None, path: str = "", notes: Sequence[str] = (),
                  compose_error: str | None = None, read_files: bool = True,
                  known_env: Mapping[str, str] | None = None) -> Project:
    """Plain compose dicts → ``Project``. Pure apart from reading ``config/*.exs`` files.

    ``known_env`` (the variables interpolation sees) lets the model tell which ``${VAR}``
    came out blank; without it nothing is reported unset."""
    resolved = resolved if resolved is not None else raw
    project = name or str(resolved.get("name") or raw.get("name") or "project")
    base = Path(path).parent if path else Path.cwd()
    raw_services = raw.get("services") or {}
    services = {svc: build_service(svc, data or {}, raw_services.get(svc), base, read_files,
                                   known_env)
                for svc, data in (resolved.get("services") or {}).items()}
    networks: dict[str, Network] = {}
    for key, data in (resolved.get("networks") or {}).items():
        data = data or {}
        external = bool(data.get("external"))
        networks[key] = Network(key, str(data.get("name") or (key if external
                                                            else f"{project}_{key}")), external)
    for service in services.values():
        for key in service.networks:
            networks.setdefault(key, Network(key, f"{project}_{key}"))
    return Project(project, services, networks, path, tuple(notes), compose_error)


# -- interpolation (only for the YAML fallback and when Compose refuses the file) ----------

_VAR = re.compile(r"\$(?:(\$)|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])((?:[^{}]|\{[^{}]*\})*))?\}"
                  r"|([A-Za-z_][A-Za-z0-9_]*))")


def interpolate(value: Any, env: Mapping[str, str]) -> Any:
    """Compose's ``${VAR}``, ``${VAR:-x}``, ``${VAR:?msg}``, ``${VAR:+x}`` and ``$$``."""
    if isinstance(value, str):
        def one(match: re.Match[str]) -> str:
            escaped, braced, op, arg, bare = match.groups()
            if escaped:
                return "$"
            var = braced or bare
            present = var in env
            filled = present and env[var] != ""
            if op in (":-", "-"):
                ok = filled if op == ":-" else present
                return env[var] if ok else str(interpolate(arg or "", env))
            if op in (":?", "?"):
                ok = filled if op == ":?" else present
                return env[var] if ok else placeholder(var)
            if op in (":+", "+"):
                ok = filled if op == ":+" else present
                return str(interpolate(arg or "", env)) if ok else ""
            return env.get(var, "")
        return _VAR.sub(one, value)
    if isinstance(value, Mapping):
        return {k: interpolate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, env) for v in value]
    return value


def read_dotenv(path: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    if not path.is_file():
        return out
    for line in path.read_text(errors="replace").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.removeprefix("export ").partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        out[key.strip()] = value
    return out


def _project_name_from(path: Path, data: Mapping[str, Any], env: Mapping[str, str]) -> str:
    name = env.get("COMPOSE_PROJECT_NAME") or data.get("name") or path.resolve().parent.name
    return re.sub(r"[^a-z0-9_-]", "", str(name).lower()) or "project"


# -- loading ---------------------------------------------------------------------------------


def _load_resolved(path: Path, project: str | None, env: dict[str, str],
                   profiles: Sequence[str]) -> tuple[dict[str, Any] | None, str | None]:
    """Compose's resolved model; unset required variables get a placeholder, not an error."""
    filled = dict(env)
    for _ in range(50):
        try:
            return compose.load(path, project, interpolate=True, env=filled,
                                profiles=profiles), None
        except ComposeFileError as exc:
            missing = _MISSING.search(exc.message)
            if not missing or missing.group(1) in filled:
                return None, exc.message.split("\n", 1)[-1].strip()
            filled[missing.group(1)] = placeholder(missing.group(1))
    return None, "too many unset required variables"


def read(path: Path | str, project: str | None = None, *,
         env: Mapping[str, str] | None = None, profiles: Sequence[str] = ()) -> Project:
    """Read ``path`` the way Compose will, for the doctor. Never starts anything."""
    path = Path(path)
    if not path.is_file():
        raise ComposeFileError(f"Compose file not found: {path}")
    user_env = dict(env or {})
    if legacy_services(path):
        return read_yaml(path, project, env=user_env)
    try:
        raw = compose.load(path, project, env=user_env, profiles=profiles)
    except ComposeNotFound:
        return read_yaml(path, project, env=user_env,
                         notes=("Compose v2 not found: read as plain YAML (no `extends`).",))
    resolved, error = _load_resolved(path, project, user_env, profiles)
    notes: list[str] = []
    if resolved is None:
        # Compose refuses the file (e.g. container_name with replicas): still diagnose it.
        dotenv = read_dotenv(path.parent / ".env")
        resolved = interpolate(raw, {**dotenv, **os.environ, **user_env})
        notes.append("Compose refuses this file; values were interpolated by the doctor.")
    known = {**read_dotenv(path.parent / ".env"), **os.environ, **user_env}
    return build_project(raw, resolved, name=project, path=str(path), notes=notes,
                         compose_error=error, known_env=known)


LEGACY = ("Compose file format v1: services at the top level, no `services:` key. Compose "
          "v2 no longer reads it (`docker compose` says \"additional properties … not "
          "allowed\"); move the services under `services:` (and `links:` become plain "
          "service names on a shared network). The doctor read it as plain YAML.")


def _legacy_model(data: Any) -> bool:
    """Compose v1: a mapping of services, each with ``image`` or ``build``, no ``services``."""
    return isinstance(data, dict) and "services" not in data and bool(data) and all(
        isinstance(v, dict) and ("image" in v or "build" in v) for v in data.values())


def legacy_services(path: Path) -> bool:
    try:
        return _legacy_model(yaml.safe_load(path.read_text()))
    except (OSError, yaml.YAMLError):
        return False


def read_yaml(path: Path | str, project: str | None = None, *,
              env: Mapping[str, str] | None = None, notes: Sequence[str] = ()) -> Project:
    """Approximate Compose with plain YAML: anchors and merge keys work, ``extends`` does not."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ComposeFileError(f"{path} is not valid YAML:\n    {exc}") from exc
    if not isinstance(raw, dict):
        raise ComposeFileError(f"{path} is not a compose file (top level is not a mapping).")
    all_env = {**read_dotenv(path.parent / ".env"), **os.environ, **dict(env or {})}
    error = None
    if _legacy_model(raw):
        raw, error = {"services": raw}, LEGACY
    name = project or _project_name_from(path, raw, all_env)
    return build_project(raw, interpolate(raw, all_env), name=name, path=str(path), notes=notes,
                         compose_error=error, known_env=all_env)

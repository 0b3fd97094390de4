"""BEAM products as data: how each derives its node name, naming mode, cookie and peers.

Users cluster RabbitMQ, EMQX, CouchDB, VerneMQ and ejabberd as often as their own
releases, and each product spells the same four things with its own variables and
defaults. Keeping that knowledge in one table (sources in docs/doctor.md, "Products")
lets every check work on what the model derives instead of on Mix's ``RELEASE_*`` alone,
and lets fix texts name the variable the product really reads.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Product:
    """One product's conventions; every field is plain data read by ``beam``."""

    key: str
    title: str
    images: tuple[str, ...] = ()  # regexes on the image's repository path (no registry/tag)
    markers: tuple[str, ...] = ()  # regexes on variable names that identify it
    name_vars: tuple[str, ...] = ()  # variables holding the node name (first set wins)
    name_prefix: str = ""  # a name variable without "@" is the host: "<prefix>@<value>"
    base_vars: tuple[str, ...] = ()  # a name variable without "@" is the base: "<v>@<host>"
    default_name: str | None = None  # "{host}" is the container's hostname; None: unknown
    by_ip_default: bool = False  # with no name variable, the host part is the container IP
    mode: str = "sname"  # "sname", "name", or "dot" (a dotted host means long names)
    longname_var: str | None = None  # a variable that switches to long names when "true"
    cookie_vars: tuple[str, ...] = ()
    flag_vars: tuple[str, ...] = ()  # extra variables holding erl flags (-setcookie, -kernel)
    unset_cookie: str = "image"  # "image" (baked), "random" (one per container), "public"
    default_cookie: str | None = None  # the documented default when it is public
    list_vars: tuple[str, ...] = ()  # variables listing every peer (static seeds)
    seed_vars: tuple[str, ...] = ()  # variables naming one node to join (the rest follows)
    seed_prefix: str = ""  # a seed without "@" is a host: "<prefix>@<value>"
    dist_ports: tuple[int, ...] = ()  # distribution ports the product listens on by default
    cluster: str = ""  # products sharing a cluster key may form one cluster
    docs: str = ""


MIX = Product(
    "mix", "Mix release", markers=(r"^RELEASE_(NODE|COOKIE|DISTRIBUTION)$",),
    name_vars=("RELEASE_NODE",), cookie_vars=("RELEASE_COOKIE", "ERLANG_COOKIE"),
    cluster="release", docs="https://hexdocs.pm/mix/Mix.Tasks.Release.html")

PRODUCTS: tuple[Product, ...] = (
    Product("rabbitmq", "RabbitMQ", images=(r"(^|/)rabbitmq$", r"(^|/)rabbitmq3$"),
            markers=(r"^RABBITMQ_",), name_vars=("RABBITMQ_NODENAME",), base_vars=(
                "RABBITMQ_NODENAME",), default_name="rabbit@{host}", mode="sname",
            longname_var="RABBITMQ_USE_LONGNAME", cookie_vars=("RABBITMQ_ERLANG_COOKIE",),
            flag_vars=("RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS",), unset_cookie="random",
            dist_ports=(25672,), cluster="rabbitmq",
            docs="https://www.rabbitmq.com/docs/clustering"),
    Product("emqx", "EMQX", images=(r"(^|/)emqx(-enterprise|-ee)?$",),
            markers=(r"^EMQX_",), name_vars=("EMQX_NODE__NAME", "EMQX_NODE_NAME"),
            default_name="emqx@127.0.0.1", mode="name",
            cookie_vars=("EMQX_NODE__COOKIE", "EMQX_NODE_COOKIE"), unset_cookie="public",
            default_cookie="emqxsecretcookie", list_vars=("EMQX_CLUSTER__STATIC__SEEDS",),
            dist_ports=(4370,), cluster="emqx",
            docs="https://docs.emqx.com/en/emqx/latest/deploy/install-docker.html"),
    Product("couchdb", "CouchDB", images=(r"(^|/)couchdb$",),
            markers=(r"^COUCHDB_", r"^NODENAME$"), name_vars=("NODENAME",),
            name_prefix="couchdb", default_name="couchdb@127.0.0.1", mode="name",
            cookie_vars=("COUCHDB_ERLANG_COOKIE",), unset_cookie="image", cluster="couchdb",
            docs="https://docs.couchdb.org/en/stable/setup/cluster.html"),
    Product("vernemq", "VerneMQ", images=(r"vernemq$",), markers=(r"^DOCKER_VERNEMQ_",),
            name_vars=("DOCKER_VERNEMQ_NODENAME",), name_prefix="VerneMQ",
            by_ip_default=True, mode="name",
            cookie_vars=("DOCKER_VERNEMQ_DISTRIBUTED_COOKIE",), unset_cookie="public",
            default_cookie="vmq", seed_vars=("DOCKER_VERNEMQ_DISCOVERY_NODE",),
            seed_prefix="VerneMQ", cluster="vernemq",
            docs="https://docs.vernemq.com/installation/docker"),
    Product("ejabberd", "ejabberd", images=(r"(^|/)ejabberd$", r"^ejabberd/ecs$"),
            markers=(r"^ERLANG_NODE(_ARG)?$", r"^CTL_ON_(CREATE|START)$"),
            name_vars=("ERLANG_NODE_ARG", "ERLANG_NODE"), default_name="ejabberd@localhost",
            mode="dot", cookie_vars=("ERLANG_COOKIE",), flag_vars=("ERLANG_OPTS",),
            seed_vars=("CTL_ON_CREATE", "CTL_ON_START"), cluster="ejabberd",
            docs="https://docs.ejabberd.im/CONTAINER/"),
    Product("relx", "relx/rebar3 release (RELX_REPLACE_OS_VARS)",
            markers=(r"^RELX_REPLACE_OS_VARS$",), name_vars=("NODE_NAME",), mode="dot",
            cookie_vars=("COOKIE",), cluster="release",
            docs="https://rebar3.org/docs/deployment/releases/"),
    Product("distillery", "Distillery release (REPLACE_OS_VARS)",
            markers=(r"^REPLACE_OS_VARS$",), name_vars=("NODE_NAME",), mode="dot",
            cookie_vars=("COOKIE",), cluster="release",
            docs="https://hexdocs.pm/distillery/config/runtime.html"),
)

BY_KEY: dict[str, Product] = {p.key: p for p in (MIX, *PRODUCTS)}

_BEAMISH_IMAGE = re.compile(r"(^|/)(erlang|elixir|beam|phoenix)([-_]|$)|hexpm/(erlang|elixir)")
_BEAMISH_VAR = re.compile(r"ERLANG|(^|_)ERL_|COOKIE$|^RELX_|^REPLACE_OS_VARS$")


def image_path(image: str) -> str:
    """``ghcr.io/processone/ejabberd:24.02`` → ``processone/ejabberd``; ``rabbitmq:3`` →
    ``rabbitmq`` (a registry host has a dot or a port, or is ``localhost``)."""
    name = image.split("@", 1)[0]
    first, sep, rest = name.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        name = rest
    return name.rsplit(":", 1)[0] if ":" in name.rsplit("/", 1)[-1] else name


def identify(image: str, env: Mapping[str, str]) -> Product | None:
    """The product a service runs, by image first, then by the variables it sets."""
    path = image_path(image).lower()
    for product in PRODUCTS:
        if any(re.search(rx, path) for rx in product.images):
            return product
    for product in (*PRODUCTS, MIX):
        if any(re.search(rx, var) for rx in product.markers for var in env if env[var]):
            return product
    return None


def looks_beamish(image: str, env: Mapping[str, str], argv: tuple[str, ...]) -> str | None:
    """Why a service looks like an Erlang/Elixir node although no model fits, or None."""
    if _BEAMISH_IMAGE.search(image_path(image).lower()):
        return f"its image `{image}`"
    hints = sorted(v for v in env if _BEAMISH_VAR.search(v))
    if hints:
        return f"its environment ({', '.join(hints)})"
    if argv and re.search(r"(^|/)(erl|elixir|iex|beam\.smp)$", argv[0]):
        return f"its command `{argv[0]}`"
    return None

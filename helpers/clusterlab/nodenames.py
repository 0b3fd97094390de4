"""Erlang node names: what ``name@host`` Erlang accepts, checked before anything starts.

A release whose ``RELEASE_NODE`` Erlang refuses dies at boot with a cryptic
``Protocol 'inet_tcp': invalid node name``; we say which service and why instead.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .errors import InvalidNodeName

_NAME_PART = re.compile(r"^[A-Za-z0-9_-]+$")
_HOST_PART = re.compile(r"^[A-Za-z0-9_.-]+$")


@dataclass(frozen=True)
class NodeName:
    name: str
    host: str

    @property
    def is_long(self) -> bool:
        """Long names need a host with a dot or an IP; short names a host without dots."""
        return "." in self.host or is_ip(self.host)

    def __str__(self) -> str:
        return f"{self.name}@{self.host}"


def is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def parse(text: str) -> NodeName:
    """``'user_svc@user_svc.msvc_default'`` → NodeName; ``InvalidNodeName`` if Erlang refuses it."""
    name, at, host = text.partition("@")
    if not at or "@" in host:
        raise InvalidNodeName(f"{text!r} is not a node name: it needs exactly one '@'.")
    if not _NAME_PART.match(name):
        raise InvalidNodeName(f"{text!r}: the part before '@' may hold only letters, digits, "
                              "'_' and '-'.")
    if not (_HOST_PART.match(host) or is_ip(host)):
        raise InvalidNodeName(f"{text!r}: {host!r} is not a host name or an IP address.")
    return NodeName(name, host)


def refused_names(model: Mapping[str, Any]) -> list[str]:
    """Messages for every service whose literal ``RELEASE_NODE`` Erlang would refuse at boot."""
    problems = []
    for service, spec in sorted((model.get("services") or {}).items()):
        env = spec.get("environment") or {}
        value = env.get("RELEASE_NODE") if isinstance(env, Mapping) else None
        if not value or "$" in value:
            continue
        if "@" not in value and _NAME_PART.match(value):
            continue  # a bare name (mix's default): erl appends this host's name itself
        try:
            parse(value)
        except InvalidNodeName as exc:
            problems.append(f"{service}: {exc.message}")
    return problems

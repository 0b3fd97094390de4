"""What the Erlang VM's own resolver answers inside a container, not what nslookup says.

Clustering libraries do not use nslookup. dns_cluster resolves with
``inet_res:getbyname/2``, which applies the search list (from the resolv.conf ``search``
line, or from a dotted hostname) to a name without dots; libcluster's DNSPoll uses
``inet_res:lookup/3``, which does not. Lesson 4 and docs/fidelity.md compare the two in
the same container, so the answers are parsed here into plain data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from docker.models.containers import Container

from ..errors import ClusterLabError
from .erlang import rpc

Call = Literal["getbyname", "lookup"]
_IPV4 = re.compile(r"\{(\d+),(\d+),(\d+),(\d+)\}")
_IPV6 = re.compile(r"\{((?:\d+,){7}\d+)\}")


@dataclass(frozen=True)
class Resolution:
    """One resolver call's answer: the addresses, or the error atom (``nxdomain``)."""

    call: Call
    name: str
    addresses: tuple[str, ...]
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and bool(self.addresses)


def _addresses(text: str) -> tuple[str, ...]:
    found = [".".join(m) for m in _IPV4.findall(text)]
    found += [":".join(f"{int(part):x}" for part in m.split(",")) for m in _IPV6.findall(text)]
    return tuple(sorted(found))


def parse(call: Call, name: str, text: str) -> Resolution:
    """``{ok,{hostent,…,[{172,18,0,3}]}}``, ``{error,nxdomain}`` or ``[{172,18,0,3}]``."""
    answer = re.sub(r"\s+", "", text)   # erl_call prints `{ok, {hostent, …}}`
    if m := re.fullmatch(r"\{error,(\w+)\}", answer):
        return Resolution(call, name, (), m.group(1))
    if call == "getbyname" and answer.startswith("{ok,{hostent,"):
        # Only the address list, the hostent's last field, holds addresses.
        return Resolution(call, name, _addresses(answer[answer.rindex("["):]))
    if call == "lookup" and answer.startswith("["):
        return Resolution(call, name, _addresses(answer), None if answer != "[]" else "empty")
    raise ClusterLabError(f"inet_res:{call}({name!r}) answered {answer!r}, not an address list.")


def resolve(container: Container, name: str, call: Call = "getbyname",
            rtype: str = "a") -> Resolution:
    """``inet_res:getbyname(Name, Type)`` or ``inet_res:lookup(Name, in, Type)`` in the VM."""
    return parse(call, name, rpc(container, "inet_res", call, call_args(name, call, rtype)))


def call_args(name: str, call: Call = "getbyname", rtype: str = "a") -> str:
    """The Erlang argument list for the call: ``["app", a]`` or ``["app", in, a]``."""
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", name) or rtype not in ("a", "aaaa"):
        raise ClusterLabError(f"Can't resolve {name!r} as {rtype!r}: a DNS name and a or aaaa.")
    return f'["{name}", {rtype}]' if call == "getbyname" else f'["{name}", in, {rtype}]'


def searchlist(container: Container) -> list[str]:
    """The domains the VM appends to a dotless name, ``inet_db:get_searchlist()``.

    ``[""]`` means the name is asked as it is; ``["msvc_default"]`` means only
    ``name.msvc_default`` is asked.
    """
    return re.findall(r'"([^"]*)"|\[\]', rpc(container, "inet_db", "get_searchlist"))

"""Erlang from the outside: node names, ``erl_call`` into a node, ``Node.connect``.

Node names are checked before anything starts: a release whose ``RELEASE_NODE`` Erlang
refuses dies at boot with a cryptic ``Protocol 'inet_tcp': invalid node name``; we say
which service and why instead. ``rpc`` is the one way into a running node: ``erl_call``
inside its container, with the name and cookie the app wrote there (the cookie never
leaves the container). ``Lab.connect_node`` runs ``net_kernel:connect_node/1`` (that is
``Node.connect/1``); ``connect_args`` builds its argument and ``parse_connect`` reads it.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from docker.models.containers import Container

from ..errors import ClusterLabError, InvalidNodeName
from ..gates.engine import exec_in

NODE_FILE = "/tmp/clusterlab/node"
COOKIE_FILE = "/tmp/clusterlab/cookie"
"""The app writes its node name and cookie here at boot (labs/app/rel/env.sh.eex)."""

ERL_CALL_TARGET = (
    'case "${node#*@}" in '
    '*:*) flag=-address; target=127.0.0.1:$(epmd -names 2>/dev/null'
    ' | awk -v n="${node%%@*}" \'$1 == "name" && $2 == n {print $5}\') ;; '
    '*.*) flag=-name; target="$node" ;; *) flag=-sname; target="$node" ;; esac')
"""Shell that sets ``$flag $target`` for ``erl_call`` from ``$node``, inside its container.

``erl_call`` (erl_interface, OTP 25) resolves a node's host with ``ei_gethostbyname``,
IPv4 only: ``erl_call -name app@fd00::2`` fails with "can't ei_gethostbyname". For a
node named by an IPv6 address the probe asks the local EPMD for its port and uses
``-address 127.0.0.1:<port>``: a node on ``inet6_tcp`` listens on ``::``, which takes
IPv4 too, and one on ``inet_tcp`` listens on IPv4. Both answer there (measured, lesson 8).
"""

NODE_DIST = (
    "dist=$(pid=$(pgrep -o -x beam.smp) && tr '\\0' '\\n' <\"/proc/$pid/cmdline\" | awk "
    "'p {print; p=0; next} $0 == \"-proto_dist\" || $0 == \"-ssl_dist_optfile\" "
    "{print; p=1}' | tr '\\n' ' ')")
"""Shell that sets ``$dist`` to the running node's own ``-proto_dist`` and
``-ssl_dist_optfile`` flags, read from its command line: wherever they were written
(the release's vm.args, ``ERL_AFLAGS``), a client must dial with the same."""

def vm_flags(container: Container, *, env: bool = True) -> str:
    """The VM flags a node's container shows it starts with: ``ERL_AFLAGS``/``ERL_FLAGS``/
    ``ERL_ZFLAGS`` (unless ``env`` is false), and a vm.args bind-mounted over the
    release's (a lesson's rendered ``rel/vm.args.eex``, read from the host). Before a node
    is asked (TLS or plain TCP)."""
    variables = container.attrs["Config"].get("Env") or [] if env else []
    parts = [e.partition("=")[2] for e in variables
             if e.partition("=")[0] in ("ERL_AFLAGS", "ERL_FLAGS", "ERL_ZFLAGS")]
    for mount in container.attrs.get("Mounts") or []:
        if str(mount.get("Destination", "")).endswith("/vm.args"):
            try:
                parts.append(Path(mount["Source"]).read_text())
            except (OSError, KeyError):
                continue
    return " ".join(parts)


def dist_flags(flags: str) -> list[str]:
    """``-proto_dist X`` and ``-ssl_dist_optfile F`` among VM flags (``#`` comments of a
    vm.args dropped): what a client in the node's container must dial with."""
    words = [w for line in flags.splitlines() for w in line.split("#", 1)[0].split()]
    out: list[str] = []
    for i, word in enumerate(words[:-1]):
        if word in ("-proto_dist", "-ssl_dist_optfile"):
            out += [word, words[i + 1]]
    return out


# erl_call (ei) speaks plain TCP distribution only. A node started with
# `-proto_dist inet_tls` (lesson 6) is asked by a hidden node started in the same
# container instead, with the node's own distribution flags ($dist: from its command
# line, wherever they were written), so with its certificate; the container's ERL_*FLAGS
# are dropped for it, or a flag they hold would be given twice (OTP refuses a second
# -ssl_dist_optfile). Otherwise erl_call, addressed by ERL_CALL_TARGET (IPv6 names by their
# local port).
CALL_FUNCTION = r"""
cl_call() {
  NODE_DIST
  case " ${ERL_AFLAGS:-} ${ERL_FLAGS:-} $dist " in
    *" inet_tls "*)
      case "${node#*@}" in *.*) flag=-name ;; *) flag=-sname ;; esac
      env -u ERL_AFLAGS -u ERL_FLAGS -u ERL_ZFLAGS timeout 15 erl $dist -hidden $flag \
        "clprobe$$@${node#*@}" -setcookie "$cookie" -noshell \
        -eval 'CALL_EVAL' -extra "$node" "$@" ;;
    *) TARGET
      timeout 8 erl_call $flag "$target" -c "$cookie" -a "$1 $2 $3" ;;
  esac
}
""".replace("CALL_EVAL", "[N, M, F, A0] = init:get_plain_arguments(), "
            "{ok, T, _} = erl_scan:string(A0 ++ \".\"), {ok, A} = erl_parse:parse_term(T), "
            "R = rpc:call(list_to_atom(N), list_to_atom(M), list_to_atom(F), A), "
            "io:format(\"~s~n\", [io_lib:print(R, 1, 1000000, -1)]), halt().") \
    .replace("TARGET", ERL_CALL_TARGET).replace("NODE_DIST", NODE_DIST)

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


def connect_args(node: str) -> str:
    """The Erlang argument list for ``net_kernel:connect_node``: ``['app@n2.lab']``.

    Any name Erlang could parse goes through (a short-name host, a dotless host under
    long names): refusing those is the kernel's job, and what the lessons show.
    """
    parse(node)
    return f"['{node}']"


def parse_connect(text: str) -> bool:
    """``true`` / ``false`` as printed by ``erl_call`` → bool; anything else is an error.

    ``ignored`` (the caller is not distributed) is an error too: no connection was tried.
    """
    answer = text.strip()
    if answer in ("true", "false"):
        return answer == "true"
    raise ClusterLabError(f"Node.connect answered {answer!r}, not true or false.",
                          "Is the calling node distributed (RELEASE_DISTRIBUTION name|sname)?")


def find_line(text: str, needle: str) -> str | None:
    """The first line of ``text`` that contains ``needle``, stripped; None if there is none."""
    return next((line.strip() for line in text.splitlines() if needle in line), None)


def rpc(container: Container, module: str, function: str, args: str = "[]") -> str:
    """Call ``module:function(args)`` on the node in ``container``; returns the printed term.

    ``args`` is an Erlang list literal, e.g. ``'["http://minio:9000/"]'``; erl_call parses
    strings and atoms but no binaries.
    """
    script = (CALL_FUNCTION + f'node=$(cat {NODE_FILE}); cookie=$(cat {COOKIE_FILE}); '
              'cl_call "$1" "$2" "$3"')
    result = exec_in(container, ["sh", "-c", script, "rpc", module, function, args])
    if result.exit_code != 0:
        raise ClusterLabError(f"rpc {module}:{function} on {container.name} failed: "
                              f"{result.output.strip()}")
    return result.output.strip()

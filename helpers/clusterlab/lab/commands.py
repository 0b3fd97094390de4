"""The command lines behind the helpers, so a learner can repeat every step by hand.

The helpers talk to the engine through the Docker SDK and one batched shell script per
container, which is fast but hides what happens. For each action a lab takes, these
functions build the plain ``docker …`` command that does the same thing in a terminal.
``Lab.commands()`` returns the history; ``CommandLog`` keeps it bounded.

The cookie never appears: a command that needs it reads it inside the container
(``$(cat /tmp/clusterlab/cookie)``, the file the lab's app writes), and ``compose up``
draws a fresh one the way the lab did (``ERL_COOKIE=$(openssl rand -hex 16)``).
"""

from __future__ import annotations

import shlex
from collections import deque
from collections.abc import Iterable, Mapping, Sequence

from ..model.snapshot import Snapshot
from ..observe.erlang import COOKIE_FILE, ERL_CALL_TARGET, NODE_FILE

NEW_COOKIE = "$(openssl rand -hex 16)"


class CommandLog:
    """The last ``limit`` command lines, oldest first.

    A step repeated back to back (a probe loop waiting for convergence, a log poll) is
    kept once: the history says what to type, not how often the helper retried.
    """

    def __init__(self, limit: int = 2000) -> None:
        self._lines: deque[str] = deque(maxlen=limit)
        self._last: list[str] = []

    def add(self, lines: str | Iterable[str]) -> None:
        block = [lines] if isinstance(lines, str) else list(lines)
        if block and block != self._last:
            self._lines.extend(block)
            self._last = block

    def lines(self, last: int | None = None) -> list[str]:
        out = list(self._lines)
        return out[-last:] if last else out


def compose_argv(argv: Sequence[str]) -> str:
    """How to type the Compose binary: ``docker compose``, or the bundled binary's path."""
    return shlex.join(argv)


def compose_command(compose: Sequence[str], args: Sequence[str], *,
                    env: dict[str, str] | None = None) -> str:
    """``docker compose ARGS`` with the variables the lab passed; the cookie is replaced by
    a fresh random one (what the lab did: a new cookie per lab)."""
    prefix = []
    for key, value in sorted((env or {}).items()):
        shown = NEW_COOKIE if key == "ERL_COOKIE" else shlex.quote(value)
        prefix.append(f"{key}={shown}")
    return " ".join([*prefix, compose_argv(compose), *map(shlex.quote, map(str, args))])


def nslookup(container: str, name: str) -> str:
    """``docker exec C nslookup NAME``: the DNS question the probe asks inside ``container``."""
    return shlex.join(["docker", "exec", container, "nslookup", name])


def _dq(text: str) -> str:
    """``text`` inside double quotes for sh (so it can sit in a single-quoted ``sh -c``)."""
    return '"' + "".join("\\" + ch if ch in '\\"$`' else ch for ch in text) + '"'


def erl_call_script(expression: str, node: str | None = None) -> str:
    """The shell line that runs ``erl_call … -a EXPRESSION`` on a container's own node.

    Node name and cookie are read inside the container, so neither is typed (or printed).
    ``-name`` or ``-sname`` follows the node name when it is known (a dot in its host);
    a host that is an IPv6 address gets ``-address 127.0.0.1:<its EPMD port>``.
    """
    tail = f'"$(cat {NODE_FILE})" -c "$(cat {COOKIE_FILE})" -a {_dq(expression)}'
    if node is None or ":" in node.partition("@")[2]:
        # Chosen in the container; an IPv6 name is dialled through EPMD's port.
        return (f'node="$(cat {NODE_FILE})"; {ERL_CALL_TARGET}; erl_call $flag "$target" '
                f'-c "$(cat {COOKIE_FILE})" -a {_dq(expression)}')
    flag = "-name" if "." in node.partition("@")[2] else "-sname"
    return f"erl_call {flag} {tail}"


def erl_call(container: str, expression: str, node: str | None = None) -> str:
    """``docker exec C sh -c 'erl_call … -a EXPRESSION'``, the cookie read inside ``C``."""
    return shlex.join(["docker", "exec", container, "sh", "-c",
                       erl_call_script(expression, node)])


def tls_nodes(container: str, node: str, dist: Sequence[str] = ()) -> str:
    """``Node.list()`` of a node that runs TLS distribution (lesson 6): erl_call speaks
    plain TCP only, so a hidden ``erl`` in the same container asks, with the node's own
    distribution flags ``dist`` (``-proto_dist inet_tls -ssl_dist_optfile F``: its
    certificate; from ``ERL_AFLAGS`` the hidden node inherits them anyway) and the cookie
    read there."""
    flag = "-name" if "." in node.partition("@")[2] else "-sname"
    own = f"{shlex.join(dist)} " if dist else ""
    script = (f'erl {own}-hidden {flag} "byhand$$@{node.partition("@")[2]}" '
              f'-setcookie "$(cat {COOKIE_FILE})" -noshell -eval '
              + _dq("io:format(\"~w~n\", [rpc:call(list_to_atom(hd(init:get_plain_arguments()))"
                    ", erlang, nodes, [])]), halt().")
              + f' -extra "$(cat {NODE_FILE})"')
    return shlex.join(["docker", "exec", container, "sh", "-c", script])


def probe_commands(snapshot: Snapshot, tls: Iterable[str] = (),
                   dist: Mapping[str, Sequence[str]] | None = None) -> list[str]:
    """What one probe did, container by container: ``nslookup`` per name, then
    ``erlang nodes`` (that is ``Node.list()``) on each node (over TLS for the containers
    in ``tls``, with each one's ``dist`` flags)."""
    tls = set(tls)
    lines: list[str] = []
    for member in snapshot.members:
        lines += [nslookup(member.container, name) for name in member.dns]
        if member.node and member.container in tls:
            lines.append(tls_nodes(member.container, member.node, (dist or {}).get(
                member.container, ())))
        elif member.node:
            lines.append(erl_call(member.container, "erlang nodes", member.node))
    return lines


def docker(*args: str) -> str:
    """Any other ``docker`` command line, quoted for a POSIX shell."""
    return shlex.join(["docker", *map(str, args)])


def docker_with_env(args: Sequence[str], env: dict[str, str] | None = None) -> str:
    """``docker ARGS`` with the variables a stack file interpolates (``docker stack
    deploy``); the cookie is drawn anew, as for ``compose_command``."""
    prefix = [f"{key}={NEW_COOKIE if key == 'ERL_COOKIE' else shlex.quote(value)}"
              for key, value in sorted((env or {}).items())]
    return " ".join([*prefix, docker(*args)])


def network_connect(network: str, container: str, aliases: Sequence[str] = ()) -> str:
    """``docker network connect`` with the DNS aliases Compose had given the service."""
    flags = [part for alias in aliases for part in ("--alias", alias)]
    return docker("network", "connect", *flags, network, container)

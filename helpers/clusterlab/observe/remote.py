"""A remote shell's view: a hidden Erlang node started inside a container dials nodes.

``erl -remsh``, Livebook and an operator's probe all start a node of their own, and that
node dials with *its own* flags: a cluster on ``-proto_dist inet6_tcp`` is out of reach
for a client started without it. ``reach`` starts one short-lived hidden node in
``container`` (named ``remote<pid>@<the container's IPv6 address, else IPv4>``), with the
container's own ``ERL_AFLAGS`` unless ``flags`` replaces them, and asks every target for
``erlang:node()``. The cookie is read inside the container (the node's cookie file, else
``$RELEASE_COOKIE``) into a private ``.erlang.cookie``: never on a command line, never
printed.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass

from docker.models.containers import Container

from ..gates.engine import exec_in
from .erlang import COOKIE_FILE

_SCRIPT = r"""
own=""
for a in $(hostname -i); do case "$a" in *:*) own="${own:-$a}" ;; esac; done
[ -n "$own" ] || own=$(hostname -i | cut -d' ' -f1)
home=$(mktemp -d)
cookie="$(cat COOKIE_FILE 2>/dev/null)"
printf '%s' "${cookie:-$RELEASE_COOKIE}" >"$home/.erlang.cookie"
chmod 400 "$home/.erlang.cookie"
if [ "${CL_FLAGS+set}" = set ]; then export ERL_AFLAGS="$CL_FLAGS"; fi
echo "@@flags ${ERL_AFLAGS:-}"
HOME="$home" timeout 20 erl -noshell -hidden -name "remote$$@$own" -eval '
  [io:format("@@ ~s ~p~n", [T, rpc:call(list_to_atom(T), erlang, node, [], 5000)])
   || T <- init:get_plain_arguments()],
  halt().' -extra "$@" 2>&1
rm -rf "$home"
""".replace("COOKIE_FILE", COOKIE_FILE)

_LINE = re.compile(r"^@@ (\S+) (.*)$")


@dataclass(frozen=True)
class Reached:
    """What a remote shell got from one target node."""

    target: str
    answer: str  # the node's own name when reached, else e.g. {badrpc,nodedown}

    @property
    def ok(self) -> bool:
        return self.answer.strip("'") == self.target


def reach_command(targets: Sequence[str]) -> list[str]:
    return ["sh", "-c", _SCRIPT, "remote", *targets]


def parse_reach(text: str, targets: Sequence[str]) -> tuple[str, dict[str, Reached]]:
    """The flags the remote node ran with and one ``Reached`` per target."""
    flags = ""
    found: dict[str, Reached] = {}
    for line in text.splitlines():
        if line.startswith("@@flags"):
            flags = line[len("@@flags"):].strip()
        elif m := _LINE.match(line.strip()):
            found[m.group(1)] = Reached(m.group(1), m.group(2).strip())
    last = next((ln.strip() for ln in reversed(text.splitlines()) if ln.strip()), "no output")
    return flags, {t: found.get(t, Reached(t, f"not asked: {last[:120]}")) for t in targets}


def reach(container: Container, targets: Sequence[str],
          flags: str | None = None) -> tuple[str, dict[str, Reached]]:
    """Start a hidden node in ``container`` and ask each of ``targets`` for its name.

    ``flags`` replaces the container's ``ERL_AFLAGS`` for that node (``""``: none);
    ``None`` keeps the container's own, which is what an operator there would get.
    """
    env = None if flags is None else {"CL_FLAGS": flags}
    result = exec_in(container, reach_command(targets), env=env)
    return parse_reach(result.output, targets)


def by_hand(container: str, targets: Sequence[str], flags: str | None = None) -> str:
    """The same as a command to paste (the cookie is read inside the container)."""
    env = [] if flags is None else ["-e", f"CL_FLAGS={flags}"]
    return shlex.join(["docker", "exec", *env, container, "sh", "-c", _SCRIPT.strip(),
                       "remote", *targets])

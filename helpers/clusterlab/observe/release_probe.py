"""Probing a learner's own release: the node, its cookie and its tools, found as an
operator would find them, never from files our image writes.

Our lab image publishes ``node()`` and the cookie under /tmp/clusterlab and logs a
ready line; a learner's release does neither. So one script, run with ``docker exec``
in each container, finds the BEAM VM (the process whose executable is ``beam.smp``),
reads its node name from ``-name``/``-sname`` in its command line (``RELEASE_NODE`` in
its environment else), and its cookie from ``-setcookie``, ``RELEASE_COOKIE``, the
release's ``releases/COOKIE`` or ``~/.erlang.cookie``, in that order. The cookie stays
in that shell: only its digest (``cookie.digest``) comes out. The node is asked with the
release's own tools: ``erl_call`` from the ERTS the VM runs (``erts-*/bin``, beside
``beam.smp``; OTP 23+ ships it there), dialled at ``127.0.0.1:<port>`` from the local
EPMD (so a node cut off every network still answers), else ``erl_call`` on the PATH,
else an Elixir release's ``bin/<name> rpc``. Where none exists the member's error says
what is missing and how to add it.

Three steps as in ``probe``: ``release_command`` builds the script, ``engine.exec_in``
runs it, ``parse_release`` reads it (pure, tested on recorded text).
"""

from __future__ import annotations

import re
import shlex
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from docker.models.containers import Container

from ..errors import ClusterLabError
from ..gates.engine import exec_in, parallel, service_of
from ..model.snapshot import DnsAnswer, Member, Snapshot
from .probe import describe, parse_node_list, split_batch

PROBE_LABEL = "io.clusterlab.probe"
RELEASE = "release"
"""``io.clusterlab.probe=release`` on a container: probe it as a learner's own release
(``lab.project`` puts it on every service of a ``--dir`` lab)."""

_SCRIPT = r"""
pid=""
for p in /proc/[0-9]*; do
  case "$(readlink "$p/exe" 2>/dev/null)" in */beam.smp) pid=${p#/proc/}; break ;; esac
done
if [ -z "$pid" ]; then
  echo "@@beam none"
  if [ "${CL_WANT:-}" = ready ]; then
    erts=$(find / -xdev -name beam.smp -type f 2>/dev/null | head -n 1)
    echo "@@erts ${erts:-none}"
  fi
  exit 0
fi
bin=$(dirname "$(readlink "/proc/$pid/exe")")
argv=$(tr '\0' '\n' <"/proc/$pid/cmdline")
envs=$(tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null)
after() { printf '%s\n' "$argv" | sed -n "/^$1\$/{n;p;q;}"; }
var() { printf '%s\n' "$envs" | sed -n "s/^$1=//p" | head -n 1; }
mode=name; node=$(after -name)
if [ -z "$node" ]; then mode=sname; node=$(after -sname); fi
if [ -z "$node" ] && [ "$(var RELEASE_DISTRIBUTION)" != none ]; then
  node=$(var RELEASE_NODE); mode=$(var RELEASE_DISTRIBUTION); mode=${mode:-sname}
fi
echo "@@beam $pid $bin"
[ -n "$node" ] || exit 0
case "$node" in
  *@*) ;;
  *) if [ "$mode" = sname ]; then node="$node@$(hostname | cut -d. -f1)";
     else node="$node@$(hostname -f 2>/dev/null || hostname)"; fi ;;
esac
echo "@@node $mode $node"
epmd="$bin/epmd"; [ -x "$epmd" ] || epmd=$(command -v epmd || true)
port=""
if [ -n "$epmd" ]; then
  port=$("$epmd" -names 2>/dev/null | sed -n "s/^name ${node%%@*} at port \([0-9]*\).*/\1/p")
  echo "@@epmd ${port:-unregistered}"
else
  echo "@@epmd missing"
fi
[ "${CL_WANT:-}" = ready ] && exit 0
root=$(var RELEASE_ROOT); root=${root:-$(after -root)}
home=$(var HOME)
cookie=$(after -setcookie)
[ -n "$cookie" ] || cookie=$(var RELEASE_COOKIE)
[ -n "$cookie" ] || cookie=$(cat "$root/releases/COOKIE" 2>/dev/null || true)
[ -n "$cookie" ] || cookie=$(cat "$home/.erlang.cookie" 2>/dev/null || true)
if [ -n "$cookie" ]; then
  echo "@@cookie $(printf %s "$cookie" | sha256sum | cut -c1-12)"
else
  echo "@@cookie none"
fi
d=$(mktemp -d)
i=0
dns=getent; command -v nslookup >/dev/null 2>&1 && dns=nslookup
command -v $dns >/dev/null 2>&1 || dns=none
for n in "$@"; do
  i=$((i + 1))
  case $dns in
    nslookup) timeout 10 nslookup -timeout=2 -retry=1 "$n" >"$d/dns.$i" 2>&1 & ;;
    getent) { timeout 10 getent hosts "$n" || true; } >"$d/dns.$i" 2>&1 & ;;
  esac
done
call=$bin/erl_call; [ -x "$call" ] || call=$(command -v erl_call || true)
rel=$(var RELEASE_NAME)
if [ -z "$cookie" ]; then
  echo "@@error cookie $root"
elif [ -n "$call" ]; then
  echo "@@tool $call"
  if [ -n "$port" ]; then
    timeout 8 "$call" -address "127.0.0.1:$port" -c "$cookie" -a 'erlang nodes' >"$d/nodes" 2>&1
  else
    timeout 8 "$call" "-$mode" "$node" -c "$cookie" -a 'erlang nodes' >"$d/nodes" 2>&1
  fi
elif [ -n "$root" ] && [ -n "$rel" ] && [ -x "$root/bin/$rel" ]; then
  echo "@@tool $root/bin/$rel rpc"
  RELEASE_NODE=$node RELEASE_COOKIE=$cookie RELEASE_DISTRIBUTION=$mode \
    timeout 20 "$root/bin/$rel" rpc ':io.format("~w~n", [Node.list()])' 2>&1 | tail -n 1 >"$d/nodes"
else
  echo "@@error tool $bin"
fi
wait
echo "@@dns $dns"; i=0
for n in "$@"; do i=$((i + 1)); echo "@@name $n"; cat "$d/dns.$i" 2>/dev/null; done
if [ -f "$d/nodes" ]; then echo "@@nodes"; cat "$d/nodes"; fi
rm -rf "$d"
"""


def release_command(names: Sequence[str] = ()) -> list[str]:
    """The script's argv: it resolves ``names`` and asks the node for ``nodes()``."""
    return ["sh", "-c", _SCRIPT, "release", *names]


def by_hand(container: str, names: Sequence[str] = ()) -> str:
    """The same as a command to paste (the cookie is read, and stays, inside)."""
    return shlex.join(["docker", "exec", container, *release_command(names)])


@dataclass(frozen=True)
class Seen:
    """What the script printed in one container, read."""

    beam: bool  # a beam.smp process runs
    erts: bool  # the image holds a beam.smp (only asked while none runs, for readiness)
    node: str | None = None
    mode: str | None = None  # name / sname
    registered: bool | None = None  # in the local EPMD; None: no epmd to ask
    cookie: str | None = None  # digest of the cookie, never the cookie
    tool: str | None = None
    peers: tuple[str, ...] | None = None
    dns: dict[str, DnsAnswer] | None = None
    error: str | None = None

    @property
    def ready(self) -> bool:
        """Its node is up for peers (registered in EPMD); or it runs no distributed BEAM
        and holds none that could still start (a database, a proxy)."""
        if self.node:
            return self.registered is not False
        return self.beam or not self.erts


MISSING = {
    "cookie": "no cookie found for the node: not in -setcookie, RELEASE_COOKIE, "
              "{}/releases/COOKIE nor ~/.erlang.cookie. Give the release its cookie one of "
              "these ways",
    "tool": "nothing here can ask the node: no erl_call in {} (beside beam.smp) nor on the "
            "PATH, and no Elixir release script ($RELEASE_ROOT/bin/$RELEASE_NAME). Keep "
            "ERTS's bin/ whole in the image (OTP 23+ ships erl_call there), or add erl_call",
}
"""What the script could not find, said as the next thing for the learner to do."""


def _sections(text: str) -> list[tuple[str, str, str]]:
    out = []
    for part in re.split(r"^@@", text, flags=re.M)[1:]:
        head, _, body = part.partition("\n")
        kind, _, arg = head.partition(" ")
        out.append((kind, arg.strip(), body))
    return out


def parse_getent(name: str, text: str) -> DnsAnswer:
    """One name's ``getent hosts`` lines → its answer (no line: it did not resolve)."""
    addresses = tuple(line.split()[0] for line in text.splitlines() if line.strip())
    return DnsAnswer(name, "ok", addresses) if addresses else DnsAnswer(name, "nxdomain")


def parse_release(text: str, names: Sequence[str] = ()) -> Seen:
    """Read the script's output (pure: tested on recorded text)."""
    fields: dict[str, object] = {"beam": False, "erts": False}
    dns_tool, answers = "none", {}
    body_of: dict[str, str] = {}
    for kind, arg, body in _sections(text):
        if kind == "beam":
            fields["beam"] = arg != "none"
        elif kind == "erts":
            fields["erts"] = arg != "none"
        elif kind == "node":
            fields["mode"], _, fields["node"] = arg.partition(" ")
        elif kind == "epmd":
            fields["registered"] = None if arg == "missing" else arg != "unregistered"
        elif kind == "cookie":
            fields["cookie"] = None if arg == "none" else arg
        elif kind == "tool":
            fields["tool"] = arg
        elif kind == "error":
            what, _, where = arg.partition(" ")
            fields["error"] = MISSING.get(what, "{}").format(where or "?")
        elif kind == "dns":
            dns_tool = arg
        elif kind == "name":
            body_of[arg] = body
        elif kind == "nodes":
            body_of["@@nodes"] = body
    if fields.get("node") and "@@nodes" in body_of:
        reply = body_of["@@nodes"].strip()
        try:
            fields["peers"] = parse_node_list(reply.splitlines()[-1] if reply else "")
        except ValueError:
            last = reply.splitlines()[-1] if reply else "no output (timed out?)"
            fields["error"] = f"{fields.get('tool') or 'erl_call'}: {last[:200]}"
    if names and dns_tool == "nslookup":
        answers = split_batch(names, "".join(body_of.get(n, "") for n in names))
    elif names and dns_tool == "getent":
        answers = {name: parse_getent(name, body_of.get(name, "")) for name in names}
    fields["dns"] = answers if dns_tool != "none" else None
    if fields.get("node") and fields.get("peers") is None and not fields.get("error"):
        fields["error"] = "the node was not asked"
    return Seen(**fields)  # type: ignore[arg-type]


def is_release(container: Container) -> bool:
    """A container to probe as a learner's own release (labelled by ``lab.project``)."""
    return container.labels.get(PROBE_LABEL) == RELEASE


def look(container: Container, names: Sequence[str] = (), *, ready: bool = False) -> Seen:
    """Run the script in ``container``: ``ready`` only finds the node and asks EPMD."""
    env = {"CL_WANT": "ready"} if ready else None
    return parse_release(exec_in(container, release_command(names), env=env).output, names)


def member(container: Container, names: Sequence[str]) -> Member:
    """One container's ``Member`` of a snapshot, asked with the release's own tools."""
    return asked(container, names)[0]


def asked(container: Container, names: Sequence[str]) -> tuple[Member, Seen | None]:
    """``member`` and what the script saw (None: not running); the live doctor also
    compares the cookie digests."""
    place = describe(container)
    if container.status != "running":
        return Member.at(place, error=f"container is {container.status}"), None
    try:
        seen = look(container, names)
    except ClusterLabError:
        container.reload()
        if container.status != "running":
            return Member.at(place, error=f"container is {container.status}"), None
        raise
    return Member.at(place, node=seen.node, peers=seen.peers, dns=seen.dns or {},
                     error=seen.error if seen.node else None), seen


def probe(containers: Iterable[Container], names: Sequence[str] = (), *,
          title: str = "") -> Snapshot:
    """One snapshot of a learner's own project: every container asked itself, at once
    (its own tools may be slow, so no observer shortcut: each answers for itself)."""
    found = list(containers)
    names = list(names) or sorted({service_of(c) for c in found})
    started, taken_at = time.monotonic(), datetime.now(UTC)
    members = tuple(parallel(lambda c: member(c, names), found))
    return Snapshot(title, taken_at, time.monotonic() - started, members)

"""A container outside the Compose project that tries to join the lab's cluster.

``Outsider.start(lab)`` runs the lab image on the lab's network, next to the nodes but
not in the compose file: what any other container on that network is (a sidecar, a
compromised service, a debugging container someone left running). It carries the lab's
labels, so ``lab.down()`` and ``clusterlab clean`` remove it with the lab.

``attempt`` starts a hidden Erlang node in it that pings one lab node (``net_adm:ping``)
and, when the answer is ``pong``, runs ``os:cmd("id")`` there over RPC: remote code
execution. The right cookie is the one the target node runs with, read inside its
container; it is handed over in the exec's environment, never printed, and the recorded
command reads it from the target container too.

Credentials an attempt can bring (``tls``): ``None`` plain TCP distribution; ``"none"``
TLS distribution with no certificate; ``"rogue"`` a certificate from another CA;
``"lab"`` a certificate the lab's CA signed (the control: the mechanism itself works).
"""

from __future__ import annotations

import re
import secrets
import shlex
import time
from dataclasses import dataclass, field
from typing import Any

from ..errors import ClusterLabError
from ..gates import engine
from ..observe.erlang import COOKIE_FILE, NODE_FILE
from . import commands, tls
from .lifecycle import Lab
from .registry import OWNER, owner_label

OUTSIDER_LABEL = "io.clusterlab.outsider"
HOST = "outsider.lab"
TLS_DIR = "/etc/clusterlab/tls"

# Ping (timed: the first connection, then a second one after a disconnect, when code and
# keys are loaded), then on pong run `id` on the target: one line each, easy to parse.
EVAL = ('[T] = [list_to_atom(A) || A <- init:get_plain_arguments()], '
        '{Cold, P} = timer:tc(net_adm, ping, [T]), '
        'case P of pong -> erlang:disconnect_node(T), '
        '{Warm, _} = timer:tc(net_adm, ping, [T]), '
        'io:format("ping pong ~w ~w~n", [Cold, Warm]), '
        'io:format("id ~s~n", [rpc:call(T, os, cmd, ["id"])]); '
        '_ -> io:format("ping ~s ~w~n", [P, Cold]) end, halt().')

# ssl_dist_optfile of each kind of outsider: the client side is all that matters.
_OPTFILES = {
    "none": '[{server, []}, {client, [{verify, verify_none}]}].',
    "rogue": ('[{server, []}, {client, [{certfile, "TLS/rogue/cert.pem"}, '
              '{keyfile, "TLS/rogue/key.pem"}, {cacertfile, "TLS/rogue/ca.pem"}, '
              '{verify, verify_none}]}].'),
    "lab": ('[{server, []}, {client, [{certfile, "TLS/outsider/cert.pem"}, '
            '{keyfile, "TLS/outsider/key.pem"}, {cacertfile, "TLS/ca.pem"}, '
            '{verify, verify_peer}]}].'),
}


@dataclass(frozen=True)
class Attempt:
    """One try to join: who, with what, and what came back."""

    target: str
    cookie: str  # "right" or "wrong"
    tls: str | None
    answer: str  # "pong" or "pang" (or the error text)
    id_output: str | None
    seconds: float
    connect_us: tuple[int, ...] = ()  # net_adm:ping's time: first connection (, second)
    output: str = field(repr=False, default="")

    @property
    def joined(self) -> bool:
        return self.answer == "pong"

    def __str__(self) -> str:
        how = f"{self.cookie} cookie, " + (f"TLS ({self.tls} certificate)" if self.tls
                                            else "plain TCP")
        ran = f"; os:cmd(\"id\") → {self.id_output}" if self.id_output else ""
        return f"{how} → {self.target}: {self.answer}{ran}"


def optfile(kind: str) -> str:
    """The outsider's ``ssl_dist_optfile`` text for ``kind`` (none, rogue, lab)."""
    return _OPTFILES[kind].replace("TLS", TLS_DIR)


@dataclass
class Outsider:
    lab: Lab
    container: Any
    network: str

    @classmethod
    def start(cls, lab: Lab, network: str | None = None) -> Outsider:
        """Run the lab image on ``network`` (default: the first node's only network)."""
        first = lab.containers()[0]
        nets = list(first.attrs["NetworkSettings"]["Networks"])
        network = network or nets[0]
        name = f"{lab.project}-outsider-{secrets.token_hex(2)}"
        labels = {engine.LABEL: lab.project, OWNER: owner_label(lab.detached),
                  OUTSIDER_LABEL: "1"}
        image = first.image.tags[0] if first.image.tags else first.image.id
        # The lab CA's certificate, a certificate it signed for the outsider, and the rogue
        # CA's pair; not the nodes' keys. (The folder itself is 0700: mount its entries.)
        tls_dir = lab.run_dir / "tls"
        volumes = {str(tls_dir / entry): {"bind": f"{TLS_DIR}/{entry}", "mode": "ro"}
                   for entry in ("ca.pem", tls.OUTSIDER, tls.ROGUE)} if tls_dir.is_dir() else {}
        lab._record(commands.docker(
            "run", "-d", "--name", name, "--network", network, "--hostname", HOST,
            "--dns-search", ".",
            "--label", f"{engine.LABEL}={lab.project}", "--entrypoint", "sleep",
            *[f"-v{source}:{spec['bind']}:ro" for source, spec in volumes.items()],
            image, "infinity"))
        container = engine.client().containers.run(
            image, ["infinity"], entrypoint="sleep", name=name, hostname=HOST,
            network=network, labels=labels, volumes=volumes, detach=True,
            dns_search=["."])  # hermetic like the lab's services (stack.pin_resolver)
        return cls(lab, container, network)

    def _argv(self, tls_kind: str | None) -> list[str]:
        argv = ["erl", "-name", f"intruder{secrets.token_hex(2)}@{HOST}", "-hidden",
                "-noshell"]
        if tls_kind:
            if tls_kind not in _OPTFILES:
                raise ClusterLabError(f"Unknown outsider certificate {tls_kind!r}.",
                                      f"Use one of: {', '.join(_OPTFILES)} or None.")
            argv += ["-proto_dist", "inet_tls", "-ssl_dist_optfile", f"/tmp/{tls_kind}.conf"]
        return argv

    def attempt(self, service: str, *, cookie: str = "right", tls_kind: str | None = None,
                timeout: float = 20) -> Attempt:
        """Join ``service``'s node as a hidden node and run ``id`` there if let in."""
        target_container = self.lab.container(service)
        node = engine.exec_in(target_container, ["cat", NODE_FILE]).output.strip()
        if cookie == "right":  # the one the node runs with, as an attacker would read it
            secret = engine.exec_in(target_container, ["cat", COOKIE_FILE]).output.strip()
        else:
            secret = f"not-the-cookie-{secrets.token_hex(4)}"
        argv = self._argv(tls_kind)
        setup = ""
        if tls_kind:
            setup = f"printf '%s\\n' {shlex.quote(optfile(tls_kind))} > /tmp/{tls_kind}.conf; "
        script = (setup + f"exec timeout {int(timeout)} {shlex.join(argv)} "
                  f'-setcookie "$CL_COOKIE" -eval {shlex.quote(EVAL)} -extra "$1"')
        shown = f"$(docker exec {target_container.name} cat {COOKIE_FILE})" \
            if cookie == "right" else "not-the-cookie"
        self.lab._record(self.command(target_container.name, node, tls_kind, shown))
        started = time.monotonic()
        result = engine.exec_in(self.container, ["sh", "-c", script, "outsider", node],
                                env={"CL_COOKIE": secret})
        seconds = time.monotonic() - started
        ping = re.search(r"^ping (\w+)((?: \d+)*)$", result.output, re.M)
        ran = re.search(r"^id (.*)$", result.output, re.M)
        answer = ping.group(1) if ping else (result.output.strip().splitlines() or ["?"])[-1]
        timed = tuple(int(us) for us in ping.group(2).split()) if ping else ()
        return Attempt(service, cookie, tls_kind, answer, ran.group(1).strip() if ran else None,
                       seconds, connect_us=timed, output=result.output)

    def command(self, target: str, node: str, tls_kind: str | None = None,
                cookie: str | None = None) -> str:
        """The attempt as one command to paste (the cookie read from ``target``)."""
        cookie = cookie or f"$(docker exec {target} cat {COOKIE_FILE})"
        argv = self._argv(tls_kind)
        if tls_kind:  # the optfile lives in the outsider: write it first
            write = shlex.join(["docker", "exec", self.container.name, "sh", "-c",
                                f"printf '%s\\n' {shlex.quote(optfile(tls_kind))} "
                                f"> /tmp/{tls_kind}.conf"])
            prefix = write + " && "
        else:
            prefix = ""
        return (prefix + shlex.join(["docker", "exec", self.container.name, *argv])
                + f' -setcookie "{cookie}" -eval {shlex.quote(EVAL)} -extra {shlex.quote(node)}')

    def remove(self) -> None:
        self.lab._record(commands.docker("rm", "-f", self.container.name))
        self.container.remove(force=True)


def node_of(lab: Lab, service: str) -> str:
    """The node name ``service`` runs (the file the lab's app writes)."""
    return engine.exec_in(lab.container(service), ["cat", NODE_FILE]).output.strip()


__all__ = ["Attempt", "Outsider", "node_of", "optfile", "tls"]

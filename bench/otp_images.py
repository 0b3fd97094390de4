"""Each Erlang/OTP's lab image side by side: size, build time, node boot time and memory.

    .venv/bin/python bench/otp_images.py                  # every OTP in image.STACKS, 3 boots
    .venv/bin/python bench/otp_images.py --otp 27 --runs 5
    .venv/bin/python bench/otp_images.py --cold           # also a cold build (throwaway tags)
    .venv/bin/python bench/otp_images.py --existing       # the newest image of each OTP here

Without --cold the shared image of each OTP is used (``image.ensure_image``: built only
if missing, and then the build time is shown); --existing takes the newest image of
each OTP on the engine as it is and never builds. With --cold both bases are mmdebstrapped
and the image built under ``clusterlab-bench/…-<hex>`` names, removed after: nothing
comes from the build cache, as on a machine without images; the figures then come from
that image. Boot: ``docker run`` of one node as lesson 0 names it (long name, a random
cookie), to the ``[clusterlab] ready`` log line (read from the log stream, so nothing
execs into the node while it boots), then to its first ``erl_call`` answer. Memory,
right after that answer: ``erlang:memory(total)`` and the container's cgroup usage less
inactive page cache (what ``docker stats`` shows). Medians of --runs boots.
"""

from __future__ import annotations

import argparse
import contextlib
import secrets
import statistics
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

from clusterlab.errors import ClusterLabError
from clusterlab.gates import engine, image
from clusterlab.observe import erlang
from clusterlab.progress import quiet
from clusterlab.waiting import wait_until
from docker.models.containers import Container

from bench import remove_throwaway  # bench/ is on the path when run as a script

READY = "[clusterlab] ready"
BOOT_TIMEOUT = 60.0


@dataclass
class Boot:
    ready: float  # s from `docker run` to the ready log line
    answers: float  # s from `docker run` to the first erl_call answer
    erlang_mb: float  # erlang:memory(total)
    container_mb: float  # cgroup usage less inactive file cache


@dataclass
class Built:
    tag: str
    build: str  # what the build column shows
    note: str = ""


def _ready_at(container: Container, timeout: float) -> float:
    """When the ready line appeared in the container's log (monotonic clock)."""
    seen: list[float] = []

    def read() -> None:
        tail = b""
        for chunk in container.logs(stream=True, follow=True):
            tail = (tail + chunk)[-4096:]
            if READY.encode() in tail:
                seen.append(time.monotonic())
                return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout)  # ends at the line, or when the container exits
    if not seen:
        log = container.logs(tail=20).decode(errors="replace")
        raise ClusterLabError(f"{container.name}: no ready line within {timeout:g} s:\n{log}")
    return seen[0]


def _memory_mb(container: Container) -> float:
    """The container's memory as ``docker stats`` shows it (cgroup v1 or v2)."""
    stats = container.stats(stream=False, one_shot=True)["memory_stats"]
    inner = stats.get("stats", {})
    cache = inner.get("total_inactive_file", inner.get("inactive_file", 0))
    return (stats["usage"] - cache) / 1e6


def boot(tag: str, name: str) -> Boot:
    """One node of ``tag``, booted, asked and measured, then removed."""
    host = f"{name}.lab"
    env = {"RELEASE_DISTRIBUTION": "name", "RELEASE_NODE": f"app@{host}",
           "RELEASE_COOKIE": secrets.token_hex(16)}
    client = engine.client()
    started = time.monotonic()
    container = client.containers.run(tag, detach=True, name=name, hostname=host,
                                      environment=env)
    try:
        ready = _ready_at(container, BOOT_TIMEOUT) - started

        def answer() -> str:
            with contextlib.suppress(ClusterLabError):
                return erlang.rpc(container, "erlang", "node")
            return ""

        wait_until(answer, timeout=10, interval=0.05, what=f"{name} answering erl_call")
        answers = time.monotonic() - started
        total = int(erlang.rpc(container, "erlang", "memory", "[total]"))
        return Boot(ready, answers, total / 1e6, _memory_mb(container))
    finally:
        container.remove(force=True)


@contextlib.contextmanager
def shared_image(otp: str) -> Iterator[Built]:
    """The lab image every lab of this OTP uses (built if missing; never removed)."""
    got = image.ensure_image(quiet, otp=otp)
    yield Built(got.tag, "cached" if got.cached else f"{got.seconds:.0f}")


@contextlib.contextmanager
def existing_image(otp: str) -> Iterator[Built]:
    """The newest lab image of this OTP's Debian release on the engine, whatever inputs
    it was built from: never builds (on a shared engine, nothing new under shared tags)."""
    release = image.stack(otp).release
    found = [(item.attrs.get("Created", ""), item.tags[0])
             for item in engine.client().images.list(image.REPOSITORY)
             if item.tags and (image.manifest_of(item.labels) or {}).get("debian release")
             == release]
    if not found:
        raise SystemExit(f"No {image.REPOSITORY} image of OTP {otp} ({release}) here: run "
                         "without --existing to build it.")
    tag = max(found)[1]
    yield Built(tag, "-", "" if tag == image.current_tag(otp) else
                "built from other inputs than this checkout")


@contextlib.contextmanager
def cold_image(otp: str) -> Iterator[Built]:
    """Both bases bootstrapped and the image built under throwaway names, then removed.

    The shared ``clusterlab/app`` and ``clusterlab/base`` tags are never touched; the
    freshly imported bases have new IDs, so no step comes from the build cache.
    """
    suffix = uuid.uuid4().hex[:10]
    saved = image.REPOSITORY, image.BASE_REPOSITORY, image._bases
    image.REPOSITORY = f"clusterlab-bench/app-{suffix}"
    image.BASE_REPOSITORY = f"clusterlab-bench/base-{suffix}"
    try:
        started = time.monotonic()
        bases = image.bootstrap_bases(quiet, otp)
        bootstrapped = time.monotonic() - started
        # These bases, even where a debian:<release>-slim image is at hand.
        image._bases = lambda progress, chosen: bases
        got = image.ensure_image(quiet, force=True, otp=otp)
        yield Built(got.tag, f"{bootstrapped:.0f}+{got.seconds:.0f}")
    finally:
        image._bases = saved[2]
        remove_throwaway(image.REPOSITORY, image.BASE_REPOSITORY)
        image.REPOSITORY, image.BASE_REPOSITORY = saved[0], saved[1]


COLUMNS = ("OTP", "Debian", "OTP / Elixir", "image MB", "build s", "ready s", "answers s",
           "erlang MB", "container MB")
WIDTHS = (4, 9, 20, 9, 9, 8, 10, 10, 13)


def row(cells: tuple[str, ...]) -> str:
    return "".join(f"{c:<{w}}" if i < 3 else f"{c:>{w}}"
                   for i, (c, w) in enumerate(zip(cells, WIDTHS)))


def measure(otp: str, runs: int, source: str) -> tuple[tuple[str, ...], str]:
    """The table's row for ``otp``, and a line saying which image it measured."""
    chosen = image.stack(otp)
    images = {"cold": cold_image, "existing": existing_image, "shared": shared_image}
    with images[source](otp) as built:
        size = engine.client().images.get(built.tag).attrs["Size"] / 1e6
        versions = image.runtime_versions(built.tag)
        prefix = f"clusterlab-bench-otp{otp}-{uuid.uuid4().hex[:8]}"
        boots = [boot(built.tag, f"{prefix}-{i}") for i in range(runs)]
    med = {field: statistics.median(getattr(b, field) for b in boots)
           for field in ("ready", "answers", "erlang_mb", "container_mb")}
    cells = (chosen.otp, chosen.release, f"{versions['otp']} / {versions['elixir']}",
             f"{size:.0f}", built.build, f"{med['ready']:.2f}", f"{med['answers']:.2f}",
             f"{med['erlang_mb']:.1f}", f"{med['container_mb']:.1f}")
    return cells, f"OTP {otp}: {built.tag}" + (f" ({built.note})" if built.note else "")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--otp", action="append", choices=list(image.STACKS),
                        help="one OTP (repeatable; default: every one in image.STACKS)")
    parser.add_argument("--runs", type=int, default=3, help="boots per OTP (default 3)")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--cold", action="store_const", dest="source", const="cold",
                        help="bootstrap the bases and build under throwaway tags (minutes)")
    source.add_argument("--existing", action="store_const", dest="source", const="existing",
                        help="the newest image of each OTP already here, even one built "
                             "from other inputs: never builds")
    args = parser.parse_args()
    source = args.source or "shared"
    build = {"cold": "cold, mmdebstrap s + docker build s", "existing": "not built",
             "shared": "'cached' when the shared image was here"}[source]
    print(f"Lab image per OTP; boots: median of {args.runs}; MB = 10^6 bytes; build: {build}",
          flush=True)
    print(row(COLUMNS), flush=True)
    notes = []
    for otp in args.otp or list(image.STACKS):
        cells, note = measure(otp, args.runs, source)
        print(row(cells), flush=True)
        notes.append(note)
    print("\n".join(notes))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

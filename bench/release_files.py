"""What a lesson's own release files cost a lab's start.

A variant with ``rel/*.eex`` templates has them rendered in a throw-away container of
the lab image before ``compose up`` (``lab/release.py``); ``config/runtime.exs`` is
mounted as it is. Prints the median of ``runs`` renders, and of ``up()`` (to every node
ready) for lesson 4's ``host-list`` (runtime.exs only) and ``by-ip`` (runtime.exs and
env.sh.eex), so the difference is the render.

    .venv/bin/python bench/release_files.py [runs]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

from clusterlab.catalogue import get
from clusterlab.gates.image import ensure_image
from clusterlab.lab import release
from clusterlab.lab.lifecycle import Lab
from clusterlab.progress import quiet


def timed(work) -> float:
    started = time.monotonic()
    work()
    return time.monotonic() - started


def main(runs: int) -> None:
    tag = ensure_image(quiet).tag
    folder = get("04-dns-polling").compose_file("by-ip").parent
    files = release.find(folder)
    with tempfile.TemporaryDirectory() as out:
        renders = [timed(lambda: release.render(files, tag, Path(out))) for _ in range(runs)]
    print(f"render {', '.join(files.names)}: median {statistics.median(renders):.2f} s "
          f"(min {min(renders):.2f}, max {max(renders):.2f}, {runs} runs)")
    for variant in ("host-list", "by-ip"):
        ups = []
        for _ in range(runs):
            lab = Lab.create("04-dns-polling", variant, progress=quiet)
            try:
                ups.append(timed(lab.up))
            finally:
                lab.down()
        print(f"up 04 {variant:9} ({', '.join(release.find(lab.compose_file.parent).names)}): "
              f"median {statistics.median(ups):.2f} s (min {min(ups):.2f}, max {max(ups):.2f})")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)

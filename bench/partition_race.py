"""How often does a connect-once cluster heal by accident after a partition?

Lesson 5 cuts job_svc off, waits until *both* sides have seen the nodedown, plugs the
network back in and watches for 5 s. Nothing in the strategy redials, yet with OTP's
default `dist_auto_connect` (true) a message sent to the lost node during the
partition (global's housekeeping) starts an implicit connection attempt that can
complete once the route is back. With `-kernel dist_auto_connect once` it never does.
Each run copies the connect-once variant's project and sets the flag in its
rel/vm.args.eex, as a project would.

    .venv/bin/python bench/partition_race.py [runs]
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import clusterlab as cl
from clusterlab.progress import quiet

FLAG = "-kernel dist_auto_connect once"


def project_with(auto_connect: str, folder: Path) -> Path:
    """The connect-once variant's project, copied to ``folder`` with ``auto_connect`` in
    its rel/vm.args.eex; its compose file."""
    variant = cl.lesson("05-epmd-strategy").compose_file("connect-once").parent
    shutil.copytree(variant, folder, dirs_exist_ok=True)
    vm_args = folder / "rel" / "vm.args.eex"
    text = vm_args.read_text()
    assert FLAG in text, vm_args
    vm_args.write_text(text.replace(FLAG, f"-kernel dist_auto_connect {auto_connect}"))
    return folder / "compose.yaml"


def healed_by_accident(auto_connect: str) -> bool:
    with tempfile.TemporaryDirectory() as tmp, \
            cl.lab("05-epmd-strategy", "connect-once", progress=quiet,
                   compose_file=project_with(auto_connect, Path(tmp))) as lab:
        start = lab.timeline(lambda s: s.is_full_mesh(), timeout=20)[-1]
        cut = datetime.now(UTC)
        lab.disconnect("job_svc")
        lab.timeline(lambda s: "job_svc" not in s.peers("user_svc") | s.peers("email_svc"),
                     timeout=20, names=["user_svc"])
        lab.wait_nodedown("job_svc", [start.member(s).node for s in ("user_svc", "email_svc")],
                          since=cut)
        lab.connect("job_svc")
        return len(cl.clusters(cl.to_graph(lab.watch(5, names=["user_svc"])[-1]))) == 1


def main() -> int:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 8
    for auto_connect in ("true", "once"):
        healed = sum(healed_by_accident(auto_connect) for _ in range(runs))
        print(f"dist_auto_connect {auto_connect:<5} healed by accident in {healed}/{runs} runs "
              "(connect-once, partition noticed on both sides, then healed)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

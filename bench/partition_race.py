"""How often does a connect-once cluster heal by accident after a partition?

Lesson 5 cuts job_svc off, waits until *both* sides have seen the nodedown, plugs the
network back in and watches for 5 s. Nothing in the strategy redials, yet with OTP's
default `dist_auto_connect` (true) a message sent to the lost node during the
partition (global's housekeeping) starts an implicit connection attempt that can
complete once the route is back. With `-kernel dist_auto_connect once` it never does.

    .venv/bin/python bench/partition_race.py [runs]
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import clusterlab as cl
from clusterlab.progress import quiet


def healed_by_accident(auto_connect: str) -> bool:
    with cl.lab("05-epmd-strategy", "connect-once", env={"AUTO_CONNECT": auto_connect},
                progress=quiet) as lab:
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

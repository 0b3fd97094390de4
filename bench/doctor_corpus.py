"""Precision and recall of `clusterlab doctor` on the product corpus (issue 19).

Each file in tests/doctor/cases/products/ says in its header what is really wrong
(`# expect: CL403, CL404`, one code per problem kind) and which services are BEAM nodes
(`# nodes: a b`). The exposure findings (CL406 cookie in the environment, CL505 plain
distribution with published ports: `clusterlab.doctor.exposure.CODES`) are left out: the
product docs put the cookie in the environment nearly everywhere, and the corpus scores
clustering pitfalls. A finding is true when its code is expected for that file; precision is
true findings / all findings (infos included), recall is expected (file, code) pairs found
/ all expected pairs, and recognition is nodes the doctor models / nodes listed.

    .venv/bin/python bench/doctor_corpus.py            # figures, and each miss or false hit
    .venv/bin/python bench/doctor_corpus.py --quiet    # figures only

To measure another version, put its helpers/ first on PYTHONPATH.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "doctor" / "cases" / "products"


@dataclass(frozen=True)
class Expected:
    codes: frozenset[str]
    nodes: frozenset[str]


def expected(path: Path) -> Expected:
    """The header of a corpus file; a file without one is refused (a corpus bug)."""
    text = path.read_text()
    codes = re.search(r"^# expect:(.*)$", text, re.M)
    nodes = re.search(r"^# nodes:(.*)$", text, re.M)
    if not codes or not nodes:
        raise SystemExit(f"{path}: needs `# expect: CL…` and `# nodes: …` header lines")
    return Expected(frozenset(re.findall(r"CL\d{3}", codes.group(1))),
                    frozenset(nodes.group(1).split()))


@dataclass(frozen=True)
class Score:
    file: str
    found: frozenset[str]
    expected: frozenset[str]
    recognised: frozenset[str]
    nodes: frozenset[str]
    findings: int  # all findings (a code can be reported for several services)
    true: int


def score(path: Path) -> Score:
    from clusterlab.doctor import diagnose
    from clusterlab.doctor.beam import beam_nodes
    from clusterlab.doctor.exposure import CODES

    want = expected(path)
    model, found = diagnose(path, "corpus")
    found = [f for f in found if f.code not in CODES]
    true = sum(1 for f in found if f.code in want.codes)
    return Score(path.name, frozenset(f.code for f in found), want.codes,
                 frozenset(beam_nodes(model)), want.nodes, len(found), true)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quiet", action="store_true", help="figures only")
    args = parser.parse_args(argv)
    scores = [score(p) for p in sorted(CORPUS.glob("*.yaml"))]
    findings = sum(s.findings for s in scores)
    true = sum(s.true for s in scores)
    pairs = sum(len(s.expected) for s in scores)
    hit = sum(len(s.expected & s.found) for s in scores)
    nodes = sum(len(s.nodes) for s in scores)
    seen = sum(len(s.nodes & s.recognised) for s in scores)
    if not args.quiet:
        for s in scores:
            missed, false = sorted(s.expected - s.found), sorted(s.found - s.expected)
            unseen = sorted(s.nodes - s.recognised)
            if missed or false or unseen:
                print(f"{s.file}: missed {missed} false {false} nodes not recognised {unseen}")
    print(f"files {len(scores)}  findings {findings}  true {true}  "
          f"precision {true / findings if findings else 1:.0%}  "
          f"recall {hit}/{pairs} = {hit / pairs if pairs else 1:.0%}  "
          f"nodes recognised {seen}/{nodes} = {seen / nodes if nodes else 1:.0%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

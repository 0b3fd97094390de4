"""An exercise's intended topology, as data: ``expected.toml`` read into criteria.

Criteria describe behaviour (who resolves what, who forms a mesh, who shares a cookie,
which HTTP calls succeed, that no outsider holding the cookie gets in, that ``docker
inspect`` shows no cookie, what must hold again after a partition), never the keys to
write, so every correct fix passes and no message gives the answer away.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import ExerciseError


@dataclass(frozen=True)
class Resolve:
    """Every service in ``sources`` must resolve every name in ``names``."""

    sources: tuple[str, ...]
    names: tuple[str, ...]

    @property
    def label(self) -> str:
        return f"{words(self.sources)} can resolve {words(self.names)}"


@dataclass(frozen=True)
class Cluster:
    """``services`` form one Erlang cluster; with ``mesh`` every node lists every other."""

    services: tuple[str, ...]
    mesh: bool = True

    @property
    def label(self) -> str:
        shape = "a full mesh" if self.mesh else "one cluster"
        return f"{words(self.services)} form {shape}"


@dataclass(frozen=True)
class Replicas:
    """``count`` running replicas of one (Swarm) ``service``, each listing exactly the
    others: a full mesh of the current tasks, and no name of a task that is gone."""

    service: str
    count: int

    @property
    def services(self) -> tuple[str, ...]:
        return (self.service,)

    @property
    def label(self) -> str:
        return f"{self.count} replicas of {self.service} form a full mesh"


@dataclass(frozen=True)
class SharedCookie:
    """``services`` run with the same Erlang cookie (compared by digest, never shown)."""

    services: tuple[str, ...]

    @property
    def label(self) -> str:
        return f"{words(self.services)} share one cookie"


@dataclass(frozen=True)
class Http:
    """An HTTP client inside each of ``sources`` gets 200 from ``url``."""

    sources: tuple[str, ...]
    url: str

    @property
    def label(self) -> str:
        return f"{words(self.sources)} can GET {self.url}"


@dataclass(frozen=True)
class OutsiderBlocked:
    """No outsider holding the cookie can join any of ``services``."""

    services: tuple[str, ...]

    @property
    def label(self) -> str:
        return f"an outsider holding the cookie cannot join {words(self.services)}"


@dataclass(frozen=True)
class CookieHidden:
    """``docker inspect`` of each of ``services`` does not show the cookie."""

    services: tuple[str, ...]

    @property
    def label(self) -> str:
        return f"docker inspect shows no cookie for {words(self.services)}"




@dataclass(frozen=True)
class Remote:
    """A remote shell started in ``source`` (a hidden node with that container's own
    ``ERL_AFLAGS``) reaches ``<basename>@<IPv6 address>`` of each of ``services``: the
    names an IPv6 platform gives its nodes, through the flags an operator really has."""

    source: str
    services: tuple[str, ...]
    basename: str

    @property
    def label(self) -> str:
        return (f"a remote shell from {self.source} reaches {self.basename}@<IPv6 address> "
                f"of {words(self.services)}")


Criterion = (Resolve | Cluster | SharedCookie | Http | OutsiderBlocked | CookieHidden
             | Remote | Replicas)


@dataclass(frozen=True)
class Partition:
    """A fault step: cut ``service`` off every network (``kind = "partition"``) or
    freeze it (``kind = "pause"``, ``docker pause``) until the other nodes of its cluster
    notice (within ``notice_seconds``), undo it, then judge every criterion again,
    allowing ``settle_seconds`` for the cluster to heal. ``kind = "rolling_update"``
    (a Swarm service, lesson 7): ``docker service update --force``, every task replaced
    within ``notice_seconds``, then every criterion again."""

    service: str
    notice_seconds: float = 20.0
    kind: str = "partition"

    @property
    def label(self) -> str:
        if self.kind == "rolling_update":
            return f"a forced rolling update replaces every task of {self.service}"
        if self.kind == "pause":
            return f"the other nodes drop {self.service} when it is paused"
        return f"the other nodes notice when {self.service} is cut off the network"

    @property
    def after(self) -> str:
        if self.kind == "rolling_update":
            return f"after the rolling update of {self.service}"
        if self.kind == "pause":
            return f"after {self.service} was unpaused"
        return f"after {self.service}'s network came back"

    @property
    def done(self) -> str:
        """What happened to the service, for messages: "cut off", "paused"."""
        return {"pause": "paused", "rolling_update": "updated"}.get(self.kind, "cut off")


@dataclass(frozen=True)
class Expected:
    """The intended topology of one exercise, read from ``expected.toml``."""

    services: tuple[str, ...]
    criteria: tuple[Criterion, ...]
    settle_seconds: float = 4.0
    task: str = ""
    fault: Partition | None = None
    late: tuple[str, ...] = ()
    """Services that boot only once every other one is ready (``Lab.up(late=…)``)."""

    @property
    def names(self) -> list[str]:
        """Every name some criterion resolves: what the probe must ask."""
        seen: dict[str, None] = {}
        for criterion in self.criteria:
            if isinstance(criterion, Resolve):
                seen.update(dict.fromkeys(criterion.names))
        return list(seen)

    @property
    def beam(self) -> list[str]:
        seen: dict[str, None] = {}
        for criterion in self.criteria:
            if isinstance(criterion, Cluster | SharedCookie | OutsiderBlocked | CookieHidden):
                seen.update(dict.fromkeys(criterion.services))
        return list(seen)

    @property
    def witnesses(self) -> list[str]:
        """The services that must notice the fault: the partitioned one's cluster peers."""
        if self.fault is None:
            return []
        seen: dict[str, None] = {}
        for criterion in self.criteria:
            if isinstance(criterion, Cluster) and self.fault.service in criterion.services:
                seen.update(dict.fromkeys(s for s in criterion.services
                                          if s != self.fault.service))
        return list(seen)


def parse_expected(data: Mapping[str, Any]) -> Expected:
    """``expected.toml`` (already parsed) → ``Expected``; ``ExerciseError`` on a bad key."""
    known = {"services", "resolve", "cluster", "cookie", "http", "settle_seconds", "task",
             "fault", "late", "outsider", "hidden_cookie", "remote", "replicas"}
    if unknown := sorted(set(data) - known):
        raise ExerciseError(f"expected.toml: unknown key(s) {', '.join(unknown)}.")
    criteria: list[Criterion] = []
    try:
        for item in data.get("resolve", []):
            criteria.append(Resolve(tuple(item["from"]), tuple(item["names"])))
        for item in data.get("cluster", []):
            criteria.append(Cluster(tuple(item["services"]), bool(item.get("mesh", True))))
        for item in data.get("cookie", []):
            criteria.append(SharedCookie(tuple(item["services"])))
        for item in data.get("http", []):
            criteria.append(Http(tuple(item["from"]), item["url"]))
        for item in data.get("outsider", []):  # lesson 6: collected by workshop/security.py
            criteria.append(OutsiderBlocked(tuple(item["services"])))
        for item in data.get("hidden_cookie", []):
            criteria.append(CookieHidden(tuple(item["services"])))
        for item in data.get("remote", []):
            criteria.append(Remote(item["from"], tuple(item["to"]), item["basename"]))
        for item in data.get("replicas", []):  # lesson 7: one Swarm service, many tasks
            criteria.append(Replicas(item["service"], int(item["count"])))
    except (KeyError, TypeError) as exc:
        raise ExerciseError(f"expected.toml: a criterion lacks {exc}.") from None
    services = tuple(data.get("services") or ())
    mentioned = {s for c in criteria for s in getattr(c, "services", getattr(c, "sources", ()))}
    mentioned |= {c.source for c in criteria if isinstance(c, Remote)}
    if missing := sorted(mentioned - set(services)):
        raise ExerciseError(f"expected.toml: criteria name services not in `services`: "
                            f"{', '.join(missing)}.")
    fault = _parse_fault(data.get("fault"), criteria)
    late = tuple(data.get("late") or ())
    if stray := sorted(set(late) - set(services)):
        raise ExerciseError(f"expected.toml: `late` names services not in `services`: "
                            f"{', '.join(stray)}.")
    return Expected(services, tuple(criteria), float(data.get("settle_seconds", 4.0)),
                    str(data.get("task", "")).strip(), fault, late)


def _parse_fault(table: Any, criteria: Sequence[Criterion]) -> Partition | None:
    """``[fault] partition = "svc"`` (and optionally ``notice_seconds``) → ``Partition``."""
    if table is None:
        return None
    if not isinstance(table, Mapping):
        raise ExerciseError("expected.toml: `fault` must be a table: [fault] partition = \"svc\".")
    kinds_known = ("partition", "pause", "rolling_update")
    if unknown := sorted(set(table) - {*kinds_known, "notice_seconds"}):
        raise ExerciseError(f"expected.toml: unknown key(s) in [fault]: {', '.join(unknown)}.")
    kinds = [k for k in kinds_known if isinstance(table.get(k), str)]
    if len(kinds) != 1:
        raise ExerciseError("expected.toml: [fault] needs `partition = \"<service>\"`, "
                            "`pause = \"<service>\"` or `rolling_update = \"<service>\"`.")
    fault = Partition(table[kinds[0]], float(table.get("notice_seconds", 20.0)), kinds[0])
    if not any(isinstance(c, Cluster | Replicas) and fault.service in c.services
               for c in criteria):
        raise ExerciseError(f"expected.toml: [fault] partitions {fault.service}, which no "
                            "[[cluster]] criterion names.")
    return fault


def words(items: Sequence[str]) -> str:
    """``["a", "b", "c"]`` → ``"a, b and c"``: how criteria and problems name services."""
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]

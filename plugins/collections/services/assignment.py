"""Who works which case: collector queues, the daily assignment, reassignment by hand.

A collector *holds a stage's queue* (``collections_queue``); the assignment
job gives each new or re-staged case to a holder of its stage's queue:

1. **Region.** When the case has a region and some holders have that region
   (``core_user.region``), only they are candidates; otherwise the holders
   without a region; when there are none either, every holder (a case is never
   left unassigned because of its region alone).
2. **Least loaded first.** Among the candidates, the one with the smallest
   open overdue amount, then the fewest open cases, then the lowest user id.
   Cases are taken largest overdue amount first, and each assignment adds to
   the collector's load before the next case is placed (greedy balancing).
3. **Continuity.** A re-staged case stays with its collector when they also
   hold the new stage's queue and their region fits.

Set-based: per stage one query for the holders' loads and one for the
waiting cases; the choice is made in memory with heaps; the writes are one
``UPDATE ... WHERE id IN (...)`` per collector and chunk, plus one
multi-row insert into the assignment history. Every assignment is recorded
there (shown in the case's history) and as a ``case_assigned`` audit event.
"""
from __future__ import annotations

import heapq
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import func, insert, select, update

from core.audit import current_actor, record_event
from core.errors import UserError
from core.models.meta import utcnow
from core.models.user import User
from core.money import ZERO
from plugins.collections.models import OPEN_STATUSES, STAGES, Assignment, Case, CollectorQueue

CHUNK = 900  # ids per IN (...): below SQLite's bound-parameter limit


@dataclass
class Holder:
    id: int
    username: str
    region: str
    amount: Decimal = ZERO
    count: int = 0

    @property
    def key(self):
        return (self.amount, self.count, self.id)


class Picker:
    """Least-loaded choice among region pools, with lazy heaps (a collector sits in two pools)."""

    def __init__(self, holders: list[Holder]):
        self.holders = {h.id: h for h in holders}
        self.pools: dict[str, list] = defaultdict(list)
        for h in holders:
            for pool in (("region", h.region), ("all", "")):
                heapq.heappush(self.pools[pool], (h.key, h.id))
        self.regions = {h.region for h in holders}

    def _pool(self, region: str):
        if region and region in self.regions:
            return ("region", region)
        if "" in self.regions:
            return ("region", "")
        return ("all", "")

    def pick(self, region: str) -> Holder:
        heap = self.pools[self._pool(region or "")]
        while True:
            key, holder_id = heap[0]
            holder = self.holders[holder_id]
            if key == holder.key:
                return holder
            heapq.heappop(heap)  # stale entry: this collector's load has grown since

    def add(self, holder: Holder, amount: Decimal) -> None:
        holder.amount += amount
        holder.count += 1
        for pool in (("region", holder.region), ("all", "")):
            heapq.heappush(self.pools[pool], (holder.key, holder.id))

    def fits(self, holder_id: int | None, region: str) -> bool:
        """May this holder keep a case of ``region`` (continuity of re-staged cases)?"""
        holder = self.holders.get(holder_id)
        return holder is not None and self._pool(region or "") in (("region", holder.region), ("all", ""))


@dataclass
class AssignRun:
    assigned: dict = field(default_factory=lambda: defaultdict(int))  # username -> cases
    kept: int = 0
    unassigned: dict = field(default_factory=dict)  # stage -> cases nobody holds

    @property
    def summary(self) -> str:
        total = sum(self.assigned.values())
        spread = ", ".join(f"{name} {n}" for name, n in sorted(self.assigned.items())) or "nobody"
        text = f"{total} case(s) assigned ({spread}); {self.kept} re-staged case(s) kept their collector"
        if self.unassigned:
            text += "; no collector holds the queue of " + ", ".join(
                f"{stage} ({n} case(s) waiting)" for stage, n in self.unassigned.items())
        return text


def holders(session, stage: str) -> list[Holder]:
    """Active collectors holding ``stage``'s queue, with their current open load (all stages)."""
    load = (select(Case.collector_id.label("uid"), func.sum(Case.overdue_amount).label("amount"),
                   func.count(Case.id).label("n"))
            .where(Case.status.in_(OPEN_STATUSES), Case.collector_id.is_not(None))
            .group_by(Case.collector_id).subquery())
    rows = session.execute(
        select(User.id, User.username, User.region, load.c.amount, load.c.n)
        .join(CollectorQueue, CollectorQueue.collector_id == User.id)
        .outerjoin(load, load.c.uid == User.id)
        .where(CollectorQueue.stage == stage, CollectorQueue.active.is_(True), User.active.is_(True))).all()
    return [Holder(r.id, r.username, (r.region or "").strip(), Decimal(r.amount or 0), int(r.n or 0)) for r in rows]


def assign_cases(session) -> AssignRun:
    """The assignment job: every open case waiting for a collector gets one. See the module docstring."""
    run = AssignRun()
    by = current_actor(session).name[:100]
    for stage in STAGES:
        waiting = session.execute(
            select(Case.id, Case.overdue_amount, Case.region, Case.collector_id)
            .where(Case.status.in_(OPEN_STATUSES), Case.needs_assignment.is_(True), Case.stage == stage)
            .order_by(Case.overdue_amount.desc(), Case.id)).all()
        if not waiting:
            continue
        team = holders(session, stage)
        if not team:
            run.unassigned[stage] = len(waiting)
            continue
        picker = Picker(team)
        chosen: dict[int, list] = defaultdict(list)  # collector id -> [(case id, previous)]
        kept: list[int] = []
        for case_id, amount, region, previous in waiting:
            if previous is not None and picker.fits(previous, region):
                kept.append(case_id)
                continue
            holder = picker.pick(region)
            picker.add(holder, Decimal(amount or 0))
            chosen[holder.id].append((case_id, previous))
        _write(session, stage, chosen, kept, picker, by, run)
    session.expire_all()
    return run


def _write(session, stage, chosen, kept, picker, by, run) -> None:
    now = utcnow()
    for start in range(0, len(kept), CHUNK):
        session.execute(update(Case).where(Case.id.in_(kept[start:start + CHUNK])).values(needs_assignment=False)
                        .execution_options(synchronize_session=False))
    run.kept += len(kept)
    history = []
    for collector_id, cases in chosen.items():
        ids = [case_id for case_id, _ in cases]
        for start in range(0, len(ids), CHUNK):
            session.execute(update(Case).where(Case.id.in_(ids[start:start + CHUNK]))
                            .values(collector_id=collector_id, assigned_at=now, needs_assignment=False)
                            .execution_options(synchronize_session=False))
        name = picker.holders[collector_id].username
        run.assigned[name] += len(cases)
        for case_id, previous in cases:
            history.append({"case_id": case_id, "collector_id": collector_id, "previous_id": previous,
                            "stage": stage, "reason": "new" if previous is None else "restaged",
                            "assigned_by": by, "assigned_at": now})
            record_event(session, "case_assigned", "collections.case", case_id,
                         {"collector": name, "previous_id": previous, "stage": stage,
                          "reason": "new" if previous is None else "restaged"})
    if history:
        session.execute(insert(Assignment.__table__), history)


# -- by hand ---------------------------------------------------------------------------------

def team(session) -> list[User]:
    """Users holding at least one active queue: the people cases can be given to."""
    ids = select(CollectorQueue.collector_id).where(CollectorQueue.active.is_(True))
    return list(session.scalars(select(User).where(User.id.in_(ids), User.active.is_(True)).order_by(User.username)))


def reassign(session, case: Case, collector_id, reason: str = "manual") -> Case:
    """A supervisor gives an open case to another collector of the team."""
    if not case.is_open:
        raise UserError(f"Case {case.id} is {case.status}; only open cases are reassigned.", "collector_id")
    try:
        collector_id = int(collector_id)
    except (TypeError, ValueError):
        raise UserError("Choose the collector to give the case to.", "collector_id") from None
    member = next((u for u in team(session) if u.id == collector_id), None)
    if member is None:
        raise UserError("That user holds no collector queue; give them a queue on the Collectors screen first.",
                        "collector_id")
    if member.id == case.collector_id:
        raise UserError(f"Case {case.id} is already assigned to {member.username}.", "collector_id")
    previous = case.collector_id
    case.collector_id, case.assigned_at, case.needs_assignment = member.id, utcnow(), False
    session.add(Assignment(case_id=case.id, collector_id=member.id, previous_id=previous, stage=case.stage,
                           reason=reason, assigned_by=current_actor(session).name[:100], assigned_at=utcnow()))
    record_event(session, "case_assigned", "collections.case", case.id,
                 {"collector": member.username, "previous_id": previous, "stage": case.stage, "reason": reason})
    session.flush()
    return case


def release_cases(session, collector: User) -> int:
    """Return a collector's open cases to the pool (they leave, or change team): the next run reassigns them."""
    stages = dict(session.execute(select(Case.id, Case.stage).where(Case.collector_id == collector.id,
                                                                    Case.status.in_(OPEN_STATUSES))).all())
    ids = sorted(stages)
    if not ids:
        raise UserError(f"{collector.username} has no open cases.", "collector_id")
    by, now = current_actor(session).name[:100], utcnow()
    for start in range(0, len(ids), CHUNK):
        session.execute(update(Case).where(Case.id.in_(ids[start:start + CHUNK]))
                        .values(collector_id=None, needs_assignment=True)
                        .execution_options(synchronize_session=False))
    session.execute(insert(Assignment.__table__), [
        {"case_id": i, "collector_id": None, "previous_id": collector.id, "stage": stages[i],
         "reason": "released", "assigned_by": by, "assigned_at": now} for i in ids])
    record_event(session, "cases_released", "core.user", collector.id, {"cases": len(ids)})
    session.expire_all()
    return len(ids)


def set_queues(session, collector: User, stages) -> list[str]:
    """Make ``collector`` hold exactly ``stages``' queues (rows are kept, deactivated, for the history)."""
    wanted = set(stages or ())
    unknown = wanted - set(STAGES)
    if unknown:
        raise UserError(f"Unknown stage {', '.join(sorted(unknown))}; choose among {', '.join(STAGES)}.", "stages")
    existing = {q.stage: q for q in session.scalars(select(CollectorQueue)
                                                    .where(CollectorQueue.collector_id == collector.id))}
    for stage in STAGES:
        queue = existing.get(stage)
        if stage in wanted and queue is None:
            session.add(CollectorQueue(collector_id=collector.id, stage=stage, active=True))
        elif queue is not None and queue.active != (stage in wanted):
            queue.active = stage in wanted
    session.flush()
    return [s for s in STAGES if s in wanted]


def queues_of(session, user_ids) -> dict[int, list[str]]:
    out: dict[int, list[str]] = defaultdict(list)
    for uid, stage in session.execute(select(CollectorQueue.collector_id, CollectorQueue.stage)
                                      .where(CollectorQueue.collector_id.in_(list(user_ids)),
                                             CollectorQueue.active.is_(True))):
        out[uid].append(stage)
    return {uid: sorted(stages, key=STAGES.index) for uid, stages in out.items()}

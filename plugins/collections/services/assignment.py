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
``INSERT ... SELECT`` into the assignment history and one ``UPDATE`` of the
cases for the whole stage on PostgreSQL (the case → collector mapping as two
array parameters), chunks per collector on SQLite.

Every assignment is recorded: a row of ``collections_assignment`` per case
(shown in the case's history) and, in the hash-chained audit log, one
``cases_assigned`` event per collector and stage naming every case — one
audit row per case would cost more than the assignment itself at 100,000
cases. A reassignment by hand is one ORM change, audited like any other.
"""
from __future__ import annotations

import heapq
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import case as sql_case
from sqlalchemy import func, insert, literal, select, update

from core.audit import current_actor, record_event
from core.errors import UserError
from core.models.meta import utcnow
from core.models.user import User
from core.money import ZERO
from plugins.collections.i18n import _, _n, word
from plugins.collections.models import OPEN_STATUSES, STAGES, Assignment, Case, CollectorQueue
from plugins.collections.services import bulk


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
        from core.formatting import current

        fmt = current()
        total = sum(self.assigned.values())
        spread = ", ".join(f"{name} {fmt.number(n)}" for name, n in sorted(self.assigned.items())) \
            or fmt.translate(_("nobody"))
        parts = [_n("${n} case assigned (${spread})", "${n} cases assigned (${spread})", total,
                    mapping={"spread": spread}),
                 _n("${n} re-staged case kept its collector", "${n} re-staged cases kept their collector", self.kept)]
        if self.unassigned:
            waiting = ", ".join(_n("${stage} (${n} case waiting)", "${stage} (${n} cases waiting)", n,
                                   mapping={"stage": fmt.label(stage, "collections")})
                                for stage, n in self.unassigned.items())
            parts.append(fmt.translate(_("no collector holds the queue of ${stages}", mapping={"stages": waiting})))
        return "; ".join(parts)


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
        planned = _plan_stage(session, stage, run)
        if planned is not None:
            chosen, kept, picker = planned
            _write(session, stage, chosen, kept, _names(picker), by, run)
    session.expire_all()
    return run


def _plan_stage(session, stage: str, run: AssignRun, moved: dict | None = None):
    """(chosen, kept, picker) for one stage, or None; ``moved``: load changes planned but not yet written."""
    waiting = session.execute(
        select(Case.id, Case.overdue_amount, Case.region, Case.collector_id)
        .where(Case.status.in_(OPEN_STATUSES), Case.needs_assignment.is_(True), Case.stage == stage)
        .order_by(Case.overdue_amount.desc(), Case.id)).all()
    if not waiting:
        return None
    team = holders(session, stage)
    if not team:
        run.unassigned[stage] = len(waiting)
        return None
    for holder in team:  # as if the earlier stages' plans were written (the single path writes each stage first)
        amount, count = (moved or {}).get(holder.id, (ZERO, 0))
        holder.amount += amount
        holder.count += count
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
        if moved is not None:
            for who, sign in ((holder.id, 1), (previous, -1)):
                if who is not None:
                    was_amount, was_count = moved.get(who, (ZERO, 0))
                    moved[who] = (was_amount + sign * Decimal(amount or 0), was_count + sign)
    return chosen, kept, picker


def _names(picker: Picker) -> dict[int, str]:
    return {holder_id: holder.username for holder_id, holder in picker.holders.items()}


# -- chunked (the assign_cases job; docs/jobs.md "Chunked jobs") -----------------------------
# The choices are made once, in the planning run, exactly as above; chunks of at most ``size``
# cases write them, each in its own transaction, and only for cases still waiting (a case given
# to someone by hand meanwhile, or written by an earlier copy of the chunk, is left alone).

def plan_assignment(session, size: int) -> tuple[list[dict], AssignRun]:
    """The chunks' args (stage, [case, collector, previous] triples, kept cases) and what could not be assigned."""
    run = AssignRun()
    moved: dict[int, tuple[Decimal, int]] = {}
    chunks: list[dict] = []
    for stage in STAGES:
        planned = _plan_stage(session, stage, run, moved)
        if planned is None:
            continue
        chosen, kept, picker = planned
        triples = [(case_id, collector_id, previous)
                   for collector_id, cases in chosen.items() for case_id, previous in cases]
        names = _names(picker)
        for start in range(0, max(len(triples), len(kept)), size):
            part = triples[start:start + size]
            chunks.append({"stage": stage, "assign": part, "kept": kept[start:start + size],
                           "names": {str(who): names[who] for who in {t[1] for t in part}}})
    return chunks, run


def assign_chunk(session, args: dict) -> dict:
    """Write one chunk of the plan: ``{"assigned": {username: n}, "kept": n}``."""
    C = Case.__table__
    stage = args["stage"]
    planned = [int(t[0]) for t in args["assign"]] + [int(i) for i in args["kept"]]
    waiting = set()
    for chunk in bulk.id_chunks(session, planned):
        waiting.update(session.scalars(select(C.c.id).where(bulk.in_ids(session, C.c.id, chunk),
                                                            C.c.needs_assignment.is_(True), C.c.stage == stage,
                                                            C.c.status.in_(OPEN_STATUSES))))
    chosen: dict[int, list] = defaultdict(list)
    for case_id, collector_id, previous in args["assign"]:
        if case_id in waiting:
            chosen[int(collector_id)].append((int(case_id), previous))
    kept = [i for i in args["kept"] if i in waiting]
    run = AssignRun()
    names = {int(who): name for who, name in args["names"].items()}
    _write(session, stage, chosen, kept, names, current_actor(session).name[:100], run)
    session.expire_all()
    return {"assigned": dict(run.assigned), "kept": run.kept}


def finish_assignment(results: list[dict], unassigned: dict) -> AssignRun:
    run = AssignRun(unassigned=dict(unassigned))
    for result in results:
        for name, count in result.get("assigned", {}).items():
            run.assigned[name] += count
        run.kept += result.get("kept", 0)
    return run


def _write(session, stage, chosen, kept, names: dict[int, str], by, run) -> None:
    now = utcnow()
    C = Case.__table__
    for chunk in bulk.id_chunks(session, kept):
        session.execute(update(C).where(bulk.in_ids(session, C.c.id, chunk)).values(needs_assignment=False))
    run.kept += len(kept)
    history = ["case_id", "collector_id", "previous_id", "stage", "reason", "assigned_by", "assigned_at"]
    reason = sql_case((C.c.collector_id.is_(None), "new"), else_="restaged")
    # The history is written first: it reads each case's previous collector before the update.
    if bulk.is_postgresql(session):  # the whole stage in two statements, the mapping as two arrays
        ids = [case_id for cases in chosen.values() for case_id, _ in cases]
        who = [collector_id for collector_id, cases in chosen.items() for _ in cases]
        mapping = bulk.pairs(ids, who)
        session.execute(insert(Assignment.__table__).from_select(history, select(
            C.c.id, mapping.c.value, C.c.collector_id, C.c.stage, reason, literal(by), literal(now))
            .select_from(C.join(mapping, mapping.c.id == C.c.id))))
        mapping = bulk.pairs(ids, who)
        session.execute(update(C).where(C.c.id == mapping.c.id).values(
            collector_id=mapping.c.value, assigned_at=now, needs_assignment=False))
    else:
        for collector_id, cases in chosen.items():
            for chunk in bulk.id_chunks(session, [case_id for case_id, _ in cases]):
                these = bulk.in_ids(session, C.c.id, chunk)
                session.execute(insert(Assignment.__table__).from_select(history, select(
                    C.c.id, literal(collector_id), C.c.collector_id, C.c.stage, reason, literal(by),
                    literal(now)).where(these)))
                session.execute(update(C).where(these).values(collector_id=collector_id, assigned_at=now,
                                                              needs_assignment=False))
    for collector_id, cases in chosen.items():
        name = names[collector_id]
        run.assigned[name] += len(cases)
        # One audit event per collector and stage, naming every case: the chain covers each assignment
        # without a row per case (the history table holds that, and the case page shows it).
        restaged = sum(1 for _, previous in cases if previous is not None)
        record_event(session, "cases_assigned", "core.user", collector_id,
                     {"collector": name, "stage": stage, "new": len(cases) - restaged, "restaged": restaged,
                      "cases": sorted(case_id for case_id, _ in cases)})


# -- by hand ---------------------------------------------------------------------------------

def team(session) -> list[User]:
    """Users holding at least one active queue: the people cases can be given to."""
    ids = select(CollectorQueue.collector_id).where(CollectorQueue.active.is_(True))
    return list(session.scalars(select(User).where(User.id.in_(ids), User.active.is_(True)).order_by(User.username)))


def reassign(session, case: Case, collector_id, reason: str = "manual") -> Case:
    """A supervisor gives an open case to another collector of the team."""
    if not case.is_open:
        raise UserError(_("Case ${id} is ${status}; only open cases are reassigned.",
                          mapping={"id": case.id, "status": word(case.status)}), "collector_id")
    try:
        collector_id = int(collector_id)
    except (TypeError, ValueError):
        raise UserError(_("Choose the collector to give the case to."), "collector_id") from None
    member = next((u for u in team(session) if u.id == collector_id), None)
    if member is None:
        raise UserError(_("That user holds no collector queue; give them a queue on the Collectors screen first."),
                        "collector_id")
    if member.id == case.collector_id:
        raise UserError(_("Case ${id} is already assigned to ${user}.", mapping={"id": case.id,
                                                                               "user": member.username}),
                        "collector_id")
    previous = case.collector_id
    case.collector_id, case.assigned_at, case.needs_assignment = member.id, utcnow(), False
    session.add(Assignment(case_id=case.id, collector_id=member.id, previous_id=previous, stage=case.stage,
                           reason=reason, assigned_by=current_actor(session).name[:100], assigned_at=utcnow()))
    session.flush()  # the case's update (collector_id old → new) is audited like every ORM change
    return case


def release_cases(session, collector: User) -> int:
    """Return a collector's open cases to the pool (they leave, or change team): the next run reassigns them."""
    stages = dict(session.execute(select(Case.id, Case.stage).where(Case.collector_id == collector.id,
                                                                    Case.status.in_(OPEN_STATUSES))).all())
    ids = sorted(stages)
    if not ids:
        raise UserError(_("${user} has no open cases.", mapping={"user": collector.username}), "collector_id")
    by, now = current_actor(session).name[:100], utcnow()
    for chunk in bulk.id_chunks(session, ids):
        session.execute(update(Case.__table__).where(bulk.in_ids(session, Case.__table__.c.id, chunk))
                        .values(collector_id=None, needs_assignment=True))
    session.execute(insert(Assignment.__table__), [
        {"case_id": i, "collector_id": None, "previous_id": collector.id, "stage": stages[i],
         "reason": "released", "assigned_by": by, "assigned_at": now} for i in ids])
    record_event(session, "cases_released", "core.user", collector.id, {"collector": collector.username,
                                                                        "cases": ids})
    session.expire_all()
    return len(ids)


def set_queues(session, collector: User, stages) -> list[str]:
    """Make ``collector`` hold exactly ``stages``' queues (rows are kept, deactivated, for the history)."""
    wanted = set(stages or ())
    unknown = wanted - set(STAGES)
    if unknown:
        raise UserError(_("Unknown stage ${unknown}; choose among ${stages}.",
                          mapping={"unknown": ", ".join(sorted(unknown)),
                                   "stages": ", ".join(word(s) for s in STAGES)}), "stages")
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

"""Market development's reports: each a list of plain rows over a statement already narrowed by the
record rules (a representative's reports show their own records, a manager's their team's)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import case, extract, func, select

from core.models.user import User
from core.money import ZERO
from plugins.crm.models import Account, Commission, Opportunity
from plugins.crm.services import pipeline


def pipeline_by_stage(session, stmt) -> list[tuple]:
    """(stage, open count, amount, weighted) in stage order; open opportunities only."""
    order = {s.name: n for n, s in enumerate(pipeline.stages(session, active_only=False))}
    lines = pipeline.pipeline_by(session, stmt, lambda o: o.stage.name)
    return [(ln.key, ln.count, ln.amount, ln.weighted) for ln in sorted(lines, key=lambda ln: order.get(ln.key, 0))]


def pipeline_by_owner(session, stmt) -> list[tuple]:
    lines = pipeline.pipeline_by(session, stmt, lambda o: o.owner.username if o.owner else "—")
    return [(ln.key, ln.count, ln.amount, ln.weighted) for ln in sorted(lines, key=lambda ln: -ln.weighted)]


def won_lost_by_month(session, stmt, year: int) -> list[tuple]:
    """(month, won count, won amount, lost count) for each month of ``year`` (all twelve)."""
    sub = stmt.where(Opportunity.status.in_(("won", "lost")), Opportunity.closed_on >= date(year, 1, 1),
                     Opportunity.closed_on <= date(year, 12, 31)).subquery()
    month = extract("month", sub.c.closed_on)
    rows = session.execute(select(month, func.sum(case((sub.c.status == "won", 1), else_=0)),
                                  func.sum(case((sub.c.status == "won", sub.c.won_amount), else_=0)),
                                  func.sum(case((sub.c.status == "lost", 1), else_=0))).group_by(month)).all()
    found = {int(m): (int(w or 0), Decimal(a or 0).quantize(Decimal("0.01")), int(lost or 0)) for m, w, a, lost in rows}
    return [(f"{year}-{n:02d}", *found.get(n, (0, ZERO, 0))) for n in range(1, 13)]


def lost_by_reason(session, stmt) -> list[tuple]:
    sub = stmt.where(Opportunity.status == "lost").subquery()
    rows = session.execute(select(sub.c.lost_reason, func.count(), func.sum(sub.c.amount))
                           .group_by(sub.c.lost_reason).order_by(func.count().desc())).all()
    return [(reason, n, Decimal(total or 0)) for reason, n, total in rows]


def partner_volume(session, year: int) -> list[tuple]:
    """(partner, won opportunities, funded volume, commission accrued, clawed back, payable) in ``year``."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    won = {pid: (n, Decimal(v or 0)) for pid, n, v in session.execute(
        select(Opportunity.partner_id, func.count(), func.sum(Opportunity.won_amount))
        .where(Opportunity.status == "won", Opportunity.partner_id.is_not(None),
               Opportunity.closed_on >= start, Opportunity.closed_on <= end).group_by(Opportunity.partner_id))}
    money = {}
    for pid, kind, total in session.execute(select(Commission.partner_id, Commission.kind, func.sum(Commission.amount))
                                            .where(Commission.booked_on >= start, Commission.booked_on <= end)
                                            .group_by(Commission.partner_id, Commission.kind)):
        money.setdefault(pid, {})[kind] = Decimal(total or 0)
    names = dict(session.execute(select(Account.id, Account.name).where(Account.kind == "partner")).all())
    out = []
    for pid in sorted(set(won) | set(money), key=lambda p: names.get(p, "")):
        count, volume = won.get(pid, (0, ZERO))
        accrued, clawed = money.get(pid, {}).get("accrual", ZERO), money.get(pid, {}).get("clawback", ZERO)
        out.append((names.get(pid, str(pid)), count, volume, accrued, clawed, accrued + clawed))
    return out


def activities_per_person(session, stmt, today: date) -> list[tuple]:
    """(person, planned, done, cancelled, overdue, planned minutes of done ones, actual minutes)."""
    sub = stmt.subquery()
    rows = session.execute(
        select(User.username,
               func.sum(case((sub.c.status == "planned", 1), else_=0)),
               func.sum(case((sub.c.status == "done", 1), else_=0)),
               func.sum(case((sub.c.status == "cancelled", 1), else_=0)),
               func.sum(case(((sub.c.status == "planned") & (sub.c.planned_on < today), 1), else_=0)),
               func.sum(case((sub.c.status == "done", sub.c.planned_minutes), else_=0)),
               func.sum(func.coalesce(sub.c.actual_minutes, 0)))
        .join(User, User.id == sub.c.owner_id).group_by(User.username).order_by(User.username)).all()
    return [(name, *(int(v or 0) for v in values)) for name, *values in rows]


__all__ = ["activities_per_person", "lost_by_reason", "partner_volume", "pipeline_by_owner",
           "pipeline_by_stage", "won_lost_by_month"]

"""Legal's figures for the dashboard and the reports: a few grouped queries each."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from plugins.legal.models import Body, Contract, Matter, MatterEvent, MatterRecovery, SealUse
from plugins.legal.services.matters import OPEN_STATUSES


def dashboard_counts(session, today: date, matter_filter=None) -> dict:
    week_end = today + timedelta(days=7)
    live = session.execute(select(Contract.end_date, Contract.notice_days).where(
        Contract.status == "active", Contract.renewal_type != "none", Contract.notice_given_on.is_(None),
        Contract.end_date >= today, Contract.end_date <= today + timedelta(days=3650 + 30))).all()
    notices = sum(1 for end, days in live if today <= end - timedelta(days=days or 0) <= today + timedelta(days=30))
    hearings = select(func.count(MatterEvent.id)).join(Matter).where(
        MatterEvent.kind == "hearing", MatterEvent.due_on >= today, MatterEvent.due_on < week_end,
        Matter.status.in_(OPEN_STATUSES))
    if matter_filter is not None:
        hearings = hearings.where(matter_filter)
    return {
        "in_review": session.scalar(select(func.count(Contract.id)).where(Contract.status == "in_review")),
        "notices_due": notices,
        "hearings_week": session.scalar(hearings),
        "seals_out": session.scalar(select(func.count(SealUse.id)).where(SealUse.taken_out.is_(True),
                                                                          SealUse.returned_on.is_(None))),
        "seals_overdue": session.scalar(select(func.count(SealUse.id)).where(
            SealUse.taken_out.is_(True), SealUse.returned_on.is_(None), SealUse.return_due < today)),
    }


def matters_by_status_and_body(session, matter_filter=None) -> list[tuple[str, str, int]]:
    stmt = select(Matter.status, func.coalesce(Body.kind, "none"), func.count(Matter.id)) \
        .outerjoin(Body, Body.id == Matter.body_id).group_by(Matter.status, Body.kind)
    if matter_filter is not None:
        stmt = stmt.where(matter_filter)
    return [tuple(row) for row in session.execute(stmt)]


def recovered_by_month(session, months: list[date]) -> list[tuple[date, object]]:
    start = months[0]
    rows = session.execute(select(MatterRecovery.paid_on, MatterRecovery.amount)
                           .where(MatterRecovery.paid_on >= start)).all()
    totals: dict[date, object] = {}
    for paid_on, amount in rows:
        key = paid_on.replace(day=1)
        totals[key] = totals.get(key, 0) + amount
    return sorted(totals.items())


def expiries_by_month(session, months: list[date]) -> list[tuple[date, int]]:
    end = months[-1].replace(day=28) + timedelta(days=4)
    rows = session.scalars(select(Contract.end_date).where(Contract.status.in_(("signed", "active")),
                                                           Contract.end_date >= months[0], Contract.end_date < end))
    counts: dict[date, int] = {}
    for day in rows:
        counts[day.replace(day=1)] = counts.get(day.replace(day=1), 0) + 1
    return sorted(counts.items())

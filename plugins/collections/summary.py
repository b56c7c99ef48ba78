"""Open cases and their overdue amount per stage, maintained (core.summaries) for the dashboard.

Kept exact by the flush listener (cases opened, restaged, resolved, refreshed one by one) and
recounted after the daily sync, whose opening and amount refresh are Core statements. Users who see
every case (``collections.case.view_all``) read it; a collector's widget still counts their own
cases (the record rule), a small indexed query.
"""
from __future__ import annotations

from sqlalchemy import func, select

from core import summaries
from core.money import money
from plugins.collections.models import OPEN_STATUSES, STAGES, Case, CollectionsSummary


def _totals(session, ids=None) -> summaries.Totals:
    stmt = (select(Case.stage, func.count(Case.id), func.sum(Case.overdue_amount))
            .where(Case.status.in_(OPEN_STATUSES)).group_by(Case.stage))
    if ids is not None:
        stmt = stmt.where(Case.id.in_(sorted(ids)))
    return {("stage", stage): (int(n), money(total or 0), money(0)) for stage, n, total in session.execute(stmt)}


SUMMARY = summaries.register(summaries.Summary(
    table=CollectionsSummary.__table__,
    contributions=lambda session, ids: _totals(session, ids),
    recount=lambda session: _totals(session),
    keys=lambda session: [("stage", s) for s in STAGES],
    watch={Case: lambda o: {o.id}},
))


def by_stage(session) -> dict[str, tuple[int, object]]:
    """stage -> (open cases, overdue amount), every stage present."""
    kept = summaries.read(session, SUMMARY)
    return {stage: kept.get(("stage", stage), (0, money(0), money(0)))[:2] for stage in STAGES}


def recount_if_counted(session) -> None:
    summaries.recount_if_counted(session, SUMMARY)

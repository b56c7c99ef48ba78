"""Collections' dashboard widgets: my queue today, and the overdue amount by stage."""
from __future__ import annotations

from sqlalchemy import func, select

from core.security import apply_record_rules
from core.web.charts import bar_chart
from core.web.menu import Widget
from plugins.collections.models import OPEN_STATUSES, STAGES, Case
from plugins.collections.services import config, queue


def widgets(request) -> list[Widget]:
    out = []
    if not request.has_permission("collections.case.view"):
        return out
    session = request.dbsession
    today = config.today(session)
    counts = queue.today_counts(session, request.user.id, today)
    out.append(Widget("My collection queue today", "collections.case.view", rows=[
        ("Open cases", counts["cases"]),
        ("Promises due today", counts["promises_today"]),
        ("Action items due", counts["items_due"]),
        ("Cases with broken promises", counts["broken"]),
        ("Overdue amount", f"{counts['overdue']:,.2f}"),
    ], link=request.route_url("collections.queue"), order=300))
    # Collectors see their own cases' figures, supervisors everybody's (the same record rule as the lists).
    stmt = apply_record_rules(request, select(Case.stage, func.count(Case.id), func.sum(Case.overdue_amount))
                              .where(Case.status.in_(OPEN_STATUSES)).group_by(Case.stage), Case)
    found = {stage: (n, total or 0) for stage, n, total in session.execute(stmt)}
    rows = [(stage, *found.get(stage, (0, 0))) for stage in STAGES]
    out.append(Widget("Overdue amount by stage", "collections.case.view",
                      chart=bar_chart([(stage, total) for stage, _n, total in rows], value_width=90,
                                      title="Overdue amount of open cases by stage"),
                      rows=[(f"{stage}: cases", n) for stage, n, _total in rows],
                      link=request.route_url("collections.cases", _query={"status": "open_any"}), order=301))
    return out

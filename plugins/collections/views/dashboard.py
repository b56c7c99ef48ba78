"""Collections' dashboard widgets: my queue today, and the overdue amount by stage."""
from __future__ import annotations

from sqlalchemy import and_, func, select

from core.formatting import for_request
from core.security import apply_record_rules
from core.web.charts import bar_chart, last_months, months_table, time_series
from core.web.menu import Widget
from plugins.collections import summary
from plugins.collections.i18n import _
from plugins.collections.models import OPEN_STATUSES, STAGES, Case, Recovery
from plugins.collections.services import config, queue


def widgets(request) -> list[Widget]:
    out = []
    if not request.has_permission("collections.case.view"):
        return out
    session = request.dbsession
    today = config.today(session)
    counts = queue.today_counts(session, request.user.id, today)
    fmt = for_request(request)
    out.append(Widget(_("My collection queue today"), "collections.case.view", rows=[
        (_("Open cases"), fmt.number(counts["cases"])),
        (_("Promises due today"), fmt.number(counts["promises_today"])),
        (_("Action items due"), fmt.number(counts["items_due"])),
        (_("Cases with broken promises"), fmt.number(counts["broken"])),
        (_("Overdue amount"), fmt.money(counts["overdue"])),
    ], link=request.route_url("collections.queue"), order=300))
    # Collectors see their own cases' figures, supervisors everybody's (the same record rule as the lists):
    # everybody's come from the maintained summary (plugins.collections.summary), not a scan of the cases.
    if request.has_permission("collections.case.view_all"):
        found = summary.by_stage(session)
    else:
        stmt = apply_record_rules(request, select(Case.stage, func.count(Case.id), func.sum(Case.overdue_amount))
                                  .where(Case.status.in_(OPEN_STATUSES)).group_by(Case.stage), Case)
        found = {stage: (n, total or 0) for stage, n, total in session.execute(stmt)}
    rows = [(stage, *found.get(stage, (0, 0))) for stage in STAGES]
    out.append(Widget(_("Overdue amount by stage"), "collections.case.view",
                      chart=bar_chart([(fmt.label(stage, "collections"), total) for stage, _count, total in rows],
                                      value_width=90,
                                      title=fmt.translate(_("Overdue amount of open cases by stage"))),
                      rows=[(_("${stage}: cases", mapping={"stage": fmt.label(stage, "collections")}), fmt.number(n))
                            for stage, n, _total in rows],
                      link=request.route_url("collections.cases", _query={"status": "open_any"}), order=301))
    months = last_months(today, 12)
    out.append(Widget(_("Recovered by stage per month"), "collections.case.view",
                      chart=time_series({fmt.label(stage, "collections"): points
                                         for stage, points in recovered_by_month(request, months).items()},
                                        months=months, kind="money", stacked=True,
                                        title=fmt.translate(_("Money recovered each month, by the case's stage"))),
                      link=request.route_url("collections.reports"), order=302))
    return out


def recovered_by_month(request, months) -> dict[str, list]:
    """Recoveries per month and stage, in one query; a collector sees their own cases' (the record rule)."""
    table = months_table(months)
    stmt = apply_record_rules(request, select(table.c.month, Recovery.stage, func.sum(Recovery.amount))
                              .join(Recovery, and_(Recovery.paid_on >= table.c.month, Recovery.paid_on < table.c.next))
                              .join(Case, Case.id == Recovery.case_id)
                              .group_by(table.c.month, Recovery.stage), Case)
    out: dict[str, list] = {stage: [] for stage in STAGES}
    for month, stage, amount in request.dbsession.execute(stmt):
        out.setdefault(stage, []).append((month, amount or 0))
    return out

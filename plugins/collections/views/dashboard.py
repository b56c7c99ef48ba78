"""Collections' dashboard widgets: my queue today, and the overdue amount by stage."""
from __future__ import annotations

from sqlalchemy import func, select

from core.formatting import for_request
from core.security import apply_record_rules
from core.web.charts import bar_chart
from core.web.menu import Widget
from plugins.collections.i18n import _
from plugins.collections.models import OPEN_STATUSES, STAGES, Case
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
    # Collectors see their own cases' figures, supervisors everybody's (the same record rule as the lists).
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
    return out

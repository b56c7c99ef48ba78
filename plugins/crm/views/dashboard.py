"""crm's dashboard widgets: my pipeline and activities, and the open pipeline by stage (chart)."""
from __future__ import annotations

from sqlalchemy import func, select

from core import context
from core.formatting import for_request
from core.security import apply_record_rules, restricted_query
from core.web.charts import bar_chart
from core.web.menu import Widget
from plugins.crm.i18n import _
from plugins.crm.models import Activity, Opportunity
from plugins.crm.services import activities, reports


def widgets(request) -> list[Widget]:
    if not request.has_permission("crm.account.view"):
        return []
    session, fmt = request.dbsession, for_request(request)
    today = context.today(session)
    by_stage = reports.pipeline_by_stage(session, restricted_query(request, Opportunity))
    due = session.execute(apply_record_rules(request, select(
        func.count(Activity.id)).where(Activity.owner_id == request.user.id, Activity.status == "planned",
                                       Activity.planned_on <= today), Activity)).scalar_one()
    overdue = session.execute(apply_record_rules(request, select(func.count(Activity.id)).where(
        Activity.owner_id == request.user.id, activities.overdue_condition(today)), Activity)).scalar_one()
    weighted = sum((line[3] for line in by_stage), 0)
    return [
        Widget(_("Pipeline"), "crm.account.view",
               chart=bar_chart([(line[0], line[3]) for line in by_stage], value_width=90,
                               title=fmt.translate(_("Weighted amount of open opportunities by stage"))),
               rows=[(_("Open opportunities"), fmt.number(sum(line[1] for line in by_stage))),
                     (_("Open amount"), fmt.money(sum((line[2] for line in by_stage), 0))),
                     (_("Weighted pipeline"), fmt.money(weighted))],
               link=request.route_url("crm.board"), order=400),
        Widget(_("My activities"), "crm.account.view",
               rows=[(_("Planned up to today"), fmt.number(due)), (_("Overdue"), fmt.number(overdue))],
               link=request.route_url("crm.calendar"), order=401),
    ]

"""Dashboard widgets: my open tickets, SLA at risk, CSAT this month."""
from __future__ import annotations

from datetime import UTC, datetime, time

from sqlalchemy import func, select

from core import context
from core.web.charts import bar_chart
from core.web.menu import Widget
from plugins.service.i18n import _, word
from plugins.service.models import ACTIVE, Survey, Ticket
from plugins.service.services.surveys import csat


def widgets(request) -> list[Widget]:
    if not request.has_permission("service.ticket.view"):
        return []
    session = request.dbsession
    mine = dict(session.execute(select(Ticket.status, func.count()).where(
        Ticket.assignee_id == request.user.id, Ticket.status.in_(ACTIVE)).group_by(Ticket.status)).all())
    sla = dict(session.execute(select(Ticket.sla_state, func.count()).where(Ticket.status.in_(ACTIVE))
                               .group_by(Ticket.sla_state)).all())
    month = datetime.combine(context.today(session).replace(day=1), time(), UTC)
    scores = session.scalars(select(Survey.score).where(Survey.kind == "csat", Survey.score.is_not(None),
                                                        Survey.answered_at >= month)).all()
    score = csat(list(scores))
    tickets = request.route_url("service.tickets")
    out = [
        Widget(_("My open tickets"), "service.ticket.view",
               rows=[(word(s), mine.get(s, 0)) for s in ACTIVE], link=tickets + "?mine=yes&status=active", order=40),
        Widget(_("Service levels"), "service.ticket.view",
               chart=bar_chart([(word(s), sla.get(s, 0)) for s in ("on_track", "at_risk", "breached", "paused")],
                               title=_("Active tickets by SLA")),
               rows=[(word("at_risk"), sla.get("at_risk", 0)), (word("breached"), sla.get("breached", 0))],
               link=tickets + "?sla=at_risk", order=41),
        Widget(_("CSAT this month"), "service.report.view",
               rows=[(_("Satisfied (4–5)"), "—" if score.value is None else f"{score.value} %"),
                     (_("Answers"), score.answers)],
               link=request.route_url("service.reports"), order=42),
    ]
    return out

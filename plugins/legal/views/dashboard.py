"""Legal's dashboard widgets: contracts in review, notices due, hearings this week, seals out; matters chart."""
from __future__ import annotations

from core.formatting import for_request
from core.web.charts import bar_chart
from core.web.menu import Widget
from plugins.legal.i18n import _
from plugins.legal.services import reports


def _matter_filter(request):
    from plugins.legal.models import Matter

    if request.has_permission("legal.matter.view_all"):
        return None
    return Matter.lawyer_id == request.user.id


def widgets(request) -> list[Widget]:
    from core import context

    if not (request.has_permission("legal.contract.view") or request.has_permission("legal.seal.view")):
        return []
    session, fmt = request.dbsession, for_request(request)
    today = context.today(session)
    counts = reports.dashboard_counts(session, today, _matter_filter(request))
    out = [Widget(_("Legal today"), "legal.contract.view", rows=[
        (_("Contracts in review"), fmt.number(counts["in_review"])),
        (_("Notice deadlines in the next 30 days"), fmt.number(counts["notices_due"])),
        (_("Hearings this week"), fmt.number(counts["hearings_week"])),
        (_("Seals out of the office"), fmt.number(counts["seals_out"])),
        (_("Seals overdue"), fmt.number(counts["seals_overdue"])),
    ], link=request.route_url("legal.contracts", _query={"status": "in_review"}), order=400)]
    if request.has_permission("legal.matter.view"):
        rows = reports.matters_by_status_and_body(session, _matter_filter(request))
        by_status: dict[str, int] = {}
        for status, _kind, n in rows:
            by_status[status] = by_status.get(status, 0) + n
        out.append(Widget(_("Matters by status"), "legal.matter.view",
                          chart=bar_chart([(fmt.label(s, "legal"), n) for s, n in by_status.items()],
                                          title=fmt.translate(_("Litigation and arbitration matters by status"))),
                          link=request.route_url("legal.matters"), order=401))
    return out

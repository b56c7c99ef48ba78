"""Legal's reports: matters by status and body, recovery from litigation, contract expiries; limitation periods."""
from __future__ import annotations

import csv
import io

from pyramid.response import Response
from pyramid.view import view_config

from core import context
from core.formatting import for_request
from core.web import parsing
from core.web.charts import last_months, stacked_bars, time_series
from plugins.legal.i18n import _
from plugins.legal.models import MATTER_STATUSES
from plugins.legal.services import limitation, reports
from plugins.legal.views.common import TEMPLATES


@view_config(route_name="legal.reports", renderer=TEMPLATES + "report.pt", permission="legal.report.view")
def report_page(request):
    session, fmt = request.dbsession, for_request(request)
    today = context.today(session)
    rows = reports.matters_by_status_and_body(session)
    kinds = sorted({kind for _s, kind, _n in rows})
    series = {fmt.label(kind, "legal"): [sum(n for s, k, n in rows if s == status and k == kind)
                                         for status in MATTER_STATUSES] for kind in kinds}
    months = last_months(today, 12)
    ahead = [m.replace(year=m.year + 1) for m in months]
    charts = [
        stacked_bars([fmt.label(s, "legal") for s in MATTER_STATUSES], series, kind="number",
                     title=fmt.translate(_("Matters by status and body"))),
        time_series({fmt.translate(_("Recovered")): reports.recovered_by_month(session, months)}, months=months,
                    title=fmt.translate(_("Recovery from litigation per month"))),
        time_series({fmt.translate(_("Contracts")): reports.expiries_by_month(session, ahead)}, months=ahead,
                    kind="number", stacked=True, title=fmt.translate(_("Contract expiries by month"))),
    ]
    return {"title": _("Legal reports"), "charts": charts, "table": None, "days": None}


@view_config(route_name="legal.limitation", renderer=TEMPLATES + "report.pt", permission="legal.report.view")
def limitation_page(request):
    session, fmt = request.dbsession, for_request(request)
    days = parsing.parse_int(request.GET.get("days") or "90", "days", minimum=1, maximum=3650)
    claims = limitation.expiring(session, context.today(session), days)
    head = [_("Loan"), _("Customer"), _("Installment"), _("Due"), _("Time-barred on"), _("Outstanding")]
    if request.GET.get("format") == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["loan", "customer", "installment", "due_date", "barred_on", "outstanding"])
        for c in claims:
            writer.writerow([c.loan_id, c.customer, c.installment, c.due_date.isoformat(), c.barred_on.isoformat(),
                             str(c.outstanding)])
        return Response(out.getvalue(), content_type="text/csv",
                        content_disposition='attachment; filename="legal-limitation.csv"')
    rows = [[str(c.loan_id), c.customer, str(c.installment), fmt.date(c.due_date), fmt.date(c.barred_on),
             fmt.money(c.outstanding)] for c in claims]
    return {"title": _("Claims becoming time-barred"), "charts": [], "days": days,
            "table": {"head": head, "rows": rows, "empty": _("No claim becomes time-barred in that period.")}}

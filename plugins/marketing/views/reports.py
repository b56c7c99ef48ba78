"""The return report: CAC, ROI and ROAS per campaign or channel under a chosen model, with CSV."""
from __future__ import annotations

import csv
import io
from datetime import date

from pyramid.response import Response
from pyramid.view import view_config

from core.audit import record_event
from core.formatting import for_request
from core.web.charts import bar_chart
from plugins.marketing.i18n import _
from plugins.marketing.models import MODELS
from plugins.marketing.services import promotions, reports, today
from plugins.marketing.views.campaigns import TEMPLATES, period
from plugins.marketing.views.lists import label

COLUMNS = ("name", "detail", "cost", "clicks", "verified", "funded", "margin", "investors", "invested", "cac", "roi",
           "roas")


@view_config(route_name="marketing.report", renderer=TEMPLATES + "report.pt", permission="marketing.report.view")
def report(request):
    session = request.dbsession
    end = today(session)
    start, end = period(request, date(end.year - 1, end.month, 1) if end.month < 12 else date(end.year, 1, 1), end)
    model = request.params.get("model") if request.params.get("model") in MODELS else "linear"
    by = "channel" if request.params.get("by") == "channel" else "campaign"
    rows = reports.performance(session, model, start, end, by)
    if request.params.get("format") == "csv":
        return _csv(request, rows, model, by, start, end)
    fmt = for_request(request)
    shown = [r for r in rows if r["cost"] or r["funded"] or r["clicks"]]
    chart = bar_chart([(r["name"], r["cac"]) for r in shown if r["cac"] is not None][:15], value_width=90,
                      title=fmt.translate(_("Customer acquisition cost (funded customers)")))
    usage = bar_chart(promotions.usage_by_promotion(session, start, end)[:15], kind="number",
                      title=fmt.translate(_("Promotion uses in the period")))
    return {"title": _("Return by campaign"), "usage": usage, "rows": shown, "model": model, "by": by, "start": start, "end": end,
            "models": MODELS, "label": label, "chart": chart, "funnel": reports.funnel(session, start, end),
            "ratio": lambda v: "—" if v is None else fmt.percent(v, 1),
            "times": lambda v: "—" if v is None else fmt.number(v, 2),
            "share": lambda v: fmt.number(v, 2)}


def _csv(request, rows, model, by, start, end) -> Response:
    record_event(request.dbsession, "csv_export", "core.export", None,
                 {"list": "marketing-return", "filters": {"model": model, "by": by, "from": str(start), "to": str(end)}})
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["model", *COLUMNS])
    for row in rows:
        writer.writerow([model, *(_cell(row[c]) for c in COLUMNS)])
    response = Response(body=buf.getvalue().encode("utf-8"), content_type="text/csv", charset="utf-8")
    response.content_disposition = f'attachment; filename="marketing-return-{model}-{start}-{end}.csv"'
    return response


def _cell(value) -> str:
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "@") or (text[:1] == "-" and not text[1:].replace(".", "").isdigit()):
        return "'" + text  # spreadsheets run such cells as formulas; names come from users
    return text

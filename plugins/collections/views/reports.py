"""Reports for supervisors: one page per report with an SVG chart, the table and a CSV export."""
from __future__ import annotations

import csv
import io

from pyramid.httpexceptions import HTTPNotFound
from pyramid.response import Response
from pyramid.view import view_config

from core.audit import record_event
from core.errors import UserError
from core.formatting import for_request
from core.web.charts import bar_chart, last_months, time_series
from plugins.collections.i18n import _, translated
from plugins.collections.services import config, reports
from plugins.collections.views.common import TEMPLATES


def _period(request) -> reports.Period:
    today = config.today(request.dbsession)
    try:
        return reports.Period.month(request.params.get("month") or None, today)
    except UserError:
        return reports.Period.month(None, today)


@view_config(route_name="collections.reports", renderer=TEMPLATES + "reports.pt",
             permission="collections.report.view")
def report_index(request):
    period = _period(request)
    return {"title": _("Collections reports"), "period": period,
            "reports": [(name, title) for name, (title, _fn) in reports.REPORTS.items()]}


@view_config(route_name="collections.report", renderer=TEMPLATES + "report.pt",
             permission="collections.report.view")
def report_page(request):
    name = request.matchdict["name"]
    if name not in reports.REPORTS:
        raise HTTPNotFound()
    period = _period(request)
    report = reports.build(request.dbsession, name, period, request.registry.settings or {})
    if request.params.get("format") == "csv":
        return csv_response(request, report, period)
    fmt = for_request(request)
    chart = bar_chart([(fmt.translate(label), value) for label, value in report.chart],
                      title=fmt.translate(report.chart_title), value_width=90) if report.chart else ""
    history = _recovery_history(request, period, fmt) if name == "recovery" else ""
    return {"title": report.title, "report": report, "period": period, "chart": chart, "history": history,
            "reports": [(n, t) for n, (t, _fn) in reports.REPORTS.items()],
            "heading": lambda column: translated(column, fmt.localizer),
            "cell": lambda value: fmt.percent(value, 1) if isinstance(value, reports.Percent) else fmt.cell(value)}


def _recovery_history(request, period, fmt) -> str:
    """The twelve months up to the report's: money recovered per month, stacked by stage."""
    from plugins.collections.views.dashboard import recovered_by_month

    months = last_months(period.start, 12)
    return time_series({fmt.label(stage, "collections"): points
                        for stage, points in recovered_by_month(request, months).items()},
                       months=months, kind="money", stacked=True, width=720, height=260,
                       title=fmt.translate(_("Money recovered each month, by the case's stage")))


def csv_response(request, report, period) -> Response:
    record_event(request.dbsession, "csv_export", "core.export", None,
                 {"list": f"collections-{report.name}", "filters": {"month": period.label}})
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow([_cell(c) for c in report.columns])
    for row in report.rows:
        writer.writerow([_cell(v) for v in row])
    response = Response(body=buf.getvalue().encode("utf-8"), content_type="text/csv", charset="utf-8")
    response.content_disposition = f'attachment; filename="collections-{report.name}-{period.label}.csv"'
    return response


def _cell(value) -> str:
    """A CSV cell: locale-independent (a message in English with its values, a date in ISO, a plain number)."""
    interpolate = getattr(value, "interpolate", None)  # a TranslationString: its English text, values filled in
    text = "" if value is None else interpolate() if callable(interpolate) else str(value)
    # Spreadsheets run cells starting with = + - @ as formulas: defuse them (names come from users).
    if text[:1] in ("=", "+", "@") or (text[:1] == "-" and not text[1:].replace(".", "").isdigit()):
        return "'" + text
    return text

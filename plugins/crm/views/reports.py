"""Market development's reports: one page per report with its chart, table and CSV (``?format=csv``)."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from pyramid.httpexceptions import HTTPNotFound
from pyramid.response import Response
from pyramid.view import view_config

from core import context
from core.audit import record_event
from core.formatting import for_request
from core.security import restricted_query
from core.web.charts import bar_chart, stacked_bars
from plugins.crm.i18n import _
from plugins.crm.models import Activity, Opportunity
from plugins.crm.services import reports

REPORTS = (("pipeline", _("Pipeline by stage")), ("owners", _("Pipeline by owner")),
           ("won_lost", _("Won and lost by month")), ("reasons", _("Lost by reason")),
           ("partners", _("Partner volume and commissions")), ("activities", _("Activities per person")))


@dataclass
class Report:
    name: str
    title: str
    columns: list
    rows: list
    chart: str = ""
    kinds: list = field(default_factory=list)  # how each column is shown: text | number | money


def build(request, name: str, year: int) -> Report:
    session, fmt = request.dbsession, for_request(request)
    opportunities = restricted_query(request, Opportunity)
    title = dict(REPORTS)[name]
    if name in ("pipeline", "owners"):
        rows = (reports.pipeline_by_stage if name == "pipeline" else reports.pipeline_by_owner)(session, opportunities)
        chart = bar_chart([(r[0], r[3]) for r in rows], value_width=90, title=fmt.translate(
            _("Weighted amount of open opportunities")))
        return Report(name, title, [_("Stage") if name == "pipeline" else _("Owner"), _("Open"), _("Amount"),
                                    _("Weighted")], rows, chart, ["text", "number", "money", "money"])
    if name == "won_lost":
        rows = reports.won_lost_by_month(session, opportunities, year)
        chart = stacked_bars([r[0][5:] for r in rows], {fmt.translate(_("won")): [r[1] for r in rows],
                                                       fmt.translate(_("lost")): [r[3] for r in rows]},
                             title=fmt.translate(_("Opportunities won and lost each month")), kind="number")
        return Report(name, title, [_("Month"), _("Won"), _("Funded"), _("Lost")], rows, chart,
                      ["text", "number", "money", "number"])
    if name == "reasons":
        rows = [(fmt.label(r, "crm"), n, total) for r, n, total in reports.lost_by_reason(session, opportunities)]
        chart = bar_chart([(r[0], r[1]) for r in rows], title=fmt.translate(_("Lost opportunities by reason")))
        return Report(name, title, [_("Reason"), _("Lost"), _("Amount")], rows, chart, ["text", "number", "money"])
    if name == "partners":
        rows = reports.partner_volume(session, year)
        chart = bar_chart([(r[0], r[2]) for r in rows], value_width=90,
                          title=fmt.translate(_("Funded volume brought by each partner")))
        return Report(name, title, [_("Partner"), _("Won"), _("Funded"), _("Accrued"), _("Clawed back"),
                                    _("Payable")], rows, chart, ["text", "number", "money", "money", "money", "money"])
    rows = reports.activities_per_person(session, restricted_query(request, Activity), context.today(session))
    chart = stacked_bars([r[0] for r in rows], {fmt.translate(_("done")): [r[2] for r in rows],
                                               fmt.translate(_("planned")): [r[1] for r in rows]},
                         title=fmt.translate(_("Activities per person")), kind="number")
    return Report(name, title, [_("Person"), _("Planned"), _("Done"), _("Cancelled"), _("Overdue"),
                                _("Planned minutes (done)"), _("Actual minutes")], rows, chart,
                  ["text"] + ["number"] * 6)


def _year(request) -> int:
    raw = request.params.get("year", "")
    return int(raw) if raw.isdigit() and 2000 <= int(raw) <= 2100 else context.today(request.dbsession).year


@view_config(route_name="crm.reports", permission="crm.report.view")
def report_index(request):
    from pyramid.httpexceptions import HTTPFound

    return HTTPFound(request.route_url("crm.report", name="pipeline"))


@view_config(route_name="crm.report", renderer="plugins.crm:templates/report.pt", permission="crm.report.view")
def report_page(request):
    name = request.matchdict["name"]
    if name not in dict(REPORTS):
        raise HTTPNotFound()
    year = _year(request)
    report = build(request, name, year)
    if request.params.get("format") == "csv":
        return csv_response(request, report, year)
    fmt = for_request(request)

    def cell(value, kind):
        if kind == "money":
            return fmt.money(value)
        if kind == "number":
            return fmt.number(value)
        return value

    return {"title": report.title, "report": report, "reports": REPORTS, "year": year, "cell": cell}


def csv_response(request, report: Report, year: int) -> Response:
    record_event(request.dbsession, "csv_export", "core.export", None,
                 {"list": f"crm-{report.name}", "filters": {"year": year}})
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow([_cell(c) for c in report.columns])
    for row in report.rows:
        writer.writerow([_cell(v) for v in row])
    response = Response(body=buf.getvalue().encode("utf-8"), content_type="text/csv", charset="utf-8")
    response.content_disposition = f'attachment; filename="crm-{report.name}-{year}.csv"'
    return response


def _cell(value) -> str:
    """Locale-independent; cells a spreadsheet would run as formulas are defused."""
    interpolate = getattr(value, "interpolate", None)
    text = "" if value is None else interpolate() if callable(interpolate) else str(value)
    if text[:1] in ("=", "+", "@") or (text[:1] == "-" and not text[1:].replace(".", "").isdigit()):
        return "'" + text
    return text

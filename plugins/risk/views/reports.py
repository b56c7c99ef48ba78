"""The risk reports page: charts and tables, each table also as CSV (``?csv=<table>``)."""
from __future__ import annotations

import csv
import io
from decimal import Decimal

from pyramid.response import Response
from pyramid.view import view_config

from core.web.charts import bar_chart, time_series
from plugins.risk.i18n import _, word
from plugins.risk.services import reports, scorecards

MOB = 6  # months on book of the vintage chart


def _share(value) -> Decimal | None:
    return None if value is None else Decimal(str(round(value, 4)))


def tables(session) -> dict[str, tuple[list[str], list[list]]]:
    """Every table of the page: name -> (header, rows), the same for the page and the CSV."""
    out = {}
    for threshold in (30, 60, 90):
        curves = reports.vintage(session, threshold, months=12)
        out[f"vintage_{threshold}"] = (["month", "loans"] + [f"mob_{m}" for m in range(1, 13)],
                                       [[c["month"].isoformat(), c["loans"], *[_share(v) for v in c["curve"]]]
                                        for c in curves])
    out["default_by_grade"] = (["grade", "loans", "defaults", "rate"],
                               [[g["grade"], g["loans"], g["defaults"], _share(g["rate"])]
                                for g in reports.default_by_grade(session)])
    for by in ("region", "industry"):
        out[f"concentration_{by}"] = ([by, "open_principal"], [list(r) for r in reports.concentration(session, by)])
    out["rules"] = (["rule", "fired", "fire_rate", "approved", "declined"],
                    [[r["code"], r["fired"], _share(r["fire_rate"]), r["approved"], r["declined"]]
                     for r in reports.rule_rates(session)])
    out["decisions"] = (["status", "reviews"], [[k, v] for k, v in sorted(reports.decisions(session).items())])
    return out


@view_config(route_name="risk.reports", renderer="plugins.risk:templates/reports.pt", permission="risk.report.view")
def reports_page(request):
    session = request.dbsession
    data = tables(session)
    wanted = request.GET.get("csv")
    if wanted:
        if wanted not in data:
            from pyramid.httpexceptions import HTTPNotFound

            raise HTTPNotFound()
        header, rows = data[wanted]
        text = io.StringIO()
        writer = csv.writer(text)
        writer.writerow(header)
        writer.writerows(["" if v is None else v for v in row] for row in rows)
        return Response(text.getvalue(), content_type="text/csv", charset="utf-8",
                        content_disposition=f'attachment; filename="risk-{wanted}.csv"')
    vintage_series = {}
    for threshold in (30, 60, 90):
        points = [(c["month"], c["curve"][MOB - 1]) for c in reports.vintage(session, threshold, months=MOB)
                  if c["curve"][MOB - 1] is not None]
        vintage_series[_("${n}+ days", mapping={"n": threshold})] = [(m, _share(v)) for m, v in points]
    charts = {
        "vintage": time_series(vintage_series, kind="percent", title=_(
            "Share of each month's loans past 30/60/90 days by ${n} months on book", mapping={"n": MOB})),
        "grade": bar_chart([(g[0], g[3]) for g in data["default_by_grade"][1]], kind="percent",
                           title=_("Default rate by grade")),
        "region": bar_chart([(r[0], r[1]) for r in data["concentration_region"][1]], title=_("Open principal by region")),
        "industry": bar_chart([(r[0], r[1]) for r in data["concentration_industry"][1]],
                              title=_("Open principal by industry")),
        "rules": bar_chart([(r[0], r[2]) for r in data["rules"][1]], kind="percent", title=_("How often each rule fires")),
    }
    card = scorecards.active(session)
    stability = reports.stability(session, card) if card else None
    gini = reports.scorecard_gini(session, card.id) if card else (None, 0)
    return {"title": _("Risk reports"), "tables": data, "charts": charts, "card": card, "stability": stability,
            "gini": gini, "word": word}

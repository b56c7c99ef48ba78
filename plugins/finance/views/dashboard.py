"""Finance's dashboard widget: unreconciled lines, the guarantee fund, fee income of the last six months."""
from __future__ import annotations

from datetime import timedelta

from core import context
from core.money import ZERO
from core.web.charts import bar_chart
from core.web.menu import Widget
from plugins.finance.i18n import _
from plugins.finance.services import bank, guarantee, journal
from plugins.finance.services.periods import month_start


def widgets(request):
    if not request.has_permission("finance.books.view"):
        return []
    session = request.dbsession
    journal.ensure_defaults(session)
    months = [month_start(context.today(session))]
    for _i in range(5):
        months.insert(0, month_start(months[0] - timedelta(days=1)))
    income = journal.income_by_month(session, ("4000", "4010", "4020"), months)
    totals = [(m.strftime("%Y-%m"), sum((dict(rows)[m] for rows in income.values()), ZERO)) for m in months]
    chart = bar_chart(totals, title=_("Fee income by month"), kind="money")
    cover = guarantee.coverage(session)
    return [Widget(_("Finance"), "finance.books.view", chart=chart,
                   rows=[(_("Unreconciled bank lines"), bank.unmatched_count(session)),
                         (_("Guarantee fund"), cover["fund"]),
                         (_("Fund coverage"), "—" if cover["ratio"] is None else f"{cover['ratio'] * 100:.1f} %"),
                         (_("Fee income this month"), totals[-1][1])],
                   link=request.route_url("finance.trial_balance"))]

"""Marketing's dashboard widgets: spend against budget (with the over-budget alert), funded customers by channel."""
from __future__ import annotations

from sqlalchemy import case, func, select

from core.formatting import for_request
from core.money import ZERO, money
from core.web.charts import last_months, stacked_bars, time_series
from core.web.menu import Widget
from plugins.marketing.i18n import _
from plugins.marketing.models import Campaign, Spend
from plugins.marketing.services import campaigns, reports, today


def widgets(request) -> list[Widget]:
    if not request.has_permission("marketing.campaign.view"):
        return []
    session = request.dbsession
    fmt = for_request(request)
    actual = func.coalesce(func.sum(case((Spend.kind == "actual", Spend.amount))), 0)
    rows = session.execute(select(Campaign.name, Campaign.budget, actual.label("actual"))
                           .outerjoin(Spend, Spend.campaign_id == Campaign.id)
                           .where(Campaign.status == "active").group_by(Campaign.id, Campaign.name, Campaign.budget)
                           .order_by(Campaign.budget.desc()).limit(8)).all()
    over = campaigns.over_budget(session)
    # one bar per campaign as tall as max(budget, actual): spent within the budget, over it, and what is left
    spent = [money(r.actual) for r in rows]
    chart = stacked_bars([r.name for r in rows], {
        fmt.translate(_("Spent within budget")): [min(a, r.budget) for a, r in zip(spent, rows, strict=True)],
        fmt.translate(_("Spent over budget")): [max(a - r.budget, ZERO) for a, r in zip(spent, rows, strict=True)],
        fmt.translate(_("Budget left")): [max(r.budget - a, ZERO) for a, r in zip(spent, rows, strict=True)],
    }, title=fmt.translate(_("Spend against budget of active campaigns")), kind="money")
    out = [Widget(_("Campaign spend"), "marketing.campaign.view", chart=chart,
                  rows=[(_("Over budget: ${name}", mapping={"name": c.name}), fmt.money(a)) for c, a in over[:5]]
                  or [(_("Campaigns over budget"), fmt.number(0))],
                  link=request.route_url("marketing.campaigns"), order=400)]
    if request.has_permission("marketing.report.view"):
        months = last_months(today(session), 12)
        series = reports.monthly_funded_by_channel(session, "linear", months)
        out.append(Widget(_("Funded customers by channel"), "marketing.report.view",
                          chart=time_series(series, months=months, kind=None, stacked=True,
                                            title=fmt.translate(_("Funded customers credited to each channel per "
                                                                  "month (linear model)"))),
                          link=request.route_url("marketing.report", _query={"by": "channel"}), order=401))
    return out

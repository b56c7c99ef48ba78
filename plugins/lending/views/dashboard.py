"""Lending's dashboard widgets."""
from __future__ import annotations

from core import context
from core.web.charts import bar_chart
from core.web.menu import Widget
from plugins.lending.services import stats
from plugins.lending.services.delinquency import bucket_names, buckets_from_settings


def widgets(request) -> list[Widget]:
    session = request.dbsession
    out = []
    if request.has_permission("lending.loan.view"):
        today = context.today(session)
        count, total = stats.disbursed_between(session, today.replace(day=1), today)
        out.append(Widget("Loan book", "lending.loan.view", rows=[
            ("Principal outstanding", f"{stats.outstanding_principal(session):,.2f}"),
            (f"Disbursed in {today:%B %Y}", f"{total:,.2f}"),
            ("Loans disbursed this month", count),
        ], link=request.route_url("lending.loans"), order=200))
        buckets = stats.by_bucket(session, bucket_names(buckets_from_settings(request.registry.settings or {})))
        out.append(Widget("Delinquency by bucket", "lending.loan.view",
                          chart=bar_chart([(name, int(left.to_integral_value())) for name, _n, left in buckets],
                                          value_width=80, title="Principal outstanding by delinquency bucket"),
                          rows=[(f"{name} days" if name != "current" else name, f"{n:,} loans") for name, n, _left in buckets],
                          link=request.route_url("lending.loans", _query={"status": "active"}), order=201))
    if request.has_permission("lending.application.view"):
        funnel = stats.pipeline(session)
        out.append(Widget("Funding pipeline (applications; amount asked / invested)", "lending.application.view",
                          chart=bar_chart([(status, n) for status, n, _asked, _got in funnel],
                                          title="Applications by status"),
                          rows=[(status, f"{asked:,.0f} / {got:,.0f}") for status, _n, asked, got in funnel],
                          link=request.route_url("lending.funding"), order=202))
    return out

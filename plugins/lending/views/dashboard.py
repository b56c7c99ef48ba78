"""Lending's dashboard widgets."""
from __future__ import annotations

from core import context
from core.formatting import current
from core.web.charts import bar_chart, last_months, time_series
from core.web.menu import Widget
from plugins.lending import summary
from plugins.lending.i18n import _, _n
from plugins.lending.models import CURRENT
from plugins.lending.services import stats
from plugins.lending.services.delinquency import bucket_names, buckets_from_settings


def _bucket_title(fmt, name: str) -> str:
    return fmt.label(name, "lending") if name == CURRENT else fmt.translate(_("${bucket} days", mapping={"bucket": name}))


def widgets(request) -> list[Widget]:
    session = request.dbsession
    fmt = current()
    out = []
    # Principal outstanding, loans by bucket and the funding pipeline: one read of the maintained
    # summary (plugins.lending.summary), not three scans of the book per view.
    totals = (summary.read(session) if request.has_permission("lending.loan.view")
              or request.has_permission("lending.application.view") else {})
    if request.has_permission("lending.loan.view"):
        today = context.today(session)
        count, total = stats.disbursed_between(session, today.replace(day=1), today)
        month = fmt.date(today, "LLLL y")
        out.append(Widget(_("Loan book"), "lending.loan.view", rows=[
            (_("Principal outstanding"), fmt.money(summary.outstanding_principal(totals))),
            (_("Disbursed in ${month}", mapping={"month": month}), fmt.money(total)),
            (_("Loans disbursed this month"), fmt.number(count)),
        ], link=request.route_url("lending.loans"), order=200))
        months = last_months(today, 12)
        flows = stats.money_by_month(session, months)
        out.append(Widget(_("Disbursements and repayments by month"), "lending.loan.view",
                          chart=time_series({_("Disbursed"): flows["disbursed"], _("Repaid"): flows["repaid"]},
                                            months=months, kind="money",
                                            title=fmt.translate(_("Principal disbursed and money repaid by month"))),
                          link=request.route_url("lending.loans"), order=203))
        bucket_set = buckets_from_settings(request.registry.settings or {})
        past_due = stats.delinquency_by_month(session, months, today, bucket_set)
        out.append(Widget(_("Delinquency over time"), "lending.loan.view",
                          chart=time_series({_bucket_title(fmt, name): points for name, points in past_due.items()},
                                            months=months, kind="number", stacked=True,
                                            title=fmt.translate(_("Loans past due at each month's end, by bucket"))),
                          link=request.route_url("lending.loans", _query={"status": "active"}), order=204))
        buckets = summary.by_bucket(totals, bucket_names(bucket_set))
        out.append(Widget(_("Delinquency by bucket"), "lending.loan.view",
                          chart=bar_chart([(_bucket_title(fmt, name), int(left.to_integral_value()))
                                           for name, _count, left in buckets],
                                          value_width=80,
                                          title=fmt.translate(_("Principal outstanding by delinquency bucket"))),
                          rows=[(_bucket_title(fmt, name), _n("${n} loan", "${n} loans", count))
                                for name, count, _left in buckets],
                          link=request.route_url("lending.loans", _query={"status": "active"}), order=201))
    if request.has_permission("lending.application.view"):
        funnel = summary.pipeline(totals)
        out.append(Widget(_("Funding pipeline (applications; amount asked / invested)"), "lending.application.view",
                          chart=bar_chart([(fmt.label(status, "lending"), n) for status, n, _asked, _got in funnel],
                                          title=fmt.translate(_("Applications by status"))),
                          rows=[(fmt.label(status, "lending"),
                                 " / ".join((fmt.money(asked, 0), fmt.money(got, 0))))
                                for status, _count, asked, got in funnel],
                          link=request.route_url("lending.funding"), order=202))
    return out

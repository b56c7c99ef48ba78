"""Reports, the guarantee fund page and the investor statement page (each with CSV)."""
from __future__ import annotations

import csv
import io
from datetime import date

from pyramid.httpexceptions import HTTPFound
from pyramid.response import Response
from pyramid.view import view_config
from sqlalchemy import select

from core.errors import UserError
from core.security import get_visible_or_404
from core.web.charts import bar_chart
from core.web.forms import run_action
from plugins.finance.i18n import _, label
from plugins.finance.models import GuaranteeClaim
from plugins.finance.services import guarantee, reports, statements
from plugins.finance.services.periods import month_start
from plugins.lending.models import Customer, Loan


def _day(value):
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _csv(name: str, header: list[str], rows) -> Response:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return Response(out.getvalue(), content_type="text/csv", content_disposition=f"attachment; filename={name}.csv")


@view_config(route_name="finance.reports", renderer="plugins.finance:templates/reports.pt",
             permission="finance.books.view")
def reports_page(request):
    session = request.dbsession
    start, end = _day(request.params.get("start")), _day(request.params.get("end"))
    sheet = reports.balance_sheet(session, end)
    income = reports.income_statement(session, start, end)
    flow = reports.custodial_flow(session, start, end)
    fees = reports.fee_income_by_product(session, start, end)
    which = request.params.get("format") == "csv" and request.params.get("report", "")
    if which == "balance_sheet":
        return _csv("balance-sheet", ["section", "code", "name", "amount"],
                    [(k, c, n, v) for k, rows in sheet["sections"].items() for c, n, v in rows]
                    + [("equity", "", "earnings to date", sheet["earnings"])])
    if which == "income_statement":
        return _csv("income-statement", ["kind", "code", "name", "amount"],
                    [("income", *r) for r in income["income"]] + [("expense", *r) for r in income["expenses"]])
    if which == "custodial_flow":
        return _csv("custodial-flow", ["event", "amount"], flow)
    if which == "fees_by_product":
        return _csv("fee-income-by-product", ["product", "origination", "service", "late"], fees)
    chart = bar_chart([(p, o + s + late) for p, o, s, late in fees], title=_("Fee income by product"), kind="money")
    return {"title": _("Reports"), "sheet": sheet, "income": income, "flow": flow, "fees": fees, "chart": chart,
            "start": start, "end": end, "label": label}


@view_config(route_name="finance.guarantee", renderer="plugins.finance:templates/guarantee.pt",
             permission="finance.books.view")
def guarantee_page(request):
    session = request.dbsession
    claims = session.scalars(select(GuaranteeClaim).order_by(GuaranteeClaim.id.desc()).limit(100)).all()
    return {"title": _("Principal guarantee fund"), "cover": guarantee.coverage(session), "claims": claims,
            "can_manage": request.has_permission("finance.books.manage"), "csrf": request.session.get_csrf_token()}


@view_config(route_name="finance.guarantee", request_method="POST", permission="finance.books.manage")
def guarantee_propose(request):
    session = request.dbsession

    def run():
        raw = (request.POST.get("loan_id") or "").strip()
        loan = session.get(Loan, int(raw)) if raw.isdigit() else None
        if loan is None:
            raise UserError(_("Enter the number of a loan."), "loan_id")
        return guarantee.propose(session, loan, bool(request.POST.get("include_interest")))

    return run_action(request, run, lambda c: _("Claim ${id} proposed.", mapping={"id": c.id}),
                      request.route_url("finance.guarantee"))


@view_config(route_name="finance.claim", request_method="POST", permission="finance.books.manage")
def claim_decide(request):
    claim = get_visible_or_404(request, GuaranteeClaim, request.matchdict["id"])
    back = request.route_url("finance.guarantee")
    if request.POST.get("decision") == "approve":
        return run_action(request, lambda: guarantee.approve(request.dbsession, claim), _("Claim paid."), back)
    if request.POST.get("decision") == "reject":
        return run_action(request, lambda: guarantee.reject(request.dbsession, claim, request.POST.get("note", "")),
                          _("Claim rejected."), back)
    return HTTPFound(back)


@view_config(route_name="finance.investor_statement", renderer="plugins.finance:templates/investor_statement.pt",
             permission="finance.statement.view")
def investor_statement(request):
    session = request.dbsession
    raw = (request.params.get("investor") or "").strip()
    investor = session.get(Customer, int(raw)) if raw.isdigit() else None
    month = month_start(_day(request.params.get("month")) or date.today())
    data = statements.investor_month(session, investor.id, month) if investor is not None else None
    if data is not None and request.params.get("format") == "csv":
        keys = ("opening", "deposits", "withdrawals", "investments", "principal", "interest", "fees", "closing")
        return _csv(f"statement-{month:%Y-%m}-{investor.id}", ["figure", "amount"], [(k, data[k]) for k in keys])
    if data is not None and request.params.get("format") == "pdf":
        return Response(statements.render_pdf(data, investor.name), content_type="application/pdf",
                        content_disposition=f"attachment; filename=statement-{month:%Y-%m}-{investor.id}.pdf")
    year = statements.year_income(session, investor.id, month.year) if investor is not None else None
    return {"title": _("Investor statements"), "investor": investor, "month": month, "data": data, "year": year}

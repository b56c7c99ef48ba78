"""JSON API: loans and repayments (Bearer API keys or a session with a CSRF header).

``GET  /lending/api/loans``                       loans (filters: status, bucket, customer_id; page, per_page)
``GET  /lending/api/loans/{id}``                  one loan with its schedule and holdings
``GET  /lending/api/loans/{id}/repayments``       its repayments
``POST /lending/api/loans/{id}/repayments``       post one: {"amount": "250.00", "paid_on": "2026-03-01", "reference": "..."}
``GET  /lending/api/repayments``                  repayments (filters: loan_id, reference; page, per_page)
``GET  /lending/api/repayments/{id}``             one repayment with its distribution

Money is sent and returned as strings ("1234.50"), dates as ISO dates.
A refusal answers 400 ``{"error": message, "field": name}``, or 409 when the
loan's state refuses it (:class:`core.errors.ConflictError`: more than the
payoff, the loan is no longer active); a reference already posted answers 409
with the earlier repayment's id.
"""
from __future__ import annotations

from datetime import date

from pyramid.view import view_config
from sqlalchemy import func, select

from core import context
from core.errors import UserError
from core.i18n import translate
from core.security import get_visible_or_404, restricted_query
from core.web import parsing
from core.web.forms import error_json
from plugins.lending.i18n import _
from plugins.lending.models import CashEntry, Loan, Repayment
from plugins.lending.services import loans as service
from plugins.lending.views.common import parse_amount, parse_date

MAX_PER_PAGE = 100
API_LOCALE = "en"  # how the API reads amounts and dates, whatever the caller's language


def _money(value) -> str:
    return f"{value:.2f}"


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def loan_json(loan: Loan, detail: bool = False) -> dict:
    out = {"id": loan.id, "customer_id": loan.customer_id, "application_id": loan.application_id,
           "product_version_id": loan.product_version_id, "principal": _money(loan.principal),
           "annual_rate": str(loan.annual_rate), "term_months": loan.term_months,
           "repayment_method": loan.repayment_method, "disbursed_on": _day(loan.disbursed_on),
           "origination_fee": _money(loan.origination_fee), "payout": _money(loan.payout), "status": loan.status,
           "days_past_due": loan.days_past_due, "bucket": loan.bucket, "penalty_accrued": _money(loan.penalty_due),
           "region": loan.region, "industry": loan.industry, "closed_on": _day(loan.closed_on),
           "principal_outstanding": _money(service.outstanding_principal(loan))}
    if detail:
        out["installments"] = [{
            "number": i.number, "due_date": _day(i.due_date), "principal_due": _money(i.principal_due),
            "interest_due": _money(i.interest_due), "fee_due": _money(i.fee_due), "penalty_due": _money(i.penalty_due),
            "principal_paid": _money(i.principal_paid), "interest_paid": _money(i.interest_paid),
            "fee_paid": _money(i.fee_paid), "penalty_paid": _money(i.penalty_paid),
            "interest_waived": _money(i.interest_waived), "fee_waived": _money(i.fee_waived),
            "paid_on": _day(i.paid_on)} for i in loan.installments]
        out["holdings"] = [{"investor_id": h.investor_id, "amount": _money(h.amount), "share": str(h.share)}
                           for h in loan.holdings]
    return out


def repayment_json(repayment: Repayment) -> dict:
    return {"id": repayment.id, "loan_id": repayment.loan_id, "reference": repayment.reference,
            "amount": _money(repayment.amount), "paid_on": _day(repayment.paid_on),
            "principal": _money(repayment.principal), "prepaid_principal": _money(repayment.prepaid_principal),
            "interest": _money(repayment.interest), "fee": _money(repayment.fee),
            "penalty": _money(repayment.penalty), "service_fee": _money(repayment.service_fee),
            "distributed": _money(repayment.distributed)}


def _page(request, stmt, order, to_json) -> dict:
    try:
        page = parsing.parse_int(request.params.get("page") or "1", "page", minimum=1, maximum=parsing.INT32_MAX)
        per_page = parsing.parse_int(request.params.get("per_page") or "50", "per_page", minimum=1,
                                     maximum=MAX_PER_PAGE)
    except parsing.InputError as exc:
        request.response.status = 400
        return {"error": translate(exc), "field": exc.field}
    total = request.dbsession.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = request.dbsession.scalars(stmt.order_by(order).limit(per_page).offset((page - 1) * per_page)).all()
    return {"total": total, "page": page, "per_page": per_page, "items": [to_json(r) for r in rows]}


def _int_param(request, name):
    """An id filter: ASCII digits within a BigInteger, else None (matches nothing)."""
    try:
        return parsing.parse_id(request.params.get(name, ""), name, maximum=parsing.INT32_MAX)  # Integer ids
    except parsing.InputError:
        return None


def _text_param(request, name, column):
    """A text filter within its column's length, without control characters; else None (matches nothing)."""
    try:
        return parsing.parse_text(request.params.get(name, ""), name, max_length=parsing.column_length(column))
    except parsing.InputError:
        return None


@view_config(route_name="lending.api_loans", renderer="json", permission="lending.loan.view", request_method="GET")
def api_loans(request):
    stmt = restricted_query(request, Loan)
    for name in ("status", "bucket", "region", "industry"):
        if request.params.get(name):
            stmt = stmt.where(getattr(Loan, name) == _text_param(request, name, getattr(Loan, name)))
    if request.params.get("customer_id"):
        stmt = stmt.where(Loan.customer_id == (_int_param(request, "customer_id") or -1))
    return _page(request, stmt, Loan.id, loan_json)


@view_config(route_name="lending.api_loan", renderer="json", permission="lending.loan.view", request_method="GET")
def api_loan(request):
    return loan_json(get_visible_or_404(request, Loan, request.matchdict["id"]), detail=True)


@view_config(route_name="lending.api_loan_repayments", renderer="json", permission="lending.repayment.view",
             request_method="GET")
def api_loan_repayments(request):
    loan = get_visible_or_404(request, Loan, request.matchdict["id"])
    return _page(request, restricted_query(request, Repayment, Repayment.loan_id == loan.id), Repayment.id,
                 repayment_json)


@view_config(route_name="lending.api_loan_repayments", renderer="json", permission="lending.repayment.post",
             request_method="POST")
def api_post_repayment(request):
    loan = get_visible_or_404(request, Loan, request.matchdict["id"])
    try:
        body = request.json_body
    except ValueError:
        body = None
    if not isinstance(body, dict):
        request.response.status = 400
        return {"error": translate(_('Send a JSON object like ${example}.',
                                     mapping={"example": '{"amount": "250.00", "paid_on": "2026-03-01", '
                                                         '"reference": "..."}'})),
                "field": None}
    from core.web.forms import Savepoint

    point = Savepoint(request)
    try:
        # The API speaks one language for values, whatever the caller's: "1234.50" and ISO dates.
        paid_on = parse_date(body.get("paid_on"), "paid_on", context.today(request.dbsession), locale=API_LOCALE)
        amount = body.get("amount", "")
        repayment = service.post_repayment(
            request.dbsession, loan, parse_amount(str(amount) if isinstance(amount, (int, float)) else amount,
                                                  locale=API_LOCALE),
            paid_on, parsing.parse_text(body.get("reference") or "", "reference",
                                        max_length=parsing.column_length(Repayment.reference)))
    except service.DuplicateReference as exc:
        point.rollback()
        return {**error_json(request, exc), "repayment_id": exc.earlier.id if exc.earlier is not None else None}
    except UserError as exc:
        point.rollback()
        return error_json(request, exc)
    request.response.status = 201
    request.response.location = request.route_url("lending.api_repayment", id=repayment.id)
    return {**repayment_json(repayment), "loan_status": loan.status}


@view_config(route_name="lending.api_repayments", renderer="json", permission="lending.repayment.view",
             request_method="GET")
def api_repayments(request):
    stmt = restricted_query(request, Repayment)
    if request.params.get("loan_id"):
        stmt = stmt.where(Repayment.loan_id == (_int_param(request, "loan_id") or -1))
    if request.params.get("reference"):
        stmt = stmt.where(Repayment.reference == _text_param(request, "reference", Repayment.reference))
    return _page(request, stmt, Repayment.id, repayment_json)


@view_config(route_name="lending.api_repayment", renderer="json", permission="lending.repayment.view",
             request_method="GET")
def api_repayment(request):
    repayment = get_visible_or_404(request, Repayment, request.matchdict["id"])
    shares = request.dbsession.scalars(select(CashEntry).where(CashEntry.repayment_id == repayment.id)
                                       .order_by(CashEntry.id)).all()
    return {**repayment_json(repayment),
            "shares": [{"investor_id": e.customer_id, "amount": _money(e.amount)} for e in shares]}

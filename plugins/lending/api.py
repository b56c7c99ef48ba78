"""Lending's JSON API under ``/api/v1/lending`` (docs/api.md, docs/plugins/lending.md "API").

Customers and their KYC documents, investors' cash accounts, applications and their workflow,
investments, loans with their schedules, repayments and delinquency. Every handler calls the same
service (:mod:`plugins.lending.services`) as the screens; refusals propagate as problems. Money is a
string with two decimals (``"1234.50"``), rates a decimal fraction string (``"0.120000"``), dates ISO.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import object_session

from core.api import (
    DATE,
    DATETIME,
    ID,
    MONEY,
    Filter,
    Listing,
    Operation,
    Reply,
    WebhookEvent,
    array,
    nullable,
    obj,
    text,
)
from core.errors import UserError
from core.models.document import Document
from core.security import get_visible_or_404, restricted_query
from core.web.api_core import DOCUMENT, UPLOAD, attach_upload, attached_documents, document_json
from plugins.lending import services as service
from plugins.lending.i18n import _
from plugins.lending.models import (
    APPLICATION_STATUSES,
    CASH_KINDS,
    CUSTOMER_KINDS,
    CUSTOMER_ROLES,
    INVESTMENT_STATUSES,
    KYC_STATUSES,
    LOAN_STATUSES,
    Application,
    CashEntry,
    Customer,
    Investment,
    Loan,
    Repayment,
)
from plugins.lending.services import cash
from plugins.lending.services import loans as loans_service
from plugins.lending.services.customers import CUSTOMER_ENTITY  # the documents' entity type, as the screens

RATE = {"type": "string", "pattern": r"^[0-9]{1,3}(\.[0-9]{1,6})?$", "description": "A yearly rate as a fraction: "
        "\"0.12\" is 12 %."}
STRING = {"type": "string"}
COUNT = {"type": "integer", "minimum": 0}


def enum(values) -> dict:
    return {"type": "string", "enum": list(values)}


# -- schemas ---------------------------------------------------------------------------

CUSTOMER = obj({"id": ID, "role": enum(CUSTOMER_ROLES), "kind": enum(CUSTOMER_KINDS), "name": text(200),
                "id_number": text(64), "phone": text(50), "email": text(200), "region": text(100),
                "industry": text(100), "kyc_status": enum(KYC_STATUSES), "kyc_note": STRING,
                "kyc_checked_at": nullable(DATETIME), "created_at": DATETIME})
CUSTOMER_FIELDS = {"role": enum(CUSTOMER_ROLES), "kind": enum(CUSTOMER_KINDS), "name": text(200, 1),
                   "id_number": text(64, 1), "phone": text(50), "email": text(200), "region": text(100),
                   "industry": text(100)}
NEW_CUSTOMER = obj(CUSTOMER_FIELDS, required=["role", "name", "id_number"])
CUSTOMER_CHANGES = obj(CUSTOMER_FIELDS, required=[], minProperties=1)
KYC = obj({"status": enum(KYC_STATUSES), "note": text(2000)}, required=["status"])

BALANCE = obj({"customer_id": ID, "balance": MONEY, "reserved": MONEY, "available": MONEY})
ENTRY = obj({"id": ID, "customer_id": ID, "entry_date": DATE, "kind": enum(CASH_KINDS), "amount": MONEY,
             "reference": text(100), "memo": text(200), "loan_id": nullable(ID), "repayment_id": nullable(ID),
             "created_at": DATETIME})
MOVE = obj({"amount": MONEY, "entry_date": DATE, "reference": text(100), "memo": text(200)}, required=["amount"])

APPLICATION = obj({
    "id": ID, "customer_id": ID, "product_version_id": ID, "amount": MONEY, "term_months": {"type": "integer"},
    "annual_rate": STRING, "purpose": STRING, "region": text(100), "industry": text(100),
    "status": enum(APPLICATION_STATUSES), "review_pending": array(text(200)), "decision_reason": STRING,
    "decided_by": text(100), "submitted_at": nullable(DATETIME), "decided_at": nullable(DATETIME),
    "listed_on": nullable(DATE), "funding_deadline": nullable(DATE), "funded_at": nullable(DATETIME),
    "closed_reason": STRING, "created_at": DATETIME})
APPLICATION_DETAIL = {**APPLICATION, "properties": {**APPLICATION["properties"], "funded": MONEY, "remaining": MONEY,
                                                    "loan_id": nullable(ID)},
                      "required": [*APPLICATION["required"], "funded", "remaining", "loan_id"]}
APPLICATION_FIELDS = {"product_version_id": ID, "amount": MONEY,
                      "term_months": {"type": "integer", "minimum": 1, "maximum": 600},
                      "annual_rate": RATE, "purpose": text(2000), "region": text(100), "industry": text(100)}
NEW_APPLICATION = obj({"customer_id": ID, **APPLICATION_FIELDS},
                      required=["customer_id", "product_version_id", "amount", "term_months"])
APPLICATION_CHANGES = obj(APPLICATION_FIELDS, required=[], minProperties=1)
REASON = obj({"reason": text(2000)}, required=[])
REASON_REQUIRED = obj({"reason": text(2000, 1)})
DISBURSE = obj({"disbursed_on": DATE}, required=[])

INVESTMENT = obj({"id": ID, "application_id": ID, "investor_id": ID, "amount": MONEY,
                  "status": enum(INVESTMENT_STATUSES), "created_at": DATETIME, "settled_at": nullable(DATETIME)})
NEW_INVESTMENT = obj({"investor_id": ID, "amount": MONEY})

INSTALLMENT = obj({"number": {"type": "integer"}, "due_date": DATE, **dict.fromkeys((
    "principal_due", "interest_due", "fee_due", "penalty_due", "principal_paid", "interest_paid", "fee_paid",
    "penalty_paid", "interest_waived", "fee_waived"), MONEY), "paid_on": nullable(DATE)})
HOLDING = obj({"investor_id": ID, "amount": MONEY, "share": STRING})
LOAN = obj({"id": ID, "customer_id": ID, "application_id": ID, "product_version_id": ID, "principal": MONEY,
            "annual_rate": STRING, "term_months": {"type": "integer"}, "repayment_method": text(30),
            "disbursed_on": DATE, "origination_fee": MONEY, "payout": MONEY, "status": enum(LOAN_STATUSES),
            "days_past_due": COUNT, "bucket": text(10), "penalty_accrued": MONEY, "region": text(100),
            "industry": text(100), "closed_on": nullable(DATE), "principal_outstanding": MONEY})
LOAN_DETAIL = {**LOAN, "properties": {**LOAN["properties"], "installments": array(INSTALLMENT),
                                      "holdings": array(HOLDING), "payoff_amount": nullable(MONEY)},
               "required": [*LOAN["required"], "installments", "holdings", "payoff_amount"]}
WRITE_OFF = obj({"reason": text(2000, 1), "on": DATE}, required=["reason"])

REPAYMENT = obj({"id": ID, "loan_id": ID, "reference": text(100), "amount": MONEY, "paid_on": DATE,
                 "principal": MONEY, "prepaid_principal": MONEY, "interest": MONEY, "fee": MONEY, "penalty": MONEY,
                 "service_fee": MONEY, "distributed": MONEY})
POSTED = {**REPAYMENT, "properties": {**REPAYMENT["properties"], "loan_status": enum(LOAN_STATUSES)},
          "required": [*REPAYMENT["required"], "loan_status"]}
REPAYMENT_DETAIL = {**REPAYMENT, "properties": {**REPAYMENT["properties"],
                                                "shares": array(obj({"investor_id": ID, "amount": MONEY}))},
                    "required": [*REPAYMENT["required"], "shares"]}
NEW_REPAYMENT = obj({"amount": MONEY, "paid_on": DATE, "reference": text(100, 1)})

DELINQUENCY = obj({"as_of": nullable(DATE), "buckets": array(obj({"bucket": text(10), "loans": COUNT,
                                                                   "principal_outstanding": MONEY}))})



# -- serializers -----------------------------------------------------------------------

def _money(value) -> str:
    return f"{value or 0:.2f}"


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def customer_json(c: Customer) -> dict:
    return {"id": c.id, "role": c.role, "kind": c.kind, "name": c.name, "id_number": c.id_number,
            "phone": c.phone or "", "email": c.email or "", "region": c.region or "", "industry": c.industry or "",
            "kyc_status": c.kyc_status, "kyc_note": c.kyc_note or "", "kyc_checked_at": c.kyc_checked_at,
            "created_at": c.created_at}


def entry_json(e: CashEntry) -> dict:
    return {"id": e.id, "customer_id": e.customer_id, "entry_date": e.entry_date, "kind": e.kind,
            "amount": _money(e.amount), "reference": e.reference or "", "memo": e.memo or "", "loan_id": e.loan_id,
            "repayment_id": e.repayment_id, "created_at": e.created_at}


def application_json(a: Application) -> dict:
    return {"id": a.id, "customer_id": a.customer_id, "product_version_id": a.product_version_id,
            "amount": _money(a.amount), "term_months": a.term_months, "annual_rate": str(a.annual_rate),
            "purpose": a.purpose or "", "region": a.region or "", "industry": a.industry or "", "status": a.status,
            "review_pending": service.reviewers(a), "decision_reason": a.decision_reason or "",
            "decided_by": a.decided_by or "", "submitted_at": a.submitted_at, "decided_at": a.decided_at,
            "listed_on": a.listed_on, "funding_deadline": a.funding_deadline, "funded_at": a.funded_at,
            "closed_reason": a.closed_reason or "", "created_at": a.created_at}


def application_detail(session, a: Application) -> dict:
    funded = service.funded_amount(session, a.id)
    loan_id = session.scalar(select(Loan.id).where(Loan.application_id == a.id))
    return {**application_json(a), "funded": _money(funded), "remaining": _money(a.amount - funded),
            "loan_id": loan_id}


def investment_json(i: Investment) -> dict:
    return {"id": i.id, "application_id": i.application_id, "investor_id": i.investor_id, "amount": _money(i.amount),
            "status": i.status, "created_at": i.created_at, "settled_at": i.settled_at}


def _principal_left(loan: Loan):
    """Summed by the list's query (``with_principal_left``) when it did; else from the installments."""
    left = loan.__dict__.get("principal_left")
    return left if left is not None else service.outstanding_principal(loan)


def loan_json(loan: Loan, detail: bool = False) -> dict:
    out = {"id": loan.id, "customer_id": loan.customer_id, "application_id": loan.application_id,
           "product_version_id": loan.product_version_id, "principal": _money(loan.principal),
           "annual_rate": str(loan.annual_rate), "term_months": loan.term_months,
           "repayment_method": loan.repayment_method, "disbursed_on": _day(loan.disbursed_on),
           "origination_fee": _money(loan.origination_fee), "payout": _money(loan.payout), "status": loan.status,
           "days_past_due": loan.days_past_due, "bucket": loan.bucket, "penalty_accrued": _money(loan.penalty_due),
           "region": loan.region or "", "industry": loan.industry or "", "closed_on": _day(loan.closed_on),
           "principal_outstanding": _money(_principal_left(loan))}
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
        # What settles the loan today (as the loan page shows it); null once it is not active.
        out["payoff_amount"] = (_money(service.payoff_amount(object_session(loan), loan))
                                if loan.status == "active" else None)
    return out


def repayment_json(r: Repayment) -> dict:
    return {"id": r.id, "loan_id": r.loan_id, "reference": r.reference, "amount": _money(r.amount),
            "paid_on": _day(r.paid_on), "principal": _money(r.principal),
            "prepaid_principal": _money(r.prepaid_principal), "interest": _money(r.interest), "fee": _money(r.fee),
            "penalty": _money(r.penalty), "service_fee": _money(r.service_fee), "distributed": _money(r.distributed)}


def _date(value, field: str) -> date | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise UserError(_("'${value}' is not a date; write it like 2026-03-01.", mapping={"value": str(value)[:40]}),
                        field) from None


MULTILINE = ("purpose", "reason", "note")


def _texts(body: dict | None) -> dict:
    """The body with every text field read as the screens read it: stripped, no control characters."""
    from core.web import parsing

    return {k: parsing.parse_text(v, k, max_length=None, multiline=k in MULTILINE) if isinstance(v, str) else v
            for k, v in (body or {}).items()}


def _url(request, name: str, **kw) -> str:
    return request.route_url(f"api.lending.{name}", **kw)


# -- customers -------------------------------------------------------------------------

def list_customers(request, call):
    return restricted_query(request, Customer)


def read_customer(request, call):
    return customer_json(get_visible_or_404(request, Customer, call.path["id"]))


def create_customer(request, call):
    customer = service.create_customer(request.dbsession, **_texts(call.body))
    return Reply(customer_json(customer), status=201, location=_url(request, "customers.read", id=customer.id))


def update_customer(request, call):
    customer = get_visible_or_404(request, Customer, call.path["id"])
    return customer_json(service.update_customer(request.dbsession, customer, **_texts(call.body)))


def customer_kyc(request, call):
    customer = get_visible_or_404(request, Customer, call.path["id"])
    body = _texts(call.body)
    return customer_json(service.set_kyc(request.dbsession, customer, body["status"], body.get("note", "")))


def customer_documents(request, call):
    customer = get_visible_or_404(request, Customer, call.path["id"])
    return attached_documents(request, CUSTOMER_ENTITY, customer.id)


def upload_customer_document(request, call):
    """A KYC document attached to the customer, through core's document store (as the Documents panel does)."""
    customer = get_visible_or_404(request, Customer, call.path["id"])
    return attach_upload(request, call, CUSTOMER_ENTITY, customer.id)


# -- cash ------------------------------------------------------------------------------

def _balance(session, customer: Customer) -> dict:
    total, held = cash.balance(session, customer.id), cash.reserved(session, customer.id)
    return {"customer_id": customer.id, "balance": _money(total), "reserved": _money(held),
            "available": _money(total - held)}


def customer_cash(request, call):
    return _balance(request.dbsession, get_visible_or_404(request, Customer, call.path["id"]))


def cash_entries(request, call):
    customer = get_visible_or_404(request, Customer, call.path["id"])
    return restricted_query(request, CashEntry).where(CashEntry.customer_id == customer.id)


def _move(request, call, move):
    customer = get_visible_or_404(request, Customer, call.path["id"])
    body = _texts(call.body)
    entry = move(request.dbsession, customer, Decimal(body["amount"]),
                 entry_date=_date(body.get("entry_date"), "entry_date"), reference=body.get("reference", ""),
                 memo=body.get("memo", ""))
    return Reply(entry_json(entry), status=201, location=_url(request, "cash.entries", id=customer.id))


def deposit(request, call):
    return _move(request, call, cash.deposit)


def withdraw(request, call):
    return _move(request, call, cash.withdraw)


# -- applications ------------------------------------------------------------------------

def list_applications(request, call):
    return restricted_query(request, Application)


def _application(request, call) -> Application:
    return get_visible_or_404(request, Application, call.path["id"])


def read_application(request, call):
    return application_detail(request.dbsession, _application(request, call))


def _terms(body: dict) -> dict:
    out = _texts(body)
    if "amount" in out:
        out["amount"] = Decimal(out["amount"])
    if "annual_rate" in out:
        out["annual_rate"] = Decimal(out["annual_rate"])
    return out


def create_application(request, call):
    from plugins.lending.views.applications import _borrower

    fields = _terms(call.body)
    borrower = _borrower(request.dbsession, fields.pop("customer_id"))
    application = service.create_application(request.dbsession, customer=borrower, **fields)
    return Reply(application_detail(request.dbsession, application), status=201,
                 location=_url(request, "applications.read", id=application.id))


def update_application(request, call):
    application = _application(request, call)
    service.update_application(request.dbsession, application, **_terms(call.body))
    return application_detail(request.dbsession, application)


def _action(run):
    def handler(request, call):
        application = _application(request, call)
        run(request.dbsession, application, _texts(call.body))
        return application_detail(request.dbsession, application)
    return handler


submit = _action(lambda s, a, b: service.submit(s, a))
approve = _action(lambda s, a, b: service.approve(s, a, b.get("reason", "")))
reject = _action(lambda s, a, b: service.reject(s, a, b.get("reason", "")))
list_for_funding = _action(lambda s, a, b: service.list_for_funding(s, a))
cancel = _action(lambda s, a, b: service.cancel(s, a, b.get("reason", "")))


def disburse(request, call):
    application = _application(request, call)
    loan = loans_service.disburse(request.dbsession, application, _date(call.body.get("disbursed_on"), "disbursed_on"))
    return Reply(loan_json(loan, detail=True), status=201, location=_url(request, "loans.read", id=loan.id))


def list_investments(request, call):
    application = _application(request, call)
    return restricted_query(request, Investment).where(Investment.application_id == application.id)


def invest(request, call):
    application = _application(request, call)
    investor = request.dbsession.get(Customer, call.body["investor_id"])
    if investor is None:
        raise UserError(_("There is no customer ${id}.", mapping={"id": call.body["investor_id"]}), "investor_id")
    investment = service.invest(request.dbsession, application, investor, Decimal(call.body["amount"]))
    return Reply(investment_json(investment), status=201,
                 location=_url(request, "investments.list", id=application.id))


# -- loans and repayments -----------------------------------------------------------------

def list_loans(request, call):
    return restricted_query(request, Loan).options(loans_service.with_principal_left())


def read_loan(request, call):
    return loan_json(get_visible_or_404(request, Loan, call.path["id"]), detail=True)


def write_off(request, call):
    loan = get_visible_or_404(request, Loan, call.path["id"])
    body = _texts(call.body)
    loan = loans_service.write_off(request.dbsession, loan, body["reason"], _date(body.get("on"), "on"))
    return loan_json(loan, detail=True)


def loan_repayments(request, call):
    loan = get_visible_or_404(request, Loan, call.path["id"])
    return restricted_query(request, Repayment).where(Repayment.loan_id == loan.id)


def post_repayment(request, call):
    loan = get_visible_or_404(request, Loan, call.path["id"])
    body = _texts(call.body)
    # A reference already posted is a DuplicateReference: a 409 whose extra names repayment_id.
    repayment = loans_service.post_repayment(request.dbsession, loan, Decimal(body["amount"]),
                                             _date(body["paid_on"], "paid_on"), body["reference"])
    return Reply({**repayment_json(repayment), "loan_status": repayment.loan.status}, status=201,
                 location=_url(request, "repayments.read", id=repayment.id))


def list_repayments(request, call):
    return restricted_query(request, Repayment)


def read_repayment(request, call):
    repayment = get_visible_or_404(request, Repayment, call.path["id"])
    shares = request.dbsession.scalars(select(CashEntry).where(CashEntry.repayment_id == repayment.id)
                                       .order_by(CashEntry.id)).all()
    return {**repayment_json(repayment),
            "shares": [{"investor_id": e.customer_id, "amount": _money(e.amount)} for e in shares]}


def delinquency(request, call):
    from core import context
    from plugins.lending.services import stats
    from plugins.lending.services.cob import last_closed
    from plugins.lending.services.delinquency import bucket_names, buckets_from_settings

    session = request.dbsession
    names = bucket_names(buckets_from_settings(context.settings(session)))
    return {"as_of": last_closed(session),
            "buckets": [{"bucket": b, "loans": n, "principal_outstanding": _money(left)}
                        for b, n, left in stats.by_bucket(session, names)]}


# -- the declarations --------------------------------------------------------------------

def _since_until(column, what) -> dict:
    return {"since": Filter(column, "gte", description=f"{what} on or after this date."),
            "until": Filter(column, "lte", description=f"{what} on or before this date.")}


def operations() -> list[Operation]:
    C, A, L = "customers", "applications", "loans"
    customers = Listing(Customer, customer_json, filters={
        "role": Filter(Customer.role, schema=enum(CUSTOMER_ROLES)), "kind": Filter(Customer.kind,
                                                                                    schema=enum(CUSTOMER_KINDS)),
        "kyc_status": Filter(Customer.kyc_status, schema=enum(KYC_STATUSES)), "region": Filter(Customer.region),
        "name": Filter(Customer.name, "contains"), "id_number": Filter(Customer.id_number)},
        sorts={"name": Customer.name, "created_at": Customer.created_at})
    entries = Listing(CashEntry, entry_json, filters={"kind": Filter(CashEntry.kind, schema=enum(CASH_KINDS)),
                                                      **_since_until(CashEntry.entry_date, "Entries")},
                      sorts={"entry_date": CashEntry.entry_date}, default_sort="-id")
    applications = Listing(Application, application_json, filters={
        "status": Filter(Application.status, schema=enum(APPLICATION_STATUSES)),
        "customer_id": Filter(Application.customer_id), "product_version_id": Filter(Application.product_version_id),
        "region": Filter(Application.region), "industry": Filter(Application.industry)},
        sorts={"created_at": Application.created_at, "amount": Application.amount}, default_sort="-id")
    investments = Listing(Investment, investment_json, filters={
        "status": Filter(Investment.status, schema=enum(INVESTMENT_STATUSES)),
        "investor_id": Filter(Investment.investor_id)})
    loans = Listing(Loan, loan_json, filters={
        "status": Filter(Loan.status, schema=enum(LOAN_STATUSES)), "bucket": Filter(Loan.bucket),
        "customer_id": Filter(Loan.customer_id), "product_version_id": Filter(Loan.product_version_id),
        "region": Filter(Loan.region), "industry": Filter(Loan.industry),
        "min_days_past_due": Filter(Loan.days_past_due, "gte", schema={"type": "integer", "minimum": 0,
                                                                       "maximum": 100000},
                                    description="At least this many days past due."),
        **_since_until(Loan.disbursed_on, "Disbursed")},
        sorts={"disbursed_on": Loan.disbursed_on, "days_past_due": Loan.days_past_due, "principal": Loan.principal})
    repayments = Listing(Repayment, repayment_json, filters={
        "loan_id": Filter(Repayment.loan_id), "reference": Filter(Repayment.reference),
        **_since_until(Repayment.paid_on, "Paid")}, sorts={"paid_on": Repayment.paid_on}, default_sort="-id")
    loan_repayments_listing = Listing(Repayment, repayment_json, sorts={"paid_on": Repayment.paid_on})
    return [
        # customers and KYC
        Operation("GET", "/customers", f"{C}.list", list_customers, "lending.customer.view", _("List customers"),
                  response=CUSTOMER, listing=customers, tags=("lending: customers",)),
        Operation("POST", "/customers", f"{C}.create", create_customer, "lending.customer.manage",
                  _("Open a customer (KYC pending)"), body=NEW_CUSTOMER, response=CUSTOMER, status=201,
                  idempotent=True, tags=("lending: customers",)),
        Operation("GET", "/customers/{id}", f"{C}.read", read_customer, "lending.customer.view", _("One customer"),
                  response=CUSTOMER, tags=("lending: customers",)),
        Operation("PATCH", "/customers/{id}", f"{C}.update", update_customer, "lending.customer.manage",
                  _("Change a customer's details"), body=CUSTOMER_CHANGES, response=CUSTOMER,
                  tags=("lending: customers",)),
        Operation("POST", "/customers/{id}/kyc", f"{C}.kyc", customer_kyc, "lending.customer.manage",
                  _("Record a KYC decision"), description=_("Verifying needs a document on file; rejecting, a note."),
                  body=KYC, response=CUSTOMER, tags=("lending: customers",)),
        Operation("GET", "/customers/{id}/documents", f"{C}.documents", customer_documents, "lending.customer.view",
                  _("A customer's KYC documents"), response=DOCUMENT, tags=("lending: customers",),
                  listing=Listing(Document, document_json, sorts={}, default_sort="-id")),
        Operation("POST", "/customers/{id}/documents", f"{C}.documents.upload", upload_customer_document,
                  "lending.customer.manage", _("Upload a KYC document for a customer"),
                  description=_("Stored in the document store and attached to the customer."),
                  multipart=UPLOAD, response=DOCUMENT, status=201, idempotent=True,
                  tags=("lending: customers",)),
        # cash
        Operation("GET", "/customers/{id}/cash", "cash.balance", customer_cash, "lending.cash.view",
                  _("An investor's balance, reserved and available cash"), response=BALANCE, tags=("lending: cash",)),
        Operation("GET", "/customers/{id}/cash/entries", "cash.entries", cash_entries, "lending.cash.view",
                  _("An investor's cash entries"), response=ENTRY, listing=entries, tags=("lending: cash",)),
        Operation("POST", "/customers/{id}/cash/deposits", "cash.deposit", deposit, "lending.cash.manage",
                  _("Record a deposit"), body=MOVE, response=ENTRY, status=201, idempotent=True,
                  tags=("lending: cash",)),
        Operation("POST", "/customers/{id}/cash/withdrawals", "cash.withdraw", withdraw, "lending.cash.manage",
                  _("Record a withdrawal (at most what is available)"), body=MOVE, response=ENTRY, status=201,
                  idempotent=True, tags=("lending: cash",)),
        # applications and investments
        Operation("GET", "/applications", f"{A}.list", list_applications, "lending.application.view",
                  _("List loan applications"), response=APPLICATION, listing=applications,
                  tags=("lending: applications",)),
        Operation("POST", "/applications", f"{A}.create", create_application, "lending.application.manage",
                  _("Create a draft application"), description=_("annual_rate defaults to the product's rate."),
                  body=NEW_APPLICATION, response=APPLICATION_DETAIL, status=201, idempotent=True,
                  tags=("lending: applications",)),
        Operation("GET", "/applications/{id}", f"{A}.read", read_application, "lending.application.view",
                  _("One application with what is funded"), response=APPLICATION_DETAIL,
                  tags=("lending: applications",)),
        Operation("PATCH", "/applications/{id}", f"{A}.update", update_application, "lending.application.manage",
                  _("Change a draft's terms"), body=APPLICATION_CHANGES, response=APPLICATION_DETAIL,
                  tags=("lending: applications",)),
        Operation("POST", "/applications/{id}/submit", f"{A}.submit", submit, "lending.application.manage",
                  _("Submit a draft for review"), response=APPLICATION_DETAIL, tags=("lending: applications",)),
        Operation("POST", "/applications/{id}/approve", f"{A}.approve", approve, "lending.application.approve",
                  _("Approve a submitted application"), body=REASON, response=APPLICATION_DETAIL,
                  tags=("lending: applications",)),
        Operation("POST", "/applications/{id}/reject", f"{A}.reject", reject, "lending.application.approve",
                  _("Reject a submitted application"), body=REASON_REQUIRED, response=APPLICATION_DETAIL,
                  tags=("lending: applications",)),
        Operation("POST", "/applications/{id}/list", f"{A}.list_for_funding", list_for_funding,
                  "lending.application.manage", _("List an approved application for funding"),
                  response=APPLICATION_DETAIL, tags=("lending: applications",)),
        Operation("POST", "/applications/{id}/cancel", f"{A}.cancel", cancel, "lending.application.manage",
                  _("Cancel an application (reservations are released)"), body=REASON_REQUIRED,
                  response=APPLICATION_DETAIL, tags=("lending: applications",)),
        Operation("POST", "/applications/{id}/disburse", f"{A}.disburse", disburse, "lending.loan.disburse",
                  _("Disburse a funded application: the loan"), body=DISBURSE, response=LOAN_DETAIL, status=201,
                  idempotent=True, tags=("lending: applications",)),
        Operation("GET", "/applications/{id}/investments", "investments.list", list_investments,
                  "lending.investment.view", _("The investments in an application"), response=INVESTMENT,
                  listing=investments, tags=("lending: applications",)),
        Operation("POST", "/applications/{id}/investments", "investments.create", invest, "lending.investment.manage",
                  _("Invest: reserve an investor's money for a listed application"), body=NEW_INVESTMENT,
                  response=INVESTMENT, status=201, idempotent=True, tags=("lending: applications",)),
        # loans, repayments, delinquency
        Operation("GET", "/loans", f"{L}.list", list_loans, "lending.loan.view", _("List loans"),
                  description=_("Delinquency: filter by bucket or min_days_past_due, sort by -days_past_due."),
                  response=LOAN, listing=loans, tags=("lending: loans",)),
        Operation("GET", "/loans/{id}", f"{L}.read", read_loan, "lending.loan.view",
                  _("One loan with its schedule and holdings"), response=LOAN_DETAIL, tags=("lending: loans",)),
        Operation("POST", "/loans/{id}/write-off", f"{L}.write_off", write_off, "lending.loan.manage",
                  _("Write a loan off"), body=WRITE_OFF, response=LOAN_DETAIL, tags=("lending: loans",)),
        Operation("GET", "/loans/{id}/repayments", f"{L}.repayments", loan_repayments, "lending.repayment.view",
                  _("A loan's repayments"), response=REPAYMENT, listing=loan_repayments_listing,
                  tags=("lending: loans",)),
        Operation("POST", "/loans/{id}/repayments", "repayments.create", post_repayment, "lending.repayment.post",
                  _("Post a repayment"), description=_("A reference already posted is a 409 naming repayment_id."),
                  body=NEW_REPAYMENT, response=POSTED, status=201, idempotent=True, tags=("lending: loans",)),
        Operation("GET", "/repayments", "repayments.list", list_repayments, "lending.repayment.view",
                  _("List repayments"), response=REPAYMENT, listing=repayments, tags=("lending: loans",)),
        Operation("GET", "/repayments/{id}", "repayments.read", read_repayment, "lending.repayment.view",
                  _("One repayment with its distribution"), response=REPAYMENT_DETAIL, tags=("lending: loans",)),
        Operation("GET", "/delinquency", "delinquency.buckets", delinquency, "lending.loan.view",
                  _("Active loans and principal outstanding by delinquency bucket"), response=DELINQUENCY,
                  tags=("lending: loans",)),
    ]


# -- webhook events --------------------------------------------------------------------------

EVENT_SCHEMAS = {
    "lending.application.submitted": obj({"application_id": ID, "customer_id": ID, "amount": MONEY,
                                          "review_pending": array(text(200))}),
    "lending.loan.disbursed": obj({"loan_id": ID, "application_id": ID, "customer_id": ID, "principal": MONEY,
                                   "payout": MONEY, "disbursed_on": DATE}),
    "lending.repayment.posted": obj({"repayment_id": ID, "loan_id": ID, "reference": text(100), "amount": MONEY,
                                     "paid_on": DATE, "loan_status": enum(LOAN_STATUSES)}),
    "lending.loan.delinquency_changed": obj({"loan_id": ID, "old_bucket": text(10), "new_bucket": text(10),
                                             "days_past_due": COUNT}),
    "lending.loan.closed": obj({"loan_id": ID, "closed_on": DATE}),
}


def events() -> list[WebhookEvent]:
    texts = {
        "lending.application.submitted": _("An application was submitted for review."),
        "lending.loan.disbursed": _("A funded application was disbursed: a new loan."),
        "lending.repayment.posted": _("A repayment was posted to a loan and distributed."),
        "lending.loan.delinquency_changed": _("A loan moved to another delinquency bucket."),
        "lending.loan.closed": _("A loan was repaid in full."),
    }
    return [WebhookEvent(name, texts[name], schema) for name, schema in EVENT_SCHEMAS.items()]

"""The collections plugin's JSON API under ``/api/v1/collections`` (the convention: docs/api.md).

Cases (list with filters, the record with its loan summary, action items, contacts and
promises), the collector's queue, action items, contact attempts, promises to pay, targets,
and the workflow buttons of the case and collector pages (escalate, assign, report a
high-risk client, return a collector's cases to the pool). Every handler calls the services
the screens call (:mod:`plugins.collections.services`); their refusals become problems.
Record rules apply as on the screens: a collector sees the cases assigned to them.
"""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import joinedload, object_session, selectinload

from core.api import DATE, DATETIME, ID, MONEY, Filter, Listing, Operation, Reply, array, nullable, obj, text
from core.errors import NotFound
from core.security import get_visible_or_404, restricted_query
from plugins.collections import services
from plugins.collections.i18n import _
from plugins.collections.models import (
    ACTION_KINDS,
    CASE_STATUSES,
    CHANNELS,
    ITEM_STATUSES,
    OPEN_STATUSES,
    OUTCOMES,
    PROMISE_STATUSES,
    STAGES,
    ActionItem,
    Case,
    Contact,
    Promise,
    StrategyAction,
    Target,
)
from plugins.collections.services import config, queue
from plugins.collections.services import targets as target_services
from plugins.collections.services.cases import business_date
from plugins.lending.models import Loan

P = "collections."
AS_OF = "collections.api.as_of"  # the business date, set on the session by each handler for the serializers

# -- schemas -------------------------------------------------------------------------------------

COUNT = {"type": "integer", "minimum": 0}
STAGE = {"type": "string", "enum": list(STAGES)}
MONTH = {"type": "string", "pattern": "^(19|20|21)[0-9]{2}-(0[1-9]|1[0-2])$",
         "description": "A month: 2026-03 (1900-01 to 2199-12, the window of the screens)."}
CASE = obj({
    "id": ID, "loan_id": ID, "customer_id": ID, "status": {"type": "string", "enum": list(CASE_STATUSES)},
    "stage": STAGE, "bucket": text(10), "region": text(100), "collector_id": nullable(ID),
    "needs_assignment": {"type": "boolean"}, "overdue_amount": MONEY, "overdue_since": nullable(DATE),
    "days_past_due": COUNT, "opened_on": DATE, "stage_since": DATE, "closed_on": nullable(DATE),
    "close_reason": text(60), "next_action_on": nullable(DATE), "promise_due": nullable(DATE),
    "broken_promises": COUNT, "high_risk": {"type": "boolean"}, "escalated_at": nullable(DATETIME)})
ITEM = obj({"id": ID, "case_id": ID, "action_id": {"type": "integer"}, "title": text(120), "stage": STAGE,
            "channel": {"type": "string", "enum": list(ACTION_KINDS)}, "occurrence": {"type": "integer"},
            "due_on": DATE, "status": {"type": "string", "enum": list(ITEM_STATUSES)},
            "done_at": nullable(DATETIME), "done_by": text(100)})
CONTACT = obj({"id": ID, "case_id": ID, "collector_id": nullable(ID),
               "channel": {"type": "string", "enum": list(CHANNELS)},
               "outcome": {"type": "string", "enum": list(OUTCOMES)}, "right_party": {"type": "boolean"},
               "note": {"type": "string"}, "next_action_on": nullable(DATE), "contacted_on": DATE, "stage": STAGE,
               "created_at": DATETIME})
PROMISE = obj({"id": ID, "case_id": ID, "contact_id": nullable(ID), "collector_id": nullable(ID), "amount": MONEY,
               "made_on": DATE, "due_on": DATE, "status": {"type": "string", "enum": list(PROMISE_STATUSES)},
               "paid_amount": MONEY, "resolved_on": nullable(DATE)})
LOAN = obj({"id": ID, "status": text(12), "principal": MONEY, "disbursed_on": DATE, "term_months": COUNT,
            "days_past_due": COUNT, "bucket": text(10), "penalty_due": MONEY, "closed_on": nullable(DATE),
            "overdue_installments": COUNT})
CUSTOMER = obj({"id": ID, "name": text(200), "phone": text(50), "email": text(200)})
CASE_RECORD = {**CASE, "properties": {**CASE["properties"], "loan": LOAN, "customer": CUSTOMER,
                                      "action_items": array(ITEM), "contacts": array(CONTACT),
                                      "promises": array(PROMISE)},
               "required": [*CASE["required"], "loan", "customer", "action_items", "contacts", "promises"]}
QUEUE_ITEM = {**CASE, "properties": {**CASE["properties"], "customer_name": text(200), "phone": text(50),
                                     "promise_due_today": {"type": "boolean"},
                                     "next_item": nullable(obj({"channel": {"type": "string",
                                                                            "enum": list(ACTION_KINDS)},
                                                                "due_on": DATE}))},
              "required": [*CASE["required"], "customer_name", "phone", "promise_due_today", "next_item"]}
QUEUE = obj({"today": DATE, "as_of": DATE,
             "counts": obj({"cases": COUNT, "overdue": MONEY, "promises_today": COUNT, "broken": COUNT,
                            "items_due": COUNT}),
             "items": array(QUEUE_ITEM)})
SHARE = obj({"collector_id": ID, "amount": MONEY})
TARGET = obj({"id": ID, "month": MONTH, "amount": MONEY, "note": {"type": "string"}, "split": MONEY,
              "shares": array(SHARE)})
STANDING = obj({"rank": {"type": "integer", "minimum": 1}, "collector_id": ID, "username": text(64),
                "target": nullable(MONEY), "recovered": MONEY,
                "rate": nullable({"type": "string", "pattern": r"^-?[0-9]{1,16}\.[0-9]{4}$"})})
TARGET_RECORD = {**TARGET, "properties": {**TARGET["properties"], "standings": array(STANDING)},
                 "required": [*TARGET["required"], "standings"]}
RISK_REPORT = obj({"id": ID, "case_id": ID, "reason": {"type": "string"}, "reported_by_id": nullable(ID),
                   "reported_at": DATETIME})

NEW_CONTACT = obj({"channel": {"type": "string", "enum": list(CHANNELS)},
                   "outcome": {"type": "string", "enum": list(OUTCOMES)}, "note": text(5000),
                   "message": text(2000), "next_action_on": DATE, "promise_amount": MONEY, "promise_due": DATE},
                  required=["channel", "outcome"])
NEW_PROMISE = obj({"amount": MONEY, "due_on": DATE, "channel": {"type": "string", "enum": list(CHANNELS)},
                   "note": text(5000), "next_action_on": DATE}, required=["amount", "due_on"])


# -- serializers ------------------------------------------------------------------------------------

def _money(value) -> str:
    return f"{value or 0:.2f}"


def _as_of(session) -> date:
    if AS_OF not in session.info:
        session.info[AS_OF] = business_date(session)
    return session.info[AS_OF]


def _fresh_as_of(request) -> None:
    """Each handler reads lending's business date once; the serializers use it for days past due."""
    request.dbsession.info[AS_OF] = business_date(request.dbsession)


def case_json(case: Case) -> dict:
    days = 0
    if case.overdue_since is not None and case.is_open:
        days = max((_as_of(object_session(case)) - case.overdue_since).days, 0)
    return {"id": case.id, "loan_id": case.loan_id, "customer_id": case.customer_id, "status": case.status,
            "stage": case.stage, "bucket": case.bucket, "region": case.region or "", "collector_id": case.collector_id,
            "needs_assignment": bool(case.needs_assignment), "overdue_amount": _money(case.overdue_amount),
            "overdue_since": case.overdue_since, "days_past_due": days, "opened_on": case.opened_on,
            "stage_since": case.stage_since, "closed_on": case.closed_on, "close_reason": case.close_reason or "",
            "next_action_on": case.next_action_on, "promise_due": case.promise_due,
            "broken_promises": case.broken_promises or 0, "high_risk": bool(case.high_risk),
            "escalated_at": case.escalated_at}


def item_json(item: ActionItem, title: str | None = None) -> dict:
    if title is None:
        title = item.action.title if item.action is not None else ""
    return {"id": item.id, "case_id": item.case_id, "action_id": item.action_id, "title": title or "",
            "stage": item.stage, "channel": item.channel, "occurrence": item.occurrence, "due_on": item.due_on,
            "status": item.status, "done_at": item.done_at, "done_by": item.done_by or ""}


def contact_json(contact: Contact) -> dict:
    return {"id": contact.id, "case_id": contact.case_id, "collector_id": contact.collector_id,
            "channel": contact.channel, "outcome": contact.outcome, "right_party": contact.right_party,
            "note": contact.note or "", "next_action_on": contact.next_action_on,
            "contacted_on": contact.contacted_on, "stage": contact.stage, "created_at": contact.created_at}


def promise_json(promise: Promise) -> dict:
    return {"id": promise.id, "case_id": promise.case_id, "contact_id": promise.contact_id,
            "collector_id": promise.collector_id, "amount": _money(promise.amount), "made_on": promise.made_on,
            "due_on": promise.due_on, "status": promise.status, "paid_amount": _money(promise.paid_amount),
            "resolved_on": promise.resolved_on}


def target_json(target: Target) -> dict:
    return {"id": target.id, "month": f"{target.month:%Y-%m}", "amount": _money(target.amount),
            "note": target.note or "", "split": _money(sum((s.amount for s in target.shares), Decimal(0))),
            "shares": [{"collector_id": s.collector_id, "amount": _money(s.amount)} for s in target.shares]}


def _day(value: str) -> date | None:
    """A body date the schema has already checked (YYYY-MM-DD)."""
    return date.fromisoformat(value) if value else None


# -- cases and the queue ----------------------------------------------------------------------------

def list_cases(request, call):
    _fresh_as_of(request)  # the days_min/days_max filters and the serializer count from it
    return restricted_query(request, Case)


# The case list's filters that are conditions rather than one column compared (core's Filter(where=...)).

def _open(value: bool, session):
    statuses = Case.status.in_(OPEN_STATUSES)
    return statuses if value else ~statuses


def _unassigned(value: bool, session):
    return Case.collector_id.is_(None) if value else Case.collector_id.is_not(None)


def _days_min(days: int, session):  # days past due >= n  <=>  overdue since on or before as_of - n
    return Case.overdue_since <= _as_of(session) - timedelta(days=days)


def _days_max(days: int, session):
    return Case.overdue_since >= _as_of(session) - timedelta(days=days)


def _visible_case(request, ident) -> Case:
    case = request.dbsession.scalars(
        restricted_query(request, Case, Case.id == ident)
        .options(joinedload(Case.loan).selectinload(Loan.installments),
                 joinedload(Case.customer))).first()
    if case is None:
        raise NotFound()
    return case


def read_case(request, call):
    _fresh_as_of(request)
    session = request.dbsession
    case = _visible_case(request, call.path["id"])
    as_of = _as_of(session)
    loan, customer = case.loan, case.customer
    items = session.execute(select(ActionItem, StrategyAction.title)
                            .outerjoin(StrategyAction, StrategyAction.id == ActionItem.action_id)
                            .where(ActionItem.case_id == case.id)
                            .order_by(ActionItem.status != "due", ActionItem.due_on.desc(), ActionItem.id.desc())
                            .limit(100)).all()
    contacts = session.scalars(select(Contact).where(Contact.case_id == case.id).order_by(Contact.id.desc()))
    promises = session.scalars(select(Promise).where(Promise.case_id == case.id).order_by(Promise.id.desc()))
    overdue = [i for i in loan.installments if i.paid_on is None and i.due_date < as_of]
    return {**case_json(case),
            "loan": {"id": loan.id, "status": loan.status, "principal": _money(loan.principal),
                     "disbursed_on": loan.disbursed_on, "term_months": loan.term_months,
                     "days_past_due": max(loan.days_past_due or 0, 0), "bucket": loan.bucket,
                     "penalty_due": _money(loan.penalty_due), "closed_on": loan.closed_on,
                     "overdue_installments": len(overdue)},
            "customer": {"id": customer.id, "name": customer.name, "phone": customer.phone or "",
                         "email": customer.email or ""},
            "action_items": [item_json(item, title) for item, title in items],
            "contacts": [contact_json(c) for c in contacts], "promises": [promise_json(p) for p in promises]}


def my_queue(request, call):
    """My open cases in the queue's priority order (as the My queue screen sorts them)."""
    from plugins.lending.models import Customer

    _fresh_as_of(request)
    session = request.dbsession
    today, as_of = config.today(session), _as_of(session)
    priority = queue.priority(session.get_bind().dialect.name, today, as_of)
    stmt = (restricted_query(request, Case, Case.collector_id == request.user.id, Case.status.in_(OPEN_STATUSES))
            .add_columns(queue.of_case(Customer.name).label("name"), queue.of_case(Customer.phone).label("phone")))
    if call.params.get("stage"):
        stmt = stmt.where(Case.stage == call.params["stage"])
    rows = session.execute(stmt.order_by(priority.desc(), Case.id).limit(call.params["limit"])).all()
    ids = [row[0].id for row in rows]
    first: dict[int, ActionItem] = {}
    if ids:
        for item in session.scalars(select(ActionItem).where(ActionItem.case_id.in_(ids), ActionItem.status == "due")
                                    .order_by(ActionItem.due_on, ActionItem.id)):
            first.setdefault(item.case_id, item)
    counts = queue.today_counts(session, request.user.id, today)
    items = []
    for case, name, phone in rows:
        nxt = first.get(case.id)
        items.append({**case_json(case), "customer_name": name or "", "phone": phone or "",
                      "promise_due_today": case.promise_due == today,
                      "next_item": {"channel": nxt.channel, "due_on": nxt.due_on} if nxt is not None else None})
    return {"today": today, "as_of": as_of, "counts": {**counts, "overdue": _money(counts["overdue"])}, "items": items}


def escalate_case(request, call):
    _fresh_as_of(request)
    case = get_visible_or_404(request, Case, call.path["id"])
    return case_json(services.escalate(request.dbsession, case, (call.body or {}).get("reason", "")))


def assign_case(request, call):
    _fresh_as_of(request)
    case = get_visible_or_404(request, Case, call.path["id"])
    return case_json(services.reassign(request.dbsession, case, call.body["collector_id"]))


def report_risk(request, call):
    case = get_visible_or_404(request, Case, call.path["id"])
    report = services.report_high_risk(request.dbsession, case, call.body["reason"], request.user.id)
    return Reply({"id": report.id, "case_id": report.case_id, "reason": report.reason,
                  "reported_by_id": report.reported_by_id, "reported_at": report.reported_at}, status=201,
                 location=request.route_url("api.collections.cases.read", id=case.id))


def release_collector(request, call):
    from core.models.user import User

    user = request.dbsession.get(User, call.path["id"])
    if user is None:
        raise NotFound()
    return {"collector_id": user.id, "released": services.release_cases(request.dbsession, user)}


# -- action items, contacts, promises ---------------------------------------------------------------

def list_items(request, call):
    return restricted_query(request, ActionItem).options(selectinload(ActionItem.action))


def finish_item(request, call):
    item = get_visible_or_404(request, ActionItem, call.path["id"])
    services.finish_item(request.dbsession, item, call.body["status"], request.user.username)
    return item_json(item)


def list_contacts(request, call):
    return restricted_query(request, Contact)


def read_contact(request, call):
    return contact_json(get_visible_or_404(request, Contact, call.path["id"]))


def _log(request, case: Case, body: dict, outcome: str, amount, due) -> Contact:
    return services.log_contact(
        request.dbsession, case, request.user.id, channel=body.get("channel", "call"), outcome=outcome,
        note=body.get("note", ""), message=body.get("message", ""), next_action_on=_day(body.get("next_action_on")),
        promise_amount=Decimal(amount) if amount is not None else None, promise_due=_day(due))


def _promise_of(session, contact: Contact) -> Promise | None:
    return session.scalars(select(Promise).where(Promise.contact_id == contact.id)).first()


def create_contact(request, call):
    """Log a contact attempt: the contact form's service (its promise, message and action item too)."""
    case = get_visible_or_404(request, Case, call.path["id"])
    body = call.body
    contact = _log(request, case, body, body["outcome"], body.get("promise_amount"), body.get("promise_due"))
    promise = _promise_of(request.dbsession, contact)
    return Reply({**contact_json(contact), "promise": promise_json(promise) if promise is not None else None},
                 status=201, location=request.route_url("api.collections.contacts.read", id=contact.id))


def create_promise(request, call):
    """A promise to pay is a contact with the outcome 'promise to pay' (as on the contact form)."""
    case = get_visible_or_404(request, Case, call.path["id"])
    contact = _log(request, case, call.body, "promise_to_pay", call.body["amount"], call.body["due_on"])
    promise = _promise_of(request.dbsession, contact)
    return Reply(promise_json(promise), status=201,
                 location=request.route_url("api.collections.promises.read", id=promise.id))


def list_promises(request, call):
    return restricted_query(request, Promise)


def read_promise(request, call):
    return promise_json(get_visible_or_404(request, Promise, call.path["id"]))


# -- targets -----------------------------------------------------------------------------------------

def list_targets(request, call):
    return restricted_query(request, Target).options(selectinload(Target.shares))


def _target(request, ident) -> Target:
    return get_visible_or_404(request, Target, ident)


def _target_record(session, target: Target) -> dict:
    standings = [{"rank": s.rank, "collector_id": s.collector_id, "username": s.username[:64],
                  "target": _money(s.target) if s.target is not None else None, "recovered": _money(s.recovered),
                  "rate": f"{s.rate:.4f}" if s.rate is not None else None}
                 for s in target_services.ranking(session, target.month)]
    return {**target_json(target), "standings": standings}


def read_target(request, call):
    return _target_record(request.dbsession, _target(request, call.path["id"]))


def set_target(request, call):
    """Set a month's target as the targets form does: create it (201) or change the month's target (200)."""
    session = request.dbsession
    month = target_services.parse_month(call.body["month"])
    existing = target_services.get_target(session, month)
    note = call.body.get("note", (existing.note or "") if existing is not None else "")
    target = target_services.set_target(session, month, Decimal(call.body["amount"]), note)
    if existing is not None:
        return Reply(target_json(target), status=200)
    return Reply(target_json(target), status=201,
                 location=request.route_url("api.collections.targets.read", id=target.id))


def update_target(request, call):
    target = _target(request, call.path["id"])
    note = call.body.get("note", target.note or "")
    target = target_services.set_target(request.dbsession, target.month, Decimal(call.body["amount"]), note)
    return target_json(target)


def set_shares(request, call):
    target = _target(request, call.path["id"])
    shares = {share["collector_id"]: Decimal(share["amount"]) for share in call.body["shares"]}
    return target_json(target_services.set_shares(request.dbsession, target, shares))


def split_target(request, call):
    target = _target(request, call.path["id"])
    return target_json(target_services.split_evenly(request.dbsession, target))


# -- the declarations ----------------------------------------------------------------------------------

def _range(column, op, description):
    return Filter(column, op, description=description)


def operations() -> list[Operation]:
    tags = ("collections",)
    case_filters = {
        "status": Filter(Case.status, schema={"type": "string", "enum": list(CASE_STATUSES)}),
        "stage": Filter(Case.stage, schema=STAGE),
        "collector_id": Filter(Case.collector_id, schema=ID, description="The collector holding the case."),
        "region": Filter(Case.region),
        "high_risk": Filter(Case.high_risk),
        "overdue_min": _range(Case.overdue_amount, "gte", "Overdue amount at least this."),
        "overdue_max": _range(Case.overdue_amount, "lte", "Overdue amount at most this."),
        "opened_since": _range(Case.opened_on, "gte", "Opened on or after this date."),
        "opened_until": _range(Case.opened_on, "lte", "Opened on or before this date."),
    }
    days = {"type": "integer", "minimum": 0, "maximum": 36500}
    case_filters.update({
        "open": Filter(schema={"type": "boolean"}, where=_open,
                       description="true: any open status (open, promised, escalated); false: closed."),
        "unassigned": Filter(schema={"type": "boolean"}, where=_unassigned,
                             description="true: waiting for a collector; false: assigned."),
        "days_min": Filter(schema=days, where=_days_min, description="Days past due at least this."),
        "days_max": Filter(schema=days, where=_days_max, description="Days past due at most this."),
    })
    return [
        Operation("GET", "/cases", "cases.list", list_cases, P + "case.view", _("List collection cases"),
                  description=_("A collector sees the cases assigned to them; collections.case.view_all sees every "
                                "case."),
                  response=CASE, tags=tags,
                  listing=Listing(Case, case_json, filters=case_filters, default_sort="-id",
                                  sorts={"opened_on": Case.opened_on, "overdue_amount": Case.overdue_amount,
                                         "stage_since": Case.stage_since, "broken_promises": Case.broken_promises})),
        Operation("GET", "/cases/{id}", "cases.read", read_case, P + "case.view",
                  _("One case with its loan summary, action items, contacts and promises"),
                  response=CASE_RECORD, tags=tags),
        Operation("GET", "/queue", "queue.read", my_queue, P + "case.view", _("My queue: my open cases by priority"),
                  description=_("A promise due today first, then overdue amount × days past due × (1 + broken "
                                "promises), as on the My queue screen; the first `limit` cases and today's counts."),
                  params={"limit": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50},
                          "stage": STAGE},
                  response=QUEUE, tags=tags),
        Operation("POST", "/cases/{id}/contacts", "contacts.create", create_contact, P + "contact.log",
                  _("Log a contact attempt"),
                  description=_("With the outcome promise_to_pay, promise_amount and promise_due make a promise "
                                "(replacing a pending one). An sms or email contact sends its message."),
                  body=NEW_CONTACT, status=201, idempotent=True, tags=tags,
                  response={**CONTACT, "properties": {**CONTACT["properties"], "promise": nullable(PROMISE)},
                            "required": [*CONTACT["required"], "promise"]}),
        Operation("POST", "/cases/{id}/promises", "promises.create", create_promise, P + "contact.log",
                  _("Record a promise to pay"),
                  description=_("Logs a contact (channel: call unless given) with the outcome promise_to_pay."),
                  body=NEW_PROMISE, response=PROMISE, status=201, idempotent=True, tags=tags),
        Operation("POST", "/cases/{id}/escalate", "cases.escalate", escalate_case, P + "case.escalate",
                  _("Escalate a late case to legal"), body=obj({"reason": text(2000)}, required=[]),
                  body_required=False, response=CASE, tags=tags),
        Operation("POST", "/cases/{id}/assign", "cases.assign", assign_case, P + "case.assign",
                  _("Give an open case to another collector"), body=obj({"collector_id": ID}), response=CASE,
                  tags=tags),
        Operation("POST", "/cases/{id}/risk-reports", "cases.report_risk", report_risk, P + "case.report_risk",
                  _("Report a high-risk client"), body=obj({"reason": text(5000)}), response=RISK_REPORT,
                  status=201, idempotent=True, tags=tags),
        Operation("POST", "/collectors/{id}/release", "collectors.release", release_collector, P + "case.assign",
                  _("Return a collector's open cases to the pool"),
                  response=obj({"collector_id": ID, "released": COUNT}), tags=tags),
        Operation("GET", "/action-items", "items.list", list_items, P + "case.view", _("List action items"),
                  response=ITEM, tags=tags,
                  listing=Listing(ActionItem, item_json, default_sort="due_on", sorts={"due_on": ActionItem.due_on},
                                  filters={"case_id": Filter(ActionItem.case_id, schema=ID),
                                           "status": Filter(ActionItem.status,
                                                            schema={"type": "string", "enum": list(ITEM_STATUSES)}),
                                           "channel": Filter(ActionItem.channel,
                                                             schema={"type": "string", "enum": list(ACTION_KINDS)}),
                                           "due_since": _range(ActionItem.due_on, "gte", "Due on or after."),
                                           "due_until": _range(ActionItem.due_on, "lte", "Due on or before.")})),
        Operation("POST", "/action-items/{id}/finish", "items.finish", finish_item, P + "contact.log",
                  _("Mark an action item done or skipped"),
                  body=obj({"status": {"type": "string", "enum": ["done", "skipped"]}}), response=ITEM, tags=tags),
        Operation("GET", "/contacts", "contacts.list", list_contacts, P + "case.view", _("List contact attempts"),
                  response=CONTACT, tags=tags,
                  listing=Listing(Contact, contact_json, default_sort="-id",
                                  sorts={"contacted_on": Contact.contacted_on},
                                  filters={"case_id": Filter(Contact.case_id, schema=ID),
                                           "collector_id": Filter(Contact.collector_id, schema=ID),
                                           "channel": Filter(Contact.channel,
                                                             schema={"type": "string", "enum": list(CHANNELS)}),
                                           "outcome": Filter(Contact.outcome,
                                                             schema={"type": "string", "enum": list(OUTCOMES)}),
                                           "since": _range(Contact.contacted_on, "gte", "Contacted on or after."),
                                           "until": _range(Contact.contacted_on, "lte", "Contacted on or before.")})),
        Operation("GET", "/contacts/{id}", "contacts.read", read_contact, P + "case.view", _("One contact attempt"),
                  response=CONTACT, tags=tags),
        Operation("GET", "/promises", "promises.list", list_promises, P + "case.view", _("List promises to pay"),
                  description=_("Promises are kept or broken by the job collections.check_promises and, kept, as "
                                "soon as a repayment fulfils them."),
                  response=PROMISE, tags=tags,
                  listing=Listing(Promise, promise_json, default_sort="due_on",
                                  sorts={"due_on": Promise.due_on, "made_on": Promise.made_on},
                                  filters={"case_id": Filter(Promise.case_id, schema=ID),
                                           "collector_id": Filter(Promise.collector_id, schema=ID),
                                           "status": Filter(Promise.status,
                                                            schema={"type": "string",
                                                                    "enum": list(PROMISE_STATUSES)}),
                                           "due_since": _range(Promise.due_on, "gte", "Pay-by date on or after."),
                                           "due_until": _range(Promise.due_on, "lte", "Pay-by date on or before.")})),
        Operation("GET", "/promises/{id}", "promises.read", read_promise, P + "case.view", _("One promise to pay"),
                  response=PROMISE, tags=tags),
        Operation("GET", "/targets", "targets.list", list_targets, P + "target.view", _("Monthly team targets"),
                  response=TARGET, tags=tags,
                  listing=Listing(Target, target_json, default_sort="-month", sorts={"month": Target.month})),
        Operation("GET", "/targets/{id}", "targets.read", read_target, P + "target.view",
                  _("One month's target with its split and the collectors' ranking"), response=TARGET_RECORD,
                  tags=tags),
        Operation("POST", "/targets", "targets.create", set_target, P + "target.manage",
                  _("Set the team target of a month"),
                  description=_("As the targets form: creates the month's target (201, with its Location) or, "
                                "when the month has one, changes its amount (200); a note not given is kept. "
                                "The amount may not fall below what is already split (409)."),
                  body=obj({"month": MONTH, "amount": MONEY, "note": text(2000)}, required=["month", "amount"]),
                  response=TARGET, statuses=(201, 200), idempotent=True, tags=tags),
        Operation("PATCH", "/targets/{id}", "targets.update", update_target, P + "target.manage",
                  _("Change a month's team target"), body=obj({"amount": MONEY, "note": text(2000)},
                                                              required=["amount"]),
                  response=TARGET, tags=tags),
        Operation("PUT", "/targets/{id}/shares", "targets.shares", set_shares, P + "target.manage",
                  _("Split a target between collectors"),
                  description=_("Replaces the split: collectors left out have no share."),
                  body=obj({"shares": array(SHARE, maxItems=500)}), response=TARGET, tags=tags),
        Operation("POST", "/targets/{id}/split", "targets.split", split_target, P + "target.manage",
                  _("Split a target evenly between the team"), response=TARGET, tags=tags),
    ]

"""crm's JSON API under ``/api/v1/crm`` (the convention: docs/api.md).

Accounts and opportunities (lists with filters, records), the workflow of an
opportunity (move to a stage, set or clear the manual probability, mark lost)
and the weighted pipeline. Handlers call the services the screens call; record
rules apply as on the screens (a representative sees what they own).
"""
from __future__ import annotations

from decimal import Decimal

from core.api import DATE, ID, MONEY, Filter, Listing, Operation, Reply, nullable, obj, text
from core.security import get_visible_or_404, restricted_query
from plugins.crm.i18n import _
from plugins.crm.models import (
    ACCOUNT_KINDS,
    LOST_REASONS,
    OPPORTUNITY_KINDS,
    OPPORTUNITY_STATUSES,
    TIERS,
    Account,
    Opportunity,
    Stage,
)
from plugins.crm.services import accounts, pipeline

RATE = {"type": "string", "pattern": r"^[01](\.[0-9]{1,6})?$", "description": "A fraction: 0.25 is 25 %."}
ACCOUNT = obj({"id": ID, "name": text(200), "kind": {"enum": list(ACCOUNT_KINDS)}, "partner_type": text(12),
               "owner_id": nullable(ID), "region": text(100), "industry": text(100), "tier": {"enum": list(TIERS)},
               "customer_id": nullable(ID)})
NEW_ACCOUNT = obj({"name": text(200, 1), "kind": {"enum": list(ACCOUNT_KINDS)}, "region": text(100),
                   "industry": text(100), "tier": {"enum": list(TIERS)}, "id_number": text(64), "email": text(200),
                   "phone": text(50)}, required=["name", "kind"])
OPPORTUNITY = obj({"id": ID, "account_id": ID, "title": text(200), "kind": {"enum": list(OPPORTUNITY_KINDS)},
                   "amount": MONEY, "stage_id": ID, "stage": text(60), "probability": RATE,
                   "manual_probability": nullable(RATE), "weighted_amount": MONEY,
                   "status": {"enum": list(OPPORTUNITY_STATUSES)}, "lost_reason": text(20),
                   "application_id": nullable(ID), "partner_id": nullable(ID), "owner_id": nullable(ID),
                   "expected_close": nullable(DATE), "won_amount": nullable(MONEY), "closed_on": nullable(DATE),
                   "source": text(100)})
MOVE = obj({"stage_id": ID})
PROBABILITY = obj({"probability": nullable(RATE)})
LOST = obj({"reason": {"enum": list(LOST_REASONS)}, "note": text(2000)}, required=["reason"])
LEAD = obj({"name": text(200, 1), "kind": {"enum": list(OPPORTUNITY_KINDS)}, "amount": MONEY, "email": text(200),
            "phone": text(50), "id_number": text(64), "partner_id": nullable(ID), "source": text(100)},
           required=["name", "amount"])
PIPELINE = obj({"open_count": {"type": "integer", "minimum": 0}, "amount": MONEY, "weighted": MONEY})


def _rate(value: Decimal | None) -> str | None:
    return None if value is None else format(value.normalize(), "f")


def account_json(a: Account) -> dict:
    return {"id": a.id, "name": a.name, "kind": a.kind, "partner_type": a.partner_type, "owner_id": a.owner_id,
            "region": a.region, "industry": a.industry, "tier": a.tier, "customer_id": a.customer_id}


def opportunity_json(o: Opportunity) -> dict:
    return {"id": o.id, "account_id": o.account_id, "title": o.title, "kind": o.kind, "amount": str(o.amount),
            "stage_id": o.stage_id, "stage": o.stage.name, "probability": _rate(o.probability),
            "manual_probability": _rate(o.manual_probability),
            "weighted_amount": str(pipeline.weighted_amount(o) if o.status == "open" else Decimal("0.00")),
            "status": o.status, "lost_reason": o.lost_reason, "application_id": o.application_id,
            "partner_id": o.partner_id, "owner_id": o.owner_id,
            "expected_close": o.expected_close.isoformat() if o.expected_close else None,
            "won_amount": None if o.won_amount is None else str(o.won_amount), "source": o.source,
            "closed_on": o.closed_on.isoformat() if o.closed_on else None}


def create_account(request, call):
    account = accounts.create_account(request.dbsession, owner_id=request.user.id, **call.body)
    return Reply(account_json(account), status=201, location=request.route_url("api.crm.accounts.read", id=account.id))


def _opportunity(request, call) -> Opportunity:
    return get_visible_or_404(request, Opportunity, call.path["id"])


def move(request, call):
    return opportunity_json(pipeline.move(request.dbsession, _opportunity(request, call), str(call.body["stage_id"])))


def probability(request, call):
    value = call.body.get("probability")
    return opportunity_json(pipeline.set_probability(request.dbsession, _opportunity(request, call),
                                                     None if value is None else Decimal(value)))


def lost(request, call):
    return opportunity_json(pipeline.mark_lost(request.dbsession, _opportunity(request, call), call.body["reason"],
                                               call.body.get("note", "")))


def create_lead(request, call):
    body = call.body
    partner = get_visible_or_404(request, Account, body["partner_id"]) if body.get("partner_id") else None
    opportunity = pipeline.create_lead(request.dbsession, name=body["name"], kind=body.get("kind", "borrowing"),
                                       amount=Decimal(body["amount"]), email=body.get("email", ""),
                                       phone=body.get("phone", ""), id_number=body.get("id_number", ""),
                                       partner=partner, source=body.get("source", ""), owner_id=request.user.id)
    return Reply(opportunity_json(opportunity), status=201,
                 location=request.route_url("api.crm.opportunities.read", id=opportunity.id))


def weighted(request, call):
    session = request.dbsession
    found = list(session.scalars(pipeline.open_opportunities(restricted_query(request, Opportunity))).unique())
    return {"open_count": len(found), "amount": str(sum((o.amount for o in found), Decimal("0.00"))),
            "weighted": str(pipeline.weighted_pipeline(found))}


def operations():
    view, manage, work = "crm.account.view", "crm.account.manage", "crm.opportunity.manage"
    return [
        Operation("GET", "/accounts", "accounts.list", lambda r, c: restricted_query(r, Account), view,
                  _("List accounts"), response=ACCOUNT,
                  listing=Listing(Account, account_json, filters={"kind": Filter(Account.kind),
                                                                  "region": Filter(Account.region),
                                                                  "name": Filter(Account.name, "contains")},
                                  sorts={"name": Account.name})),
        Operation("GET", "/accounts/{id}", "accounts.read",
                  lambda r, c: account_json(get_visible_or_404(r, Account, c.path["id"])), view, _("One account"),
                  response=ACCOUNT),
        Operation("POST", "/accounts", "accounts.create", create_account, manage, _("Create an account"),
                  body=NEW_ACCOUNT, response=ACCOUNT, status=201, idempotent=True),
        Operation("GET", "/opportunities", "opportunities.list", lambda r, c: restricted_query(r, Opportunity), view,
                  _("List opportunities"), response=OPPORTUNITY,
                  listing=Listing(Opportunity, opportunity_json,
                                  filters={"status": Filter(Opportunity.status), "stage_id": Filter(Opportunity.stage_id),
                                           "account_id": Filter(Opportunity.account_id)},
                                  sorts={"amount": Opportunity.amount})),
        Operation("GET", "/opportunities/{id}", "opportunities.read",
                  lambda r, c: opportunity_json(_opportunity(r, c)), view, _("One opportunity"), response=OPPORTUNITY),
        Operation("POST", "/opportunities/{id}/move", "opportunities.move", move, work,
                  _("Move an opportunity to another stage (its manual probability stays)"), body=MOVE,
                  response=OPPORTUNITY),
        Operation("POST", "/opportunities/{id}/probability", "opportunities.probability", probability, work,
                  _("Set or clear an opportunity's manual probability"), body=PROBABILITY, response=OPPORTUNITY),
        Operation("POST", "/opportunities/{id}/lost", "opportunities.lost", lost, work,
                  _("Mark an opportunity lost, with its reason"), body=LOST, response=OPPORTUNITY),
        Operation("POST", "/leads", "leads.create", create_lead, work,
                  _("Receive a lead (a web form, a campaign, a partner's referral): an account and an opportunity"),
                  description=_("The account naming the same person (ID number, e-mail or phone) is reused. "
                                "Marketing's registrations reach crm this way, or through lending's customer "
                                "events once they become customers."),
                  body=LEAD, response=OPPORTUNITY, status=201, idempotent=True),
        Operation("GET", "/pipeline", "pipeline.read", weighted, view,
                  _("The weighted pipeline of the open opportunities one may see"), response=PIPELINE),
    ]


__all__ = ["operations", "Stage"]

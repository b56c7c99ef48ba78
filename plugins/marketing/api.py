"""Marketing's JSON API under ``/api/v1/marketing`` (docs/api.md): the same services as the screens.

Campaigns (list, read, create), costs and tracked links of a campaign, visitors identified by the
company's website (its back end posts the ``mutuo_vid`` cookie's value with the e-mail or phone
typed on its sign-up form), offline touchpoints, and the return report under a model.
"""
from __future__ import annotations

from datetime import date, timedelta

from core.api import DATE, ID, MONEY, Filter, Listing, Operation, Reply, array, nullable, obj, text
from core.errors import NotFound
from core.security import get_visible_or_404, restricted_query
from plugins.lending.models import Customer
from plugins.marketing.i18n import _
from plugins.marketing.models import CAMPAIGN_STATUSES, GOALS, MODELS, SPEND_KINDS, Campaign
from plugins.marketing.services import campaigns as service
from plugins.marketing.services import reports, today, tracking

P = "marketing."
CAMPAIGN = obj({"id": ID, "name": text(200), "channel_id": ID, "parent_id": nullable(ID), "owner_id": nullable(ID),
                "starts_on": DATE, "ends_on": nullable(DATE), "budget": MONEY, "goal": {"enum": list(GOALS)},
                "audience": {"type": "string"}, "status": {"enum": list(CAMPAIGN_STATUSES)}, "actual": MONEY})
NEW_CAMPAIGN = obj({"name": text(200, 1), "channel_id": ID, "parent_id": nullable(ID), "starts_on": DATE,
                    "ends_on": nullable(DATE), "budget": MONEY, "goal": {"enum": list(GOALS)},
                    "audience": text(2000), "status": {"enum": list(CAMPAIGN_STATUSES)}},
                   required=["name", "channel_id", "starts_on", "budget"])
SPEND = obj({"spent_on": DATE, "amount": MONEY, "kind": {"enum": list(SPEND_KINDS)}, "description": text(200)},
            required=["spent_on", "amount"])
SPEND_REPLY = obj({"id": ID, "campaign_id": ID, "spent_on": DATE, "amount": MONEY, "kind": text(10),
                   "over_budget": {"type": "boolean"}})
LINK = obj({"target_url": text(900, 1), "medium": text(50), "code": text(32)}, required=["target_url"])
LINK_REPLY = obj({"id": ID, "code": text(32), "url": text(1000), "destination": text(2000)})
VISITOR = obj({"visitor_id": {"type": "string", "pattern": "^[0-9a-f]{32}$"}, "email": text(200), "phone": text(50)},
              required=["visitor_id"])
VISITOR_REPLY = obj({"visitor_id": text(32), "customer_id": nullable(ID)})
TOUCH = obj({"customer_id": ID, "campaign_id": ID, "touched_on": DATE, "note": text(200)},
            required=["customer_id", "campaign_id", "touched_on"])
TOUCH_REPLY = obj({"id": ID, "customer_id": ID, "campaign_id": ID, "source": text(10)})
RATIO = nullable({"type": "string", "pattern": r"^-?[0-9]+\.[0-9]{4}$"})
SHARE = {"type": "string", "pattern": r"^[0-9]+(\.[0-9]+)?$"}
REPORT_ROW = obj({"id": ID, "name": text(200), "cost": MONEY, "clicks": {"type": "integer", "minimum": 0},
                  "verified": SHARE, "funded": SHARE, "margin": MONEY, "investors": SHARE, "invested": MONEY,
                  "cac": nullable(MONEY), "roi": RATIO, "roas": RATIO})
REPORT = obj({"model": {"enum": list(MODELS)}, "by": {"enum": ["campaign", "channel"]}, "from": DATE, "to": DATE,
              "rows": array(REPORT_ROW)})


def campaign_json(campaign: Campaign) -> dict:
    status = service.budget_status(_session(campaign), campaign.id)
    return {"id": campaign.id, "name": campaign.name, "channel_id": campaign.channel_id,
            "parent_id": campaign.parent_id, "owner_id": campaign.owner_id,
            "starts_on": campaign.starts_on.isoformat(), "ends_on": campaign.ends_on.isoformat() if campaign.ends_on
            else None, "budget": str(campaign.budget), "goal": campaign.goal, "audience": campaign.audience or "",
            "status": campaign.status, "actual": str(status["actual"])}


def _session(obj_):
    from sqlalchemy.orm import object_session

    return object_session(obj_)


def _date(value):
    return date.fromisoformat(value) if value else None


def create_campaign(request, call):
    body = dict(call.body)
    for key in ("starts_on", "ends_on"):
        body[key] = _date(body.get(key))
    campaign = service.create_campaign(request.dbsession, owner_id=request.user.id, **body)
    return Reply(campaign_json(campaign), status=201,
                 location=request.route_url("api.marketing.campaigns.read", id=campaign.id))


def add_spend(request, call):
    campaign = get_visible_or_404(request, Campaign, call.path["id"])
    spend = service.add_spend(request.dbsession, campaign, _date(call.body["spent_on"]), call.body["amount"],
                              call.body.get("kind", "actual"), call.body.get("description", ""))
    over = service.budget_status(request.dbsession, campaign.id)["over"]
    return Reply({"id": spend.id, "campaign_id": campaign.id, "spent_on": spend.spent_on.isoformat(),
                  "amount": str(spend.amount), "kind": spend.kind, "over_budget": over}, status=201)


def create_link(request, call):
    campaign = get_visible_or_404(request, Campaign, call.path["id"])
    link = tracking.create_link(request.dbsession, campaign, call.body["target_url"], call.body.get("medium", ""),
                                call.body.get("code", ""))
    return Reply({"id": link.id, "code": link.code, "url": request.route_url("marketing.redirect", code=link.code),
                  "destination": tracking.destination(link, campaign)}, status=201)


def identify(request, call):
    record = tracking.identify_visitor(request.dbsession, call.body["visitor_id"], call.body.get("email", ""),
                                       call.body.get("phone", ""))
    return Reply({"visitor_id": record.visitor_id, "customer_id": record.customer_id}, status=201)


def add_touch(request, call):
    session = request.dbsession
    customer = get_visible_or_404(request, Customer, call.body["customer_id"])
    campaign = session.get(Campaign, call.body["campaign_id"])
    if campaign is None:
        raise NotFound(_("No such campaign."))
    touch = tracking.add_offline_touch(session, customer, campaign, _date(call.body["touched_on"]),
                                       call.body.get("note", ""))
    return Reply({"id": touch.id, "customer_id": customer.id, "campaign_id": campaign.id, "source": touch.source},
                 status=201)


def _as_date(value):
    return date.fromisoformat(value) if isinstance(value, str) else value


def report(request, call):
    end = _as_date(call.params.get("to")) or today(request.dbsession)
    start = _as_date(call.params.get("from")) or end - timedelta(days=365)
    model, by = call.params.get("model") or "linear", call.params.get("by") or "campaign"
    rows = reports.performance(request.dbsession, model, start, end, by)
    return {"model": model, "by": by, "from": start.isoformat(), "to": end.isoformat(), "rows": [
        {"id": r["id"], "name": r["name"], "cost": str(r["cost"]), "clicks": r["clicks"], "verified": str(r["verified"]),
         "funded": str(r["funded"]), "margin": str(r["margin"]), "investors": str(r["investors"]),
         "invested": str(r["invested"]), "cac": None if r["cac"] is None else str(r["cac"]),
         "roi": None if r["roi"] is None else str(r["roi"]), "roas": None if r["roas"] is None else str(r["roas"])}
        for r in rows]}


def operations():
    view, manage = P + "campaign.view", P + "campaign.manage"
    return [
        Operation("GET", "/campaigns", "campaigns.list", lambda request, call: restricted_query(request, Campaign),
                  view, _("List campaigns"), response=CAMPAIGN,
                  listing=Listing(Campaign, campaign_json, filters={"status": Filter(Campaign.status),
                                                                    "name": Filter(Campaign.name, "contains")},
                                  sorts={"starts_on": Campaign.starts_on, "name": Campaign.name})),
        Operation("GET", "/campaigns/{id}", "campaigns.read",
                  lambda request, call: campaign_json(get_visible_or_404(request, Campaign, call.path["id"])),
                  view, _("One campaign with its actual cost"), response=CAMPAIGN),
        Operation("POST", "/campaigns", "campaigns.create", create_campaign, manage, _("Create a campaign"),
                  body=NEW_CAMPAIGN, response=CAMPAIGN, status=201, idempotent=True),
        Operation("POST", "/campaigns/{id}/spend", "campaigns.spend", add_spend, P + "spend.manage",
                  _("Record a planned or actual cost"), body=SPEND, response=SPEND_REPLY, status=201,
                  idempotent=True),
        Operation("POST", "/campaigns/{id}/links", "campaigns.links", create_link, manage,
                  _("Create a tracked link"), body=LINK, response=LINK_REPLY, status=201),
        Operation("POST", "/visitors", "visitors.identify", identify, P + "touchpoint.manage",
                  _("Tell which e-mail or phone a visitor gave on the sign-up page"), body=VISITOR,
                  response=VISITOR_REPLY, status=201),
        Operation("POST", "/touchpoints", "touchpoints.create", add_touch, P + "touchpoint.manage",
                  _("Record an offline touchpoint"), body=TOUCH, response=TOUCH_REPLY, status=201),
        Operation("GET", "/report", "report", report, P + "report.view",
                  _("CAC, ROI and ROAS per campaign or channel under a model"), response=REPORT,
                  params={"model": {"enum": list(MODELS)}, "by": {"enum": ["campaign", "channel"]},
                          "from": DATE, "to": DATE}),
    ]

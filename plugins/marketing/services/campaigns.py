"""Channels, campaigns (with parent programmes) and their spend; budget versus actual."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import case, func, select

from core.audit import record_event
from core.errors import UserError
from core.money import ZERO, money
from plugins.marketing.i18n import _
from plugins.marketing.models import CAMPAIGN_STATUSES, CHANNEL_KINDS, GOALS, SPEND_KINDS, Campaign, Channel, Spend


def create_channel(session, name: str, kind: str) -> Channel:
    name = (name or "").strip()
    if not name:
        raise UserError(_("Give the channel a name."), "name")
    if kind not in CHANNEL_KINDS:
        raise UserError(_("Choose the kind of channel."), "kind")
    if session.scalar(select(Channel.id).where(func.lower(Channel.name) == name.lower())):
        raise UserError(_("There is already a channel named ${name}.", mapping={"name": name}), "name")
    channel = Channel(name=name, kind=kind, active=True)
    session.add(channel)
    session.flush()
    return channel


def _check_campaign(session, data: dict, campaign: Campaign | None = None) -> dict:
    name = (data.get("name") or "").strip()
    if not name:
        raise UserError(_("Give the campaign a name."), "name")
    if data.get("channel_id") is None or session.get(Channel, data["channel_id"]) is None:
        raise UserError(_("Choose the campaign's channel."), "channel_id")
    starts_on, ends_on = data.get("starts_on"), data.get("ends_on")
    if not isinstance(starts_on, date):
        raise UserError(_("Give the date the campaign starts."), "starts_on")
    if ends_on and ends_on < starts_on:
        raise UserError(_("The campaign cannot end before it starts."), "ends_on")
    budget = money(data.get("budget") or ZERO)
    if budget < 0:
        raise UserError(_("A budget cannot be negative."), "budget")
    goal = data.get("goal") or "funded"
    if goal not in GOALS:
        raise UserError(_("Choose the campaign's goal."), "goal")
    status = data.get("status") or "active"
    if status not in CAMPAIGN_STATUSES:
        raise UserError(_("Choose the campaign's status."), "status")
    parent_id = data.get("parent_id")
    if parent_id is not None:
        parent = session.get(Campaign, parent_id)
        if parent is None:
            raise UserError(_("Choose an existing programme."), "parent_id")
        seen = parent
        while seen is not None:  # a programme cannot sit inside one of its own campaigns
            if campaign is not None and seen.id == campaign.id:
                raise UserError(_("A campaign cannot belong to itself or to one of its own campaigns."),
                                "parent_id")
            seen = session.get(Campaign, seen.parent_id) if seen.parent_id else None
    return {"name": name, "channel_id": data["channel_id"], "starts_on": starts_on, "ends_on": ends_on or None,
            "budget": budget, "goal": goal, "status": status, "parent_id": parent_id,
            "owner_id": data.get("owner_id"), "audience": (data.get("audience") or "").strip()}


def create_campaign(session, **data) -> Campaign:
    campaign = Campaign(**_check_campaign(session, data))
    session.add(campaign)
    session.flush()
    return campaign


def update_campaign(session, campaign: Campaign, **data) -> Campaign:
    for key, value in _check_campaign(session, data, campaign).items():
        setattr(campaign, key, value)
    session.flush()
    return campaign


def add_spend(session, campaign: Campaign, spent_on: date, amount, kind: str = "actual",
              description: str = "") -> Spend:
    """A planned or actual cost; an actual one that takes the campaign over its budget is logged as an alert."""
    if kind not in SPEND_KINDS:
        raise UserError(_("Say whether the cost is planned or actual."), "kind")
    if not isinstance(spent_on, date):
        raise UserError(_("Give the date of the cost."), "spent_on")
    amount = money(amount)
    if amount <= 0:
        raise UserError(_("A cost must be more than zero."), "amount")
    before = budget_status(session, campaign.id)
    spend = Spend(campaign_id=campaign.id, spent_on=spent_on, kind=kind, amount=amount,
                  description=(description or "").strip()[:200])
    session.add(spend)
    session.flush()
    actual = before["actual"] + (amount if kind == "actual" else ZERO)
    after = {**before, "actual": actual, "over": _over(before["budget"], actual)}
    if after["over"] and not before["over"]:
        record_event(session, "marketing.budget_exceeded", "marketing.campaign", campaign.id,
                     {"budget": str(after["budget"]), "actual": str(after["actual"])})
    return spend


def budget_status(session, campaign_id: int) -> dict:
    """Budget, planned and actual cost of one campaign, and whether the actual cost passed the budget."""
    planned, actual = session.execute(
        select(func.coalesce(func.sum(case((Spend.kind == "planned", Spend.amount))), 0),
               func.coalesce(func.sum(case((Spend.kind == "actual", Spend.amount))), 0))
        .where(Spend.campaign_id == campaign_id)).one()
    budget = session.scalar(select(Campaign.budget).where(Campaign.id == campaign_id)) or ZERO
    actual, planned = money(actual), money(planned)
    return {"budget": budget, "planned": planned, "actual": actual, "left": budget - actual,
            "over": _over(budget, actual)}


def _over(budget: Decimal, actual: Decimal) -> bool:
    return actual > budget


def over_budget(session) -> list[tuple[Campaign, Decimal]]:
    """Campaigns whose actual cost passed their budget, with the actual cost (the dashboard's alert)."""
    actual = (select(Spend.campaign_id, func.sum(Spend.amount).label("actual")).where(Spend.kind == "actual")
              .group_by(Spend.campaign_id).subquery())
    rows = session.execute(select(Campaign, actual.c.actual).join(actual, actual.c.campaign_id == Campaign.id)
                           .where(actual.c.actual > Campaign.budget).order_by(Campaign.name)).all()
    return [(c, money(a)) for c, a in rows]

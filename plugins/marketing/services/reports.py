"""CAC, ROI and ROAS per campaign or channel under one attribution model, models side by side, the funnel.

* CAC = actual cost in the period ÷ funded customers attributed in the period
  (the sum of the shares of "funded" conversions, not registrations);
* ROI = (attributed margin − cost) ÷ cost; ROAS = attributed margin ÷ cost.

Each is ``None`` when its divisor is zero (shown as "—"). The period is
inclusive: costs by their date, conversions by their moment.
"""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

from sqlalchemy import and_, distinct, func, select

from core.money import ZERO, money
from plugins.marketing.models import Campaign, Channel, Click, Conversion, Credit, Spend, Touchpoint

FOUR = Decimal("0.0001")


def cac(cost: Decimal, funded: Decimal) -> Decimal | None:
    return money(cost / funded) if funded else None


def roi(margin: Decimal, cost: Decimal) -> Decimal | None:
    return ((margin - cost) / cost).quantize(FOUR, ROUND_HALF_EVEN) if cost else None


def roas(margin: Decimal, cost: Decimal) -> Decimal | None:
    return (margin / cost).quantize(FOUR, ROUND_HALF_EVEN) if cost else None


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    return datetime.combine(start, time(0), tzinfo=UTC), datetime.combine(end + timedelta(days=1), time(0), tzinfo=UTC)


def performance(session, model: str, start: date, end: date, by: str = "campaign",
                campaign_id: int | None = None) -> list[dict]:
    """One row per campaign (or channel): cost, clicks, verified, funded, first investments, margin, CAC, ROI, ROAS."""
    key = Campaign.id if by == "campaign" else Campaign.channel_id
    since, until = _bounds(start, end)
    cost = dict(session.execute(
        select(key, func.sum(Spend.amount)).join(Campaign, Campaign.id == Spend.campaign_id)
        .where(Spend.kind == "actual", Spend.spent_on >= start, Spend.spent_on <= end).group_by(key)).all())
    clicks = dict(session.execute(
        select(key, func.count(Click.id)).join(Campaign, Campaign.id == Click.campaign_id)
        .where(Click.clicked_at >= since, Click.clicked_at < until).group_by(key)).all())
    credited: dict = {}
    for k, kind, shares, amount in session.execute(
            select(key, Conversion.kind, func.sum(Credit.share), func.sum(Credit.amount))
            .join(Campaign, Campaign.id == Credit.campaign_id).join(Conversion, Conversion.id == Credit.conversion_id)
            .where(Credit.model == model, Conversion.occurred_at >= since, Conversion.occurred_at < until)
            .group_by(key, Conversion.kind)):
        credited[(k, kind)] = (Decimal(shares or 0), money(amount or 0))
    if by == "campaign":
        stmt = select(Campaign.id, Campaign.name, Channel.name.label("channel")).join(Channel)
        if campaign_id is not None:
            stmt = stmt.where(Campaign.id == campaign_id)
        names = {r.id: (r.name, r.channel) for r in session.execute(stmt.order_by(Campaign.name))}
    else:
        names = {r.id: (r.name, r.kind) for r in session.execute(select(Channel.id, Channel.name, Channel.kind)
                                                                  .order_by(Channel.name))}
    rows = []
    for k, (name, detail) in names.items():
        spent = money(cost.get(k) or 0)
        funded, margin = credited.get((k, "funded"), (Decimal(0), ZERO))
        verified = credited.get((k, "verified"), (Decimal(0), ZERO))[0]
        investors, invested = credited.get((k, "first_investment"), (Decimal(0), ZERO))
        rows.append({"id": k, "name": name, "detail": detail, "cost": spent, "clicks": clicks.get(k, 0),
                     "verified": verified, "funded": funded, "margin": margin, "investors": investors,
                     "invested": invested, "cac": cac(spent, funded), "roi": roi(margin, spent),
                     "roas": roas(margin, spent)})
    return rows


def compare_models(session, campaign_id: int, start: date, end: date) -> list[dict]:
    """The same campaign under every model (the side-by-side report)."""
    from plugins.marketing.models import MODELS

    out = []
    for model in MODELS:
        row = performance(session, model, start, end, "campaign", campaign_id)[0]
        out.append({"model": model, **row})
    return out


def funnel(session, start: date, end: date, campaign_id: int | None = None) -> dict:
    """Clicks → registrations (customers whose first touch came in the period) → verified → funded."""
    since, until = _bounds(start, end)
    clicks = select(func.count(Click.id)).where(Click.clicked_at >= since, Click.clicked_at < until)
    touched = select(distinct(Touchpoint.customer_id)).where(Touchpoint.touched_at >= since,
                                                               Touchpoint.touched_at < until)
    if campaign_id is not None:
        clicks = clicks.where(Click.campaign_id == campaign_id)
        touched = touched.where(Touchpoint.campaign_id == campaign_id)
    registered = select(func.count()).select_from(touched.subquery())
    converted = dict(session.execute(
        select(Conversion.kind, func.count(Conversion.id))
        .where(Conversion.customer_id.in_(touched), and_(Conversion.occurred_at >= since, Conversion.occurred_at < until))
        .group_by(Conversion.kind)).all())
    return {"clicks": session.scalar(clicks) or 0, "registrations": session.scalar(registered) or 0,
            "verified": converted.get("verified", 0), "funded": converted.get("funded", 0)}


def monthly_funded_by_channel(session, model: str, months: list[date]) -> dict[str, list[tuple[date, Decimal]]]:
    """Funded customers attributed to each channel per month (the dashboard's chart); grouped here, portably."""
    if not months:
        return {}
    since, until = _bounds(months[0], months[-1] + timedelta(days=31))
    stmt = (select(Conversion.occurred_at, Channel.name, Credit.share)
            .join(Credit, and_(Credit.conversion_id == Conversion.id, Credit.model == model))
            .join(Campaign, Campaign.id == Credit.campaign_id).join(Channel, Channel.id == Campaign.channel_id)
            .where(Conversion.kind == "funded", Conversion.occurred_at >= since, Conversion.occurred_at < until))
    sums: dict[str, dict[date, Decimal]] = {}
    for at, channel, share in session.execute(stmt):
        month = at.date().replace(day=1)
        if month in months:
            per = sums.setdefault(channel, {})
            per[month] = per.get(month, Decimal(0)) + share
    return {channel: sorted(per.items()) for channel, per in sums.items()}

"""The customer page's marketing panel: the campaigns that touched the customer, and their conversions."""
from __future__ import annotations

from sqlalchemy import select

from core.formatting import for_request
from plugins.lending.panels import CustomerPanel
from plugins.marketing.i18n import _
from plugins.marketing.models import Campaign, Conversion, Promotion, Redemption, Touchpoint


def customer_panels(request, customer) -> list[CustomerPanel]:
    panels = _promotion_panel(request, customer)
    if not request.has_permission("marketing.touchpoint.view"):
        return panels
    session = request.dbsession
    fmt = for_request(request)
    touches = session.execute(select(Touchpoint.touched_at, Touchpoint.source, Campaign.name)
                              .join(Campaign, Campaign.id == Touchpoint.campaign_id)
                              .where(Touchpoint.customer_id == customer.id)
                              .order_by(Touchpoint.touched_at.desc()).limit(10)).all()
    converted = session.execute(select(Conversion.kind, Conversion.occurred_at)
                                .where(Conversion.customer_id == customer.id).order_by(Conversion.occurred_at)).all()
    rows = [(fmt.when(t.touched_at), f"{t.name} · {fmt.label(t.source, 'marketing')}") for t in touches]
    rows += [(fmt.label(c.kind, "marketing"), fmt.when(c.occurred_at)) for c in converted]
    return panels + [CustomerPanel(_("Marketing touchpoints"), "marketing.touchpoint.view", rows=rows,
                          link=request.route_url("marketing.touchpoints", _query={"q": customer.id_number}),
                          empty=_("No campaign has reached this customer."), order=400)]


def _promotion_panel(request, customer) -> list[CustomerPanel]:
    """The promotions the customer used: on which loan's application, the fee before and the discount."""
    if not request.has_permission("marketing.promotion.view"):
        return []
    fmt = for_request(request)
    used = request.dbsession.execute(
        select(Redemption.redeemed_on, Redemption.fee, Redemption.discount, Promotion.code)
        .join(Promotion, Promotion.id == Redemption.promotion_id)
        .where(Redemption.customer_id == customer.id).order_by(Redemption.redeemed_on.desc()).limit(10)).all()
    rows = [(fmt.date(u.redeemed_on), fmt.translate(_("${code}: ${discount} off a fee of ${fee}", mapping={
        "code": u.code, "discount": fmt.money(u.discount), "fee": fmt.money(u.fee)}))) for u in used]
    if not rows:
        return []
    return [CustomerPanel(_("Promotions used"), "marketing.promotion.view", rows=rows,
                          link=request.route_url("marketing.promotions"), order=401)]

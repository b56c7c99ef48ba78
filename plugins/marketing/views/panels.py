"""The customer page's marketing panel: the campaigns that touched the customer, and their conversions."""
from __future__ import annotations

from sqlalchemy import select

from core.formatting import for_request
from plugins.lending.panels import CustomerPanel
from plugins.marketing.i18n import _
from plugins.marketing.models import Campaign, Conversion, Touchpoint


def customer_panels(request, customer) -> list[CustomerPanel]:
    if not request.has_permission("marketing.touchpoint.view"):
        return []
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
    return [CustomerPanel(_("Marketing touchpoints"), "marketing.touchpoint.view", rows=rows,
                          link=request.route_url("marketing.touchpoints", _query={"q": customer.id_number}),
                          empty=_("No campaign has reached this customer."), order=400)]

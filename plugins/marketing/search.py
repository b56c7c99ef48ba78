"""What marketing's lists, lookups and the global search match (core.search)."""
from __future__ import annotations

from core.search import Field, Group, Hit, Related, Search, top
from core.security import restricted_query
from plugins.lending.models import Customer
from plugins.lending.search import CUSTOMERS
from plugins.marketing.i18n import _
from plugins.marketing.models import Campaign, Touchpoint

#: A campaign by its number or words of its name.
CAMPAIGNS = Search(Field(Campaign.id, "number"), Field(Campaign.name_key, "words"))
#: A touchpoint by its customer (name, ID number, phone, e-mail: lending's customer search).
TOUCHPOINTS = Search(Related(Touchpoint.customer_id, CUSTOMERS, Customer.id))


def global_search(request, query: str) -> list[Group]:
    if not request.has_permission("marketing.campaign.view"):
        return []
    found = top(request.dbsession, restricted_query(request, Campaign), CAMPAIGNS, query)
    hits = [Hit(c.name, request.route_url("marketing.campaign", id=c.id), c.channel.name) for c in found]
    return [Group(_("Campaigns"), hits, more=request.route_url("marketing.campaigns", _query={"q": query}),
                  order=40)]

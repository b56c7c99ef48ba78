"""What risk's lists, lookups and the global search match (core.search)."""
from __future__ import annotations

from core.search import Field, Group, Hit, Related, Search, email, identifier, phone, top
from core.security import restricted_query
from plugins.lending.models import Customer
from plugins.lending.search import CUSTOMERS
from plugins.risk.i18n import _
from plugins.risk.models import BlacklistEntry, Review

#: A review by its number, its application's number or its customer (name, ID, phone, e-mail).
REVIEWS = Search(Field(Review.id, "number"), Field(Review.application_id, "number"),
                 Related(Review.customer_id, CUSTOMERS, Customer.id))
#: A blacklist entry by name, ID number, phone or e-mail.
ENTRIES = Search(Field(BlacklistEntry.id_number_key, "exact", identifier), Field(BlacklistEntry.phone_key, "exact", phone),
                 Field(BlacklistEntry.email_key, "exact", email), Field(BlacklistEntry.name_key, "words"))


def global_search(request, query: str) -> list[Group]:
    groups = []
    if request.has_permission("risk.review.view"):
        found = top(request.dbsession, restricted_query(request, Review), REVIEWS, query)
        groups.append(Group(_("Risk reviews"), [
            Hit(_("Review ${id}", mapping={"id": r.id}), request.route_url("risk.review", id=r.id),
                _("${name} · application ${app}", mapping={"name": r.customer.name, "app": r.application_id}))
            for r in found], more=request.route_url("risk.reviews", _query={"q": query}), order=30))
    if request.has_permission("risk.blacklist.view"):
        found = top(request.dbsession, restricted_query(request, BlacklistEntry), ENTRIES, query)
        groups.append(Group(_("Blacklist"), [Hit(e.name, request.route_url("risk.entry", id=e.id), e.reason)
                                             for e in found],
                            more=request.route_url("risk.entries", _query={"q": query}), order=31))
    return [g for g in groups if g.hits]

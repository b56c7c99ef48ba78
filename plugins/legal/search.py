"""What legal's list search boxes, lookups and the global search match (core.search)."""
from __future__ import annotations

from core.search import Field, Search
from plugins.legal.models import Body, Contract, Matter, Opinion, Seal

CONTRACTS = Search(Field(Contract.id, "number"), Field(Contract.title_key, "words"),
                   Field(Contract.counterparty_key, "words"))
MATTERS = Search(Field(Matter.id, "number"), Field(Matter.title_key, "words"), Field(Matter.case_number, "prefix", str.strip))
OPINIONS = Search(Field(Opinion.id, "number"), Field(Opinion.subject_key, "words"))
SEALS = Search(Field(Seal.id, "number"), Field(Seal.name, "substring", str.strip))
BODIES = Search(Field(Body.id, "number"), Field(Body.name, "substring", str.strip))


def global_search(request, query):
    from core.search import Group, Hit, top
    from core.security import restricted_query
    from plugins.legal.i18n import _

    groups = []
    if request.has_permission("legal.contract.view"):
        found = top(request.dbsession, restricted_query(request, Contract), CONTRACTS, query)
        groups.append(Group(_("Contracts"), [Hit(c.title, request.route_url("legal.contract", id=c.id))
                                             for c in found],
                            more=request.route_url("legal.contracts", _query={"q": query})))
    if request.has_permission("legal.matter.view"):
        found = top(request.dbsession, restricted_query(request, Matter), MATTERS, query)
        groups.append(Group(_("Legal matters"), [Hit(m.title, request.route_url("legal.matter", id=m.id))
                                                 for m in found],
                            more=request.route_url("legal.matters", _query={"q": query})))
    return groups

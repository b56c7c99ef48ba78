"""What collections' lists and the global search match (core.search): cases by customer or loan number."""
from __future__ import annotations

from sqlalchemy import select

from core.search import Field, Group, Hit, Related, Search, top
from core.security import restricted_query
from plugins.collections.i18n import _
from plugins.collections.models import Case
from plugins.lending.models import Customer
from plugins.lending.search import CUSTOMERS

#: A case by its customer (name, ID number, phone, e-mail: lending's customer search).
QUEUE_SEARCH = Search(Related(Case.customer_id, CUSTOMERS, Customer.id))
#: A case by its customer, its loan's number or its own number.
CASES = Search(Field(Case.loan_id, "number"), Field(Case.id, "number"), Related(Case.customer_id, CUSTOMERS, Customer.id))


def global_search(request, query: str) -> list[Group]:
    """The cases the user may see (their own, for a collector: the record rule) matching ``query``."""
    if not request.has_permission("collections.case.view"):
        return []
    name = select(Customer.name).where(Customer.id == Case.customer_id).correlate(Case).scalar_subquery()
    found = top(request.dbsession, restricted_query(request, Case).add_columns(name.label("name")), CASES, query)
    hits = [Hit(_("Case ${id}", mapping={"id": row[0].id}), request.route_url("collections.case", id=row[0].id),
                _("${name} · loan ${loan}", mapping={"name": row.name, "loan": row[0].loan_id})) for row in found]
    return [Group(_("Collection cases"), hits, more=request.route_url("collections.cases", _query={"q": query}),
                  order=20)]

"""What crm's lists, lookups and the global search match (core.search): accounts and opportunities."""
from __future__ import annotations

from core.search import Field, Group, Hit, Related, Search, email, identifier, phone, phone_start, top
from core.security import restricted_query
from plugins.crm.i18n import _
from plugins.crm.models import Account, Opportunity
from plugins.lending.models import Application, Customer

#: An account by its number, ID number, phone or e-mail (whole, normalised), or the words of its name.
ACCOUNTS = Search(
    Field(Account.id, "number"),
    Field(Account.id_number_key, "exact", identifier),
    Field(Account.phone_key, "exact", phone),
    Field(Account.phone_key, "prefix", phone_start),
    Field(Account.email_key, "exact", email),
    Field(Account.name_key, "words"),
)
#: An opportunity by its number, its title's words, or its account.
OPPORTUNITIES = Search(Field(Opportunity.id, "number"), Field(Opportunity.title_key, "words"),
                       Related(Opportunity.account_id, ACCOUNTS, Account.id))
#: lending's application by its number or its borrower's name or ID number (the opportunity's link).
APPLICATIONS = Search(Field(Application.id, "number"),
                      Related(Application.customer_id, Search(Field(Customer.id_number_key, "exact", identifier),
                                                              Field(Customer.name_key, "words")), Customer.id))


def global_search(request, query: str) -> list[Group]:
    """Accounts and opportunities the user may see (hook ``mutuo_search``)."""
    if not request.has_permission("crm.account.view"):
        return []
    session = request.dbsession
    accounts = top(session, restricted_query(request, Account), ACCOUNTS, query)
    opportunities = top(session, restricted_query(request, Opportunity), OPPORTUNITIES, query)
    return [
        Group(_("Accounts"), [Hit(a.name, request.route_url("crm.account", id=a.id), a.region) for a in accounts],
              more=request.route_url("crm.accounts", _query={"q": query}), order=40),
        Group(_("Opportunities"), [Hit(o.title, request.route_url("crm.opportunity", id=o.id), o.status)
                                   for o in opportunities],
              more=request.route_url("crm.opportunities", _query={"q": query}), order=41),
    ]

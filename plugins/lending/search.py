"""What lending's lists and the global search match (core.search): customers, applications, loans."""
from __future__ import annotations

from core.search import Field, Group, Hit, Related, Search, email, identifier, number, phone, phone_start, top
from core.security import restricted_query
from plugins.lending.i18n import _
from plugins.lending.models import Application, Customer, Loan

#: A customer by ID number, phone or e-mail (whole, normalised), the start of an ID number or a phone (as
#: one types in a lookup), or by the words of their name.
CUSTOMERS = Search(
    Field(Customer.id_number_key, "exact", identifier),
    Field(Customer.phone_key, "exact", phone),
    Field(Customer.phone_key, "prefix", phone_start),
    Field(Customer.email_key, "exact", email),
    Field(Customer.id_number_key, "prefix", identifier),
    Field(Customer.name_key, "words"),
)
#: What a customer lookup matches: the customer's number too (a list's ``q=12`` stays a name/ID search).
CUSTOMER_PICKER = Search(Field(Customer.id, "number"), *CUSTOMERS.fields)
#: A loan by its number, or by its borrower.
LOANS = Search(Field(Loan.id, "number"), Related(Loan.customer_id, CUSTOMERS, Customer.id))
#: An application by its number, or by its borrower.
APPLICATIONS = Search(Field(Application.id, "number"), Related(Application.customer_id, CUSTOMERS, Customer.id))


def global_search(request, query: str) -> list[Group]:
    """Customers and loans the user may see (hook ``mutuo_search``)."""
    session, groups = request.dbsession, []
    fmt_detail = _customer_detail
    if request.has_permission("lending.customer.view"):
        found = top(session, restricted_query(request, Customer), CUSTOMERS, query)
        exact = identifier(query)
        jump = next((c for c in found if c.id_number_key == exact), None) if len(exact) >= 4 else None
        groups.append(Group(_("Customers"), [Hit(c.name, request.route_url("lending.customer", id=c.id),
                                                 fmt_detail(c)) for c in found],
                            more=request.route_url("lending.customers", _query={"q": query}),
                            jump=request.route_url("lending.customer", id=jump.id) if jump else None, order=10))
    if request.has_permission("lending.loan.view"):
        found = top(session, restricted_query(request, Loan).add_columns(Customer.name).join(Customer), LOANS, query)
        wanted = number(query)
        jump = next((row[0] for row in found if row[0].id == wanted), None)
        groups.append(Group(_("Loans"), [Hit(_("Loan ${id}", mapping={"id": row[0].id}),
                                             request.route_url("lending.loan", id=row[0].id), row[1])
                                         for row in found],
                            more=request.route_url("lending.loans", _query={"q": query}),
                            jump=request.route_url("lending.loan", id=jump.id) if jump else None, order=11))
    return groups


def _customer_detail(customer: Customer) -> str:
    return " · ".join(part for part in (customer.id_number, customer.phone) if part)

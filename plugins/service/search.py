"""What the tickets list's search box, the ticket lookup and the global search match (core.search):
a ticket by its number, its contact's phone or e-mail (normalised: E.164, lower case), the words of its
subject, or its customer (name, ID number, phone, e-mail through lending's customer search)."""
from core.search import Field, Group, Hit, Related, Search, email, phone, top
from core.security import restricted_query
from plugins.lending.models import Customer
from plugins.lending.search import CUSTOMERS
from plugins.service.i18n import _
from plugins.service.models import Ticket

TICKETS = Search(Field(Ticket.id, "number"), Field(Ticket.phone_key, "exact", phone),
                 Field(Ticket.email_key, "exact", email), Field(Ticket.subject_key, "words"),
                 Related(Ticket.customer_id, CUSTOMERS, Customer.id))


def global_search(request, query):
    if not request.has_permission("service.ticket.view"):
        return []
    found = top(request.dbsession, restricted_query(request, Ticket), TICKETS, query)
    return [Group(_("Tickets"), [Hit(f"#{t.id} {t.subject}", request.route_url("service.ticket", id=t.id))
                                 for t in found],
                  more=request.route_url("service.tickets", _query={"q": query}))]

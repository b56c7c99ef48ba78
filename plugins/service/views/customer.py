"""The customer 360 page (owned by service) and service's panel on every customer page.

The page shows what lending knows (service depends on lending: loans,
holdings, cash) and then every enabled plugin's panels through lending's
``lending_customer_panels`` hook (:func:`plugins.lending.panels.visible_panels`),
service's own tickets panel among them — nobody imports anybody, and a panel
whose permission the user lacks is not drawn.
"""
from __future__ import annotations

from pyramid.renderers import render
from pyramid.view import view_config
from sqlalchemy import func, select

from core.formatting import current
from core.i18n import domain_strings
from core.security import get_visible_or_404, restricted_query
from plugins.lending.models import Customer, Holding, Loan
from plugins.lending.panels import CustomerPanel, visible_panels
from plugins.service.i18n import _
from plugins.service.models import ACTIVE, Ticket

#: Lending's words (roles, KYC and loan statuses) in its own catalogue.
LENDING = domain_strings("lending")


def tickets_panel(request, customer) -> CustomerPanel:
    """The customer's latest tickets (through the agents' record rule), newest first."""
    if not request.has_permission("service.ticket.view"):
        return CustomerPanel(_("Tickets"), "service.ticket.view")
    rows = request.dbsession.scalars(restricted_query(request, Ticket).where(Ticket.customer_id == customer.id)
                                     .order_by(Ticket.id.desc()).limit(8)).all()
    html = render("plugins.service:templates/tickets_panel.pt", {"tickets": rows}, request=request) if rows else None
    return CustomerPanel(_("Tickets"), "service.ticket.view", html=html,
                         link=request.route_url("service.tickets", _query={"q": customer.id_number}),
                         empty=_("No tickets."), order=50)


def lending_summary(request, customer) -> list[tuple]:
    session = request.dbsession
    rows: list[tuple] = [(_("Role"), LENDING(customer.role)), (_("KYC"), LENDING(customer.kyc_status)), (_("Phone"), customer.phone),
                         (_("E-mail"), customer.email)]
    if request.has_permission("lending.loan.view"):
        loans = session.execute(select(Loan.status, func.count(), func.coalesce(func.sum(Loan.principal), 0))
                                .where(Loan.customer_id == customer.id).group_by(Loan.status)).all()
        for status, count, principal in loans:
            rows.append((_("Loans ${status}", mapping={"status": LENDING(status)}), f"{count} · {current().money(principal)}"))
        held = session.execute(select(func.count(), func.coalesce(func.sum(Holding.amount), 0))
                               .where(Holding.investor_id == customer.id)).one()
        if held[0]:
            rows.append((_("Investments"), f"{held[0]} · {current().money(held[1])}"))
    open_tickets = session.scalar(select(func.count()).select_from(Ticket).where(
        Ticket.customer_id == customer.id, Ticket.status.in_(ACTIVE)))
    rows.append((_("Open tickets"), open_tickets))
    return rows


@view_config(route_name="service.customer", renderer="plugins.service:templates/customer.pt",
             permission="service.customer.view")
def customer_360(request):
    customer = get_visible_or_404(request, Customer, request.matchdict["id"])
    return {"title": customer.name, "customer": customer, "summary": lending_summary(request, customer),
            "department_panels": visible_panels(request, customer)}

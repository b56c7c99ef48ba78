"""Service with lending only: no department to route to, the 360 page still draws, routing is refused."""
import pytest
import webtest
from sqlalchemy import select

from core.errors import UserError
from core.testing import login


@pytest.fixture
def mutuo_plugins():
    return ("products", "lending", "service")


def test_without_collections_nothing_is_offered_and_routing_is_refused(session, world, mutuo_db, make_user):
    from plugins.service.models import Ticket
    from plugins.service.services import routing, tickets

    make_user("agent", roles=("service_agent",))
    assert routing.departments(mutuo_db.pm) == {}
    customer = world.customer(email="w@example.com")
    ticket = tickets.open_ticket(session, subject="Repayment", channel="phone", category="repayment",
                                 customer_id=customer.id)
    with pytest.raises(UserError):
        routing.route(session, ticket, "collections", "", None)
    ids = customer.id, ticket.id
    session.commit()
    session.close()
    app = webtest.TestApp(mutuo_db.app, extra_environ={"REMOTE_ADDR": "127.0.0.1", "HTTP_HOST": "localhost"})
    login(app, "agent")
    page = app.get(f"/service/customers/{ids[0]}")
    assert "Repayment" in page.text  # service's own panel, through lending's hook
    assert "route-form" not in app.get(f"/service/tickets/{ids[1]}").text
    assert mutuo_db.transaction(lambda s: s.scalars(select(Ticket.status)).one()) == "open"

"""Schemathesis against the live OpenAPI document, restricted to service's operations (bounded, derandomized
like tests/core/test_api_schemathesis.py): no 5xx, every answer as documented."""
from core.testing import assert_api_conforms


def test_the_service_api_conforms_to_its_document(mutuo_db, session, world, api_key_for):
    from plugins.service.services import tickets

    customer = world.customer(email="api@example.com")
    tickets.open_ticket(session, subject="Seed", channel="web", customer_id=customer.id)
    session.commit()
    session.close()
    headers = api_key_for(roles=("admin",), everything=True)
    assert assert_api_conforms(mutuo_db.app, headers, prefix="/api/v1/service/", max_examples=6) == 4

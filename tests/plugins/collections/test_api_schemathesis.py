"""Schemathesis against the live OpenAPI document with products, lending and collections enabled.

Every operation of the document (core's, and those of the three plugins) gets a few
generated requests with an administrator's key, over a small book with open cases, promises,
contacts, action items and a target: no 5xx, every answer as documented. Bounded and
derandomized like tests/core/test_api_schemathesis.py (``MUTUO_SCHEMATHESIS_EXAMPLES`` for more).
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from core.testing import assert_api_conforms
from tests.plugins.collections.conftest import DISBURSED, close


@pytest.fixture
def book(session, world, make_user, clock):
    """Two collectors with open cases, a contact with a promise, action items and a target, committed."""
    from core.models.user import User
    from plugins.collections import services
    from plugins.collections.models import Case
    from plugins.collections.services import actions, targets

    clock.day = date(2025, 3, 10)
    make_user("ana", roles=("collector",), region="North")
    make_user("ben", roles=("collector",), region="South")
    users = {u.username: u for u in session.scalars(select(User))}
    services.set_queues(session, users["ana"], ("early", "mid", "late"))
    services.set_queues(session, users["ben"], ("early", "mid"))
    for region in ("North", "South", "North"):
        world.loan(disbursed_on=DISBURSED, borrower=world.customer(region=region), amount=D("5000.00"))
    close(session, date(2025, 3, 1), start=date(2025, 3, 1))
    services.assign_cases(session)
    actions.create_due_items(session)
    case = session.scalars(select(Case).order_by(Case.id)).first()
    services.log_contact(session, case, users["ana"].id, channel="call", outcome="promise_to_pay",
                         promise_amount=D("100.00"), promise_due=date(2025, 3, 14))
    targets.set_target(session, "2025-03", D("1000.00"))
    session.commit()
    session.close()


def test_api_conforms_to_its_document_with_collections(mutuo_db, book, api_key_for):
    headers = api_key_for(roles=("admin",), everything=True)
    assert assert_api_conforms(mutuo_db.app, headers, max_examples=8) > 80  # all of them, collections' 21 too

"""Schemathesis against the live OpenAPI document with products, lending and collections enabled.

Every operation of the document (core's, and those of the three plugins) gets ``MAX_EXAMPLES``
generated requests with an administrator's key, over a small book with open cases, promises,
contacts, action items and a target: no 5xx, every answer as documented. Bounded and
derandomized like tests/core/test_api_schemathesis.py (``MUTUO_SCHEMATHESIS_EXAMPLES`` for more).
"""
from __future__ import annotations

import os
import time
from datetime import date
from decimal import Decimal as D

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from sqlalchemy import select

from tests.core.test_api_schemathesis import CHECKS
from tests.plugins.collections.conftest import DISBURSED, close

MAX_EXAMPLES = int(os.environ.get("MUTUO_SCHEMATHESIS_EXAMPLES", "12"))


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


@pytest.fixture
def admin_key(mutuo_db, make_user):
    from core.apikeys import create_api_key, grantable_permissions
    from core.models.user import User

    username, _pw = make_user(roles=("admin",))
    reg = mutuo_db.registry["mutuo.security"]

    def build(s):
        user = s.scalars(select(User).where(User.username == username)).one()
        return create_api_key(s, user, "schemathesis", reg, scope=grantable_permissions(user, reg))[1]
    return mutuo_db.transaction(build)


def test_api_conforms_to_its_document_with_collections(mutuo_db, book, admin_key):
    headers = {"Authorization": f"Bearer {admin_key}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", mutuo_db.app, headers=headers)
    failures, seen = [], set()
    started = time.monotonic()
    for result in schema.get_all_operations():
        operation = result.ok()
        seen.add(operation.label)

        @given(case=operation.as_strategy())
        @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def run(case):
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            run()
        except Exception as exc:  # collect them all: one report names every drifted operation
            failures.append(f"{operation.label}: {exc}")
    assert {"GET /api/v1/collections/cases", "POST /api/v1/collections/cases/{id}/contacts",
            "GET /api/v1/collections/queue", "PUT /api/v1/collections/targets/{id}/shares"} <= seen
    assert not failures, "\n\n".join(failures)
    assert time.monotonic() - started < 90

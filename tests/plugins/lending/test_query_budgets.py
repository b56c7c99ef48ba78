"""Query budgets of lending's list and record pages: how many SQL statements each runs, the same with 3 rows
shown as with 20 (a page that queries once per row, an N+1, fails whatever its budget). See docs/performance.md."""
from datetime import date
from decimal import Decimal as D

import pytest

from core import context
from core.testing import assert_query_budgets, login, query_counts
from plugins.lending import services
from plugins.lending.models import Customer, Loan
from plugins.products.models import ProductVersion

from .conftest import SETTINGS, World

TODAY = date(2025, 6, 1)

#: page -> statements (session with the security stamps, count, rows, and what the page itself needs;
#: the permission set is cached per stamp: no statement)
BUDGETS = {
    "/lending/loans": 3,
    "/lending/customers": 3,
    "/lending/applications": 3,
    "/lending/funding": 4,
    "/lending/repayments": 3,
    "/lending/loans/{loan}": 12,
    "/lending/customers/{borrower}": 10,
    "/lending/customers/{investor}": 17,
    "/lending/customers/{investor}/statement": 9,
    "/lending/applications/{application}": 9,
    "/lending/repayments/{repayment}": 6,
}


@pytest.fixture(autouse=True)
def _today(today_is):
    today_is(TODAY)


def test_lending_pages_keep_their_query_budgets(mutuo_db, clock, make_user, testapp):
    def build(fn):
        def body(session):
            context.bind(session, pm=mutuo_db.pm, settings={**SETTINGS, **mutuo_db.settings})
            return fn(World(session, mutuo_db.documents, clock), session)
        return mutuo_db.transaction(body)

    def rows(world, session, count, ids=None):
        """``count`` more of each row kind; the record pages' own lists (the borrower's loans, the loan's
        repayments, the application's investments) grow with them."""
        world.n = 1000 if ids else 0  # a second World: names and ID numbers not taken by the first
        ids = ids or {}
        version = session.get(ProductVersion, ids["version"]) if ids else world.product()
        borrower = session.get(Customer, ids["borrower"]) if ids else world.customer()
        for n in range(count):
            loan = world.loan(disbursed_on=date(2025, 1, 15), version=version, borrower=borrower, amount=D("3000.00"),
                              investors=3 if ids else 2)
            services.post_repayment(session, loan, D("100.00"), date(2025, 2, 15), f"R{len(ids)}-{n}")
            world.listed(listed_on=TODAY, version=version, borrower=borrower, amount=D("3000.00"))
        if not ids:
            first = loan
            return {"loan": first.id, "borrower": borrower.id, "investor": first.holdings[0].investor_id,
                    "application": first.application_id, "repayment": first.repayments[0].id,
                    "version": version.id}
        loan = session.get(Loan, ids["loan"])
        for n in range(count):
            services.post_repayment(session, loan, D("10.00"), date(2025, 2, 16), f"MORE-{n}")
        return ids

    ids = build(lambda world, session: rows(world, session, 3))
    username, password = make_user(roles=("admin",))
    login(testapp, username, password)
    few = query_counts(testapp, mutuo_db.engine, BUDGETS, **ids)
    build(lambda world, session: rows(world, session, 17, ids))
    many = query_counts(testapp, mutuo_db.engine, BUDGETS, **ids)
    assert_query_budgets(few, many, BUDGETS)

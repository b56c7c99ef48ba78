"""Query budgets of collections' list and record pages: how many SQL statements each runs, the same with 3 cases
shown as with 20 (a page that queries once per row, an N+1, fails whatever its budget). See docs/performance.md."""
from datetime import date
from decimal import Decimal as D

from sqlalchemy import select

from core.models.user import User
from core.testing import assert_query_budgets, query_counts
from plugins.collections.models import Case
from plugins.collections.services import assign_cases, log_contact, set_queues
from plugins.lending import services as lending
from tests.plugins.collections.conftest import DISBURSED, close

from .test_views import TODAY, app_for

COLLECTOR = {  # pages the collector opens
    "/collections/queue": 6,
    "/collections/cases/{case}": 13,  # with its history naming the customer, loan, collector and documents it refers to
}
SUPERVISOR = {
    "/collections/cases": 3,
    "/collections/promises": 3,
    "/collections/contacts": 3,
    "/collections/outbox": 3,
    "/collections/collectors": 6,
    "/collections/strategies": 5,
    "/collections/targets": 2,
    "/collections/ranking": 4,
    "/collections/reports": 1,
}


def test_collections_pages_keep_their_query_budgets(session, world, make_user, mutuo_db, clock):
    clock.day = TODAY
    make_user("ana", roles=("collector",), region="North")
    make_user("sue", roles=("collections_supervisor",))
    ana_id = session.scalars(select(User.id).where(User.username == "ana")).one()
    set_queues(session, session.get(User, ana_id), ("early", "mid"))
    first: list[int] = []
    contacted: set[int] = set()

    def cases(count: int) -> None:
        for _ in range(count):
            borrower = lending.update_customer(session, world.customer(region="North", phone="+34 611 222 333"),
                                               name="Nora North")
            world.loan(disbursed_on=DISBURSED, borrower=borrower, amount=D("6000.00"))
        close(session, date(2025, 3, 1), start=date(2025, 3, 1))
        assign_cases(session)
        for case in session.scalars(select(Case).where(Case.collector_id == ana_id)):
            if not first:
                first.append(case.id)
            if case.id not in contacted:
                contacted.add(case.id)
                log_contact(session, case, ana_id, channel="call", outcome="no_answer", note="busy")
        session.commit()
        session.close()  # SQLite: a test session left in a transaction would lock the app out

    cases(3)
    ana, sue = app_for(mutuo_db, "ana"), app_for(mutuo_db, "sue")
    few = {**query_counts(ana, mutuo_db.engine, COLLECTOR, case=first[0]),
           **query_counts(sue, mutuo_db.engine, SUPERVISOR)}
    cases(17)
    many = {**query_counts(ana, mutuo_db.engine, COLLECTOR, case=first[0]),
            **query_counts(sue, mutuo_db.engine, SUPERVISOR)}
    assert_query_budgets(few, many, {**COLLECTOR, **SUPERVISOR})

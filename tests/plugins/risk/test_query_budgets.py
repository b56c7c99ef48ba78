"""Query budgets of risk's lists and pages: the same number of statements with a few rows as with many."""
from datetime import date
from decimal import Decimal as D

from core.testing import assert_query_budgets, query_counts
from plugins.risk.services import blacklist

from .test_views import app_for

PAGES = {
    "/risk/reviews": 4,
    "/risk/blacklist": 4,
    "/risk/hits": 4,
    "/risk/meetings": 4,
    "/risk/meetings/{meeting}": 30,
    "/risk/reviews/{review}": 20,
    "/risk/scorecards": 5,
}


def test_risk_pages_keep_their_query_budgets(session, world, make_user, mutuo_db, clock):
    clock.day = date(2025, 3, 10)
    make_user("boss", roles=("risk_manager",))
    for name in ("mia", "max", "kim"):
        make_user(name, roles=("risk_committee_member",))

    def book(count: int) -> None:
        for n in range(count):
            world.submitted(amount=D("40000.00") if n % 2 else D("5000.00"), term=24)
            customer = world.customer(name=f"Listed Person{len(blacklist.open_hits(session, 0))} {world.n}")
            blacklist.add_entry(session, name=customer.name, id_number=customer.id_number, reason="Fraud")
        session.commit()
        session.close()

    book(2)
    from sqlalchemy import select

    from plugins.risk.models import Meeting, Review
    ids = {"meeting": session.scalar(select(Meeting.id)), "review": session.scalar(select(Review.id).order_by(Review.id))}
    session.close()
    boss = app_for(mutuo_db, "boss")
    few = query_counts(boss, mutuo_db.engine, PAGES, **ids)
    book(8)
    many = query_counts(boss, mutuo_db.engine, PAGES, **ids)
    assert_query_budgets(few, many, PAGES)

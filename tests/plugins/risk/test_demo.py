"""The demo's risk department: lending's story decisions go through the analyst or the committee."""
from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from sqlalchemy import func, select

from plugins.risk import demo
from plugins.risk.models import Meeting, Review, Signal
from plugins.risk.services import reviews


def test_story_decisions_go_through_the_analyst_and_the_committee(session, world):
    world.clock.day = date(2025, 3, 3)
    people = demo.setup(session)
    passed = world.submitted(amount=D("5000.00"))
    referred = world.submitted(amount=D("20000.00"))          # above the demo's 15,000 policy
    rejected = world.submitted(amount=D("6000.00"))
    assert reviews.review_of(session, referred.id).status == "referred"
    demo.review(session, passed, True, "")
    demo.review(session, referred, True, "")
    demo.review(session, rejected, False, "Incomplete documents")
    assert (passed.status, referred.status, rejected.status) == ("approved", "approved", "rejected")
    assert reviews.review_of(session, passed.id).decided_by_id == people["rita.analyst"].id
    assert rejected.decision_reason == "Incomplete documents"
    meeting = session.scalars(select(Meeting)).one()
    assert {v.user_id for v in meeting.items[0].votes} <= {people[n].id for n in
                                                            ("carmen.committee", "pablo.committee", "lucia.committee")}
    demo.day(session, meeting.held_on, None)                 # the meeting closes on its date, with minutes
    assert meeting.status == "closed" and meeting.minutes_document_id is not None


def test_mondays_the_analyst_works_old_signals(session, world):
    from plugins.lending import services as lending

    demo.setup(session)
    loan = world.loan(disbursed_on=date(2025, 1, 15))
    with world.clock.at(date(2025, 2, 20)):
        lending.close_of_business(session, date(2025, 2, 19), start=date(2025, 2, 14))
    assert session.scalar(select(func.count(Signal.id)).where(Signal.status == "open")) == 1
    with world.clock.at(date(2025, 3, 3)):                    # a Monday, more than a week later
        demo.day(session, date(2025, 3, 3), None)
    assert session.scalars(select(Signal.status).where(Signal.loan_id == loan.id)).all() == ["closed"]
    assert session.scalar(select(func.count(Review.id))) == 1

"""The loan review committee: quorum, recusal, majority, one vote each, maker-checker, minutes."""
from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from core.documents import documents_for
from core.errors import ConflictError, UserError
from plugins.lending import services as lending
from plugins.risk.services import committee, reviews
from plugins.risk.services.committee import tally
from plugins.risk.testing import as_user, make_user

# -- the arithmetic ----------------------------------------------------------------------------------

@pytest.mark.parametrize("full, present, recused, votes, decision", [
    (5, {1, 2, 3}, set(), {1: "approve", 2: "approve", 3: "decline"}, "approved"),       # 3 of 5: quorum
    (5, {1, 2}, set(), {1: "approve", 2: "approve"}, "no_quorum"),                        # 2 of 5: none
    (4, {1, 2}, set(), {1: "approve", 2: "approve"}, "no_quorum"),                        # half is not a majority
    (4, {1, 2, 3}, set(), {1: "approve", 2: "decline", 3: "decline"}, "declined"),
    (5, {1, 2, 3}, {3}, {1: "approve", 2: "approve"}, "no_quorum"),                       # recused: not counted
    (5, {1, 2, 3, 4}, {4}, {1: "approve", 2: "decline", 3: "approve", 4: "decline"}, "approved"),  # 4's vote ignored
    (5, {1, 2, 3, 4}, set(), {1: "approve", 2: "decline", 3: "approve", 4: "decline"}, "no_majority"),  # a tie
    (3, {1, 2, 3}, set(), {1: "approve_with_conditions", 2: "approve", 3: "decline"}, "approved_with_conditions"),
    (3, {1, 2, 3}, set(), {}, "no_majority"),
])
def test_tally_at_the_boundaries(full, present, recused, votes, decision):
    assert tally(full, present, recused, votes).decision == decision


# -- meetings ----------------------------------------------------------------------------------------

@pytest.fixture
def members(session):
    return [make_user(session, f"member{i}", roles=("risk_committee_member",)) for i in range(3)]


def _referred(session, world, officer=None):
    if officer is not None:
        with as_user(session, officer):
            application = world.submitted(amount=D("40000.00"), term=24)
    else:
        application = world.submitted(amount=D("40000.00"), term=24)
    review = reviews.review_of(session, application.id)
    assert review.status == "referred"
    return application, review


def test_the_committee_votes_an_item_through_and_lending_approves(session, world, members):
    world.clock.day = date(2025, 3, 3)
    application, review = _referred(session, world)
    meeting = committee.next_meeting(session)
    assert meeting.held_on == date(2025, 3, 10) and [m.user_id for m in meeting.members] == [u.id for u in members]
    item = meeting.items[0]
    for user in members:
        committee.set_attendance(session, meeting, user.id, True)
    committee.recuse(session, item, members[2].id, "Cousin of the borrower")
    with pytest.raises(UserError):
        committee.vote(session, item, members[2].id, "approve")           # recused
    committee.vote(session, item, members[0].id, "approve")
    with pytest.raises(ConflictError):
        committee.vote(session, item, members[0].id, "decline")           # one vote per member
    committee.vote(session, item, members[1].id, "approve_with_conditions", "Guarantor required")
    committee.close_meeting(session, meeting)
    assert item.decision == "approved_with_conditions" and item.conditions == "Guarantor required"
    assert review.status == "approved" and application.status == "approved"
    assert [d.id for d in documents_for(session, "risk.meeting", meeting.id)] == [meeting.minutes_document_id]
    # the members who approved may not disburse
    lending.list_for_funding(session, application)
    for investor in (world.investor(), world.investor()):
        lending.invest(session, application, investor, application.amount / 2)
    with as_user(session, members[0]), pytest.raises(ConflictError):
        lending.disburse(session, application)
    with as_user(session, members[2]):                                   # recused: did not approve
        assert lending.disburse(session, application).principal == D("40000.00")


def test_without_quorum_the_item_moves_to_the_next_meeting(session, world, members):
    world.clock.day = date(2025, 3, 3)
    _application, review = _referred(session, world)
    meeting = committee.next_meeting(session)
    committee.set_attendance(session, meeting, members[0].id, True)
    committee.vote(session, meeting.items[0], members[0].id, "approve")
    committee.close_meeting(session, meeting)
    assert meeting.items[0].decision == "no_quorum" and review.status == "referred"
    following = committee.next_meeting(session)
    assert following.id != meeting.id and [i.review_id for i in following.items] == [review.id]


def test_the_officer_who_prepared_it_cannot_vote_and_absent_members_cannot_either(session, world, members):
    application, review = _referred(session, world, officer=members[0])
    meeting = committee.next_meeting(session)
    item = meeting.items[0]
    with pytest.raises(UserError):
        committee.vote(session, item, members[1].id, "approve")          # not marked present
    committee.set_attendance(session, meeting, members[0].id, True)
    with pytest.raises(UserError) as refused:
        committee.vote(session, item, members[0].id, "approve")
    assert "prepared" in str(refused.value)
    stranger = make_user(session, "stranger")
    with pytest.raises(UserError):
        committee.vote(session, item, stranger.id, "approve")


def test_a_declined_item_rejects_the_application(session, world, members):
    application, review = _referred(session, world)
    meeting = committee.next_meeting(session)
    item = meeting.items[0]
    for user in members:
        committee.set_attendance(session, meeting, user.id, True)
    committee.vote(session, item, members[0].id, "decline", "Exposure too high")
    committee.vote(session, item, members[1].id, "decline")
    committee.vote(session, item, members[2].id, "approve")
    assert committee.decide_item(session, item) == "declined"
    assert application.status == "rejected" and application.decision_reason == "Exposure too high"
    committee.close_meeting(session, meeting)
    with pytest.raises(ConflictError):
        committee.set_attendance(session, meeting, members[0].id, False)

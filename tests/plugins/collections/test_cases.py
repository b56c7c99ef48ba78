"""The case lifecycle, driven only by lending's events (close of business, repayments, closing)."""
from datetime import date

import pytest
from sqlalchemy import func, select

from core.config import ConfigError
from plugins.collections import services
from plugins.collections.models import BucketChange, Case, StageEntry
from plugins.collections.services.config import parse_stage_map
from plugins.lending import services as lending
from tests.plugins.collections.conftest import DISBURSED, close, pay_overdue


@pytest.fixture(autouse=True)
def _today(clock):
    clock.day = date(2025, 12, 31)


def cases_of(session, loan):
    session.expire_all()
    return list(session.scalars(select(Case).where(Case.loan_id == loan.id).order_by(Case.id)))


def test_a_case_opens_moves_through_the_stages_and_resolves(session, world):
    loan = world.loan(disbursed_on=DISBURSED)
    close(session, date(2025, 2, 15), start=date(2025, 2, 15))
    assert cases_of(session, loan) == []  # due today is not overdue

    close(session, date(2025, 2, 16))
    [case] = cases_of(session, loan)
    assert (case.status, case.stage, case.bucket, case.open_loan_id) == ("open", "early", "1-30", loan.id)
    assert case.opened_on == date(2025, 2, 16) and case.needs_assignment
    first = loan.installments[0]
    assert case.overdue_amount == first.principal_due + first.interest_due  # penalties are not included
    assert case.overdue_since == first.due_date  # days past due = business date − this

    close(session, date(2025, 3, 18))  # 31 days past due
    [case] = cases_of(session, loan)
    assert (case.stage, case.bucket, case.stage_since) == ("mid", "31-60", date(2025, 3, 18))
    close(session, date(2025, 4, 17))  # 61: same stage, new bucket
    [case] = cases_of(session, loan)
    assert (case.stage, case.bucket, case.stage_since) == ("mid", "61-90", date(2025, 3, 18))
    close(session, date(2025, 5, 17))  # 91
    [case] = cases_of(session, loan)
    assert (case.stage, case.bucket) == ("late", "91+")
    entries = session.scalars(select(StageEntry).where(StageEntry.case_id == case.id).order_by(StageEntry.id)).all()
    assert [(e.stage, e.entered_on, e.left_on) for e in entries] == [
        ("early", date(2025, 2, 16), date(2025, 3, 18)), ("mid", date(2025, 3, 18), date(2025, 5, 17)),
        ("late", date(2025, 5, 17), None)]
    assert entries[-1].overdue_at_entry == case.overdue_amount

    with world.clock.at(date(2025, 5, 20)):
        pay_overdue(session, loan, date(2025, 5, 20), "CATCH-UP-1")
    [case] = cases_of(session, loan)
    assert (case.status, case.open_loan_id, case.closed_on) == ("resolved", None, date(2025, 5, 17))
    assert case.close_reason == "loan current again"
    moves = session.scalars(select(BucketChange.new_bucket).where(BucketChange.loan_id == loan.id)
                            .order_by(BucketChange.id)).all()
    assert moves == ["1-30", "31-60", "61-90", "91+", "current"]


def test_overdue_again_opens_a_new_case(session, world):
    loan = world.loan(disbursed_on=DISBURSED)
    close(session, date(2025, 2, 20), start=date(2025, 2, 20))
    with world.clock.at(date(2025, 2, 21)):
        pay_overdue(session, loan, date(2025, 2, 21), "P-1")
    close(session, date(2025, 3, 20))
    first, second = cases_of(session, loan)
    assert first.status == "resolved" and second.status == "open" and second.opened_on == date(2025, 3, 16)


def test_a_repaid_loan_closes_its_case(session, world):
    loan = world.loan(disbursed_on=DISBURSED, term=3)
    close(session, date(2025, 4, 20), start=date(2025, 4, 20))
    [case] = cases_of(session, loan)
    assert case.stage == "mid"
    with world.clock.at(date(2025, 4, 21)):
        lending.post_repayment(session, loan, lending.payoff_amount(session, loan, date(2025, 4, 21)),
                               date(2025, 4, 21), "PAYOFF")
    assert loan.status == "closed"
    [case] = cases_of(session, loan)
    assert (case.status, case.close_reason) == ("resolved", "loan closed")


def test_written_off_loans_close_their_case_at_the_daily_sync(session, world):
    loan = world.loan(disbursed_on=DISBURSED)
    close(session, date(2025, 3, 1), start=date(2025, 3, 1))
    lending.write_off(session, loan, "borrower disappeared")
    assert cases_of(session, loan)[0].status == "open"  # lending has no event for write-offs
    assert "1 closed" in services.sync(session)
    [case] = cases_of(session, loan)
    assert (case.status, case.close_reason) == ("written_off", "loan written off")


def test_sync_opens_cases_for_loans_already_overdue(session, world, mutuo_db):
    """Collections enabled on a book that is already overdue: no bucket event will come, the sync opens them."""
    from core.context import bind
    from core.plugins import get_plugin_manager

    # close of business while collections is not enabled: nobody hears the bucket events
    bind(session, pm=get_plugin_manager({"mutuo.plugins": "products lending"}))
    loan = world.loan(disbursed_on=DISBURSED)
    close(session, date(2025, 4, 1), start=date(2025, 4, 1))
    assert cases_of(session, loan) == []
    bind(session, pm=mutuo_db.pm)
    summary = services.sync(session)
    assert "1 case opened" in summary
    [case] = cases_of(session, loan)
    assert (case.stage, case.bucket, case.status) == ("mid", "31-60", "open")
    assert case.overdue_amount > 0 and case.overdue_since == date(2025, 2, 15)
    entry = session.scalars(select(StageEntry).where(StageEntry.case_id == case.id)).one()
    assert entry.overdue_at_entry == case.overdue_amount
    assert "0 cases opened" in services.sync(session)  # idempotent


def test_only_one_open_case_per_loan(session, world):
    loan = world.loan(disbursed_on=DISBURSED)
    close(session, date(2025, 2, 16), start=date(2025, 2, 16))
    services.sync(session)
    services.sync(session)
    assert session.scalar(select(func.count(Case.id)).where(Case.open_loan_id == loan.id)) == 1


def test_stage_map_is_a_setting(session, world):
    session.info["mutuo.settings"] = {**session.info["mutuo.settings"],
                                      "collections.stage_map": "1-30:mid 31-60:mid 61-90:late 91+:late"}
    loan = world.loan(disbursed_on=DISBURSED)
    close(session, date(2025, 2, 16), start=date(2025, 2, 16))
    assert cases_of(session, loan)[0].stage == "mid"


@pytest.mark.parametrize("text, buckets, problem", [
    ("1-30:early 31+:soon", ["current", "1-30", "31+"], "not bucket:stage"),
    ("1-30:early", ["current", "1-30", "31+"], "no stage for the lending bucket"),
])
def test_bad_stage_maps_say_how_to_fix_them(text, buckets, problem):
    with pytest.raises(ConfigError, match=problem):
        parse_stage_map(text, buckets)

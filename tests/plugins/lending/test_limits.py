"""Business limits on dates and amounts (issue 11, item 6): a clear field error, nothing written."""
from datetime import date
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from core import context
from core.config import ConfigError
from core.errors import ConflictError
from core.money import MAX_MONEY
from plugins.lending import services
from plugins.lending.models import Application, CashEntry, Investment, Loan, Repayment
from plugins.lending.services import limits

from .test_customers_and_cash import refused

TODAY = date(2025, 3, 1)
HUGE = D("9999999999999999.99")  # fits Numeric(18, 2), but no business moves it


@pytest.fixture(autouse=True)
def _today(today_is):
    today_is(TODAY)


def count(session, model, *where) -> int:
    session.flush()
    return session.scalar(select(func.count()).select_from(model).where(*where))


def test_max_amount_setting_defaults_fits_the_column_and_refuses_nonsense():
    assert limits.max_amount({}) == D("1000000000.00") <= MAX_MONEY
    assert limits.max_amount({"lending.max_amount": "250000.00"}) == D("250000.00")
    for bad in ("abc", "0", "-5", "1.001", "99999999999999999", "NaN"):
        with pytest.raises(ConfigError, match="lending.max_amount"):
            limits.max_amount({"lending.max_amount": bad})


def test_huge_deposit_and_withdrawal_refused_on_the_amount(session, world):
    investor = world.investor(cash=D("1000.00"))
    before = count(session, CashEntry)
    refused(services.deposit, session, investor, HUGE, field="amount", match="at most 1,000,000,000.00")
    refused(services.withdraw, session, investor, HUGE, field="amount", match="at most 1,000,000,000.00")
    assert count(session, CashEntry) == before


def test_max_amount_is_a_setting(session, world, mutuo_db):
    investor = world.investor(cash=D("1000.00"))
    context.bind(session, settings={**mutuo_db.settings, "lending.max_amount": "500.00"})
    refused(services.deposit, session, investor, D("500.01"), field="amount", match="at most 500.00")
    services.deposit(session, investor, D("500.00"))


def test_cash_entries_not_in_the_future(session, world):
    investor = world.investor(cash=D("1000.00"))
    before = count(session, CashEntry)
    refused(services.deposit, session, investor, D("10.00"), entry_date=date(2025, 3, 2), field="entry_date",
            match="in the future")
    refused(services.withdraw, session, investor, D("10.00"), entry_date=date(2026, 3, 1), field="entry_date",
            match="in the future")
    assert count(session, CashEntry) == before
    services.deposit(session, investor, D("10.00"), entry_date=TODAY)


def test_application_and_investment_amounts_are_bounded(session, world):
    version = world.product()
    borrower = world.customer()
    refused(services.create_application, session, customer=borrower, product_version_id=version.id, amount=HUGE,
            term_months=12, field="amount", match="at most 1,000,000,000.00")
    assert count(session, Application) == 0
    application = world.listed(version=version, listed_on=TODAY)
    refused(services.invest, session, application, world.investor(), HUGE, field="amount", match="at most")
    assert count(session, Investment) == 0


@pytest.mark.parametrize("day, match", [
    (date(1, 1, 1), "before the application was listed for funding (2025-02-20)"),
    (date(2025, 2, 19), "before the application was listed for funding"),
    (date(2026, 3, 1), "in the future"),
    (date(2025, 3, 2), "in the future"),
])
def test_disbursement_dated_within_listing_and_today(session, world, day, match):
    application = world.funded(listed_on=date(2025, 2, 20))
    refused(services.disburse, session, application, day, field="disbursed_on", match=match)
    assert count(session, Loan) == 0
    assert application.status == "funded"
    assert count(session, Investment, Investment.status == "reserved") == 2


def test_disbursement_on_the_listing_day_and_today_accepted(session, world):
    first = world.funded(listed_on=date(2025, 2, 20))
    assert services.disburse(session, first, date(2025, 2, 20)).disbursed_on == date(2025, 2, 20)
    second = world.funded(listed_on=date(2025, 2, 20))
    assert services.disburse(session, second).disbursed_on == TODAY


def test_repayment_amount_bounded_and_over_payoff_is_a_conflict(session, world):
    loan = world.loan(disbursed_on=date(2025, 1, 15))
    refused(services.post_repayment, session, loan, HUGE, TODAY, "R-HUGE", field="amount", match="at most")
    payoff = services.payoff_amount(session, loan, TODAY)
    with pytest.raises(ConflictError, match="can take at most"):
        services.post_repayment(session, loan, payoff + D("0.01"), TODAY, "R-OVER")
    assert count(session, Repayment) == 0


def test_state_refusals_are_conflicts(session, world):
    application = world.application()
    with pytest.raises(ConflictError) as caught:
        services.approve(session, application)
    assert caught.value.field == "status"
    poor = world.investor(cash=D("50.00"))
    with pytest.raises(ConflictError, match="has only 50.00 available"):
        services.withdraw(session, poor, D("60.00"))


def test_listing_and_write_off_dates_not_in_the_future(session, world):
    application = world.application()
    services.submit(session, application)
    services.approve(session, application, "ok")
    refused(services.list_for_funding, session, application, date(2025, 3, 2), field="listed_on",
            match="in the future")
    assert application.status == "approved"
    loan = world.loan(disbursed_on=date(2025, 1, 15))
    refused(services.write_off, session, loan, "gone", date(2025, 3, 2), field="closed_on", match="in the future")
    refused(services.write_off, session, loan, "gone", date(2025, 1, 14), field="closed_on",
            match="before the loan was disbursed")
    assert loan.status == "active"

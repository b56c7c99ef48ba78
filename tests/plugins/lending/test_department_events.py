"""The events other departments build on (DESIGN.md §11): customers, cash, funding, the disbursement veto,
write-offs and the customer page's panels."""
from datetime import date
from decimal import Decimal as D

import pytest

from core import hookimpl
from core.errors import ConflictError
from plugins.lending import services
from plugins.lending.models import Loan
from plugins.lending.panels import CustomerPanel

DAY = date(2025, 1, 15)


@pytest.fixture(autouse=True)
def _today(today_is):
    today_is(DAY)


def test_customer_created_then_verified(session, world, events):
    customer = world.customer(verified=True)
    assert events.of("lending_customer_created") == [{"customer": customer.id}]
    assert events.of("lending_customer_verified") == [{"customer": customer.id}]
    pending = world.customer(verified=False)
    assert {"customer": pending.id} not in events.of("lending_customer_verified")


def test_deposit_and_withdrawal_carry_their_signed_entry(session, world, events):
    investor = world.investor(cash=D("500.00"))
    services.withdraw(session, investor, D("120.50"), entry_date=DAY)
    assert events.of("lending_cash_deposited") == [{"customer": investor.id, "amount": D("500.00")}]
    assert events.of("lending_cash_withdrawn") == [{"customer": investor.id, "amount": D("-120.50")}]


def test_investments_reserved_then_funded_once(session, world, events):
    application = world.listed(amount=D("1000.00"), listed_on=DAY)
    a, b = world.investor(), world.investor()
    first = services.invest(session, application, a, D("600.00"))
    assert events.names().count("lending_application_funded") == 0
    second = services.invest(session, application, b, D("400.00"))
    reserved = events.of("lending_investment_reserved")
    assert [r["investment"] for r in reserved] == [first.id, second.id]
    assert events.of("lending_application_funded") == [{"application": application.id}]
    # reserved before funded: a listener sees the investment that completed the funding first
    names = events.names()
    assert names.index("lending_application_funded") > names.index("lending_investment_reserved")


def test_cancelling_releases_with_the_new_status(session, world, events):
    application = world.listed(amount=D("1000.00"), listed_on=DAY)
    investment = services.invest(session, application, world.investor(), D("500.00"))
    services.cancel(session, application, "Borrower withdrew")
    assert events.of("lending_investments_released") == [
        {"application": application.id, "status": "cancelled", "investments": [investment.id]}]


def test_a_veto_refuses_the_disbursement_and_writes_nothing(session, world, events):
    application = world.funded(amount=D("1000.00"), listed_on=DAY)
    events.veto = "A second approver must sign off loans above 500."
    with pytest.raises(ConflictError) as refused:
        services.disburse(session, application, DAY)
    assert "second approver" in str(refused.value)
    assert application.status == "funded"
    assert session.query(Loan).filter_by(application_id=application.id).count() == 0
    events.veto = None
    loan = services.disburse(session, application, DAY)
    assert loan.status == "active"


def test_write_off_reports_the_principal_lost(session, world, events, today_is):
    loan = world.loan(disbursed_on=DAY)
    today_is(date(2025, 6, 1))
    services.write_off(session, loan, "Borrower unreachable", on=date(2025, 6, 1))
    assert events.of("lending_loan_written_off") == [{"loan": loan.id, "lost": loan.principal}]


class _Panels:
    @hookimpl
    def lending_customer_panels(self, request, customer):
        return [CustomerPanel(title="Risk level", permission="lending.customer.view",
                              rows=[("Level", "Low")], order=10),
                CustomerPanel(title="Secret", permission="nobody.has.this", rows=[("x", "y")])]


def test_customer_page_draws_the_panels_the_user_may_see(logged_in, mutuo_db, world, session):
    customer = world.customer()
    session.commit()
    app = logged_in(permissions=("core.dashboard.view", "lending.customer.view"))
    mutuo_db.pm.register(_Panels(), name="panels-test")
    try:
        page = app.get(f"/lending/customers/{customer.id}")
    finally:
        mutuo_db.pm.unregister(name="panels-test")
    assert "Risk level" in page.text and "Low" in page.text
    assert "Secret" not in page.text


class _Discounts:
    def __init__(self, *answers):
        self.answers, self.asked = answers, []

    @hookimpl
    def lending_origination_fee_discount(self, application, fee, disbursed_on):
        self.asked.append((application.id, fee, disbursed_on))
        return self.answers[len(self.asked) - 1] if len(self.asked) <= len(self.answers) else None


def test_fee_discounts_lower_the_origination_fee_and_never_below_zero(session, world, mutuo_db):
    discounts = _Discounts(D("5.00"), D("-3.00"), D("500.00"))
    mutuo_db.pm.register(discounts, name="discounts-test")
    try:
        discounted = services.disburse(session, world.funded(amount=D("1000.00"), listed_on=DAY), DAY)
        negative = services.disburse(session, world.funded(amount=D("1000.00"), listed_on=DAY), DAY)
        free = services.disburse(session, world.funded(amount=D("1000.00"), listed_on=DAY), DAY)
    finally:
        mutuo_db.pm.unregister(name="discounts-test")
    assert [a[1:] for a in discounts.asked] == [(D("20.00"), DAY)] * 3  # 2 % of 1,000.00, asked with the date
    assert (discounted.origination_fee, discounted.payout) == (D("15.00"), D("985.00"))
    assert negative.origination_fee == D("20.00")  # a negative answer cannot raise the fee
    assert (free.origination_fee, free.payout) == (D("0.00"), D("1000.00"))

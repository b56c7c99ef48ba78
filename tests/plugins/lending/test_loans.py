"""Disbursement, repayments (allocation, prepayment, idempotent references), distribution to investors."""
from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from core.money import money, split_pro_rata
from plugins.lending import services
from plugins.lending.models import CashEntry, Repayment
from plugins.products.schedule import add_months, build_schedule

from .test_customers_and_cash import refused

DISBURSED = date(2025, 1, 15)


@pytest.fixture(autouse=True)
def _today(today_is):
    today_is(date(2025, 12, 31))


def test_disbursement_builds_loan_schedule_holdings_and_spends_reservations(session, world, events, today_is):
    today_is(DISBURSED)
    version = world.product(origination_fee_rate=D("0.02"), grace_days=3)
    application = world.listed(version=version, amount=D("10000.00"), term=12, listed_on=DISBURSED)
    a, b, c = world.investor(), world.investor(), world.investor()
    services.invest(session, application, a, D("3000.00"))
    services.invest(session, application, b, D("3000.00"))
    services.invest(session, application, a, D("1000.00"))  # a second reservation of the same investor
    services.invest(session, application, c, D("3000.00"))
    loan = services.disburse(session, application, DISBURSED)
    assert (loan.origination_fee, loan.payout) == (D("200.00"), D("9800.00"))
    expected = build_schedule(D("10000.00"), loan.annual_rate, 12, "equal_installment", add_months(DISBURSED, 1))
    assert [(i.number, i.due_date, i.principal_due, i.interest_due) for i in loan.installments] == \
        [(e.number, e.due_date, e.principal, e.interest) for e in expected]
    assert loan.installments[0].penalty_from == loan.installments[0].due_date + timedelta(days=4)
    holdings = {h.investor_id: (h.amount, h.share) for h in loan.holdings}
    assert holdings == {a.id: (D("4000.00"), D("0.4")), b.id: (D("3000.00"), D("0.3")), c.id: (D("3000.00"), D("0.3"))}
    assert {i.status for i in application.investments} == {"spent"}
    assert services.balance(session, a.id) == D("96000.00")
    assert services.reserved(session, a.id) == D("0.00")
    assert services.available(session, a.id) == D("96000.00")
    assert events.of("lending_loan_disbursed") == [{"loan": loan.id, "installments": 12}]
    assert (loan.region, loan.industry, loan.bucket, loan.days_past_due) == ("North", "Retail", "current", 0)


def test_repayment_pays_oldest_installment_first_in_allocation_order(session, world):
    loan = world.loan(disbursed_on=DISBURSED)
    first, second = loan.installments[0], loan.installments[1]
    services.close_of_business(session, date(2025, 3, 25), start=date(2025, 2, 15))  # both overdue, penalties
    assert first.penalty_due > 0 and second.penalty_due > 0
    pay = first.outstanding + second.penalty_due + D("1.00")
    repayment = services.post_repayment(session, loan, pay, date(2025, 3, 25), "R-OLD")
    assert first.paid_on == date(2025, 3, 25) and first.outstanding == 0
    # Inside the second installment: penalty, fee (none), then interest.
    assert second.penalty_paid == second.penalty_due
    assert second.interest_paid == D("1.00") and second.principal_paid == 0 and second.paid_on is None
    assert repayment.penalty == first.penalty_paid + second.penalty_paid
    assert repayment.amount == repayment.principal + repayment.interest + repayment.fee + repayment.penalty


def test_product_allocation_order_is_followed(session, world):
    version = world.product(allocation_order="penalty,fee,principal,interest")
    loan = world.loan(version=version, disbursed_on=DISBURSED)
    first = loan.installments[0]
    services.post_repayment(session, loan, first.principal_due + D("0.50"), date(2025, 2, 15), "R-ORDER")
    assert first.principal_paid == first.principal_due
    assert first.interest_paid == D("0.50")


def test_early_payment_of_the_next_installment_is_regular(session, world):
    loan = world.loan(disbursed_on=DISBURSED)
    first = loan.installments[0]
    services.post_repayment(session, loan, first.total_due, date(2025, 2, 10), "R-EARLY")  # due 2025-02-15
    assert first.paid_on == date(2025, 2, 10)
    assert all(i.total_paid == 0 for i in loan.installments[1:])


def test_overpayment_prepays_principal_from_the_last_installment_backwards(session, world):
    loan = world.loan(disbursed_on=DISBURSED)
    first, last, before_last = loan.installments[0], loan.installments[-1], loan.installments[-2]
    extra = last.principal_due + D("10.00")
    repayment = services.post_repayment(session, loan, first.total_due + extra, date(2025, 2, 15), "R-PREPAY")
    assert first.paid_on is not None
    assert last.principal_paid == last.principal_due and last.paid_on == date(2025, 2, 15)
    assert last.interest_waived == last.interest_due and last.interest_paid == 0  # the rest of its price waived
    assert before_last.principal_paid == D("10.00") and before_last.interest_waived == 0
    assert before_last.paid_on is None
    assert repayment.prepaid_principal == extra
    assert all(i.total_paid == 0 for i in loan.installments[1:-2])


def test_payoff_closes_the_loan_and_more_is_refused(session, world, events):
    loan = world.loan(disbursed_on=DISBURSED)
    payoff = services.payoff_amount(session, loan, date(2025, 2, 15))
    message = refused(services.post_repayment, session, loan, payoff + D("0.01"), date(2025, 2, 15), "R-TOO-MUCH",
                      field="amount")
    assert f"can take at most {payoff:,.2f}" in message
    services.post_repayment(session, loan, payoff, date(2025, 2, 15), "R-PAYOFF")
    assert loan.status == "closed" and loan.closed_on == date(2025, 2, 15)
    assert all(i.paid_on for i in loan.installments)
    assert events.names()[-2:] == ["lending_repayment_posted", "lending_loan_closed"]
    assert events.of("lending_loan_closed") == [{"loan": loan.id, "status": "closed"}]
    refused(services.post_repayment, session, loan, D("1.00"), date(2025, 2, 16), "R-AFTER", field="loan_id",
            match="is closed")


def test_same_reference_twice_is_refused_with_a_clear_message(session, world):
    loan = world.loan(disbursed_on=DISBURSED)
    first = services.post_repayment(session, loan, D("100.00"), date(2025, 2, 15), "BANK-42")
    for _ in range(2):
        message = refused(services.post_repayment, session, loan, D("100.00"), date(2025, 2, 15), " BANK-42 ",
                          field="reference")
        assert message == (f"Reference BANK-42 was already posted on 2025-02-15 to loan {loan.id} (repayment "
                           f"{first.id}, 100.00); nothing was posted again.")
    assert session.scalar(select(func.count()).select_from(Repayment)) == 1
    assert loan.installments[0].total_paid == D("100.00")


def test_repayment_refusals(session, world, today_is):
    loan = world.loan(disbursed_on=DISBURSED)
    post = services.post_repayment
    refused(post, session, loan, D("0"), date(2025, 2, 15), "R1", field="amount", match="greater than zero")
    refused(post, session, loan, "ten", date(2025, 2, 15), "R1", field="amount", match="is not an amount")
    refused(post, session, loan, D("10"), date(2025, 2, 15), "  ", field="reference", match="external reference")
    refused(post, session, loan, D("10"), date(2025, 1, 1), "R1", field="paid_on", match="before the loan was")
    today_is(date(2025, 3, 1))
    refused(post, session, loan, D("10"), date(2025, 3, 2), "R1", field="paid_on", match="in the future")
    services.write_off(session, loan, "borrower disappeared")
    refused(post, session, loan, D("10"), date(2025, 2, 15), "R1", field="loan_id", match="is written off")


def test_distribution_after_service_fee_sums_to_the_cent(session, world):
    version = world.product(service_fee_rate=D("0.015"))
    loan = world.loan(version=version, investors=3, disbursed_on=DISBURSED)
    repayment = services.post_repayment(session, loan, D("1000.01"), date(2025, 2, 15), "R-SPLIT")
    assert repayment.service_fee == money(D("1000.01") * D("0.015"))
    assert repayment.distributed == D("1000.01") - repayment.service_fee
    entries = session.scalars(select(CashEntry).where(CashEntry.repayment_id == repayment.id)
                              .order_by(CashEntry.id)).all()
    assert sum(e.amount for e in entries) == repayment.distributed
    expected = split_pro_rata(repayment.distributed, [h.amount for h in loan.holdings])
    assert [e.amount for e in entries] == expected
    assert {e.customer_id for e in entries} == {h.investor_id for h in loan.holdings}
    assert all(e.kind == "repayment" and e.loan_id == loan.id for e in entries)


def test_repayment_that_cures_arrears_updates_the_bucket(session, world, events):
    loan = world.loan(disbursed_on=DISBURSED)
    services.close_of_business(session, date(2025, 3, 20), start=date(2025, 3, 20))
    assert (loan.days_past_due, loan.bucket) == (33, "31-60")
    owed = sum((i.outstanding for i in loan.installments[:2]), D(0))
    services.post_repayment(session, loan, owed, date(2025, 3, 20), "R-CURE")
    assert (loan.days_past_due, loan.bucket) == (0, "current")
    assert events.of("lending_loan_delinquency_changed")[-1] == {"loan": loan.id, "old": "31-60", "new": "current",
                                                                 "dpd": 0}


def test_write_off(session, world):
    loan = world.loan(disbursed_on=DISBURSED)
    refused(services.write_off, session, loan, "", field="reason")
    services.write_off(session, loan, "fraud", date(2025, 6, 1))
    assert (loan.status, loan.closed_on) == ("written_off", date(2025, 6, 1))
    refused(services.write_off, session, loan, "again", field="status", match="Only active loans")

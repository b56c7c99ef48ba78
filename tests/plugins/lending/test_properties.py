"""Hypothesis: money always reconciles to the cent.

* allocation never pays more than is due, and pays all of the amount;
* investor shares always sum to the distributed amount;
* cash entries always sum to the balance, and available never goes negative.
"""
from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from core.errors import UserError
from plugins.lending import services
from plugins.lending.models import CashEntry
from plugins.lending.services.allocation import PARTS, Owed, allocate, payoff, regular_and_later

cents = st.integers(min_value=0, max_value=500_000).map(lambda c: D(c) / 100)
START = date(2025, 1, 15)
DB_SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                            HealthCheck.too_slow])


@st.composite
def loans_owing(draw):
    count = draw(st.integers(1, 12))
    owed = [Owed(number=n + 1, due_date=START + timedelta(days=30 * (n + 1)), principal=draw(cents),
                 interest=draw(cents), fee=draw(st.sampled_from([D("0.00"), D("1.50")])),
                 penalty=draw(st.sampled_from([D("0.00")]) if n > 3 else cents))
            for n in range(count)]
    due_by = START + timedelta(days=draw(st.integers(0, 400)))
    order = tuple(draw(st.permutations(PARTS)))
    limit = payoff(owed, due_by)
    amount = draw(st.integers(0, int(limit * 100)).map(lambda c: D(c) / 100))
    return owed, due_by, order, amount


@given(loans_owing())
@settings(max_examples=400, deadline=None)
def test_allocation_never_pays_more_than_is_due(case):
    owed, due_by, order, amount = case
    allocation = allocate(owed, amount, due_by, order)
    assert allocation.total == amount
    by_number = {o.number: o for o in owed}
    for paid in allocation.paid:
        item = by_number[paid.number]
        for part in PARTS:
            assert D(0) <= getattr(paid, part) <= getattr(item, part), (part, paid, item)
        assert paid.interest + paid.interest_waived <= item.interest
        assert paid.fee + paid.fee_waived <= item.fee
        if paid.interest_waived or paid.fee_waived:
            assert paid.principal == item.principal and paid.prepaid_principal == paid.principal
    regular, later = regular_and_later(owed, due_by)
    regular_total = sum((o.total for o in regular), D(0))
    prepaid = sum((p.prepaid_principal for p in allocation.paid), D(0))
    assert prepaid == max(D(0), amount - regular_total)  # only money beyond what is due prepays
    if prepaid:  # from the last installment backwards: a prepaid installment has every later one fully prepaid
        numbers = sorted(p.number for p in allocation.paid if p.prepaid_principal)
        later_numbers = [o.number for o in later if o.principal > 0]
        assert numbers == later_numbers[len(later_numbers) - len(numbers):]


@given(loans_owing())
@settings(max_examples=100, deadline=None)
def test_more_than_the_payoff_is_refused(case):
    owed, due_by, order, _amount = case
    with pytest.raises(ValueError):
        allocate(owed, payoff(owed, due_by) + D("0.01"), due_by, order)


# -- with the database -----------------------------------------------------------------------

@pytest.fixture
def rollback_each(session):
    """Run one Hypothesis example inside a savepoint that is rolled back afterwards."""
    def run(fn):
        point = session.begin_nested()
        try:
            return fn()
        finally:
            point.rollback()
            session.expire_all()
    return run


@given(amounts=st.lists(st.integers(2, 40).map(lambda n: D(n) * 50), min_size=1, max_size=12),
       payment=st.integers(1, 300_000).map(lambda c: D(c) / 100),
       fee_rate=st.sampled_from([D("0"), D("0.01"), D("0.015"), D("0.1")]))
@DB_SETTINGS
def test_investor_shares_sum_to_the_distributed_amount(world, session, clock, rollback_each, amounts, payment,
                                                       fee_rate):
    def example():
        with clock.at(START):
            version = world.product(service_fee_rate=fee_rate, min_investment=D("100.00"),
                                    investment_increment=D("50.00"))
            application = world.listed(version=version, amount=max(sum(amounts), D("1000.00")))
            for amount in amounts:
                services.invest(session, application, world.investor(), amount)
            left = services.remaining(session, application)
            if left:
                services.invest(session, application, world.investor(), left)
            loan = services.disburse(session, application, START)
        with clock.at(START + timedelta(days=40)):
            amount = min(payment, services.payoff_amount(session, loan))
            repayment = services.post_repayment(session, loan, amount, START + timedelta(days=40), "H-1")
        credited = session.scalars(select(CashEntry.amount).where(CashEntry.repayment_id == repayment.id)).all()
        assert sum(credited, D(0)) == repayment.distributed
        assert repayment.distributed + repayment.service_fee + repayment.fee == repayment.amount
        assert len(credited) <= len(loan.holdings)

    rollback_each(example)


OPERATIONS = st.lists(st.tuples(st.sampled_from(["deposit", "deposit", "withdraw", "invest", "invest", "cancel",
                                                 "disburse", "repay", "repay"]),
                                st.integers(0, 3), st.integers(1, 1600).map(lambda n: D(n) * 5 / 2)),
                      min_size=1, max_size=30)


@given(opening=st.lists(st.integers(0, 1600).map(lambda n: D(n) * 5 / 2), min_size=4, max_size=4),
       operations=OPERATIONS)
@DB_SETTINGS
def test_cash_entries_sum_to_the_balance(world, session, clock, rollback_each, opening, operations):
    """Random deposits, withdrawals, investments, cancellations, disbursements and repayments:
    the ledger's sum equals a model kept by the test, and nothing is ever overspent."""

    def example():
        with clock.at(START):
            version = world.product(min_investment=D("100.00"), investment_increment=D("2.50"))
            investors = [world.investor(cash=D("0")) for _ in range(4)]
            application = world.listed(version=version, amount=D("2500.00"))
            for investor, amount in zip(investors, opening):
                if amount:
                    services.deposit(session, investor, amount)
        model = {i.id: amount for i, amount in zip(investors, opening)}
        loan = None
        day = START
        for op, who, amount in operations:
            investor = investors[who]
            with clock.at(day):
                try:
                    if op == "deposit":
                        services.deposit(session, investor, amount)
                        model[investor.id] += amount
                    elif op == "withdraw":
                        services.withdraw(session, investor, amount)
                        model[investor.id] -= amount
                    elif op == "invest":  # at most what remains and is available, so the loan often gets funded
                        left = services.remaining(session, application)
                        free = services.available(session, investor.id)
                        services.invest(session, application, investor, min(amount, left, max(free, D("0.01"))))
                    elif op == "cancel" and application.status == "listed" and amount > 3900:
                        services.cancel(session, application, "test")
                    elif op == "disburse" and application.status == "funded":
                        loan = services.disburse(session, application, day)
                        event("disbursed")
                        for holding in loan.holdings:
                            model[holding.investor_id] -= holding.amount
                    elif op == "repay" and loan is not None and loan.status == "active":
                        day += timedelta(days=31)
                        with clock.at(day):
                            pay = min(amount, services.payoff_amount(session, loan, day))
                            repayment = services.post_repayment(session, loan, pay, day, f"H-{day}-{who}")
                            event("repaid")
                        for entry in session.scalars(select(CashEntry).where(CashEntry.repayment_id == repayment.id)):
                            model[entry.customer_id] += entry.amount
                except UserError:
                    event(f"refused {op}")
            for person in investors:
                ledger = session.scalar(select(func.sum(CashEntry.amount))
                                        .where(CashEntry.customer_id == person.id)) or D(0)
                assert D(ledger) == services.balance(session, person.id) == model[person.id]
                assert services.available(session, person.id) >= 0
                assert services.available(session, person.id) == model[person.id] - services.reserved(session,
                                                                                                       person.id)

    rollback_each(example)

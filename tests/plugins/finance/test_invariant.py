"""After any sequence of lending operations the books agree with lending: each customer's custodial
balance equals lending's cash balance, reserved money equals open reservations, the trial balance is zero."""
from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.errors import UserError
from plugins.finance.services import journal
from plugins.lending import services as lending
from plugins.lending.models import Investment

OPS = st.lists(st.tuples(st.sampled_from(["deposit", "withdraw", "fund", "cancel", "disburse", "repay",
                                          "write_off"]),
                         st.integers(min_value=0, max_value=3), st.integers(min_value=1, max_value=40)),
               min_size=1, max_size=12)


def check(session):
    assert journal.differences(session) == []
    assert journal.trial_balance(session)["difference"] == 0
    open_reservations: dict = {}
    for i in session.query(Investment).filter(Investment.status == "reserved"):
        open_reservations[i.investor_id] = open_reservations.get(i.investor_id, D(0)) + i.amount
    assert journal.reserved_balances(session) == open_reservations


@settings(max_examples=12, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(ops=OPS)
def test_books_equal_lending_after_any_sequence(mutuo_db, clock, ops):
    from plugins.lending.testing import World

    mutuo_db.reset()
    session = mutuo_db.session_factory()
    try:
        clock.day = date(2025, 3, 1)
        world = World(session, mutuo_db.documents, clock)
        version = world.product()
        investors = [world.investor(cash=D("20000.00")) for _ in range(3)]
        applications, loans = [], []
        for op, who, size in ops:
            investor = investors[who % 3]
            try:
                with session.begin_nested():
                    if op == "deposit":
                        lending.deposit(session, investor, D(size * 37) + D("0.13"), entry_date=clock.day)
                    elif op == "withdraw":
                        lending.withdraw(session, investor, D(size * 29) + D("0.07"), entry_date=clock.day)
                    elif op == "fund":
                        app = world.listed(version=version, amount=D(1000 + size * 50))
                        lending.invest(session, app, investor, app.amount - D(500))
                        lending.invest(session, app, investors[(who + 1) % 3], D(500))
                        applications.append(app)
                    elif op == "cancel" and applications:
                        lending.cancel(session, applications.pop(), "changed mind")
                    elif op == "disburse" and applications:
                        loans.append(lending.disburse(session, applications.pop(0), clock.day))
                    elif op == "repay" and loans:
                        loan = loans[who % len(loans)]
                        if loan.status == "active":
                            lending.post_repayment(session, loan, D(size * 13) + D("0.31"), clock.day,
                                                   f"R{len(ops)}-{size}-{who}-{loan.id}-{clock.day}")
                    elif op == "write_off" and loans:
                        loan = loans[who % len(loans)]
                        if loan.status == "active":
                            lending.write_off(session, loan, "gone", clock.day)
            except UserError:
                pass  # a refused operation (not enough cash, too much repaid) writes nothing, in lending or here
            check(session)
    finally:
        session.rollback()
        session.close()

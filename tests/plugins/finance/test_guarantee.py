"""The principal guarantee fund: contributions by product, a claim paid to the investors, the fund's
right of recovery on later repayments, coverage; the books still equal lending throughout."""
from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from core.errors import ConflictError
from plugins.finance.services import guarantee, journal
from plugins.lending import services as lending


def agree(session):
    assert journal.differences(session) == [] and journal.trial_balance(session)["difference"] == 0


def test_contribution_share_of_the_fee_and_a_product_override(dbsession, world, mutuo_db):
    from core.context import SETTINGS_KEY
    from plugins.products.models import LoanProduct, ProductVersion

    loan = world.loan(investors=1)  # 10,000 with a 2% fee: 200 fee, a quarter to the fund
    assert guarantee.balance(dbsession) == D("50.00") == journal.account_balance(dbsession, "1020")
    code = dbsession.get(LoanProduct, dbsession.get(ProductVersion, loan.product_version_id).product_id).code
    dbsession.info[SETTINGS_KEY] = {**mutuo_db.settings, f"finance.guarantee_principal_share.{code}": "0.01"}
    try:
        assert guarantee.contribution(dbsession, loan) == D("150.00")  # 50 of the fee + 1% of 10,000
    finally:
        del dbsession.info[SETTINGS_KEY]


def test_claim_payout_and_recovery(dbsession, world, clock):
    # a big fund first: a principal share on every loan
    loan = world.overdue_loan(days_overdue=95, investors=2, amount=D("10000.00"))
    for _ in range(4):
        world.loan(investors=1, amount=D("40000.00"), version=world.product(origination_fee_rate=D("0.05")))
    fund = guarantee.balance(dbsession)
    assert fund == D("50.00") + 4 * D("500.00")
    with pytest.raises(ConflictError):
        guarantee.propose(dbsession, world.loan(investors=1))  # current loan: not claimable
    fund = guarantee.balance(dbsession)
    claim = guarantee.propose(dbsession, loan)
    assert claim.principal == D("10000.00") and claim.amount == fund  # capped at the fund's balance
    before = {h.investor_id: lending.balance(dbsession, h.investor_id) for h in loan.holdings}
    guarantee.approve(dbsession, claim)
    paid = {i: lending.balance(dbsession, i) - b for i, b in before.items()}
    assert sum(paid.values()) == claim.amount and guarantee.balance(dbsession) == 0
    agree(dbsession)
    with pytest.raises(ConflictError):
        guarantee.approve(dbsession, claim)
    # the borrower pays later: the investors' part goes back to the fund
    today = clock.day or date.today()
    repayment = lending.post_repayment(dbsession, loan, D("500.00"), today, "LATE-1")
    assert claim.recovered == repayment.distributed
    assert guarantee.balance(dbsession) == repayment.distributed
    for investor_id, b in before.items():
        assert lending.balance(dbsession, investor_id) == b + paid[investor_id]
    agree(dbsession)


def test_coverage_ratio(dbsession, world):
    world.overdue_loan(days_overdue=95, investors=1)
    cover = guarantee.coverage(dbsession)
    assert cover["at_risk"] == D("10000.00") and cover["fund"] == D("50.00") and cover["ratio"] == D("0.0050")

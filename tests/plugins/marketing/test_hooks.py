"""Marketing's own hooks: touchpoint recorded, conversion attributed, and the expected loss another plugin gives."""
from __future__ import annotations

from decimal import Decimal as D

import pytest

from core import hookimpl
from plugins.lending import services as lending
from plugins.marketing.services import conversions, tracking


class Listener:
    def __init__(self, loss=None):
        self.calls: list[tuple[str, object]] = []
        self.loss = loss

    @hookimpl
    def marketing_touchpoint_recorded(self, touchpoint):
        self.calls.append(("touchpoint", touchpoint.campaign_id))

    @hookimpl
    def marketing_conversion_attributed(self, conversion):
        self.calls.append(("conversion", conversion.kind))

    @hookimpl
    def marketing_expected_loss(self, loan):
        return self.loss


@pytest.fixture
def listener(mutuo_db):
    found = Listener(loss=D("0.10"))
    mutuo_db.pm.register(found, name="marketing-test-listener")
    yield found
    mutuo_db.pm.unregister(name="marketing-test-listener")


def test_marketing_tells_other_departments(listener, session, campaign, world):
    spring = campaign()
    tracking.record_click(session, tracking.create_link(session, spring, "https://x.test/"), "12" * 16)
    tracking.identify_visitor(session, "12" * 16, email="kim@example.test")
    borrower = world.customer(email="kim@example.test")
    loan = lending.disburse(session, world.funded(borrower=borrower, amount=D("10000.00")))
    assert listener.calls[:2] == [("touchpoint", spring.id), ("conversion", "verified")]
    assert ("conversion", "funded") in listener.calls
    # the expected loss comes from the hook (10 % here), not the setting's 3 %
    interest = sum((i.interest_due + i.fee_due for i in loan.installments), D(0))
    assert conversions.loan_margin(session, loan) == interest + loan.origination_fee - D("1000.00")

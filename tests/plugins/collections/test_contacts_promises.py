"""Contact attempts and promises to pay, kept and broken at the boundaries."""
from datetime import date
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from core.errors import UserError
from core.models.message import Message
from plugins.collections.models import ActionItem, Case, Contact, Promise
from plugins.collections.services import actions, assign_cases, check_promises, log_contact
from plugins.lending import services as lending
from tests.plugins.collections.conftest import DISBURSED, close

MADE = date(2025, 2, 20)
DUE = date(2025, 3, 1)  # + 2 grace days: payments up to 2025-03-03 count


@pytest.fixture
def case(session, world, clock, collector):
    clock.day = MADE
    ana = collector("ana", ("early",))
    loan = world.loan(disbursed_on=DISBURSED, borrower=world.customer(phone="+34 600 000 001"))
    close(session, date(2025, 2, 19), start=date(2025, 2, 19))
    assign_cases(session)
    case = session.scalars(select(Case).where(Case.loan_id == loan.id)).one()
    assert case.collector_id == ana.id
    return case


def promise(session, case, amount="100.00", due=DUE):
    log_contact(session, case, case.collector_id, channel="call", outcome="promise_to_pay",
                promise_amount=amount, promise_due=due, note="Will pay after payday")
    return session.scalars(select(Promise).where(Promise.case_id == case.id, Promise.status == "pending")).one()


def pay(session, world, case, amount, on, ref):
    with world.clock.at(on):
        lending.post_repayment(session, case.loan, D(amount), on, ref)


def settle_on(session, world, day):
    with world.clock.at(day):
        return check_promises(session)


def test_a_promise_makes_the_case_promised(session, case):
    p = promise(session, case)
    assert (case.status, case.promise_due) == ("promised", DUE)
    assert (p.amount, p.made_on, p.due_on, p.status) == (D("100.00"), MADE, DUE, "pending")
    second = promise(session, case, "150.00", date(2025, 3, 5))
    assert session.get(Promise, p.id).status == "cancelled" and second.amount == D("150.00")


def test_kept_at_exactly_the_threshold_on_the_last_grace_day(session, world, case):
    p = promise(session, case)
    pay(session, world, case, "89.99", date(2025, 2, 25), "R-1")
    assert p.status == "pending"  # 89.99 < 0.90 × 100.00
    pay(session, world, case, "0.01", date(2025, 3, 3), "R-2")  # the last day that counts
    assert (p.status, p.paid_amount) == ("kept", D("90.00"))  # at once, from the repayment event
    assert (case.status, case.promise_due, case.broken_promises) == ("open", None, 0)


def test_broken_one_cent_short(session, world, case):
    p = promise(session, case)
    pay(session, world, case, "89.99", date(2025, 3, 3), "R-1")
    assert settle_on(session, world, date(2025, 3, 3)).pending == 1  # the window is still open today
    run = settle_on(session, world, date(2025, 3, 4))
    assert (run.broken, p.status, p.paid_amount) == (1, "broken", D("89.99"))
    assert (case.status, case.broken_promises, case.promise_due) == ("open", 1, None)


def test_paying_after_the_grace_days_does_not_keep_it(session, world, case):
    p = promise(session, case)
    pay(session, world, case, "100.00", date(2025, 3, 4), "LATE")
    assert p.status == "pending"
    settle_on(session, world, date(2025, 3, 4))
    assert p.status == "broken"


def test_payments_before_the_promise_do_not_count(session, world, case):
    pay(session, world, case, "100.00", date(2025, 2, 19), "EARLIER")
    p = promise(session, case)
    settle_on(session, world, date(2025, 3, 10))
    assert (p.status, p.paid_amount) == ("broken", D("0.00"))


def test_the_threshold_and_grace_are_settings(session, world, case):
    session.info["mutuo.settings"] = {**session.info["mutuo.settings"], "collections.promise_threshold": "1",
                                      "collections.promise_grace_days": "0"}
    p = promise(session, case)
    pay(session, world, case, "99.99", date(2025, 3, 1), "R-1")
    settle_on(session, world, date(2025, 3, 2))
    assert p.status == "broken"


def test_a_call_completes_the_due_call_item(session, world, case):
    close(session, date(2025, 2, 20))  # day 5: SMS d1 and call d3 are due
    actions.create_due_items(session)
    log_contact(session, case, case.collector_id, channel="call", outcome="no_answer",
                next_action_on=date(2025, 2, 21))
    statuses = dict(session.execute(select(ActionItem.channel, ActionItem.status)).all())
    assert statuses == {"sms": "sent", "call": "done"}
    assert case.next_action_on == date(2025, 2, 21)


def test_an_sms_contact_goes_through_the_outbox(session, case):
    log_contact(session, case, case.collector_id, channel="sms", outcome="no_answer", message="Please call us back.")
    [message] = session.scalars(select(Message).where(Message.sender_ref.like("contact:%"))).all()
    assert (message.address, message.body, message.status) == ("+34 600 000 001", "Please call us back.", "outbox")
    assert (message.sender, message.entity_type, message.entity_id) == ("collections", "collections.case", case.id)


@pytest.mark.parametrize("fields, field", [
    ({"channel": "fax", "outcome": "no_answer"}, "channel"),
    ({"channel": "call", "outcome": "maybe"}, "outcome"),
    ({"channel": "call", "outcome": "dispute"}, "note"),
    ({"channel": "call", "outcome": "promise_to_pay", "promise_due": "2025-03-01"}, "promise_amount"),
    ({"channel": "call", "outcome": "promise_to_pay", "promise_amount": "-5"}, "promise_amount"),
    ({"channel": "call", "outcome": "promise_to_pay", "promise_amount": "12.345", "promise_due": "2025-03-01"},
     "promise_amount"),
    ({"channel": "call", "outcome": "promise_to_pay", "promise_amount": "50"}, "promise_due"),
    ({"channel": "call", "outcome": "promise_to_pay", "promise_amount": "50", "promise_due": "2025-02-19"},
     "promise_due"),
    ({"channel": "call", "outcome": "promise_to_pay", "promise_amount": "50", "promise_due": "2025-12-31"},
     "promise_due"),
    ({"channel": "call", "outcome": "no_answer", "promise_amount": "50"}, "promise_amount"),
    ({"channel": "call", "outcome": "no_answer", "next_action_on": "2025-02-01"}, "next_action_on"),
    ({"channel": "call", "outcome": "no_answer", "next_action_on": "soon"}, "next_action_on"),
    ({"channel": "sms", "outcome": "no_answer"}, "message"),
])
def test_contact_refusals_name_the_field_and_save_nothing(session, case, fields, field):
    with pytest.raises(UserError) as caught:
        log_contact(session, case, case.collector_id, **fields)
    assert caught.value.field == field
    session.flush()
    assert session.scalars(select(Contact)).all() == []


def test_no_contact_on_a_closed_case(session, world, case):
    pay(session, world, case, str(sum(i.outstanding for i in case.loan.installments if i.due_date < MADE)),
        MADE, "ALL")
    assert case.status == "resolved"
    with pytest.raises(UserError, match="resolved"):
        log_contact(session, case, case.collector_id, channel="call", outcome="no_answer")
    assert session.scalars(select(Contact)).all() == []

"""Strategies as data, the daily action items, and messages through the gateway."""
from datetime import date

import pytest
from sqlalchemy import select

from core import hookimpl
from core import messages as core_messages
from core.errors import UserError
from core.messages import MemoryGateway
from core.models.message import Message
from plugins.collections.models import ActionItem, StrategyAction
from plugins.collections.services import actions, messages, strategies
from tests.plugins.collections.conftest import DISBURSED, close


@pytest.fixture(autouse=True)
def _today(clock):
    clock.day = date(2025, 12, 31)


def items(session, status=None):
    session.expire_all()
    stmt = select(ActionItem.channel, ActionItem.occurrence, ActionItem.status).order_by(ActionItem.id)
    if status:
        stmt = stmt.where(ActionItem.status == status)
    return [tuple(r) for r in session.execute(stmt)]


def test_defaults_are_seeded_once(session):
    assert strategies.ensure_defaults(session) == 7
    early = strategies.actions(session, "early")
    assert [(a.day_offset, a.channel) for a in early] == [(1, "sms"), (3, "call"), (7, "call")]
    mid = strategies.actions(session, "mid")
    assert [(a.day_offset, a.channel, a.repeat_every) for a in mid] == [(31, "call", 3), (45, "letter", None)]
    assert [a.channel for a in strategies.actions(session, "late")] == ["visit", "legal_review"]
    for action in strategies.actions(session):
        strategies.delete_action(session, action)
    assert strategies.ensure_defaults(session) == 0  # a supervisor's deletions are respected
    assert strategies.actions(session) == []


def test_items_follow_the_strategy_day_by_day(session, world):
    borrower = world.customer(phone="+34 600 000 001")
    world.loan(disbursed_on=DISBURSED, borrower=borrower)
    close(session, date(2025, 2, 16), start=date(2025, 2, 16))  # 1 day past due
    run = actions.create_due_items(session)
    assert run.created == {"sms": 1} and run.sent == 1
    assert items(session) == [("sms", 1, "sent")]
    [message] = session.scalars(select(Message)).all()
    assert (message.channel, message.address, message.status) == ("sms", "+34 600 000 001", "outbox")
    assert (message.sender, message.entity_type, message.sender_ref[:12]) == ("collections", "collections.case",
                                                                              "action_item:")
    assert "1 days late" in message.body and borrower.name in message.body
    assert sum(actions.create_due_items(session).created.values()) == 0  # idempotent

    close(session, date(2025, 2, 18))  # day 3
    actions.create_due_items(session)
    close(session, date(2025, 2, 22))  # day 7
    actions.create_due_items(session)
    assert items(session) == [("sms", 1, "sent"), ("call", 3, "due"), ("call", 7, "due")]

    close(session, date(2025, 3, 18))  # day 31: mid stage; the early calls left undone are dropped
    actions.create_due_items(session)
    assert items(session)[1:] == [("call", 3, "skipped"), ("call", 7, "skipped"), ("call", 31, "due")]
    close(session, date(2025, 3, 20))  # day 33: the next repetition is day 34
    assert sum(actions.create_due_items(session).created.values()) == 0
    close(session, date(2025, 3, 21))
    actions.create_due_items(session)
    close(session, date(2025, 3, 25))  # day 38: day 37 reached, the missed day-37 call is not doubled
    actions.create_due_items(session)
    assert [i for i in items(session) if i[0] == "call" and i[2] == "due"] == [
        ("call", 31, "due"), ("call", 34, "due"), ("call", 37, "due")]


def test_the_sql_rendering_equals_the_reference_rendering(session, world):
    """The job renders texts in SQL (one statement for all messages); it must read like str.format would."""
    from decimal import Decimal as D

    from plugins.collections.models import Case

    borrower = world.customer(phone="+34 600 000 002")
    loan = world.loan(disbursed_on=DISBURSED, borrower=borrower, amount=D("50000.00"))
    close(session, date(2025, 2, 16), start=date(2025, 2, 16))
    actions.create_due_items(session)
    case = session.scalars(select(Case)).one()
    [message] = session.scalars(select(Message)).all()
    assert case.overdue_amount > 1000  # thousands separators are exercised
    assert message.body == messages.render(strategies.REMINDER, customer=borrower.name, loan=loan.id,
                                           amount=case.overdue_amount, days=1, case=case.id)


def test_a_customer_without_phone_keeps_the_sms_for_the_collector(session, world):
    world.loan(disbursed_on=DISBURSED)  # the test borrower has no phone
    close(session, date(2025, 2, 16), start=date(2025, 2, 16))
    run = actions.create_due_items(session)
    assert run.sent == 0 and items(session) == [("sms", 1, "due")]


def test_an_inactive_action_makes_no_items(session, world):
    strategies.ensure_defaults(session)
    sms = next(a for a in strategies.actions(session, "early") if a.channel == "sms")
    strategies.update_action(session, sms, active=False)
    world.loan(disbursed_on=DISBURSED)
    close(session, date(2025, 2, 18), start=date(2025, 2, 18))
    actions.create_due_items(session)
    assert items(session) == [("call", 3, "due")]


@pytest.mark.parametrize("data, field", [
    ({"stage": "soon", "day_offset": 1, "channel": "call"}, "stage"),
    ({"stage": "early", "day_offset": 0, "channel": "call"}, "day_offset"),
    ({"stage": "early", "day_offset": "two", "channel": "call"}, "day_offset"),
    ({"stage": "early", "day_offset": 2, "channel": "fax"}, "channel"),
    ({"stage": "early", "day_offset": 2, "channel": "call", "repeat_every": 0}, "repeat_every"),
    ({"stage": "early", "day_offset": 2, "channel": "sms"}, "message"),
    ({"stage": "early", "day_offset": 2, "channel": "sms", "message": "Hi {nombre}"}, "message"),
    ({"stage": "early", "day_offset": 2, "channel": "sms", "message": "Owed: {amount:>12}"}, "message"),
    ({"stage": "early", "day_offset": 2, "channel": "sms", "message": "Literal {{braces}}"}, "message"),
    ({"stage": "early", "day_offset": 2, "channel": "sms", "message": "Unclosed {customer"}, "message"),
])
def test_strategy_refusals_name_the_field(session, data, field):
    with pytest.raises(UserError) as caught:
        strategies.create_action(session, **data)
    assert caught.value.field == field


def test_an_action_in_use_can_only_be_deactivated(session, world):
    world.loan(disbursed_on=DISBURSED)
    close(session, date(2025, 2, 16), start=date(2025, 2, 16))
    actions.create_due_items(session)
    sms = session.scalars(select(StrategyAction).where(StrategyAction.channel == "sms")).one()
    with pytest.raises(UserError, match="deactivate it"):
        strategies.delete_action(session, sms)


class GatewayPlugin:
    def __init__(self):
        self.gateway = MemoryGateway(name="test-sms", fail=lambda address: address.endswith("9"))

    @hookimpl
    def mutuo_message_gateways(self, settings):
        return [self.gateway]


@pytest.fixture
def gateway(mutuo_db):
    plugin = GatewayPlugin()
    mutuo_db.pm.register(plugin, name="test-gateway")
    yield plugin.gateway
    mutuo_db.pm.unregister(name="test-gateway")


def test_a_gateway_plugin_sends_after_commit(session, world, gateway):
    """Collections composes; core's delivery job hands the messages to the gateway plugin."""
    for phone in ("+34 600 000 001", "+34 600 000 009"):
        world.loan(disbursed_on=DISBURSED, borrower=world.customer(phone=phone))
    close(session, date(2025, 2, 16), start=date(2025, 2, 16))
    actions.create_due_items(session)
    assert [m.status for m in session.scalars(select(Message))] == ["queued", "queued"]
    assert gateway.sent == []  # nothing leaves while the transaction is open
    run = core_messages.deliver(session)
    assert (run.sent, run.retrying) == (1, 1)
    rows = {m.address: m for m in session.scalars(select(Message))}
    assert (rows["+34 600 000 001"].status, rows["+34 600 000 001"].provider_ref) == ("sent", "test-sms-1")
    assert rows["+34 600 000 009"].status == "queued" and "refused" in rows["+34 600 000 009"].last_error


def test_an_opted_out_customer_gets_no_sms_from_the_daily_job(session, world):
    """Consent is part of the set-based INSERT: the item is skipped, the message kept as suppressed."""
    for phone in ("+34 600 000 001", "+34 600-000-002"):
        world.loan(disbursed_on=DISBURSED, borrower=world.customer(phone=phone))
    core_messages.opt_out(session, "sms", "+34 600 000 002", "customer phone call", "asked for no SMS")
    close(session, date(2025, 2, 16), start=date(2025, 2, 16))
    run = actions.create_due_items(session)
    assert (run.sent, run.suppressed) == (1, 1)
    assert sorted(items(session)) == [("sms", 1, "sent"), ("sms", 1, "skipped")]
    statuses = {m.address: m.status for m in session.scalars(select(Message))}
    assert statuses == {"+34 600 000 001": "outbox", "+34 600-000-002": "suppressed"}


def test_without_a_gateway_the_outbox_is_the_gateway(session, run_job):
    session.commit()
    assert "stay in the outbox" in run_job("core.deliver_messages").summary

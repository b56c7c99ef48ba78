"""Business limits on promises and targets (issue 11, item 6): a clear field error, nothing written."""
from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from core import context
from core.config import ConfigError
from core.errors import ConflictError, UserError
from plugins.collections.models import Contact, Promise, Target
from plugins.collections.services import config, contacts, log_contact, targets

from .test_contacts_promises import MADE, case  # noqa: F401  (fixture)


def count(session, model) -> int:
    session.flush()
    return session.scalar(select(func.count()).select_from(model))


def promise(session, case, amount, due=MADE + timedelta(days=5)):
    return log_contact(session, case, case.collector_id, channel="call", outcome="promise_to_pay",
                       promise_amount=amount, promise_due=due, note="Will pay")


def test_promise_settings_defaults_and_nonsense():
    assert (config.promise_horizon_days({}), config.promise_factor({})) == (90, D("1.00"))
    assert config.promise_horizon_days({config.HORIZON: "30"}) == 30
    assert config.promise_factor({config.FACTOR: "1.5"}) == D("1.5")
    for bad in ("-1", "soon", "99999"):
        with pytest.raises(ConfigError, match=config.HORIZON):
            config.promise_horizon_days({config.HORIZON: bad})
    for bad in ("0", "-1", "x", "1000"):
        with pytest.raises(ConfigError, match=config.FACTOR):
            config.promise_factor({config.FACTOR: bad})


def test_promise_above_what_is_owed_refused_and_nothing_written(session, case):
    owed = contacts.owed_now(session, case, MADE)
    assert owed > 0
    for amount in (owed + D("0.01"), D("9999999999999999.99")):
        with pytest.raises(UserError) as caught:
            promise(session, case, amount)
        assert caught.value.field == "promise_amount" and "at most" in str(caught.value)
    assert (count(session, Contact), count(session, Promise), case.status) == (0, 0, "open")
    promise(session, case, owed)
    assert count(session, Promise) == 1


def test_promise_factor_is_a_setting(session, case, mutuo_db):
    owed = contacts.owed_now(session, case, MADE)
    context.bind(session, settings={**mutuo_db.settings, config.FACTOR: "1.5"})
    promise(session, case, (owed * D("1.5")).quantize(D("0.01")))
    assert count(session, Promise) == 1


def test_promise_date_within_the_horizon_setting(session, case, mutuo_db):
    with pytest.raises(UserError, match="at most 90 days ahead") as caught:
        promise(session, case, "50.00", MADE + timedelta(days=91))
    assert caught.value.field == "promise_due"
    context.bind(session, settings={**mutuo_db.settings, config.HORIZON: "7"})
    with pytest.raises(UserError, match="at most 7 days ahead"):
        promise(session, case, "50.00", MADE + timedelta(days=8))
    assert count(session, Promise) == 0
    promise(session, case, "50.00", MADE + timedelta(days=7))


def test_target_amounts_bounded_and_split_over_target_is_a_conflict(session, collector):
    ana = collector("ana", ("early",))
    with pytest.raises(UserError, match="at most 1,000,000,000.00") as caught:
        targets.set_target(session, "2025-03", "9999999999999999.99")
    assert caught.value.field == "amount" and count(session, Target) == 0
    target = targets.set_target(session, "2025-03", "1000.00")
    with pytest.raises(UserError, match="at most") as caught:
        targets.set_shares(session, target, {ana.id: "9999999999999999.99"})
    assert caught.value.field == f"share_{ana.id}"
    with pytest.raises(ConflictError, match="more than the team target"):
        targets.set_shares(session, target, {ana.id: "1000.01"})
    assert target.shares == []


def test_contact_on_a_closed_case_is_a_conflict(session, case):
    case.status, case.open_loan_id, case.closed_on = "closed", None, date(2025, 2, 20)
    session.flush()
    with pytest.raises(ConflictError):
        log_contact(session, case, case.collector_id, channel="call", outcome="no_answer")

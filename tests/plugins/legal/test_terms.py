"""Renewal, notice deadlines from the current end date, expiry, and the reminders of the daily job."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from core.errors import ConflictError, UserError
from core.models.message import Message
from plugins.legal.models import Reminder
from plugins.legal.services import contracts, daily, terms


def _active(session, store, user, *, start, end, renewal="tacit", months=12, notice=30, owner=None):
    owner = owner or user("owner", "lawyer", email="owner@example.com")
    contract = contracts.create_contract(session, title="Office lease", contract_type="vendor", owner_id=owner.id,
                                         value=D("1000.00"), parties="Us\nLandlord", start_date=start, end_date=end,
                                         renewal_type=renewal, renewal_months=months, notice_days=notice)
    contracts.revise_text(session, contract, b"lease", "lease.txt", store)
    contracts.submit(session, contract)
    contracts.decide(session, contract, user("reviewer", "lawyer"), True)
    for party in ("Us", "Landlord"):
        contracts.sign(session, contract, party=party, data=b"lease", filename="s.txt", store=store,
                       signed_on=start)
    return contract


def test_the_notice_deadline_follows_the_current_end_date_after_each_renewal(session, store, user, clock):
    with clock.at(date(2025, 1, 1)):
        contract = _active(session, store, user, start=date(2024, 2, 1), end=date(2025, 1, 31), months=1,
                           notice=10)
    assert contract.status == "active" and contract.notice_deadline == date(2025, 1, 21)
    expected = [date(2025, 2, 28), date(2025, 3, 31), date(2025, 4, 30)]  # month ends, no drift to the 28th
    for n, end in enumerate(expected, start=1):
        daily.run(session, end - timedelta(days=27) if n == 1 else expected[n - 2] + timedelta(days=1))
        assert (contract.end_date, contract.renewals) == (end, n)
        # The well-known bug computes it from the first end date (2025-01-21 forever): not here.
        assert contract.notice_deadline == end - timedelta(days=10) != date(2025, 1, 21)
    assert contract.first_end_date == date(2025, 1, 31)


def test_a_leap_year_end_renews_yearly_on_the_anchor(session, store, user, clock):
    with clock.at(date(2023, 3, 1)):
        contract = _active(session, store, user, start=date(2023, 3, 1), end=date(2024, 2, 29), notice=60)
    daily.run(session, date(2024, 3, 1))
    assert contract.end_date == date(2025, 2, 28) and contract.notice_deadline == date(2024, 12, 30)
    daily.run(session, date(2026, 3, 5))  # the job missed a year: it catches up, one renewal per term
    assert (contract.end_date, contract.renewals) == (date(2027, 2, 28), 3)


def test_notice_on_time_stops_the_tacit_renewal_and_late_notice_is_refused(session, store, user, clock):
    with clock.at(date(2025, 1, 1)):
        contract = _active(session, store, user, start=date(2025, 1, 1), end=date(2025, 12, 31), notice=30)
    with pytest.raises(UserError) as late:
        terms.give_notice(session, contract, date(2025, 12, 2))
    assert late.value.field == "notice_given_on"
    terms.give_notice(session, contract, date(2025, 12, 1))
    daily.run(session, date(2026, 1, 1))
    assert (contract.status, contract.ended_on, contract.renewals) == ("expired", date(2025, 12, 31), 0)


def test_express_contracts_renew_by_hand_and_others_expire(session, store, user, clock):
    with clock.at(date(2025, 1, 1)):
        express = _active(session, store, user, start=date(2025, 1, 1), end=date(2025, 6, 30), renewal="express",
                          months=6)
        fixed = _active(session, store, user, start=date(2025, 1, 1), end=date(2025, 6, 30), renewal="none",
                        owner=express.owner)
    with pytest.raises(ConflictError):
        terms.renew(session, fixed)
    terms.renew(session, express)
    assert express.end_date == date(2025, 12, 31) and express.notice_deadline == date(2025, 12, 1)
    daily.run(session, date(2025, 7, 1))
    assert (fixed.status, express.status) == ("expired", "active")
    daily.run(session, date(2026, 1, 1))
    assert express.status == "expired"


def test_reminders_before_the_notice_deadline_and_the_end_date_once_each(session, store, user, clock):
    with clock.at(date(2025, 1, 1)):
        contract = _active(session, store, user, start=date(2025, 1, 1), end=date(2025, 12, 31), notice=30)
    assert contract.notice_deadline == date(2025, 12, 1)
    day = date(2025, 10, 1)
    while day <= date(2025, 12, 31):
        run = daily.run(session, day)
        assert run.contracts.reminded <= 1  # one deadline's tightest lead time at a time
        assert daily.run(session, day).contracts.reminded == 0  # twice the same day: nothing new
        day += timedelta(days=1)
    reminders = session.scalars(select(Reminder).order_by(Reminder.sent_on, Reminder.kind)).all()
    assert len(reminders) == 6
    assert {(r.kind, r.sent_on) for r in reminders} == {
        ("notice_deadline", date(2025, 11, 1)), ("notice_deadline", date(2025, 11, 24)),
        ("notice_deadline", date(2025, 11, 30)), ("end_date", date(2025, 12, 1)),
        ("end_date", date(2025, 12, 24)), ("end_date", date(2025, 12, 30))}
    mails = session.scalars(select(Message).where(Message.sender == "legal")).all()
    assert len(mails) == 6 and {m.address for m in mails} == {"owner@example.com"}
    assert "1 Dec 2025" in mails[0].body or "Dec 1, 2025" in mails[0].body


def test_the_expiring_hook_is_called_for_each_reminder(session, store, user, clock, mutuo_db):
    calls = []

    class Listener:
        from core import hookimpl

        @hookimpl
        def legal_contract_expiring(self, contract, kind, deadline, days_before):
            calls.append((contract.id, kind, deadline, days_before))

    mutuo_db.pm.register(Listener(), name="legal-test-listener")
    try:
        with clock.at(date(2025, 1, 1)):
            contract = _active(session, store, user, start=date(2025, 1, 1), end=date(2025, 12, 31), notice=30)
        daily.run(session, date(2025, 11, 2))
    finally:
        mutuo_db.pm.unregister(name="legal-test-listener")
    assert calls == [(contract.id, "notice_deadline", date(2025, 12, 1), 30)]

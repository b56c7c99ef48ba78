"""Posting rules for every lending money event, worked examples to the cent, immutability, reversals."""
from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from core.errors import ConflictError, UserError
from plugins.finance.models import Account, Entry, Line, PostingRule
from plugins.finance.services import journal
from plugins.lending import services as lending
from plugins.lending.models import CashEntry


def lines_of(session, event_type):
    """{(account code, customer id): debit - credit} over the entries of one event type."""
    rows = session.execute(select(Account.code, Line.customer_id, Line.debit, Line.credit)
                           .join(Line, Line.account_id == Account.id).join(Entry, Entry.id == Line.entry_id)
                           .where(Entry.event_type == event_type)).all()
    out: dict = {}
    for code, who, debit, credit in rows:
        out[(code, who)] = out.get((code, who), D(0)) + debit - credit
    return out


def assert_books_agree(session):
    assert journal.differences(session) == []
    assert journal.trial_balance(session)["difference"] == 0


def test_a_deposit_and_a_withdrawal(dbsession, world):
    investor = world.investor(cash=D("1000.00"))
    lending.withdraw(dbsession, investor, D("250.40"), entry_date=date(2025, 1, 2), reference="W1")
    assert lines_of(dbsession, "lending_cash_deposited") == {("1010", None): D("1000.00"),
                                                             ("2000", investor.id): D("-1000.00")}
    assert lines_of(dbsession, "lending_cash_withdrawn") == {("1010", None): D("-250.40"),
                                                             ("2000", investor.id): D("250.40")}
    entry = dbsession.scalars(select(Entry).where(Entry.event_type == "lending_cash_withdrawn")).one()
    assert entry.source_type == "lending.cash_entry" and entry.memo == "W1" and entry.customer_id == investor.id
    assert journal.custodial_balances(dbsession)[investor.id] == D("749.60") == lending.balance(dbsession, investor.id)


def test_reservation_release_and_disbursement(dbsession, world, clock):
    version = world.product(origination_fee_rate=D("0.03"))
    clock.day = date(2025, 1, 15)
    application = world.funded(investors=2, version=version, amount=D("5000.00"))
    reserved = lines_of(dbsession, "lending_investment_reserved")
    assert sum(v for (code, _), v in reserved.items() if code == "2010") == D("-5000.00")
    investors = sorted({i.investor_id for i in application.investments})
    assert journal.reserved_balances(dbsession) == {i.investor_id: i.amount for i in application.investments}
    loan = lending.disburse(dbsession, application, date(2025, 1, 15))
    got = lines_of(dbsession, "lending_loan_disbursed")
    fee = D("150.00")
    assert got[("1010", None)] == D("-5000.00")  # the principal leaves the client money account
    assert got[("4000", None)] == -fee  # origination fee income
    assert got[("2300", None)] == D("-37.50")  # a quarter of the fee into the guarantee fund
    assert got[("1000", None)] == fee - D("37.50")
    assert got[("9000", None)] == D("5000.00") and got[("9900", None)] == D("-5000.00")  # memo: the investors' loan
    assert {k[1]: v for k, v in got.items() if k[0] == "2010"} == {
        i.investor_id: i.amount for i in application.investments}
    assert journal.reserved_balances(dbsession) == {}
    entry = dbsession.scalars(select(Entry).where(Entry.event_type == "lending_loan_disbursed")).one()
    assert (entry.source_type, entry.source_id, entry.loan_id) == ("lending.loan", loan.id, loan.id)
    assert len(investors) == 2
    assert_books_agree(dbsession)


def test_released_reservations_go_back_to_available(dbsession, world):
    application = world.funded(investors=2)
    lending.cancel(dbsession, application, "borrower withdrew")
    got = lines_of(dbsession, "lending_investments_released")
    assert sum(v for (code, _), v in got.items() if code == "2000") == D("-10000.00")
    assert journal.reserved_balances(dbsession) == {}
    assert_books_agree(dbsession)


def test_a_repayment_with_its_allocation_distribution_and_service_fee(dbsession, world, clock):
    loan = world.loan(investors=2)
    with clock.at(date(2025, 2, 15)):
        repayment = lending.post_repayment(dbsession, loan, D("888.85"), date(2025, 2, 15), "R-1")
    got = lines_of(dbsession, "lending_repayment_posted")
    assert got[("1010", None)] == repayment.amount - repayment.fee - repayment.service_fee
    assert got[("4010", None)] == -repayment.service_fee and repayment.service_fee > 0
    assert got[("1000", None)] == repayment.service_fee + repayment.fee
    shares = {k[1]: -v for k, v in got.items() if k[0] == "2000"}
    assert sum(shares.values()) == repayment.distributed
    for investor_id, part in shares.items():
        assert part == sum(e.amount for e in dbsession.scalars(select(CashEntry).where(
            CashEntry.repayment_id == repayment.id, CashEntry.customer_id == investor_id)))
    assert got[("9000", None)] == -repayment.principal  # the investors' loan shrinks by the principal repaid
    assert_books_agree(dbsession)


def test_a_write_off_clears_the_memo_and_nothing_else(dbsession, world, clock):
    loan = world.loan(investors=1)
    with clock.at(date(2025, 3, 1)):
        lending.write_off(dbsession, loan, "fraud", date(2025, 3, 1))
    got = lines_of(dbsession, "lending_loan_written_off")
    assert got == {("9900", None): D("10000.00"), ("9000", None): D("-10000.00")}
    assert journal.account_balance(dbsession, "9000") == 0
    assert_books_agree(dbsession)


def test_entries_are_immutable_and_corrected_by_reversal(dbsession, world, clock):
    investor = world.investor(cash=D("500.00"))
    entry = dbsession.scalars(select(Entry).where(Entry.customer_id == investor.id)).one()
    entry.memo = "changed"
    with pytest.raises(RuntimeError, match="immutable"):
        dbsession.flush()
    dbsession.rollback()
    investor = world.investor(cash=D("500.00"))
    entry = dbsession.scalars(select(Entry).where(Entry.customer_id == investor.id)).one()
    with clock.at(date(2025, 1, 5)):
        reversal_id = journal.reverse(dbsession, entry, "posted twice by mistake")
        with pytest.raises(ConflictError):
            journal.reverse(dbsession, entry)
    reversal = dbsession.get(Entry, reversal_id)
    assert reversal.reversal_of_id == entry.id and reversal.source_id == entry.id
    assert journal.custodial_balances(dbsession)[investor.id] == 0
    assert journal.trial_balance(dbsession)["difference"] == 0
    assert journal.differences(dbsession) == [(investor.id, D("0.00"), D("500.00"))]  # the check sees it


def test_an_unbalanced_rule_refuses_the_lending_operation(dbsession, world):
    investor = world.investor(cash=None)
    journal.ensure_defaults(dbsession)
    rule = dbsession.scalars(select(PostingRule).where(PostingRule.event_type == "lending_cash_deposited",
                                                       PostingRule.side == "credit")).one()
    rule.amount = "no_such_amount"
    dbsession.flush()
    journal.forget(dbsession)
    with pytest.raises(UserError):
        lending.deposit(dbsession, investor, D("10.00"), entry_date=date(2025, 1, 1))
    rule.amount, rule.side = "amount", "debit"
    dbsession.flush()
    journal.forget(dbsession)
    with pytest.raises(journal.Unbalanced):
        lending.deposit(dbsession, investor, D("10.00"), entry_date=date(2025, 1, 1))


def test_the_default_chart_and_a_rule_for_every_money_event(dbsession):
    from plugins.finance.chart import DEFAULT_RULES

    journal.ensure_defaults(dbsession)
    codes = set(dbsession.scalars(select(Account.code)))
    assert {"1000", "1010", "2000", "2010", "2300", "4000", "4010", "4020", "4030", "9000", "9900"} <= codes
    events = {"lending_cash_deposited", "lending_cash_withdrawn", "lending_investment_reserved",
              "lending_investments_released", "lending_loan_disbursed", "lending_repayment_posted",
              "lending_loan_written_off"}
    assert events <= set(journal.rules(dbsession)) and set(journal.rules(dbsession)) == set(DEFAULT_RULES)


def test_models_agree_with_migrations(mutuo_db):
    from core.testing import assert_models_match_migrations

    assert_models_match_migrations(mutuo_db)

"""Statement import (CSV with a saved mapping, CAMT.053), matching at its boundaries, reconciliation,
bank fees, ageing; period close and the lock date."""
from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from core.errors import ConflictError, UserError
from plugins.finance.models import BankAccount, Entry, StatementLine
from plugins.finance.services import bank, journal, periods
from plugins.lending import services as lending

CAMT = """<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt><GrpHdr><MsgId>M1</MsgId></GrpHdr>
<Stmt><Id>STMT-2025-01</Id>
<Ntry><Amt Ccy="EUR">1000.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><BookgDt><Dt>2025-01-03</Dt></BookgDt>
<NtryDtls><TxDtls><Refs><EndToEndId>DEP-1</EndToEndId></Refs><RltdPties><Dbtr><Nm>Ana</Nm></Dbtr></RltdPties>
<RmtInf><Ustrd>deposit</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>
<Ntry><Amt Ccy="EUR">2.50</Amt><CdtDbtInd>DBIT</CdtDbtInd><BookgDt><Dt>2025-01-04</Dt></BookgDt>
<AddtlNtryInf>Account fee</AddtlNtryInf></Ntry>
</Stmt></BkToCstmrStmt></Document>"""


def client_bank(session):
    journal.ensure_defaults(session)
    return session.scalars(select(BankAccount).where(BankAccount.account_code == "1010")).one()


def test_camt053_import_matches_by_reference_and_a_bank_fee_posts(dbsession, world, clock):
    clock.day = date(2025, 1, 10)
    investor = world.customer(role="investor")
    lending.deposit(dbsession, investor, D("1000.00"), entry_date=date(2025, 1, 2), reference="DEP-1")
    statement = bank.import_statement(dbsession, client_bank(dbsession), "jan.xml", CAMT.encode())
    lines = dbsession.scalars(select(StatementLine).order_by(StatementLine.id)).all()
    assert statement.identifier == "STMT-2025-01" and len(lines) == 2
    assert (lines[0].status, lines[0].match_kind, lines[0].confidence, lines[0].counterparty) == (
        "matched", "deposit", D("1.00"), "Ana")
    assert lines[1].amount == D("-2.50") and lines[1].status == "unmatched"
    bank.mark_bank_fee(dbsession, lines[1])
    assert journal.account_balance(dbsession, "5000") == D("2.50")
    assert journal.trial_balance(dbsession)["difference"] == 0
    with pytest.raises(ConflictError):  # the same statement twice
        bank.import_statement(dbsession, client_bank(dbsession), "jan.xml", CAMT.encode())


def test_hostile_xml_is_refused(dbsession):
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]><x>&b;</x>'
    with pytest.raises(UserError):
        bank.import_statement(dbsession, client_bank(dbsession), "x.xml", bomb)


def test_csv_with_the_saved_mapping_and_the_date_window(dbsession, world, clock):
    clock.day = date(2025, 2, 20)
    loan = world.loan(investors=1)
    repayment = lending.post_repayment(dbsession, loan, D("500.00"), date(2025, 2, 10), "PAY-77")
    operating = dbsession.scalars(select(BankAccount).where(BankAccount.account_code == "1000")).one()
    bank.save_mapping(dbsession, operating, "delimiter=;\ndate=Fecha\namount=Importe\nreference=Referencia\n"
                                            "description=Concepto\ndate_format=%d/%m/%Y\ndecimal=,")
    data = (b"Fecha;Importe;Referencia;Concepto\n"
            b"13/02/2025;500,00;;pago PAY-77 prestamo\n"  # 3 days after: inside the window, reference in the text
            b"14/02/2025;1.234,56;;unknown\n")
    bank.import_statement(dbsession, operating, "feb.csv", data)
    first, second = dbsession.scalars(select(StatementLine).order_by(StatementLine.id)).all()
    assert (first.status, first.matched_id, first.confidence) == ("matched", repayment.id, D("0.90"))
    assert second.amount == D("1234.56") and second.status == "unmatched"
    assert bank.ageing(dbsession, date(2025, 2, 20))[0][1:] == (1, D("1234.56"))


def test_outside_the_window_or_ambiguous_is_left_to_a_person(dbsession, world, clock):
    clock.day = date(2025, 1, 20)
    a, b = world.customer(role="investor"), world.customer(role="investor")
    early = lending.deposit(dbsession, a, D("300.00"), entry_date=date(2025, 1, 2), reference="X")
    lending.deposit(dbsession, b, D("300.00"), entry_date=date(2025, 1, 10), reference="Y")
    lending.deposit(dbsession, b, D("300.00"), entry_date=date(2025, 1, 11), reference="Z")
    data = b"Date,Amount,Reference,Description,Counterparty\n2025-01-06,300.00,,,\n2025-01-10,300.00,,,\n"
    bank.import_statement(dbsession, client_bank(dbsession), "jan.csv", data)
    late, ambiguous = dbsession.scalars(select(StatementLine).order_by(StatementLine.id)).all()
    assert late.status == "unmatched"  # 4 days after the only deposit within reach: outside the 3-day window
    assert ambiguous.status == "unmatched"  # two deposits of 300.00 fit by amount and date
    bank.match(dbsession, late, "deposit", early.id)
    assert late.status == "matched" and late.matched_id == early.id
    with pytest.raises(ConflictError):
        bank.match(dbsession, ambiguous, "deposit", early.id)


def test_the_missing_repayment_is_created_from_the_line(dbsession, world, clock):
    clock.day = date(2025, 2, 20)
    loan = world.loan(investors=2)
    data = b"Date,Amount,Reference,Description,Counterparty\n2025-02-15,888.85,BANK-REF-9,,Borrower\n"
    bank.import_statement(dbsession, client_bank(dbsession), "feb.csv", data)
    line = dbsession.scalars(select(StatementLine)).one()
    repayment = bank.create_repayment(dbsession, line, loan)
    assert repayment.reference == "BANK-REF-9" and line.matched_id == repayment.id and line.status == "matched"
    assert journal.differences(dbsession) == [] and journal.trial_balance(dbsession)["difference"] == 0


def test_period_close_locks_the_books(dbsession, world, clock):
    clock.day = date(2025, 2, 3)
    investor = world.customer(role="investor")
    lending.deposit(dbsession, investor, D("100.00"), entry_date=date(2025, 1, 20))
    with pytest.raises(UserError):  # February has not ended
        periods.close_month(dbsession, date(2025, 2, 1))
    period = periods.close_month(dbsession, date(2025, 1, 1))
    assert period.closed_through == date(2025, 1, 31) and "ok trial_balance" in period.checklist
    with pytest.raises(ConflictError):
        periods.close_month(dbsession, date(2025, 1, 1))
    # a late event of January posts on the first open day, keeping its own date
    entry = lending.deposit(dbsession, investor, D("5.00"), entry_date=date(2025, 1, 30))
    posted = dbsession.scalars(select(Entry).where(Entry.source_id == entry.id,
                                                   Entry.source_type == "lending.cash_entry")).one()
    assert (posted.entry_date, posted.event_date) == (date(2025, 2, 1), date(2025, 1, 30))
    with pytest.raises(UserError):  # a manual reversal dated in the closed period
        journal.reverse(dbsession, posted, day=date(2025, 1, 31))
    journal.reverse(dbsession, posted)  # goes into the open period
    assert journal.trial_balance(dbsession)["difference"] == 0


def test_close_refuses_unreconciled_lines_without_a_reason(dbsession, world, clock):
    clock.day = date(2025, 2, 3)
    data = b"Date,Amount,Reference,Description,Counterparty\n2025-01-15,42.00,,,\n"
    bank.import_statement(dbsession, client_bank(dbsession), "jan.csv", data)
    with pytest.raises(ConflictError):
        periods.close_month(dbsession, date(2025, 1, 1))
    period = periods.close_month(dbsession, date(2025, 1, 1), override="bank confirms on Monday")
    assert "FAILED bank_reconciled" in period.checklist and "override" in period.checklist


def test_repayments_only_in_the_bank_file_are_posted_in_bulk(dbsession, world, clock):
    clock.day = date(2025, 2, 20)
    first, second = world.loan(investors=1), world.loan(investors=2)
    data = (f"Date,Amount,Reference,Description,Counterparty\n"
            f"2025-02-15,888.85,,cuota LOAN-{first.id},A\n"
            f"2025-02-16,300.00,loan {second.id},,B\n"
            f"2025-02-16,999999.00,loan {second.id}-x,,B\n"  # more than the loan owes: lending refuses it
            f"2025-02-17,10.00,,no loan named,C\n").encode()
    statement = bank.import_statement(dbsession, client_bank(dbsession), "feb.csv", data)
    posted, refused = bank.post_bank_repayments(dbsession, statement.id)
    lines = dbsession.scalars(select(StatementLine).order_by(StatementLine.id)).all()
    assert posted == 2 and refused == [lines[2].id]
    assert [x.status for x in lines] == ["matched", "matched", "unmatched", "unmatched"]
    assert first.repayments[0].amount == D("888.85") and first.repayments[0].reference == f"BANK-{lines[0].id}"
    assert journal.differences(dbsession) == [] and journal.trial_balance(dbsession)["difference"] == 0

"""Finance's part of the demo's replayed history.

Lending's events post the journal as they happen (the hookimpls). On the 3rd of each month the
accountant imports the client money account's statement of the month before (a CSV the bank would
send: every deposit, withdrawal and repayment, a few with the reference only in the description, a
bank fee; the latest also a transfer nobody recognises), marks the fee, and the finance manager closes the month
(the latest statement keeps it in the reconciliation queue). The statement is written in one executemany and matched in
memory: the whole part costs well under a second.
"""
from __future__ import annotations

import csv
import io
import logging
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from core.errors import ConflictError, UserError
from plugins.finance.models import BankAccount, StatementLine
from plugins.finance.services import bank, journal, periods
from plugins.lending.models import CashEntry, Repayment

log = logging.getLogger(__name__)


def statement_csv(session, start: date, end: date, story) -> bytes:
    rows = []
    for e in session.scalars(select(CashEntry).where(CashEntry.kind.in_(("deposit", "withdrawal")),
                                                     CashEntry.entry_date.between(start, end))):
        rows.append((e.entry_date, e.amount, e.reference, e.kind.title(), f"Investor {e.customer_id}"))
    for n, r in enumerate(session.scalars(select(Repayment).where(Repayment.paid_on.between(start, end))
                                          .order_by(Repayment.id))):
        if n % 10 == 3:  # the borrower's bank put the reference in the description, a day later
            rows.append((r.paid_on + timedelta(days=1), r.amount, "", f"Payment {r.reference}", "Borrower"))
        else:
            rows.append((r.paid_on, r.amount, r.reference, "Loan repayment", "Borrower"))
    rows.append((end, Decimal("-12.50"), "", "Account maintenance fee", "Bank"))
    if end >= story.today - timedelta(days=40):  # the latest statement: one transfer nobody recognises yet
        rows.append((end - timedelta(days=2), Decimal(50 + (start.month * 37) % 350), "",
                     "Transfer without reference", "Unknown sender"))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Date", "Amount", "Reference", "Description", "Counterparty"])
    for day, amount, reference, description, party in sorted(rows, key=lambda x: x[0]):
        writer.writerow([day.isoformat(), f"{amount:.2f}", reference, description, party])
    return out.getvalue().encode()


def day(session, day, story) -> None:
    if day.day != 3:
        return
    month = periods.month_start(day.replace(day=1) - timedelta(days=1))
    end = periods.month_end(month)
    locked = journal.lock_date(session)
    if locked is not None and locked >= end:
        return
    if locked is None and journal.trial_balance(session)["debits"] == 0:
        return  # nothing in the books yet
    try:
        with session.begin_nested():
            client = session.scalars(select(BankAccount).where(BankAccount.account_code == "1010")).first()
            statement = bank.import_statement(session, client, f"client-money-{month:%Y-%m}.csv",
                                              statement_csv(session, month, end, story))
            for line in session.scalars(select(StatementLine).where(StatementLine.statement_id == statement.id,
                                                                    StatementLine.status == "unmatched",
                                                                    StatementLine.amount < 0)):
                if line.description == "Account maintenance fee":
                    bank.mark_bank_fee(session, line)
        with session.begin_nested():
            periods.close_month(session, month, override="An unknown transfer is being traced with the bank.")
    except (ConflictError, UserError) as refused:  # leave the month open for people to see why
        log.warning("finance demo: %s not closed: %s", month, refused)

"""Finance's tables, prefixed ``finance_``: the chart of accounts, the posting rules, the journal,
closed periods, bank accounts, imported statements and their lines.

The journal (``finance_entry`` and ``finance_line``) is written in bulk by lending's events and is
itself the record: it opts out of row-by-row auditing and is never updated or deleted (a
correction is a reversing entry, :func:`plugins.finance.services.journal.reverse`); the ORM
refuses an update or a delete of either. Statement lines are written by the hundred by an import
(audited as one ``statement_imported`` event) and matched by users (each match is an audited
event). The chart, the rules, periods, bank accounts and statements are audited row by row.

Money is ``Numeric(18, 2)``; amounts on lines are never negative (a line is a debit or a credit).
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

import core.models.meta  # noqa: F401  (UTCDateTime, naming convention)
from core.models.meta import Base, Money, UTCDateTime, utcnow
from core.money import ZERO

ACCOUNT_KINDS = ("asset", "liability", "equity", "income", "expense", "memo")
SIDES = ("debit", "credit")
#: Who a rule line's amount belongs to: nobody (a platform account), the event's customer, or each investor.
PARTIES = ("", "customer", "investors")
LINE_STATUSES = ("unmatched", "matched", "bank_fee", "ignored")
MATCH_KINDS = ("deposit", "withdrawal", "repayment", "bank_fee")
STATEMENT_FORMATS = ("csv", "camt053")


class Account(Base):
    """One account of the chart. ``custodial`` accounts hold customers' money (lines carry the customer)."""

    __tablename__ = "finance_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(10))  # ACCOUNT_KINDS
    custodial: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    description: Mapped[str] = mapped_column(Text, default="")

    def __str__(self):
        return f"{self.code} {self.name}"


class PostingRule(Base):
    """One line of what an event type posts: ``side`` of ``account_code`` by the event's ``amount`` key.

    The default rules (:data:`plugins.finance.chart.DEFAULT_RULES`) are seeded by the migration and
    editable; :func:`plugins.finance.services.journal.post` refuses an unbalanced result.
    """

    __tablename__ = "finance_posting_rule"
    __table_args__ = (UniqueConstraint("event_type", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_type: Mapped[str] = mapped_column(String(40), index=True)
    position: Mapped[int] = mapped_column(Integer)
    account_code: Mapped[str] = mapped_column(String(12))
    side: Mapped[str] = mapped_column(String(6))  # debit | credit
    amount: Mapped[str] = mapped_column(String(40))  # a key of the event's amounts
    party: Mapped[str] = mapped_column(String(10), default="")  # PARTIES


class Entry(Base):
    """A balanced journal entry; ``source_type``/``source_id`` name the record it posts."""

    __tablename__ = "finance_entry"
    __audit__ = False
    __table_args__ = (UniqueConstraint("event_type", "source_type", "source_id"),
                      Index("ix_finance_entry_date", "entry_date"))

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_date: Mapped[date] = mapped_column(Date)  # the posting date (never on or before the lock date)
    event_date: Mapped[date] = mapped_column(Date)  # when it happened
    event_type: Mapped[str] = mapped_column(String(40))
    source_type: Mapped[str] = mapped_column(String(40))
    source_id: Mapped[int] = mapped_column(Integer)
    customer_id: Mapped[int | None] = mapped_column(Integer, index=True)
    loan_id: Mapped[int | None] = mapped_column(Integer, index=True)
    memo: Mapped[str] = mapped_column(String(200), default="")
    reversal_of_id: Mapped[int | None] = mapped_column(ForeignKey("finance_entry.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    lines: Mapped[list[Line]] = relationship(order_by="Line.id", viewonly=True)


class Line(Base):
    """One debit or credit of an entry; ``customer_id`` for custodial accounts, ``loan_id`` for loan memos."""

    __tablename__ = "finance_line"
    __audit__ = False
    __table_args__ = (Index("ix_finance_line_account_customer", "account_id", "customer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("finance_entry.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("finance_account.id"))
    customer_id: Mapped[int | None] = mapped_column(Integer)
    loan_id: Mapped[int | None] = mapped_column(Integer)
    debit: Mapped[Decimal] = mapped_column(Money(), default=ZERO)
    credit: Mapped[Decimal] = mapped_column(Money(), default=ZERO)

    account: Mapped[Account] = relationship(viewonly=True)


def _immutable(mapper, connection, target):
    raise RuntimeError("Journal entries and lines are immutable; post a reversal instead.")


for _model in (Entry, Line):
    event.listen(_model, "before_update", _immutable)
    event.listen(_model, "before_delete", _immutable)


class Period(Base):
    """A closed month: nothing posts on or before ``closed_through`` of the latest closed period."""

    __tablename__ = "finance_period"

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[date] = mapped_column(Date, unique=True)  # first day of the month
    closed_through: Mapped[date] = mapped_column(Date)  # last day of the month
    closed_by: Mapped[str] = mapped_column(String(100), default="")
    checklist: Mapped[str] = mapped_column(Text, default="")  # what the close checked, one line each
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BankAccount(Base):
    """A bank account of the platform, its account in the chart, and how its CSV statements read."""

    __tablename__ = "finance_bank_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    iban: Mapped[str] = mapped_column(String(40), default="")
    account_code: Mapped[str] = mapped_column(String(12))
    #: The CSV column mapping as ``key=value`` lines (date, amount, reference, description, …), see bank.py.
    csv_mapping: Mapped[str] = mapped_column(Text, default="")


class Statement(Base):
    """One imported bank statement file."""

    __tablename__ = "finance_statement"

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_account_id: Mapped[int] = mapped_column(ForeignKey("finance_bank_account.id"), index=True)
    format: Mapped[str] = mapped_column(String(10))  # csv | camt053
    filename: Mapped[str] = mapped_column(String(200), default="")
    identifier: Mapped[str] = mapped_column(String(100), default="")  # the bank's statement id (CAMT)
    lines_count: Mapped[int] = mapped_column(Integer, default=0)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    bank_account: Mapped[BankAccount] = relationship()


class StatementLine(Base):
    """A line of a bank statement: money in (positive) or out (negative), and what it was matched to."""

    __tablename__ = "finance_statement_line"
    __audit__ = False
    __table_args__ = (Index("ix_finance_statement_line_status_date", "status", "booked_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("finance_statement.id"), index=True)
    booked_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Money())
    reference: Mapped[str] = mapped_column(String(140), default="")
    description: Mapped[str] = mapped_column(String(300), default="")
    counterparty: Mapped[str] = mapped_column(String(140), default="")
    status: Mapped[str] = mapped_column(String(10), default="unmatched")  # LINE_STATUSES
    match_kind: Mapped[str] = mapped_column(String(12), default="")  # MATCH_KINDS
    #: The matched lending record: a cash entry (deposit, withdrawal) or a repayment.
    matched_id: Mapped[int | None] = mapped_column(Integer)
    confidence: Mapped[Decimal | None] = mapped_column(Numeric(4, 2))
    matched_by: Mapped[str] = mapped_column(String(100), default="")
    matched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    statement: Mapped[Statement] = relationship()


CLAIM_STATUSES = ("proposed", "paid", "rejected")


class GuaranteeClaim(Base):
    """Investors of a defaulted loan compensated from the principal guarantee fund.

    Proposed, then approved (paid: each investor's share is credited to their cash account through
    lending's deposit service) or rejected. ``recovered`` grows as later repayments of the loan go back
    to the fund (its right of recovery) until it reaches ``amount``.
    """

    __tablename__ = "finance_guarantee_claim"

    id: Mapped[int] = mapped_column(primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("lending_loan.id"), index=True)
    principal: Mapped[Decimal] = mapped_column(Money())
    interest: Mapped[Decimal] = mapped_column(Money(), default=ZERO)
    amount: Mapped[Decimal] = mapped_column(Money())
    recovered: Mapped[Decimal] = mapped_column(Money(), default=ZERO)
    status: Mapped[str] = mapped_column(String(10), default="proposed", index=True)
    days_past_due: Mapped[int] = mapped_column(Integer, default=0)
    proposed_on: Mapped[date] = mapped_column(Date)
    decided_on: Mapped[date | None] = mapped_column(Date)
    decided_by: Mapped[str] = mapped_column(String(100), default="")
    note: Mapped[str] = mapped_column(Text, default="")

"""Lending's tables: customers, cash ledger, applications, investments, loans.

These names are a public, stable interface: other plugins (``collections``,
``risk``, ``finance``) read them and link to them by foreign key, but change
them only through :mod:`plugins.lending.services`. See docs/plugins/lending.md.

Money is ``Numeric(18, 2)``; rates ``Numeric(9, 6)`` fractions. Late
penalties accrue exactly (``Numeric(20, 8)``, never rounded in SQL) and are
rounded once, by :func:`core.money.money`, when read (``penalty_due``).
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, query_expression, relationship

import core.models.meta  # noqa: F401  (UTCDateTime, naming convention)
from core import search
from core.models.meta import Base, Money, Rate, UTCDateTime, utcnow
from core.money import ZERO, money
from core.search import fold, identifier, key_index, search_key
from core.summaries import SummaryRow

CUSTOMER_ROLES = ("borrower", "investor", "both")
CUSTOMER_KINDS = ("person", "company")
KYC_STATUSES = ("pending", "verified", "rejected")
CASH_KINDS = ("deposit", "withdrawal", "investment", "repayment")
APPLICATION_STATUSES = ("draft", "submitted", "approved", "rejected", "listed", "funded", "disbursed",
                        "cancelled", "expired")
INVESTMENT_STATUSES = ("reserved", "released", "spent")
LOAN_STATUSES = ("active", "closed", "written_off")
CURRENT = "current"
#: Customer's normalised copies of what people search by (core.search); lending_0003 made them.
SEARCH_KEYS = ("name_key", "id_number_key", "phone_key", "email_key")


def Accrual():
    """Exact accruals (money × daily rate): 8 places, rounded only when read."""
    return Numeric(20, 8, asdecimal=True)


def Share():
    """A holding's fraction of a loan, precise enough for thousands of investors."""
    return Numeric(12, 10, asdecimal=True)


class Customer(Base):
    """A borrower, an investor, or both; a person or a company."""

    __tablename__ = "lending_customer"

    id: Mapped[int] = mapped_column(primary_key=True)
    role: Mapped[str] = mapped_column(String(10), index=True)  # borrower | investor | both
    kind: Mapped[str] = mapped_column(String(10), default="person")  # person | company
    name: Mapped[str] = mapped_column(String(200), index=True)
    id_number: Mapped[str] = mapped_column(String(64), unique=True)
    phone: Mapped[str] = mapped_column(String(50), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    region: Mapped[str] = mapped_column(String(100), default="", index=True)
    industry: Mapped[str] = mapped_column(String(100), default="")
    kyc_status: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    kyc_note: Mapped[str] = mapped_column(Text, default="")
    kyc_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # What the search compares (core.search): kept by the ORM, filled and indexed by lending_0003.
    name_key: Mapped[str] = search_key("name", fold, 200)
    id_number_key: Mapped[str] = search_key("id_number", identifier, 64)
    phone_key: Mapped[str] = search_key("phone", search.phone, 50)  # search.*: phone and email are columns here
    email_key: Mapped[str] = search_key("email", search.email, 200)

    __table_args__ = tuple(key_index("lending_customer", k) for k in SEARCH_KEYS)

    @property
    def is_borrower(self) -> bool:
        return self.role in ("borrower", "both")

    @property
    def is_investor(self) -> bool:
        return self.role in ("investor", "both")

    def __str__(self):
        return self.name


class CashEntry(Base):
    """One movement of an investor's cash account; the sum of the entries is the balance.

    Entries are only ever inserted, never updated or deleted. Amounts are
    signed: deposits and repayment shares positive, withdrawals and
    investments negative. Not audited row by row: the ledger is itself the
    record, and each operation that writes entries is audited (deposit and
    withdrawal events, the repayment and disbursement rows).
    """

    __tablename__ = "lending_cash_entry"
    __audit__ = False
    __table_args__ = (Index("ix_lending_cash_entry_customer_date", "customer_id", "entry_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("lending_customer.id"))
    entry_date: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(12))  # deposit | withdrawal | investment | repayment
    amount: Mapped[Decimal] = mapped_column(Money())
    reference: Mapped[str] = mapped_column(String(100), default="")
    memo: Mapped[str] = mapped_column(String(200), default="")
    loan_id: Mapped[int | None] = mapped_column(ForeignKey("lending_loan.id"), index=True)
    repayment_id: Mapped[int | None] = mapped_column(ForeignKey("lending_repayment.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def shown_memo(self):
        """The memo as a person reads it: the texts the services write (stored in English, like every
        stored value) in the user's language; a memo somebody typed, as typed."""
        from plugins.lending.i18n import _

        generated = {"Deposit": _("Deposit"), "Withdrawal": _("Withdrawal")}
        if self.loan_id is not None:
            generated[f"Invested in loan {self.loan_id}"] = _("Invested in loan ${id}", mapping={"id": self.loan_id})
            generated[f"Loan {self.loan_id} repayment"] = _("Loan ${id} repayment", mapping={"id": self.loan_id})
        return generated.get(self.memo, self.memo)


class Application(Base):
    """A borrower's request for a loan, from draft to disbursed (see services)."""

    __tablename__ = "lending_application"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("lending_customer.id"), index=True)
    product_version_id: Mapped[int] = mapped_column(ForeignKey("products_version.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money())
    term_months: Mapped[int] = mapped_column(Integer)
    annual_rate: Mapped[Decimal] = mapped_column(Rate())
    purpose: Mapped[str] = mapped_column(Text, default="")
    region: Mapped[str] = mapped_column(String(100), default="", index=True)
    industry: Mapped[str] = mapped_column(String(100), default="", index=True)
    status: Mapped[str] = mapped_column(String(10), default="draft", index=True)
    #: Space-separated names of plugins that asked to review and have not decided yet.
    review_pending: Mapped[str] = mapped_column(String(200), default="")
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    decided_by: Mapped[str] = mapped_column(String(100), default="")
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    listed_on: Mapped[date | None] = mapped_column(Date)
    funding_deadline: Mapped[date | None] = mapped_column(Date, index=True)
    funded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_reason: Mapped[str] = mapped_column(Text, default="")  # why cancelled / expired
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    customer: Mapped[Customer] = relationship()
    investments: Mapped[list[Investment]] = relationship(back_populates="application", order_by="Investment.id")
    loan: Mapped[Loan | None] = relationship(back_populates="application", uselist=False)

    def __str__(self):
        from plugins.lending.i18n import _, text

        return text(_("Application ${id}", mapping={"id": self.id}))


class Investment(Base):
    """An investor's money reserved for a listed application.

    ``reserved`` money is not available to the investor; ``released`` when the
    application is cancelled or expires; ``spent`` when it is disbursed (its
    cash entry is then written and the holding created).
    """

    __tablename__ = "lending_investment"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("lending_application.id"), index=True)
    investor_id: Mapped[int] = mapped_column(ForeignKey("lending_customer.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money())
    status: Mapped[str] = mapped_column(String(10), default="reserved", index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    application: Mapped[Application] = relationship(back_populates="investments")
    investor: Mapped[Customer] = relationship()


class Loan(Base):
    """A disbursed loan: the contract's terms are copied here from the product version."""

    __tablename__ = "lending_loan"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("lending_customer.id"), index=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("lending_application.id"), unique=True)
    product_version_id: Mapped[int] = mapped_column(ForeignKey("products_version.id"), index=True)
    principal: Mapped[Decimal] = mapped_column(Money())
    annual_rate: Mapped[Decimal] = mapped_column(Rate())
    term_months: Mapped[int] = mapped_column(Integer)
    repayment_method: Mapped[str] = mapped_column(String(30))
    disbursed_on: Mapped[date] = mapped_column(Date, index=True)
    origination_fee: Mapped[Decimal] = mapped_column(Money(), default=ZERO)
    payout: Mapped[Decimal] = mapped_column(Money())  # principal - origination fee, paid to the borrower
    service_fee_rate: Mapped[Decimal] = mapped_column(Rate(), default=ZERO)
    penalty_daily_rate: Mapped[Decimal] = mapped_column(Rate(), default=ZERO)
    grace_days: Mapped[int] = mapped_column(Integer, default=0)
    allocation_order: Mapped[str] = mapped_column(String(60), default="penalty,fee,interest,principal")
    region: Mapped[str] = mapped_column(String(100), default="", index=True)
    industry: Mapped[str] = mapped_column(String(100), default="", index=True)
    status: Mapped[str] = mapped_column(String(12), default="active", index=True)
    days_past_due: Mapped[int] = mapped_column(Integer, default=0)
    bucket: Mapped[str] = mapped_column(String(10), default=CURRENT, index=True)
    #: Due date of the oldest unpaid installment (NULL: nothing unpaid), kept by the services whenever
    #: an installment's ``paid_on`` changes, so close of business reads days past due off this table.
    oldest_unpaid_due: Mapped[date | None] = mapped_column(Date, index=True)
    penalty_accrued: Mapped[Decimal] = mapped_column(Accrual(), default=Decimal(0))
    closed_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Principal still owed, computed in SQL when a query asks for it (``with_expression``, see
    #: :func:`plugins.lending.services.loans.with_principal_left`); None otherwise. Not a column.
    principal_left: Mapped[Decimal | None] = query_expression()

    customer: Mapped[Customer] = relationship()
    application: Mapped[Application] = relationship(back_populates="loan")
    installments: Mapped[list[Installment]] = relationship(back_populates="loan", order_by="Installment.number")
    holdings: Mapped[list[Holding]] = relationship(back_populates="loan", order_by="Holding.id")
    repayments: Mapped[list[Repayment]] = relationship(back_populates="loan", order_by="Repayment.id")

    @property
    def penalty_due(self) -> Decimal:
        return money(self.penalty_accrued or 0)

    def __str__(self):
        from plugins.lending.i18n import _, text

        return text(_("Loan ${id}", mapping={"id": self.id}))


class Installment(Base):
    """One scheduled payment; ``*_due`` is what is owed, ``*_paid`` what was paid.

    ``penalty_accrued`` grows by close of business (exact, unrounded);
    ``penalty_due`` is it rounded to the cent. ``paid_on`` is set when every
    part (principal, interest, fee, penalty) is paid; NULL means unpaid.
    ``penalty_from`` is the first business date a penalty accrues
    (``due_date`` + grace days + 1). ``interest_waived`` / ``fee_waived`` are
    scheduled amounts cancelled because prepayment repaid the installment's
    principal early.
    """

    __tablename__ = "lending_installment"
    __table_args__ = (
        UniqueConstraint("loan_id", "number"),
        Index("ix_lending_installment_unpaid", "paid_on", "due_date", "loan_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("lending_loan.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    due_date: Mapped[date] = mapped_column(Date)
    penalty_from: Mapped[date] = mapped_column(Date)
    principal_due: Mapped[Decimal] = mapped_column(Money())
    interest_due: Mapped[Decimal] = mapped_column(Money())
    fee_due: Mapped[Decimal] = mapped_column(Money(), default=ZERO)
    penalty_accrued: Mapped[Decimal] = mapped_column(Accrual(), default=Decimal(0))
    principal_paid: Mapped[Decimal] = mapped_column(Money(), default=ZERO)
    interest_paid: Mapped[Decimal] = mapped_column(Money(), default=ZERO)
    fee_paid: Mapped[Decimal] = mapped_column(Money(), default=ZERO)
    penalty_paid: Mapped[Decimal] = mapped_column(Money(), default=ZERO)
    interest_waived: Mapped[Decimal] = mapped_column(Money(), default=ZERO)
    fee_waived: Mapped[Decimal] = mapped_column(Money(), default=ZERO)
    paid_on: Mapped[date | None] = mapped_column(Date)

    loan: Mapped[Loan] = relationship(back_populates="installments")

    @property
    def penalty_due(self) -> Decimal:
        return money(self.penalty_accrued or 0)

    @property
    def total_due(self) -> Decimal:
        return (self.principal_due + self.interest_due - self.interest_waived + self.fee_due - self.fee_waived
                + self.penalty_due)

    @property
    def total_paid(self) -> Decimal:
        return self.principal_paid + self.interest_paid + self.fee_paid + self.penalty_paid

    @property
    def outstanding(self) -> Decimal:
        return self.total_due - self.total_paid


class Repayment(Base):
    """Money received from the borrower, with how it was allocated and distributed."""

    __tablename__ = "lending_repayment"

    id: Mapped[int] = mapped_column(primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("lending_loan.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money())
    paid_on: Mapped[date] = mapped_column(Date, index=True)
    reference: Mapped[str] = mapped_column(String(100), unique=True)
    principal: Mapped[Decimal] = mapped_column(Money(), default=ZERO)
    interest: Mapped[Decimal] = mapped_column(Money(), default=ZERO)
    fee: Mapped[Decimal] = mapped_column(Money(), default=ZERO)
    penalty: Mapped[Decimal] = mapped_column(Money(), default=ZERO)
    prepaid_principal: Mapped[Decimal] = mapped_column(Money(), default=ZERO)  # part of ``principal``
    service_fee: Mapped[Decimal] = mapped_column(Money(), default=ZERO)
    distributed: Mapped[Decimal] = mapped_column(Money(), default=ZERO)
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    loan: Mapped[Loan] = relationship(back_populates="repayments")


class Holding(Base):
    """An investor's part of a loan: ``amount`` invested, ``share`` = amount / principal."""

    __tablename__ = "lending_holding"
    __table_args__ = (UniqueConstraint("loan_id", "investor_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("lending_loan.id"))
    investor_id: Mapped[int] = mapped_column(ForeignKey("lending_customer.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money())
    share: Mapped[Decimal] = mapped_column(Share())

    loan: Mapped[Loan] = relationship(back_populates="holdings")
    investor: Mapped[Customer] = relationship()


class BusinessDate(Base):
    """A business date closed by close of business; its primary key makes a second close impossible."""

    __tablename__ = "lending_business_date"

    business_date: Mapped[date] = mapped_column(Date, primary_key=True)
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    loans: Mapped[int] = mapped_column(Integer, default=0)
    bucket_changes: Mapped[int] = mapped_column(Integer, default=0)
    penalty_accrued: Mapped[Decimal] = mapped_column(Accrual(), default=Decimal(0))


class LendingSummary(SummaryRow, Base):
    """The dashboard's totals, kept by ``plugins.lending.summary`` (core.summaries): kind ``bucket``
    (active loans, principal outstanding per delinquency bucket) and ``pipeline`` (applications,
    amount asked, amount invested per open status)."""

    __tablename__ = "lending_summary"


# Registers the summary's flush listener wherever lending's models are used (web, workers, CLI):
# a process that changed loans without it would leave the dashboard's totals behind.
import plugins.lending.summary  # noqa: E402,F401

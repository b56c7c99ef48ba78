"""Collections' tables: cases, strategies, action items, queues, contacts, promises, targets.

Cases link to lending's loans and customers by foreign key and never change
lending's tables. Money is ``Numeric(18, 2)`` (``Money()``); rates
``Numeric(9, 6)`` fractions; business dates are ``date``s, timestamps UTC.

Rows that are themselves a record written in bulk by the daily jobs (action
items, bucket changes, stage entries, recoveries, assignments)
opt out of row-by-row auditing; the operations that write them are audited
(see :mod:`plugins.collections.services.assignment`). The tables the daily
jobs fill by the hundred thousand (action items, assignments) keep a
foreign key to the case they belong to and plain ids for the rest (the
strategy step, the collector): a key check per row would cost more than the
row, and the services keep those ids valid (a used strategy step cannot be
deleted; users are deactivated, never deleted).

SMS and e-mail are core's (``core_message``, :mod:`core.messages`): the
former ``collections_outbox`` was moved there by migration collections_0002.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

import core.models.meta  # noqa: F401  (UTCDateTime, naming convention)
from core.models.message import CHANNELS as MESSAGE_CHANNELS  # noqa: F401  (sent through core.messages)
from core.models.meta import Base, Money, UTCDateTime, utcnow
from core.models.user import User
from core.money import ZERO
from core.summaries import SummaryRow
from plugins.lending.models import Customer, Loan

STAGES = ("early", "mid", "late")
OPEN_STATUSES = ("open", "promised", "escalated")
CLOSED_STATUSES = ("resolved", "written_off")
CASE_STATUSES = OPEN_STATUSES + CLOSED_STATUSES
CHANNELS = ("call", "sms", "email", "letter", "visit")
ACTION_KINDS = CHANNELS + ("legal_review",)
OUTCOMES = ("right_party_contact", "third_party", "no_answer", "wrong_number", "promise_to_pay", "refused",
            "dispute", "claims_paid")
#: Outcomes that mean the debtor themself was reached (right-party contact).
RPC_OUTCOMES = ("right_party_contact", "promise_to_pay", "refused", "dispute", "claims_paid")
ITEM_STATUSES = ("due", "done", "sent", "skipped")
PROMISE_STATUSES = ("pending", "kept", "broken", "cancelled")


class Case(Base):
    """One overdue loan being chased. At most one open case per loan (``open_loan_id`` is unique)."""

    __tablename__ = "collections_case"
    __table_args__ = (
        Index("ix_collections_case_collector_status", "collector_id", "status"),
        Index("ix_collections_case_status_stage", "status", "stage"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("lending_loan.id"), index=True)
    #: ``loan_id`` while the case is open, NULL once closed: the database refuses a second open case.
    open_loan_id: Mapped[int | None] = mapped_column(Integer, unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("lending_customer.id"), index=True)
    status: Mapped[str] = mapped_column(String(12), default="open")
    stage: Mapped[str] = mapped_column(String(8))
    bucket: Mapped[str] = mapped_column(String(10))
    region: Mapped[str] = mapped_column(String(100), default="")
    collector_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    #: New or re-staged: the assignment job (re)assigns it (found through the status/stage index).
    needs_assignment: Mapped[bool] = mapped_column(Boolean, default=True)
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Unpaid principal, interest and fees of installments already due (penalties not included).
    overdue_amount: Mapped[Decimal] = mapped_column(Money(), default=ZERO)
    #: Due date of the oldest unpaid installment: days past due = business date − this, without the loan row.
    overdue_since: Mapped[date | None] = mapped_column(Date)
    opened_on: Mapped[date] = mapped_column(Date)
    stage_since: Mapped[date] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)
    close_reason: Mapped[str] = mapped_column(String(60), default="")
    #: The collector's own follow-up date, from the last contact.
    next_action_on: Mapped[date | None] = mapped_column(Date)
    #: Pay-by date of the pending promise, if any (the queue puts promises due today first).
    promise_due: Mapped[date | None] = mapped_column(Date)
    broken_promises: Mapped[int] = mapped_column(Integer, default=0)
    high_risk: Mapped[bool] = mapped_column(Boolean, default=False)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    loan: Mapped[Loan] = relationship()
    customer: Mapped[Customer] = relationship()
    collector: Mapped[User | None] = relationship(foreign_keys=[collector_id])

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def __str__(self):
        return f"Case {self.id}"


class StageEntry(Base):
    """A case entering a stage, with what was overdue then: the base of recovery rates."""

    __tablename__ = "collections_stage_entry"
    __audit__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("collections_case.id"), index=True)
    stage: Mapped[str] = mapped_column(String(8))
    bucket: Mapped[str] = mapped_column(String(10))
    entered_on: Mapped[date] = mapped_column(Date, index=True)
    left_on: Mapped[date | None] = mapped_column(Date)
    overdue_at_entry: Mapped[Decimal] = mapped_column(Money(), default=ZERO)


class BucketChange(Base):
    """Every delinquency bucket change lending reported: the source of roll rates."""

    __tablename__ = "collections_bucket_change"
    __audit__ = False
    __table_args__ = (Index("ix_collections_bucket_change_on_loan", "changed_on", "loan_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("lending_loan.id"), index=True)
    old_bucket: Mapped[str] = mapped_column(String(10))
    new_bucket: Mapped[str] = mapped_column(String(10))
    days_past_due: Mapped[int] = mapped_column(Integer)
    changed_on: Mapped[date] = mapped_column(Date)


class StrategyAction(Base):
    """One step of a stage's strategy: on day ``day_offset`` past due (then every ``repeat_every`` days)."""

    __tablename__ = "collections_strategy_action"

    id: Mapped[int] = mapped_column(primary_key=True)
    stage: Mapped[str] = mapped_column(String(8), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    day_offset: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(16))  # one of ACTION_KINDS
    repeat_every: Mapped[int | None] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(120), default="")
    #: For SMS and email: the text, with {customer} {loan} {amount} {days} {case} placeholders.
    message: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    def __str__(self):
        every = f", every {self.repeat_every} days" if self.repeat_every else ""
        return f"{self.stage}: {self.channel} day {self.day_offset}{every}"


class ActionItem(Base):
    """Something to do on a case today: created by the daily job from the stage's strategy.

    ``occurrence`` is the day past due it belongs to; the unique key makes the
    job idempotent (running it twice creates nothing twice).
    """

    __tablename__ = "collections_action_item"
    __audit__ = False
    # The unique key starts with case_id: it also serves "the items of a case" (few per case).
    __table_args__ = (UniqueConstraint("case_id", "action_id", "occurrence"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("collections_case.id"))
    action_id: Mapped[int] = mapped_column(Integer)  # a collections_strategy_action id (see the module docstring)
    occurrence: Mapped[int] = mapped_column(Integer)
    stage: Mapped[str] = mapped_column(String(8))
    channel: Mapped[str] = mapped_column(String(16))
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(8), default="due")
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_by: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    action: Mapped[StrategyAction] = relationship(primaryjoin="StrategyAction.id == ActionItem.action_id",
                                                  foreign_keys=[action_id], viewonly=True)


class CollectorQueue(Base):
    """A collector holds a stage's queue: the assignment job gives them that stage's cases."""

    __tablename__ = "collections_queue"
    __table_args__ = (UniqueConstraint("collector_id", "stage"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    collector_id: Mapped[int] = mapped_column(ForeignKey("core_user.id"))
    stage: Mapped[str] = mapped_column(String(8), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Assignment(Base):
    """Who a case was given to, when, by whom and why: the case's assignment history."""

    __tablename__ = "collections_assignment"
    __audit__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("collections_case.id"), index=True)
    collector_id: Mapped[int | None] = mapped_column(Integer)  # core_user ids (see the module docstring)
    previous_id: Mapped[int | None] = mapped_column(Integer)
    stage: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str] = mapped_column(String(20))  # new | restaged | manual
    assigned_by: Mapped[str] = mapped_column(String(100), default="")
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Contact(Base):
    """One contact attempt, recorded truthfully: channel, outcome, note, next action date."""

    __tablename__ = "collections_contact"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("collections_case.id"), index=True)
    collector_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"), index=True)
    channel: Mapped[str] = mapped_column(String(8))
    outcome: Mapped[str] = mapped_column(String(24))
    note: Mapped[str] = mapped_column(Text, default="")
    next_action_on: Mapped[date | None] = mapped_column(Date)
    contacted_on: Mapped[date] = mapped_column(Date, index=True)
    stage: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def right_party(self) -> bool:
        return self.outcome in RPC_OUTCOMES


class Promise(Base):
    """A promise to pay ``amount`` by ``due_on``; the promise job marks it kept or broken."""

    __tablename__ = "collections_promise"
    __table_args__ = (Index("ix_collections_promise_status_due", "status", "due_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("collections_case.id"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("collections_contact.id"))
    collector_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money())
    made_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    paid_amount: Mapped[Decimal] = mapped_column(Money(), default=ZERO)
    resolved_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Recovery(Base):
    """A repayment on a loan with an open case, credited to the case's collector and stage at that time."""

    __tablename__ = "collections_recovery"
    __audit__ = False
    __table_args__ = (Index("ix_collections_recovery_collector_paid", "collector_id", "paid_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("collections_case.id"), index=True)
    repayment_id: Mapped[int] = mapped_column(ForeignKey("lending_repayment.id"), unique=True)
    stage_entry_id: Mapped[int | None] = mapped_column(ForeignKey("collections_stage_entry.id"), index=True)
    collector_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    stage: Mapped[str] = mapped_column(String(8))
    amount: Mapped[Decimal] = mapped_column(Money())
    paid_on: Mapped[date] = mapped_column(Date, index=True)


class Target(Base):
    """The team's recovery target for one month (``month`` is its first day)."""

    __tablename__ = "collections_target"

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[date] = mapped_column(Date, unique=True)
    amount: Mapped[Decimal] = mapped_column(Money())
    note: Mapped[str] = mapped_column(Text, default="")

    shares: Mapped[list[TargetShare]] = relationship(back_populates="target", order_by="TargetShare.id",
                                                     cascade="all, delete-orphan")

    def __str__(self):
        return f"Target {self.month:%Y-%m}"


class TargetShare(Base):
    """One collector's part of the month's team target."""

    __tablename__ = "collections_target_share"
    __table_args__ = (UniqueConstraint("target_id", "collector_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("collections_target.id"))
    collector_id: Mapped[int] = mapped_column(ForeignKey("core_user.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money())

    target: Mapped[Target] = relationship(back_populates="shares")


class RiskReport(Base):
    """A collector's report of an abnormal, high-risk client (sent on to the risk plugin by a hook)."""

    __tablename__ = "collections_risk_report"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("collections_case.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    reported_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CollectionsSummary(SummaryRow, Base):
    """Open cases and their overdue amount per stage (kind ``stage``), kept by
    ``plugins.collections.summary`` (core.summaries) for the dashboard."""

    __tablename__ = "collections_summary"


# Registers the summary's flush listener wherever collections' models are used.
import plugins.collections.summary  # noqa: E402,F401

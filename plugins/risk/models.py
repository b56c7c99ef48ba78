"""Risk's tables: scorecards, rules, reviews, the blacklist and its hits, the committee, monitoring.

Everything links to lending's customers, applications and loans by foreign
key and never changes lending's tables (decisions go through
``plugins.lending.services.review_decision``).

A scorecard version keeps its characteristics, bins and bands as JSON
(``definition``, ``bands``): a version is one unit that is drafted,
activated and retired together, and a review points at the version that
scored it, so an old score can always be explained with the card that made
it. Editing an active card writes a new draft version
(:func:`plugins.risk.services.scorecards.new_version`).
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core import search
from core.models.meta import Base, Money, UTCDateTime, utcnow
from core.models.user import User
from core.money import ZERO
from core.search import fold, identifier, key_index, search_key
from plugins.lending.models import Application, Customer, Loan

SCORECARD_STATUSES = ("draft", "active", "retired")
RULE_CHECKS = ("min_age", "max_dti", "max_amount", "exposure_cap", "past_due_days", "min_score", "on_watch")
OUTCOMES = ("decline", "refer", "pass")
REVIEW_STATUSES = ("pending", "referred", "approved", "declined", "withdrawn")
RECOMMENDATIONS = ("approve", "approve_with_conditions", "decline", "refer")
LEVELS = ("low", "medium", "high", "very_high")
HIT_STATUSES = ("open", "confirmed", "cleared")
MATCHES = ("id_number", "phone", "email", "name")
MEETING_STATUSES = ("planned", "closed")
VOTES = ("approve", "approve_with_conditions", "decline")
ITEM_DECISIONS = ("pending", "approved", "approved_with_conditions", "declined", "no_quorum", "no_majority")
SIGNAL_KINDS = ("first_late", "second_loan_late", "high_risk_report", "watchlist_hit")
SIGNAL_STATUSES = ("open", "closed")


class Scorecard(Base):
    """One version of a scorecard (see the module docstring)."""

    __tablename__ = "risk_scorecard"
    __table_args__ = (UniqueConstraint("name", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(10), default="draft", index=True)
    pdo: Mapped[Decimal] = mapped_column(Numeric(12, 4))
    base_score: Mapped[Decimal] = mapped_column(Numeric(12, 4))
    base_odds: Mapped[Decimal] = mapped_column(Numeric(14, 6))
    #: True: base_odds is good:bad (50 = 50 good for 1 bad); False: bad:good (0.02 = the same)
    odds_good_to_bad: Mapped[bool] = mapped_column(Boolean, default=True)
    reason_count: Mapped[int] = mapped_column(Integer, default=3)
    definition: Mapped[list] = mapped_column(JSON, default=list)  # characteristics with their bins
    bands: Mapped[list] = mapped_column(JSON, default=list)  # [{min_score, grade, level}]
    #: score distribution of the development sample: [{low, high, share}] for the PSI
    sample: Mapped[list] = mapped_column(JSON, default=list)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Rule(Base):
    """A knock-out or referral rule: ``check`` against ``limit`` gives ``outcome`` when it fires."""

    __tablename__ = "risk_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    check: Mapped[str] = mapped_column(String(20))
    limit: Mapped[Decimal | None] = mapped_column(Numeric(18, 4))
    outcome: Mapped[str] = mapped_column(String(10), default="refer")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class Profile(Base):
    """What risk knows about a customer beyond lending's record: age, income, debts, watch and level."""

    __tablename__ = "risk_profile"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("lending_customer.id"), unique=True)
    birth_date: Mapped[date | None] = mapped_column(Date)
    monthly_income: Mapped[Decimal | None] = mapped_column(Money())
    monthly_debt: Mapped[Decimal | None] = mapped_column(Money())
    level: Mapped[str] = mapped_column(String(10), default="low", index=True)
    on_watch: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    watch_reason: Mapped[str] = mapped_column(Text, default="")
    watch_since: Mapped[date | None] = mapped_column(Date)

    customer: Mapped[Customer] = relationship()


class Review(Base):
    """The pre-loan review of one submitted application."""

    __tablename__ = "risk_review"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("lending_application.id"), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("lending_customer.id"), index=True)
    scorecard_id: Mapped[int | None] = mapped_column(ForeignKey("risk_scorecard.id"), index=True)
    score: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    grade: Mapped[str] = mapped_column(String(4), default="", index=True)
    score_level: Mapped[str] = mapped_column(String(10), default="")
    bad_rate: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    explanation: Mapped[list] = mapped_column(JSON, default=list)
    reasons: Mapped[str] = mapped_column(String(200), default="")
    rule_results: Mapped[list] = mapped_column(JSON, default=list)
    rule_outcome: Mapped[str] = mapped_column(String(10), default="pass", index=True)
    screening: Mapped[str] = mapped_column(String(10), default="clear")  # clear | review | hit
    exposure: Mapped[Decimal] = mapped_column(Money(), default=ZERO)  # open principal before this loan
    status: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    # the analyst's assessment
    level: Mapped[str] = mapped_column(String(10), default="")
    warnings: Mapped[str] = mapped_column(Text, default="")
    conditions: Mapped[str] = mapped_column(Text, default="")
    recommendation: Mapped[str] = mapped_column(String(24), default="")
    prepared_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    analyst_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    opened_on: Mapped[date] = mapped_column(Date, index=True)
    report_document_id: Mapped[int | None] = mapped_column(Integer)

    application: Mapped[Application] = relationship()
    customer: Mapped[Customer] = relationship()
    scorecard: Mapped[Scorecard | None] = relationship()


class BlacklistEntry(Base):
    """A person or company the platform must not lend to or take money from without a second look."""

    __tablename__ = "risk_blacklist"
    __table_args__ = tuple(key_index("risk_blacklist", k) for k in ("name_key", "id_number_key", "phone_key",
                                                                      "email_key"))

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    id_number: Mapped[str] = mapped_column(String(64), default="")
    phone: Mapped[str] = mapped_column(String(50), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(100), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    added_on: Mapped[date] = mapped_column(Date)

    name_key: Mapped[str] = search_key("name", fold, 200)
    id_number_key: Mapped[str] = search_key("id_number", identifier, 64)
    phone_key: Mapped[str] = search_key("phone", search.phone, 50)
    email_key: Mapped[str] = search_key("email", search.email, 200)


class Hit(Base):
    """A customer matching a blacklist entry; a person confirms or clears it, saying why."""

    __tablename__ = "risk_hit"
    __table_args__ = (UniqueConstraint("customer_id", "entry_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("lending_customer.id"), index=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("risk_blacklist.id"), index=True)
    match: Mapped[str] = mapped_column(String(10))
    similarity: Mapped[Decimal] = mapped_column(Numeric(6, 2), default=Decimal(100))
    status: Mapped[str] = mapped_column(String(10), default="open", index=True)
    found_on: Mapped[date] = mapped_column(Date)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(Text, default="")

    customer: Mapped[Customer] = relationship()
    entry: Mapped[BlacklistEntry] = relationship()


class Meeting(Base):
    """A loan review committee meeting: members, attendance, an agenda of referred reviews."""

    __tablename__ = "risk_meeting"

    id: Mapped[int] = mapped_column(primary_key=True)
    held_on: Mapped[date] = mapped_column(Date, index=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(10), default="planned", index=True)
    minutes_document_id: Mapped[int | None] = mapped_column(Integer)

    members: Mapped[list[Member]] = relationship(back_populates="meeting", order_by="Member.id")
    items: Mapped[list[AgendaItem]] = relationship(back_populates="meeting", order_by="AgendaItem.id")


class Member(Base):
    __tablename__ = "risk_meeting_member"
    __table_args__ = (UniqueConstraint("meeting_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("risk_meeting.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id"))
    present: Mapped[bool] = mapped_column(Boolean, default=False)

    meeting: Mapped[Meeting] = relationship(back_populates="members")
    user: Mapped[User] = relationship()


class AgendaItem(Base):
    __tablename__ = "risk_agenda_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("risk_meeting.id"), index=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("risk_review.id"), index=True)
    decision: Mapped[str] = mapped_column(String(24), default="pending")
    conditions: Mapped[str] = mapped_column(Text, default="")

    meeting: Mapped[Meeting] = relationship(back_populates="items")
    review: Mapped[Review] = relationship()
    votes: Mapped[list[Vote]] = relationship(back_populates="item", order_by="Vote.id")
    recusals: Mapped[list[Recusal]] = relationship(back_populates="item", order_by="Recusal.id")


class Vote(Base):
    __tablename__ = "risk_vote"
    __table_args__ = (UniqueConstraint("item_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("risk_agenda_item.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id"))
    vote: Mapped[str] = mapped_column(String(24))
    note: Mapped[str] = mapped_column(Text, default="")

    item: Mapped[AgendaItem] = relationship(back_populates="votes")


class Recusal(Base):
    """A member who declared a conflict of interest on one item: no vote, not counted for its quorum."""

    __tablename__ = "risk_recusal"
    __table_args__ = (UniqueConstraint("item_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("risk_agenda_item.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id"))
    reason: Mapped[str] = mapped_column(Text, default="")

    item: Mapped[AgendaItem] = relationship(back_populates="recusals")


class Signal(Base):
    """An early-warning signal on a borrower after disbursement, with the analyst's follow-up."""

    __tablename__ = "risk_signal"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("lending_customer.id"), index=True)
    loan_id: Mapped[int | None] = mapped_column(ForeignKey("lending_loan.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    detail: Mapped[str] = mapped_column(Text, default="")
    raised_on: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(10), default="open", index=True)
    follow_up: Mapped[str] = mapped_column(Text, default="")
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))

    customer: Mapped[Customer] = relationship()
    loan: Mapped[Loan | None] = relationship()


class DelinquencyMark(Base):
    """The first day a loan went past 30, 60 or 90 days past due (from lending's events): vintage curves,
    default rates and the scorecard's Gini read these instead of replaying the loans' history."""

    __tablename__ = "risk_delinquency_mark"
    __table_args__ = (UniqueConstraint("loan_id", "threshold"),)
    __audit__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("lending_loan.id"), index=True)
    threshold: Mapped[int] = mapped_column(Integer)  # 30 | 60 | 90: more than this many days past due
    reached_on: Mapped[date] = mapped_column(Date)

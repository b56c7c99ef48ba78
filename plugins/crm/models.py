"""Market development's tables, prefixed ``crm_``.

Accounts are prospects, investors and partners (channels); one may point at
lending's customer once they become one (``customer_id``, unique). Opportunities
move through department-edited stages; the probability shown is the
opportunity's own ``manual_probability`` when someone set one, else the
stage's — a stage change never writes ``manual_probability`` (the complaint
against EspoCRM #3294). Won/lost are statuses, not stages: a won opportunity
is one whose application lending funded (``application_id``), so the weighted
pipeline (Σ amount × probability) runs over ``status == "open"`` only.

Targets are stored as their whole decomposition (``TargetPart`` rows at the
levels team, person and person-month) so that reports read sums, never
recompute splits. Money is ``Numeric(18, 2)``, rates ``Numeric(9, 6)``
fractions, dates are business dates.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core import search
from core.models.meta import Base, Money, Rate, UTCDateTime, utcnow
from core.models.user import User
from core.money import ZERO
from core.search import fold, identifier, key_index, search_key
from plugins.crm.i18n import _
from plugins.lending.models import Application, Customer

ACCOUNT_KINDS = ("borrower", "investor", "partner")
PARTNER_TYPES = ("", "broker", "referral", "employer", "association")
TIERS = ("A", "B", "C")
OPPORTUNITY_KINDS = ("borrowing", "investment")
OPPORTUNITY_STATUSES = ("open", "won", "lost")
LOST_REASONS = ("price", "competitor", "rejected", "no_need", "no_answer", "expired", "other")
ACTIVITY_KINDS = ("call", "meeting", "visit")
ACTIVITY_STATUSES = ("planned", "done", "cancelled")
METRICS = ("funded_volume", "new_borrowers", "new_investors", "cost")
COMMISSION_KINDS = ("accrual", "clawback")
#: Words of the codes above, for ``h.label(code, "crm")`` and the translation catalogue.
WORDS = (_("borrower"), _("investor"), _("partner"), _("broker"), _("referral"), _("employer"), _("association"),
         _("borrowing"), _("investment"), _("open"), _("won"), _("lost"), _("price"), _("competitor"),
         _("rejected"), _("no need"), _("no answer"), _("expired"), _("other"), _("call"), _("meeting"),
         _("visit"), _("planned"), _("done"), _("cancelled"), _("funded volume"), _("new borrowers"),
         _("new investors"), _("cost"), _("accrual"), _("clawback"))


class CrmTeam(Base):
    """A sales team and its manager (who sees the team's records)."""

    __tablename__ = "crm_team"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    region: Mapped[str] = mapped_column(String(100), default="")
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"), index=True)

    manager: Mapped[User | None] = relationship()
    members: Mapped[list[CrmTeamMember]] = relationship(back_populates="team", order_by="CrmTeamMember.id",
                                                     cascade="all, delete-orphan")

    def __str__(self):
        return self.name


class CrmTeamMember(Base):
    """A representative in a team since ``joined_on`` (a mid-year joiner's target is pro rata)."""

    __tablename__ = "crm_team_member"
    __table_args__ = (UniqueConstraint("team_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("crm_team.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id"), index=True)
    joined_on: Mapped[date] = mapped_column(Date)

    team: Mapped[CrmTeam] = relationship(back_populates="members")
    user: Mapped[User] = relationship()


class CrmAccount(Base):
    """A prospect or existing borrower, an investor, or a partner (channel)."""

    __tablename__ = "crm_account"
    __table_args__ = (key_index("crm_account", "name_key"), Index("ix_crm_account_owner_kind", "owner_id", "kind"))

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10), index=True)  # ACCOUNT_KINDS
    partner_type: Mapped[str] = mapped_column(String(12), default="")
    is_company: Mapped[bool] = mapped_column(Boolean, default=False)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    region: Mapped[str] = mapped_column(String(100), default="")
    industry: Mapped[str] = mapped_column(String(100), default="")
    tier: Mapped[str] = mapped_column(String(1), default="C")
    id_number: Mapped[str] = mapped_column(String(64), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(50), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    #: lending's customer this account became (matched by ID number, e-mail or phone, or linked by hand).
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("lending_customer.id"), unique=True)
    #: For partners: the rate on funded principal when no tier of their rules applies.
    commission_rate: Mapped[Decimal] = mapped_column(Rate(), default=ZERO)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    name_key: Mapped[str] = search_key("name", fold, 200)
    id_number_key: Mapped[str] = search_key("id_number", identifier, 64)
    email_key: Mapped[str] = search_key("email", search.email, 200)
    phone_key: Mapped[str] = search_key("phone", search.phone, 50)

    owner: Mapped[User | None] = relationship()
    customer: Mapped[Customer | None] = relationship()
    contacts: Mapped[list[CrmContact]] = relationship(back_populates="account", order_by="CrmContact.id")

    def __str__(self):
        return self.name


Index("ix_crm_account_id_number_key", CrmAccount.id_number_key)
Index("ix_crm_account_email_key", CrmAccount.email_key)
Index("ix_crm_account_phone_key", CrmAccount.phone_key)


class CrmContact(Base):
    """A person at an account (the broker's agent, the HR manager of an employer)."""

    __tablename__ = "crm_contact"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("crm_account.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[str] = mapped_column(String(100), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(50), default="")

    account: Mapped[CrmAccount] = relationship(back_populates="contacts")

    def __str__(self):
        return self.name


class CrmStage(Base):
    """A pipeline stage the department edits, with its default probability (a fraction)."""

    __tablename__ = "crm_stage"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    probability: Mapped[Decimal] = mapped_column(Rate())
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    def __str__(self):
        return self.name


class CrmOpportunity(Base):
    """A borrowing need or an investment intention, open until won (funded) or lost."""

    __tablename__ = "crm_opportunity"
    __table_args__ = (Index("ix_crm_opportunity_status_stage", "status", "stage_id"),
                      Index("ix_crm_opportunity_owner_status", "owner_id", "status"),
                      key_index("crm_opportunity", "title_key"))

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("crm_account.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(12), default="borrowing")
    amount: Mapped[Decimal] = mapped_column(Money())
    product: Mapped[str] = mapped_column(String(100), default="")
    expected_close: Mapped[date | None] = mapped_column(Date)
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("crm_account.id"), index=True)
    #: Where the lead came from (a campaign, a web form), as the sender named it.
    source: Mapped[str] = mapped_column(String(100), default="")
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    stage_id: Mapped[int] = mapped_column(ForeignKey("crm_stage.id"))
    #: Set by a person; kept across stage changes; None = the stage's probability.
    manual_probability: Mapped[Decimal | None] = mapped_column(Rate())
    status: Mapped[str] = mapped_column(String(6), default="open")
    lost_reason: Mapped[str] = mapped_column(String(20), default="")
    lost_note: Mapped[str] = mapped_column(Text, default="")
    #: lending's application this opportunity became; funding it wins the opportunity.
    application_id: Mapped[int | None] = mapped_column(ForeignKey("lending_application.id"), unique=True)
    won_amount: Mapped[Decimal | None] = mapped_column(Money())
    closed_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    title_key: Mapped[str] = search_key("title", fold, 200)

    account: Mapped[CrmAccount] = relationship(foreign_keys=[account_id])
    partner: Mapped[CrmAccount | None] = relationship(foreign_keys=[partner_id])
    owner: Mapped[User | None] = relationship()
    stage: Mapped[CrmStage] = relationship()
    application: Mapped[Application | None] = relationship()
    shares: Mapped[list[CrmOpportunityShare]] = relationship(back_populates="opportunity",
                                                          order_by="CrmOpportunityShare.id",
                                                          cascade="all, delete-orphan")

    @property
    def probability(self) -> Decimal:
        """The manual probability when set, else the stage's (won and lost have no probability left)."""
        return self.manual_probability if self.manual_probability is not None else self.stage.probability

    def __str__(self):
        return self.title


class CrmOpportunityShare(Base):
    """Who contributed to an opportunity and how much (the shares of one opportunity sum to 1)."""

    __tablename__ = "crm_opportunity_share"
    __table_args__ = (UniqueConstraint("opportunity_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    opportunity_id: Mapped[int] = mapped_column(ForeignKey("crm_opportunity.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id"), index=True)
    share: Mapped[Decimal] = mapped_column(Rate())

    opportunity: Mapped[CrmOpportunity] = relationship(back_populates="shares")


class CrmCredit(Base):
    """Achievement credited to a person: their share of a funded opportunity, or a new borrower or investor
    (amount 1, no opportunity) when a customer of an account they own is created."""

    __tablename__ = "crm_credit"
    __table_args__ = (Index("ix_crm_credit_on_user", "credited_on", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    opportunity_id: Mapped[int | None] = mapped_column(ForeignKey("crm_opportunity.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id"))
    metric: Mapped[str] = mapped_column(String(16), default="funded_volume")
    amount: Mapped[Decimal] = mapped_column(Money())
    credited_on: Mapped[date] = mapped_column(Date)


class CrmActivity(Base):
    """A call, meeting or visit: planned (when, how long, where), then done (actual time, outcome, next step)."""

    __tablename__ = "crm_activity"
    __table_args__ = (Index("ix_crm_activity_owner_planned", "owner_id", "planned_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    subject: Mapped[str] = mapped_column(String(200))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("crm_account.id"), index=True)
    opportunity_id: Mapped[int | None] = mapped_column(ForeignKey("crm_opportunity.id"), index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    status: Mapped[str] = mapped_column(String(10), default="planned", index=True)
    planned_on: Mapped[date] = mapped_column(Date)
    planned_minutes: Mapped[int] = mapped_column(Integer, default=30)
    place: Mapped[str] = mapped_column(String(200), default="")
    done_on: Mapped[date | None] = mapped_column(Date)
    actual_minutes: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(Text, default="")
    next_step: Mapped[str] = mapped_column(Text, default="")

    account: Mapped[CrmAccount | None] = relationship()
    opportunity: Mapped[CrmOpportunity | None] = relationship()
    owner: Mapped[User | None] = relationship()

    def __str__(self):
        return self.subject


class CrmTarget(Base):
    """A yearly company target for one metric; its decomposition lives in :class:`TargetPart`."""

    __tablename__ = "crm_target"
    __table_args__ = (UniqueConstraint("year", "metric"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    metric: Mapped[str] = mapped_column(String(16))
    amount: Mapped[Decimal] = mapped_column(Money())
    note: Mapped[str] = mapped_column(Text, default="")

    parts: Mapped[list[CrmTargetPart]] = relationship(back_populates="target", order_by="CrmTargetPart.id",
                                                   cascade="all, delete-orphan")

    def __str__(self):
        return f"{self.metric} {self.year}"


class CrmTargetPart(Base):
    """One cell of a target's decomposition: a team (user and month empty), a person (month empty) or a
    person's month. Written together by :func:`plugins.crm.services.targets.decompose_target`."""

    __tablename__ = "crm_target_part"
    __audit__ = False  # rewritten as a whole; the target's decomposition is audited as one event
    __table_args__ = (Index("ix_crm_target_part_target_level", "target_id", "level"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("crm_target.id"))
    level: Mapped[str] = mapped_column(String(6))  # team | person | month
    team_id: Mapped[int] = mapped_column(ForeignKey("crm_team.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    month: Mapped[int | None] = mapped_column(Integer)
    weight: Mapped[Decimal] = mapped_column(Rate(), default=ZERO)
    amount: Mapped[Decimal] = mapped_column(Money())

    target: Mapped[CrmTarget] = relationship(back_populates="parts")


class CrmCommissionTier(Base):
    """A partner's rate on funded principal once their month's funded volume reaches ``min_volume``."""

    __tablename__ = "crm_commission_tier"
    __table_args__ = (UniqueConstraint("partner_id", "min_volume"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("crm_account.id"))
    min_volume: Mapped[Decimal] = mapped_column(Money(), default=ZERO)
    rate: Mapped[Decimal] = mapped_column(Rate())


class CrmCommission(Base):
    """A partner's commission entry: an accrual on funding (+) or its clawback (−) on a missed first
    installment. A statement is the sum of a month's entries."""

    __tablename__ = "crm_commission"
    __table_args__ = (UniqueConstraint("application_id", "kind"), Index("ix_crm_commission_partner_on",
                                                                        "partner_id", "booked_on"))

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("crm_account.id"))
    opportunity_id: Mapped[int] = mapped_column(ForeignKey("crm_opportunity.id"), index=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("lending_application.id"))
    kind: Mapped[str] = mapped_column(String(8))  # accrual | clawback
    base: Mapped[Decimal] = mapped_column(Money())
    rate: Mapped[Decimal] = mapped_column(Rate())
    amount: Mapped[Decimal] = mapped_column(Money())
    booked_on: Mapped[date] = mapped_column(Date)

    partner: Mapped[CrmAccount] = relationship()


class CrmAgreement(Base):
    """A partner agreement: a simple record with its signed document attached (documents panel)."""

    __tablename__ = "crm_agreement"

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("crm_account.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    signed_on: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    terms: Mapped[str] = mapped_column(Text, default="")
    #: draft (not signed yet) | signed (signed, starts later) | active (signed and in force)
    status: Mapped[str] = mapped_column(String(12), default="draft", server_default="draft")
    #: The contract another department made of it (``crm_partner_agreement_created``), as
    #: ``"<entity type>:<id>"`` (``"legal.contract:42"``); empty for a simple record.
    contract_ref: Mapped[str] = mapped_column(String(60), default="", server_default="", index=True)

    partner: Mapped[CrmAccount] = relationship()

    def __str__(self):
        return self.title


# Short names for the rest of the plugin. The classes carry a ``Crm`` prefix because SQLAlchemy's
# declarative registry is shared: another plugin's bare string ``relationship("Target")`` (collections has a
# Target, finance may have an Account) must never find two classes of that name.
TeamMember = CrmTeamMember
Team = CrmTeam
Account = CrmAccount
Contact = CrmContact
Stage = CrmStage
OpportunityShare = CrmOpportunityShare
Opportunity = CrmOpportunity
Credit = CrmCredit
Activity = CrmActivity
TargetPart = CrmTargetPart
Target = CrmTarget
CommissionTier = CrmCommissionTier
Commission = CrmCommission
Agreement = CrmAgreement

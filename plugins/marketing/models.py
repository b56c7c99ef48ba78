"""Marketing's tables, prefixed ``marketing_``.

Decisions worth knowing:

* A **click** is what the public short link ``/r/<code>`` records: time, link,
  campaign, the anonymous visitor id of the ``mutuo_vid`` cookie and the
  referrer. It knows no customer until the visitor is identified.
* A **visitor identity** maps an anonymous visitor id to the e-mail and/or
  phone the visitor gave on the company's sign-up page (the website posts it
  to ``POST /api/v1/marketing/visitors`` or the public ``/marketing/join``
  form). When lending creates a customer with the same e-mail or phone
  (``lending_customer_created``), that visitor's clicks become the
  customer's **touchpoints**. Matching on contact details the customer gave
  is the honest link: lending's customer form does not carry a cookie, and
  the clerk who keys the customer in has a cookie of their own.
* A **touchpoint** is one contact of a customer with a campaign: a click,
  or an offline touch typed by hand or imported from CSV.
* A **conversion** is a lending fact, once per customer and kind: verified,
  first loan disbursed (a funded borrower), first investment. Its value is
  the money the attribution shares out (a funded loan's margin, a first
  investment's amount, nothing for a verification).
* A **credit** is one touchpoint's share of one conversion under one model;
  the shares of a conversion and model sum to exactly 1 and their money to
  exactly the conversion's value (see ``services/attribution.py``).

Clicks and credits are written in bulk by machines (a public link, the
attribution of every conversion under six models): they are not audited row
by row (``__audit__ = False``); the records people write are.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.models.meta import Base, Money, UTCDateTime, utcnow
from core.search import fold, key_index, search_key
from plugins.marketing.i18n import _

#: Kinds of channel (issue 19): "direct" is the touch nobody paid for, skipped by "last non-direct".
CHANNEL_KINDS = ("social", "messaging", "forum", "search", "display", "referral", "partner", "offline", "email_sms",
                 "direct")
GOALS = ("registrations", "verified", "funded", "first_investment")
CAMPAIGN_STATUSES = ("planned", "active", "closed")
SPEND_KINDS = ("planned", "actual")
TOUCH_SOURCES = ("click", "offline", "import")
CONVERSION_KINDS = ("verified", "funded", "first_investment")
MODELS = ("first_touch", "last_touch", "last_non_direct", "linear", "position_based", "time_decay")

#: Words of the stored codes (underscores read as spaces), translated where shown (h.label(value, "marketing")).
WORDS = (_("social"), _("messaging"), _("forum"), _("search"), _("display"), _("referral"), _("partner"),
         _("offline"), _("email sms"), _("direct"), _("registrations"), _("verified"), _("funded"),
         _("first investment"), _("planned"), _("active"), _("closed"), _("actual"), _("click"), _("import"),
         _("first touch"), _("last touch"), _("last non direct"), _("linear"), _("position based"),
         _("time decay"), _("fee discount"), _("any"), _("borrower"), _("investor"), _("email"), _("sms"))

SHARE = Numeric(9, 6)  # a credit's share: 0.400000


class Channel(Base):
    __tablename__ = "marketing_channel"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(12), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Campaign(Base):
    __tablename__ = "marketing_campaign"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    channel_id: Mapped[int] = mapped_column(ForeignKey("marketing_channel.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("marketing_campaign.id"), index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"), index=True)
    starts_on: Mapped[date] = mapped_column(Date, index=True)
    ends_on: Mapped[date | None] = mapped_column(Date)
    budget: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    goal: Mapped[str] = mapped_column(String(20), default="funded")
    audience: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(10), default="active", index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    name_key: Mapped[str] = search_key("name", fold, 200)

    channel: Mapped[Channel] = relationship(lazy="joined", innerjoin=True)

    __table_args__ = (key_index("marketing_campaign", "name_key"),)


class Spend(Base):
    """A planned or actual cost of a campaign on a date (its invoice is a document on the record)."""

    __tablename__ = "marketing_spend"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("marketing_campaign.id"), index=True)
    spent_on: Mapped[date] = mapped_column(Date, index=True)
    kind: Mapped[str] = mapped_column(String(10), default="actual")
    amount: Mapped[Decimal] = mapped_column(Money())
    description: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Link(Base):
    """A short tracked link: ``/r/<code>`` redirects to ``target_url`` plus its UTM parameters, and only there."""

    __tablename__ = "marketing_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("marketing_campaign.id"), index=True)
    medium: Mapped[str] = mapped_column(String(50), default="")
    target_url: Mapped[str] = mapped_column(String(1000))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Click(Base):
    __tablename__ = "marketing_click"
    __audit__ = False  # written by anonymous visitors, many a day: the row is its own record

    id: Mapped[int] = mapped_column(primary_key=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("marketing_link.id"), index=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("marketing_campaign.id"), index=True)
    clicked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    visitor_id: Mapped[str] = mapped_column(String(32), index=True)
    referrer: Mapped[str] = mapped_column(String(500), default="")


class Visitor(Base):
    """An anonymous visitor who told us their e-mail or phone on the sign-up page."""

    __tablename__ = "marketing_visitor"

    id: Mapped[int] = mapped_column(primary_key=True)
    visitor_id: Mapped[str] = mapped_column(String(32), index=True)
    email: Mapped[str] = mapped_column(String(200), default="", index=True)  # lower-case
    phone: Mapped[str] = mapped_column(String(50), default="", index=True)  # E.164 (core.search.phone)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("lending_customer.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Touchpoint(Base):
    __tablename__ = "marketing_touchpoint"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("lending_customer.id"))
    campaign_id: Mapped[int] = mapped_column(ForeignKey("marketing_campaign.id"), index=True)
    touched_at: Mapped[datetime] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(String(10), default="click")
    click_id: Mapped[int | None] = mapped_column(ForeignKey("marketing_click.id"), unique=True)
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    campaign: Mapped[Campaign] = relationship(lazy="joined", innerjoin=True)

    __table_args__ = (Index("ix_marketing_touchpoint_customer_at", "customer_id", "touched_at"),)


class Conversion(Base):
    __tablename__ = "marketing_conversion"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("lending_customer.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    value: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    reference: Mapped[str] = mapped_column(String(50), default="")  # "loan 12", "investment 40"
    touches: Mapped[int] = mapped_column(Integer, default=0)  # touchpoints inside the lookback window

    __table_args__ = (UniqueConstraint("customer_id", "kind", name="uq_marketing_conversion_customer_kind"),)


class Credit(Base):
    __tablename__ = "marketing_credit"
    __audit__ = False  # derived from the conversion and its touchpoints, six models at a time

    id: Mapped[int] = mapped_column(primary_key=True)
    conversion_id: Mapped[int] = mapped_column(ForeignKey("marketing_conversion.id"), index=True)
    touchpoint_id: Mapped[int] = mapped_column(ForeignKey("marketing_touchpoint.id"), index=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("marketing_campaign.id"), index=True)
    model: Mapped[str] = mapped_column(String(20))
    share: Mapped[Decimal] = mapped_column(SHARE)
    amount: Mapped[Decimal] = mapped_column(Money())

    __table_args__ = (Index("ix_marketing_credit_model_campaign", "model", "campaign_id"),)


# -- audiences, consent and broadcasts --------------------------------------------------------------

CONSENT_CHANNELS = ("email", "sms")
ROLES = ("any", "borrower", "investor")


class Consent(Base):
    """A customer's opt-in to marketing messages on one channel (core's opt-out register still applies).

    Marketing needs consent given, not merely no objection: a broadcast reaches only customers with a
    row here whose ``withdrawn_at`` is empty. The opt-out link of every message withdraws it.
    """

    __tablename__ = "marketing_consent"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("lending_customer.id"))
    channel: Mapped[str] = mapped_column(String(10))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(String(60), default="")

    __table_args__ = (UniqueConstraint("customer_id", "channel", name="uq_marketing_consent_customer_channel"),)


class Audience(Base):
    """A segment of customers by rules, evaluated when a broadcast is sent."""

    __tablename__ = "marketing_audience"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    role: Mapped[str] = mapped_column(String(10), default="any")  # any | borrower | investor
    verified_only: Mapped[bool] = mapped_column(Boolean, default=True)
    region: Mapped[str] = mapped_column(String(100), default="")  # "" = every region
    registered_since: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Broadcast(Base):
    __tablename__ = "marketing_broadcast"

    id: Mapped[int] = mapped_column(primary_key=True)
    audience_id: Mapped[int] = mapped_column(ForeignKey("marketing_audience.id"), index=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("marketing_campaign.id"), index=True)
    channel: Mapped[str] = mapped_column(String(10))
    subject: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text)
    promotes_project: Mapped[bool] = mapped_column(Boolean, default=False)
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)  # in the audience, without consent on the channel
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# -- promotions ----------------------------------------------------------------------------------------

PROMOTION_KINDS = ("fee_discount",)


class Promotion(Base):
    """A fee discount offered to the borrowers who qualify, from ``valid_from`` to ``valid_to`` (both included).

    The discount is a fraction of the origination fee (``rate``, 0.5 = half) or a fixed ``amount``
    (never more than the fee). Lending asks for it when it disburses (``lending_origination_fee_discount``).
    """

    __tablename__ = "marketing_promotion"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), default="fee_discount")
    rate: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    amount: Mapped[Decimal | None] = mapped_column(Money())
    valid_from: Mapped[date] = mapped_column(Date, index=True)
    valid_to: Mapped[date] = mapped_column(Date, index=True)
    role: Mapped[str] = mapped_column(String(10), default="any")  # any | borrower | investor
    verified_only: Mapped[bool] = mapped_column(Boolean, default=True)
    global_limit: Mapped[int | None] = mapped_column(Integer)  # None = no limit
    per_customer_limit: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (CheckConstraint("rate IS NOT NULL OR amount IS NOT NULL", name="rate_or_amount"),)


class Redemption(Base):
    """One use of a promotion by a customer, on one application's disbursement.

    The limits are enforced by unique constraints, not by a count read before the insert: the n-th use
    of a promotion takes ``slot`` n and the customer's k-th use of it takes ``customer_slot`` k, and the
    service only hands out slots up to the limits. Two transactions racing for the last slot insert the
    same ``(promotion_id, slot)``; the database lets one commit and refuses the other (see
    ``services/promotions.py``), so the limits hold under concurrent use.
    """

    __tablename__ = "marketing_redemption"

    id: Mapped[int] = mapped_column(primary_key=True)
    promotion_id: Mapped[int] = mapped_column(ForeignKey("marketing_promotion.id"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("lending_customer.id"), index=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("lending_application.id"), index=True)
    slot: Mapped[int] = mapped_column(Integer)
    customer_slot: Mapped[int] = mapped_column(Integer)
    fee: Mapped[Decimal] = mapped_column(Money())  # the fee before the discount
    discount: Mapped[Decimal] = mapped_column(Money())
    redeemed_on: Mapped[date] = mapped_column(Date, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    promotion: Mapped[Promotion] = relationship()

    __table_args__ = (
        UniqueConstraint("promotion_id", "slot", name="uq_marketing_redemption_slot"),
        UniqueConstraint("promotion_id", "customer_id", "customer_slot", name="uq_marketing_redemption_customer_slot"),
        CheckConstraint("slot >= 1 AND customer_slot >= 1", name="slots_positive"),
    )

"""Customer service's tables, prefixed ``service_``.

A :class:`Ticket` is one enquiry or problem, whatever channel it came by; its
conversation is a list of :class:`TicketMessage` rows (replies to the
customer, the customer's own words, and internal notes nobody outside sees).
Service levels are measured on business time (:mod:`plugins.service.calendar`):
the deadlines are stored on the ticket (``first_response_due``,
``resolution_due``) so lists sort and filter on them with an index, and are
recomputed whenever the ticket changes and by the hourly SLA job. A ticket
waiting on the customer is paused (:class:`TicketPause`), which stops the
resolution clock. Public holidays are rows (:class:`Holiday`), targets are rows
(:class:`SlaTarget`) with defaults in code for any category and priority without one.
"""
from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core import search
from core.models.meta import Base, UTCDateTime, utcnow
from core.search import fold, key_index, search_key
from plugins.lending.models import Customer, Loan
from plugins.service.i18n import _

CHANNELS = ("phone", "email", "web", "api")
CHANNEL_WORDS = (_("phone"), _("email"), _("web"), _("api"))
CATEGORIES = ("account", "repayment", "investment", "withdrawal", "dispute", "complaint", "other")
CATEGORY_WORDS = (_("account"), _("repayment"), _("investment"), _("withdrawal"), _("dispute"), _("complaint"),
                  _("other"))
PRIORITIES = ("low", "normal", "high", "urgent")
PRIORITY_WORDS = (_("low"), _("normal"), _("high"), _("urgent"))
STATUSES = ("new", "open", "waiting_customer", "waiting_department", "solved", "closed")
STATUS_WORDS = (_("new"), _("open"), _("waiting customer"), _("waiting department"), _("solved"), _("closed"))
#: Statuses in which the ticket is still being worked (and its SLA still runs, or is paused).
ACTIVE = ("new", "open", "waiting_customer", "waiting_department")
#: The SLA's state, kept on the ticket by :func:`plugins.service.services.sla.refresh`.
SLA_STATES = ("on_track", "at_risk", "breached", "paused", "met")
SLA_WORDS = (_("on track"), _("at risk"), _("breached"), _("paused"), _("met"))
MESSAGE_KINDS = ("reply", "customer", "note", "department")
MESSAGE_WORDS = (_("reply"), _("customer"), _("note"), _("department"))


class Ticket(Base):
    __tablename__ = "service_ticket"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(10), index=True)
    category: Mapped[str] = mapped_column(String(20), index=True)
    priority: Mapped[str] = mapped_column(String(10), default="normal")
    status: Mapped[str] = mapped_column(String(20), default="new", index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("lending_customer.id"), index=True)
    loan_id: Mapped[int | None] = mapped_column(ForeignKey("lending_loan.id"), index=True)
    #: How the customer reached us (the phone or e-mail as given), kept even when no customer matched.
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    contact_phone: Mapped[str] = mapped_column(String(50), default="")
    contact_email: Mapped[str] = mapped_column(String(200), default="")
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"), index=True)
    #: The department the ticket was handed to (a plugin's name), while or after it is routed.
    department: Mapped[str] = mapped_column(String(40), default="", index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    solved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_response_due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution_due: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    sla_state: Mapped[str] = mapped_column(String(10), default="on_track", index=True)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    subject_key: Mapped[str] = search_key("subject", fold, 200)
    phone_key: Mapped[str] = search_key("contact_phone", search.phone, 50)
    email_key: Mapped[str] = search_key("contact_email", search.email, 200)

    customer: Mapped[Customer | None] = relationship(Customer, lazy="joined")
    loan: Mapped[Loan | None] = relationship(Loan)
    messages: Mapped[list["TicketMessage"]] = relationship(back_populates="ticket", order_by="TicketMessage.id")
    pauses: Mapped[list["TicketPause"]] = relationship(order_by="TicketPause.id")

    __table_args__ = (key_index("service_ticket", "subject_key"), key_index("service_ticket", "phone_key"),
                      key_index("service_ticket", "email_key"))

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    def __str__(self):
        return f"#{self.id} {self.subject}"


class TicketMessage(Base):
    """One entry of a ticket's conversation; ``kind`` ``note`` is internal and never sent."""

    __tablename__ = "service_ticket_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("service_ticket.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    body: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    department: Mapped[str] = mapped_column(String(40), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    ticket: Mapped[Ticket] = relationship(back_populates="messages")


class TicketPause(Base):
    """A span during which the resolution clock stood still (the ticket waited on the customer)."""

    __tablename__ = "service_ticket_pause"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("service_ticket.id"), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SlaTarget(Base):
    """First-response and resolution targets, in business minutes, for one category and priority."""

    __tablename__ = "service_sla_target"

    id: Mapped[int] = mapped_column(primary_key=True)
    category: Mapped[str] = mapped_column(String(20))
    priority: Mapped[str] = mapped_column(String(10))
    first_response_minutes: Mapped[int] = mapped_column(Integer)
    resolution_minutes: Mapped[int] = mapped_column(Integer)

    __table_args__ = (UniqueConstraint("category", "priority"),)


class Holiday(Base):
    """A public holiday of the company's calendar: no business time runs on it."""

    __tablename__ = "service_holiday"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    name: Mapped[str] = mapped_column(String(100), default="")


class CannedAnswer(Base):
    """A ready reply an agent inserts and adapts; ``{name}`` is replaced by the customer's name."""

    __tablename__ = "service_canned_answer"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(120), unique=True)
    body: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(20), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Survey(Base):
    """A satisfaction question sent to a customer: CSAT (1–5) after a solved ticket, or NPS (0–10)."""

    __tablename__ = "service_survey"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(4), index=True)  # csat | nps
    token: Mapped[str] = mapped_column(String(40), unique=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("service_ticket.id"), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("lending_customer.id"), index=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    category: Mapped[str] = mapped_column(String(20), default="")
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    score: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)


class Announcement(Base):
    """A platform notice: on the public notice board once published, and sent to a segment by SMS/e-mail."""

    __tablename__ = "service_announcement"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    segment: Mapped[str] = mapped_column(String(10), default="all")  # all | borrowers | investors
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_count: Mapped[int] = mapped_column(Integer, default=0)

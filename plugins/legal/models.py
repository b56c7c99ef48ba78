"""Legal's tables, prefixed ``legal_``: templates, clauses, contracts, seals, matters, opinions.

Contracts link to lending's loans and customers by foreign key. Texts (the
rendered or uploaded contract, the signed copies, the outside lawyers'
papers) live in core's document store: a contract points at its core
``Document`` and freezes the SHA-256 of the version that was approved.

A matter opened from a collections case keeps the case id as a plain
integer, not a foreign key: ``collections`` is not a dependency of legal
and may be disabled (its tables then stay, but legal must not rely on them).

Money is ``Numeric(18, 2)``; business dates are ``date``s, timestamps UTC.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.models.meta import Base, Money, UTCDateTime, utcnow
from core.models.user import User
from core.money import ZERO
from core.search import fold, key_index, search_key
from plugins.legal.i18n import _
from plugins.lending.models import Customer, Loan

CONTRACT_TYPES = ("loan_agreement", "investor_service", "guarantee", "partner", "vendor", "employment")
CONTRACT_TYPE_WORDS = (_("loan agreement"), _("investor service"), _("guarantee"), _("partner"), _("vendor"),
                       _("employment"))
CONTRACT_STATUSES = ("draft", "in_review", "approved", "signed", "active", "expired", "terminated")
CONTRACT_STATUS_WORDS = (_("draft"), _("in review"), _("approved"), _("signed"), _("active"), _("expired"),
                         _("terminated"))
#: Statuses in which the approved text is frozen: a change sends the contract back to review.
FROZEN_STATUSES = ("approved", "signed", "active")
RENEWAL_TYPES = ("none", "express", "tacit")
RENEWAL_WORDS = (_("none"), _("express"), _("tacit"))
TEMPLATE_FORMATS = ("html", "docx")

SEAL_KINDS = ("company", "contract", "finance", "legal_representative")
SEAL_KIND_WORDS = (_("company"), _("contract"), _("finance"), _("legal representative"))
SEAL_REQUEST_STATUSES = ("requested", "approved", "rejected", "used", "returned")
SEAL_REQUEST_WORDS = (_("requested"), _("approved"), _("rejected"), _("used"), _("returned"))

MATTER_KINDS = ("litigation", "arbitration")
MATTER_STATUSES = ("preparing", "filed", "hearing", "judgment", "enforcement", "closed")
MATTER_STATUS_WORDS = (_("litigation"), _("arbitration"), _("preparing"), _("filed"), _("hearing"),
                       _("judgment"), _("enforcement"), _("closed"))
BODY_KINDS = ("court", "arbitration")
BODY_WORDS = (_("court"),)
EVENT_KINDS = ("hearing", "filing", "appeal_deadline", "enforcement_deadline", "other")
EVENT_WORDS = (_("hearing"), _("filing"), _("appeal deadline"), _("enforcement deadline"), _("other"))

OPINION_STATUSES = ("requested", "assigned", "answered")
OPINION_WORDS = (_("requested"), _("assigned"), _("answered"))


class Template(Base):
    """A contract template; its texts are :class:`TemplateVersion` rows, the newest published one is used."""

    __tablename__ = "legal_template"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    contract_type: Mapped[str] = mapped_column(String(20), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    name_key: Mapped[str] = search_key("name", fold, 200)

    versions: Mapped[list[TemplateVersion]] = relationship(back_populates="template",
                                                           order_by="TemplateVersion.number")
    __table_args__ = (key_index("legal_template", "name_key"),)


class TemplateVersion(Base):
    """One text of a template: HTML with ``{{ field }}`` placeholders, or a .docx (docxtpl) kept in core's
    document store. ``fields`` lists the placeholders a contract must fill (space separated)."""

    __tablename__ = "legal_template_version"
    __table_args__ = (UniqueConstraint("template_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("legal_template.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    format: Mapped[str] = mapped_column(String(8), default="html")
    body: Mapped[str] = mapped_column(Text, default="")
    docx_document_id: Mapped[int | None] = mapped_column(ForeignKey("core_document.id"))
    fields: Mapped[str] = mapped_column(Text, default="")
    clause_codes: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    template: Mapped[Template] = relationship(back_populates="versions")

    @property
    def field_names(self) -> list[str]:
        return self.fields.split()

    @property
    def clause_list(self) -> list[str]:
        return self.clause_codes.split()


class Clause(Base):
    """A reusable clause; templates name it by ``code`` and the text may itself use the contract's fields."""

    __tablename__ = "legal_clause"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Contract(Base):
    __tablename__ = "legal_contract"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    contract_type: Mapped[str] = mapped_column(String(20), index=True)
    status: Mapped[str] = mapped_column(String(12), default="draft", index=True)
    template_version_id: Mapped[int | None] = mapped_column(ForeignKey("legal_template_version.id"))
    loan_id: Mapped[int | None] = mapped_column(ForeignKey("lending_loan.id"), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("lending_customer.id"), index=True)
    counterparty: Mapped[str] = mapped_column(String(200), default="")
    parties: Mapped[str] = mapped_column(Text, default="")
    value: Mapped[Decimal] = mapped_column(Money(), default=ZERO)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"), index=True)
    #: The contract's text: a core document; its versions are the drafts, the approved one and the signed copies.
    document_id: Mapped[int | None] = mapped_column(ForeignKey("core_document.id"))
    #: Which version of the text was approved, and its SHA-256: the frozen text every signature is checked against.
    approved_version: Mapped[int | None] = mapped_column(Integer)
    approved_sha256: Mapped[str] = mapped_column(String(64), default="")
    #: The e-signature provider (a ``legal_signature_gateways`` gateway) and its envelope, while out for signing.
    signature_gateway: Mapped[str] = mapped_column(String(40), default="")
    signature_envelope: Mapped[str] = mapped_column(String(100), default="")
    review_levels: Mapped[int] = mapped_column(Integer, default=1)
    start_date: Mapped[date | None] = mapped_column(Date)
    #: The end of the current term: moved by each renewal. ``first_end_date`` anchors the renewals.
    end_date: Mapped[date | None] = mapped_column(Date, index=True)
    first_end_date: Mapped[date | None] = mapped_column(Date)
    renewal_type: Mapped[str] = mapped_column(String(8), default="none")
    renewal_months: Mapped[int] = mapped_column(Integer, default=12)
    notice_days: Mapped[int] = mapped_column(Integer, default=30)
    renewals: Mapped[int] = mapped_column(Integer, default=0)
    notice_given_on: Mapped[date | None] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    title_key: Mapped[str] = search_key("title", fold, 200)
    counterparty_key: Mapped[str] = search_key("counterparty", fold, 200)

    template_version: Mapped[TemplateVersion | None] = relationship()
    loan: Mapped[Loan | None] = relationship()
    customer: Mapped[Customer | None] = relationship()
    owner: Mapped[User | None] = relationship()
    approvals: Mapped[list[ContractApproval]] = relationship(back_populates="contract",
                                                             order_by="ContractApproval.id")
    signatures: Mapped[list[Signature]] = relationship(back_populates="contract", order_by="Signature.id")

    __table_args__ = (key_index("legal_contract", "title_key"), key_index("legal_contract", "counterparty_key"))

    @property
    def notice_deadline(self) -> date | None:
        """The last day to give notice against renewal: from the **current** end date, never the first one."""
        if self.end_date is None:
            return None
        return self.end_date - timedelta(days=self.notice_days or 0)


class ContractApproval(Base):
    """One reviewer's decision at one level, on the text whose hash is recorded."""

    __tablename__ = "legal_contract_approval"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("legal_contract.id"), index=True)
    level: Mapped[int] = mapped_column(Integer)
    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id"))
    decision: Mapped[str] = mapped_column(String(10))  # approved | rejected
    comment: Mapped[str] = mapped_column(Text, default="")
    text_sha256: Mapped[str] = mapped_column(String(64), default="")
    #: False once the contract went back to review: the decision no longer counts.
    current: Mapped[bool] = mapped_column(Boolean, default=True)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    contract: Mapped[Contract] = relationship(back_populates="approvals")
    user: Mapped[User] = relationship()


class Signature(Base):
    """A party's signed copy: a version of the contract's document, with the hash of the text signed."""

    __tablename__ = "legal_signature"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("legal_contract.id"), index=True)
    party: Mapped[str] = mapped_column(String(200))
    method: Mapped[str] = mapped_column(String(20), default="scan")  # scan | e-signature gateway name
    signed_on: Mapped[date] = mapped_column(Date)
    document_version: Mapped[int] = mapped_column(Integer)
    copy_sha256: Mapped[str] = mapped_column(String(64))
    signed_text_sha256: Mapped[str] = mapped_column(String(64))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))

    contract: Mapped[Contract] = relationship(back_populates="signatures")


class Reminder(Base):
    """A reminder sent to a contract's owner or a matter's lawyer: one per record, kind, deadline and lead time."""

    __tablename__ = "legal_reminder"
    __table_args__ = (UniqueConstraint("entity_type", "entity_id", "kind", "deadline", "days_before"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(30))
    deadline: Mapped[date] = mapped_column(Date, index=True)
    days_before: Mapped[int] = mapped_column(Integer)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"), index=True)
    sent_on: Mapped[date] = mapped_column(Date)
    message_id: Mapped[int | None] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text, default="")


class Seal(Base):
    __tablename__ = "legal_seal"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(24))
    custodian_id: Mapped[int] = mapped_column(ForeignKey("core_user.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: The request under which the seal is out of the office now, if any.
    out_request_id: Mapped[int | None] = mapped_column(Integer)

    custodian: Mapped[User] = relationship()


class SealRequest(Base):
    __tablename__ = "legal_seal_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    seal_id: Mapped[int] = mapped_column(ForeignKey("legal_seal.id"), index=True)
    applicant_id: Mapped[int] = mapped_column(ForeignKey("core_user.id"), index=True)
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("legal_contract.id"), index=True)
    #: The exact text to be sealed: the approved contract's hash, or an uploaded document's version hash.
    document_sha256: Mapped[str] = mapped_column(String(64))
    document_id: Mapped[int | None] = mapped_column(ForeignKey("core_document.id"))
    purpose: Mapped[str] = mapped_column(Text)
    copies: Mapped[int] = mapped_column(Integer, default=1)
    takes_out: Mapped[bool] = mapped_column(Boolean, default=False)
    return_due: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="requested", index=True)
    approver_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str] = mapped_column(Text, default="")
    requested_on: Mapped[date] = mapped_column(Date)

    seal: Mapped[Seal] = relationship()
    applicant: Mapped[User] = relationship(foreign_keys=[applicant_id])
    approver: Mapped[User | None] = relationship(foreign_keys=[approver_id])
    contract: Mapped[Contract | None] = relationship()


class SealUse(Base):
    """The register: who used which seal on what, when; and when a seal taken out came back."""

    __tablename__ = "legal_seal_use"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("legal_seal_request.id"), index=True)
    seal_id: Mapped[int] = mapped_column(ForeignKey("legal_seal.id"), index=True)
    custodian_id: Mapped[int] = mapped_column(ForeignKey("core_user.id"))
    used_on: Mapped[date] = mapped_column(Date, index=True)
    copies: Mapped[int] = mapped_column(Integer)
    document_sha256: Mapped[str] = mapped_column(String(64))
    taken_out: Mapped[bool] = mapped_column(Boolean, default=False)
    return_due: Mapped[date | None] = mapped_column(Date)
    returned_on: Mapped[date | None] = mapped_column(Date)

    request: Mapped[SealRequest] = relationship()
    seal: Mapped[Seal] = relationship()


class Body(Base):
    """A court or an arbitration commission, in a jurisdiction whose periods are settings."""

    __tablename__ = "legal_body"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(12))
    jurisdiction: Mapped[str] = mapped_column(String(20), default="default")


class Matter(Base):
    __tablename__ = "legal_matter"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(12), default="litigation")
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(12), default="preparing", index=True)
    loan_id: Mapped[int | None] = mapped_column(ForeignKey("lending_loan.id"), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("lending_customer.id"), index=True)
    #: The collections case it came from (a plain id: collections is optional).
    collections_case_id: Mapped[int | None] = mapped_column(Integer, unique=True)
    body_id: Mapped[int | None] = mapped_column(ForeignKey("legal_body.id"), index=True)
    case_number: Mapped[str] = mapped_column(String(100), default="")
    claim_principal: Mapped[Decimal] = mapped_column(Money(), default=ZERO)
    claim_interest: Mapped[Decimal] = mapped_column(Money(), default=ZERO)
    claim_penalties: Mapped[Decimal] = mapped_column(Money(), default=ZERO)
    claim_costs: Mapped[Decimal] = mapped_column(Money(), default=ZERO)
    outside_counsel: Mapped[str] = mapped_column(String(200), default="")
    fees: Mapped[Decimal] = mapped_column(Money(), default=ZERO)
    costs: Mapped[Decimal] = mapped_column(Money(), default=ZERO)
    lawyer_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"), index=True)
    opened_on: Mapped[date] = mapped_column(Date)
    judgment_on: Mapped[date | None] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)
    outcome: Mapped[str] = mapped_column(Text, default="")
    awarded: Mapped[Decimal] = mapped_column(Money(), default=ZERO)
    recovered: Mapped[Decimal] = mapped_column(Money(), default=ZERO)
    title_key: Mapped[str] = search_key("title", fold, 200)

    loan: Mapped[Loan | None] = relationship()
    customer: Mapped[Customer | None] = relationship()
    body: Mapped[Body | None] = relationship()
    lawyer: Mapped[User | None] = relationship()
    events: Mapped[list[MatterEvent]] = relationship(back_populates="matter", order_by="MatterEvent.due_on")

    __table_args__ = (key_index("legal_matter", "title_key"),)

    @property
    def claim_total(self) -> Decimal:
        return self.claim_principal + self.claim_interest + self.claim_penalties + self.claim_costs


class MatterEvent(Base):
    """A hearing or a deadline on a matter's calendar."""

    __tablename__ = "legal_matter_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    matter_id: Mapped[int] = mapped_column(ForeignKey("legal_matter.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    title: Mapped[str] = mapped_column(String(200), default="")
    due_on: Mapped[date] = mapped_column(Date, index=True)
    done: Mapped[bool] = mapped_column(Boolean, default=False)

    matter: Mapped[Matter] = relationship(back_populates="events")


class MatterRecovery(Base):
    """Money recovered through a matter, posted to the loan as a lending repayment."""

    __tablename__ = "legal_matter_recovery"

    id: Mapped[int] = mapped_column(primary_key=True)
    matter_id: Mapped[int] = mapped_column(ForeignKey("legal_matter.id"), index=True)
    repayment_id: Mapped[int] = mapped_column(ForeignKey("lending_repayment.id"), unique=True)
    amount: Mapped[Decimal] = mapped_column(Money())
    paid_on: Mapped[date] = mapped_column(Date)


class Opinion(Base):
    """A department's question to legal, answered by a lawyer (the opinion document in the documents panel)."""

    __tablename__ = "legal_opinion"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(String(200))
    question: Mapped[str] = mapped_column(Text)
    department: Mapped[str] = mapped_column(String(60), default="")
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    entity_type: Mapped[str] = mapped_column(String(40), default="")
    entity_id: Mapped[str] = mapped_column(String(40), default="")
    due_on: Mapped[date | None] = mapped_column(Date, index=True)
    lawyer_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="requested", index=True)
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_on: Mapped[date | None] = mapped_column(Date)
    subject_key: Mapped[str] = search_key("subject", fold, 200)

    lawyer: Mapped[User | None] = relationship(foreign_keys=[lawyer_id])
    requested_by: Mapped[User | None] = relationship(foreign_keys=[requested_by_id])

    __table_args__ = (key_index("legal_opinion", "subject_key"),)

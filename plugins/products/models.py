"""Loan products and their versions.

A product is what people name ("Salary advance 12m"); its terms live in
versions. A draft's single version is edited in place; once a product is
active, every change of terms adds a version, so a loan made under version 2
keeps version 2's terms whatever happens later.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.models.meta import Base, Money, Rate, UTCDateTime, utcnow
from core.search import fold, key_index, search_key
from plugins.products.i18n import _

STATUSES = ("draft", "active", "retired")
DAY_COUNTS = ("actual/365", "30/360")
ALLOCATION_PARTS = ("penalty", "fee", "interest", "principal")

#: The words of the stored codes, shown with ``h.label(code, "products")`` (the msgid is the code, "_" -> " ").
STATUS_WORDS = {"draft": _("draft"), "active": _("active"), "retired": _("retired")}
DAY_COUNT_WORDS = {"actual/365": _("actual/365"), "30/360": _("30/360")}
ALLOCATION_WORDS = {"penalty": _("penalty"), "fee": _("fee"), "interest": _("interest"),
                    "principal": _("principal")}
DEFAULT_ALLOCATION = ",".join(ALLOCATION_PARTS)

#: The version columns that are terms (copied into a new version, compared on edit).
TERM_FIELDS = (
    "min_amount", "max_amount", "min_term_months", "max_term_months", "default_rate", "min_rate", "max_rate",
    "repayment_method", "day_count", "origination_fee_rate", "penalty_daily_rate", "grace_days",
    "service_fee_rate", "min_investment", "investment_increment", "funding_window_days", "allocation_order",
)


class LoanProduct(Base):
    __tablename__ = "products_product"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # What the products list and the global search compare (core.search); products_0002 made them.
    code_key: Mapped[str] = search_key("code", fold, 32)
    name_key: Mapped[str] = search_key("name", fold, 200)

    __table_args__ = (key_index("products_product", "code_key"), key_index("products_product", "name_key"))

    versions: Mapped[list[ProductVersion]] = relationship(
        back_populates="product", order_by="ProductVersion.number", cascade="all, delete-orphan")

    @property
    def current_version(self) -> ProductVersion | None:
        """The version with the highest number: the terms in force."""
        return self.versions[-1] if self.versions else None

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class ProductVersion(Base):
    __tablename__ = "products_version"
    __table_args__ = (UniqueConstraint("product_id", "number", name="uq_products_version_product_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products_product.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    min_amount: Mapped[Decimal] = mapped_column(Money())
    max_amount: Mapped[Decimal] = mapped_column(Money())
    min_term_months: Mapped[int] = mapped_column(Integer)
    max_term_months: Mapped[int] = mapped_column(Integer)
    default_rate: Mapped[Decimal] = mapped_column(Rate())
    min_rate: Mapped[Decimal] = mapped_column(Rate())
    max_rate: Mapped[Decimal] = mapped_column(Rate())
    repayment_method: Mapped[str] = mapped_column(String(32))
    day_count: Mapped[str] = mapped_column(String(16), default="actual/365")
    origination_fee_rate: Mapped[Decimal] = mapped_column(Rate(), default=Decimal("0"))
    penalty_daily_rate: Mapped[Decimal] = mapped_column(Rate(), default=Decimal("0"))
    grace_days: Mapped[int] = mapped_column(Integer, default=0)
    service_fee_rate: Mapped[Decimal] = mapped_column(Rate(), default=Decimal("0"))
    min_investment: Mapped[Decimal] = mapped_column(Money())
    investment_increment: Mapped[Decimal] = mapped_column(Money())
    funding_window_days: Mapped[int] = mapped_column(Integer)
    allocation_order: Mapped[str] = mapped_column(String(64), default=DEFAULT_ALLOCATION)

    product: Mapped[LoanProduct] = relationship(back_populates="versions")

    @property
    def allocation(self) -> tuple[str, ...]:
        """The order in which a payment settles what is due, e.g. ('penalty', 'fee', 'interest', 'principal')."""
        return tuple(part.strip() for part in (self.allocation_order or DEFAULT_ALLOCATION).split(","))

    @property
    def label(self) -> str:
        return f"{self.product.code} v{self.number}"

    def terms(self) -> dict:
        """The terms as a dict (field -> value), e.g. to copy them into a new version."""
        return {name: getattr(self, name) for name in TERM_FIELDS}

    def __str__(self) -> str:
        return self.label

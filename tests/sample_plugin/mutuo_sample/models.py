from decimal import Decimal

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.models.meta import Base, Money


class Note(Base):
    __tablename__ = "sample_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    amount: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"), index=True)

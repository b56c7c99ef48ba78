"""Small facts the platform remembers between starts (demo loaded, plugins last seen)."""
from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.models.meta import Base


class PlatformState(Base):
    __tablename__ = "core_state"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text, default="")

"""The append-only, hash-chained audit log."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, SmallInteger, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from core.models.meta import Base, UTCDateTime


class AuditEntry(Base):
    __tablename__ = "core_audit_entry"
    __audit__ = False  # the log does not log itself
    __table_args__ = (Index("ix_core_audit_entry_entity", "entity_type", "entity_id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor_id: Mapped[int | None] = mapped_column(Integer)
    # No index on actor or action: each would cost every write more than the
    # rare filter saves; the browser narrows by date (indexed) or entity first.
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(40))
    entity_type: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    #: Canonical JSON ({field: [old, new]} or event data), hashed as stored.
    changes: Mapped[str] = mapped_column(Text, default="{}")
    request_id: Mapped[str | None] = mapped_column(String(64))
    client_addr: Mapped[str | None] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    #: How ``hash`` was made: 1 = HMAC under mutuo.audit_key, 0 = plain SHA-256 (entries from before the key).
    key_version: Mapped[int] = mapped_column(SmallInteger, default=0, server_default=text("0"))

"""The one declarative Base, its naming convention and shared column types."""
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import DateTime, MetaData, Numeric, TypeDecorator
from sqlalchemy.orm import DeclarativeBase

from core.replay import utcnow as replay_now

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime stored; use core.models.meta.utcnow()")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


def Money():
    """Money column type: Decimal, 18 digits, 2 places."""
    return Numeric(18, 2, asdecimal=True)


def Rate():
    """Rate column type: a Decimal fraction (0.12 = 12 %)."""
    return Numeric(9, 6, asdecimal=True)


def utcnow() -> datetime:
    """Now in UTC; a replay of history (``core.replay.replay``, the demo) gives the replayed day's time."""
    return replay_now()


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime, Decimal: Numeric(18, 2)}

    #: Fields never written to the audit log (hashes, tokens).
    __audit_secret__: tuple[str, ...] = ()
    #: Technical tables (audit itself, job heartbeats) opt out of auditing.
    __audit__: bool = True

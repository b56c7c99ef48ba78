"""Users, roles, the permissions roles hold, and personal API keys."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Column, ForeignKey, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.models.meta import Base, UTCDateTime, utcnow

user_role = Table(
    "core_user_role",
    Base.metadata,
    Column("user_id", ForeignKey("core_user.id", ondelete="CASCADE"), primary_key=True),
    Column("role_id", ForeignKey("core_role.id", ondelete="CASCADE"), primary_key=True),
)


class User(Base):
    __tablename__ = "core_user"
    __audit_secret__ = ("password_hash", "security_stamp")

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(255), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_login: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Changes whenever sessions must end (deactivation, password change).
    security_stamp: Mapped[str] = mapped_column(String(64), default="")
    region: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    roles: Mapped[list[Role]] = relationship(secondary=user_role, back_populates="users", order_by="Role.name")

    def __str__(self):
        return self.username


class Role(Base):
    __tablename__ = "core_role"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    builtin: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Which plugin declared it (None for roles admins created).
    plugin: Mapped[str | None] = mapped_column(String(64))

    users: Mapped[list[User]] = relationship(secondary=user_role, back_populates="roles", order_by="User.username")
    grants: Mapped[list[RolePermission]] = relationship(
        back_populates="role", cascade="all, delete-orphan", order_by="RolePermission.permission"
    )

    @property
    def permissions(self) -> set[str]:
        return {g.permission for g in self.grants}

    def __str__(self):
        return self.name


class RolePermission(Base):
    """A permission a role holds; declared permissions are strings, not rows."""

    __tablename__ = "core_role_permission"

    role_id: Mapped[int] = mapped_column(ForeignKey("core_role.id", ondelete="CASCADE"), primary_key=True)
    permission: Mapped[str] = mapped_column(String(128), primary_key=True)
    role: Mapped[Role] = relationship(back_populates="grants")


class SeededPermission(Base):
    """Which declared permission was already added to which default role.

    Lets ``db upgrade`` add *new* permissions to default roles without
    re-adding one an admin deliberately removed.
    """

    __tablename__ = "core_seeded_permission"
    __table_args__ = (UniqueConstraint("role_name", "permission"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    role_name: Mapped[str] = mapped_column(String(64))
    permission: Mapped[str] = mapped_column(String(128))


class ApiKey(Base):
    __tablename__ = "core_api_key"
    __audit_secret__ = ("key_hash",)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(12), index=True)
    key_hash: Mapped[str] = mapped_column(String(128), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

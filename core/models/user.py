"""Users, roles, the permissions roles hold, personal API keys, sessions and login throttles."""
from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import Boolean, Column, ForeignKey, Integer, PrimaryKeyConstraint, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core import search
from core.models.meta import Base, UTCDateTime, utcnow
from core.search import fold, key_index, search_key


def new_stamp() -> str:
    """A fresh security stamp (core.stamps): random, so a rebuilt database never repeats an old one."""
    return secrets.token_hex(8)


user_role = Table(
    "core_user_role",
    Base.metadata,
    Column("user_id", ForeignKey("core_user.id", ondelete="CASCADE"), primary_key=True),
    Column("role_id", ForeignKey("core_role.id", ondelete="CASCADE"), primary_key=True),
)


class User(Base):
    __tablename__ = "core_user"
    __audit_secret__ = ("password_hash",)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(255), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_login: Mapped[datetime | None] = mapped_column(UTCDateTime)
    region: Mapped[str] = mapped_column(String(100), default="")
    #: The language the user chose on the account page (None: the browser's, else the company's).
    locale: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Changes with the user's roles or active flag (core.stamps); cached permission sets are keyed by it.
    #: Not audited: the change that moved it is.
    security_stamp: Mapped[str] = mapped_column(String(32), default=new_stamp, server_default="",
                                                info={"audit": False})
    # What the users list and the global search compare (core.search); c0008 made them.
    username_key: Mapped[str] = search_key("username", fold, 64)
    full_name_key: Mapped[str] = search_key("full_name", fold, 200)
    email_key: Mapped[str] = search_key("email", search.email, 200)  # the module's: ``email`` is a column here

    __table_args__ = tuple(key_index("core_user", k) for k in ("username_key", "full_name_key", "email_key"))

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
    last_used_ip: Mapped[str | None] = mapped_column(String(64))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Space-separated permission names the key may use (never more than its user holds).
    scope: Mapped[str] = mapped_column(Text, default="")
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    @property
    def scopes(self) -> frozenset[str]:
        return frozenset(self.scope.split())

    def usable_at(self, when: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > when)


class UserSession(Base):
    """A server-side login session; the signed cookie carries only its random token.

    ``id`` is the SHA-256 of the token, so a read of this table does not hand out
    live sessions. Not audited row by row (``last_seen`` moves): logins, logouts
    and revocations are recorded as audit events instead.
    """

    __tablename__ = "core_session"
    __audit__ = False

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ip: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(200), default="")
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    #: Not a column: the global security stamp read with this row by ``core.sessions.find_session``
    #: (None when the row was not loaded that way, e.g. at login: then nothing is cached).
    global_stamp = None

    def security_key(self) -> tuple | None:
        """(user id, user stamp, global stamp): what a cached permission set is valid for, if known."""
        if self.global_stamp is None:
            return None
        return (self.user_id, self.user.security_stamp, self.global_stamp)


class LoginThrottle(Base):
    """Failed-login attempts per (lower-cased username, client address).

    Counted with one atomic UPDATE before the password is checked (see
    ``core.throttle``); the row is deleted when that pair logs in. Usernames
    that do not exist are throttled alike, so the answer never tells them apart.
    """

    __tablename__ = "core_login_throttle"
    __audit__ = False
    __table_args__ = (PrimaryKeyConstraint("username", "client_addr"),)

    username: Mapped[str] = mapped_column(String(64))
    client_addr: Mapped[str] = mapped_column(String(64))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

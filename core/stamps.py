"""Security stamps: what a cached permission set is checked against.

Every user carries ``security_stamp`` (a random token), and the platform one global stamp
(``core_state`` key ``security_stamp``). A user's stamp changes whenever their roles or their
active flag change; the global stamp whenever a role or a role's grants change (which may concern
any number of users). The session lookup (:func:`core.sessions.find_session`) reads both in its
own statement, so the web can keep each user's permission set and visible menu in process memory,
keyed by (user, user stamp, global stamp, plugin set): a plain GET no longer runs the role-grants
query, and a change made by any process is seen by every other one at its next request, because
the stamps live in the database.

One ``before_flush`` listener bumps the stamps, so every way of changing roles, grants or the active
flag through the ORM (the services in :mod:`core.accounts`, the admin pages, ``mutuo users/roles``,
``sync_default_roles``, a test building users) is covered in one place, in the same transaction as
the change: a rolled-back change leaves the stamps as they were. Stamps are random, not counters,
so a wiped-and-rebuilt database (tests) never hands a new user an old user's cached entry.

Writing ``core_user_role`` or ``core_role_permission`` with Core statements bypasses the listener:
call :func:`bump_global_stamp` yourself.
"""
from __future__ import annotations

from sqlalchemy import event, insert, select, update
from sqlalchemy.orm import Session, attributes

from core.models.state import PlatformState
from core.models.user import Role, RolePermission, User, new_stamp

GLOBAL_KEY = "security_stamp"


def global_stamp_column():
    """A scalar sub-select of the global stamp, to add to another statement (None when never bumped)."""
    return (select(PlatformState.value).where(PlatformState.key == GLOBAL_KEY)
            .scalar_subquery().label("global_security_stamp"))


def bump_global_stamp(session) -> str:
    """A new global stamp: every cached permission set is stale from this transaction's commit on."""
    stamp = new_stamp()
    conn = session.connection()  # Core statements on the connection: no ORM flush, no audit of the row
    done = conn.execute(update(PlatformState).where(PlatformState.key == GLOBAL_KEY).values(value=stamp)).rowcount
    if not done:
        conn.execute(insert(PlatformState).values(key=GLOBAL_KEY, value=stamp))
    return stamp


def _changed(obj, *keys) -> bool:
    return any(attributes.get_history(obj, key).has_changes() for key in keys)


def _before_flush(session, _flush_context, _instances):
    bump = False
    for obj in session.new:
        if isinstance(obj, User):
            if not obj.security_stamp:
                obj.security_stamp = new_stamp()
        elif isinstance(obj, (Role, RolePermission)):
            bump = True
    for obj in session.dirty:
        if isinstance(obj, User):
            if _changed(obj, "roles", "active"):
                obj.security_stamp = new_stamp()
        elif isinstance(obj, RolePermission) or (isinstance(obj, Role) and _changed(obj, "grants", "users", "name")):
            bump = True
    for obj in session.deleted:
        if isinstance(obj, (Role, RolePermission)):
            bump = True
    if bump:
        bump_global_stamp(session)


def install(session_class=Session) -> None:
    """Attach the stamp listener to every session of ``session_class`` (once)."""
    if not event.contains(session_class, "before_flush", _before_flush):
        event.listen(session_class, "before_flush", _before_flush)

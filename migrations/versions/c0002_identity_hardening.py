"""identity hardening: server-side sessions, login throttles, scoped API keys

Revision ID: c0002
Revises: c0001
Create Date: 2026-11-29 15:40:00

- core_session: server-side sessions (logout, password change, deactivation end them at once).
- core_login_throttle: failed logins per (username, client address), counted atomically;
  replaces the per-account lock (core_user.failed_logins, locked_until).
- core_user.security_stamp goes: the session table is the one revocation mechanism.
- core_api_key: scope, expiry, last-used address.
- core_audit_entry.request_id widens to 64 (client X-Request-Id of up to 64 checked characters).
"""
from alembic import op
import sqlalchemy as sa

import core.models.meta


revision = "c0002"
down_revision = "c0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "core_session",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", core.models.meta.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen", core.models.meta.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ip", sa.String(length=64), nullable=False),
        sa.Column("user_agent", sa.String(length=200), nullable=False),
        sa.Column("revoked_at", core.models.meta.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["core_user.id"], name=op.f("fk_core_session_user_id_core_user"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_session")),
    )
    with op.batch_alter_table("core_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_core_session_user_id"), ["user_id"], unique=False)

    op.create_table(
        "core_login_throttle",
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("client_addr", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", core.models.meta.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_attempt_at", core.models.meta.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("username", "client_addr", name=op.f("pk_core_login_throttle")),
    )

    with op.batch_alter_table("core_api_key", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_used_ip", sa.String(length=64), nullable=True))
        # Keys made before scopes existed get an empty scope: they hold no permission until reissued.
        batch_op.add_column(sa.Column("scope", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("expires_at", core.models.meta.UTCDateTime(timezone=True), nullable=True))
    with op.batch_alter_table("core_api_key", schema=None) as batch_op:
        batch_op.alter_column("scope", server_default=None)

    with op.batch_alter_table("core_user", schema=None) as batch_op:
        batch_op.drop_column("failed_logins")
        batch_op.drop_column("locked_until")
        batch_op.drop_column("security_stamp")

    with op.batch_alter_table("core_audit_entry", schema=None) as batch_op:
        batch_op.alter_column("request_id", existing_type=sa.String(length=36), type_=sa.String(length=64),
                              existing_nullable=True)


def downgrade():
    with op.batch_alter_table("core_audit_entry", schema=None) as batch_op:
        batch_op.alter_column("request_id", existing_type=sa.String(length=64), type_=sa.String(length=36),
                              existing_nullable=True)
    with op.batch_alter_table("core_user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("security_stamp", sa.String(length=64), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("locked_until", core.models.meta.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("core_api_key", schema=None) as batch_op:
        batch_op.drop_column("expires_at")
        batch_op.drop_column("scope")
        batch_op.drop_column("last_used_ip")
    op.drop_table("core_login_throttle")
    with op.batch_alter_table("core_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_core_session_user_id"))
    op.drop_table("core_session")

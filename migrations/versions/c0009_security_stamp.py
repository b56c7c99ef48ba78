"""core: core_user.security_stamp, what cached permission sets are checked against (core.stamps)

Revision ID: c0009
Revises: c0008
Create Date: 2026-11-30

A user's stamp changes with their roles or active flag; the global stamp (``core_state`` key
``security_stamp``) with any role's grants. The session lookup reads both, so the web caches each
user's permission set and menu per stamp instead of reading the role grants on every request.
"""
from alembic import op
import sqlalchemy as sa

revision = "c0009"
down_revision = "c0008"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("core_user") as batch:
        batch.add_column(sa.Column("security_stamp", sa.String(length=32), nullable=False, server_default=""))
    # Distinct per existing user (the cache is keyed by user id too; this only avoids '' for everyone).
    op.execute("UPDATE core_user SET security_stamp = 'm' || CAST(id AS VARCHAR(20))")


def downgrade():
    with op.batch_alter_table("core_user") as batch:
        batch.drop_column("security_stamp")

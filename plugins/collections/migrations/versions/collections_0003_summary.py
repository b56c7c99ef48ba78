"""collections: collections_summary, open cases and overdue amount per stage kept up to date

Revision ID: collections_0003
Revises: collections_0002
Create Date: 2026-11-30

The dashboard's "cases by stage" read this small table (plugins.collections.summary) instead of
grouping every open case per view. Created empty: the first read counts it.
"""
from alembic import op
import sqlalchemy as sa

revision = "collections_0003"
down_revision = "collections_0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "collections_summary",
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Numeric(18, 2), nullable=False),
        sa.Column("amount2", sa.Numeric(18, 2), nullable=False),
        sa.PrimaryKeyConstraint("kind", "key", name=op.f("pk_collections_summary")),
    )


def downgrade():
    op.drop_table("collections_summary")

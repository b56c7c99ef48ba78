"""lending: lending_summary, the dashboard's totals kept up to date (plugins.lending.summary)

Revision ID: lending_0004
Revises: lending_0003
Create Date: 2026-11-30

Principal outstanding and loans per delinquency bucket, applications per open status with the
amounts asked and invested: maintained by the services' flushes and recounted by close of business,
so the home dashboard no longer scans every loan, installment and investment per view. Created
empty: the first read counts it.
"""
from alembic import op
import sqlalchemy as sa

revision = "lending_0004"
down_revision = "lending_0003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "lending_summary",
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Numeric(18, 2), nullable=False),
        sa.Column("amount2", sa.Numeric(18, 2), nullable=False),
        sa.PrimaryKeyConstraint("kind", "key", name=op.f("pk_lending_summary")),
    )


def downgrade():
    op.drop_table("lending_summary")

"""sample: notes

Revision ID: s0001
Revises:
Create Date: 2026-11-28
"""
from alembic import op
import sqlalchemy as sa

revision = "s0001"
down_revision = None
branch_labels = ("sample",)
depends_on = "c0001"


def upgrade():
    op.create_table(
        "sample_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["owner_id"], ["core_user.id"], name=op.f("fk_sample_note_owner_id_core_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sample_note")),
    )
    op.create_index(op.f("ix_sample_note_owner_id"), "sample_note", ["owner_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_sample_note_owner_id"), table_name="sample_note")
    op.drop_table("sample_note")

"""core: core_user.locale, the language a user chose (None: the browser's, else the company default)

Revision ID: c0005
Revises: c0004
Create Date: 2026-11-29 18:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'c0005'
down_revision = 'c0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('core_user') as batch:
        batch.add_column(sa.Column('locale', sa.String(length=16), nullable=True))


def downgrade():
    with op.batch_alter_table('core_user') as batch:
        batch.drop_column('locale')

"""crm agreement status and contract reference (a partner agreement made a legal contract)

Revision ID: crm_0002
Revises: crm_0001
Create Date: 2026-11-30 01:45:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'crm_0002'
down_revision = 'crm_0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('crm_agreement') as batch:
        batch.add_column(sa.Column('status', sa.String(length=12), server_default='draft', nullable=False))
        batch.add_column(sa.Column('contract_ref', sa.String(length=60), server_default='', nullable=False))
        batch.create_index('ix_crm_agreement_contract_ref', ['contract_ref'], unique=False)
    # agreements recorded before: signed on paper ones are in force
    op.execute("UPDATE crm_agreement SET status = 'active' WHERE signed_on IS NOT NULL")


def downgrade():
    with op.batch_alter_table('crm_agreement') as batch:
        batch.drop_index('ix_crm_agreement_contract_ref')
        batch.drop_column('contract_ref')
        batch.drop_column('status')

"""promotions and their redemptions

Revision ID: marketing_0003
Revises: marketing_0002
Create Date: 2026-11-30 01:50:00
"""
from alembic import op
import sqlalchemy as sa

import core.models.meta  # noqa: F401  (UTCDateTime)


revision = 'marketing_0003'
down_revision = 'marketing_0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('marketing_promotion',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('rate', sa.Numeric(precision=9, scale=6), nullable=True),
    sa.Column('amount', sa.Numeric(precision=18, scale=2), nullable=True),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_to', sa.Date(), nullable=False),
    sa.Column('role', sa.String(length=10), nullable=False),
    sa.Column('verified_only', sa.Boolean(), nullable=False),
    sa.Column('global_limit', sa.Integer(), nullable=True),
    sa.Column('per_customer_limit', sa.Integer(), nullable=False),
    sa.Column('created_at', core.models.meta.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('rate IS NOT NULL OR amount IS NOT NULL', name=op.f('ck_marketing_promotion_rate_or_amount')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_marketing_promotion')),
    sa.UniqueConstraint('code', name=op.f('uq_marketing_promotion_code'))
    )
    with op.batch_alter_table('marketing_promotion', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_marketing_promotion_valid_from'), ['valid_from'], unique=False)
        batch_op.create_index(batch_op.f('ix_marketing_promotion_valid_to'), ['valid_to'], unique=False)
    op.create_table('marketing_redemption',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('promotion_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('slot', sa.Integer(), nullable=False),
    sa.Column('customer_slot', sa.Integer(), nullable=False),
    sa.Column('fee', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('discount', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('redeemed_on', sa.Date(), nullable=False),
    sa.Column('created_at', core.models.meta.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('slot >= 1 AND customer_slot >= 1', name=op.f('ck_marketing_redemption_slots_positive')),
    sa.ForeignKeyConstraint(['application_id'], ['lending_application.id'], name=op.f('fk_marketing_redemption_application_id_lending_application')),
    sa.ForeignKeyConstraint(['customer_id'], ['lending_customer.id'], name=op.f('fk_marketing_redemption_customer_id_lending_customer')),
    sa.ForeignKeyConstraint(['promotion_id'], ['marketing_promotion.id'], name=op.f('fk_marketing_redemption_promotion_id_marketing_promotion')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_marketing_redemption')),
    sa.UniqueConstraint('promotion_id', 'slot', name='uq_marketing_redemption_slot'),
    sa.UniqueConstraint('promotion_id', 'customer_id', 'customer_slot', name='uq_marketing_redemption_customer_slot')
    )
    with op.batch_alter_table('marketing_redemption', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_marketing_redemption_application_id'), ['application_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_marketing_redemption_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_marketing_redemption_redeemed_on'), ['redeemed_on'], unique=False)


def downgrade():
    op.drop_table('marketing_redemption')
    op.drop_table('marketing_promotion')

"""core: the JSON API's idempotency keys, webhook endpoints and deliveries

Revision ID: c0006
Revises: c0005
Create Date: 2026-11-29 18:40:00
"""
from alembic import op
import sqlalchemy as sa

from core.models.meta import UTCDateTime


revision = 'c0006'
down_revision = 'c0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'core_api_idempotency',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=255), nullable=False),
        sa.Column('method', sa.String(length=10), nullable=False),
        sa.Column('path', sa.String(length=500), nullable=False),
        sa.Column('body_hash', sa.String(length=64), nullable=False),
        sa.Column('status', sa.Integer(), nullable=True),
        sa.Column('response_body', sa.Text(), nullable=True),
        sa.Column('location', sa.String(length=500), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('expires_at', UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_core_api_idempotency')),
        sa.UniqueConstraint('user_id', 'key', name='uq_core_api_idempotency_user_key'),
    )
    op.create_index('ix_core_api_idempotency_expires_at', 'core_api_idempotency', ['expires_at'])
    op.create_table(
        'core_webhook_endpoint',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('url', sa.String(length=500), nullable=False),
        sa.Column('description', sa.String(length=200), nullable=False),
        sa.Column('events', sa.Text(), nullable=False),
        sa.Column('secret', sa.String(length=100), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('created_by', sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_core_webhook_endpoint')),
    )
    op.create_table(
        'core_webhook_delivery',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('endpoint_id', sa.Integer(), nullable=False),
        sa.Column('event', sa.String(length=100), nullable=False),
        sa.Column('event_id', sa.String(length=40), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', UTCDateTime(), nullable=True),
        sa.Column('last_attempt_at', UTCDateTime(), nullable=True),
        sa.Column('response_code', sa.Integer(), nullable=True),
        sa.Column('last_error', sa.String(length=500), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['endpoint_id'], ['core_webhook_endpoint.id'],
                                name=op.f('fk_core_webhook_delivery_endpoint_id_core_webhook_endpoint'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_core_webhook_delivery')),
    )
    op.create_index('ix_core_webhook_delivery_endpoint_id', 'core_webhook_delivery', ['endpoint_id'])
    op.create_index('ix_core_webhook_delivery_status_next', 'core_webhook_delivery', ['status', 'next_attempt_at'])


def downgrade():
    op.drop_table('core_webhook_delivery')
    op.drop_table('core_webhook_endpoint')
    op.drop_table('core_api_idempotency')

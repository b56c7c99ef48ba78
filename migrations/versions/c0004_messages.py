"""core messages: core_message (outbox, delivery status, retries) and core_message_consent

Revision ID: c0004
Revises: c0003
Create Date: 2026-11-29 15:50:00
"""
from alembic import op
import sqlalchemy as sa

import core.models.meta


revision = 'c0004'
down_revision = 'c0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('core_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=8), nullable=False),
    sa.Column('address', sa.String(length=200), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', core.models.meta.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_attempt_at', core.models.meta.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.Column('gateway', sa.String(length=60), nullable=False),
    sa.Column('provider_ref', sa.String(length=100), nullable=False),
    sa.Column('sender', sa.String(length=40), nullable=False),
    sa.Column('entity_type', sa.String(length=64), nullable=True),
    sa.Column('entity_id', sa.Integer(), nullable=True),
    sa.Column('sender_ref', sa.String(length=100), nullable=False),
    sa.Column('created_at', core.models.meta.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', core.models.meta.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_message'))
    )
    with op.batch_alter_table('core_message', schema=None) as batch_op:
        batch_op.create_index('ix_core_message_entity', ['entity_type', 'entity_id'], unique=False)
        batch_op.create_index('ix_core_message_gateway_attempt', ['gateway', 'last_attempt_at'], unique=False)
        batch_op.create_index('ix_core_message_status_next', ['status', 'next_attempt_at'], unique=False)

    op.create_table('core_message_consent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=8), nullable=False),
    sa.Column('address', sa.String(length=200), nullable=False),
    sa.Column('entity_type', sa.String(length=64), nullable=True),
    sa.Column('entity_id', sa.Integer(), nullable=True),
    sa.Column('opted_out_at', core.models.meta.UTCDateTime(timezone=True), nullable=True),
    sa.Column('source', sa.String(length=60), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('updated_at', core.models.meta.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_message_consent')),
    sa.UniqueConstraint('channel', 'address', name=op.f('uq_core_message_consent_channel'))
    )


def downgrade():
    op.drop_table('core_message_consent')
    with op.batch_alter_table('core_message', schema=None) as batch_op:
        batch_op.drop_index('ix_core_message_status_next')
        batch_op.drop_index('ix_core_message_gateway_attempt')
        batch_op.drop_index('ix_core_message_entity')
    op.drop_table('core_message')

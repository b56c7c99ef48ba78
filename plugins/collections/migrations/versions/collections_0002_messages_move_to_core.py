"""collections: the outbox moves to core's messages (copy collections_outbox into core_message, drop it)

Every row is copied before the table is dropped — nothing is lost: the case
becomes ``entity_type='collections.case'``/``entity_id``, the contact or
action item it came from ``sender_ref`` ('contact:12', 'action_item:34'),
``recipient`` the ``address`` and ``error`` the ``last_error``. A message
already handed to a gateway counts one attempt. Queued messages stay queued
and are due at once: core's delivery job sends them. Downgrading copies
collections' messages back and removes them from core_message.

Revision ID: collections_0002
Revises: collections_0001
Create Date: 2026-11-29 16:00:00
"""
from alembic import op
import sqlalchemy as sa

import core.models.meta  # noqa: F401  (UTCDateTime)


revision = 'collections_0002'
down_revision = 'collections_0001'
branch_labels = None
depends_on = 'c0004'

SENDER_REF = ("CASE WHEN contact_id IS NOT NULL THEN 'contact:' || CAST(contact_id AS VARCHAR(20)) "
              "WHEN action_item_id IS NOT NULL THEN 'action_item:' || CAST(action_item_id AS VARCHAR(20)) "
              "ELSE '' END")


def upgrade():
    op.execute(
        "INSERT INTO core_message (channel, address, subject, body, status, attempts, next_attempt_at, "
        "last_attempt_at, last_error, gateway, provider_ref, sender, entity_type, entity_id, sender_ref, "
        "created_at, sent_at) "
        "SELECT channel, recipient, '', body, status, "
        "CASE WHEN status IN ('sent', 'failed') THEN 1 ELSE 0 END, "
        "CASE WHEN status = 'queued' THEN created_at END, "
        "CASE WHEN status IN ('sent', 'failed') THEN COALESCE(sent_at, created_at) END, "
        "error, '', provider_ref, 'collections', 'collections.case', case_id, " + SENDER_REF + ", "
        "created_at, sent_at FROM collections_outbox ORDER BY id")
    with op.batch_alter_table('collections_outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_collections_outbox_status')
        batch_op.drop_index(batch_op.f('ix_collections_outbox_case_id'))
    op.drop_table('collections_outbox')


def downgrade():
    op.create_table('collections_outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('action_item_id', sa.Integer(), nullable=True),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('channel', sa.String(length=8), nullable=False),
    sa.Column('recipient', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('provider_ref', sa.String(length=100), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('created_at', core.models.meta.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', core.models.meta.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['collections_case.id'], name=op.f('fk_collections_outbox_case_id_collections_case')),
    sa.ForeignKeyConstraint(['contact_id'], ['collections_contact.id'], name=op.f('fk_collections_outbox_contact_id_collections_contact')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_collections_outbox'))
    )
    with op.batch_alter_table('collections_outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_collections_outbox_case_id'), ['case_id'], unique=False)
        batch_op.create_index('ix_collections_outbox_status', ['status', 'id'], unique=False)
    # 'suppressed' did not exist before: such a message was never sent, the old outbox calls it 'failed'.
    op.execute(
        "INSERT INTO collections_outbox (case_id, action_item_id, contact_id, channel, recipient, body, status, "
        "provider_ref, error, created_at, sent_at) "
        "SELECT entity_id, "
        "CASE WHEN sender_ref LIKE 'action_item:%' THEN CAST(SUBSTR(sender_ref, 13) AS INTEGER) END, "
        "CASE WHEN sender_ref LIKE 'contact:%' THEN CAST(SUBSTR(sender_ref, 9) AS INTEGER) END, "
        "channel, address, body, CASE WHEN status = 'suppressed' THEN 'failed' ELSE status END, provider_ref, "
        "CASE WHEN status = 'suppressed' THEN 'suppressed: the address opted out' ELSE last_error END, "
        "created_at, sent_at FROM core_message "
        "WHERE sender = 'collections' AND entity_type = 'collections.case' ORDER BY id")
    op.execute("DELETE FROM core_message WHERE sender = 'collections' AND entity_type = 'collections.case'")

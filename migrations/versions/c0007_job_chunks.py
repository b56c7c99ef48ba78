"""core: chunked job runs (core_job_chunk, core_job_run.chunks_pending)

Revision ID: c0007
Revises: c0006
Create Date: 2026-11-29 21:05:00
"""
from alembic import op
import sqlalchemy as sa

from core.models.meta import UTCDateTime


revision = 'c0007'
down_revision = 'c0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('core_job_run') as batch:
        batch.add_column(sa.Column('chunks_pending', sa.Integer(), nullable=True))
    op.create_table(
        'core_job_chunk',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('run_id', sa.Integer(), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('args', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('result', sa.Text(), nullable=True),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('finished', UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['run_id'], ['core_job_run.id'], name=op.f('fk_core_job_chunk_run_id_core_job_run'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_core_job_chunk')),
        sa.UniqueConstraint('run_id', 'seq', name='uq_core_job_chunk_run_seq'),
    )
    op.create_index(op.f('ix_core_job_chunk_run_id'), 'core_job_chunk', ['run_id'])


def downgrade():
    op.drop_index(op.f('ix_core_job_chunk_run_id'), table_name='core_job_chunk')
    op.drop_table('core_job_chunk')
    with op.batch_alter_table('core_job_run') as batch:
        batch.drop_column('chunks_pending')

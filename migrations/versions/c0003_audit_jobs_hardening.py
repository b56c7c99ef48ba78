"""audit and jobs hardening: keyed audit chain, TRUNCATE refused, run heartbeats, lost runs, process liveness

- core_audit_entry.key_version: how each entry was hashed (0 = plain SHA-256,
  the rows written before this revision; 1 = HMAC under mutuo.audit_key).
- PostgreSQL: TRUNCATE of core_audit_entry refused by a statement trigger
  (UPDATE and DELETE already were, since c0001). SQLite: UPDATE and DELETE
  refused by triggers (TRUNCATE does not exist there).
- core_job_run.heartbeat_at, and the slot index lets a "lost" run give its slot back.
- core_process_heartbeat: the last sign of life of each worker and beat.

The trigger SQL is written out here, not imported, so this revision stays what it was.

Revision ID: c0003
Revises: c0002
Create Date: 2026-11-29 15:50:00
"""
from alembic import op
import sqlalchemy as sa

import core.models.meta


revision = "c0003"
down_revision = "c0002"
branch_labels = None
depends_on = None

PG_NO_TRUNCATE = """
CREATE TRIGGER core_audit_entry_no_truncate BEFORE TRUNCATE ON core_audit_entry
  FOR EACH STATEMENT EXECUTE FUNCTION core_audit_entry_append_only();
"""
SQLITE_APPEND_ONLY = (
    "CREATE TRIGGER core_audit_entry_no_update BEFORE UPDATE ON core_audit_entry "
    "BEGIN SELECT RAISE(ABORT, 'core_audit_entry is append-only'); END",
    "CREATE TRIGGER core_audit_entry_no_delete BEFORE DELETE ON core_audit_entry "
    "BEGIN SELECT RAISE(ABORT, 'core_audit_entry is append-only'); END",
)
OLD_SLOT_WHERE = "status != 'skipped'"
NEW_SLOT_WHERE = "status NOT IN ('skipped', 'lost')"


def upgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(PG_NO_TRUNCATE)
        op.add_column("core_audit_entry", sa.Column("key_version", sa.SmallInteger(), server_default=sa.text("0"),
                                                    nullable=False))
    else:
        # SQLite: add the column before the triggers (batch mode copies the table).
        with op.batch_alter_table("core_audit_entry", schema=None) as batch_op:
            batch_op.add_column(sa.Column("key_version", sa.SmallInteger(), server_default=sa.text("0"),
                                          nullable=False))
        for sql in SQLITE_APPEND_ONLY:
            op.execute(sql)

    with op.batch_alter_table("core_job_run", schema=None) as batch_op:
        batch_op.add_column(sa.Column("heartbeat_at", core.models.meta.UTCDateTime(timezone=True), nullable=True))
        batch_op.drop_index("uq_core_job_run_slot")
        batch_op.create_index("uq_core_job_run_slot", ["job", "slot"], unique=True,
                              sqlite_where=sa.text(NEW_SLOT_WHERE), postgresql_where=sa.text(NEW_SLOT_WHERE))

    op.create_table(
        "core_process_heartbeat",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("hostname", sa.String(length=100), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", core.models.meta.UTCDateTime(timezone=True), nullable=False),
        sa.Column("seen_at", core.models.meta.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_core_process_heartbeat")),
    )


def downgrade():
    op.drop_table("core_process_heartbeat")
    with op.batch_alter_table("core_job_run", schema=None) as batch_op:
        batch_op.drop_index("uq_core_job_run_slot")
        batch_op.create_index("uq_core_job_run_slot", ["job", "slot"], unique=True,
                              sqlite_where=sa.text(OLD_SLOT_WHERE), postgresql_where=sa.text(OLD_SLOT_WHERE))
        batch_op.drop_column("heartbeat_at")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER core_audit_entry_no_truncate ON core_audit_entry")
        op.drop_column("core_audit_entry", "key_version")
    else:
        op.execute("DROP TRIGGER core_audit_entry_no_update")
        op.execute("DROP TRIGGER core_audit_entry_no_delete")
        with op.batch_alter_table("core_audit_entry", schema=None) as batch_op:
            batch_op.drop_column("key_version")

"""lending: loans remember their oldest unpaid due date; room for daily updates on PostgreSQL

Revision ID: lending_0002
Revises: lending_0001
Create Date: 2026-11-28

``lending_loan.oldest_unpaid_due`` lets close of business read days past
due off the loan table (filled here from the installments). On PostgreSQL
the two tables close of business updates every day get fillfactor 85, so
those updates stay on their page (HOT) without touching the indexes.
"""
from alembic import op
import sqlalchemy as sa

revision = "lending_0002"
down_revision = "lending_0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("lending_loan", schema=None) as batch_op:
        batch_op.add_column(sa.Column("oldest_unpaid_due", sa.Date(), nullable=True))
        batch_op.create_index(batch_op.f("ix_lending_loan_oldest_unpaid_due"), ["oldest_unpaid_due"], unique=False)
    op.execute("UPDATE lending_loan SET oldest_unpaid_due = (SELECT MIN(i.due_date) FROM lending_installment i "
               "WHERE i.loan_id = lending_loan.id AND i.paid_on IS NULL)")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE lending_installment SET (fillfactor = 85)")
        op.execute("ALTER TABLE lending_loan SET (fillfactor = 85)")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE lending_installment RESET (fillfactor)")
        op.execute("ALTER TABLE lending_loan RESET (fillfactor)")
    with op.batch_alter_table("lending_loan", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lending_loan_oldest_unpaid_due"))
        batch_op.drop_column("oldest_unpaid_due")

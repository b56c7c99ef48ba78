"""lending: customers' search keys (folded name, ID number, E.164 phone, e-mail), indexed

Revision ID: lending_0003
Revises: lending_0002
Create Date: 2026-11-29

The customers list, the lookups and the global search compare these keys
(core.search), never the raw columns: "alvarez" finds "Álvarez", "600 12 34 56"
finds "+34600123456". btree indexes serve exact and prefix matches
(``text_pattern_ops`` on PostgreSQL); on PostgreSQL a trigram GIN index
(``pg_trgm``) serves the name's substring matches.
"""
from alembic import op

from core.search import add_search_keys, drop_search_keys, email, fold, identifier, phone

revision = "lending_0003"
down_revision = "lending_0002"
branch_labels = None
depends_on = None

KEYS = {"name_key": ("name", fold, 200), "id_number_key": ("id_number", identifier, 64),
        "phone_key": ("phone", phone, 50), "email_key": ("email", email, 200)}
TRIGRAM = ("name_key",)


def upgrade():
    add_search_keys(op, "lending_customer", KEYS, TRIGRAM)


def downgrade():
    drop_search_keys(op, "lending_customer", KEYS, TRIGRAM)

"""core: users' and documents' search keys (folded names, e-mail), indexed

Revision ID: c0008
Revises: c0007
Create Date: 2026-11-29

The users and documents lists and the global search compare these keys
(core.search): "alvarez" finds "Álvarez". On PostgreSQL a trigram GIN index
(``pg_trgm``) serves substring matches of names and titles.
"""
from alembic import op

from core.search import add_search_keys, drop_search_keys, email, fold

revision = "c0008"
down_revision = "c0007"
branch_labels = None
depends_on = None

USER_KEYS = {"username_key": ("username", fold, 64), "full_name_key": ("full_name", fold, 200),
             "email_key": ("email", email, 200)}
DOCUMENT_KEYS = {"title_key": ("title", fold, 200)}


def upgrade():
    add_search_keys(op, "core_user", USER_KEYS, ("full_name_key",))
    add_search_keys(op, "core_document", DOCUMENT_KEYS, ("title_key",))


def downgrade():
    drop_search_keys(op, "core_document", DOCUMENT_KEYS, ("title_key",))
    drop_search_keys(op, "core_user", USER_KEYS, ("full_name_key",))

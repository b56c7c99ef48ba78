"""products: the products' search keys (folded code and name), indexed

Revision ID: products_0002
Revises: products_0001
Create Date: 2026-11-29

The products list and the global search compare these keys (core.search).
"""
from alembic import op

from core.search import add_search_keys, drop_search_keys, fold

revision = "products_0002"
down_revision = "products_0001"
branch_labels = None
depends_on = None

KEYS = {"code_key": ("code", fold, 32), "name_key": ("name", fold, 200)}


def upgrade():
    add_search_keys(op, "products_product", KEYS, ("name_key",))


def downgrade():
    drop_search_keys(op, "products_product", KEYS, ("name_key",))

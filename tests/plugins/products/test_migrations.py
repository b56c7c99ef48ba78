"""The products migrations build exactly the tables the models describe."""
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from core.models.meta import Base


def _ours(obj, name, type_, reflected, compare_to):
    table = obj if type_ == "table" else getattr(obj, "table", None)
    return table is None or table.name.startswith("products_")


def test_autogenerate_finds_no_difference(mutuo_db):
    with mutuo_db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": _ours})
        assert compare_metadata(context, Base.metadata) == []


def test_products_branch_is_at_head(mutuo_db):
    from core.migrate import status

    with mutuo_db.engine.connect() as conn:
        branches = {b.branch: b for b in status(mutuo_db.settings, mutuo_db.pm, conn)}
    assert branches["products"].at_head and branches["products"].head == "products_0001"

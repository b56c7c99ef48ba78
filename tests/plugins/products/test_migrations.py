"""The products migrations build exactly the tables the models describe."""


def test_autogenerate_finds_no_difference(mutuo_db):
    from core.testing import assert_models_match_migrations

    assert_models_match_migrations(mutuo_db, owners=("products",))


def test_products_branch_is_at_head(mutuo_db):
    from core.migrate import status

    with mutuo_db.engine.connect() as conn:
        branches = {b.branch: b for b in status(mutuo_db.settings, mutuo_db.pm, conn)}
    assert branches["products"].at_head and branches["products"].head == "products_0002"

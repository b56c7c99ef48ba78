"""Query budgets of the products pages: how many SQL statements each runs, the same with 3 products (or versions)
as with 20 (a page that queries once per row, an N+1, fails whatever its budget). See docs/performance.md."""
from decimal import Decimal as D

from core.testing import assert_query_budgets, query_counts
from plugins.products import services
from plugins.products.testing import TERMS

BUDGETS = {
    "/products": 3,
    "/products/{product}": 5,
    "/products/versions/{version}": 8,  # with its history naming the product it refers to
}


def test_products_pages_keep_their_query_budgets(mutuo_db, logged_in):
    def products(count: int, start: int, ids=None):
        def make(session):
            for n in range(start, start + count):
                product = services.create_product(session, code=f"P-{n}", name=f"Loan {n}", **TERMS)
                services.activate(session, product)
            first = ids or {"product": product.id, "version": product.current_version.id}
            grown = session.get(services.LoanProduct, first["product"])
            for n in range(count - 1):  # the product page lists its versions
                services.update_product(session, grown, default_rate=D("0.10") + D(n) / 1000)
            return first
        return mutuo_db.transaction(make)

    ids = products(3, 0)
    app = logged_in(("core.dashboard.view", "products.view"))
    few = query_counts(app, mutuo_db.engine, BUDGETS, **ids)
    products(17, 100, ids)
    many = query_counts(app, mutuo_db.engine, BUDGETS, **ids)
    assert_query_budgets(few, many, BUDGETS)

"""Spanish pages and refusals, the complete catalogue, query budgets of the lists."""
from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from core.errors import UserError
from core.testing import assert_query_budgets, query_counts
from plugins.finance.services import bank, journal

BUDGETS = {"/finance/journal": 12, "/finance/reconcile": 12, "/finance/trial-balance": 12,
           "/finance/statements": 12}


def test_pages_keep_their_query_budgets(logged_in, mutuo_db, clock):
    from plugins.lending.testing import World

    counter = World(None, mutuo_db.documents, clock)

    def activity(n):
        def run(session):
            world = World(session, mutuo_db.documents, clock)
            world.n = counter.n
            for i in range(n):
                world.investor(cash=D("100.00") + i)
            journal.ensure_defaults(session)
            client = session.scalars(__import__("sqlalchemy").select(bank.BankAccount)).first()
            rows = "".join(f"2025-01-{1 + i % 27:02d},{7 + i}.00,U{n}-{i},,\n" for i in range(n))
            bank.import_statement(session, client, f"s{n}.csv",
                                  ("Date,Amount,Reference,Description,Counterparty\n" + rows).encode())
            counter.n = world.n
        mutuo_db.transaction(run)

    clock.day = date(2025, 2, 1)
    activity(3)
    app = logged_in(permissions=("core.dashboard.view", "finance.books.view", "finance.bank.view"))
    few = query_counts(app, mutuo_db.engine, BUDGETS)
    activity(15)
    many = query_counts(app, mutuo_db.engine, BUDGETS)
    assert_query_budgets(few, many, BUDGETS)


def test_a_spanish_user_reads_the_books_in_spanish(logged_in):
    app = logged_in(permissions=("core.dashboard.view", "finance.books.view"), locale="es")
    page = app.get("/finance/trial-balance")
    assert page.html.html["lang"] == "es"
    assert "Balance de comprobación" in page.text and "Debe" in page.text and "activo" in page.text


def test_refusals_are_translated():
    import plugins.finance
    from core.i18n import localizer_for, plugin_locale_dir, translate, translation_dirs

    spanish = localizer_for("es", [*translation_dirs(), str(plugin_locale_dir(plugins.finance))])
    with pytest.raises(UserError) as refused:
        bank.parse_mapping("date=Fecha")
    assert str(refused.value) == "The CSV columns need at least date= and amount= (or credit= and debit=)."
    assert translate(refused.value, spanish) == ("Las columnas CSV necesitan al menos date= y amount= (o credit= y "
                                                 "debit=).")


def test_the_catalogue_is_complete():
    """Every message of the package has its Spanish translation (``mutuo i18n check finance``)."""
    from core.i18n_catalogs import catalogues, problems

    assert problems(catalogues(["finance"])[0], ["es"]) == []

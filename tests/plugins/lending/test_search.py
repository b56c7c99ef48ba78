"""Lending's search (core.search): customers by name, ID number, phone; loans by number; the indexes on PostgreSQL."""
from decimal import Decimal as D

import pytest
from sqlalchemy import select, text

from core.testing import browser_login
from plugins.lending import services
from plugins.lending.models import Customer, Loan
from plugins.lending.search import CUSTOMER_PICKER, CUSTOMERS, LOANS


@pytest.fixture
def people(session, world):
    ana = services.update_customer(session, world.customer(phone="+34 600 12 34 56", email="Ana@Example.test"),
                                   name="Ana Álvarez", id_number="12.345.678-Z")
    ben = services.update_customer(session, world.customer(phone="611222333"), name="Benito Alvarado")
    session.flush()
    return ana, ben


def test_customers_are_found_without_case_or_accents(people, session):
    ana, ben = people
    for q in ("alvarez", "ÁLVAREZ", "ana alv", "Alvarez Ana"):
        assert session.scalars(CUSTOMERS.apply(select(Customer), q)).all() == [ana], q
    assert set(session.scalars(CUSTOMERS.apply(select(Customer), "alva"))) == {ana, ben}


def test_identifiers_are_normalised_before_matching(people, session):
    ana, ben = people
    assert (ana.phone_key, ana.id_number_key, ana.email_key) == ("+34600123456", "12345678Z", "ana@example.test")
    assert ben.phone_key == "+34611222333"  # the company's region (ES) completes a national number
    for q in ("600 12 34 56", "+34600123456", "0034 600 123 456", "12345678z", "12 345 678-Z", "ANA@example.test"):
        assert session.scalars(CUSTOMERS.apply(select(Customer), q)).all() == [ana], q
    assert session.scalars(CUSTOMERS.apply(select(Customer), "611 22 23 33")).all() == [ben]


def test_match_puts_the_exact_identifier_first(people, session, world):
    ana, _ben = people
    other = services.update_customer(session, world.customer(), id_number="12345678-Z-2")
    session.flush()
    ranked = session.scalars(CUSTOMERS.match(select(Customer), "12345678Z")).all()
    assert ranked == [ana, other]


def test_match_ranks_a_capped_candidate_set(people, session, world):
    """A short common prefix ranks at most ``candidates`` rows per kind of match, never every match; an exact
    identifier still comes first, then names starting with the text, then names holding it."""
    ana, ben = people
    for n in range(6):
        services.update_customer(session, world.customer(), name=f"Alvaro Number{n}")
    services.update_customer(session, world.customer(), name="Rosa Alva")
    session.flush()
    found = session.scalars(CUSTOMERS.match(select(Customer), "alva", candidates=3)).all()
    # 9 customers hold "alva": at most 3 starting with it and 3 others are ranked, those starting it first
    assert 3 <= len(found) <= 6 and all(c.name.startswith("Alvaro") for c in found[:3])
    assert session.scalars(CUSTOMER_PICKER.match(select(Customer), "12345678z", candidates=1)).first() == ana
    assert session.scalars(CUSTOMER_PICKER.match(select(Customer), str(ben.id))).first() == ben


def test_a_loan_is_found_by_its_number_or_its_borrowers_identifiers(people, session, world):
    ana, _ben = people
    loan = world.loan(borrower=ana, amount=D("6000.00"))
    other = world.loan(amount=D("5000.00"))
    session.flush()
    assert session.scalars(LOANS.apply(select(Loan), str(other.id))).all() == [other]
    assert session.scalars(LOANS.apply(select(Loan), "12345678-z")).all() == [loan]
    assert session.scalars(LOANS.match(select(Loan), "12345678-z")).all() == [loan]
    assert session.scalars(LOANS.match(select(Loan), f"#{loan.id}")).first() == loan


def test_customers_list_and_global_search(people, session, world, login_as):
    ana, _ben = people
    loan = world.loan(borrower=ana, amount=D("6000.00"))
    session.commit()
    app = login_as("admin")
    listing = app.get("/lending/customers", params={"q": "alvarez"})
    assert "Ana Álvarez" in listing.text and "Benito" not in listing.text
    assert "Ana Álvarez" in app.get("/lending/loans", params={"q": "álvarez"}).text
    # an ID number or a loan number typed in full opens the record
    assert app.get("/search", params={"q": "12345678-z"}, status=302).location.endswith(f"/lending/customers/{ana.id}")
    assert app.get("/search", params={"q": f"#{loan.id}"}, status=302).location.endswith(f"/lending/loans/{loan.id}")
    page = app.get("/search", params={"q": "alva"})
    assert "Ana Álvarez" in page.text and "Benito Alvarado" in page.text
    data = app.get("/search", params={"q": "alva", "format": "json"}).json
    titles = [g["title"] for g in data["groups"]]
    assert titles[0] == "Customers" and data["jump"] is None
    assert {r["label"] for r in data["groups"][0]["results"]} == {"Ana Álvarez", "Benito Alvarado"}


# -- PostgreSQL: the indexes and the query plans ---------------------------------------------------------

@pytest.mark.postgres
def test_search_indexes_exist_after_migration(mutuo_db):
    if mutuo_db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only (set MUTUO_TEST_DATABASE_URL): trigram indexes")
    with mutuo_db.engine.connect() as conn:
        rows = conn.execute(text("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'lending_customer'"))
        indexes = dict(rows.all())
        extension = conn.execute(text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")).scalar()
    assert extension == 1
    assert "gin_trgm_ops" in indexes["ix_lending_customer_name_key_trgm"]
    for key in ("name_key", "id_number_key", "phone_key", "email_key"):
        assert "text_pattern_ops" in indexes[f"ix_lending_customer_{key}"], key


@pytest.mark.postgres
def test_a_name_search_uses_the_indexes(mutuo_db, people, session):
    if mutuo_db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only (set MUTUO_TEST_DATABASE_URL): EXPLAIN")
    session.execute(text("SET LOCAL enable_seqscan = off"))  # a test table is tiny: ask whether an index can serve

    def plan(q):
        stmt = CUSTOMERS.match(select(Customer.id), q).compile(session.get_bind(),
                                                               compile_kwargs={"literal_binds": True})
        return "\n".join(session.execute(text(f"EXPLAIN {stmt}")).scalars())

    substring = plan("alvarez")
    assert "ix_lending_customer_name_key_trgm" in substring, substring
    prefix = plan("12345678Z")
    assert "ix_lending_customer_id_number_key" in prefix, prefix


@pytest.mark.postgres
def test_a_number_or_an_identifier_reaches_loans_through_indexes(mutuo_db, people, session):
    """``Loan.id = 12 OR customer_id IN (…)`` is no index condition in PostgreSQL: every loan would be read.
    When the customers' side compares identifiers only, their ids are read first (``= ANY(ARRAY(…))``)."""
    if mutuo_db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only (set MUTUO_TEST_DATABASE_URL): EXPLAIN")
    session.execute(text("SET LOCAL enable_seqscan = off"))
    stmt = LOANS.apply(select(Loan.id), "12345").compile(session.get_bind(), compile_kwargs={"literal_binds": True})
    plan = "\n".join(session.execute(text(f"EXPLAIN {stmt}")).scalars())
    assert "ix_lending_loan_customer_id" in plan and "ANY" in plan, plan
    # a name is no identifier: its matches may be many, the plain semi-join stays
    assert "ANY" not in str(LOANS.condition("alvarez").compile(session.get_bind()))


@pytest.mark.browser
def test_the_shell_search_box_in_the_browser(page, mutuo_db, make_user, clock):
    """Type, see the dropdown, move with the arrows, Enter opens the record; Enter alone opens the results page."""
    from datetime import date

    from core import context
    from plugins.lending.testing import World

    def prepare(session):
        context.bind(session, pm=mutuo_db.pm, settings=mutuo_db.settings)
        world = World(session, mutuo_db.documents, clock)
        ana = services.update_customer(session, world.customer(), name="Ana Álvarez")
        services.update_customer(session, world.customer(), name="Benito Alvarado")
        return ana.id

    clock.day = date(2025, 6, 2)
    ana_id = mutuo_db.transaction(prepare)
    username, password = make_user(roles=("admin",))
    browser_login(page, username, password)
    box = page.locator("#shell-search-q")
    box.fill("alvarez")
    first = page.locator("#shell-search-results a.dropdown-item").first
    first.wait_for()
    assert first.inner_text().startswith("Ana Álvarez")
    box.press("ArrowDown")
    with page.expect_navigation():
        box.press("Enter")
    assert page.url.endswith(f"/lending/customers/{ana_id}")
    page.locator("#shell-search-q").fill("alva")
    with page.expect_navigation():
        page.locator("#shell-search-q").press("Enter")
    assert "/search?q=alva" in page.url
    assert page.locator(".search-group a", has_text="Benito Alvarado").count() == 1

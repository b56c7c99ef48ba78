"""The global search and the cases lists' search respect record rules: a collector finds only their own cases."""
from tests.plugins.collections.test_views import app_for, book  # noqa: F401  (fixture)


def test_global_search_groups_every_plugins_answers(book, mutuo_db, login_as):  # noqa: F811
    app = login_as("admin")
    data = app.get("/search", params={"q": "north", "format": "json"}).json
    groups = {g["title"]: g for g in data["groups"]}
    assert list(groups)[:3] == ["Customers", "Loans", "Collection cases"]
    assert {r["label"] for r in groups["Customers"]["results"]} == {"Nora North", "Ned North"}
    assert len(groups["Collection cases"]["results"]) == 2
    assert groups["Customers"]["more"].endswith("/lending/customers?q=north")
    page = app.get("/search", params={"q": "north"})
    assert "Nora North" in page.text and "Collection cases" in page.text


def test_a_collector_never_finds_another_collectors_customers(book, mutuo_db):  # noqa: F811
    _users, cases = book
    ana = app_for(mutuo_db, "ana")
    data = ana.get("/search", params={"q": "south", "format": "json"}).json
    assert data["groups"] == []  # Sam and Sia South are ben's; ana may not see customers at all
    mine = ana.get("/search", params={"q": "nora", "format": "json"}).json
    assert [g["title"] for g in mine["groups"]] == ["Collection cases"]
    assert mine["groups"][0]["results"][0]["url"].endswith(f"/collections/cases/{cases['Nora North']}")
    assert "Sam South" not in ana.get("/collections/cases", params={"q": "sam"}).text
    assert "Nora North" in ana.get("/collections/cases", params={"q": "NORA"}).text
    assert "Sam South" not in ana.get("/collections/queue", params={"q": "south"}).text
    ana.get("/lending/customers", params={"q": "south"}, status=403)
    sue = app_for(mutuo_db, "sue")
    assert "Sam South" in sue.get("/collections/cases", params={"q": "sam sou"}).text

"""How a list lays out its columns (docs/web.md, "Lists that fit"): card roles, wide and optional columns."""
from types import SimpleNamespace

from webob.multidict import MultiDict

from core.web.listing import Column, Listing


def _listing(params=()):
    request = SimpleNamespace(params=MultiDict(params), path="/things")
    return Listing(request, None, columns=[
        Column("id", "#", link=lambda r, x: "/things/1"),
        Column("name", "Name", card="key"),
        Column("notes", "Notes", wide=True),
        Column("hash", "Hash", optional=True),
        Column("address", "Address", optional=True, card="hide"),
    ])


def test_every_existing_column_call_keeps_working_and_linked_columns_lead_the_card():
    listing = _listing()
    assert [c.card_role for c in listing.columns] == ["key", "key", "detail", "detail", "hide"]
    assert not Column("x", "X").wide and not Column("x", "X").optional


def test_optional_columns_show_only_when_chosen_and_stay_chosen_across_pages():
    assert [c.key for c in _listing().shown_columns] == ["id", "name", "notes"]
    chosen = _listing([("columns", "hash"), ("columns", "nonsense,address")])
    assert [c.key for c in chosen.shown_columns] == ["id", "name", "notes", "hash", "address"]
    assert "columns=hash%2Caddress" in chosen.url(page=2)
    assert "columns" not in _listing().url(page=2)


def test_the_page_marks_cells_for_cards_cuts_wide_ones_and_offers_the_chooser(logged_in):
    app = logged_in(("core.dashboard.view", "core.audit.view"))
    html = app.get("/admin/audit").html
    table = html.find("table", class_="listing")
    assert "listing-cards" in table["class"]
    cell = table.find("tbody").find("td", class_="col-at")
    assert cell["data-label"] == "When" and "card-detail" in cell["class"]
    assert table.find("td", class_="col-changes")["class"].count("cell-wrap") == 1
    assert table.find("td", class_="col-hash") is None  # optional: off until chosen
    chooser = html.find("details", class_="column-chooser")
    assert {i["value"] for i in chooser.find_all("input", {"name": "columns"})} == {"client_addr", "hash"}

    shown = app.get("/admin/audit?columns=hash").html.find("table", class_="listing")
    assert shown.find("td", class_="col-hash") is not None


def test_the_jobs_list_puts_next_and_last_run_first_and_becomes_cards(logged_in):
    app = logged_in(("core.dashboard.view", "core.job.view"))
    html = app.get("/admin/jobs").html
    assert html.find("table", id="jobs")["class"].count("listing-cards") == 1
    heads = [th.get_text(strip=True) for th in html.find("table", id="jobs").find_all("th")]
    assert heads[:3] == ["Job", "Next run", "Last run"]  # what an operator looks for, before the 1440 px edge

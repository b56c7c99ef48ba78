"""Finance: services, pages through the permissions, the job, models against migrations."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from core.errors import UserError
from core.testing import assert_query_budgets, csrf_token, query_counts
from plugins.finance import services
from plugins.finance.models import Item


def test_an_item_needs_a_title(dbsession):
    with pytest.raises(UserError) as refused:
        services.create_item(dbsession, "  ")
    assert refused.value.field == "title"


def test_create_and_edit_through_the_pages(login_as):
    app = login_as("finance_officer")
    form = app.get("/finance/items/new").forms["deform"]
    form["title"] = "First item"
    page = form.submit("create").follow()
    assert "First item" in page.text
    edit = app.get(page.request.path + "/edit").forms["deform"]
    edit["status"] = "closed"
    assert "closed" in edit.submit("save").follow().text
    listing = app.get("/finance/items?status=closed")
    assert "First item" in listing.text
    csv = app.get("/finance/items?format=csv")
    assert csv.content_type == "text/csv" and "First item" in csv.text


def test_an_item_follows_up_on_another_chosen_with_the_lookup(login_as, mutuo_db):
    first = mutuo_db.transaction(lambda s: services.create_item(s, "First call").id)
    app = login_as("finance_officer")
    found = app.get("/lookup/finance.item", {"q": "first"}).json["results"]
    assert [r["id"] for r in found] == [first]
    form = app.get("/finance/items/new").forms["deform"]
    form["title"], form["follows_up_id"] = "Second call", str(found[0]["id"])  # the id, as the widget posts it
    form.submit("create").follow()
    follow_up = mutuo_db.transaction(lambda s: s.scalars(select(Item).where(Item.title == "Second call")).one())
    assert follow_up.follows_up_id == first


def test_a_blank_title_is_a_field_error_and_nothing_is_written(login_as, mutuo_db):
    app = login_as("finance_officer")
    form = app.get("/finance/items/new").forms["deform"]
    form["title"] = ""
    assert form.submit("create", status=400)
    assert mutuo_db.transaction(lambda s: s.scalars(select(Item)).all()) == []


def test_pages_need_the_permissions(logged_in, testapp):
    app = logged_in(permissions=("core.dashboard.view",))
    assert app.get("/finance/items", status=403)
    app.post("/finance/items/new", {"csrf_token": csrf_token(app), "title": "x", "create": ""}, status=403)


def test_the_job_closes_stale_items(mutuo_db, run_job):
    def old_item(session):
        item = services.create_item(session, "Old")
        session.flush()
        item.updated_at = item.updated_at - timedelta(days=200)

    mutuo_db.transaction(old_item)
    run = run_job("finance.close_stale_items")
    assert run.status == "succeeded", run.error
    assert "1 stale item closed" in run.summary
    assert mutuo_db.transaction(lambda s: s.scalars(select(Item.status)).all()) == ["closed"]


#: Statements one GET of each page runs (docs/testing.md, "Query budgets"): the same with 3 items as with 20.
BUDGETS = {"/finance/items": 4, "/finance/items/{item}": 5}


def test_pages_keep_their_query_budgets(logged_in, mutuo_db):
    def items(count):
        return mutuo_db.transaction(lambda s: [services.create_item(s, f"Item {n}").id for n in range(count)])[0]

    item = items(3)
    app = logged_in(permissions=("core.dashboard.view", "finance.item.view"))
    few = query_counts(app, mutuo_db.engine, BUDGETS, item=item)
    items(17)
    many = query_counts(app, mutuo_db.engine, BUDGETS, item=item)
    assert_query_budgets(few, many, BUDGETS)


def test_a_spanish_user_reads_the_item_in_spanish(logged_in, mutuo_db):
    item = mutuo_db.transaction(lambda s: services.create_item(s, "Primero").id)
    app = logged_in(permissions=("core.dashboard.view", "finance.item.view", "finance.item.manage"), locale="es")
    page = app.get(f"/finance/items/{item}")
    assert page.html.html["lang"] == "es"
    assert "Estado" in page.text and "abierto" in page.text and "Editar" in page.text


def test_refusals_are_translated():
    import plugins.finance
    from core.i18n import localizer_for, plugin_locale_dir, translate, translation_dirs

    spanish = localizer_for("es", [*translation_dirs(), str(plugin_locale_dir(plugins.finance))])
    with pytest.raises(UserError) as refused:
        services.create_item(None, "  ")
    assert str(refused.value) == "Give the item a title."  # logs and tests read English
    assert translate(refused.value, spanish) == "Dé un título al elemento."


def test_the_catalogue_is_complete():
    """Every message of the package has its Spanish translation (``mutuo i18n check finance``)."""
    from core.i18n_catalogs import catalogues, problems

    assert problems(catalogues(["finance"])[0], ["es"]) == []


def test_models_agree_with_migrations(mutuo_db):
    from core.testing import assert_models_match_migrations

    assert_models_match_migrations(mutuo_db)


# -- the JSON API (docs/api.md in Mutuo) -----------------------------------------------------------

def test_the_api_lists_creates_and_changes_items(testapp, api_key_for):
    manage = api_key_for(("finance.item.view", "finance.item.manage"))
    made = testapp.post_json("/api/v1/finance/items", {"title": "From the API"},
                             headers={**manage, "Idempotency-Key": "first"}, status=201)
    again = testapp.post_json("/api/v1/finance/items", {"title": "From the API"},
                              headers={**manage, "Idempotency-Key": "first"}, status=201)
    assert again.json == made.json  # the same key and body: the first answer, nothing written twice
    changed = testapp.patch_json(f"/api/v1/finance/items/{made.json['id']}", {"title": "Renamed", "status": "closed"},
                                 headers=manage).json
    assert changed["status"] == "closed"
    listed = testapp.get("/api/v1/finance/items?status=closed", headers=manage).json
    assert [i["title"] for i in listed["items"]] == ["Renamed"]


def test_api_refusals_are_problem_documents(testapp, api_key_for):
    viewer = api_key_for(("finance.item.view",))
    refused = testapp.post_json("/api/v1/finance/items", {"title": "x"}, headers=viewer, status=403)
    assert refused.content_type == "application/problem+json"
    manage = api_key_for(("finance.item.view", "finance.item.manage"))
    blank = testapp.post_json("/api/v1/finance/items", {"title": " "}, headers=manage, status=422)
    assert blank.json["errors"][0]["field"] == "title"
    assert testapp.get("/api/v1/finance/items/999999", headers=manage, status=404).json["status"] == 404

"""Lookups (core.web.lookups): the JSON endpoint through permissions and record rules, the widget's round
trip through a form, and core's form rendering (required marks, the error summary).

The sample plugin declares ``sample.note`` (``mutuo_lookups``) and a reply form that picks a note with it.
"""
from types import SimpleNamespace

import pytest
import webtest
from sqlalchemy import select

from core.errors import StartupError
from core.models.user import User
from core.testing import login
from core.web.lookups import MAX_RESULTS, Lookup, build_lookup_registry


@pytest.fixture
def notes(mutuo_db, make_user):
    """Two users with notes of their own (the sample's record rule: one sees one's own notes)."""
    from mutuo_sample.models import Note

    owner = make_user("owner", permissions=("core.dashboard.view", "sample.note.view"))
    make_user("other", permissions=("core.dashboard.view", "sample.note.view"))
    make_user("outsider", permissions=("core.dashboard.view",))

    def add(session):
        ids = {u.username: u.id for u in session.scalars(select(User))}
        mine = [Note(title=t, owner_id=ids["owner"]) for t in ("Zebra alpha", "Alpha one", "alpha two", "Beta")]
        theirs = Note(title="Alpha secret", owner_id=ids["other"])
        session.add_all([*mine, theirs])
        session.flush()
        return {n.title: n.id for n in [*mine, theirs]}

    return owner, mutuo_db.transaction(add)


def app_as(mutuo_db, username):
    app = webtest.TestApp(mutuo_db.app, extra_environ={"REMOTE_ADDR": "127.0.0.1", "HTTP_HOST": "localhost"})
    login(app, username)
    return app


def test_a_plugin_declares_a_lookup_and_core_serves_it(mutuo_db, notes):
    _owner, ids = notes
    app = app_as(mutuo_db, "owner")
    res = app.get("/lookup/sample.note", {"q": "alpha"}, headers={"Accept": "application/json"})
    assert res.content_type == "application/json"
    found = res.json["results"]
    # match's order: titles starting with the text first, then the others; another's note never appears
    assert [r["label"] for r in found] == ["Alpha one", "alpha two", "Zebra alpha"]
    assert found[0] == {"id": ids["Alpha one"], "label": "Alpha one", "detail": f"#{ids['Alpha one']}"}
    # the record number is a match too, ranked first
    assert app.get("/lookup/sample.note", {"q": str(ids["Beta"])}).json["results"][0]["label"] == "Beta"
    assert app.get("/lookup/sample.note", {"q": "  "}).json == {"results": []}
    assert app.get("/lookup/sample.note").json == {"results": []}
    assert app.get("/lookup/sample.note", {"q": "100%_"}).json == {"results": []}  # wildcards are text
    assert app_as(mutuo_db, "other").get("/lookup/sample.note", {"q": "alpha"}).json["results"] == [
        {"id": ids["Alpha secret"], "label": "Alpha secret", "detail": f"#{ids['Alpha secret']}"}]


def test_lookup_answers_at_most_ten_best_first(mutuo_db, notes):
    from mutuo_sample.models import Note

    def many(session):
        owner = session.scalars(select(User).where(User.username == "owner")).one()
        session.add_all([Note(title=f"Many {i:02d}", owner_id=owner.id) for i in range(15)])

    mutuo_db.transaction(many)
    found = app_as(mutuo_db, "owner").get("/lookup/sample.note", {"q": "many"}).json["results"]
    assert len(found) == MAX_RESULTS
    assert [r["label"] for r in found] == [f"Many {i:02d}" for i in range(MAX_RESULTS)]


def test_lookup_refuses_without_permission_and_bad_input_with_a_message(mutuo_db, notes):
    app_as(mutuo_db, "outsider").get("/lookup/sample.note", {"q": "alpha"}, status=403)
    anonymous = webtest.TestApp(mutuo_db.app)
    assert anonymous.get("/lookup/sample.note", {"q": "alpha"}, headers={"Accept": "application/json"},
                         expect_errors=True).status_int == 401
    app = app_as(mutuo_db, "owner")
    too_long = app.get("/lookup/sample.note", {"q": "a" * 101}, status=400)
    assert too_long.json["results"] == [] and "Too long" in too_long.json["error"]
    control = app.get("/lookup/sample.note?q=al%00pha", status=400)
    assert "control characters" in control.json["error"]
    app.get("/lookup/sample.nothing", {"q": "alpha"}, status=404)


def test_lookups_are_checked_at_start_up():
    def pm_with(*declared):
        return SimpleNamespace(call_per_plugin=lambda hook: [("p", list(declared))])

    good = Lookup("p.thing", User, "p.view", lambda s, q: s, lambda r: "")
    assert build_lookup_registry(pm_with(good), {"p.view"}) == {"p.thing": good}
    with pytest.raises(StartupError, match="declared twice"):
        build_lookup_registry(pm_with(good, good), {"p.view"})
    with pytest.raises(StartupError, match="unknown permission"):
        build_lookup_registry(pm_with(good), set())
    with pytest.raises(StartupError, match="<plugin>.<thing>"):
        build_lookup_registry(pm_with(Lookup("Thing", User, "p.view", lambda s, q: s, lambda r: "")), {"p.view"})


def test_the_widget_posts_the_id_and_names_the_chosen_record_after_an_error(mutuo_db, notes):
    _owner, ids = notes
    app = app_as(mutuo_db, "owner")
    form = app.get("/sample/notes/reply").forms["deform"]
    box = form.html.select_one(".mutuo-lookup")
    assert box["data-lookup-url"] == "/lookup/sample.note"
    assert box.select_one("[role=combobox]")["aria-controls"] == box.select_one("[role=listbox]")["id"]
    form["note_id"] = str(ids["Alpha one"])  # what the script puts in the hidden input once a result is chosen
    form["text"] = ""
    again = form.submit("save", status=400)
    box = again.html.select_one(".mutuo-lookup")
    assert box.select_one("input[name=note_id]")["value"] == str(ids["Alpha one"])
    assert box["data-lookup-label"] == "Alpha one"  # resolved on the server, through the record rules
    assert box.select_one("[role=combobox]")["value"] == "Alpha one"
    assert "Alpha one" in box.select_one(".lookup-chosen").text
    form = again.forms["deform"]
    form["text"] = "Thanks"
    done = form.submit("save", status=302)
    assert done.location.endswith(f"/sample/notes/{ids['Alpha one']}")


def test_the_widget_never_names_a_record_outside_the_rules(mutuo_db, notes):
    _owner, ids = notes
    form = app_as(mutuo_db, "owner").get("/sample/notes/reply").forms["deform"]
    form["note_id"] = str(ids["Alpha secret"])
    res = form.submit("save", status=400)  # "text" is missing
    assert "Alpha secret" not in res.text
    assert res.html.select_one(".mutuo-lookup")["data-lookup-label"] == ""


def test_required_fields_are_marked(mutuo_db, notes):
    page = app_as(mutuo_db, "owner").get("/sample/notes/reply")
    form = page.html.select_one("form#deform")
    assert form.has_attr("novalidate")  # the server shows every error at once, not the browser one by one
    labels = {label["for"]: label for label in form.select("label.form-label")}
    text = form.select_one("textarea[name=text], input[name=text]")
    signature = form.select_one("input[name=signature]")
    assert text["aria-required"] == "true" and labels[text["id"]].select_one(".required-mark").text == "*"
    assert labels[text["id"]].select_one(".required-mark")["aria-hidden"] == "true"
    assert not signature.has_attr("aria-required") and labels[signature["id"]].select_one(".required-mark") is None
    assert form.select_one("input[name=note_id]")["aria-required"] == "true"
    assert "Required field" in form.text


def test_a_form_shows_all_its_errors_in_a_summary_at_the_top(mutuo_db, notes):
    app = app_as(mutuo_db, "owner")
    form = app.get("/sample/notes/reply").forms["deform"]
    form["note_id"] = "twelve"
    res = form.submit("save", status=400)
    summary = res.html.select_one(".form-error-summary")
    assert summary["role"] == "alert" and summary["tabindex"] == "-1"
    links = summary.select("a")
    assert [a.text for a in links] == ["Note", "Reply"]
    for link in links:  # each link reaches its field's input
        assert res.html.select_one(link["href"]) is not None
    assert "record number" in summary.text and "Required" in summary.text
    first_child = res.html.select_one("form#deform fieldset").find(class_="alert")
    assert first_child is summary  # at the top, before the fields

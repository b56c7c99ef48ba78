"""The case lookup (``collections.case``) goes through the cases' record rule: a collector finds the
debtors of the cases assigned to them, never another collector's."""
from tests.plugins.collections.test_views import TODAY, _today, app_for, book  # noqa: F401  (fixtures)


def labels(app, q):
    return [r["label"] for r in app.get("/lookup/collections.case", {"q": q}).json["results"]]


def test_a_collectors_lookup_never_shows_another_collectors_customers(book, mutuo_db):
    _users, cases = book
    ana, ben, sue = (app_for(mutuo_db, name) for name in ("ana", "ben", "sue"))
    assert labels(ana, "north") == [f"Case {cases[n]} · {n}" for n in sorted(("Nora North", "Ned North"),
                                                                               key=lambda n: -cases[n])]
    assert labels(ana, "south") == [] and labels(ana, "+34 611") and not any("South" in x for x in labels(ana, "+34"))
    assert not any("South" in x for x in labels(ana, str(cases["Sam South"])))  # nor by the case number
    assert sorted(labels(ben, "s")) == sorted(f"Case {cases[n]} · {n}" for n in ("Sam South", "Sia South"))
    assert len(labels(sue, "+34 611")) == 4  # the supervisor sees every case (collections.case.view_all)
    detail = ana.get("/lookup/collections.case", {"q": "Nora"}).json["results"][0]["detail"]
    assert "+34 611 222 333" in detail


def test_a_supervisor_reassigns_a_case_to_a_collector_chosen_with_the_lookup(book, mutuo_db):
    users, cases = book
    sue = app_for(mutuo_db, "sue")
    found = sue.get("/lookup/collections.collector", {"q": "b"}).json["results"]
    assert [r["id"] for r in found] == [users["ben"]]  # the team only: sue holds no queue
    assert [r["id"] for r in sue.get("/lookup/collections.collector", {"q": "su"}).json["results"]] == []
    app_for(mutuo_db, "ana").get("/lookup/collections.collector", {"q": "b"}, status=403)
    page = sue.get(f"/collections/cases/{cases['Nora North']}")
    form = next(f for f in page.forms.values() if f.action.endswith("/assign"))
    assert page.html.select_one("#reassign .mutuo-lookup")["data-lookup-url"] == "/lookup/collections.collector"
    form["collector_id"] = str(found[0]["id"])  # what the widget's script posts
    assert "assigned to ben" in form.submit().follow().text

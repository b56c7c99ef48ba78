"""Collections' JSON API (/api/v1/collections): each operation's answer, refusals as problems, permissions,
record rules, idempotent replays and the webhook events the services publish."""
from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal as D

import pytest
import webtest
from sqlalchemy import select

from core.models.api import WebhookDelivery, WebhookEndpoint
from core.models.user import User
from plugins.collections.models import Case, Promise, Target
from plugins.collections.services import assign_cases, set_queues
from plugins.lending import services as lending
from tests.plugins.collections.conftest import DISBURSED, close, pay_overdue

API = "/api/v1/collections"
PROBLEM = "application/problem+json"
TODAY = date(2025, 3, 10)
EVENTS = ("collections.case.opened", "collections.case.escalated", "collections.case.closed",
          "collections.promise.made", "collections.promise.broken")


@pytest.fixture(autouse=True)
def _today(clock):
    clock.day = TODAY


@pytest.fixture
def api(mutuo_db):
    return webtest.TestApp(mutuo_db.app, extra_environ={"REMOTE_ADDR": "127.0.0.1", "HTTP_HOST": "localhost"})


@pytest.fixture
def key(mutuo_db):
    """key(username, permissions=None) -> Authorization headers of a key with all (or some) of the user's rights."""
    from core.apikeys import create_api_key, grantable_permissions

    reg = mutuo_db.registry["mutuo.security"]

    def make(username, permissions=None):
        def build(s):
            user = s.scalars(select(User).where(User.username == username)).one()
            scope = grantable_permissions(user, reg) if permissions is None else list(permissions)
            return create_api_key(s, user, "test", reg, scope=scope)[1]
        return {"Authorization": f"Bearer {mutuo_db.transaction(build)}"}
    return make


@pytest.fixture
def hooked(session):
    """An active endpoint subscribed to every collections event (deliveries are rows: sent by core's job)."""
    endpoint = WebhookEndpoint(url="https://hooks.example.com/c", events=" ".join(EVENTS), description="",
                               secret="whsec_test", active=True)
    session.add(endpoint)
    session.commit()
    return endpoint.id


def deliveries(session, event):
    session.rollback()
    rows = session.scalars(select(WebhookDelivery).where(WebhookDelivery.event == event)
                           .order_by(WebhookDelivery.id)).all()
    data = [json.loads(d.body)["data"] for d in rows]
    session.rollback()  # SQLite: a test session left in a transaction would lock the app out
    return data


@pytest.fixture
def book(session, world, make_user, mutuo_db):
    """ana (North) and ben (South) hold early+mid queues with two cases each; sue supervises; vic only reads."""
    make_user("ana", roles=("collector",), region="North")
    make_user("ben", roles=("collector",), region="South")
    make_user("sue", roles=("collections_supervisor",))
    make_user("vic", permissions=("core.dashboard.view", "collections.case.view"))
    users = {u.username: u for u in session.scalars(select(User))}
    set_queues(session, users["ana"], ("early", "mid"))
    set_queues(session, users["ben"], ("early", "mid"))
    loans = {}
    for region, names in (("North", ("Nora North", "Ned North")), ("South", ("Sam South", "Sia South"))):
        for n, name in enumerate(names):
            borrower = lending.update_customer(session, world.customer(region=region, phone="+34 611 222 333"),
                                               name=name)
            loans[name] = world.loan(disbursed_on=DISBURSED, borrower=borrower, amount=D("6000.00") + 1000 * n)
    close(session, date(2025, 3, 1), start=date(2025, 3, 1))
    assign_cases(session)
    cases = {name: session.scalars(select(Case.id).where(Case.loan_id == loan.id)).one()
             for name, loan in loans.items()}
    users = {name: user.id for name, user in users.items()}
    session.commit()
    session.close()
    return users, cases


def problem(res, status, kind=None):
    assert res.status_int == status and res.content_type == PROBLEM, res.text[:300]
    if kind:
        assert res.json["type"] == f"urn:mutuo:problem:{kind}", res.json
    return res.json


# -- cases and the queue -------------------------------------------------------------------------

def test_cases_list_filters_sorting_cursor_and_record_rules(book, api, key):
    users, cases = book
    ana, sue = key("ana"), key("sue")
    mine = api.get(f"{API}/cases", headers=ana).json
    assert {c["id"] for c in mine["items"]} == {cases["Nora North"], cases["Ned North"]}
    assert mine["next_cursor"] is None
    every = api.get(f"{API}/cases", {"sort": "-overdue_amount"}, headers=sue).json["items"]
    assert {c["id"] for c in every} == set(cases.values())
    amounts = [D(c["overdue_amount"]) for c in every]
    assert amounts == sorted(amounts, reverse=True) and amounts[0] > 0
    assert every[0]["days_past_due"] > 0 and every[0]["status"] == "open" and every[0]["stage"] == "early"
    south = api.get(f"{API}/cases", {"region": "South"}, headers=sue).json["items"]
    assert {c["id"] for c in south} == {cases["Sam South"], cases["Sia South"]}
    bens = api.get(f"{API}/cases", {"collector_id": users["ben"], "open": "true"}, headers=sue).json["items"]
    assert {c["collector_id"] for c in bens} == {users["ben"]} and len(bens) == 2
    assert api.get(f"{API}/cases", {"open": "false"}, headers=sue).json["items"] == []
    assert api.get(f"{API}/cases", {"unassigned": "true"}, headers=sue).json["items"] == []
    assert api.get(f"{API}/cases", {"days_min": 1000}, headers=sue).json["items"] == []
    # the condition filters are declared: documented and validated like the others
    problem(api.get(f"{API}/cases", {"days_min": -1}, headers=sue, status=422), 422, "validation")
    problem(api.get(f"{API}/cases", {"open": "maybe"}, headers=sue, status=422), 422, "validation")
    doc = api.get("/api/v1/openapi.json", headers=sue).json
    documented = {p["name"]: p for p in doc["paths"][f"{API}/cases"]["get"]["parameters"]}
    assert {"open", "unassigned", "days_min", "days_max"} <= set(documented)
    assert documented["days_min"]["schema"]["minimum"] == 0 and documented["open"]["description"]
    targets = doc["paths"][f"{API}/targets"]["post"]["responses"]
    assert {"200", "201"} <= set(targets)
    assert doc["paths"][f"{API}/cases/{{id}}/escalate"]["post"]["requestBody"]["required"] is False
    assert len(api.get(f"{API}/cases", {"days_min": 1, "days_max": 60, "stage": "early"}, headers=sue).json["items"]) == 4
    big = api.get(f"{API}/cases", {"overdue_min": every[1]["overdue_amount"]}, headers=sue).json["items"]
    assert {c["id"] for c in big} == {every[0]["id"], every[1]["id"]}
    # the cursor: two pages of two, neither skipping nor repeating
    first = api.get(f"{API}/cases", {"limit": 2, "sort": "opened_on"}, headers=sue).json
    second = api.get(f"{API}/cases", {"limit": 2, "sort": "opened_on", "cursor": first["next_cursor"]},
                     headers=sue).json
    assert len({c["id"] for c in first["items"] + second["items"]}) == 4 and second["next_cursor"] is None
    problem(api.get(f"{API}/cases", {"stage": "nowhere"}, headers=sue, status=422), 422, "validation")
    # the record: its loan summary, and record rules (another collector's case is a 404)
    record = api.get(f"{API}/cases/{cases['Nora North']}", headers=ana).json
    assert record["customer"]["name"] == "Nora North" and record["loan"]["overdue_installments"] >= 1
    assert record["contacts"] == [] and record["promises"] == [] and isinstance(record["action_items"], list)
    problem(api.get(f"{API}/cases/{cases['Sam South']}", headers=ana, status=404), 404)
    api.get(f"{API}/cases/{cases['Sam South']}", headers=sue, status=200)
    problem(api.get(f"{API}/cases", headers=key("ana", ["core.dashboard.view"]), status=403), 403, "forbidden")
    problem(api.get(f"{API}/cases", status=401), 401)


def test_my_queue_in_priority_order_with_todays_counts(book, api, key, session):
    users, cases = book
    queue = api.get(f"{API}/queue", headers=key("ana")).json
    assert queue["today"] == TODAY.isoformat() and queue["counts"]["cases"] == 2
    ids = [c["id"] for c in queue["items"]]
    assert set(ids) == {cases["Nora North"], cases["Ned North"]}
    # a larger overdue amount × days comes first (Ned's loan is larger), as on the screen
    assert ids[0] == cases["Ned North"]
    assert queue["items"][0]["customer_name"] == "Ned North" and queue["items"][0]["promise_due_today"] is False
    # a promise due today puts a case first
    api.post_json(f"{API}/cases/{cases['Nora North']}/promises", {"amount": "10.00", "due_on": TODAY.isoformat()},
                  headers=key("ana"), status=201)
    queue = api.get(f"{API}/queue", {"limit": 1}, headers=key("ana")).json
    assert [c["id"] for c in queue["items"]] == [cases["Nora North"]] and queue["items"][0]["promise_due_today"]
    assert queue["counts"]["promises_today"] == 1
    assert api.get(f"{API}/queue", headers=key("sue")).json["items"] == []  # the queue is always one's own


# -- contacts and promises ---------------------------------------------------------------------------

def test_log_a_contact_with_a_promise_idempotently_and_publish_it(book, api, key, session, hooked):
    users, cases = book
    case_id = cases["Nora North"]
    h = {**key("ana"), "Idempotency-Key": "call-1"}
    body = {"channel": "call", "outcome": "promise_to_pay", "note": "Pays Friday", "promise_amount": "250.00",
            "promise_due": "2025-03-14", "next_action_on": "2025-03-15"}
    first = api.post_json(f"{API}/cases/{case_id}/contacts", body, headers=h, status=201)
    contact = first.json
    assert contact["outcome"] == "promise_to_pay" and contact["collector_id"] == users["ana"]
    assert contact["promise"]["amount"] == "250.00" and contact["promise"]["status"] == "pending"
    assert first.location.endswith(f"{API}/contacts/{contact['id']}")
    again = api.post_json(f"{API}/cases/{case_id}/contacts", body, headers=h, status=201)
    assert again.json == contact and again.headers["Idempotent-Replayed"] == "true"
    problem(api.post_json(f"{API}/cases/{case_id}/contacts", {**body, "note": "other"}, headers=h, status=409),
            409, "idempotency-conflict")
    assert len(session.scalars(select(Promise).where(Promise.case_id == case_id)).all()) == 1
    session.rollback()
    made = deliveries(session, "collections.promise.made")
    assert made == [{"promise_id": contact["promise"]["id"], "case_id": case_id,
                     "loan_id": made[0]["loan_id"], "contact_id": contact["id"], "collector_id": users["ana"],
                     "amount": "250.00", "made_on": TODAY.isoformat(), "due_on": "2025-03-14"}]
    # the service's refusals, as problems naming the field
    refused = problem(api.post_json(f"{API}/cases/{case_id}/contacts",
                                    {"channel": "call", "outcome": "promise_to_pay", "promise_amount": "10.00"},
                                    headers=key("ana"), status=422), 422, "refused")
    assert refused["errors"][0]["field"] == "promise_due"
    refused = problem(api.post_json(f"{API}/cases/{case_id}/contacts", {"channel": "call", "outcome": "dispute"},
                                    headers=key("ana"), status=422), 422, "refused")
    assert refused["errors"][0]["field"] == "note"
    problem(api.post_json(f"{API}/cases/{case_id}/contacts", {"channel": "pigeon", "outcome": "no_answer"},
                          headers=key("ana"), status=422), 422, "validation")
    # record rules and permissions
    problem(api.post_json(f"{API}/cases/{cases['Sam South']}/contacts", {"channel": "call", "outcome": "no_answer"},
                          headers=key("ana"), status=404), 404)
    problem(api.post_json(f"{API}/cases/{case_id}/contacts", {"channel": "call", "outcome": "no_answer"},
                          headers=key("vic"), status=403), 403)
    # reading them back
    listed = api.get(f"{API}/contacts", {"case_id": case_id}, headers=key("ana")).json["items"]
    assert [c["id"] for c in listed] == [contact["id"]]
    assert api.get(f"{API}/contacts/{contact['id']}", headers=key("ana")).json["note"] == "Pays Friday"
    problem(api.get(f"{API}/contacts/{contact['id']}", headers=key("ben"), status=404), 404)
    assert api.get(f"{API}/contacts", headers=key("ben")).json["items"] == []


def test_promises_create_list_and_broken_by_the_job(book, api, key, session, hooked, clock):
    from plugins.collections.services import check_promises

    users, cases = book
    case_id = cases["Ned North"]
    h = {**key("ana"), "Idempotency-Key": "promise-1"}
    res = api.post_json(f"{API}/cases/{case_id}/promises", {"amount": "100.00", "due_on": "2025-03-12"}, headers=h,
                        status=201)
    promise = res.json
    assert promise["status"] == "pending" and promise["due_on"] == "2025-03-12" and promise["contact_id"]
    assert api.post_json(f"{API}/cases/{case_id}/promises", {"amount": "100.00", "due_on": "2025-03-12"},
                         headers=h, status=201).headers["Idempotent-Replayed"] == "true"
    problem(api.post_json(f"{API}/cases/{case_id}/promises", {"amount": "100.00", "due_on": "2025-03-01"},
                          headers=key("ana"), status=422), 422, "refused")
    problem(api.post_json(f"{API}/cases/{case_id}/promises", {"amount": "0.00", "due_on": "2025-03-12"},
                          headers=key("ana"), status=422), 422, "refused")
    problem(api.post_json(f"{API}/cases/{case_id}/promises", {"amount": "1.00", "due_on": "2025-03-12"},
                          headers=key("vic"), status=403), 403)
    assert res.location.endswith(f"{API}/promises/{promise['id']}")
    assert api.get(f"{API}/promises/{promise['id']}", headers=key("ana")).json == promise
    pending = api.get(f"{API}/promises", {"status": "pending"}, headers=key("sue")).json["items"]
    assert [p["id"] for p in pending] == [promise["id"]]
    assert api.get(f"{API}/promises", headers=key("ben")).json["items"] == []
    assert api.get(f"{API}/cases/{case_id}", headers=key("ana")).json["status"] == "promised"
    # nobody pays: the promise job breaks it once the grace days have passed, and says so
    clock.day = TODAY + timedelta(days=30)
    check_promises(session)
    session.commit()
    assert api.get(f"{API}/promises/{promise['id']}", headers=key("ana")).json["status"] == "broken"
    broken = deliveries(session, "collections.promise.broken")
    assert broken == [{"promise_id": promise["id"], "case_id": case_id, "loan_id": broken[0]["loan_id"],
                       "amount": "100.00", "paid_amount": "0.00", "due_on": "2025-03-12", "broken_promises": 1}]


def test_action_items_list_and_finish(book, api, key, session):
    from plugins.collections.services import actions

    users, cases = book
    actions.create_due_items(session)
    session.commit()
    items = api.get(f"{API}/action-items", {"case_id": cases["Nora North"], "status": "due"},
                    headers=key("ana")).json["items"]
    assert items and all(i["status"] == "due" and i["case_id"] == cases["Nora North"] for i in items)
    item = items[0]
    problem(api.post_json(f"{API}/action-items/{item['id']}/finish", {"status": "done"}, headers=key("ben"),
                          status=404), 404)
    problem(api.post_json(f"{API}/action-items/{item['id']}/finish", {"status": "done"}, headers=key("vic"),
                          status=403), 403)
    done = api.post_json(f"{API}/action-items/{item['id']}/finish", {"status": "done"}, headers=key("ana")).json
    assert done["status"] == "done" and done["done_by"] == "ana" and done["title"] == item["title"]
    problem(api.post_json(f"{API}/action-items/{item['id']}/finish", {"status": "skipped"}, headers=key("ana"),
                          status=422), 422, "refused")
    assert api.get(f"{API}/action-items", headers=key("ben")).json["items"][0]["case_id"] in (
        cases["Sam South"], cases["Sia South"])


# -- workflow buttons ----------------------------------------------------------------------------------

def test_escalate_assign_report_and_release(book, api, key, session, clock, hooked):
    users, cases = book
    sue = key("sue")
    refused = problem(api.post_json(f"{API}/cases/{cases['Nora North']}/escalate", {}, headers=sue, status=422),
                      422, "refused")
    assert refused["errors"][0]["field"] == "stage"
    problem(api.post_json(f"{API}/cases/{cases['Nora North']}/escalate", {}, headers=key("ana"), status=403), 403)
    # the body is optional: no body (and no Content-Type) is the same as {}
    refused = problem(api.post(f"{API}/cases/{cases['Nora North']}/escalate", headers=sue, status=422), 422, "refused")
    assert refused["errors"][0]["field"] == "stage"
    clock.day = date(2025, 5, 20)
    close(session, date(2025, 5, 18))  # 92 days past due: late
    session.commit()
    session.close()
    late_id = cases["Sam South"]
    escalated = api.post_json(f"{API}/cases/{late_id}/escalate", {"reason": "No answer in 3 months"}, headers=sue).json
    assert escalated["status"] == "escalated" and escalated["escalated_at"]
    problem(api.post_json(f"{API}/cases/{late_id}/escalate", {}, headers=sue, status=422), 422, "refused")
    (event,) = deliveries(session, "collections.case.escalated")
    assert event["case_id"] == late_id and event["reason"] == "No answer in 3 months" and event["stage"] == "late"
    # assign by hand
    moved = api.post_json(f"{API}/cases/{cases['Nora North']}/assign", {"collector_id": users["ben"]},
                          headers=sue).json
    assert moved["collector_id"] == users["ben"]
    refused = problem(api.post_json(f"{API}/cases/{cases['Nora North']}/assign", {"collector_id": users["vic"]},
                                    headers=sue, status=422), 422, "refused")
    assert refused["errors"][0]["field"] == "collector_id"
    problem(api.post_json(f"{API}/cases/{cases['Ned North']}/assign", {"collector_id": users["ben"]},
                          headers=key("ana"), status=403), 403)
    # report a high-risk client (idempotent: a retry reports once)
    h = {**key("ben"), "Idempotency-Key": "risk-1"}
    report = api.post_json(f"{API}/cases/{cases['Nora North']}/risk-reports", {"reason": "Threatened to flee"},
                           headers=h, status=201).json
    again = api.post_json(f"{API}/cases/{cases['Nora North']}/risk-reports", {"reason": "Threatened to flee"},
                          headers=h, status=201)
    assert again.json == report and again.headers["Idempotent-Replayed"] == "true"
    assert api.get(f"{API}/cases/{cases['Nora North']}", headers=sue).json["high_risk"] is True
    problem(api.post_json(f"{API}/cases/{cases['Nora North']}/risk-reports", {"reason": "  "}, headers=key("ben"),
                          status=422), 422, "refused")
    # return ben's cases to the pool
    released = api.post_json(f"{API}/collectors/{users['ben']}/release", None, headers=sue).json
    assert released == {"collector_id": users["ben"], "released": 3}
    assert problem(api.post_json(f"{API}/collectors/{users['ben']}/release", None, headers=sue, status=422),
                   422, "refused")["errors"][0]["field"] == "collector_id"
    problem(api.post_json(f"{API}/collectors/999999/release", None, headers=sue, status=404), 404)
    assert len(api.get(f"{API}/cases", {"unassigned": "true"}, headers=sue).json["items"]) == 3


def test_case_opened_and_closed_events(api, key, session, world, hooked, make_user):
    loan = world.overdue_loan(10)
    session.commit()
    (opened,) = deliveries(session, "collections.case.opened")
    case = session.scalars(select(Case).where(Case.loan_id == loan.id)).one()
    assert opened == {"case_id": case.id, "loan_id": loan.id, "customer_id": loan.customer_id, "stage": "early",
                      "bucket": case.bucket, "overdue_amount": f"{case.overdue_amount:.2f}",
                      "opened_on": case.opened_on.isoformat()}
    loan = session.merge(loan)
    pay_overdue(session, loan, TODAY - timedelta(days=1), "PAY-1")
    close(session, TODAY - timedelta(days=1))
    session.commit()
    (closed,) = deliveries(session, "collections.case.closed")
    assert closed["case_id"] == case.id and closed["status"] == "resolved" and closed["reason"]


def test_declared_events_are_in_the_document(api, key, make_user):
    make_user("adm", roles=("admin",))
    doc = api.get("/api/v1/openapi.json", headers=key("adm")).json
    assert set(EVENTS) <= set(doc["webhooks"])
    assert doc["paths"][f"{API}/cases/{{id}}/contacts"]["post"]["x-permission"] == "collections.contact.log"


# -- targets ---------------------------------------------------------------------------------------------

def test_targets_create_change_split_and_read(book, api, key, session):
    users, cases = book
    sue = key("sue")
    h = {**sue, "Idempotency-Key": "target-2025-03"}
    created = api.post_json(f"{API}/targets", {"month": "2025-03", "amount": "1000.00", "note": "March"}, headers=h,
                            status=201)
    target = created.json
    assert target["month"] == "2025-03" and target["amount"] == "1000.00" and target["shares"] == []
    assert api.post_json(f"{API}/targets", {"month": "2025-03", "amount": "1000.00", "note": "March"},
                         headers=h, status=201).headers["Idempotent-Replayed"] == "true"
    # POST /targets is an upsert, as the targets form: the month's target changes (200), its note kept.
    again = api.post_json(f"{API}/targets", {"month": "2025-03", "amount": "1500.00"}, headers=sue, status=200)
    assert again.json["id"] == target["id"] and again.json["amount"] == "1500.00" and again.json["note"] == "March"
    assert "Location" not in again.headers and created.headers["Location"].endswith(f"/targets/{target['id']}")
    assert api.post_json(f"{API}/targets", {"month": "2025-03", "amount": "1000.00"}, headers=sue,
                         status=200).json["amount"] == "1000.00"
    problem(api.post_json(f"{API}/targets", {"month": "2025-04", "amount": "-5.00"}, headers=sue, status=422), 422,
            "refused")
    problem(api.post_json(f"{API}/targets", {"month": "2025-13", "amount": "5.00"}, headers=sue, status=422), 422,
            "validation")
    problem(api.post_json(f"{API}/targets", {"month": "2025-05", "amount": "5.00"}, headers=key("ana"), status=403),
            403)
    tid = target["id"]
    split = api.post_json(f"{API}/targets/{tid}/split", None, headers=sue).json
    assert {s["collector_id"] for s in split["shares"]} == {users["ana"], users["ben"]} and split["split"] == "1000.00"
    problem(api.patch_json(f"{API}/targets/{tid}", {"amount": "10.00"}, headers=sue, status=409), 409, "conflict")
    problem(api.post_json(f"{API}/targets", {"month": "2025-03", "amount": "10.00"}, headers=sue, status=409), 409,
            "conflict")  # below the split, as PATCH
    shares = api.put_json(f"{API}/targets/{tid}/shares", {"shares": [{"collector_id": users["ana"],
                                                                      "amount": "600.00"}]}, headers=sue).json
    assert shares["shares"] == [{"collector_id": users["ana"], "amount": "600.00"}]
    problem(api.put_json(f"{API}/targets/{tid}/shares", {"shares": [{"collector_id": users["ana"],
                                                                     "amount": "6000.00"}]}, headers=sue, status=409),
            409, "conflict")
    refused = problem(api.put_json(f"{API}/targets/{tid}/shares", {"shares": [{"collector_id": users["vic"],
                                                                               "amount": "1.00"}]},
                                   headers=sue, status=422), 422, "refused")
    assert refused["errors"][0]["field"] == f"share_{users['vic']}"
    changed = api.patch_json(f"{API}/targets/{tid}", {"amount": "2000.00"}, headers=sue).json
    assert changed["amount"] == "2000.00" and changed["note"] == "March"
    record = api.get(f"{API}/targets/{tid}", headers=key("ana")).json
    assert record["standings"][0]["collector_id"] == users["ana"] and record["standings"][0]["target"] == "600.00"
    assert [t["month"] for t in api.get(f"{API}/targets", headers=key("ana")).json["items"]] == ["2025-03"]
    assert len(session.scalars(select(Target)).all()) == 1
    session.rollback()
    problem(api.get(f"{API}/targets/{tid + 1000}", headers=sue, status=404), 404)


def test_problems_speak_the_callers_language_and_bodies_do_not(book, api, key, make_user, session):
    """Only a problem's title, detail and field messages are translated; amounts and dates stay plain."""
    users, cases = book
    make_user("eva", roles=("collections_supervisor",), locale="es")
    eva = key("eva")
    refused = problem(api.post_json(f"{API}/cases/{cases['Nora North']}/contacts",
                                    {"channel": "call", "outcome": "dispute"}, headers=eva, status=422), 422, "refused")
    assert refused["title"] == "La solicitud no es válida"
    assert refused["detail"].startswith("Indique qué pasó") and refused["errors"][0]["field"] == "note"
    promise = api.post_json(f"{API}/cases/{cases['Nora North']}/promises",
                            {"amount": "234.50", "due_on": "2025-03-14"}, headers=eva, status=201).json
    assert promise["amount"] == "234.50" and promise["due_on"] == "2025-03-14"


def test_the_daily_sync_publishes_the_cases_it_opens(session, world, hooked):
    """Cases the set-based sync opens (a book without events) are announced one by one, like open_case's."""
    from sqlalchemy import update

    from plugins.collections.services import sync

    loan = world.overdue_loan(10)
    session.commit()
    (first,) = deliveries(session, "collections.case.opened")
    # as if collections had been enabled on an existing book: the loan is overdue, no case is open
    session.execute(update(Case).values(status="resolved", open_loan_id=None))
    sync(session)
    session.commit()
    (_first, again) = deliveries(session, "collections.case.opened")
    assert again["loan_id"] == loan.id and again["case_id"] != first["case_id"] and again["stage"] == "early"

"""The JSON API convention: mounting, problems, auth modes, pagination, idempotency, webhooks, the document."""
from __future__ import annotations

import json
import time

import pytest
import webtest
from sqlalchemy import func, select

from core import testing
from core.api import API_PREFIX, Operation
from core.models.api import IdempotencyKey, WebhookDelivery, WebhookEndpoint
from core.models.user import User
from core.webhooks import MemoryWebhookSender, sign, verify_signature

PROBLEM = "application/problem+json"
NOTE_PERMS = ("core.dashboard.view", "sample.note.view", "sample.note.manage")


@pytest.fixture
def key_for(mutuo_db, make_user):
    """key_for(permissions) -> (username, plain API key) of a fresh user holding them (key scope: all of them)."""
    def make(permissions=NOTE_PERMS, **kw):
        from core.apikeys import create_api_key

        username, _pw = make_user(permissions=permissions, **kw)
        reg = mutuo_db.registry["mutuo.security"]

        def build(s):
            user = s.scalars(select(User).where(User.username == username)).one()
            scope = [p for p in permissions if p not in ("core.account.manage", "core.user.manage")]
            return create_api_key(s, user, "test", reg, scope=scope)[1]
        return username, mutuo_db.transaction(build)
    return make


@pytest.fixture
def api(mutuo_db):
    return webtest.TestApp(mutuo_db.app)


def bearer(plain):
    return {"Authorization": f"Bearer {plain}"}


def assert_problem(res, status):
    assert res.status_int == status
    assert res.content_type == PROBLEM, res.text[:300]
    body = res.json
    assert body["status"] == status and body["title"] and body["type"]
    assert "Traceback" not in res.text
    return body


# -- the document -------------------------------------------------------------------------

ALL = pytest.mark.parametrize("mutuo_plugins", [("sample",), ("sample", "products", "lending", "collections")],
                              ids=["sample", "all-plugins"])


@ALL
def test_every_api_route_is_in_the_document_and_declares_a_permission(mutuo_db):
    from pyramid.interfaces import IRoutesMapper

    registry = mutuo_db.app.registry
    document = registry["mutuo.api.document"]
    documented = {(method.upper(), path) for path, methods in document["paths"].items() for method in methods}
    by_route = {m.route_name: m for m in registry["mutuo.api"].operations}
    for route in registry.getUtility(IRoutesMapper).get_routes():
        if not route.pattern.startswith(f"{API_PREFIX}/") or route.name in ("api.openapi", "api.docs"):
            continue
        mounted = by_route[route.name]
        assert (mounted.op.method, route.pattern) in documented, route.pattern
    for path, methods in document["paths"].items():
        for method, op in methods.items():
            assert op["x-permission"] in registry["mutuo.security"].permissions, (method, path)
            assert f"`{op['x-permission']}`" in op["description"]
    # and the views carry exactly that permission (the security matrix test sees them too)
    from tests.core.test_security import route_views

    views, _routes = route_views(registry)
    for route, _methods, permission, _params in views:
        if route in by_route:
            assert permission == by_route[route].op.permission


def test_the_document_is_valid_openapi_31(testapp, logged_in):
    from jsonschema import Draft202012Validator

    logged_in()
    doc = testapp.get(f"{API_PREFIX}/openapi.json").json
    assert doc["openapi"] == "3.1.0"
    for methods in doc["paths"].values():
        for op in methods.values():
            for param in op["parameters"]:
                Draft202012Validator.check_schema(param["schema"])
            for response in op["responses"].values():
                for content in response.get("content", {}).values():
                    if "$ref" not in content["schema"]:
                        Draft202012Validator.check_schema(content["schema"])
    assert "sample.note.created" in doc["webhooks"] and "core.webhook.ping" in doc["webhooks"]


def test_a_third_party_plugin_adds_operations(testapp, logged_in):
    """The sample plugin is installed like a third party's: its operations are mounted and documented."""
    logged_in(NOTE_PERMS)
    doc = testapp.get(f"{API_PREFIX}/openapi.json").json
    assert {"get", "post"} <= set(doc["paths"]["/api/v1/sample/notes"])
    assert doc["paths"]["/api/v1/sample/notes/{id}"]["get"]["operationId"] == "sample.notes.read"
    page = testapp.get(f"{API_PREFIX}/docs")
    assert "sample.notes.create" in page.text
    assert all(tag.get("src") for tag in page.html.find_all("script")), "no inline script (CSP)"
    assert not page.html.find_all("style") and not page.html.find_all(style=True), "no inline style (CSP)"
    assert page.html.find(id="op-sample-notes-list") is not None


def test_operations_without_permission_or_twice_stop_startup():
    from core.api.registry import _check
    from core.errors import StartupError

    op = Operation("GET", "/x", "x", lambda r, c: {}, "", "X")
    with pytest.raises(StartupError, match="no permission"):
        _check("demo", op, None)
    with pytest.raises(StartupError, match="unknown permission"):
        _check("demo", Operation("GET", "/x", "x", lambda r, c: {}, "demo.x.view", "X"), {"other"})


# -- auth modes and problems ---------------------------------------------------------------

def test_no_credentials_is_a_401_problem(api):
    body = assert_problem(api.get(f"{API_PREFIX}/core/me", status=401), 401)
    assert body["instance"] == f"{API_PREFIX}/core/me"
    assert_problem(api.get(f"{API_PREFIX}/core/me", headers=bearer("mutuo_nope"), status=401), 401)


def test_api_key_and_scope(api, key_for):
    _user, plain = key_for(("core.dashboard.view", "sample.note.view"))
    me = api.get(f"{API_PREFIX}/core/me", headers=bearer(plain)).json
    assert me["auth"] == "api_key" and "sample.note.view" in me["permissions"]
    body = assert_problem(api.post_json(f"{API_PREFIX}/sample/notes", {"title": "x"}, headers=bearer(plain),
                                        status=403), 403)
    assert body["missing_permission"] == "sample.note.manage"


def test_session_needs_the_csrf_header_on_writes(testapp, logged_in):
    logged_in(NOTE_PERMS)
    assert testapp.get(f"{API_PREFIX}/core/me").json["auth"] == "session"
    body = assert_problem(testapp.post_json(f"{API_PREFIX}/sample/notes", {"title": "x"}, status=403), 403)
    assert body["type"] == "urn:mutuo:problem:csrf"
    token = testing.csrf_token(testapp)
    res = testapp.post_json(f"{API_PREFIX}/sample/notes", {"title": "x"}, headers={"X-CSRF-Token": token}, status=201)
    assert res.json["title"] == "x" and res.location.endswith(f"/api/v1/sample/notes/{res.json['id']}")


def test_invalid_requests_are_problems_never_500(api, key_for):
    _user, plain = key_for()
    h = bearer(plain)
    url = f"{API_PREFIX}/sample/notes"
    assert_problem(api.post(url, "{not json", headers={**h, "Content-Type": "application/json"}, status=400), 400)
    assert_problem(api.post(url, "title=x", headers=h, status=415), 415)
    body = assert_problem(api.post_json(url, {"title": "x", "amount": "12"}, headers=h, status=422), 422)
    assert body["errors"] == [{"field": "amount", "message": body["errors"][0]["message"]}]
    body = assert_problem(api.post_json(url, {"body": "no title"}, headers=h, status=422), 422)
    assert body["errors"][0]["field"] == "title"
    body = assert_problem(api.post_json(url, {"title": "x", "extra": 1}, headers=h, status=422), 422)
    assert body["errors"][0]["field"] == "extra"
    body = assert_problem(api.post_json(url, {"title": "   "}, headers=h, status=422), 422)  # the service refuses
    assert body["errors"][0]["field"] == "title"
    assert_problem(api.get(f"{url}/abc", headers=h, status=404), 404)
    assert_problem(api.get(f"{url}/99999", headers=h, status=404), 404)
    assert_problem(api.get(f"{API_PREFIX}/nothing/here", headers=h, status=404), 404)
    body = assert_problem(api.get(f"{url}?limit=0", headers=h, status=422), 422)
    assert body["errors"][0]["field"] == "limit"
    assert_problem(api.get(f"{url}?cursor=forged.abc", headers=h, status=422), 422)


def test_a_response_breaking_its_schema_is_a_logged_500(mutuo_db, api, key_for, caplog):
    _user, plain = key_for()
    note = api.post_json(f"{API_PREFIX}/sample/notes", {"title": "a"}, headers=bearer(plain), status=201).json
    op = mutuo_db.app.registry["mutuo.api"].by_route()["api.sample.notes.read"].op
    original = op.handler
    object.__setattr__(op, "handler", lambda request, call: {"id": call.path["id"]})  # drifted from NOTE
    try:
        res = api.get(f"{API_PREFIX}/sample/notes/{note['id']}", headers=bearer(plain), expect_errors=True)
    finally:
        object.__setattr__(op, "handler", original)
    body = assert_problem(res, 500)
    assert body["type"] == "urn:mutuo:problem:response-schema"
    assert "breaks its schema" in caplog.text


# -- pagination ----------------------------------------------------------------------------

def test_cursor_pagination_filters_and_sorting(mutuo_db, api, key_for):
    from mutuo_sample.models import Note

    username, plain = key_for(("core.dashboard.view", "sample.note.view", "sample.note.view_all"))
    mutuo_db.transaction(lambda s: s.add_all([Note(title=f"n{i % 3}-{i:02d}", body="") for i in range(25)]))
    url = f"{API_PREFIX}/sample/notes"
    seen, cursor = [], None
    while True:
        res = api.get(url, {"limit": 7, "sort": "-title", **({"cursor": cursor} if cursor else {})},
                      headers=bearer(plain)).json
        seen += [n["title"] for n in res["items"]]
        cursor = res["next_cursor"]
        if not cursor:
            break
    assert seen == sorted(seen, reverse=True) and len(seen) == len(set(seen)) == 25
    res = api.get(url, {"title": "N1-", "limit": 200}, headers=bearer(plain)).json
    assert len(res["items"]) == 8 and all(n["title"].startswith("n1-") for n in res["items"])
    first = api.get(url, {"limit": 5}, headers=bearer(plain)).json
    assert_problem(api.get(url, {"cursor": first["next_cursor"], "sort": "title"}, headers=bearer(plain),
                           status=422), 422)  # a cursor is bound to its sort


def test_audit_log_filters(api, key_for, mutuo_db):
    _user, plain = key_for(("core.dashboard.view", "core.audit.view", "sample.note.manage", "sample.note.view"))
    api.post_json(f"{API_PREFIX}/sample/notes", {"title": "audited"}, headers=bearer(plain), status=201)
    res = api.get(f"{API_PREFIX}/core/audit", {"entity_type": "sample.note", "limit": 5},
                  headers=bearer(plain)).json
    assert res["items"] and all(e["entity_type"] == "sample.note" for e in res["items"])
    res = api.get(f"{API_PREFIX}/core/audit", {"since": "2999-01-01T00:00:00Z"}, headers=bearer(plain)).json
    assert res["items"] == []
    assert_problem(api.get(f"{API_PREFIX}/core/audit", {"since": "yesterday"}, headers=bearer(plain), status=422), 422)


# -- idempotency ---------------------------------------------------------------------------

def test_idempotency_key_replays_and_refuses_another_body(mutuo_db, api, key_for):
    from mutuo_sample.models import Note

    _user, plain = key_for()
    h = {**bearer(plain), "Idempotency-Key": "order-1"}
    url = f"{API_PREFIX}/sample/notes"
    first = api.post_json(url, {"title": "once"}, headers=h, status=201)
    again = api.post_json(url, {"title": "once"}, headers=h, status=201)
    assert again.json == first.json and again.headers["Idempotent-Replayed"] == "true"
    assert again.location == first.location
    body = assert_problem(api.post_json(url, {"title": "other"}, headers=h, status=409), 409)
    assert body["type"] == "urn:mutuo:problem:idempotency-conflict"
    count = mutuo_db.transaction(lambda s: s.scalar(select(func.count()).select_from(Note).where(Note.title == "once")))
    assert count == 1
    # a refused request stores nothing: the same key may be retried once the body is fixed
    h2 = {**bearer(plain), "Idempotency-Key": "order-2"}
    api.post_json(url, {"title": "x", "amount": "bad"}, headers=h2, status=422)
    api.post_json(url, {"title": "fixed"}, headers=h2, status=201)
    assert_problem(api.post_json(url, {"title": "y"}, headers={**bearer(plain), "Idempotency-Key": "bad key é"},
                                 status=400), 400)


def test_idempotency_keys_expire_and_are_purged(mutuo_db, api, key_for, run_job):
    from datetime import timedelta

    from core.models.meta import utcnow

    _user, plain = key_for()
    h = {**bearer(plain), "Idempotency-Key": "k-expire"}
    url = f"{API_PREFIX}/sample/notes"
    api.post_json(url, {"title": "one"}, headers=h, status=201)

    def age(s):
        for row in s.scalars(select(IdempotencyKey)):
            row.expires_at = utcnow() - timedelta(seconds=1)
    mutuo_db.transaction(age)
    api.post_json(url, {"title": "two"}, headers=h, status=201)  # expired: a new request, not a conflict
    mutuo_db.transaction(age)
    run_job("core.api_idempotency_purge")
    assert mutuo_db.transaction(lambda s: s.scalar(select(func.count()).select_from(IdempotencyKey))) == 0


def test_idempotency_hours_setting_is_checked():
    from core.api.idempotency import hours
    from core.errors import ConfigError

    assert hours({}) == 24 and hours({"mutuo.api.idempotency_hours": "2"}) == 2
    with pytest.raises(ConfigError):
        hours({"mutuo.api.idempotency_hours": "-1"})


@pytest.mark.postgres
def test_concurrent_identical_requests_run_once(mutuo_db, make_user):
    if mutuo_db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only (set MUTUO_TEST_DATABASE_URL): SQLite serialises writers")
    from core import context
    from core.api import idempotency
    from mutuo_sample.models import Note

    username, _pw = make_user(permissions=NOTE_PERMS)
    uid = mutuo_db.transaction(lambda s: s.scalars(select(User.id).where(User.username == username)).one())
    settings = mutuo_db.settings

    def work(session, n, barrier):
        barrier.wait()
        stored = idempotency.begin(session, settings, uid, "race-1", "POST", "/api/v1/sample/notes", b'{"title":"r"}')
        if stored is not None:
            return ("replayed", stored.status, stored.response_body)
        note = Note(title="raced", body="")
        session.add(note)
        session.flush()
        idempotency.finish(session, 201, json.dumps({"id": note.id}))
        return ("ran", 201, json.dumps({"id": note.id}))

    results, errors = testing.race(mutuo_db, work, 8, prepare=lambda s: context.bind(s, pm=mutuo_db.pm))
    assert not errors, errors
    assert [r[0] for r in results].count("ran") == 1
    assert len({r[2] for r in results}) == 1  # every twin answers the first answer
    count = mutuo_db.transaction(lambda s: s.scalar(select(func.count()).select_from(Note).where(Note.title == "raced")))
    assert count == 1


# -- webhooks ------------------------------------------------------------------------------

@pytest.fixture
def sender(mutuo_db):
    from core.services import IWebhookSender

    memory = MemoryWebhookSender()
    restore = mutuo_db.replace_service(IWebhookSender, memory)
    hosts = "hooks.example.com *.partner.test"
    mutuo_db.app.registry.settings["mutuo.webhooks.allowed_hosts"] = mutuo_db.settings["mutuo.webhooks.allowed_hosts"] = hosts
    yield memory
    mutuo_db.app.registry.settings.pop("mutuo.webhooks.allowed_hosts", None)
    mutuo_db.settings.pop("mutuo.webhooks.allowed_hosts", None)
    restore()


def test_verify_signature():
    body = b'{"a":1}'
    header = sign("whsec_x", body, 1_000_000)
    assert header.startswith("t=1000000,v1=")
    assert verify_signature("whsec_x", header, body, now=1_000_100)
    assert not verify_signature("whsec_x", header, body + b" ", now=1_000_100)
    assert not verify_signature("whsec_y", header, body, now=1_000_100)
    assert not verify_signature("whsec_x", header, body, now=1_000_000 + 301)  # a replay, too late
    assert not verify_signature("whsec_x", "garbage", body)
    assert verify_signature("whsec_x", sign("whsec_x", body), body)


def test_the_receiver_snippet_in_the_docs_verifies_our_signatures():
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text()
    code = next(block for block in re.findall(r"```python\n(.*?)```", text, re.S) if "def verify_signature" in block)
    namespace: dict = {}
    exec(compile(code, "docs/api.md", "exec"), namespace)  # noqa: S102 (our own documentation)
    body = b'{"id":"evt_1","event":"core.webhook.ping","data":{}}'
    assert namespace["verify_signature"]("whsec_doc", sign("whsec_doc", body), body)
    assert not namespace["verify_signature"]("whsec_doc", sign("whsec_other", body), body)
    assert not namespace["verify_signature"]("whsec_doc", sign("whsec_doc", body, int(time.time()) - 3600), body)


def test_publish_signs_and_delivers(mutuo_db, api, key_for, sender, run_job):
    _user, admin_key = key_for(("core.dashboard.view", "core.webhook.manage"))
    h = bearer(admin_key)
    assert_problem(api.post_json(f"{API_PREFIX}/core/webhooks", {"url": "https://evil.example.org/x",
                                                                 "events": ["sample.note.created"]},
                                 headers=h, status=422), 422)
    assert_problem(api.post_json(f"{API_PREFIX}/core/webhooks", {"url": "https://hooks.example.com/x",
                                                                 "events": ["no.such.event"]}, headers=h, status=422), 422)
    with pytest.raises(ValueError, match="not declared"):
        mutuo_db.transaction(lambda s: __import__("core.webhooks").webhooks.publish(s, "sample.no_such", {}))
    created = api.post_json(f"{API_PREFIX}/core/webhooks", {"url": "https://hooks.example.com/mutuo",
                                                            "events": ["sample.note.created"]}, headers=h, status=201).json
    secret = created["secret"]
    assert "secret" not in api.get(f"{API_PREFIX}/core/webhooks/{created['id']}", headers=h).json

    _u, notes_key = key_for()
    note = api.post_json(f"{API_PREFIX}/sample/notes", {"title": "hooked"}, headers=bearer(notes_key), status=201).json
    assert sender.sent == []  # queued in the transaction, sent by the job
    run_job("core.deliver_webhooks")
    (url, body, headers), = sender.sent
    assert url == "https://hooks.example.com/mutuo" and headers["Mutuo-Event"] == "sample.note.created"
    assert verify_signature(secret, headers["Mutuo-Signature"], body)
    event = json.loads(body)
    assert event["event"] == "sample.note.created" and event["data"] == {"note_id": note["id"], "title": "hooked"}
    log = api.get(f"{API_PREFIX}/core/webhooks/{created['id']}/deliveries", headers=h).json["items"]
    assert log[0]["status"] == "delivered" and log[0]["attempts"] == 1 and log[0]["response_code"] == 200


def test_failed_deliveries_back_off_then_redeliver(mutuo_db, api, key_for, sender, run_job):
    from datetime import timedelta

    from core import webhooks

    _user, admin_key = key_for(("core.dashboard.view", "core.webhook.manage", *NOTE_PERMS[1:]))
    h = bearer(admin_key)
    api.post_json(f"{API_PREFIX}/core/webhooks", {"url": "https://a.partner.test/in",
                                                  "events": ["sample.note.created"]}, headers=h, status=201)
    api.post_json(f"{API_PREFIX}/sample/notes", {"title": "x"}, headers=h, status=201)
    sender.status = 503
    run_job("core.deliver_webhooks")
    d = mutuo_db.transaction(lambda s: s.scalars(select(WebhookDelivery)).one())
    assert (d.status, d.attempts, d.response_code) == ("pending", 1, 503)
    assert timedelta(seconds=25) < d.next_attempt_at - d.last_attempt_at <= timedelta(seconds=30)
    run_job("core.deliver_webhooks")  # not due yet: nothing sent
    assert len(sender.sent) == 1
    assert webhooks.backoff(2) == timedelta(seconds=60) and webhooks.backoff(20) == webhooks.MAX_BACKOFF

    def exhaust(s):
        row = s.scalars(select(WebhookDelivery)).one()
        for _ in range(webhooks.MAX_ATTEMPTS - 1):
            webhooks.attempt(s, row, sender, mutuo_db.app.registry.settings)
        return row.status
    assert mutuo_db.transaction(exhaust) == "failed"
    sender.status = 200
    res = api.post(f"{API_PREFIX}/core/webhook-deliveries/{d.id}/redeliver", headers=h, status=202).json
    assert res["status"] == "pending"
    run_job("core.deliver_webhooks")
    d = mutuo_db.transaction(lambda s: s.scalars(select(WebhookDelivery)).one())
    assert d.status == "delivered" and d.response_code == 200


def test_webhook_admin_screen_shows_the_secret_once_and_redelivers(mutuo_db, testapp, logged_in, sender, run_job):
    logged_in(("core.dashboard.view", "core.webhook.manage"))
    form = testapp.get("/admin/webhooks/new").forms["deform"]
    form["url"] = "https://hooks.example.com/screen"
    form.get("checkbox", index=[i for i, f in enumerate(form.fields["checkbox"])
                                if f._value == "core.webhook.ping"][0]).checked = True
    page = form.submit("save", status=302).follow()
    secret = page.html.find(id="secret").find("code").text
    assert secret.startswith("whsec_")
    again = testapp.get(page.request.url)
    assert again.html.find(id="secret") is None and secret not in again.text
    [f for f in again.forms.values() if (f.action or "").endswith("/ping")][0].submit(status=302)  # a test event
    run_job("core.deliver_webhooks")
    (_url, body, headers), = sender.sent
    assert verify_signature(secret, headers["Mutuo-Signature"], body)
    page = testapp.get(page.request.url)
    row = page.html.find(id="deliveries").find("tr", attrs={"data-delivery": True})
    assert "delivered" in row.text
    redeliver = [f for f in page.forms.values() if "redeliver" in (f.action or "")][0]
    redeliver.submit(status=302)
    run_job("core.deliver_webhooks")
    assert len(sender.sent) == 2
    endpoint = mutuo_db.transaction(lambda s: s.scalars(select(WebhookEndpoint)).one().secret)
    assert endpoint == secret


# -- core's endpoints ------------------------------------------------------------------------

def test_core_endpoints(mutuo_db, api, key_for, run_job):
    _user, plain = key_for(("core.dashboard.view", "core.user.view", "core.role.view", "core.job.view",
                            "core.job.run", "core.document.view", "core.document.manage"))
    h = bearer(plain)
    users = api.get(f"{API_PREFIX}/core/users", {"sort": "username"}, headers=h).json["items"]
    assert users and api.get(f"{API_PREFIX}/core/users/{users[0]['id']}", headers=h).json["username"]
    roles = api.get(f"{API_PREFIX}/core/roles", headers=h).json["items"]
    admin = [r for r in roles if r["name"] == "admin"][0]
    assert api.get(f"{API_PREFIX}/core/roles/{admin['id']}", headers=h).json["name"] == "admin"
    jobs = api.get(f"{API_PREFIX}/core/jobs", headers=h).json["items"]
    assert "core.deliver_webhooks" in {j["name"] for j in jobs}
    queued = api.post(f"{API_PREFIX}/core/jobs/sample.count_notes/run", headers=h, status=202).json
    assert queued["job"] == "sample.count_notes"
    runs = api.get(f"{API_PREFIX}/core/jobs/sample.count_notes/runs", headers=h).json["items"]
    assert runs and runs[0]["job"] == "sample.count_notes"
    assert_problem(api.post(f"{API_PREFIX}/core/jobs/no.such/run", headers=h, status=404), 404)

    res = api.post(f"{API_PREFIX}/core/documents", {"title": "Contract"},
                   upload_files=[("file", "contract.txt", b"hello world\n")], headers=h, status=201).json
    doc_id = res["id"]
    assert res["latest"]["filename"] == "contract.txt"
    api.post(f"{API_PREFIX}/core/documents", {"document_id": str(doc_id)},
             upload_files=[("file", "contract.txt", b"hello again\n")], headers=h, status=201)
    versions = api.get(f"{API_PREFIX}/core/documents/{doc_id}/versions", headers=h).json["items"]
    assert [v["number"] for v in versions] == [1, 2]
    content = api.get(f"{API_PREFIX}/core/documents/{doc_id}/versions/1/content", headers=h)
    assert content.body == b"hello world\n"
    assert_problem(api.get(f"{API_PREFIX}/core/documents/{doc_id}/versions/9/content", headers=h, status=404), 404)
    listed = api.get(f"{API_PREFIX}/core/documents", {"title": "contr"}, headers=h).json["items"]
    assert [d["id"] for d in listed] == [doc_id]
    assert_problem(api.post(f"{API_PREFIX}/core/documents", {"title": "none"}, headers=h, status=415), 415)


def test_legacy_api_me_still_answers(api, key_for):
    _user, plain = key_for(("core.dashboard.view",))
    assert api.get("/api/me", headers=bearer(plain)).json["permissions"] == ["core.dashboard.view"]


def test_server_errors_under_api_are_problems(mutuo_db, api, key_for):
    from core.web import api_core

    _user, plain = key_for(("core.dashboard.view",))
    def boom(*a, **k):
        raise RuntimeError("secret internals")
    mounted = mutuo_db.app.registry["mutuo.api"].by_route()["api.core.me"]
    object.__setattr__(mounted.op, "handler", boom)
    try:
        res = api.get(f"{API_PREFIX}/core/me", headers=bearer(plain), status=500)
    finally:
        object.__setattr__(mounted.op, "handler", api_core.me)
    body = assert_problem(res, 500)
    assert "secret internals" not in res.text and body["request_id"]

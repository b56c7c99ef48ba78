"""Core's answers to what the plugins' APIs asked for: condition filters, several success statuses,
optional bodies, refusals with extra problem members, webhooks' subscribed() (docs/api.md)."""
from __future__ import annotations

import pytest
from sqlalchemy import event, select

from core.api import ID, Filter, Operation, obj, text
from core.api.openapi import _operation
from core.api.pagination import _apply_filter, filter_schema
from core.api.registry import Mounted, _check
from core.errors import ConflictError, StartupError, UserError
from core.models.user import User


def _op(**kw):
    return Operation("POST", "/things", "things.create", lambda r, c: {}, "core.dashboard.view", "Things", **kw)


def test_several_success_statuses_are_declared_and_documented():
    op = _op(body=obj({"name": text(10)}), response=obj({"id": ID}), statuses=(201, 200))
    assert op.status == 201 and op.statuses == (201, 200)
    assert _op().status == 200 and _op().statuses == (200,)
    assert _op(status=204).statuses == (204,)
    with pytest.raises(ValueError, match="not one of its statuses"):
        _op(status=204, statuses=(200, 201))
    doc = _operation(Mounted("demo", _check("demo", op, None)))
    assert doc["responses"]["201"]["content"]["application/json"]["schema"] == obj({"id": ID})
    assert doc["responses"]["200"]["content"]["application/json"]["schema"] == obj({"id": ID})
    assert doc["requestBody"]["required"] is True


def test_an_optional_body_is_documented_as_optional():
    op = _op(body=obj({"reason": text(10)}, required=[]), body_required=False)
    assert _operation(Mounted("demo", _check("demo", op, None)))["requestBody"]["required"] is False
    with pytest.raises(StartupError, match="body_required"):
        _check("demo", _op(body_required=False), None)


def test_condition_filters_need_a_schema_and_are_applied_with_the_session():
    with pytest.raises(TypeError, match="column or a where"):
        Filter()
    with pytest.raises(TypeError, match="needs its schema"):
        Filter(where=lambda value, session: None)
    seen = []

    def active(value, session):
        seen.append((value, session))
        return User.active.is_(value)

    flt = Filter(schema={"type": "boolean"}, where=active, description="Active users only.")
    assert filter_schema(flt) == {"type": "boolean", "description": "Active users only."}
    stmt = _apply_filter(select(User), flt, True, "the session")
    assert seen == [(True, "the session")] and "core_user.active IS" in str(stmt).replace('"', "")


def test_a_refusal_s_extra_becomes_problem_members_never_replacing_the_standard_ones():
    from core.web.api import _extra

    exc = ConflictError("taken", "reference", extra={"repayment_id": 7, "status": 200, "kind": "x", "errors": []})
    assert exc.extra == {"repayment_id": 7, "status": 200, "kind": "x", "errors": []}
    assert _extra(exc) == {"repayment_id": 7}
    assert UserError("no").extra == {} and _extra(UserError("no")) == {}


@pytest.fixture
def hooks_allowed(mutuo_db):
    mutuo_db.settings["mutuo.webhooks.allowed_hosts"] = "hooks.example.com"
    yield mutuo_db.settings
    mutuo_db.settings.pop("mutuo.webhooks.allowed_hosts", None)


def test_subscribed_reads_the_endpoints_once_per_transaction_and_sees_changes(mutuo_db, hooks_allowed):
    from core import webhooks
    from core.models.api import WebhookDelivery

    events = {"sample.note.created": None, "core.webhook.ping": None}
    queries = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if "FROM core_webhook_endpoint" in statement.replace('"', ""):
            queries.append(statement)

    engine = mutuo_db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        def run(s):
            assert not webhooks.subscribed(s, "sample.note.created")
            assert webhooks.publish(s, "sample.note.created", {"note_id": 1, "title": "x"}) == 0
            assert len(queries) == 1  # remembered for the transaction
            endpoint, _secret = webhooks.create_endpoint(s, hooks_allowed, events, url="https://hooks.example.com/a",
                                                         events=["sample.note.created"])
            assert webhooks.subscribed(s, "sample.note.created") and not webhooks.subscribed(s, "core.webhook.ping")
            for _ in range(3):
                assert webhooks.publish(s, "sample.note.created", {"note_id": 1, "title": "x"}) == 1
            assert len(queries) == 2  # read again once, after the endpoint was added
            endpoint.events = "core.webhook.ping"  # changed, not yet flushed: seen at once
            assert webhooks.subscribed(s, "core.webhook.ping") and not webhooks.subscribed(s, "sample.note.created")
            webhooks.set_active(s, endpoint, False)
            assert not webhooks.subscribed(s, "core.webhook.ping")
            webhooks.set_active(s, endpoint, True)
            return endpoint.id

        ident = mutuo_db.transaction(run)

        def later(s):
            assert webhooks.subscribed(s, "core.webhook.ping")  # a new transaction reads them again
            assert len(s.scalars(select(WebhookDelivery).where(WebhookDelivery.endpoint_id == ident)).all()) == 3
            webhooks.delete_endpoint(s, s.get(__import__("core.models.api").models.api.WebhookEndpoint, ident))
            assert not webhooks.subscribed(s, "core.webhook.ping")

        mutuo_db.transaction(later)
    finally:
        event.remove(engine, "before_cursor_execute", count)

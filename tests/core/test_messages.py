"""Core's message service: compose, consent, gateways, rate limits, retries, the Messages screens."""
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import literal, select, union_all

from core import hookimpl, messages
from core.errors import UserError
from core.messages.consent import address_key, address_key_sql
from core.messages.delivery import BACKOFF
from core.models.message import Message
from core.security import StartupError
from core.testing import csrf_token

# Deliveries run "an hour from now": every message the test composes is due by then.
NOW = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)


class GatewayPlugin:
    def __init__(self, *gateways):
        self.gateways = list(gateways)

    @hookimpl
    def mutuo_message_gateways(self, settings):
        return self.gateways


@pytest.fixture
def with_gateways(mutuo_db):
    """with_gateways(gateway, ...) registers a plugin offering them for this test."""
    def register(*gateways):
        mutuo_db.pm.register(GatewayPlugin(*gateways), name="test-gateways")
        return gateways[0] if len(gateways) == 1 else gateways

    yield register
    if mutuo_db.pm.has_plugin("test-gateways"):
        mutuo_db.pm.unregister(name="test-gateways")


def sms(session, address="+34 600 000 001", body="Hello"):
    return messages.compose(session, sender="sample", channel="sms", address=address, body=body,
                            entity_type="sample.note", entity_id=1)


def statuses(session):
    session.expire_all()
    return [m.status for m in session.scalars(select(Message).order_by(Message.id))]


def test_without_a_gateway_the_outbox_is_the_gateway(dbsession):
    message = sms(dbsession)
    assert (message.status, message.sender, message.next_attempt_at) == ("outbox", "sample", None)
    assert messages.deliver(dbsession, now=NOW).sent == 0


def test_compose_refuses_what_cannot_be_sent(dbsession):
    with pytest.raises(UserError) as caught:
        messages.compose(dbsession, sender="sample", channel="fax", address="1", body="x")
    assert caught.value.field == "channel"
    with pytest.raises(UserError, match="Write the sms text"):
        sms(dbsession, body="  ")
    with pytest.raises(UserError, match="no phone number"):
        sms(dbsession, address="")


def test_a_gateway_plugin_receives_queued_messages_after_commit(dbsession, with_gateways, run_job):
    gateway = with_gateways(messages.MemoryGateway(name="fake-sms", channels=("sms",)))
    sms(dbsession)
    email = messages.compose(dbsession, sender="sample", channel="email", address="a@example.com", body="Hi")
    assert statuses(dbsession) == ["queued", "outbox"]  # no gateway takes e-mail: the outbox keeps it
    assert gateway.sent == []  # nothing leaves while the transaction is open
    dbsession.commit()
    run = run_job("core.deliver_messages")
    assert run.status == "succeeded" and run.summary.startswith("1 message sent")
    assert gateway.sent == [("sms", "+34 600 000 001", "Hello")]
    sent = dbsession.scalars(select(Message).where(Message.channel == "sms")).one()
    assert (sent.status, sent.gateway, sent.provider_ref, sent.attempts) == ("sent", "fake-sms", "fake-sms-1", 1)
    assert dbsession.get(Message, email.id).status == "outbox"


def test_consent_suppresses_a_single_message_and_opt_in_restores(dbsession, with_gateways):
    with_gateways(messages.MemoryGateway())
    messages.opt_out(dbsession, "sms", "+34 600-000-001", "customer phone call", "no SMS please")
    assert messages.is_opted_out(dbsession, "sms", "+34600000001")
    assert not messages.is_opted_out(dbsession, "email", "+34600000001")  # per channel
    assert sms(dbsession).status == "suppressed"
    assert messages.compose(dbsession, sender="sample", channel="email", address="a@example.com",
                            body="Hi").status == "queued"
    assert messages.opt_in(dbsession, "sms", "+34 600 000 001", "customer web form") is not None
    assert sms(dbsession).status == "queued"
    assert messages.opt_in(dbsession, "sms", "+34 600 000 001", "again") is None  # nothing to undo
    with pytest.raises(UserError) as caught:
        messages.opt_out(dbsession, "sms", "+34 600 000 001", "  ")
    assert caught.value.field == "source"


def test_consent_suppresses_the_set_based_path(dbsession, with_gateways):
    with_gateways(messages.MemoryGateway(channels=("sms",)))
    messages.opt_out(dbsession, "sms", "+34 600 000 002", "sms STOP")

    def row(channel, address, ref):
        return select(literal(channel).label("channel"), literal(address).label("address"),
                      literal("").label("subject"), literal("Pay {x}").label("body"),
                      literal("sample.note").label("entity_type"), literal(1).label("entity_id"),
                      literal(ref).label("sender_ref"))

    rows = union_all(row("sms", "+34 600 000 001", "a"), row("sms", "+34 600-000-002", "b"),
                     row("email", "+34 600 000 002", "c"))
    assert messages.compose_from_select(dbsession, "sample", select(rows.subquery())) == 3
    made = {m.sender_ref: (m.status, m.next_attempt_at is not None)
            for m in dbsession.scalars(select(Message))}
    assert made == {"a": ("queued", True), "b": ("suppressed", False), "c": ("outbox", False)}


def test_an_opt_out_after_composing_stops_delivery(dbsession, with_gateways):
    gateway = with_gateways(messages.MemoryGateway())
    sms(dbsession)
    messages.opt_out(dbsession, "sms", "+34 600 000 001", "customer phone call")
    run = messages.deliver(dbsession, now=NOW)
    assert (run.sent, run.suppressed, gateway.sent) == (0, 1, [])
    assert statuses(dbsession) == ["suppressed"]


def test_the_rate_limit_holds_per_gateway_and_minute(dbsession, with_gateways):
    gateway = with_gateways(messages.MemoryGateway(name="slow", rate_per_minute=3))
    for n in range(5):
        sms(dbsession, address=f"+34 600 000 00{n}")
    assert messages.deliver(dbsession, now=NOW).sent == 3
    assert statuses(dbsession) == ["sent"] * 3 + ["queued"] * 2
    again = messages.deliver(dbsession, now=NOW + timedelta(seconds=30))  # the same minute: nothing more
    assert (again.sent, again.waiting) == (0, 2)
    assert messages.deliver(dbsession, now=NOW + timedelta(minutes=1)).sent == 2
    assert len(gateway.sent) == 5


def test_a_failing_gateway_is_retried_with_backoff_then_failed(dbsession, with_gateways):
    gateway = with_gateways(messages.MemoryGateway(fail=lambda address: True))
    message = sms(dbsession)
    now, waits = NOW, []
    for attempt in range(1, 5):
        assert messages.deliver(dbsession, now=now).retrying == 1
        assert (message.status, message.attempts) == ("queued", attempt)
        waits.append(message.next_attempt_at - now)
        assert messages.deliver(dbsession, now=message.next_attempt_at - timedelta(seconds=1)).retrying == 0
        now = message.next_attempt_at
    assert waits == list(BACKOFF)
    assert messages.deliver(dbsession, now=now).failed == 1  # the 5th attempt is the last (default)
    assert (message.status, message.attempts, message.next_attempt_at) == ("failed", 5, None)
    assert "refused" in message.last_error and gateway.sent == []


def test_max_attempts_is_a_setting(dbsession, with_gateways):
    with_gateways(messages.MemoryGateway(fail=lambda address: True))
    dbsession.info["mutuo.settings"] = {**dbsession.info["mutuo.settings"], "mutuo.messages.max_attempts": "1"}
    message = sms(dbsession)
    assert messages.deliver(dbsession, now=NOW).failed == 1 and message.status == "failed"


def test_the_first_gateway_of_a_channel_wins_and_bad_gateways_stop_start_up(dbsession, mutuo_db, with_gateways):
    first, second = with_gateways(messages.MemoryGateway(name="one", channels=("sms",)),
                                  messages.MemoryGateway(name="two"))
    sms(dbsession)
    messages.compose(dbsession, sender="sample", channel="email", address="a@example.com", body="Hi")
    messages.deliver(dbsession, now=NOW)
    assert ([c for c, *_ in first.sent], [c for c, *_ in second.sent]) == (["sms"], ["email"])
    mutuo_db.pm.unregister(name="test-gateways")
    with_gateways(messages.MemoryGateway(name="dup"), messages.MemoryGateway(name="dup"))
    with pytest.raises(StartupError, match="declared twice"):
        messages.gateways_for(dbsession)


def test_address_keys_agree_in_python_and_sql(dbsession):
    for raw in ("+34 600-000 001", " Ana.Diaz@Example.COM ", "600000001"):
        assert dbsession.scalar(select(address_key_sql(literal(raw)))) == address_key(raw)


def test_templates_render_alike_in_python_and_sql(dbsession):
    text = "Dear {name}, {amount} is due on loan {loan}."
    messages.check_template(text, ("name", "amount", "loan"))
    for bad in ("Hi {nombre}", "Hi {name:>9}", "Hi {{name}}", "Hi {name"):
        with pytest.raises(UserError):
            messages.check_template(bad, ("name",))
    values = {"name": "Ana", "amount": "1,234.50", "loan": 7}
    sql = messages.render_sql(literal(text), {k: literal(v) for k, v in values.items()})
    assert dbsession.scalar(select(sql)) == messages.render(text, values) == "Dear Ana, 1,234.50 is due on loan 7."


def test_messages_screen_filters_and_exports(mutuo_db, logged_in):
    mutuo_db.transaction(lambda s: (sms(s, body="first text"), messages.compose(
        s, sender="other", channel="email", address="b@example.com", body="second text")))
    app = logged_in(permissions=("core.dashboard.view", "core.message.view"))
    page = app.get("/admin/messages?sender=sample")
    assert "first text" in page.text and "second text" not in page.text and "stays in the outbox" in page.text
    csv = app.get("/admin/messages?format=csv&channel=email")
    assert "b@example.com" in csv.text and "+34 600 000 001" not in csv.text
    assert "Opt out" not in app.get("/admin/messages/opt-outs").text  # only with core.message.consent


def test_opt_out_and_back_in_from_the_screen(mutuo_db, logged_in):
    app = logged_in(permissions=("core.dashboard.view", "core.message.view", "core.message.consent"))
    token = csrf_token(app)
    form = {"csrf_token": token, "channel": "sms", "address": "+34 611 111 111", "source": "", "reason": "asked"}
    page = app.post("/admin/messages/opt-outs/out", form).follow()
    assert "Opted out" in page.text and "+34611111111" in page.text and f"user {app.username}" in page.text
    assert "had not opted out" not in app.post("/admin/messages/opt-outs/in", form).follow().text
    with mutuo_db.session_factory() as s:
        assert not messages.is_opted_out(s, "sms", "+34 611 111 111")
    refused = app.post("/admin/messages/opt-outs/out", {**form, "address": " "}).follow()
    assert "Write the phone number" in refused.text

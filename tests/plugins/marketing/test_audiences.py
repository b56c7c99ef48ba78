"""Audiences, consent and broadcasts: only consenting customers, the opt-out link, the compliance rule."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from core.errors import UserError
from core.messages import opt_out
from core.models.message import Message
from plugins.marketing.services import audiences


@pytest.fixture(autouse=True)
def _today(clock):
    clock.day = date(2025, 3, 10)


def url(token):
    return f"https://mutuo.test/marketing/unsubscribe/{token}"


def test_broadcasts_reach_only_consenting_members(session, world):
    ana = world.customer(role="investor", email="ana@example.test")
    ben = world.customer(role="investor", email="ben@example.test")
    cai = world.customer(role="investor", email="cai@example.test")
    world.customer(role="investor", verified=False, email="dan@example.test")  # not in a verified audience
    world.customer(role="borrower", email="eli@example.test")  # not an investor
    for person in (ana, ben, cai):
        audiences.grant_consent(session, person, "email", "sign-up form")
    audiences.withdraw_consent(session, ben.id, "email", "phone call")
    opt_out(session, "email", "cai@example.test", "customer e-mail")  # core's register still wins
    savers = audiences.create_audience(session, "Savers", role="investor", verified_only=True)
    assert audiences.sizes(session, savers) == {"members": 3, "email": 2, "sms": 0}
    sent = audiences.broadcast(session, savers, "email", "New projects this week.", url, subject="Projects")
    assert (sent.recipients, sent.skipped) == (2, 1)
    messages = {m.address: m for m in session.scalars(select(Message).where(Message.sender == "marketing"))}
    assert set(messages) == {"ana@example.test", "cai@example.test"}
    assert messages["cai@example.test"].status == "suppressed"
    assert audiences.token(session, ana.id, "email") in messages["ana@example.test"].body


def test_a_loan_project_is_promoted_only_to_verified_customers(session, world):
    everyone = audiences.create_audience(session, "Everyone", verified_only=False)
    with pytest.raises(UserError) as refused:
        audiences.broadcast(session, everyone, "sms", "Invest in project 12!", url, promotes_project=True)
    assert refused.value.field == "promotes_project"


def test_the_opt_out_link_withdraws_consent_and_cannot_be_forged(mutuo_db, testapp, world, session):
    customer = world.customer(role="investor", email="ana@example.test")
    audiences.grant_consent(session, customer, "email", "sign-up form")
    token = audiences.token(session, customer.id, "email")
    session.commit()
    testapp.get(f"/marketing/unsubscribe/{customer.id}.email.{'0' * 32}", status=404)
    page = testapp.get(f"/marketing/unsubscribe/{token}")
    assert "unsubscribe-confirm" in page.text  # a GET (a mail scanner) changes nothing
    assert "unsubscribed" in page.forms[0].submit().text
    from plugins.marketing.models import Consent

    withdrawn = mutuo_db.transaction(lambda s: s.scalar(select(Consent.withdrawn_at)))
    assert withdrawn is not None


def test_a_manager_sends_a_broadcast_from_the_audience_page(login_as, make_user, mutuo_db, world, session):
    customer = world.customer(role="investor", email="ana@example.test")
    audiences.grant_consent(session, customer, "email", "sign-up form")
    audience_id = audiences.create_audience(session, "Savers", role="investor").id
    session.commit()
    app = login_as("marketing_manager")
    assert "Savers" in app.get("/marketing/audiences").text
    form = app.get(f"/marketing/audiences/{audience_id}").forms["deform"]
    form["subject"], form["body"] = "Hello", "New projects."
    done = form.submit("send").follow()
    assert "1 messages written" in done.text
    import webtest

    from core.testing import login

    specialist = webtest.TestApp(mutuo_db.app, extra_environ={"REMOTE_ADDR": "127.0.0.1", "HTTP_HOST": "localhost"})
    login(specialist, *make_user(roles=("marketing_specialist", "staff")))
    page = specialist.get(f"/marketing/audiences/{audience_id}")
    assert "1 customers" in page.text and "deform" not in page.forms  # sees the audience, may not send
    specialist.get("/marketing/consents/new", status=403)

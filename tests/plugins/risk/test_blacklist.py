"""Blacklist screening: exact identifiers first, fuzzy names to a person, decisions kept with who and why."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from core.errors import ConflictError, UserError
from core.models.audit import AuditEntry
from plugins.risk.models import Hit, Profile
from plugins.risk.services import blacklist, reviews
from plugins.risk.testing import as_user, make_user


class Watch:
    def __init__(self):
        self.hits = []

    from core import hookimpl

    @hookimpl
    def risk_watchlist_hit(self, customer, hit):
        self.hits.append((customer.id, hit.match))


@pytest.fixture
def watch(mutuo_db):
    recorder = Watch()
    mutuo_db.pm.register(recorder, name="risk-test-watch")
    yield recorder
    mutuo_db.pm.unregister(name="risk-test-watch")


def test_stdnum_validates_and_compacts_spanish_ids():
    assert blacklist.compact_id("12345678-z") == ("12345678Z", "es.dni")
    assert blacklist.compact_id("x-1234567-l") == ("X1234567L", "es.nie")
    assert blacklist.compact_id("12345678A") == ("12345678A", None)    # wrong check letter: kept as typed


def test_a_new_entry_hits_a_customer_by_id_number(session, world, watch):
    customer = world.customer()
    entry = blacklist.add_entry(session, name="Someone Else", id_number=customer.id_number.lower(),
                                reason="Fraud", source="Police")
    hit = session.scalar(select(Hit).where(Hit.entry_id == entry.id))
    assert (hit.customer_id, hit.match, hit.similarity, hit.status) == (customer.id, "id_number", 100, "open")
    assert watch.hits == [(customer.id, "id_number")]


def test_a_new_customer_is_screened_by_phone_in_e164(session, world, watch):
    blacklist.add_entry(session, name="Phone Person", phone="+34 600 12 34 56", reason="Mule account")
    customer = world.customer(phone="600123456")
    assert watch.hits == [(customer.id, "phone")]


def test_fuzzy_names_above_the_threshold_go_to_review_and_never_decline(session, world):
    blacklist.add_entry(session, name="Juan Carlos Pérez Gómez", reason="Identity theft")
    customer = world.customer(name="Gomez Perez Juan Carlos")      # other order, no accents
    stranger = world.customer(name="Juana Martínez")
    hits = blacklist.open_hits(session, customer.id)
    assert [(h.match, float(h.similarity)) for h in hits] == [("name", 100.0)]
    assert blacklist.open_hits(session, stranger.id) == []
    assert blacklist.screening_state(session, customer.id) == "review"
    application = world.submitted(borrower=customer)
    review = reviews.review_of(session, application.id)
    assert review.screening == "review" and review.rule_outcome == "pass" and review.status == "pending"
    with pytest.raises(UserError) as refused:
        reviews.decide(session, review, recommendation="approve", level="low")
    assert "blacklist hit" in str(refused.value)


def test_george_bush_is_not_george_habbash(session, world):
    blacklist.add_entry(session, name="George Habbash", reason="Sanctions list")
    customer = world.customer(name="George Bush")
    assert blacklist.open_hits(session, customer.id) == []
    assert blacklist.fuzzy_matches("George Bush", {1: "george habbash"}, 90) == []
    assert blacklist.fuzzy_matches("Bush", {1: "bush"}, 90) == []      # one word: never fuzzy


def test_deciding_a_hit_keeps_who_and_why_and_confirmed_puts_on_watch(session, world):
    analyst = make_user(session, "screener")
    customer = world.customer()
    blacklist.add_entry(session, name="X Y", id_number=customer.id_number, reason="Fraud")
    hit = blacklist.open_hits(session, customer.id)[0]
    with pytest.raises(UserError):
        blacklist.decide_hit(session, hit, "confirmed", "  ")
    with as_user(session, analyst):
        blacklist.decide_hit(session, hit, "confirmed", "Same person, same document")
    assert (hit.status, hit.decided_by_id, hit.note) == ("confirmed", analyst.id, "Same person, same document")
    profile = session.scalar(select(Profile).where(Profile.customer_id == customer.id))
    assert profile.on_watch and profile.level == "high"
    with pytest.raises(ConflictError):
        blacklist.decide_hit(session, hit, "cleared", "changed my mind")
    session.flush()
    session.commit()
    actions = session.scalars(select(AuditEntry.action).where(AuditEntry.entity_type == "risk.hit")).all()
    assert "risk_hit_confirmed" in actions


def test_the_job_screens_everyone_once(session, world):
    customer = world.customer(name="Ana Torres Ruiz")
    session.add_all([])
    from plugins.risk.models import BlacklistEntry

    session.add(BlacklistEntry(name="Ana Torres Ruiz", reason="Court order", added_on=customer.created_at.date()))
    session.flush()
    assert blacklist.screen_all(session) == 1
    assert blacklist.screen_all(session) == 0

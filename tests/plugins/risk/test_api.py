"""Risk's JSON API (/api/v1/risk): reviews, the decision, scoring facts, blacklist, hits, signals, votes."""
from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
import webtest
from sqlalchemy import select

from core.models.user import User

API = "/api/v1/risk"
PROBLEM = "application/problem+json"


@pytest.fixture(autouse=True)
def _today(clock):
    clock.day = date(2025, 3, 10)


@pytest.fixture
def api(mutuo_db):
    return webtest.TestApp(mutuo_db.app, extra_environ={"REMOTE_ADDR": "127.0.0.1", "HTTP_HOST": "localhost"})


@pytest.fixture
def key(mutuo_db):
    from core.apikeys import create_api_key, grantable_permissions

    reg = mutuo_db.registry["mutuo.security"]

    def make(username):
        def build(s):
            user = s.scalars(select(User).where(User.username == username)).one()
            return create_api_key(s, user, "test", reg, scope=grantable_permissions(user, reg))[1]
        return {"Authorization": f"Bearer {mutuo_db.transaction(build)}"}
    return make


@pytest.fixture
def book(session, world, make_user):
    make_user("boss", roles=("risk_manager",))
    make_user("mia", roles=("risk_committee_member",))
    from plugins.risk.models import AgendaItem, Review

    first = world.submitted()                          # pending
    world.submitted(amount=D("40000.00"), term=24)     # referred: an agenda item
    ids = {"review": session.scalar(select(Review.id).where(Review.application_id == first.id)),
           "item": session.scalar(select(AgendaItem.id))}
    session.commit()
    session.close()
    return ids


def test_reviews_list_read_and_decide(book, api, key):
    headers = key("boss")
    listing = api.get(f"{API}/reviews?status=pending", headers=headers).json
    review = book["review"]
    assert [r["id"] for r in listing["items"]] == [review]
    record = api.get(f"{API}/reviews/{review}", headers=headers).json
    assert record["score"] == "600.00" and len(record["explanation"]) == 7 and record["grade"] == "C"
    refused = api.post_json(f"{API}/reviews/{review}/decision", {"recommendation": "decline", "level": "high"},
                            headers=headers, expect_errors=True)
    assert refused.status_int == 422 and refused.content_type == PROBLEM
    decided = api.post_json(f"{API}/reviews/{review}/decision", {"recommendation": "approve", "level": "low"},
                            headers=headers).json
    assert decided["status"] == "approved"
    again = api.post_json(f"{API}/reviews/{review}/decision", {"recommendation": "approve", "level": "low"},
                          headers=headers, expect_errors=True)
    assert again.status_int == 409


def test_score_blacklist_hits_and_votes(book, api, key):
    headers = key("boss")
    scored = api.post_json(f"{API}/score", {"age": 40, "dti": 0.1, "amount": 3000, "term_months": 6,
                                            "industry": "Retail", "past_max_dpd": 0, "previous_loans": 4},
                           headers=headers).json
    assert scored["score"] == "715.00" and scored["grade"] == "A" and scored["reasons"] == []
    entry = api.post_json(f"{API}/blacklist", {"name": "Customer 1", "reason": "Test"}, headers=headers,
                          status=201).json
    assert entry["active"] is True
    assert api.get(f"{API}/blacklist", headers=headers).json["items"][0]["id"] == entry["id"]
    hits = api.get(f"{API}/hits?status=open", headers=headers).json["items"]
    assert len(hits) == 2 and all(h["match"] == "name" and h["similarity"] >= 90 for h in hits)  # "Customer 2", "3"
    decided = api.post_json(f"{API}/hits/{hits[0]['id']}/decision", {"status": "cleared", "note": "Namesake"},
                            headers=headers).json
    assert decided["status"] == "cleared" and decided["note"] == "Namesake"
    vote = api.post_json(f"{API}/agenda-items/{book['item']}/votes", {"vote": "approve"}, headers=key("mia"),
                         expect_errors=True)
    assert vote.status_int == 422 and "present" in vote.json["detail"]
    assert api.get(f"{API}/reviews", headers={"Authorization": "Bearer nope"}, expect_errors=True).status_int == 401

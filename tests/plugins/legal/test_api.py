"""Legal's JSON API: contracts and matters through the permissions and record rules, the review decision,
recoveries that reach the loan (idempotent), refusals as problems."""
from __future__ import annotations

import pytest
import webtest
from sqlalchemy import select

from core.models.user import User
from plugins.legal.models import Contract
from plugins.lending.models import Repayment
from tests.plugins.legal.test_views import _today, book  # noqa: F401  (fixtures)

API = "/api/v1/legal"


@pytest.fixture
def api(mutuo_db):
    return webtest.TestApp(mutuo_db.app, extra_environ={"REMOTE_ADDR": "127.0.0.1", "HTTP_HOST": "localhost"})


@pytest.fixture
def key(mutuo_db):
    from core.apikeys import create_api_key, grantable_permissions

    security = mutuo_db.registry["mutuo.security"]

    def make(username):
        def build(s):
            user = s.scalars(select(User).where(User.username == username)).one()
            return create_api_key(s, user, "test", security, scope=grantable_permissions(user, security))[1]
        return {"Authorization": f"Bearer {mutuo_db.transaction(build)}"}
    return make


def test_contracts_list_read_and_decide(book, api, key, mutuo_db):  # noqa: F811
    lena = key("lena")
    listed = api.get(f"{API}/contracts", {"status": "in_review"}, headers=lena).json["items"]
    assert [c["id"] for c in listed] == [book["contract"]] and listed[0]["contract_type"] == "loan_agreement"
    record = api.get(f"{API}/contracts/{book['contract']}", headers=lena).json
    assert record["approvals"] == [] and len(record["parties"]) == 3
    refused = api.post_json(f"{API}/contracts/{book['contract']}/decision", {"approve": False}, headers=lena,
                            status=422)
    assert refused.content_type == "application/problem+json"
    decided = api.post_json(f"{API}/contracts/{book['contract']}/decision", {"approve": True, "comment": "ok"},
                            headers=lena).json
    assert decided["status"] == "approved" and len(decided["approved_sha256"]) == 64
    again = api.post_json(f"{API}/contracts/{book['contract']}/decision", {"approve": True}, headers=lena,
                          status=409)
    assert "not in review" in again.json["detail"]
    api.get(f"{API}/contracts", headers=key("sam"), status=403)


def test_matters_follow_the_record_rule_and_recoveries_reach_the_loan(book, api, key, mutuo_db):  # noqa: F811
    lena, lou = key("lena"), key("lou")
    assert [m["id"] for m in api.get(f"{API}/matters", headers=lena).json["items"]] == [book["matter"]]
    assert api.get(f"{API}/matters", headers=lou).json["items"] == []
    api.get(f"{API}/matters/{book['matter']}", headers=lou, status=404)
    matter = api.get(f"{API}/matters/{book['matter']}", headers=lena).json
    assert matter["collections_case_id"] and matter["events"] == []
    body = {"amount": "500.00", "paid_on": "2025-09-01"}
    headers = {**lena, "Idempotency-Key": "legal-recovery-1"}
    first = api.post_json(f"{API}/matters/{book['matter']}/recoveries", body, headers=headers, status=201).json
    replay = api.post_json(f"{API}/matters/{book['matter']}/recoveries", body, headers=headers, status=201).json
    assert first == replay
    repayments = mutuo_db.transaction(lambda s: s.scalars(select(Repayment).where(
        Repayment.reference.like("LEGAL-%"))).all())
    assert len(repayments) == 1 and repayments[0].id == first["repayment_id"]  # the replay posted nothing
    assert api.get(f"{API}/matters/{book['matter']}", headers=lena).json["recovered"] == "500.00"
    bad = api.post_json(f"{API}/matters/{book['matter']}/recoveries", {"amount": "0.00", "paid_on": "2025-09-01"},
                        headers=lena, status=422)
    assert bad.json["detail"]
    assert mutuo_db.transaction(lambda s: s.get(Contract, book["contract"]).status) == "in_review"

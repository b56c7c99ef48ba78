"""Marketing's JSON API: campaigns, costs, links, visitors identified by the website, touchpoints, the report."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from plugins.marketing.models import Touchpoint
from plugins.marketing.services import campaigns, tracking

MANAGE = ("marketing.campaign.view", "marketing.campaign.manage", "marketing.spend.manage",
          "marketing.touchpoint.view", "marketing.touchpoint.manage", "marketing.report.view")


@pytest.fixture(autouse=True)
def _today(clock):
    clock.day = date(2025, 3, 10)


@pytest.fixture
def channel_id(mutuo_db):
    return mutuo_db.transaction(lambda s: campaigns.create_channel(s, "Search ads", "search").id)


def test_campaigns_costs_links_and_the_report(testapp, api_key_for, channel_id):
    key = api_key_for(MANAGE)
    made = testapp.post_json("/api/v1/marketing/campaigns", {"name": "Brand", "channel_id": channel_id,
                                                             "starts_on": "2025-01-01", "budget": "100.00"},
                             headers={**key, "Idempotency-Key": "c1"}, status=201).json
    cost = testapp.post_json(f"/api/v1/marketing/campaigns/{made['id']}/spend",
                             {"spent_on": "2025-02-01", "amount": "150.00"},
                             headers={**key, "Idempotency-Key": "s1"}, status=201).json
    assert cost["over_budget"] is True
    link = testapp.post_json(f"/api/v1/marketing/campaigns/{made['id']}/links",
                             {"target_url": "https://www.example.test/", "code": "brand1"}, headers=key, status=201).json
    assert link["url"].endswith("/r/brand1") and "utm_campaign=brand" in link["destination"]
    read = testapp.get(f"/api/v1/marketing/campaigns/{made['id']}", headers=key).json
    assert read["actual"] == "150.00"
    listed = testapp.get("/api/v1/marketing/campaigns?name=bra", headers=key).json
    assert [c["name"] for c in listed["items"]] == ["Brand"]
    report = testapp.get("/api/v1/marketing/report?model=linear&from=2025-01-01&to=2025-03-10", headers=key).json
    row = next(r for r in report["rows"] if r["name"] == "Brand")
    assert row["cost"] == "150.00" and row["cac"] is None and row["roi"] == "-1.0000"


def test_the_website_identifies_a_visitor_and_registration_claims_the_clicks(testapp, api_key_for, channel_id,
                                                                            mutuo_db, world, session):
    key = api_key_for(MANAGE)

    def click(s):
        campaign = campaigns.create_campaign(s, name="Spring", channel_id=channel_id, starts_on=date(2025, 1, 1),
                                             budget=0)
        tracking.record_click(s, tracking.create_link(s, campaign, "https://x.test/"), "ef" * 16)
    mutuo_db.transaction(click)
    answer = testapp.post_json("/api/v1/marketing/visitors", {"visitor_id": "ef" * 16, "email": "eva@example.test"},
                               headers=key, status=201).json
    assert answer["customer_id"] is None
    customer = world.customer(verified=False, email="eva@example.test")
    session.commit()
    assert mutuo_db.transaction(lambda s: len(s.scalars(select(Touchpoint).where(
        Touchpoint.customer_id == customer.id)).all())) == 1
    refused = testapp.post_json("/api/v1/marketing/visitors", {"visitor_id": "ef" * 16}, headers=key, status=422)
    assert refused.content_type == "application/problem+json"


def test_api_permissions(testapp, api_key_for, channel_id):
    viewer = api_key_for(("marketing.campaign.view",))
    testapp.post_json("/api/v1/marketing/campaigns", {"name": "x", "channel_id": channel_id, "starts_on": "2025-01-01",
                                                      "budget": "1.00"}, headers=viewer, status=403)
    testapp.get("/api/v1/marketing/report", headers=viewer, status=403)
    testapp.get("/api/v1/marketing/campaigns/999999", headers=viewer, status=404)

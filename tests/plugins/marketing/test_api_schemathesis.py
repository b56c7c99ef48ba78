"""Schemathesis against the live OpenAPI document: marketing's operations, bounded and derandomized
(``MUTUO_SCHEMATHESIS_EXAMPLES`` for more): no 5xx, every answer as documented."""
from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from core.testing import assert_api_conforms
from plugins.marketing.services import campaigns, tracking


def test_marketing_api_conforms_to_its_document(mutuo_db, session, world, api_key_for, clock):
    clock.day = date(2025, 3, 10)
    channel = campaigns.create_channel(session, "Social ads", "social")
    spring = campaigns.create_campaign(session, name="Spring", channel_id=channel.id, starts_on=date(2025, 1, 1),
                                       budget=D("100.00"))
    tracking.add_offline_touch(session, world.customer(verified=False), spring, date(2025, 3, 1))
    session.commit()
    headers = api_key_for(roles=("admin",), everything=True)
    assert assert_api_conforms(mutuo_db.app, headers, prefix="/api/v1/marketing/", max_examples=3) == 8

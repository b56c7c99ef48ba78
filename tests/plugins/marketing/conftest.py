"""Fixtures for marketing's tests: products + lending + marketing; lending's records through its services."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from plugins.lending.testing import world  # noqa: F401  (world: lending's fixture)


@pytest.fixture
def mutuo_plugins():
    return ("products", "lending", "marketing")


@pytest.fixture
def session(dbsession):
    return dbsession



@pytest.fixture
def campaign(session):
    """campaign(name="Spring", kind="social", budget="1000.00") -> a campaign on its own channel."""
    from plugins.marketing.services import campaigns

    made = {}

    def make(name="Spring", kind="social", budget="1000.00", starts_on=date(2025, 1, 1), channel=None):
        if channel is None:
            channel = made.get(kind) or campaigns.create_channel(session, f"{kind.title()} channel", kind)
            made[kind] = channel
        return campaigns.create_campaign(session, name=name, channel_id=channel.id, starts_on=starts_on,
                                         budget=Decimal(budget))
    return make

"""Fixtures for the lending plugin's tests: products + lending only; builders from :mod:`plugins.lending.testing`."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from core.testing import BusinessClock as Clock  # noqa: F401  (tests of this folder import it from here)
from plugins.lending.testing import EventRecorder, World, lending_events  # noqa: F401  (lending_events: a fixture)

SETTINGS = {"mutuo.timezone": "UTC"}


@pytest.fixture
def mutuo_plugins():
    return ("products", "lending")


@pytest.fixture
def events(lending_events):
    return lending_events


@pytest.fixture
def session(dbsession):
    """The test's session: like every session of the platform it carries the plugin manager and settings."""
    return dbsession


@pytest.fixture
def world(session, mutuo_db, clock):
    return World(session, mutuo_db.documents, clock)


@pytest.fixture
def today_is(clock):
    """today_is(day): freeze today."""
    def set_today(day: date):
        clock.day = day
    return set_today


def days(n: int) -> timedelta:
    return timedelta(days=n)

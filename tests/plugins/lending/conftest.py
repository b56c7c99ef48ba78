"""Fixtures for the lending plugin's tests: products + lending only; builders from :mod:`plugins.lending.testing`."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from core.testing import BusinessClock as Clock  # noqa: F401  (tests of this folder import it from here)
from plugins.lending.testing import EventRecorder, World  # noqa: F401

SETTINGS = {"mutuo.timezone": "UTC"}


@pytest.fixture
def mutuo_plugins():
    return ("products", "lending")


@pytest.fixture
def events(mutuo_db):
    recorder = EventRecorder()
    mutuo_db.pm.register(recorder, name="lending-test-events")
    yield recorder
    mutuo_db.pm.unregister(name="lending-test-events")


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

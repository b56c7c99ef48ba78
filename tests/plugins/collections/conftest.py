"""Fixtures for the collections plugin's tests: products + lending + collections.

Loans are made and made overdue only through lending's services (its test
``World`` builder and frozen ``Clock`` are reused, not copied); collections
reacts to lending's events.
"""
from __future__ import annotations

from datetime import date

import pytest

from tests.plugins.lending.conftest import Clock, World

SETTINGS = {"mutuo.timezone": "UTC"}
DISBURSED = date(2025, 1, 15)  # installments fall due on the 15th, from 2025-02-15


@pytest.fixture
def mutuo_plugins():
    return ("products", "lending", "collections")


@pytest.fixture
def clock(monkeypatch):
    from core import context

    frozen = Clock()
    monkeypatch.setattr(context, "today", frozen.today)
    return frozen


@pytest.fixture
def session(dbsession, mutuo_db):
    """A session bound to the plugin manager and settings, as a request or a job would be."""
    from core.context import bind

    bind(dbsession, pm=mutuo_db.pm, settings={**SETTINGS, **mutuo_db.settings})
    return dbsession


@pytest.fixture
def world(session, mutuo_db, clock):
    return World(session, mutuo_db.documents, clock)


@pytest.fixture
def collector(session, mutuo_db):
    """collector(username, stages=("early",), region="") -> the user, holding those queues."""
    from core.accounts import create_user
    from plugins.collections.services import set_queues

    def make(username, stages=("early",), region="", roles=("collector",)):
        user = create_user(session, username, "correct-horse-battery", roles=list(roles), region=region)
        set_queues(session, user, stages)
        return user

    return make


def close(session, through: date, start: date | None = None):
    """Run lending's close of business (the only way cases move in these tests)."""
    from plugins.lending import services

    return services.close_of_business(session, through, start=start)


def pay_overdue(session, loan, on: date, reference: str):
    """Pay everything overdue on ``loan`` through lending's services."""
    from plugins.lending import services

    owed = sum((i.outstanding for i in loan.installments if i.paid_on is None and i.due_date < on), 0)
    return services.post_repayment(session, loan, owed, on, reference)

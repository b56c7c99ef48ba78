"""Fixtures for the collections plugin's tests: products + lending + collections.

Loans are made and made overdue only through lending's services (lending's
public test kit :mod:`plugins.lending.testing` and core's business clock);
collections reacts to lending's events. Builders: :mod:`plugins.collections.testing`.
"""
from __future__ import annotations

from datetime import date

import pytest

from plugins.collections.testing import close, make_collector, pay_overdue  # noqa: F401  (imported by this folder's tests)
from plugins.lending.testing import World

DISBURSED = date(2025, 1, 15)  # installments fall due on the 15th, from 2025-02-15


@pytest.fixture
def mutuo_plugins():
    return ("products", "lending", "collections")


@pytest.fixture
def session(dbsession):
    """The test's session: like every session of the platform it carries the plugin manager and settings."""
    return dbsession


@pytest.fixture
def world(session, mutuo_db, clock):
    return World(session, mutuo_db.documents, clock)


@pytest.fixture
def collector(session):
    """collector(username, stages=("early",), region="") -> the user, holding those queues."""
    return lambda username, stages=("early",), region="", roles=("collector",): make_collector(
        session, username, stages, region, roles)

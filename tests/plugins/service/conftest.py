"""Fixtures for customer service's tests: products + lending + collections + service."""
from __future__ import annotations

import pytest

from plugins.lending.testing import World


@pytest.fixture
def mutuo_plugins():
    return ("products", "lending", "collections", "service")


@pytest.fixture
def session(dbsession):
    return dbsession


@pytest.fixture
def world(session, mutuo_db, clock):
    return World(session, mutuo_db.documents, clock)

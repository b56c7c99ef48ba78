"""Fixtures for customer service's tests: products + lending + collections + service."""
from __future__ import annotations

import pytest

from plugins.lending.testing import world  # noqa: F401  (world: lending's fixture)


@pytest.fixture
def mutuo_plugins():
    return ("products", "lending", "collections", "service")


@pytest.fixture
def session(dbsession):
    return dbsession


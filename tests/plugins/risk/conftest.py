"""Fixtures for risk's tests: products + lending + risk (collections joins in its own module)."""
from __future__ import annotations

import pytest

from plugins.risk.testing import RiskWorld


@pytest.fixture
def mutuo_plugins():
    return ("products", "lending", "risk")


@pytest.fixture
def session(dbsession):
    return dbsession


@pytest.fixture
def world(session, mutuo_db, clock):
    return RiskWorld(session, mutuo_db.documents, clock)

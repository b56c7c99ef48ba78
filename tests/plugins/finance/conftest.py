"""Fixtures for finance's tests: products + lending + finance; lending's records are made through
lending's services (:mod:`plugins.lending.testing`), so finance's hooks fire as in production."""
from __future__ import annotations

import pytest

from plugins.lending.testing import world  # noqa: F401  (world: lending's fixture)


@pytest.fixture
def mutuo_plugins():
    return ("products", "lending", "finance")


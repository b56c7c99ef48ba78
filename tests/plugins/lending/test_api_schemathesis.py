"""Schemathesis over the document with products and lending enabled: no 5xx, every answer as documented.

Bounded like core's (``MUTUO_SCHEMATHESIS_EXAMPLES``, 10 by default here, derandomized) so it stays
well under 90 s; the records it finds by id come from the ``data`` fixture (a loan with a repayment,
customers, applications in several states), so generated ids in 1…n reach real rows too.
"""
from __future__ import annotations

import os

import pytest

from tests.core import test_api_schemathesis as core_fuzz

from .test_views import _today, build, data  # noqa: F401  (fixtures)


@pytest.fixture
def mutuo_plugins():
    return ("products", "lending")


@pytest.fixture
def admin_key(mutuo_db, make_user):
    return core_fuzz.admin_key.__wrapped__(mutuo_db, make_user)


def test_lending_api_conforms_to_its_document(mutuo_db, data, admin_key, monkeypatch):
    monkeypatch.setattr(core_fuzz, "MAX_EXAMPLES", int(os.environ.get("MUTUO_SCHEMATHESIS_EXAMPLES", "10")))
    core_fuzz.test_api_conforms_to_its_document(mutuo_db, admin_key)

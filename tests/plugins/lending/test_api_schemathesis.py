"""Schemathesis over the document with products and lending enabled: no 5xx, every answer as documented.

Bounded like core's (``MUTUO_SCHEMATHESIS_EXAMPLES``, 10 by default here, derandomized) so it stays
well under 90 s; the records it finds by id come from the ``data`` fixture (a loan with a repayment,
customers, applications in several states), so generated ids in 1…n reach real rows too.
"""
from __future__ import annotations

import pytest

from core.testing import assert_api_conforms

from .test_views import _today, build, data  # noqa: F401  (fixtures)


@pytest.fixture
def mutuo_plugins():
    return ("products", "lending")


def test_lending_api_conforms_to_its_document(mutuo_db, data, api_key_for):
    headers = api_key_for(roles=("admin",), everything=True)
    assert assert_api_conforms(mutuo_db.app, headers, max_examples=10) > 50  # core's, products' and lending's

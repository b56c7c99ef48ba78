"""Schemathesis against the live document with products enabled: no 5xx, every answer as documented.

Bounded like core's (``MUTUO_SCHEMATHESIS_EXAMPLES``, default 12 per operation, derandomized); only
products' operations are fuzzed here (core's have their own run), over a catalog holding a draft,
an active product with two versions and a retired one, so generated ids sometimes find records.
"""
from __future__ import annotations

from decimal import Decimal as D

import pytest
from sqlalchemy import select

from core.testing import assert_api_conforms


@pytest.fixture
def mutuo_plugins():
    return ("products",)


@pytest.fixture
def manager_key(mutuo_db, make_user):
    from core.apikeys import create_api_key, grantable_permissions
    from core.models.user import User
    from plugins.products import services
    from plugins.products.testing import TERMS

    username, _pw = make_user(roles=("product_manager",))
    reg = mutuo_db.registry["mutuo.security"]

    def build(s):
        for n, status in enumerate(("draft", "active", "retired"), start=1):
            product = services.create_product(s, code=f"P-{n}", name=f"Product {n}", **TERMS)
            if status != "draft":
                services.activate(s, product)
                services.update_product(s, product, default_rate=D("0.10"))
            if status == "retired":
                services.retire(s, product)
        user = s.scalars(select(User).where(User.username == username)).one()
        return create_api_key(s, user, "schemathesis", reg, scope=grantable_permissions(user, reg))[1]
    return mutuo_db.transaction(build)


def test_products_api_conforms_to_its_document(mutuo_db, manager_key):
    headers = {"Authorization": f"Bearer {manager_key}"}
    assert assert_api_conforms(mutuo_db.app, headers, prefix="/api/v1/products/") == 10
